/*
 * VMAs of one address space: the sorted list, the AVL tree behind find_vma, splitting and
 * merging, as Linux's mm/vma.c (vma_merge, split_vma, vma_modify_flags) and mm/mmap.c
 * (find_vma, vm_stat_account, vm_get_page_prot).
 *
 * The tree is keyed by vm_start. VMAs never overlap, so ordering them by vm_start orders
 * them by vm_end too: changing a VMA's bounds in place (split, merge, stack growth) never
 * breaks the tree's order, and only insertion and removal rebalance it.
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"

/* ---- protection_map (arch/x86/mm/pgprot.c) ---- */

/* Private writable pages are mapped read-only (PAGE_COPY) until a write fault copies them;
 * every protection without VM_EXEC carries NX. */
static const uint64_t protection_map[16] = {
	[VM_NONE] = _PAGE_GLOBAL | _PAGE_ACCESSED,
	[VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_WRITE] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_WRITE | VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_EXEC] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_EXEC | VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_EXEC | VM_WRITE] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_EXEC | VM_WRITE | VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_SHARED] = _PAGE_GLOBAL | _PAGE_ACCESSED,
	[VM_SHARED | VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_SHARED | VM_WRITE] =
		_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_SHARED | VM_WRITE | VM_READ] =
		_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX,
	[VM_SHARED | VM_EXEC] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_SHARED | VM_EXEC | VM_READ] = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	[VM_SHARED | VM_EXEC | VM_WRITE] = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,
	[VM_SHARED | VM_EXEC | VM_WRITE | VM_READ] =
		_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,
};

pgprot_t vm_get_page_prot(unsigned long vm_flags)
{
	return __pgprot(protection_map[vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)]);
}

/* A shared writable file mapping starts its pages read-only so that the first write faults
 * and the page gets marked dirty (Linux's vma_wants_writenotify); shmem needs no tracking. */
static bool vma_wants_writenotify(const struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags;
	return (f & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED) && vma->vm_file &&
	       !file_is_shmem(vma->vm_file);
}

void vma_set_page_prot(struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags;
	if (vma_wants_writenotify(vma))
		f &= ~VM_SHARED;
	vma->vm_page_prot = vm_get_page_prot(f);
}

/* ---- accounting (mm/mmap.c) ---- */

static bool is_exec_mapping(unsigned long flags)
{
	return (flags & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC;
}

static bool is_stack_mapping(unsigned long flags)
{
	return (flags & VM_STACK) == VM_STACK;
}

static bool is_data_mapping(unsigned long flags)
{
	return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE;
}

void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm->total_vm += (unsigned long)npages;
	if (is_exec_mapping(flags))
		mm->exec_vm += (unsigned long)npages;
	else if (is_stack_mapping(flags))
		mm->stack_vm += (unsigned long)npages;
	else if (is_data_mapping(flags))
		mm->data_vm += (unsigned long)npages;
}

bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages)
{
	if (mm->rlim.as != RLIM_INFINITY && mm->total_vm + npages > mm->rlim.as >> PAGE_SHIFT)
		return false;
	if (is_data_mapping(flags) && mm->rlim.data != RLIM_INFINITY &&
	    mm->data_vm + npages > mm->rlim.data >> PAGE_SHIFT)
		return false;
	return true;
}

unsigned long vm_start_gap(const struct kernel *k, const struct vm_area_struct *vma)
{
	unsigned long start = vma->vm_start;
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return start;
	return start > k->vm->stack_guard_gap ? start - k->vm->stack_guard_gap : 0;
}

/* ---- the AVL tree ---- */

static int rb_height(const struct vm_area_struct *v)
{
	return v ? v->vm_rb.height : 0;
}

static void rb_update(struct vm_area_struct *v)
{
	int l = rb_height(v->vm_rb.left), r = rb_height(v->vm_rb.right);
	v->vm_rb.height = (l > r ? l : r) + 1;
}

static struct vm_area_struct *rb_rotate_right(struct vm_area_struct *v)
{
	struct vm_area_struct *l = v->vm_rb.left;
	v->vm_rb.left = l->vm_rb.right;
	l->vm_rb.right = v;
	rb_update(v);
	rb_update(l);
	return l;
}

static struct vm_area_struct *rb_rotate_left(struct vm_area_struct *v)
{
	struct vm_area_struct *r = v->vm_rb.right;
	v->vm_rb.right = r->vm_rb.left;
	r->vm_rb.left = v;
	rb_update(v);
	rb_update(r);
	return r;
}

