/*
 * The page-fault path and user page-table maintenance, as Linux's mm/memory.c
 * (handle_mm_fault, __handle_mm_fault, handle_pte_fault, do_anonymous_page, do_fault,
 * do_read_fault, do_fault_around, do_cow_fault, do_shared_fault, do_wp_page,
 * zap_pte_range), mm/rmap.c's accounting, mm/gup.c's populate and arch/x86/mm/fault.c's
 * do_user_addr_fault:
 *
 *   #PF (CR2, error code)
 *    -> do_user_addr_fault: kernel address? find_vma, expand_stack, access_error
 *    -> handle_mm_fault -> __handle_mm_fault: pgd -> p4d/pud/pmd/pte allocated as needed
 *    -> handle_pte_fault:
 *         pte none, anonymous VMA  -> do_anonymous_page (zero page, or a new zeroed page)
 *         pte none, file VMA       -> do_fault: do_read_fault (with fault-around),
 *                                     do_cow_fault (private write), do_shared_fault
 *         pte holds a swap entry   -> do_swap_page (the swap cache, or read it in)
 *         pte present, write, RO   -> do_wp_page (reuse an exclusive anon page, or copy)
 *
 * A mapped page's refcount holds one reference per mapping, plus the page cache's for file
 * pages (an anonymous page's allocation reference is its first mapping's). _mapcount counts
 * mappings from -1. The zero page is never counted in RSS or refcounts, as Linux's
 * vm_normal_page() leaves it out.
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"

/* What one fault works on (Linux's struct vm_fault). */
struct vm_fault {
	struct vm_area_struct *vma;  /* the VMA the address lies in */
	unsigned long address;       /* faulting address, page aligned */
	unsigned int flags;          /* FAULT_FLAG_* */
	unsigned long pgoff;         /* page offset of address in the VMA's object */
	pte_t *pte;                  /* the pte slot for address */
	pte_t orig_pte;              /* its value when the fault began */
};

/* A pte that maps something: present, or PROT_NONE (Linux's pte_present with PROTNONE). */
static bool pte_mapped(pte_t pte)
{
	return pte_val(pte) & (_PAGE_PRESENT | _PAGE_GLOBAL);
}

static unsigned long zero_pfn(const struct kernel *k)
{
	return page_to_pfn(k, k->vm->zero_page);
}

/* The struct page a pte maps, or NULL for the zero page (vm_normal_page). */
static struct page *vm_normal_page(struct kernel *k, pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);
	if (pfn == zero_pfn(k) || !pfn_valid(k, pfn))
		return NULL;
	return pfn_to_page(k, pfn);
}

