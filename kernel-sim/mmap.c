/*
 * Creating and destroying address spaces and mappings, as Linux's kernel/fork.c (mm_alloc,
 * mmput), mm/mmap.c (do_mmap, mmap_region, brk, expand_stack, get_unmapped_area with
 * arch/x86/mm/mmap.c's top-down layout) and mm/vma.c (do_vmi_munmap).
 *
 * Layout of a fresh x86-64 address space without randomization (ASLR off), as Linux:
 *
 *   0x7ffffffff000  TASK_SIZE = STACK_TOP: the stack grows down from here
 *                   ... RLIMIT_STACK + stack_guard_gap, at least 128 MiB ...
 *   0x7ffff7fff000  mmap_base: mmap() takes the highest gap below it (top-down)
 *                   ...
 *   brk             heap, grows up from start_brk (after the program's bss)
 *   0x400000        a static program's text
 *   0x10000         mmap_min_addr: nothing is mapped below
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"

#define SIZE_128M (128UL << 20)
#define STACK_GUARD_GAP_PAGES 256UL
#define DEFAULT_MAX_MAP_COUNT 65530
#define DEFAULT_MMAP_MIN_ADDR 65536UL
#define _STK_LIM (8UL << 20)
#define MLOCK_LIMIT (8UL << 20)

static unsigned long page_align(unsigned long x)
{
	return (x + PAGE_SIZE - 1) & PAGE_MASK;
}

/* ---- boot ---- */

