/*
 * The vDSO images the kernel maps into programs (AT_SYSINFO_EHDR), built from
 * kernel-sim/vdso/ at build time: small ELF shared objects with the time functions (and, for
 * i386, __kernel_vsyscall) entering the kernel directly.
 */
#ifndef KSIM_VDSO_H
#define KSIM_VDSO_H

extern const unsigned char vdso64_image[];
extern const unsigned long vdso64_image_size;
extern const unsigned char vdso32_image[];
extern const unsigned long vdso32_image_size;



#include <stdbool.h>
#include <stdint.h>

struct kernel;
struct mm_struct;

/*
 * Maps the [vvar] (4 pages), [vvar_vclock] (2 pages) and [vdso] (2 pages) mappings at the
 * top of mm's mmap area, as Linux's arch_setup_additional_pages does after the program is
 * mapped. *vdso gets the vDSO's address (AT_SYSINFO_EHDR); for i386 programs *vsyscall
 * gets __kernel_vsyscall's (AT_SYSINFO). 0 or -ENOMEM.
 */
int arch_setup_additional_pages(struct kernel *k, struct mm_struct *mm, bool abi32,
				uint64_t *vdso, uint64_t *vsyscall);
/* The address of the i386 vDSO's __kernel_rt_sigreturn (rt) or __kernel_sigreturn in mm,
 * where a handler returns when sigaction gave no restorer; 0 when mm has no vDSO. */
uint64_t vdso32_sigreturn(const struct kernel *k, const struct mm_struct *mm, bool rt);
/* Makes the vDSO pages (the first exec does it otherwise). 0 or -ENOMEM. */
int vdso_prepare(struct kernel *k);
/* Frees the host-side vDSO state (kernel_shutdown). */
void vdso_shutdown(struct kernel *k);
#endif /* KSIM_VDSO_H */
