/*
 * Page reclaim, as Linux's mm/vmscan.c: shrink_node over a node's LRU lists, used by
 * kswapd (balance_pgdat) and by direct reclaim (try_to_free_pages), the seed's chain
 * get_page_from_freelist -> __alloc_pages_slowpath -> try_to_free_pages -> shrink_node.
 *
 *   shrink_node -> shrink_lruvec: get_scan_count decides how many pages of each list to
 *     scan at this priority (list size >> priority), file only while the inactive file
 *     list is big enough (cache trim mode) or without swap, else anon and file in the ratio
 *     swappiness : 200 - swappiness;
 *   shrink_active_list: ages the active list, moving pages to the inactive list (pages
 *     of executable file mappings that were referenced stay);
 *   shrink_inactive_list -> shrink_page_list: a page whose ptes were referenced goes back
 *     to the active list (anon, or file referenced twice), others are reclaimed: anon pages
 *     get a swap slot (add_to_swap), are unmapped (their ptes become swap entries),
 *     written (pageout) and freed; shmem pages are unmapped and move to the swap cache
 *     (shmem_writepage), then go the same way; clean file pages are unmapped and dropped
 *     from the page cache, dirty ones are written to their file first (pageout) and freed
 *     clean by a later pass. Evicted pages leave shadow entries (workingset.c).
 *
 * Everything runs synchronously in the allocating context (see kernel-sim/swap.h), so
 * k->swap->in_reclaim keeps reclaim from recursing through an allocation it makes.
 */
#include "kernel-sim/swap.h"

#include "kernel-sim/kernel.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/page_alloc.h"

struct scan_control {
	unsigned long nr_to_reclaim; /* stop once this many pages were freed */
	unsigned long nr_scanned;    /* inactive pages looked at */
	unsigned long nr_reclaimed;  /* pages freed */
	int priority;		     /* lists are scanned size >> priority pages per pass */
	bool kswapd;		     /* kswapd's reclaim (counted as such) */
	unsigned nr_writeback;	     /* pages of this batch whose writeback was started */
	struct page *writeback[SWAP_CLUSTER_MAX]; /* they end when the batch goes back */
};

enum page_references {
	PAGEREF_RECLAIM,
	PAGEREF_KEEP,
	PAGEREF_ACTIVATE,
	PAGEREF_CULL, /* mlocked: to the unevictable list */
};

static bool can_reclaim_anon(const struct kernel *k)
{
	return nr_free_swap_pages(k) > 0;
}

/* Takes up to nr pages from the tail of list lru onto dst (Linux's isolate_lru_folios).
 * Locked pages are passed over but stay put. */
static unsigned long isolate_lru_pages(struct kernel *k, pg_data_t *pgdat, enum lru_list lru,
				       unsigned long nr, struct list_head *dst)
{
	struct list_head *src = &pgdat->__lruvec.lists[lru];
	unsigned long taken = 0;
	struct list_head *pos = src->prev;
	while (taken < nr && pos != src) {
		struct page *page = list_entry(pos, struct page, lru);
		pos = pos->prev;
		del_page_from_lru_list(k, page);
		list_add(&page->lru, dst);
		taken++;
	}
	enum node_stat_item iso = page_is_file_lru_idx(lru) ? NR_ISOLATED_FILE : NR_ISOLATED_ANON;
	__mod_node_page_state(pgdat, iso, (long)taken);
	return taken;
}

/* Puts the pages of list back on their LRU lists (move_folios_to_lru). Active pages
 * advance the eviction clock: they take room that evicted pages could have had. */
static void putback_lru_pages(struct kernel *k, pg_data_t *pgdat, struct list_head *list)
{
	while (!list_empty(list)) {
		struct page *page = list_first_entry(list, struct page, lru);
		list_del(&page->lru);
		add_page_to_lru_list(k, page);
		if (PageActive(page))
			workingset_age_nonresident(pgdat, 1);
	}
}

static void mlock_cull(struct kernel *k, struct page *page)
{
	SetPageFlag(page, PG_unevictable);
	if (!PageFlag(page, PG_mlocked)) {
		SetPageFlag(page, PG_mlocked);
		__mod_zone_page_state(page_zone(k, page), NR_MLOCK, 1);
	}
	ClearPageFlag(page, PG_active);
	count_vm_event(k, UNEVICTABLE_PGCULLED);
}

