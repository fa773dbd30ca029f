/*
 * Reverse mapping, as Linux's mm/rmap.c (rmap_walk_anon, rmap_walk_file,
 * folio_referenced, try_to_unmap): from a page to the ptes that map it.
 *
 *   anonymous page: page->mapping = anon_vma | PAGE_MAPPING_ANON, page->index = the page's
 *     offset in the VMA family's linear space (vm_pgoff units). Every VMA with that
 *     anon_vma belongs to anon_vma->mm (there is no fork yet, so no anon_vma chains); the
 *     walk visits that mm's VMAs with this anon_vma whose pgoff range holds the index.
 *   file page: page->mapping = the file's address_space, page->index = the file offset in
 *     pages; the walk visits the VMAs on the address_space's i_mmap list whose pgoff range
 *     holds the index.
 *
 * In both cases the address is vm_start + ((index - vm_pgoff) << PAGE_SHIFT), and a pte is
 * only taken when it really maps the page's frame, so a VMA caught halfway through a change
 * (mremap moving its ptes) is simply passed over.
 */
#include "kernel-sim/swap.h"

#include <errno.h>

#include "kernel-sim/kernel.h"

void i_mmap_insert(struct vm_area_struct *vma)
{
	vma->shared.next = NULL;
	vma->shared.prev = NULL;
	if (vma->vm_file)
		list_add_tail(&vma->shared, &vma->vm_file->f_inode->i_data.i_mmap);
}

void i_mmap_remove(struct vm_area_struct *vma)
{
	if (!vma->shared.next)
		return;
	list_del(&vma->shared);
	vma->shared.next = NULL;
	vma->shared.prev = NULL;
}

unsigned long vma_address(const struct page *page, const struct vm_area_struct *vma)
{
	if (page->index < vma->vm_pgoff || page->index - vma->vm_pgoff >= vma_pages(vma))
		return (unsigned long)-EFAULT;
	return vma->vm_start + ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
}

/* Calls fn on vma's pte for page when it maps the page. False: the walk should stop. */
static bool rmap_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
		     rmap_one_fn fn, void *arg)
{
	unsigned long address = vma_address(page, vma);
	if (address == (unsigned long)-EFAULT)
		return true;
	pte_t *pte = mm_find_pte(k, vma->vm_mm, address);
	if (!pte || !(pte_val(*pte) & (_PAGE_PRESENT | _PAGE_GLOBAL)) ||
	    pte_pfn(*pte) != page_to_pfn(k, page))
		return true;
	return fn(k, page, vma, address, pte, arg);
}

static void rmap_walk_anon(struct kernel *k, struct page *page, rmap_one_fn fn, void *arg)
{
	struct anon_vma *av = (struct anon_vma *)((uintptr_t)page->mapping & ~PAGE_MAPPING_ANON);
	if (!av)
		return;
	for (struct vm_area_struct *vma = av->mm->mmap; vma; vma = vma->vm_next)
		if (vma->anon_vma == av && !rmap_one(k, page, vma, fn, arg))
			return;
}

static void rmap_walk_file(struct kernel *k, struct page *page, rmap_one_fn fn, void *arg)
{
	struct address_space *as = page->mapping;
	struct vm_area_struct *vma;
	if (!as)
		return;
	list_for_each_entry(vma, &as->i_mmap, shared) if (!rmap_one(k, page, vma, fn, arg)) return;
}

void rmap_walk(struct kernel *k, struct page *page, rmap_one_fn fn, void *arg)
{
	if (!page_mapped(page))
		return;
	if (PageAnon(page))
		rmap_walk_anon(k, page, fn, arg);
	else
		rmap_walk_file(k, page, fn, arg);
}

/* ---- page_referenced ---- */

struct referenced_arg {
	int mapcount;		/* mappings not yet visited */
	int referenced;		/* young ptes found */
	unsigned long vm_flags; /* flags of the VMAs that had them */
};

/* Linux's folio_referenced_one: test and clear the Accessed bit; the TLB may hold the
 * translation with A already set, so it must be flushed or the MMU would never set A
 * again (ptep_clear_flush_young). */
