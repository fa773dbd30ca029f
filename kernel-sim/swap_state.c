/*
 * The swap cache, as Linux's mm/swap_state.c (add_to_swap_cache, __delete_from_swap_cache,
 * swap_cache_get_folio, read_swap_cache_async, swap_cluster_readahead) and the swap side of
 * mm/vmscan.c's pageout and mm/page_io.c (swap_writepage, swap_read_folio).
 *
 * A page in the swap cache has PG_swapcache, its entry in page->private, one reference held
 * by the cache and its slot's SWAP_HAS_CACHE. The cache is what lets a page being swapped
 * out still be found by a fault on one of its (already converted) swap ptes, and what holds
 * pages read ahead until a fault maps them.
 */
#include "kernel-sim/swap.h"

#include "kernel-sim/kernel.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/zswap.h"

static struct swap_info_struct *swap_cache_area(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swp_swap_info(k, entry);
	BUG_ON(!si);
	return si;
}

struct page *lookup_swap_cache(struct kernel *k, swp_entry_t entry)
{
	return xa_page(swap_cache_area(k, entry)->cache[swp_offset(entry)]);
}

/* page joins the cache for entry, whose SWAP_HAS_CACHE the caller has set. Returns the
 * shadow entry the slot held (NULL when none). */
static void *add_to_swap_cache(struct kernel *k, struct page *page, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_cache_area(k, entry);
	BUG_ON(xa_page(si->cache[swp_offset(entry)]) || PageSwapCache(page));
	struct page *shadow = mapping_set_entry(k, &si->swap_space, swp_offset(entry), page);
	get_page(page);
	trace_page_ref(k, page);
	SetPageFlag(page, PG_swapcache);
	SetPageFlag(page, PG_swapbacked);
	page->private = entry.val;
	/* Linux counts swap-cache pages in NR_FILE_PAGES too (Cached subtracts them). */
	__mod_node_page_state(page_pgdat(k, page), NR_SWAPCACHE, 1);
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, 1);
	return shadow;
}

bool add_to_swap(struct kernel *k, struct page *page)
{
	swp_entry_t entry = get_swap_page(k);
	if (!entry.val)
		return false;
	void *shadow = add_to_swap_cache(k, page, entry);
	BUG_ON(shadow); /* a free slot holds no shadow: swap_slot_free cleared it */
	/* The slot holds nothing yet: the page must be written before it can go. */
	SetPageFlag(page, PG_dirty);
	return true;
}

void __delete_from_swap_cache(struct kernel *k, struct page *page, void *shadow)
{
	swp_entry_t entry = page_swap_entry(page);
	struct swap_info_struct *si = swap_cache_area(k, entry);
	BUG_ON(si->cache[swp_offset(entry)] != page);
	mapping_set_entry(k, &si->swap_space, swp_offset(entry), shadow);
	ClearPageFlag(page, PG_swapcache);
	page->private = 0;
	__mod_node_page_state(page_pgdat(k, page), NR_SWAPCACHE, -1);
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, -1);
	swapcache_clear(k, entry);
	__free_page(k, page); /* the cache's reference */
}

void delete_from_swap_cache(struct kernel *k, struct page *page)
{
	__delete_from_swap_cache(k, page, NULL);
}

bool try_to_free_swap(struct kernel *k, struct page *page)
{
	if (!PageSwapCache(page) || swap_count(k, page_swap_entry(page)))
		return false;
	delete_from_swap_cache(k, page);
	return true;
}

void free_swap_and_cache(struct kernel *k, swp_entry_t entry)
{
	if (!swp_swap_info(k, entry))
		return;
	struct page *page = lookup_swap_cache(k, entry);
	swap_free(k, entry);
	if (page && !page_mapped(page) && swap_count(k, entry) == 0 && !PageFlag(page, PG_locked))
		delete_from_swap_cache(k, page);
}