/* Restores the AVL balance at v after one of its subtrees changed height by one. */
static struct vm_area_struct *rb_balance(struct vm_area_struct *v)
{
	rb_update(v);
	int bal = rb_height(v->vm_rb.left) - rb_height(v->vm_rb.right);
	if (bal > 1) {
		if (rb_height(v->vm_rb.left->vm_rb.left) < rb_height(v->vm_rb.left->vm_rb.right))
			v->vm_rb.left = rb_rotate_left(v->vm_rb.left);
		return rb_rotate_right(v);
	}
	if (bal < -1) {
		if (rb_height(v->vm_rb.right->vm_rb.right) < rb_height(v->vm_rb.right->vm_rb.left))
			v->vm_rb.right = rb_rotate_right(v->vm_rb.right);
		return rb_rotate_left(v);
	}
	return v;
}

static struct vm_area_struct *rb_insert(struct vm_area_struct *root, struct vm_area_struct *v)
{
	if (!root)
		return v;
	BUG_ON(v->vm_start == root->vm_start);
	if (v->vm_start < root->vm_start)
		root->vm_rb.left = rb_insert(root->vm_rb.left, v);
	else
		root->vm_rb.right = rb_insert(root->vm_rb.right, v);
	return rb_balance(root);
}

/* Detaches the leftmost node of root into *min; returns the remaining subtree. */
static struct vm_area_struct *rb_take_min(struct vm_area_struct *root,
					  struct vm_area_struct **min)
{
	if (!root->vm_rb.left) {
		*min = root;
		return root->vm_rb.right;
	}
	root->vm_rb.left = rb_take_min(root->vm_rb.left, min);
	return rb_balance(root);
}

static struct vm_area_struct *rb_erase(struct vm_area_struct *root, struct vm_area_struct *v)
{
	BUG_ON(!root);
	if (v->vm_start < root->vm_start) {
		root->vm_rb.left = rb_erase(root->vm_rb.left, v);
	} else if (v->vm_start > root->vm_start) {
		root->vm_rb.right = rb_erase(root->vm_rb.right, v);
	} else {
		BUG_ON(root != v);
		if (!v->vm_rb.left || !v->vm_rb.right)
			return v->vm_rb.left ? v->vm_rb.left : v->vm_rb.right;
		struct vm_area_struct *succ;
		struct vm_area_struct *right = rb_take_min(v->vm_rb.right, &succ);
		succ->vm_rb.left = v->vm_rb.left;
		succ->vm_rb.right = right;
		return rb_balance(succ);
	}
	return rb_balance(root);
}

/* ---- lookup ---- */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *c = mm->mmap_cache;
	if (c && c->vm_start <= addr && addr < c->vm_end)
		return c;
	struct vm_area_struct *best = NULL;
	for (struct vm_area_struct *v = mm->mm_rb; v;) {
		if (v->vm_end > addr) {
			best = v;
			if (v->vm_start <= addr)
				break;
			v = v->vm_rb.left;
		} else {
			v = v->vm_rb.right;
		}
	}
	if (best)
		mm->mmap_cache = best;
	return best;
}

static struct vm_area_struct *last_vma(struct mm_struct *mm)
{
	struct vm_area_struct *v = mm->mm_rb;
	while (v && v->vm_rb.right)
		v = v->vm_rb.right;
	return v;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	*pprev = vma ? vma->vm_prev : last_vma(mm);
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	if (vma && end <= vma->vm_start)
		return NULL;
	return vma;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	if (vma && addr < vma->vm_start)
		return NULL;
	return vma;
}

/* ---- linking ---- */

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = find_vma(mm, vma->vm_start);
	struct vm_area_struct *prev = next ? next->vm_prev : last_vma(mm);
	BUG_ON(next && next->vm_start < vma->vm_end);
	BUG_ON(prev && prev->vm_end > vma->vm_start);
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;
	vma->vm_rb = (struct vma_rb_node){NULL, NULL, 1};
	mm->mm_rb = rb_insert(mm->mm_rb, vma);
	mm->map_count++;
	i_mmap_insert(vma);
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	i_mmap_remove(vma);
	mm->mm_rb = rb_erase(mm->mm_rb, vma);
	if (vma->vm_prev)
		vma->vm_prev->vm_next = vma->vm_next;
	else
		mm->mmap = vma->vm_next;
	if (vma->vm_next)
		vma->vm_next->vm_prev = vma->vm_prev;
	if (mm->mmap_cache == vma)
		mm->mmap_cache = NULL;
	mm->map_count--;
}

/* ---- objects ---- */

struct vm_area_struct *vm_area_alloc(struct kernel *k, struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_zalloc(k, k->vm->vm_area_cachep, GFP_KERNEL);
	if (vma)
		vma->vm_mm = mm;
	return vma;
}

