/*
 * The vDSO and its data pages (arch/x86/entry/vdso/vma.c): one copy of each image and of
 * the data pages per machine, in guest RAM, shared by every process that maps them.
 */
#include "kernel-sim/vdso.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

#define VVAR_PAGES 4
#define VCLOCK_PAGES 2
#define VDSO_PAGES 2

struct vdso_state {
	struct page *vvar[VVAR_PAGES + VCLOCK_PAGES]; /* zeroed data pages */
	struct page *image[2][VDSO_PAGES];            /* [0]: 64-bit, [1]: i386 */
	struct vm_special_mapping vvar_map, vclock_map, vdso_map[2];
	uint64_t kernel_vsyscall;                     /* offsets in the i386 image */
	uint64_t kernel_sigreturn;
	uint64_t kernel_rt_sigreturn;
};

/* The offset of a dynamic symbol in an image, or 0. */
static uint64_t image_symbol(const unsigned char *image, unsigned long size, const char *name)
{
	uint64_t value = 0;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)image, size);
	Elf_Scn *scn = NULL;
	while (elf && !value && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s = gelf_getsym(data, (int)i, &sym)
						? elf_strptr(elf, sh.sh_link, sym.st_name)
						: NULL;
			if (s && !strcmp(s, name))
				value = sym.st_value;
		}
	}
	if (elf)
		elf_end(elf);
	return value;
}

static struct page *alloc_shared_page(struct kernel *k, const void *bytes, size_t len)
{
	struct page *page = alloc_page(k, GFP_KERNEL | __GFP_ZERO);
	if (page && bytes)
		memcpy(page_address(k, page), bytes, len < PAGE_SIZE ? len : PAGE_SIZE);
	return page;
}

static int load_image(struct kernel *k, struct page **pages, const unsigned char *image,
		      unsigned long size)
{
	for (unsigned long i = 0; i < VDSO_PAGES; i++) {
		unsigned long off = i * PAGE_SIZE;
		pages[i] = alloc_shared_page(k, off < size ? image + off : NULL,
					     off < size ? size - off : 0);
		if (!pages[i])
			return -ENOMEM;
	}
	return 0;
}

int vdso_prepare(struct kernel *k)
{
	if (k->vdso)
		return 0;
	struct vdso_state *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	k->vdso = v;
	for (int i = 0; i < VVAR_PAGES + VCLOCK_PAGES; i++)
		if (!(v->vvar[i] = alloc_shared_page(k, NULL, 0)))
			return -ENOMEM;
	if (load_image(k, v->image[0], vdso64_image, vdso64_image_size) < 0 ||
	    load_image(k, v->image[1], vdso32_image, vdso32_image_size) < 0)
		return -ENOMEM;
	v->vvar_map = (struct vm_special_mapping){"[vvar]", v->vvar, VVAR_PAGES};
	v->vclock_map = (struct vm_special_mapping){"[vvar_vclock]", v->vvar + VVAR_PAGES, VCLOCK_PAGES};
	v->vdso_map[0] = (struct vm_special_mapping){"[vdso]", v->image[0], VDSO_PAGES};
	v->vdso_map[1] = (struct vm_special_mapping){"[vdso]", v->image[1], VDSO_PAGES};
	v->kernel_vsyscall = image_symbol(vdso32_image, vdso32_image_size, "__kernel_vsyscall");
	v->kernel_sigreturn = image_symbol(vdso32_image, vdso32_image_size, "__kernel_sigreturn");
	v->kernel_rt_sigreturn =
	    image_symbol(vdso32_image, vdso32_image_size, "__kernel_rt_sigreturn");
	return 0;
}

int arch_setup_additional_pages(struct kernel *k, struct mm_struct *mm, bool abi32,
				uint64_t *vdso, uint64_t *vsyscall)
{
	if (vdso_prepare(k) < 0)
		return -ENOMEM;
	struct vdso_state *v = k->vdso;
	unsigned long len = (VVAR_PAGES + VCLOCK_PAGES + VDSO_PAGES) * PAGE_SIZE;
	long addr = get_unmapped_area(k, mm, NULL, 0, len, 0, MAP_PRIVATE);
	if (addr < 0)
		return (int)addr;
	unsigned long a = (unsigned long)addr;
	unsigned long data = VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO;
	unsigned long code = VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (!install_special_mapping(k, mm, a, VVAR_PAGES * PAGE_SIZE, data, &v->vvar_map) ||
	    !install_special_mapping(k, mm, a + VVAR_PAGES * PAGE_SIZE, VCLOCK_PAGES * PAGE_SIZE,
				     data, &v->vclock_map) ||
	    !install_special_mapping(k, mm, a + (VVAR_PAGES + VCLOCK_PAGES) * PAGE_SIZE,
				     VDSO_PAGES * PAGE_SIZE, code, &v->vdso_map[abi32]))
		return -ENOMEM;
	*vdso = a + (VVAR_PAGES + VCLOCK_PAGES) * PAGE_SIZE;
	*vsyscall = abi32 ? *vdso + v->kernel_vsyscall : 0;
	mm->vdso = *vdso;
	return 0;
}

uint64_t vdso32_sigreturn(const struct kernel *k, const struct mm_struct *mm, bool rt)
{
	const struct vdso_state *v = k->vdso;
	if (!v || !mm->vdso)
		return 0;
	return mm->vdso + (rt ? v->kernel_rt_sigreturn : v->kernel_sigreturn);
}

void vdso_shutdown(struct kernel *k)
{
	free(k->vdso);
	k->vdso = NULL;
}