/* Linux's folio_check_references. */
static enum page_references page_check_references(struct kernel *k, struct page *page)
{
	unsigned long vm_flags;
	int referenced_ptes = page_referenced(k, page, &vm_flags);
	bool referenced_page = PageFlag(page, PG_referenced);
	ClearPageFlag(page, PG_referenced);
	if (vm_flags & VM_LOCKED)
		return PAGEREF_CULL;
	if (referenced_ptes) {
		if (!page_is_file_lru(page))
			return PAGEREF_ACTIVATE; /* anon: one reference is enough */
		SetPageFlag(page, PG_referenced);
		if (referenced_page || referenced_ptes > 1 || (vm_flags & VM_EXEC))
			return PAGEREF_ACTIVATE;
		return PAGEREF_KEEP;
	}
	return PAGEREF_RECLAIM;
}

/*
 * Linux's pageout for a dirty, unmapped file page: its writeback starts, and the page is
 * kept, flagged PG_reclaim, until the batch ends its writeback; a later pass frees it
 * clean. Files that cannot take writes keep their dirty pages (activated). Linux leaves
 * most of this to the flusher threads and lets only kswapd write from reclaim; with no
 * flushers here, every reclaimer writes.
 */
static enum page_references pageout(struct kernel *k, struct page *page, struct scan_control *sc)
{
	if (!mapping_can_writeback(page->mapping) || !clear_page_dirty_for_io(k, page))
		return PAGEREF_ACTIVATE;
	set_page_writeback(k, page);
	if (filemap_writepage(k, page) < 0) {
		end_page_writeback(k, page);
		set_page_dirty(k, page);
		return PAGEREF_ACTIVATE;
	}
	SetPageFlag(page, PG_reclaim);
	__mod_node_page_state(page_pgdat(k, page), NR_VMSCAN_WRITE, 1);
	BUG_ON(sc->nr_writeback >= SWAP_CLUSTER_MAX);
	sc->writeback[sc->nr_writeback++] = page;
	return PAGEREF_KEEP;
}

/* The I/O of the batch's writeback is done (folio_end_writeback for each page). */
static void end_batch_writeback(struct kernel *k, struct scan_control *sc)
{
	for (unsigned i = 0; i < sc->nr_writeback; i++)
		end_page_writeback(k, sc->writeback[i]);
	sc->nr_writeback = 0;
}

/*
 * Tries to make page free-able: returns the references verdict, or PAGEREF_RECLAIM when
 * the page is unmapped, written and clean with only the cache's reference left.
 */
static enum page_references prepare_reclaim(struct kernel *k, struct page *page,
					    struct scan_control *sc)
{
	if (PageFlag(page, PG_writeback))
		return PAGEREF_KEEP; /* its I/O is still running */
	enum page_references ref = page_check_references(k, page);
	if (ref != PAGEREF_RECLAIM)
		return ref;
	bool shmem = PageFlag(page, PG_swapbacked) && !PageAnon(page) && !PageSwapCache(page);
	if (shmem && !can_reclaim_anon(k))
		return PAGEREF_ACTIVATE; /* no slot to put it in */
	if (PageAnon(page) && !PageSwapCache(page) && !add_to_swap(k, page))
		return PAGEREF_ACTIVATE; /* swap full */
	if (page_mapped(page) && !try_to_unmap(k, page))
		return PAGEREF_ACTIVATE;
	/* shmem's writepage: from the page cache into the swap cache, its slot keeping the
	 * swap entry; from here on it is written and freed like an anonymous page. */
	if (shmem && shmem_writepage(k, page) < 0)
		return PAGEREF_ACTIVATE;
	if (PageFlag(page, PG_dirty)) {
		if (!PageSwapCache(page))
			return pageout(k, page, sc);
		if (swap_writepage(k, page) < 0)
			return PAGEREF_ACTIVATE;
		ClearPageFlag(page, PG_dirty);
	}
	if (page_count(page) != 1)
		return PAGEREF_KEEP; /* someone else holds it */
	return PAGEREF_RECLAIM;
}

/* Frees a page prepare_reclaim cleared: out of the swap cache or the page cache, leaving a
 * shadow entry in its slot (Linux's __remove_mapping; shmem pages leave none in the page
 * cache). */