static struct kmem_cache *vm_cache(struct kernel *k, const char *name, unsigned int size)
{
	return kmem_cache_create(k, name, size, 0, SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
}

int vm_init(struct kernel *k)
{
	struct vm_state *vs = kzalloc(k, sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return -ENOMEM;
	k->vm = vs;
	vs->mm_cachep = vm_cache(k, "mm_struct", sizeof(struct mm_struct));
	vs->vm_area_cachep = vm_cache(k, "vm_area_struct", sizeof(struct vm_area_struct));
	vs->anon_vma_cachep = vm_cache(k, "anon_vma", sizeof(struct anon_vma));
	vs->filp_cachep = vm_cache(k, "filp", sizeof(struct file));
	vs->inode_cachep = vm_cache(k, "inode_cache", sizeof(struct inode));
	vs->zero_page = alloc_page(k, GFP_KERNEL | __GFP_ZERO);
	if (!vs->mm_cachep || !vs->vm_area_cachep || !vs->anon_vma_cachep || !vs->filp_cachep ||
	    !vs->inode_cachep || !vs->zero_page) {
		vm_shutdown(k);
		return -ENOMEM;
	}
	SetPageReserved(vs->zero_page);
	vs->stack_guard_gap = STACK_GUARD_GAP_PAGES << PAGE_SHIFT;
	vs->mmap_min_addr = DEFAULT_MMAP_MIN_ADDR;
	vs->max_map_count = DEFAULT_MAX_MAP_COUNT;
	vs->fault_around_bytes = 65536;
	vs->ra_pages = 32;
	vs->next_pid = 1;
	vs->next_ino = 1;
	lru_init(k);
	if (swap_init(k) < 0) {
		vm_shutdown(k);
		return -ENOMEM;
	}
	return 0;
}

void vm_shutdown(struct kernel *k)
{
	struct vm_state *vs = k->vm;
	if (!vs)
		return;
	swap_shutdown(k);
	if (vs->zero_page) {
		__ClearPageReserved(vs->zero_page);
		__free_page(k, vs->zero_page);
	}
	kmem_cache_destroy(k, vs->inode_cachep);
	kmem_cache_destroy(k, vs->filp_cachep);
	kmem_cache_destroy(k, vs->anon_vma_cachep);
	kmem_cache_destroy(k, vs->vm_area_cachep);
	kmem_cache_destroy(k, vs->mm_cachep);
	kfree(k, vs);
	k->vm = NULL;
}

void vm_shrink_caches(struct kernel *k)
{
	struct kmem_cache *s;
	/* Every cache, including those made after boot (task_struct at the first exec). */
	list_for_each_entry(s, &k->slab->slab_caches, list) kmem_cache_shrink(k, s);
}

/* ---- address spaces ---- */

/* arch/x86/mm/mmap.c's mmap_base() without randomization: below the stack's rlimit plus the
 * guard gap, clamped to [128 MiB, 5/6 of the space]. */
static unsigned long mmap_base(const struct kernel *k, const struct mm_struct *mm)
{
	unsigned long gap = mm->rlim.stack;
	unsigned long pad = k->vm->stack_guard_gap;
	if (gap + pad > gap)
		gap += pad;
	if (gap < SIZE_128M)
		gap = SIZE_128M;
	else if (gap > (mm->task_size / 6) * 5)
		gap = (mm->task_size / 6) * 5;
	return page_align(mm->task_size - gap);
}

void arch_pick_mmap_layout(struct kernel *k, struct mm_struct *mm, unsigned long task_size)
{
	mm->task_size = task_size;
	mm->mmap_base = mmap_base(k, mm);
	mm->mmap_legacy_base = page_align(mm->task_size / 3);
}

struct mm_struct *mm_alloc(struct kernel *k)
{
	struct mm_struct *mm = kmem_cache_zalloc(k, k->vm->mm_cachep, GFP_KERNEL);
	if (!mm)
		return NULL;
	mm->pgd = pgd_alloc(k);
	if (!mm->pgd) {
		kmem_cache_free(k, k->vm->mm_cachep, mm);
		return NULL;
	}
	mm->mm_users = 1;
	mm->mm_count = 1;
	mm->pid = k->vm->next_pid++;
	mm->rlim = (struct mm_rlimits){_STK_LIM, RLIM_INFINITY, RLIM_INFINITY, MLOCK_LIMIT};
	arch_pick_mmap_layout(k, mm, pgtable_layout(k)->user_top - PAGE_SIZE);
	return mm;
}

void mmput(struct kernel *k, struct mm_struct *mm)
{
	BUG_ON(mm->mm_users <= 0);
	if (--mm->mm_users)
		return;
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		zap_page_range(k, v, v->vm_start, v->vm_end);
	while (mm->mmap) {
		struct vm_area_struct *v = mm->mmap;
		vma_unlink(mm, v);
		remove_vma(k, v);
	}
	free_pgd_range(k, mm->pgd, 0, pgtable_layout(k)->user_top);
	pgd_free(k, mm->pgd);
	if (--mm->mm_count == 0)
		kmem_cache_free(k, k->vm->mm_cachep, mm);
}

void mm_set_brk_base(struct mm_struct *mm, unsigned long addr)
{
	mm->start_brk = mm->brk = addr;
}

/* ---- get_unmapped_area ---- */

/* The hint is usable: inside the space and clear of neighbours and their guard gaps. */
static bool hint_fits(struct kernel *k, struct mm_struct *mm, unsigned long addr,
		      unsigned long len)
{
	struct vm_area_struct *prev, *vma = find_vma_prev(mm, addr, &prev);
	if (mm->task_size - len < addr || addr < k->vm->mmap_min_addr)
		return false;
	if (vma && addr + len > vm_start_gap(k, vma))
		return false;
	return !prev || addr >= vm_end_gap(prev);
}

/* The highest gap of len bytes between low and high (vm_unmapped_area, top-down). Walks
 * the list from the top: linear in the VMAs above the answer. */
static long unmapped_area_topdown(struct kernel *k, struct mm_struct *mm, unsigned long len,
				  unsigned long low, unsigned long high)
{
	struct vm_area_struct *vma = NULL, *v;
	for (v = mm->mmap; v; v = v->vm_next)
		vma = v;
	unsigned long gap_end = mm->task_size;
	for (;;) {
		unsigned long gap_start = vma ? vm_end_gap(vma) : 0;
		unsigned long top = gap_end < high ? gap_end : high;
		if (gap_start < low)
			gap_start = low;
		if (top >= gap_start && top - gap_start >= len)
			return (long)((top - len) & PAGE_MASK);
		if (!vma || vm_end_gap(vma) <= low)
			return -ENOMEM;
		gap_end = vm_start_gap(k, vma);
		vma = vma->vm_prev;
	}
}

/* The lowest gap of len bytes between low and high (bottom-up fallback). */
static long unmapped_area(struct kernel *k, struct mm_struct *mm, unsigned long len,
			  unsigned long low, unsigned long high)
{
	unsigned long gap_start = low;
	for (struct vm_area_struct *v = find_vma(mm, low);; v = v->vm_next) {
		unsigned long gap_end = v ? vm_start_gap(k, v) : high;
		if (gap_end > high)
			gap_end = high;
		if (gap_end >= gap_start && gap_end - gap_start >= len)
			return (long)gap_start;
		if (!v || gap_end >= high)
			return -ENOMEM;
		if (vm_end_gap(v) > gap_start)
			gap_start = vm_end_gap(v);
	}
}

long get_unmapped_area(struct kernel *k, struct mm_struct *mm, struct file *file,
		       unsigned long addr, unsigned long len, unsigned long pgoff,
		       unsigned long flags)
{
	unsigned long min = k->vm->mmap_min_addr;
	if (len > mm->task_size - min)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr > mm->task_size - len)
			return -ENOMEM;
		/* security_mmap_addr: below mmap_min_addr only with CAP_SYS_RAWIO. */
		return addr < min ? -EPERM : (long)addr;
	}
	if (addr) {
		addr = page_align(addr);
		if (hint_fits(k, mm, addr, len))
			return (long)addr;
	}
	long r = unmapped_area_topdown(k, mm, len, PAGE_SIZE > min ? PAGE_SIZE : min,
				       mm->mmap_base);
	if (r >= 0)
		return r;
	return unmapped_area(k, mm, len, mm->mmap_legacy_base, mm->task_size);
}