static int mm_counter_file(const struct page *page)
{
	return PageFlag(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

static int mm_counter(const struct page *page)
{
	return PageAnon(page) ? MM_ANONPAGES : mm_counter_file(page);
}

static void add_mm_counter(struct mm_struct *mm, int member, long v)
{
	mm->rss_stat[member] += v;
}

/* ---- rmap accounting (mm/rmap.c) ---- */

static struct anon_vma *page_anon_vma(const struct page *page)
{
	return (struct anon_vma *)((uintptr_t)page->mapping & ~PAGE_MAPPING_ANON);
}

/* Gives vma an anon_vma before its first anonymous page (anon_vma_prepare). */
static int anon_vma_prepare(struct kernel *k, struct vm_area_struct *vma)
{
	if (vma->anon_vma)
		return 0;
	struct anon_vma *av = kmem_cache_zalloc(k, k->vm->anon_vma_cachep, GFP_KERNEL);
	if (!av)
		return -ENOMEM;
	av->refcount = 1;
	av->mm = vma->vm_mm;
	vma->anon_vma = av;
	return 0;
}

/* A freshly allocated page becomes vma's anonymous page at address. */
static void page_add_new_anon_rmap(struct kernel *k, struct page *page,
				   struct vm_area_struct *vma, unsigned long address)
{
	page->mapping = (void *)((uintptr_t)vma->anon_vma | PAGE_MAPPING_ANON);
	page->index = linear_page_index(vma, address);
	page->_mapcount = 0;
	trace_page_ref(k, page);
	page->owner = (uint32_t)vma->vm_mm->pid;
	SetPageFlag(page, PG_swapbacked);
	vma->anon_vma->nr_pages++;
	__mod_node_page_state(page_pgdat(k, page), NR_ANON_MAPPED, 1);
}

static void page_add_file_rmap(struct kernel *k, struct page *page)
{
	trace_page_ref(k, page);
	if (++page->_mapcount == 0)
		__mod_node_page_state(page_pgdat(k, page), NR_FILE_MAPPED, 1);
}

void page_remove_rmap(struct kernel *k, struct page *page)
{
	BUG_ON(page->_mapcount < 0);
	trace_page_ref(k, page);
	if (--page->_mapcount >= 0)
		return;
	if (PageAnon(page)) {
		page_anon_vma(page)->nr_pages--;
		__mod_node_page_state(page_pgdat(k, page), NR_ANON_MAPPED, -1);
	} else {
		__mod_node_page_state(page_pgdat(k, page), NR_FILE_MAPPED, -1);
	}
}

/* Marks a file page dirty (Linux's folio_mark_dirty with its accounting; shmem pages have
 * no writeback and are not counted as dirty). */
void set_page_dirty(struct kernel *k, struct page *page)
{
	if (PageFlag(page, PG_dirty))
		return;
	SetPageFlag(page, PG_dirty);
	if (PageAnon(page) || PageFlag(page, PG_swapbacked))
		return;
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_DIRTY, 1);
	__mod_node_page_state(page_pgdat(k, page), NR_DIRTIED, 1);
	__mod_zone_page_state(page_zone(k, page), NR_ZONE_WRITE_PENDING, 1);
}

/* Drops a mapping's page reference; the last one frees the page (and takes it off its LRU
 * list). */
static void put_user_page(struct kernel *k, struct page *page)
{
	__free_page(k, page);
}

/* ---- page-table walking for user addresses ---- */

pte_t *mm_find_pte(struct kernel *k, struct mm_struct *mm, unsigned long addr)
{
	enum pg_level level;
	pte_t *pte = lookup_address_in_pgd(k, mm->pgd, addr, &level);
	return pte && level == PG_LEVEL_4K ? pte : NULL;
}

/* The pte slot for addr, allocating the table levels on the way (NULL: out of memory). */
static pte_t *mm_alloc_pte(struct kernel *k, struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset_pgd(k, mm->pgd, addr);
	p4d_t *p4d = p4d_alloc(k, pgd, addr);
	pud_t *pud = p4d ? pud_alloc(k, p4d, addr) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(k, pud, addr) : NULL;
	pte_t *pte = pmd ? pte_alloc_map(k, pmd, addr) : NULL;
	if (pte && !virt_to_page(k, pte)->owner)
		virt_to_page(k, pte)->owner = (uint32_t)mm->pid;
	return pte;
}

/* Next address to look at after addr when no pte table covers it. */
static unsigned long skip_missing(struct kernel *k, struct mm_struct *mm, unsigned long addr)
{
	enum pg_level level;
	pte_t *pte = lookup_address_in_pgd(k, mm->pgd, addr, &level);
	/* A missing pgd or p4d entry both report PG_LEVEL_512G: step by the smaller span. */
	unsigned long size = level == PG_LEVEL_2M   ? PMD_SIZE
			     : level == PG_LEVEL_1G ? PUD_SIZE
						    : 1UL << P4D_SHIFT;
	BUG_ON(pte && level == PG_LEVEL_4K);
	return (addr & ~(size - 1)) + size;
}

/* Calls fn on every non-empty pte of [start, end) in mm; skips missing tables wholesale. */
static void walk_ptes(struct kernel *k, struct mm_struct *mm, unsigned long start,
		      unsigned long end, void (*fn)(struct kernel *, struct vm_area_struct *,
						    unsigned long, pte_t *, void *),
		      struct vm_area_struct *vma, void *arg)
{
	unsigned long addr = start;
	while (addr < end) {
		pte_t *pte = mm_find_pte(k, mm, addr);
		if (!pte) {
			addr = skip_missing(k, mm, addr);
			continue;
		}
		unsigned long stop = (addr & PMD_MASK) + PMD_SIZE;
		for (; addr < end && addr < stop; addr += PAGE_SIZE, pte++)
			if (!pte_none(*pte))
				fn(k, vma, addr, pte, arg);
	}
}

/* ---- unmapping ---- */

static void zap_one(struct kernel *k, struct vm_area_struct *vma, unsigned long addr,
		    pte_t *ptep, void *arg)
{
	pte_t pte = *ptep;
	pte_clear(ptep);
	if (is_swap_pte(pte)) {
		add_mm_counter(vma->vm_mm, MM_SWAPENTS, -1);
		free_swap_and_cache(k, pte_to_swp_entry(pte));
		return;
	}
	struct page *page = pte_mapped(pte) ? vm_normal_page(k, pte) : NULL;
	if (!page)
		return;
	add_mm_counter(vma->vm_mm, mm_counter(page), -1);
	if (!PageAnon(page) && (pte_val(pte) & _PAGE_DIRTY))
		set_page_dirty(k, page);
	page_remove_rmap(k, page);
	if (vma->vm_flags & VM_LOCKED)
		munlock_page(k, page); /* stays mlocked while another locked VMA maps it */
	/* Its last mapping gone, a page's swap copy is of no use (free_swap_cache). */
	if (PageSwapCache(page) && !page_mapped(page) && !PageFlag(page, PG_locked))
		try_to_free_swap(k, page);
	put_user_page(k, page);
}

void zap_page_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		    unsigned long end)
{
	walk_ptes(k, vma->vm_mm, start, end, zap_one, vma, NULL);
	flush_tlb_mm_range(k, vma->vm_mm, start, end);
}