static bool referenced_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
			   unsigned long address, pte_t *pte, void *arg)
{
	struct referenced_arg *ra = arg;
	(void)page;
	if (pte_val(*pte) & _PAGE_ACCESSED) {
		pte_val(*pte) &= ~_PAGE_ACCESSED;
		flush_tlb_mm_range(k, vma->vm_mm, address, address + PAGE_SIZE);
		/* A sequential-read VMA's pages are used once: their A bit does not count. */
		if (!(vma->vm_flags & VM_SEQ_READ)) {
			ra->referenced++;
			ra->vm_flags |= vma->vm_flags;
		}
	}
	return --ra->mapcount > 0;
}

int page_referenced(struct kernel *k, struct page *page, unsigned long *vm_flags)
{
	struct referenced_arg ra = {page_mapcount(page), 0, 0};
	*vm_flags = 0;
	if (!page_mapped(page))
		return 0;
	rmap_walk(k, page, referenced_one, &ra);
	*vm_flags = ra.vm_flags;
	return ra.referenced;
}

/* ---- mlock ---- */

static bool locked_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
		       unsigned long address, pte_t *pte, void *arg)
{
	(void)k, (void)page, (void)address, (void)pte;
	if (!(vma->vm_flags & VM_LOCKED))
		return true;
	*(bool *)arg = true;
	return false;
}

bool page_mapped_in_locked_vma(struct kernel *k, struct page *page)
{
	bool locked = false;
	rmap_walk(k, page, locked_one, &locked);
	return locked;
}

/* ---- try_to_unmap ---- */

/* Linux's try_to_unmap_one: the pte goes (a swap entry in its place for an anonymous
 * page), its Dirty bit moves to the page, the mapping's counters drop. */
static bool unmap_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
		      unsigned long address, pte_t *ptep, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = *ptep;
	(void)arg;
	if (pte_val(pte) & _PAGE_DIRTY)
		set_page_dirty(k, page);
	if (PageAnon(page)) {
		swp_entry_t entry = page_swap_entry(page);
		BUG_ON(!PageSwapCache(page));
		swap_duplicate(k, entry);
		set_pte(ptep, swp_entry_to_pte(entry));
		mm->rss_stat[MM_ANONPAGES]--;
		mm->rss_stat[MM_SWAPENTS]++;
	} else {
		pte_clear(ptep);
		mm->rss_stat[PageFlag(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES]--;
	}
	flush_tlb_mm_range(k, mm, address, address + PAGE_SIZE);
	page_remove_rmap(k, page);
	page->_refcount--; /* the mapping's reference; the caller still holds one */
	trace_page_ref(k, page);
	BUG_ON(page->_refcount < 1);
	return page_mapped(page);
}

bool try_to_unmap(struct kernel *k, struct page *page)
{
	BUG_ON(PageAnon(page) && !PageSwapCache(page));
	rmap_walk(k, page, unmap_one, NULL);
	return !page_mapped(page);
}

/* ---- page_mkclean ---- */

/* Linux's page_mkclean_one: a writable or dirty pte becomes read-only and clean, so the
 * next store faults (wp_page_shared) and dirties the page again; the old translation must
 * leave the TLBs, or stores through it would go on without setting Dirty. */
static bool mkclean_one(struct kernel *k, struct page *page, struct vm_area_struct *vma,
			unsigned long address, pte_t *pte, void *arg)
{
	bool *dirty = arg;
	(void)page;
	if (!(pte_val(*pte) & (_PAGE_RW | _PAGE_DIRTY)))
		return true;
	if (pte_val(*pte) & _PAGE_DIRTY)
		*dirty = true;
	pte_val(*pte) &= ~(uint64_t)(_PAGE_RW | _PAGE_DIRTY);
	flush_tlb_mm_range(k, vma->vm_mm, address, address + PAGE_SIZE);
	return true;
}

bool page_mkclean(struct kernel *k, struct page *page)
{
	bool dirty = false;
	BUG_ON(PageAnon(page));
	rmap_walk(k, page, mkclean_one, &dirty);
	return dirty;
}