static void free_reclaimed_page(struct kernel *k, struct page *page)
{
	if (PageSwapCache(page))
		__delete_from_swap_cache(k, page, workingset_eviction(k, page));
	else if (page_is_file_lru(page))
		__filemap_remove_page(k, page, workingset_eviction(k, page));
	else
		filemap_remove_page(k, page);
}

/* Linux's shrink_folio_list: the pages of list that can go are freed; the rest stay on
 * list (activated when they earned it). Returns the pages freed. */
static unsigned long shrink_page_list(struct kernel *k, struct list_head *list,
				      struct scan_control *sc)
{
	LIST_HEAD(keep);
	unsigned long reclaimed = 0;
	while (!list_empty(list)) {
		struct page *page = list_first_entry(list, struct page, lru);
		list_del(&page->lru);
		sc->nr_scanned++;
		enum page_references ref = PAGEREF_KEEP;
		if (!PageFlag(page, PG_unevictable) && trylock_page(page)) {
			ref = prepare_reclaim(k, page, sc);
			unlock_page(page);
		}
		if (ref == PAGEREF_RECLAIM) {
			free_reclaimed_page(k, page);
			reclaimed++;
			continue;
		}
		if (ref == PAGEREF_CULL) {
			mlock_cull(k, page);
		} else if (ref == PAGEREF_ACTIVATE && !PageActive(page)) {
			SetPageActive(page);
			count_vm_event(k, PGACTIVATE);
		}
		list_add_tail(&page->lru, &keep);
	}
	list_splice_tail(&keep, list);
	return reclaimed;
}

static void count_scan(struct kernel *k, const struct scan_control *sc, bool file,
		       unsigned long scanned, unsigned long stolen)
{
	k->vm_events[sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT] += scanned;
	k->vm_events[file ? PGSCAN_FILE : PGSCAN_ANON] += scanned;
	k->vm_events[sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT] += stolen;
	k->vm_events[file ? PGSTEAL_FILE : PGSTEAL_ANON] += stolen;
}

static unsigned long shrink_inactive_list(struct kernel *k, pg_data_t *pgdat,
					  unsigned long nr_to_scan, struct scan_control *sc,
					  enum lru_list lru)
{
	LIST_HEAD(list);
	unsigned long taken = isolate_lru_pages(k, pgdat, lru, nr_to_scan, &list);
	unsigned long reclaimed = shrink_page_list(k, &list, sc);
	bool file = page_is_file_lru_idx(lru);
	__mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)taken);
	putback_lru_pages(k, pgdat, &list);
	end_batch_writeback(k, sc);
	count_scan(k, sc, file, taken, reclaimed);
	if (file)
		pgdat->__lruvec.file_cost += taken;
	else
		pgdat->__lruvec.anon_cost += taken;
	return reclaimed;
}

/* Linux's shrink_active_list: the scanned pages move to the inactive list, except
 * referenced pages of executable file mappings (program text stays while it runs). */
static void shrink_active_list(struct kernel *k, pg_data_t *pgdat, unsigned long nr_to_scan,
			       struct scan_control *sc, enum lru_list lru)
{
	LIST_HEAD(list);
	unsigned long taken = isolate_lru_pages(k, pgdat, lru, nr_to_scan, &list);
	bool file = page_is_file_lru_idx(lru);
	unsigned long deactivated = 0;
	struct page *page, *next;
	(void)sc;
	list_for_each_entry_safe(page, next, &list, lru)
	{
		unsigned long vm_flags;
		if (PageFlag(page, PG_locked))
			continue;
		if (page_referenced(k, page, &vm_flags) && (vm_flags & VM_EXEC) && file)
			continue;
		__ClearPageActive(page);
		ClearPageFlag(page, PG_referenced);
		SetPageFlag(page, PG_workingset); /* it was active: its refault is a restore */
		deactivated++;
	}
	__mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)taken);
	putback_lru_pages(k, pgdat, &list);
	k->vm_events[PGREFILL] += taken;
	k->vm_events[PGDEACTIVATE] += deactivated;
}

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* Linux's inactive_is_low: the inactive list should hold 1/(1 + sqrt(10 * GiB)) of a
 * type's pages (all of a small node's: inactive >= active). */
static bool inactive_is_low(const struct kernel *k, int nid, enum lru_list inactive_lru)
{
	unsigned long inactive = lruvec_lru_size(k, nid, inactive_lru);
	unsigned long active = lruvec_lru_size(k, nid, inactive_lru + LRU_ACTIVE);
	unsigned long gb = (inactive + active) >> (30 - PAGE_SHIFT);
	unsigned long ratio = gb ? int_sqrt(10 * gb) : 1;
	return inactive * ratio < active;
}

