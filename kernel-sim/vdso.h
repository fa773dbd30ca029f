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

#endif /* KSIM_VDSO_H */
