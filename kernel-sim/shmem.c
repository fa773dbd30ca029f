/*
 * Swapping shared anonymous memory, as Linux's mm/shmem.c (shmem_writepage,
 * shmem_swapin_folio): a shmem page lives in its file's page cache, so reclaim cannot give
 * it swap ptes as it does an anonymous page. Instead the page cache keeps the swap entry:
 *
 *   page cache slot:  page  --shmem_writepage-->  swap entry (an xarray value)
 *                     page  <--shmem_swapin_page--
 *
 * shmem_writepage (reclaim, the page already unmapped) takes a swap slot, moves the page
 * from the page cache into the swap cache and leaves the slot's entry in the page cache,
 * which holds one reference on the slot (as a swap pte would). Reclaim then writes and
 * frees it as it does an anonymous swap-cache page. A fault finds the entry, reads the
 * page back through the swap cache (with readahead) and puts it in the page cache again;
 * the slot is freed. Swap entries in a shmem mapping are not shadow entries: shmem leaves
 * no shadows in its page cache (its pages' shadows go to the swap cache), and the shadow
 * shrinker never sees shmem mappings.
 */
#include "kernel-sim/swap.h"

#include <errno.h>

#include "kernel-sim/kernel.h"

/* A swap entry as a page-cache value (Linux's swp_to_radix_entry): the type sits below
 * bit 58 so that the shifted value keeps it. */
#define RADIX_SWP_TYPE_SHIFT 58

struct page *swp_to_radix_entry(swp_entry_t entry)
{
	return xa_mk_value(((unsigned long)swp_type(entry) << RADIX_SWP_TYPE_SHIFT) |
			   (unsigned long)swp_offset(entry));
}

swp_entry_t radix_to_swp_entry(const struct page *value)
{
	unsigned long v = xa_to_value(value);
	return swp_entry((unsigned)(v >> RADIX_SWP_TYPE_SHIFT),
			 v & ((1UL << RADIX_SWP_TYPE_SHIFT) - 1));
}

bool shmem_mapping(const struct address_space *mapping)
{
	return mapping->host && mapping->host->backing == INODE_BACKING_SHMEM;
}

int shmem_writepage(struct kernel *k, struct page *page)
{
	struct address_space *mapping = page->mapping;
	BUG_ON(!shmem_mapping(mapping) || page_mapped(page) || PageSwapCache(page));
	if (!add_to_swap(k, page)) /* the swap cache's reference and a slot, dirty */
		return -ENOMEM;
	swp_entry_t entry = page_swap_entry(page);
	swap_duplicate(k, entry); /* the page cache's hold on the slot */
	mapping_set_entry(k, mapping, page->index, swp_to_radix_entry(entry));
	mapping->nrpages--;
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, -1);
	__mod_node_page_state(page_pgdat(k, page), NR_SHMEM, -1);
	ClearPageFlag(page, PG_uptodate);
	page->mapping = NULL;
	page->index = 0;
	trace_page_ref(k, page);
	BUG_ON(put_page_testzero(page)); /* the page cache's reference */
	return 0;
}

struct page *shmem_swapin_page(struct kernel *k, struct address_space *mapping,
			       unsigned long index, bool *major)
{
	swp_entry_t entry = radix_to_swp_entry(mapping->i_pages[index]);
	if (!swp_swap_info(k, entry) || swap_count(k, entry) == 0)
		return NULL; /* not a slot this page cache holds: cannot happen */
	struct page *page = swapin_fault_page(k, entry, major);
	if (!page)
		return NULL;
	if (mapping->i_pages[index] != swp_to_radix_entry(entry))
		return xa_page(mapping->i_pages[index]); /* readahead's reclaim moved it */
	BUG_ON(page_mapped(page));
	get_page(page); /* the page cache's reference */
	trace_page_ref(k, page);
	page->mapping = mapping;
	page->index = index;
	SetPageFlag(page, PG_uptodate);
	mapping_set_entry(k, mapping, index, page);
	mapping->nrpages++;
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, 1);
	__mod_node_page_state(page_pgdat(k, page), NR_SHMEM, 1);
	delete_from_swap_cache(k, page);
	swap_free(k, entry); /* the slot is free: the only copy is in memory again */
	set_page_dirty(k, page);
	return page;
}