/* ---- mlock's pte walk ---- */

static void mlock_one(struct kernel *k, struct vm_area_struct *vma, unsigned long addr,
		      pte_t *ptep, void *arg)
{
	(void)vma, (void)addr;
	struct page *page = pte_mapped(*ptep) ? vm_normal_page(k, *ptep) : NULL;
	if (!page)
		return;
	if (*(bool *)arg)
		mlock_page(k, page);
	else
		munlock_page(k, page);
}

void mlock_vma_pages_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, bool lock)
{
	walk_ptes(k, vma->vm_mm, start, end, mlock_one, vma, &lock);
}

/* ---- mprotect's pte update ---- */

/* mprotect may make a pte writable at once when no copy or dirty tracking is needed:
 * an exclusive dirty anonymous page, or a dirty page of a tracked shared mapping
 * (Linux's can_change_pte_writable). */
static bool can_change_pte_writable(struct kernel *k, struct vm_area_struct *vma, pte_t pte)
{
	if (!(vma->vm_flags & VM_WRITE) || !(pte_val(pte) & _PAGE_DIRTY))
		return false;
	struct page *page = vm_normal_page(k, pte);
	if (!page)
		return false;
	if (vma->vm_flags & VM_SHARED)
		return true;
	return PageAnon(page) && page_mapcount(page) == 1 && page_count(page) == 1;
}

static void change_one(struct kernel *k, struct vm_area_struct *vma, unsigned long addr,
		       pte_t *ptep, void *arg)
{
	pte_t pte = *ptep;
	if (!pte_mapped(pte))
		return;
	uint64_t keep = pte_val(pte) & (_PAGE_DIRTY | _PAGE_ACCESSED);
	pte_t new = pfn_pte(pte_pfn(pte), vma->vm_page_prot);
	pte_val(new) |= keep;
	if (pte_val(new) & _PAGE_PRESENT && can_change_pte_writable(k, vma, new))
		pte_val(new) |= _PAGE_RW;
	set_pte(ptep, new);
}

void change_protection(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end)
{
	walk_ptes(k, vma->vm_mm, start, end, change_one, vma, NULL);
	flush_tlb_mm_range(k, vma->vm_mm, start, end);
}

/* ---- mremap's pte move ---- */

