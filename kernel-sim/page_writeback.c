/*
 * Writeback of dirty file pages, as Linux's mm/page-writeback.c (folio_clear_dirty_for_io,
 * folio_start_writeback, folio_end_writeback, write_cache_pages) and mm/filemap.c's
 * filemap_write_and_wait_range, for files whose backing can take writes: a host file
 * mapped from a description opened for writing. A host buffer (tests, embedded images)
 * is read-only storage and shmem has no backing: their dirty pages stay in memory (shmem
 * pages go to swap instead).
 *
 * A page's way out to its file:
 *
 *   dirty (PG_dirty; NR_FILE_DIRTY)                 a pte's Dirty bit or a write fault
 *     -> clear_page_dirty_for_io: the ptes' Dirty bits move to the page and the ptes become
 *        read-only and clean (page_mkclean), so a later store faults and dirties it again;
 *        PG_dirty cleared
 *     -> set_page_writeback (PG_writeback; NR_WRITEBACK): the bytes go to the file
 *     -> end_page_writeback: clean; NR_WRITTEN; a page reclaim wrote (PG_reclaim) moves to
 *        the tail of its inactive list, so the next scan frees it (folio_rotate_reclaimable)
 *
 * The write itself is synchronous; reclaim ends its writeback when the batch of pages it
 * isolated goes back to the lists, so within one pass a written page is "under writeback"
 * and is freed by a later pass, as Linux frees it after the I/O completes.
 * NR_ZONE_WRITE_PENDING counts dirty and writeback pages of the zone.
 */
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/swap.h"

bool mapping_can_writeback(const struct address_space *mapping)
{
	const struct inode *inode = mapping->host;
	return inode && inode->backing == INODE_BACKING_HOSTFD && inode->writable;
}

bool clear_page_dirty_for_io(struct kernel *k, struct page *page)
{
	BUG_ON(PageAnon(page) || PageFlag(page, PG_swapbacked));
	if (page_mapped(page) && page_mkclean(k, page))
		set_page_dirty(k, page);
	if (!PageFlag(page, PG_dirty))
		return false;
	ClearPageFlag(page, PG_dirty);
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_DIRTY, -1);
	__mod_zone_page_state(page_zone(k, page), NR_ZONE_WRITE_PENDING, -1);
	return true;
}

void set_page_writeback(struct kernel *k, struct page *page)
{
	BUG_ON(PageFlag(page, PG_writeback));
	SetPageFlag(page, PG_writeback);
	__mod_node_page_state(page_pgdat(k, page), NR_WRITEBACK, 1);
	__mod_zone_page_state(page_zone(k, page), NR_ZONE_WRITE_PENDING, 1);
}

void end_page_writeback(struct kernel *k, struct page *page)
{
	BUG_ON(!PageFlag(page, PG_writeback));
	ClearPageFlag(page, PG_writeback);
	__mod_node_page_state(page_pgdat(k, page), NR_WRITEBACK, -1);
	__mod_zone_page_state(page_zone(k, page), NR_ZONE_WRITE_PENDING, -1);
	__mod_node_page_state(page_pgdat(k, page), NR_WRITTEN, 1);
	if (!PageFlag(page, PG_reclaim))
		return;
	/* Reclaim wanted it: to the tail of the inactive list, first in line. */
	ClearPageFlag(page, PG_reclaim);
	if (PageLru(page) && !PageActive(page) && !PageFlag(page, PG_unevictable)) {
		del_page_from_lru_list(k, page);
		add_page_to_lru_list_tail(k, page);
		count_vm_event(k, PGROTATED);
	}
}

int write_one_page(struct kernel *k, struct page *page)
{
	if (!clear_page_dirty_for_io(k, page))
		return 0;
	set_page_writeback(k, page);
	int r = filemap_writepage(k, page);
	end_page_writeback(k, page);
	if (r < 0)
		set_page_dirty(k, page); /* still only in memory: keep it dirty */
	return r;
}

int filemap_write_and_wait_range(struct kernel *k, struct address_space *mapping,
				 unsigned long first, unsigned long last)
{
	int err = 0;
	if (!mapping_can_writeback(mapping))
		return 0;
	for (unsigned long i = first; i <= last && i < mapping->nr_slots; i++) {
		struct page *page = xa_page(mapping->i_pages[i]);
		if (page && !PageFlag(page, PG_writeback)) {
			int r = write_one_page(k, page);
			if (r < 0 && !err)
				err = r;
		}
	}
	return err;
}