void vm_area_free(struct kernel *k, struct vm_area_struct *vma)
{
	kmem_cache_free(k, k->vm->vm_area_cachep, vma);
}

static void get_anon_vma(struct anon_vma *av)
{
	if (av)
		av->refcount++;
}

static void put_anon_vma(struct kernel *k, struct anon_vma *av)
{
	if (av && --av->refcount == 0) {
		BUG_ON(av->nr_pages);
		kmem_cache_free(k, k->vm->anon_vma_cachep, av);
	}
}

void remove_vma(struct kernel *k, struct vm_area_struct *vma)
{
	if (vma->vm_file)
		fput(k, vma->vm_file);
	put_anon_vma(k, vma->anon_vma);
	vm_area_free(k, vma);
}

/* A copy of vma (same file and anon_vma, each with a new reference), not linked. */
static struct vm_area_struct *vm_area_dup(struct kernel *k, struct vm_area_struct *vma)
{
	struct vm_area_struct *new = vm_area_alloc(k, vma->vm_mm);
	if (!new)
		return NULL;
	*new = *vma;
	new->vm_next = new->vm_prev = NULL;
	if (new->vm_file)
		get_file(new->vm_file);
	get_anon_vma(new->anon_vma);
	return new;
}

int __split_vma(struct kernel *k, struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	BUG_ON(addr <= vma->vm_start || addr >= vma->vm_end || (addr & ~PAGE_MASK));
	struct vm_area_struct *new = vm_area_dup(k, vma);
	if (!new)
		return -ENOMEM;
	unsigned long shift = (addr - vma->vm_start) >> PAGE_SHIFT;
	if (new_below) {
		new->vm_end = addr;
		vma->vm_start = addr;
		vma->vm_pgoff += shift;
	} else {
		new->vm_start = addr;
		new->vm_pgoff += shift;
		vma->vm_end = addr;
	}
	vma_link(vma->vm_mm, new);
	return 0;
}

int split_vma(struct kernel *k, struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	if (vma->vm_mm->map_count >= k->vm->max_map_count)
		return -ENOMEM;
	return __split_vma(k, vma, addr, new_below);
}

/* ---- merging (mm/vma.c) ---- */

/* What a range would be mapped as: the attributes merging compares. */
struct vma_attrs {
	unsigned long flags;
	struct file *file;
	struct anon_vma *anon_vma;
};

static bool anon_vma_compatible(const struct anon_vma *a, const struct anon_vma *b)
{
	return !a || !b || a == b;
}

static bool attrs_match(const struct vm_area_struct *vma, const struct vma_attrs *a)
{
	return ((vma->vm_flags ^ a->flags) & ~VM_IGNORE_MERGE) == 0 && vma->vm_file == a->file &&
	       !vma->vm_special && anon_vma_compatible(vma->anon_vma, a->anon_vma);
}

/* prev can be extended up to a range starting at pgoff (can_vma_merge_after). */
static bool can_merge_after(const struct vm_area_struct *prev, const struct vma_attrs *a,
			    unsigned long pgoff)
{
	return attrs_match(prev, a) && prev->vm_pgoff + vma_pages(prev) == pgoff;
}

/* next can be extended down over a range of npages starting at pgoff. */
static bool can_merge_before(const struct vm_area_struct *next, const struct vma_attrs *a,
			     unsigned long pgoff, unsigned long npages)
{
	return attrs_match(next, a) && next->vm_pgoff == pgoff + npages;
}

/* dst takes over src's anon_vma when it has none (src's pages join dst). */
static void merge_anon_vma(struct vm_area_struct *dst, const struct vm_area_struct *src)
{
	if (!dst->anon_vma && src->anon_vma) {
		dst->anon_vma = src->anon_vma;
		get_anon_vma(dst->anon_vma);
	}
}

static void vma_remove_merged(struct kernel *k, struct vm_area_struct *vma)
{
	vma_unlink(vma->vm_mm, vma);
	remove_vma(k, vma);
}