unsigned long move_page_tables(struct kernel *k, struct vm_area_struct *vma,
			       unsigned long old_addr, struct vm_area_struct *new_vma,
			       unsigned long new_addr, unsigned long len)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long done;
	for (done = 0; done < len; done += PAGE_SIZE) {
		pte_t *old = mm_find_pte(k, mm, old_addr + done);
		if (!old || pte_none(*old))
			continue;
		pte_t *new = mm_alloc_pte(k, mm, new_addr + done);
		if (!new)
			break;
		old = mm_find_pte(k, mm, old_addr + done);
		set_pte(new, *old);
		pte_clear(old);
	}
	flush_tlb_mm_range(k, mm, old_addr, old_addr + len);
	return done;
}

/* ---- the fault handlers ---- */

/* Sets the fault's pte over a present one and drops the old translation (Linux's
 * ptep_clear_flush / ptep_set_access_flags). */
static void set_pte_flush(struct kernel *k, struct vm_fault *vmf, pte_t pte)
{
	set_pte(vmf->pte, pte);
	flush_tlb_mm_range(k, vmf->vma->vm_mm, vmf->address, vmf->address + PAGE_SIZE);
}

/* The entry mapping page in vma; writable and dirty for a write (maybe_mkwrite). */
static pte_t mk_fault_pte(struct kernel *k, struct vm_area_struct *vma, struct page *page,
			  bool write)
{
	pte_t entry = pfn_pte(page_to_pfn(k, page), vma->vm_page_prot);
	if (write && (vma->vm_flags & VM_WRITE))
		pte_val(entry) |= _PAGE_RW | _PAGE_DIRTY;
	return entry;
}

static vm_fault_t do_anonymous_page(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		pte_t entry = pfn_pte(zero_pfn(k), vma->vm_page_prot);
		pte_val(entry) &= ~_PAGE_RW;
		set_pte(vmf->pte, entry);
		return 0;
	}
	if (anon_vma_prepare(k, vma) < 0)
		return VM_FAULT_OOM;
	struct page *page = alloc_page(k, GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	page_add_new_anon_rmap(k, page, vma, vmf->address);
	lru_cache_add_vma(k, page, vma);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	set_pte(vmf->pte, mk_fault_pte(k, vma, page, true));
	return 0;
}

/* Maps a page-cache page at the fault's pte (Linux's finish_fault / set_pte_range). */
static void map_file_page(struct kernel *k, struct vm_area_struct *vma, pte_t *pte,
			  struct page *page, bool write)
{
	get_page(page); /* page_add_file_rmap traces both counts */
	page_add_file_rmap(k, page);
	add_mm_counter(vma->vm_mm, mm_counter_file(page), 1);
	if (write)
		set_page_dirty(k, page);
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(k, page); /* already cached, so not placed by lru_cache_add_vma */
	set_pte(pte, mk_fault_pte(k, vma, page, write));
}

/*
 * Maps the already cached pages of a window around the fault, within the VMA, the pte
 * table and the file (Linux's do_fault_around + filemap_map_pages): fault_around_bytes
 * aligned, so one fault maps up to 16 pages a later access would fault on. True when the
 * faulting page itself got mapped.
 */
static bool do_fault_around(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long nr = k->vm->fault_around_bytes >> PAGE_SHIFT;
	unsigned long pte_off = pte_index(vmf->address);
	unsigned long vma_off = vmf->pgoff - vma->vm_pgoff;
	unsigned long from = pte_off & ~(nr - 1);
	unsigned long lo = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	if (from < lo)
		from = lo;
	unsigned long to = from + nr;
	if (to > PTRS_PER_PTE)
		to = PTRS_PER_PTE;
	if (to > pte_off + vma_pages(vma) - vma_off)
		to = pte_off + vma_pages(vma) - vma_off;
	unsigned long eof = file_pages(vma->vm_file);
	pte_t *base = vmf->pte - pte_off;
	for (unsigned long i = from; i < to; i++) {
		unsigned long pgoff = vmf->pgoff + i - pte_off;
		struct page *page = pgoff < eof ? find_get_page(vma->vm_file, pgoff) : NULL;
		if (page && pte_none(base[i]))
			map_file_page(k, vma, &base[i], page, false);
	}
	return !pte_none(*vmf->pte);
}