/* Linux's get_scan_count without memory cgroups and refault costs. */
static void get_scan_count(struct kernel *k, int nid, const struct scan_control *sc,
			   unsigned long nr[NR_LRU_LISTS])
{
	unsigned long ap = (unsigned long)k->swap->swappiness;
	unsigned long fp = 200 - ap;
	unsigned long inactive_file = lruvec_lru_size(k, nid, LRU_INACTIVE_FILE);
	bool scan_file_only =
	    !can_reclaim_anon(k) || ap == 0 ||
	    ((inactive_file >> sc->priority) && !inactive_is_low(k, nid, LRU_INACTIVE_FILE));
	for (int lru = 0; lru < LRU_UNEVICTABLE; lru++) {
		bool file = page_is_file_lru_idx((enum lru_list)lru);
		unsigned long size = lruvec_lru_size(k, nid, (enum lru_list)lru);
		unsigned long scan = size >> sc->priority;
		if (scan_file_only)
			nr[lru] = file ? scan : 0;
		else
			nr[lru] = (scan * (file ? fp : ap) + (ap + fp) - 1) / (ap + fp);
	}
}

static unsigned long shrink_list(struct kernel *k, pg_data_t *pgdat, enum lru_list lru,
				 unsigned long nr, struct scan_control *sc)
{
	if (lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE) {
		if (inactive_is_low(k, pgdat->node_id, lru - LRU_ACTIVE))
			shrink_active_list(k, pgdat, nr, sc, lru);
		return 0;
	}
	return shrink_inactive_list(k, pgdat, nr, sc, lru);
}

/* Linux's shrink_lruvec: the lists in slices of SWAP_CLUSTER_MAX until the scan targets are
 * met or enough was reclaimed. */
static void shrink_node(struct kernel *k, pg_data_t *pgdat, struct scan_control *sc)
{
	unsigned long nr[NR_LRU_LISTS] = {0};
	get_scan_count(k, pgdat->node_id, sc, nr);
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE] ||
	       nr[LRU_ACTIVE_ANON]) {
		for (int lru = 0; lru < LRU_UNEVICTABLE; lru++) {
			unsigned long n = nr[lru] < SWAP_CLUSTER_MAX ? nr[lru] : SWAP_CLUSTER_MAX;
			if (!n)
				continue;
			nr[lru] -= n;
			sc->nr_reclaimed += shrink_list(k, pgdat, (enum lru_list)lru, n, sc);
		}
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	}
	/* Keep aging the anon lists even when only file pages were scanned. */
	if (can_reclaim_anon(k) && inactive_is_low(k, pgdat->node_id, LRU_INACTIVE_ANON))
		shrink_active_list(k, pgdat, SWAP_CLUSTER_MAX, sc, LRU_ACTIVE_ANON);
	/* shrink_slab: the only shrinker modelled is the shadow-node one. */
	workingset_shrink_shadow_nodes(k);
}

unsigned long shrink_node_pages(struct kernel *k, int nid, unsigned long nr_to_reclaim,
				int priority, bool kswapd)
{
	struct scan_control sc = {
	    .nr_to_reclaim = nr_to_reclaim, .priority = priority, .kswapd = kswapd};
	k->swap->in_reclaim = true;
	shrink_node(k, NODE_DATA(k, nid), &sc);
	k->swap->in_reclaim = false;
	return sc.nr_reclaimed;
}

unsigned long try_to_free_pages(struct kernel *k, gfp_t gfp, unsigned order, int highest_zoneidx)
{
	struct swap_state *ss = k->swap;
	struct scan_control sc = {.nr_to_reclaim = SWAP_CLUSTER_MAX};
	(void)gfp;
	(void)order;
	if (!ss || ss->in_reclaim)
		return 0;
	ss->in_reclaim = true;
	count_vm_event(k, (enum vm_event_item)(ALLOCSTALL_DMA + highest_zoneidx));
	int first = numa_node_id(k);
	for (sc.priority = DEF_PRIORITY; sc.priority >= 0; sc.priority--) {
		for (int i = 0; i < k->nr_node_ids; i++)
			shrink_node(k, NODE_DATA(k, (first + i) % k->nr_node_ids), &sc);
		if (sc.nr_reclaimed >= sc.nr_to_reclaim)
			break;
	}
	ss->in_reclaim = false;
	trace_mm_vmscan_end(k, RECLAIM_DIRECT, first, sc.nr_scanned, sc.nr_reclaimed);
	if (sc.nr_reclaimed)
		for_each_online_node(k, nid) NODE_DATA(k, nid)->kswapd_failures = 0;
	return sc.nr_reclaimed;
}

