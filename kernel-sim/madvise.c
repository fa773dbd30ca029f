/*
 * madvise, as Linux's mm/madvise.c: the hints that change vm_flags (RANDOM, SEQUENTIAL,
 * NORMAL, HUGEPAGE/NOHUGEPAGE, DONTFORK/DOFORK, DONTDUMP/DODUMP) go through the same
 * split-and-merge as mprotect; WILLNEED reads a file range into the page cache; DONTNEED
 * zaps the range's pages, so the next touch faults in a fresh zero page or the file's page.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		return true;
	default:
		return false;
	}
}

/* The flags a flag-changing hint gives a VMA that had flags; -EINVAL where Linux refuses. */
static long madvise_new_flags(unsigned long flags, int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
		return (long)(flags & ~(VM_RAND_READ | VM_SEQ_READ));
	case MADV_SEQUENTIAL:
		return (long)((flags & ~VM_RAND_READ) | VM_SEQ_READ);
	case MADV_RANDOM:
		return (long)((flags & ~VM_SEQ_READ) | VM_RAND_READ);
	case MADV_DONTFORK:
		return (long)(flags | VM_DONTCOPY);
	case MADV_DOFORK:
		return (long)(flags & ~VM_DONTCOPY);
	case MADV_DONTDUMP:
		return (long)(flags | VM_DONTDUMP);
	case MADV_DODUMP:
		return (long)(flags & ~VM_DONTDUMP);
	case MADV_HUGEPAGE:
		return (long)((flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE);
	case MADV_NOHUGEPAGE:
		return (long)((flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE);
	default:
		return -EINVAL;
	}
}

/* Applies behavior to [start, end) of vma. *pprev becomes the VMA now covering it. */
static int madvise_vma(struct kernel *k, struct vm_area_struct *vma,
		       struct vm_area_struct **pprev, unsigned long start, unsigned long end,
		       void *arg)
{
	int behavior = *(int *)arg;
	if (behavior == MADV_DONTNEED) {
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
			return -EINVAL;
		zap_page_range(k, vma, start, end);
		*pprev = vma;
		return 0;
	}
	if (behavior == MADV_WILLNEED) {
		if (vma->vm_file) {
			unsigned long index = linear_page_index(vma, start);
			page_cache_readahead(k, vma->vm_file, index, (end - start) >> PAGE_SHIFT);
		}
		*pprev = vma;
		return 0;
	}
	long newflags = madvise_new_flags(vma->vm_flags, behavior);
	if (newflags < 0)
		return (int)newflags;
	if ((unsigned long)newflags == vma->vm_flags) {
		*pprev = vma;
		return 0;
	}
	vma = vma_modify_flags(k, *pprev, vma, start, end, (unsigned long)newflags);
	if (!vma)
		return -ENOMEM;
	*pprev = vma;
	return 0;
}

int do_madvise(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
	       int behavior)
{
	if (!madvise_behavior_valid(behavior) || (start & ~PAGE_MASK))
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	struct vm_area_struct *vma = find_vma(mm, start);
	if (!vma)
		return -ENOMEM;
	return walk_vma_range(k, vma, start, end, VMA_HOLE_SKIPPED, madvise_vma, &behavior);
}