static vm_fault_t do_read_fault(struct kernel *k, struct vm_fault *vmf)
{
	if (k->vm->fault_around_bytes >> PAGE_SHIFT > 1 && do_fault_around(k, vmf))
		return 0;
	bool major = false;
	struct page *page = filemap_get_page(k, vmf->vma->vm_file, vmf->pgoff, vmf->vma, &major);
	if (!page)
		return VM_FAULT_OOM;
	map_file_page(k, vmf->vma, vmf->pte, page, false);
	return major ? VM_FAULT_MAJOR : 0;
}

/* A private write to a file page: the VMA gets an anonymous copy; the file page stays. */
static vm_fault_t do_cow_fault(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	if (anon_vma_prepare(k, vma) < 0)
		return VM_FAULT_OOM;
	bool major = false;
	struct page *src = filemap_get_page(k, vma->vm_file, vmf->pgoff, vma, &major);
	if (!src)
		return VM_FAULT_OOM;
	/* Reclaim inside the allocation must not drop the page we copy from. */
	bool locked = trylock_page(src);
	struct page *page = alloc_page(k, GFP_HIGHUSER_MOVABLE);
	if (locked)
		unlock_page(src);
	if (!page)
		return VM_FAULT_OOM;
	memcpy(page_address(k, page), page_address(k, src), PAGE_SIZE);
	page_add_new_anon_rmap(k, page, vma, vmf->address);
	lru_cache_add_vma(k, page, vma);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	set_pte(vmf->pte, mk_fault_pte(k, vma, page, true));
	return major ? VM_FAULT_MAJOR : 0;
}

static vm_fault_t do_shared_fault(struct kernel *k, struct vm_fault *vmf)
{
	bool major = false;
	struct page *page = filemap_get_page(k, vmf->vma->vm_file, vmf->pgoff, vmf->vma, &major);
	if (!page)
		return VM_FAULT_OOM;
	map_file_page(k, vmf->vma, vmf->pte, page, true);
	return major ? VM_FAULT_MAJOR : 0;
}

static vm_fault_t do_fault(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	if (vmf->pgoff >= file_pages(vma->vm_file))
		return VM_FAULT_SIGBUS;
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(k, vmf);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(k, vmf);
	return do_shared_fault(k, vmf);
}

/* Copy-on-write: the VMA gets its own copy of old (NULL: the zero page). */
static vm_fault_t wp_page_copy(struct kernel *k, struct vm_fault *vmf, struct page *old)
{
	struct vm_area_struct *vma = vmf->vma;
	if (anon_vma_prepare(k, vma) < 0)
		return VM_FAULT_OOM;
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | (old ? 0 : __GFP_ZERO);
	bool locked = old && trylock_page(old);
	struct page *page = alloc_page(k, gfp);
	if (locked)
		unlock_page(old);
	if (!page)
		return VM_FAULT_OOM;
	if (pte_val(*vmf->pte) != pte_val(vmf->orig_pte)) {
		/* Reclaim inside the allocation unmapped the page: retry the access. */
		__free_page(k, page);
		return 0;
	}
	if (old)
		memcpy(page_address(k, page), page_address(k, old), PAGE_SIZE);
	page_add_new_anon_rmap(k, page, vma, vmf->address);
	lru_cache_add_vma(k, page, vma);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	set_pte_flush(k, vmf, mk_fault_pte(k, vma, page, true));
	if (old) {
		add_mm_counter(vma->vm_mm, mm_counter(old), -1);
		page_remove_rmap(k, old);
		put_user_page(k, old);
	}
	return 0;
}

/* A write to a present read-only pte of a VMA that allows writing. */
static vm_fault_t do_wp_page(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct page *page = vm_normal_page(k, vmf->orig_pte);
	uint64_t mkwrite = _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED;
	if (vma->vm_flags & VM_SHARED) {
		/* wp_page_shared: the first write to a tracked shared page dirties it. */
		if (page)
			set_page_dirty(k, page);
		set_pte_flush(k, vmf, __pte(pte_val(vmf->orig_pte) | mkwrite));
		return 0;
	}
	if (page && PageAnon(page) && PageSwapCache(page) && page_mapcount(page) == 1)
		try_to_free_swap(k, page); /* the copy in swap is about to be stale */
	if (page && PageAnon(page) && page_mapcount(page) == 1 && page_count(page) == 1) {
		/* wp_page_reuse: nobody else sees this page, no copy needed. */
		count_vm_event(k, PGREUSE);
		set_pte_flush(k, vmf, __pte(pte_val(vmf->orig_pte) | mkwrite));
		return 0;
	}
	return wp_page_copy(k, vmf, page);
}