struct vm_area_struct *vma_merge_new(struct kernel *k, struct mm_struct *mm,
				     unsigned long addr, unsigned long end,
				     unsigned long vm_flags, struct file *file,
				     unsigned long pgoff, struct anon_vma *anon_vma)
{
	struct vm_area_struct *prev, *next = find_vma_prev(mm, addr, &prev);
	struct vma_attrs a = {vm_flags, file, anon_vma};
	unsigned long npages = (end - addr) >> PAGE_SHIFT;
	bool merge_prev = prev && prev->vm_end == addr && can_merge_after(prev, &a, pgoff);
	bool merge_next = next && next->vm_start == end &&
			  can_merge_before(next, &a, pgoff, npages);
	if (merge_prev && merge_next && !anon_vma_compatible(prev->anon_vma, next->anon_vma))
		merge_next = false;
	if (merge_prev) {
		prev->vm_end = merge_next ? next->vm_end : end;
		if (!prev->anon_vma && anon_vma) {
			prev->anon_vma = anon_vma;
			get_anon_vma(anon_vma);
		}
		if (merge_next) {
			merge_anon_vma(prev, next);
			vma_remove_merged(k, next);
		}
		return prev;
	}
	if (merge_next) {
		next->vm_start = addr;
		next->vm_pgoff = pgoff;
		if (!next->anon_vma && anon_vma) {
			next->anon_vma = anon_vma;
			get_anon_vma(anon_vma);
		}
		return next;
	}
	return NULL;
}

/*
 * [start, end) of vma gets new_flags. Merges with prev and/or next when they match the
 * result (Linux's vma_merge_existing_range), else splits vma so that one VMA covers exactly
 * [start, end) and gives it the flags.
 */
struct vm_area_struct *vma_modify_flags(struct kernel *k, struct vm_area_struct *prev,
					struct vm_area_struct *vma, unsigned long start,
					unsigned long end, unsigned long new_flags)
{
	struct vma_attrs a = {new_flags, vma->vm_file, vma->anon_vma};
	unsigned long pgoff = linear_page_index(vma, start);
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	struct vm_area_struct *next = end == vma->vm_end ? vma->vm_next : NULL;
	bool merge_prev = prev && start == vma->vm_start && prev->vm_end == start &&
			  can_merge_after(prev, &a, pgoff);
	bool merge_next = next && next->vm_start == end &&
			  can_merge_before(next, &a, pgoff, npages);
	if (merge_prev && merge_next && !anon_vma_compatible(prev->anon_vma, next->anon_vma))
		merge_next = false;

	if (merge_prev) {
		merge_anon_vma(prev, vma);
		if (merge_next) {
			merge_anon_vma(prev, next);
			prev->vm_end = next->vm_end;
			vma_remove_merged(k, next);
		} else {
			prev->vm_end = end;
		}
		if (end == vma->vm_end) {
			vma_remove_merged(k, vma);
		} else {
			vma->vm_pgoff += npages;
			vma->vm_start = end;
		}
		return prev;
	}
	if (merge_next) {
		merge_anon_vma(next, vma);
		/* vma leaves the tree before next takes its start: keys stay unique. */
		if (start == vma->vm_start)
			vma_remove_merged(k, vma);
		else
			vma->vm_end = start;
		next->vm_start = start;
		next->vm_pgoff = pgoff;
		return next;
	}
	if (start > vma->vm_start && split_vma(k, vma, start, 1) < 0)
		return NULL;
	if (end < vma->vm_end && split_vma(k, vma, end, 0) < 0)
		return NULL;
	vma->vm_flags = new_flags;
	vma_set_page_prot(vma);
	return vma;
}

struct vm_area_struct *copy_vma(struct kernel *k, struct vm_area_struct *vma,
				unsigned long addr, unsigned long len, unsigned long pgoff)
{
	struct vm_area_struct *new = vma_merge_new(k, vma->vm_mm, addr, addr + len,
						   vma->vm_flags, vma->vm_file, pgoff,
						   vma->anon_vma);
	if (new)
		return new;
	new = vm_area_dup(k, vma);
	if (!new)
		return NULL;
	new->vm_start = addr;
	new->vm_end = addr + len;
	new->vm_pgoff = pgoff;
	vma_link(vma->vm_mm, new);
	return new;
}

/*
 * The loop that mprotect, mlock and madvise share (Linux repeats it in each): the pieces of
 * [start, end) go to fn one VMA at a time. After fn, *prev is the VMA covering the piece,
 * which may have merged with the next VMA and so covers part of the range already done.
 */
int walk_vma_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		   unsigned long end, enum vma_hole_policy holes, vma_range_fn fn, void *arg)
{
	struct vm_area_struct *prev = start > vma->vm_start ? vma : vma->vm_prev;
	int unmapped_error = 0;
	for (;;) {
		if (start < vma->vm_start) {
			if (holes == VMA_HOLE_FAILS)
				return -ENOMEM;
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				return unmapped_error;
		}
		unsigned long tmp = vma->vm_end < end ? vma->vm_end : end;
		int err = fn(k, vma, &prev, start, tmp, arg);
		if (err)
			return err;
		start = tmp;
		if (prev->vm_end > start)
			start = prev->vm_end < end ? prev->vm_end : end;
		if (start >= end)
			return unmapped_error;
		vma = prev->vm_next;
		if (!vma)
			return -ENOMEM;
	}
}