/* ---- kswapd ---- */

#define MAX_RECLAIM_RETRIES 16

/* Linux's pgdat_balanced: some zone the wakers could use is above its high watermark. */
static bool pgdat_balanced(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	bool any = false;
	for (int i = 0; i <= highest_zoneidx && i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];
		if (!managed_zone(zone))
			continue;
		any = true;
		if (zone_watermark_ok(zone, (unsigned)order, high_wmark_pages(zone),
				      highest_zoneidx, 0))
			return true;
	}
	return !any;
}

void wakeup_kswapd(struct kernel *k, struct zone *zone, unsigned order, int highest_zoneidx)
{
	pg_data_t *pgdat = zone->zone_pgdat;
	if (!k->swap || !managed_zone(zone) || pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES)
		return;
	if (!pgdat->kswapd_pending && pgdat_balanced(pgdat, (int)order, highest_zoneidx))
		return;
	if (!pgdat->kswapd_pending || (int)order > pgdat->kswapd_order)
		pgdat->kswapd_order = (int)order;
	if (!pgdat->kswapd_pending || highest_zoneidx > (int)pgdat->kswapd_highest_zoneidx)
		pgdat->kswapd_highest_zoneidx = (enum zone_type)highest_zoneidx;
	pgdat->kswapd_pending = true;
}

/* Pages kswapd aims to reclaim per pass: the eligible zones' high watermarks (Linux's
 * kswapd_shrink_node). */
static unsigned long kswapd_target(pg_data_t *pgdat, int highest_zoneidx)
{
	unsigned long nr = 0;
	for (int i = 0; i <= highest_zoneidx && i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];
		if (managed_zone(zone))
			nr += high_wmark_pages(zone) > SWAP_CLUSTER_MAX ? high_wmark_pages(zone)
									: SWAP_CLUSTER_MAX;
	}
	return nr;
}

unsigned long balance_pgdat(struct kernel *k, int nid, int order, int highest_zoneidx)
{
	pg_data_t *pgdat = NODE_DATA(k, nid);
	struct scan_control sc = {.kswapd = true, .priority = DEF_PRIORITY};
	count_vm_event(k, PAGEOUTRUN);
	while (sc.priority >= 1 && !pgdat_balanced(pgdat, order, highest_zoneidx)) {
		unsigned long before = sc.nr_reclaimed;
		sc.nr_to_reclaim = sc.nr_reclaimed + kswapd_target(pgdat, highest_zoneidx);
		shrink_node(k, pgdat, &sc);
		drain_all_pages(k); /* freed pages count once they leave the pcp lists */
		if (sc.nr_reclaimed == before)
			sc.priority--;
	}
	trace_mm_vmscan_end(k, RECLAIM_KSWAPD, nid, sc.nr_scanned, sc.nr_reclaimed);
	if (!sc.nr_reclaimed)
		pgdat->kswapd_failures++;
	else
		pgdat->kswapd_failures = 0;
	return sc.nr_reclaimed;
}

void kswapd_run_pending(struct kernel *k)
{
	if (!k->swap || k->swap->in_reclaim)
		return;
	for_each_online_node(k, nid)
	{
		pg_data_t *pgdat = NODE_DATA(k, nid);
		if (!pgdat->kswapd_pending)
			continue;
		pgdat->kswapd_pending = false;
		k->swap->in_reclaim = true;
		/* kswapd's loop: it does not sleep while the node is unbalanced, until too many
		 * runs in a row freed nothing (kswapd_try_to_sleep, kswapd_failures). */
		do
			balance_pgdat(k, nid, pgdat->kswapd_order,
				      (int)pgdat->kswapd_highest_zoneidx);
		while (!pgdat_balanced(pgdat, pgdat->kswapd_order,
				       (int)pgdat->kswapd_highest_zoneidx) &&
		       pgdat->kswapd_failures < MAX_RECLAIM_RETRIES);
		k->swap->in_reclaim = false;
	}
}