/*
 * The pte holds a swap entry (Linux's do_swap_page): the page comes from the swap cache,
 * or is read from the swap area with readahead (a major fault). It becomes the VMA's
 * anonymous page again; when no other pte holds the slot, the slot is freed and the page
 * leaves the swap cache, so its only copy is in RAM (reclaim will write it again).
 */
static vm_fault_t do_swap_page(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	swp_entry_t entry = pte_to_swp_entry(vmf->orig_pte);
	vm_fault_t ret = 0;
	if (!swp_swap_info(k, entry) || swap_count(k, entry) == 0)
		return VM_FAULT_SIGBUS; /* Linux: "Bad swap entry" */
	if (anon_vma_prepare(k, vma) < 0)
		return VM_FAULT_OOM;
	bool major = false;
	struct page *page = swapin_fault_page(k, entry, &major);
	if (!page)
		return VM_FAULT_OOM;
	if (major)
		ret = VM_FAULT_MAJOR;
	if (pte_val(*vmf->pte) != pte_val(vmf->orig_pte))
		return ret; /* changed under us: retry the access */
	get_page(page); /* page_add_new_anon_rmap traces both counts */
	page_add_new_anon_rmap(k, page, vma, vmf->address);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	add_mm_counter(vma->vm_mm, MM_SWAPENTS, -1);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	set_pte(vmf->pte, mk_fault_pte(k, vma, page, write));
	swap_free(k, entry);
	try_to_free_swap(k, page);
	return ret;
}

/* A kernel-installed mapping: its own page at this offset (Linux's special_mapping_fault). */
static vm_fault_t do_special_fault(struct kernel *k, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long pgoff = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	if (pgoff >= vma->vm_special->nr_pages)
		return VM_FAULT_SIGBUS;
	map_file_page(k, vma, vmf->pte, vma->vm_special->pages[pgoff], false);
	return 0;
}

static vm_fault_t handle_pte_fault(struct kernel *k, struct vm_fault *vmf)
{
	vmf->orig_pte = *vmf->pte;
	if (pte_none(vmf->orig_pte) && vmf->vma->vm_special)
		return do_special_fault(k, vmf);
	if (pte_none(vmf->orig_pte))
		return vma_is_anonymous(vmf->vma) ? do_anonymous_page(k, vmf) : do_fault(k, vmf);
	if (is_swap_pte(vmf->orig_pte))
		return do_swap_page(k, vmf);
	if (!(pte_val(vmf->orig_pte) & _PAGE_PRESENT))
		return 0; /* PROT_NONE pte of an accessible VMA: nothing to do (no NUMA hinting) */
	if ((vmf->flags & FAULT_FLAG_WRITE) && !pte_write(vmf->orig_pte))
		return do_wp_page(k, vmf);
	/* Spurious: another path mapped it already. Mark it young (and dirty). */
	uint64_t v = pte_val(vmf->orig_pte) | _PAGE_ACCESSED;
	if (vmf->flags & FAULT_FLAG_WRITE)
		v |= _PAGE_DIRTY;
	set_pte_flush(k, vmf, __pte(v));
	return 0;
}

/* Linux's mm_account_fault: every fault counts in PGFAULT, successful ones as minor or
 * major in the mm. */
static void mm_account_fault(struct kernel *k, struct mm_struct *mm, vm_fault_t ret)
{
	count_vm_event(k, PGFAULT);
	if (ret & VM_FAULT_ERROR)
		return;
	if (ret & VM_FAULT_MAJOR)
		mm->maj_flt++;
	else
		mm->min_flt++;
}

