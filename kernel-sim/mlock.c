/*
 * mlock/munlock, as Linux's mm/mlock.c: the range's VMAs get (or lose) VM_LOCKED through
 * the same split-and-merge as mprotect, locked_vm follows, and a newly locked range is
 * populated at once (mm_populate) unless MLOCK_ONFAULT asked for VM_LOCKONFAULT.
 *
 * mlockall locks every VMA (MCL_CURRENT) and/or sets mm->def_flags so that new VMAs are
 * locked (MCL_FUTURE). Special mappings (the vDSO's data pages) are never locked.
 *
 * Pages already resident move to the unevictable LRU when their range is locked, and back
 * to an evictable list when it is unlocked, unless another locked VMA still maps them
 * (mlock_page, munlock_page in swap.c). Pages faulted in later join the unevictable list
 * directly (lru_cache_add_vma).
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

static int mlock_fixup(struct kernel *k, struct vm_area_struct *vma,
		       struct vm_area_struct **pprev, unsigned long start, unsigned long end,
		       unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long oldflags = vma->vm_flags;
	long nr = (long)((end - start) >> PAGE_SHIFT);
	/* The vDSO's data pages and other special mappings are never locked or counted. */
	if (newflags == oldflags || (oldflags & VM_SPECIAL)) {
		*pprev = vma;
		return 0;
	}
	vma = vma_modify_flags(k, *pprev, vma, start, end, newflags);
	if (!vma)
		return -ENOMEM;
	*pprev = vma;
	if ((newflags & VM_LOCKED) && !(oldflags & VM_LOCKED)) {
		mm->locked_vm += (unsigned long)nr;
		mlock_vma_pages_range(k, vma, start, end, true);
	} else if (!(newflags & VM_LOCKED) && (oldflags & VM_LOCKED)) {
		mm->locked_vm -= (unsigned long)nr;
		mlock_vma_pages_range(k, vma, start, end, false);
	}
	return 0;
}

/* walk_vma_range's step: the piece gets the lock bits in arg (none to unlock). */
static int mlock_vma(struct kernel *k, struct vm_area_struct *vma, struct vm_area_struct **pprev,
		     unsigned long start, unsigned long end, void *arg)
{
	unsigned long newflags =
		(vma->vm_flags & ~(VM_LOCKED | VM_LOCKONFAULT)) | *(unsigned long *)arg;
	return mlock_fixup(k, vma, pprev, start, end, newflags);
}

/* Sets (on) or clears the lock bits on [start, end). -ENOMEM at a hole. */
static int apply_vma_lock_flags(struct kernel *k, struct mm_struct *mm, unsigned long start,
				unsigned long end, unsigned long lock_bits)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	if (!vma)
		return -ENOMEM;
	return walk_vma_range(k, vma, start, end, VMA_HOLE_FAILS, mlock_vma, &lock_bits);
}

/* Pages of [start, end) already locked (count_mm_mlocked_page_nr). */
static unsigned long count_locked(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long n = 0;
	for (struct vm_area_struct *v = find_vma(mm, start); v && v->vm_start < end;
	     v = v->vm_next) {
		if (!(v->vm_flags & VM_LOCKED))
			continue;
		unsigned long s = v->vm_start > start ? v->vm_start : start;
		unsigned long e = v->vm_end < end ? v->vm_end : end;
		n += (e - s) >> PAGE_SHIFT;
	}
	return n;
}

/* The page-aligned range mlock/munlock act on: start rounded down, length rounded up. */
static int lock_range(struct mm_struct *mm, unsigned long *start, unsigned long len,
		      unsigned long *end)
{
	len = (len + (*start & ~PAGE_MASK) + PAGE_SIZE - 1) & PAGE_MASK;
	*start &= PAGE_MASK;
	*end = *start + len;
	if (*end < *start || *end > mm->task_size + PAGE_SIZE)
		return -ENOMEM;
	return 0;
}

int do_mlock(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
	     unsigned int flags)
{
	unsigned long end;
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	if (lock_range(mm, &start, len, &end) < 0)
		return -ENOMEM;
	if (end == start)
		return 0;
	unsigned long locked = ((end - start) >> PAGE_SHIFT) + mm->locked_vm -
			       count_locked(mm, start, end);
	if (mm->rlim.memlock != RLIM_INFINITY && locked > mm->rlim.memlock >> PAGE_SHIFT)
		return -ENOMEM;
	unsigned long bits = VM_LOCKED | (flags & MLOCK_ONFAULT ? VM_LOCKONFAULT : 0);
	int err = apply_vma_lock_flags(k, mm, start, end, bits);
	if (err)
		return err;
	/* __mlock_posix_error_return: POSIX wants EAGAIN for "no memory now". */
	err = mm_populate(k, mm, start, end - start);
	if (err == -ENOMEM)
		return -EAGAIN;
	return err == -EFAULT ? -ENOMEM : err;
}

int do_munlock(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end;
	if (lock_range(mm, &start, len, &end) < 0)
		return -ENOMEM;
	if (end == start)
		return 0;
	return apply_vma_lock_flags(k, mm, start, end, 0);
}

/* Linux's apply_mlockall_flags: MCL_FUTURE goes into def_flags for the VMAs to come;
 * MCL_CURRENT locks every VMA there is (errors ignored, as Linux does). */
static void apply_mlockall_flags(struct kernel *k, struct mm_struct *mm, unsigned int flags)
{
	mm->def_flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
	if (flags & MCL_FUTURE)
		mm->def_flags |= VM_LOCKED | (flags & MCL_ONFAULT ? VM_LOCKONFAULT : 0);
	if ((flags & MCL_FUTURE) && !(flags & MCL_CURRENT))
		return;
	unsigned long to_add = 0;
	if (flags & MCL_CURRENT)
		to_add = VM_LOCKED | (flags & MCL_ONFAULT ? VM_LOCKONFAULT : 0);
	struct vm_area_struct *prev = NULL, *next;
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = next) {
		unsigned long newflags = (vma->vm_flags & ~(VM_LOCKED | VM_LOCKONFAULT)) | to_add;
		if (mlock_fixup(k, vma, &prev, vma->vm_start, vma->vm_end, newflags) < 0)
			prev = vma;
		next = prev->vm_next;
	}
}

int do_mlockall(struct kernel *k, struct mm_struct *mm, unsigned int flags)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if ((flags & MCL_CURRENT) && mm->rlim.memlock != RLIM_INFINITY &&
	    mm->total_vm > mm->rlim.memlock >> PAGE_SHIFT)
		return -ENOMEM;
	apply_mlockall_flags(k, mm, flags);
	/* Linux populates ignoring errors: what cannot be faulted in now faults in later. */
	if (flags & MCL_CURRENT)
		mm_populate(k, mm, 0, mm->task_size);
	return 0;
}

int do_munlockall(struct kernel *k, struct mm_struct *mm)
{
	apply_mlockall_flags(k, mm, 0);
	return 0;
}
