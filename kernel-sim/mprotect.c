/*
 * mprotect, as Linux's mm/mprotect.c (do_mprotect_pkey, mprotect_fixup): the range's VMAs
 * get the new access bits, splitting at the range's ends and merging with neighbours that
 * become identical, and every present pte in the range is rewritten with the new
 * vm_page_prot (change_protection, in memory.c).
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

/* [start, end) of vma gets newflags. *pprev becomes the VMA now covering the range. */
static int mprotect_fixup(struct kernel *k, struct vm_area_struct *vma,
			  struct vm_area_struct **pprev, unsigned long start, unsigned long end,
			  unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long oldflags = vma->vm_flags;
	long nrpages = (long)((end - start) >> PAGE_SHIFT);
	if (newflags == oldflags) {
		*pprev = vma;
		return 0;
	}
	/* Private memory becoming writable is charged now (Linux's VM_ACCOUNT rule). */
	if ((newflags & VM_WRITE) &&
	    !(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE)))
		newflags |= VM_ACCOUNT;
	vma = vma_modify_flags(k, *pprev, vma, start, end, newflags);
	if (!vma)
		return -ENOMEM;
	*pprev = vma;
	change_protection(k, vma, start, end);
	vm_stat_account(mm, oldflags, -nrpages);
	vm_stat_account(mm, newflags, nrpages);
	return 0;
}

/* walk_vma_range's step: the piece gets the new access bits if the VMA's VM_MAY* allow. */
static int mprotect_vma(struct kernel *k, struct vm_area_struct *vma,
			struct vm_area_struct **pprev, unsigned long start, unsigned long end,
			void *arg)
{
	unsigned long newflags = *(unsigned long *)arg | (vma->vm_flags & ~VM_ACCESS_FLAGS);
	/* Each VM_MAY* bit sits four above the bit it allows. */
	if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
		return -EACCES;
	return mprotect_fixup(k, vma, pprev, start, end, newflags);
}

int do_mprotect(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
		unsigned long prot)
{
	const unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	unsigned long end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP) || (grows & PROT_GROWSUP))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN))
		return -EINVAL;
	struct vm_area_struct *vma = find_vma(mm, start);
	if (!vma)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {
		if (vma->vm_start >= end || !(vma->vm_flags & VM_GROWSDOWN))
			return -EINVAL;
		start = vma->vm_start;
	} else if (vma->vm_start > start) {
		return -ENOMEM;
	}
	unsigned long vm_prot = (prot & PROT_READ ? VM_READ : 0) |
				(prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
	return walk_vma_range(k, vma, start, end, VMA_HOLE_FAILS, mprotect_vma, &vm_prot);
}
