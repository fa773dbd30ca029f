/*
 * mremap, as Linux's mm/mremap.c: shrinking unmaps the tail; growing extends the VMA in
 * place when the addresses above it are free; otherwise, with MREMAP_MAYMOVE, the mapping
 * moves: a new VMA at a free (or, with MREMAP_FIXED, the given) address takes over the
 * page-table entries of the old one (move_page_tables: the pages themselves stay where
 * they are), and the old range is unmapped.
 *
 * Not supported: MREMAP_DONTUNMAP and old_len 0 (duplicating a shared mapping): -EINVAL.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

static unsigned long page_align(unsigned long x)
{
	return (x + PAGE_SIZE - 1) & PAGE_MASK;
}

/* The VMA holding [addr, addr + old_len) that may grow to new_len, or NULL with *err. */
static struct vm_area_struct *vma_to_resize(struct mm_struct *mm, unsigned long addr,
					    unsigned long old_len, unsigned long new_len,
					    long *err)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	*err = -EFAULT;
	if (!vma || old_len > vma->vm_end - addr)
		return NULL;
	if (new_len == old_len)
		return vma;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return NULL;
	unsigned long grow = (new_len - old_len) >> PAGE_SHIFT;
	*err = -EAGAIN;
	if ((vma->vm_flags & VM_LOCKED) && mm->rlim.memlock != RLIM_INFINITY &&
	    ((mm->locked_vm + grow) << PAGE_SHIFT) > mm->rlim.memlock)
		return NULL;
	*err = -ENOMEM;
	if (!may_expand_vm(mm, vma->vm_flags, grow))
		return NULL;
	return vma;
}

/* The addresses [vma->vm_end, vma->vm_end + delta) are free and inside the space. */
static bool vma_expandable(struct mm_struct *mm, struct vm_area_struct *vma,
			   unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;
	if (end < vma->vm_end || end > mm->task_size)
		return false;
	return !vma->vm_next || vma->vm_next->vm_start >= end;
}

static long expand_in_place(struct kernel *k, struct vm_area_struct *vma, unsigned long addr,
			    unsigned long delta)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old_end = vma->vm_end;
	unsigned long flags = vma->vm_flags;
	vma->vm_end += delta;
	/* Joins the next VMA when the grown one now touches an identical one. */
	if (!vma_modify_flags(k, vma->vm_prev, vma, vma->vm_start, vma->vm_end, flags))
		return -ENOMEM;
	vm_stat_account(mm, flags, (long)(delta >> PAGE_SHIFT));
	if (flags & VM_LOCKED) {
		mm->locked_vm += delta >> PAGE_SHIFT;
		mm_populate(k, mm, old_end, delta);
	}
	return (long)addr;
}

/* Moves [old_addr, old_addr + old_len) of vma to a new VMA of new_len at new_addr. */
static long move_vma(struct kernel *k, struct vm_area_struct *vma, unsigned long old_addr,
		     unsigned long old_len, unsigned long new_len, unsigned long new_addr)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long flags = vma->vm_flags;
	if (mm->map_count >= k->vm->max_map_count - 3)
		return -ENOMEM;
	unsigned long pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);
	struct vm_area_struct *new_vma = copy_vma(k, vma, new_addr, new_len, pgoff);
	if (!new_vma)
		return -ENOMEM;
	if (move_page_tables(k, vma, old_addr, new_vma, new_addr, old_len) < old_len) {
		/* Out of page-table memory: put back what moved, drop the new range. */
		move_page_tables(k, new_vma, new_addr, vma, old_addr, old_len);
		vm_stat_account(mm, flags, (long)(new_len >> PAGE_SHIFT));
		if (flags & VM_LOCKED)
			mm->locked_vm += new_len >> PAGE_SHIFT;
		do_vmi_munmap(k, mm, new_addr, new_addr + new_len);
		return -ENOMEM;
	}
	vm_stat_account(mm, flags, (long)(new_len >> PAGE_SHIFT));
	if (flags & VM_LOCKED)
		mm->locked_vm += new_len >> PAGE_SHIFT;
	do_vmi_munmap(k, mm, old_addr, old_addr + old_len);
	if ((flags & VM_LOCKED) && new_len > old_len)
		mm_populate(k, mm, new_addr + old_len, new_len - old_len);
	return (long)new_addr;
}

static long mremap_to(struct kernel *k, struct mm_struct *mm, unsigned long addr,
		      unsigned long old_len, unsigned long new_len, unsigned long new_addr)
{
	if (new_addr & ~PAGE_MASK)
		return -EINVAL;
	if (new_len > mm->task_size || new_addr > mm->task_size - new_len)
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;
	int r = do_munmap(k, mm, new_addr, new_len);
	if (r < 0)
		return r;
	if (old_len > new_len) {
		r = do_munmap(k, mm, addr + new_len, old_len - new_len);
		if (r < 0)
			return r;
		old_len = new_len;
	}
	long err;
	struct vm_area_struct *vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return err;
	err = get_unmapped_area(k, mm, vma->vm_file, new_addr, new_len, 0, MAP_FIXED);
	if (err < 0)
		return err;
	return move_vma(k, vma, addr, old_len, new_len, new_addr);
}

long do_mremap(struct kernel *k, struct mm_struct *mm, unsigned long addr,
	       unsigned long old_len, unsigned long new_len, unsigned long flags,
	       unsigned long new_addr)
{
	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || (flags & MREMAP_DONTUNMAP))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	old_len = page_align(old_len);
	new_len = page_align(new_len);
	if (!new_len || !old_len)
		return -EINVAL;
	if (!vma_lookup(mm, addr))
		return -EFAULT;
	if (flags & MREMAP_FIXED)
		return mremap_to(k, mm, addr, old_len, new_len, new_addr);
	if (old_len >= new_len) {
		int r = old_len > new_len ? do_munmap(k, mm, addr + new_len, old_len - new_len) : 0;
		return r < 0 ? r : (long)addr;
	}
	long err;
	struct vm_area_struct *vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return err;
	if (old_len == vma->vm_end - addr && vma_expandable(mm, vma, new_len - old_len))
		return expand_in_place(k, vma, addr, new_len - old_len);
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	unsigned long pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	long r = get_unmapped_area(k, mm, vma->vm_file, 0, new_len, pgoff,
				   vma->vm_flags & VM_MAYSHARE ? MAP_SHARED : 0);
	if (r < 0)
		return r;
	return move_vma(k, vma, addr, old_len, new_len, (unsigned long)r);
}