/* ---- munmap ---- */

void free_pgtables_around(struct kernel *k, struct mm_struct *mm, unsigned long start,
			  unsigned long end)
{
	struct vm_area_struct *prev, *next = find_vma_prev(mm, start, &prev);
	unsigned long floor = prev ? prev->vm_end : 0;
	unsigned long ceiling = next ? next->vm_start : pgtable_layout(k)->user_top;
	BUG_ON(floor > start || ceiling < end);
	free_pgd_range(k, mm->pgd, floor, ceiling);
}

int do_vmi_munmap(struct kernel *k, struct mm_struct *mm, unsigned long start,
		  unsigned long end)
{
	struct vm_area_struct *vma = find_vma_intersection(mm, start, end);
	if (!vma)
		return 0;
	/* Cutting a hole in one VMA makes one more: check before changing anything. */
	if (vma->vm_start < start && end < vma->vm_end &&
	    mm->map_count >= k->vm->max_map_count)
		return -ENOMEM;
	if (vma->vm_start < start && __split_vma(k, vma, start, 0) < 0)
		return -ENOMEM;
	struct vm_area_struct *last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end && __split_vma(k, last, end, 1) < 0)
		return -ENOMEM;
	vma = find_vma(mm, start);
	if (mm->total_vm > mm->hiwater_vm)
		mm->hiwater_vm = mm->total_vm;
	if (get_mm_rss(mm) > mm->hiwater_rss)
		mm->hiwater_rss = get_mm_rss(mm);
	while (vma && vma->vm_start < end) {
		struct vm_area_struct *next = vma->vm_next;
		zap_page_range(k, vma, vma->vm_start, vma->vm_end);
		if (vma->vm_flags & VM_LOCKED)
			mm->locked_vm -= vma_pages(vma);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_unlink(mm, vma);
		remove_vma(k, vma);
		vma = next;
	}
	free_pgtables_around(k, mm, start, end);
	return 0;
}

