/*
 * The memory system calls (Linux's arch/x86/kernel/sys_x86_64.c sys_mmap, mm/mmap.c
 * ksys_mmap_pgoff and old_mmap, mm/mprotect.c, mm/mremap.c, mm/madvise.c, mm/mlock.c,
 * mm/msync.c, mm/mincore.c, brk): argument decoding and the fd lookup in front of
 * kernel-sim's address-space operations (kernel-sim/mm.h), which do the work.
 */
#include <errno.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/uaccess.h"

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/* A user address or length argument: 32 bits for i386 tasks. */
static unsigned long uarg(struct kernel *k, uint64_t v)
{
	return in_compat_syscall(k) ? (uint32_t)v : (unsigned long)v;
}

/* ksys_mmap_pgoff with the offset in bytes. */
static long do_mmap_fd(struct kernel *k, unsigned long addr, unsigned long len, unsigned long prot,
		       unsigned long flags, int fd, uint64_t off)
{
	struct mm_struct *mm = k->current->mm;
	struct file *file = NULL;
	int err = 0;
	if (!(flags & MAP_ANONYMOUS)) {
		struct open_file *of = fget(k, fd);
		if (!of)
			return -EBADF;
		file = open_file_filp(k, of, &err);
		if (!file)
			return err;
	}
	long ret = vm_mmap(k, mm, file, addr, len, prot, flags, (unsigned long)off);
	if (unlikely(k->mm_tracer))
		trace_mm_op(k, MM_OP_MMAP, (uint64_t[]){addr, len, prot, flags, off}, file, ret);
	return ret;
}

/* The tracepoint after an address-space operation of the current task: its result. */
static long traced(struct kernel *k, unsigned op, const uint64_t *args, long ret)
{
	if (unlikely(k->mm_tracer))
		trace_mm_op(k, op, args, NULL, ret);
	return ret;
}

long sys_mmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if (a[5] & ~PAGE_MASK)
		return -EINVAL;
	return do_mmap_fd(k, a[0], a[1], a[2], (unsigned)a[3], (int)a[4], a[5]);
}

/* i386 mmap2: the offset in 4096-byte units. */
long sys_mmap2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_mmap_fd(k, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3],
			  (int)a[4], (uint64_t)(uint32_t)a[5] << PAGE_SHIFT);
}

/* i386 old mmap: one pointer to {addr, len, prot, flags, fd, offset}, 32-bit each. */
long sys_old_mmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint32_t v[6];
	if (copy_from_user_ok(k, v, a[0], sizeof(v)))
		return -EFAULT;
	if (v[5] & ~PAGE_MASK)
		return -EINVAL;
	return do_mmap_fd(k, v[0], v[1], v[2], v[3], (int)v[4], v[5]);
}

long sys_munmap(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]);
	return traced(k, MM_OP_MUNMAP, (uint64_t[]){addr, len},
		      do_munmap(k, k->current->mm, addr, len));
}

long sys_mprotect(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]), prot = uarg(k, a[2]);
	return traced(k, MM_OP_MPROTECT, (uint64_t[]){addr, len, prot},
		      do_mprotect(k, k->current->mm, addr, len, prot));
}

long sys_mremap(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint64_t v[5] = {uarg(k, a[0]), uarg(k, a[1]), uarg(k, a[2]), uarg(k, a[3]), uarg(k, a[4])};
	return traced(k, MM_OP_MREMAP, v, do_mremap(k, k->current->mm, v[0], v[1], v[2], v[3], v[4]));
}

long sys_madvise(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]);
	return traced(k, MM_OP_MADVISE, (uint64_t[]){addr, len, (uint64_t)(int)a[2]},
		      do_madvise(k, k->current->mm, addr, len, (int)a[2]));
}

long sys_mlock(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]);
	return traced(k, MM_OP_MLOCK, (uint64_t[]){addr, len, 0},
		      do_mlock(k, k->current->mm, addr, len, 0));
}

long sys_mlock2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if (a[2] & ~(uint64_t)MLOCK_ONFAULT)
		return -EINVAL;
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]);
	return traced(k, MM_OP_MLOCK, (uint64_t[]){addr, len, (unsigned)a[2]},
		      do_mlock(k, k->current->mm, addr, len, (unsigned)a[2]));
}