int swap_writepage(struct kernel *k, struct page *page)
{
	swp_entry_t entry = page_swap_entry(page);
	if (zswap_store(k, entry, page_address(k, page))) {
		trace_mm_swap(k, false, page, entry.val);
		return 0;
	}
	int r = swap_write_slot(k, entry, page_address(k, page));
	if (r == 0) {
		trace_mm_swap(k, false, page, entry.val);
		count_vm_event(k, PSWPOUT);
		k->vm_events[PGPGOUT] += PAGE_SIZE >> 10;
	}
	return r;
}

/* Fills page from entry: the zswap pool when it holds it, else the swap area. */
static int swap_readpage(struct kernel *k, swp_entry_t entry, struct page *page)
{
	if (zswap_load(k, entry, page_address(k, page))) {
		trace_mm_swap(k, true, page, entry.val);
		return 0;
	}
	int r = swap_read_slot(k, entry, page_address(k, page));
	if (r == 0) {
		trace_mm_swap(k, true, page, entry.val);
		count_vm_event(k, PSWPIN);
		k->vm_events[PGPGIN] += PAGE_SIZE >> 10;
	}
	return r;
}

/* A new page holding entry's data, in the swap cache and on the inactive anon list (Linux's
 * __read_swap_cache_async). NULL when out of memory or the read failed. */
static struct page *read_swap_cache_async(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swp_swap_info(k, entry);
	struct page *page = alloc_page(k, GFP_HIGHUSER_MOVABLE);
	if (!page)
		return NULL;
	/* Another allocation may have read it in meanwhile (through reclaim: no, but be
	 * strict): take the cached one. */
	struct page *cached = lookup_swap_cache(k, entry);
	if (cached || !si->swap_map[swp_offset(entry)]) {
		__free_page(k, page);
		return cached;
	}
	if (swap_readpage(k, entry, page) < 0) {
		__free_page(k, page);
		return NULL;
	}
	si->swap_map[swp_offset(entry)] |= SWAP_HAS_CACHE;
	void *shadow = add_to_swap_cache(k, page, entry);
	if (shadow)
		workingset_refault(k, page, shadow);
	lru_cache_add(k, page);
	__free_page(k, page); /* the allocation's reference: the cache holds it now */
	return page;
}

/*
 * Linux's swap_cluster_readahead: the aligned window of 2^page_cluster slots around the
 * faulting one is read in too, slots in use and not yet cached, since pages swapped out
 * together tend to be needed together. The readahead pages carry PG_readahead (PG_reclaim's
 * bit, as on Linux) so a later hit counts in swap_ra_hit.
 */
struct page *swapin_readahead(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swp_swap_info(k, entry);
	struct page *page = read_swap_cache_async(k, entry);
	if (!page)
		return NULL;
	bool locked = trylock_page(page); /* readahead's reclaim must leave it */
	unsigned long win = 1UL << k->swap->page_cluster;
	uint64_t off = swp_offset(entry), start = off & ~(uint64_t)(win - 1);
	for (uint64_t o = start; o < start + win && o < si->max; o++) {
		swp_entry_t e = swp_entry(swp_type(entry), o);
		if (o == off || o == 0 || !(si->swap_map[o] & ~SWAP_HAS_CACHE) ||
		    lookup_swap_cache(k, e))
			continue;
		struct page *ra = read_swap_cache_async(k, e);
		if (!ra)
			break;
		SetPageFlag(ra, PG_reclaim);
		count_vm_event(k, SWAP_RA);
	}
	if (locked)
		unlock_page(page);
	return page;
}

struct page *swapin_fault_page(struct kernel *k, swp_entry_t entry, bool *major)
{
	struct page *page = lookup_swap_cache(k, entry);
	if (page && PageFlag(page, PG_reclaim)) {
		ClearPageFlag(page, PG_reclaim); /* PG_readahead: readahead guessed right */
		count_vm_event(k, SWAP_RA_HIT);
	}
	if (page)
		return page;
	page = swapin_readahead(k, entry);
	if (page) {
		*major = true;
		count_vm_event(k, PGMAJFAULT);
	}
	return page;
}