int do_munmap(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if ((start & ~PAGE_MASK) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	unsigned long end = start + page_align(len);
	if (end == start)
		return -EINVAL;
	return do_vmi_munmap(k, mm, start, end);
}

/* ---- mmap ---- */

static unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static unsigned long calc_vm_flag_bits(unsigned long flags)
{
	return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0) |
	       (flags & MAP_SYNC ? VM_SYNC : 0);
}

/* Private writable memory is charged against overcommit (Linux's accountable_mapping). */
static bool accountable_mapping(unsigned long vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/* A new VMA for [addr, addr + len), not yet linked. NULL when out of memory. */
static struct vm_area_struct *new_vma(struct kernel *k, struct mm_struct *mm,
				      struct file *file, unsigned long addr,
				      unsigned long len, unsigned long vm_flags,
				      unsigned long pgoff)
{
	struct vm_area_struct *vma = vm_area_alloc(k, mm);
	if (!vma)
		return NULL;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma->vm_file = file ? get_file(file) : NULL;
	vma_set_page_prot(vma);
	return vma;
}

/* Linux's mmap_region: replaces whatever [addr, addr + len) held with one mapping. */
static long mmap_region(struct kernel *k, struct mm_struct *mm, struct file *file,
			unsigned long addr, unsigned long len, unsigned long vm_flags,
			unsigned long pgoff)
{
	unsigned long npages = len >> PAGE_SHIFT;
	unsigned long overlap = 0;
	for (struct vm_area_struct *v = find_vma_intersection(mm, addr, addr + len);
	     v && v->vm_start < addr + len; v = v->vm_next) {
		unsigned long s = v->vm_start > addr ? v->vm_start : addr;
		unsigned long e = v->vm_end < addr + len ? v->vm_end : addr + len;
		overlap += (e - s) >> PAGE_SHIFT;
	}
	if (!may_expand_vm(mm, vm_flags, npages - overlap))
		return -ENOMEM;
	if (do_vmi_munmap(k, mm, addr, addr + len) < 0)
		return -ENOMEM;
	if (accountable_mapping(vm_flags))
		vm_flags |= VM_ACCOUNT;
	bool shmem = !file && (vm_flags & VM_SHARED);
	struct file *shm = NULL;
	if (shmem) {
		shm = shmem_file_setup(k, "dev/zero", len);
		if (!shm)
			return -ENOMEM;
		file = shm;
	}
	struct vm_area_struct *vma = NULL;
	if (!shmem)
		vma = vma_merge_new(k, mm, addr, addr + len, vm_flags, file, pgoff, NULL);
	if (!vma) {
		vma = new_vma(k, mm, file, addr, len, vm_flags, pgoff);
		if (shm)
			fput(k, shm);
		if (!vma)
			return -ENOMEM;
		vma_link(mm, vma);
	}
	vm_stat_account(mm, vm_flags, (long)npages);
	if (vm_flags & VM_LOCKED)
		mm->locked_vm += npages;
	return (long)addr;
}

/* The vm_flags a file mapping gets from its type and the file's mode, or -errno. */
static long file_mmap_flags(struct file *file, unsigned long prot, unsigned long flags,
			    unsigned long *vm_flags)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		if ((prot & PROT_WRITE) && !(file->f_mode & FMODE_WRITE))
			return -EACCES;
		*vm_flags |= VM_SHARED | VM_MAYSHARE;
		if (!(file->f_mode & FMODE_WRITE))
			*vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		/* fall through */
	case MAP_PRIVATE:
		if (!(file->f_mode & FMODE_READ))
			return -EACCES;
		return 0;
	default:
		return -EINVAL;
	}
}

static long anon_mmap_flags(unsigned long addr, unsigned long flags, unsigned long *vm_flags,
			    unsigned long *pgoff)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		if (*vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		*pgoff = 0;
		*vm_flags |= VM_SHARED | VM_MAYSHARE;
		return 0;
	case MAP_PRIVATE:
		*pgoff = addr >> PAGE_SHIFT;
		return 0;
	default:
		return -EINVAL;
	}
}