long sys_munlock(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long addr = uarg(k, a[0]), len = uarg(k, a[1]);
	return traced(k, MM_OP_MUNLOCK, (uint64_t[]){addr, len},
		      do_munlock(k, k->current->mm, addr, len));
}

long sys_mlockall(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return traced(k, MM_OP_MLOCKALL, (uint64_t[]){(unsigned)a[0]},
		      do_mlockall(k, k->current->mm, (unsigned)a[0]));
}

long sys_munlockall(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return traced(k, MM_OP_MUNLOCKALL, NULL, do_munlockall(k, k->current->mm));
}

long sys_brk(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long brk = uarg(k, a[0]);
	return traced(k, MM_OP_BRK, (uint64_t[]){brk}, (long)do_brk(k, k->current->mm, brk));
}

/* Every page of [start, end) mapped? (msync and mincore answer -ENOMEM otherwise) */
static bool range_mapped(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		if (!vma || vma->vm_start > start)
			return false;
		start = vma->vm_end;
	}
	return true;
}

/* MS_SYNC's work: the shared file mappings of [start, end) are written back (Linux's
 * vfs_fsync_range on each VMA's part). 0 or the first error (-EIO). */
static int msync_range(struct kernel *k, struct mm_struct *mm, unsigned long start,
		       unsigned long end)
{
	int err = 0;
	for (struct vm_area_struct *vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = vma->vm_next) {
		if (!vma->vm_file || !(vma->vm_flags & VM_SHARED))
			continue;
		unsigned long s = vma->vm_start > start ? vma->vm_start : start;
		unsigned long e = vma->vm_end < end ? vma->vm_end : end;
		unsigned long first = vma->vm_pgoff + ((s - vma->vm_start) >> PAGE_SHIFT);
		unsigned long last = first + ((e - s) >> PAGE_SHIFT) - 1;
		int r = filemap_write_and_wait_range(k, &vma->vm_file->f_inode->i_data, first, last);
		if (r < 0 && !err)
			err = r;
	}
	return err;
}

/* msync: checks as Linux does; MS_SYNC writes the range's dirty shared file pages back to
 * their files (MS_ASYNC has nothing to start: dirty pages are already tracked). */
long sys_msync(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned long start = uarg(k, a[0]), len = uarg(k, a[1]);
	int flags = (int)a[2];
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	if (end < start)
		return -ENOMEM;
	if (!range_mapped(k->current->mm, start, end))
		return -ENOMEM;
	return (flags & MS_SYNC) ? msync_range(k, k->current->mm, start, end) : 0;
}

/* mincore: one byte per page, bit 0 set when the page is resident (its pte present). */
long sys_mincore(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct mm_struct *mm = k->current->mm;
	unsigned long start = uarg(k, a[0]), len = uarg(k, a[1]);
	uint64_t vec = a[2];
	uint8_t buf[256];
	if (start & ~PAGE_MASK)
		return -EINVAL;
	unsigned long pages = (len + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (start + (pages << PAGE_SHIFT) < start || start + (pages << PAGE_SHIFT) > mm->task_size)
		return -ENOMEM;
	if (!range_mapped(mm, start, start + (pages << PAGE_SHIFT)))
		return -ENOMEM;
	for (unsigned long done = 0; done < pages;) {
		unsigned long n = pages - done < sizeof(buf) ? pages - done : sizeof(buf);
		for (unsigned long i = 0; i < n; i++) {
			pte_t *pte = mm_find_pte(k, mm, start + ((done + i) << PAGE_SHIFT));
			buf[i] = pte && pte_present(*pte);
		}
		if (copy_to_user_ok(k, vec + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

bool sys_is_mm_op(syscall_fn fn)
{
	static const syscall_fn mm_ops[] = {
	    sys_mmap,	 sys_mmap2, sys_old_mmap, sys_munmap,  sys_mprotect, sys_mremap,	sys_madvise,
	    sys_mlock, sys_mlock2, sys_munlock,	 sys_mlockall, sys_munlockall, sys_brk,
	};
	for (size_t i = 0; i < sizeof(mm_ops) / sizeof(mm_ops[0]); i++)
		if (fn == mm_ops[i])
			return true;
	return false;
}