vm_fault_t handle_mm_fault(struct kernel *k, struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	vm_fault_t ret;
	BUG_ON(address < vma->vm_start || address >= vma->vm_end);
	if ((flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_WRITE)) {
		ret = VM_FAULT_SIGSEGV;
	} else {
		struct vm_fault vmf = {
			.vma = vma,
			.address = address & PAGE_MASK,
			.flags = flags,
			.pgoff = linear_page_index(vma, address),
			.pte = mm_alloc_pte(k, mm, address),
		};
		ret = vmf.pte ? handle_pte_fault(k, &vmf) : VM_FAULT_OOM;
	}
	mm_account_fault(k, mm, ret);
	if (get_mm_rss(mm) > mm->hiwater_rss)
		mm->hiwater_rss = get_mm_rss(mm);
	return ret;
}

/* ---- populate (mm/gup.c) ---- */

/* Faults in one VMA's part of [start, end): get_user_pages without the pages. */
static int populate_vma_page_range(struct kernel *k, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end)
{
	bool write = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		pte_t *pte = mm_find_pte(k, vma->vm_mm, addr);
		if (pte && (pte_val(*pte) & _PAGE_PRESENT) && (!write || pte_write(*pte)))
			continue;
		vm_fault_t ret = handle_mm_fault(k, vma, addr, write ? FAULT_FLAG_WRITE : 0);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & VM_FAULT_ERROR)
			return -EFAULT;
	}
	return 0;
}

int mm_populate(struct kernel *k, struct mm_struct *mm, unsigned long start,
		unsigned long len)
{
	unsigned long end = start + len;
	for (struct vm_area_struct *vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = vma->vm_next) {
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP | VM_LOCKONFAULT)) ||
		    !vma_is_accessible(vma))
			continue;
		unsigned long s = vma->vm_start > start ? vma->vm_start : start;
		unsigned long e = vma->vm_end < end ? vma->vm_end : end;
		int err = populate_vma_page_range(k, vma, s, e);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the x86 #PF handler (arch/x86/mm/fault.c) ---- */

/* Linux's access_error: may this VMA take this access? Execution is not checked here, as
 * on Linux: an instruction fetch from a not-present page of a non-executable VMA maps the
 * page NX, and the retried fetch then faults with P|I, which X86_PF_PROT rejects. */
static bool access_error(unsigned int error_code, const struct vm_area_struct *vma)
{
	if (error_code & X86_PF_PK)
		return true;
	if (error_code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (error_code & X86_PF_PROT)
		return true;
	return !vma_is_accessible(vma);
}

static struct fault_result bad_area(int si_code)
{
	return (struct fault_result){.signo = SIGSEGV, .si_code = si_code};
}

static struct fault_result fault_error(vm_fault_t ret)
{
	if (ret & VM_FAULT_OOM)
		return (struct fault_result){.signo = SIGKILL, .oom = true, .ret = ret};
	if (ret & VM_FAULT_SIGBUS)
		return (struct fault_result){.signo = SIGBUS, .si_code = BUS_ADRERR, .ret = ret};
	return (struct fault_result){.signo = SIGSEGV, .si_code = SEGV_ACCERR, .ret = ret};
}

struct fault_result do_user_addr_fault(struct kernel *k, struct mm_struct *mm,
				       unsigned long address, unsigned int error_code)
{
	/* A user access above the user half (kernel addresses, the non-canonical hole):
	 * do_kern_addr_fault -> bad_area_nosemaphore. */
	if (address >= mm->task_size)
		return bad_area(SEGV_MAPERR);
	if (error_code & X86_PF_RSVD) /* pgtable_bad: our tables are corrupt */
		return (struct fault_result){.signo = SIGKILL};
	unsigned int flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
	if (error_code & X86_PF_USER)
		flags |= FAULT_FLAG_USER;
	if (error_code & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (error_code & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	struct vm_area_struct *vma = find_vma(mm, address);
	if (!vma)
		return bad_area(SEGV_MAPERR);
	if (vma->vm_start > address &&
	    (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack(k, vma, address) < 0))
		return bad_area(SEGV_MAPERR);
	if (access_error(error_code, vma))
		return bad_area(SEGV_ACCERR);
	vm_fault_t ret = handle_mm_fault(k, vma, address, flags);
	if (ret & VM_FAULT_ERROR)
		return fault_error(ret);
	return (struct fault_result){.major = (ret & VM_FAULT_MAJOR) != 0, .ret = ret};
}