long do_mmap(struct kernel *k, struct mm_struct *mm, struct file *file, unsigned long addr,
	     unsigned long len, unsigned long prot, unsigned long flags, unsigned long pgoff,
	     unsigned long *populate)
{
	*populate = 0;
	if (!len)
		return -EINVAL;
	if (!(flags & MAP_FIXED)) {
		addr &= PAGE_MASK;
		if (addr && addr < k->vm->mmap_min_addr)
			addr = page_align(k->vm->mmap_min_addr);
	}
	len = page_align(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > k->vm->max_map_count)
		return -ENOMEM;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	long r = get_unmapped_area(k, mm, file, addr, len, pgoff, flags);
	if (r < 0)
		return r;
	addr = (unsigned long)r;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;
	unsigned long vm_flags = calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) |
				 mm->def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if ((vm_flags & VM_LOCKED) && mm->rlim.memlock != RLIM_INFINITY &&
	    ((mm->locked_vm << PAGE_SHIFT) + len > mm->rlim.memlock))
		return -EAGAIN;
	r = file ? file_mmap_flags(file, prot, flags, &vm_flags)
		 : anon_mmap_flags(addr, flags, &vm_flags, &pgoff);
	if (r < 0)
		return r;
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	r = mmap_region(k, mm, file, addr, len, vm_flags, pgoff);
	if (r >= 0 && ((vm_flags & VM_LOCKED) ||
		       (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		*populate = len;
	return r;
}

long vm_mmap(struct kernel *k, struct mm_struct *mm, struct file *file, unsigned long addr,
	     unsigned long len, unsigned long prot, unsigned long flags, unsigned long offset)
{
	unsigned long populate;
	if (offset & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) != !!file)
		return -EBADF;
	long r = do_mmap(k, mm, file, addr, len, prot, flags, offset >> PAGE_SHIFT, &populate);
	if (r >= 0 && populate)
		mm_populate(k, mm, (unsigned long)r, populate);
	return r;
}

/* ---- brk ---- */

/* Linux's check_data_rlimit: heap plus data within RLIMIT_DATA. */
static bool brk_within_rlimit(const struct mm_struct *mm, unsigned long brk)
{
	if (mm->rlim.data == RLIM_INFINITY)
		return true;
	return (brk - mm->start_brk) + (mm->end_data - mm->start_data) <= mm->rlim.data;
}

/* Linux's do_brk_flags: extends the heap VMA that ends at addr, or maps a new one. */
static int do_brk_flags(struct kernel *k, struct mm_struct *mm, unsigned long addr,
			unsigned long len)
{
	unsigned long flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm->def_flags;
	unsigned long npages = len >> PAGE_SHIFT;
	if (!may_expand_vm(mm, flags, npages) || mm->map_count > k->vm->max_map_count)
		return -ENOMEM;
	/* The heap grows its own VMA: Linux 6.x keeps it apart from the ELF bss below
	 * start_brk (/proc/PID/maps shows both), so only a VMA of the heap itself extends. */
	struct vm_area_struct *prev = NULL;
	find_vma_prev(mm, addr, &prev);
	bool may_merge = !prev || prev->vm_end != addr || prev->vm_start >= mm->start_brk;
	if (!may_merge ||
	    !vma_merge_new(k, mm, addr, addr + len, flags, NULL, addr >> PAGE_SHIFT, NULL)) {
		struct vm_area_struct *vma =
			new_vma(k, mm, NULL, addr, len, flags, addr >> PAGE_SHIFT);
		if (!vma)
			return -ENOMEM;
		vma_link(mm, vma);
	}
	vm_stat_account(mm, flags, (long)npages);
	if (flags & VM_LOCKED)
		mm->locked_vm += npages;
	return 0;
}

unsigned long do_brk(struct kernel *k, struct mm_struct *mm, unsigned long brk)
{
	unsigned long origbrk = mm->brk;
	if (brk < mm->start_brk || brk > mm->task_size || !brk_within_rlimit(mm, brk))
		return origbrk;
	unsigned long newbrk = page_align(brk), oldbrk = page_align(mm->brk);
	if (oldbrk == newbrk) {
		mm->brk = brk;
		return brk;
	}
	if (brk <= mm->brk) {
		mm->brk = brk;
		if (do_vmi_munmap(k, mm, newbrk, oldbrk) < 0) {
			mm->brk = origbrk;
			return origbrk;
		}
		return brk;
	}
	struct vm_area_struct *next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(k, next))
		return origbrk;
	if (do_brk_flags(k, mm, oldbrk, newbrk - oldbrk) < 0)
		return origbrk;
	mm->brk = brk;
	if (mm->def_flags & VM_LOCKED)
		mm_populate(k, mm, oldbrk, newbrk - oldbrk);
	return brk;
}

/* ---- the stack ---- */

/* Linux's acct_stack_growth: within RLIMIT_STACK, the mlock limit and RLIMIT_AS. */
static int acct_stack_growth(struct vm_area_struct *vma, unsigned long size,
			     unsigned long grow)
{
	struct mm_struct *mm = vma->vm_mm;
	if (!may_expand_vm(mm, vma->vm_flags, grow))
		return -ENOMEM;
	if (mm->rlim.stack != RLIM_INFINITY && size > mm->rlim.stack)
		return -ENOMEM;
	if ((vma->vm_flags & VM_LOCKED) && mm->rlim.memlock != RLIM_INFINITY &&
	    ((mm->locked_vm + grow) << PAGE_SHIFT) > mm->rlim.memlock)
		return -ENOMEM;
	return 0;
}

int expand_stack(struct kernel *k, struct vm_area_struct *vma, unsigned long addr)
{
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return -EFAULT;
	addr &= PAGE_MASK;
	if (addr < k->vm->mmap_min_addr)
		return -EPERM;
	if (addr >= vma->vm_start)
		return 0;
	struct vm_area_struct *prev = vma->vm_prev;
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(prev) &&
	    addr - prev->vm_end < k->vm->stack_guard_gap)
		return -ENOMEM;
	if (prev && prev->vm_end > addr)
		return -ENOMEM;
	unsigned long grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	int err = acct_stack_growth(vma, vma->vm_end - addr, grow);
	if (err)
		return err;
	if (vma->vm_flags & VM_LOCKED)
		vma->vm_mm->locked_vm += grow;
	vm_stat_account(vma->vm_mm, vma->vm_flags, (long)grow);
	vma->vm_start = addr;
	vma->vm_pgoff -= grow;
	return 0;
}

struct vm_area_struct *install_special_mapping(struct kernel *k, struct mm_struct *mm,
					       unsigned long addr, unsigned long len,
					       unsigned long vm_flags,
					       const struct vm_special_mapping *spec)
{
	/* Special mappings are never locked, whatever mlockall asked for. */
	vm_flags = (vm_flags | mm->def_flags | VM_DONTEXPAND) & ~(VM_LOCKED | VM_LOCKONFAULT);
	struct vm_area_struct *vma =
		new_vma(k, mm, NULL, addr, len, vm_flags, addr >> PAGE_SHIFT);
	if (!vma)
		return NULL;
	vma->vm_special = spec;
	vma_link(mm, vma);
	vm_stat_account(mm, vm_flags, (long)(len >> PAGE_SHIFT));
	return vma;
}

int setup_stack_vma(struct kernel *k, struct mm_struct *mm, unsigned long top,
		    unsigned long size)
{
	if ((top | size) & ~PAGE_MASK || !size || size > top || top > mm->task_size)
		return -EINVAL;
	if (find_vma_intersection(mm, top - size, top))
		return -EINVAL;
	unsigned long flags = VM_STACK_FLAGS | mm->def_flags;
	struct vm_area_struct *vma =
		new_vma(k, mm, NULL, top - size, size, flags, (top - size) >> PAGE_SHIFT);
	if (!vma)
		return -ENOMEM;
	vma_link(mm, vma);
	vm_stat_account(mm, flags, (long)(size >> PAGE_SHIFT));
	mm->start_stack = top;
	return 0;
}
