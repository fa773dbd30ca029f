/*
 * The LRU lists, as Linux's mm/swap.c and <linux/mm_inline.h> (lruvec_add_folio,
 * lruvec_del_folio, folio_add_lru, folio_mark_accessed, folio_activate), without the
 * per-CPU batches: a page goes on its list at once.
 *
 * Each node has five lists (inactive/active anon, inactive/active file, unevictable). New
 * pages enter at the head of an inactive list; reclaim takes pages from the tails
 * (vmscan.c). Which list a page is on follows from its flags (page_lru): PG_swapbacked
 * (anon or shmem), PG_active, PG_unevictable. So a page's flags must not change while it
 * is on a list; PG_lru says it is on one. The node counter NR_INACTIVE_ANON + lru and the
 * zone counter NR_ZONE_INACTIVE_ANON + lru always equal the list's length.
 */
#include "kernel-sim/swap.h"

#include "kernel-sim/kernel.h"
#include "kernel-sim/trace_mm.h"

static struct lruvec *page_lruvec(const struct kernel *k, const struct page *page)
{
	return &page_pgdat(k, page)->__lruvec;
}

void lru_init(struct kernel *k)
{
	for_each_online_node(k, nid) for (int lru = 0; lru < NR_LRU_LISTS; lru++)
	    INIT_LIST_HEAD(&NODE_DATA(k, nid)->__lruvec.lists[lru]);
}

static void update_lru_size(struct kernel *k, struct page *page, enum lru_list lru, long nr)
{
	__mod_node_page_state(page_pgdat(k, page), (enum node_stat_item)(NR_INACTIVE_ANON + lru),
			      nr);
	__mod_zone_page_state(page_zone(k, page),
			      (enum zone_stat_item)(NR_ZONE_INACTIVE_ANON + lru), nr);
}

void add_page_to_lru_list(struct kernel *k, struct page *page)
{
	enum lru_list lru = page_lru(page);
	BUG_ON(PageLru(page));
	SetPageLru(page);
	list_add(&page->lru, &page_lruvec(k, page)->lists[lru]);
	update_lru_size(k, page, lru, 1);
	if (unlikely(k->mm_tracer))
		trace_mm_lru_move(k, page, NR_LRU_LISTS, lru);
}

void add_page_to_lru_list_tail(struct kernel *k, struct page *page)
{
	enum lru_list lru = page_lru(page);
	BUG_ON(PageLru(page));
	SetPageLru(page);
	list_add_tail(&page->lru, &page_lruvec(k, page)->lists[lru]);
	update_lru_size(k, page, lru, 1);
}

void del_page_from_lru_list(struct kernel *k, struct page *page)
{
	BUG_ON(!PageLru(page));
	list_del(&page->lru);
	__ClearPageLru(page);
	update_lru_size(k, page, page_lru(page), -1);
	if (unlikely(k->mm_tracer))
		trace_mm_lru_move(k, page, page_lru(page), NR_LRU_LISTS);
}

static void set_page_mlocked(struct kernel *k, struct page *page)
{
	SetPageFlag(page, PG_mlocked);
	__mod_zone_page_state(page_zone(k, page), NR_MLOCK, 1);
	count_vm_event(k, UNEVICTABLE_PGMLOCKED);
}

void lru_cache_add_vma(struct kernel *k, struct page *page, const struct vm_area_struct *vma)
{
	if (vma && (vma->vm_flags & VM_LOCKED) && !PageFlag(page, PG_unevictable)) {
		SetPageFlag(page, PG_unevictable);
		set_page_mlocked(k, page);
	}
	add_page_to_lru_list(k, page);
}

/* A page off its LRU (isolated by reclaim) only changes flags: its list is chosen when it
 * goes back. */
void mlock_page(struct kernel *k, struct page *page)
{
	if (PageFlag(page, PG_mlocked))
		return;
	set_page_mlocked(k, page);
	if (PageFlag(page, PG_unevictable))
		return;
	bool on_lru = PageLru(page);
	if (on_lru)
		del_page_from_lru_list(k, page);
	SetPageFlag(page, PG_unevictable);
	ClearPageFlag(page, PG_active);
	if (on_lru)
		add_page_to_lru_list(k, page);
}

void munlock_page(struct kernel *k, struct page *page)
{
	if (!PageFlag(page, PG_mlocked) || page_mapped_in_locked_vma(k, page))
		return;
	ClearPageFlag(page, PG_mlocked);
	__mod_zone_page_state(page_zone(k, page), NR_MLOCK, -1);
	count_vm_event(k, UNEVICTABLE_PGMUNLOCKED);
	if (!PageFlag(page, PG_unevictable))
		return;
	bool on_lru = PageLru(page);
	if (on_lru)
		del_page_from_lru_list(k, page);
	ClearPageFlag(page, PG_unevictable);
	if (on_lru) {
		add_page_to_lru_list(k, page);
		count_vm_event(k, UNEVICTABLE_PGRESCUED);
	}
}

/* Moves an inactive page to the head of its active list (Linux's folio_activate); the
 * activation advances the node's eviction clock (workingset_activation). */
static void activate_page(struct kernel *k, struct page *page)
{
	if (!PageLru(page) || PageActive(page) || PageFlag(page, PG_unevictable))
		return;
	del_page_from_lru_list(k, page);
	SetPageActive(page);
	add_page_to_lru_list(k, page);
	count_vm_event(k, PGACTIVATE);
	workingset_activation(k, page);
}

/*
 * Linux's folio_mark_accessed, for accesses the kernel sees (the page-table Accessed bits
 * cover the rest):
 *   inactive, unreferenced -> inactive, referenced
 *   inactive, referenced   -> active, unreferenced
 *   active, unreferenced   -> active, referenced
 */
void mark_page_accessed(struct kernel *k, struct page *page)
{
	if (!PageActive(page) && PageFlag(page, PG_referenced) && PageLru(page)) {
		activate_page(k, page);
		ClearPageFlag(page, PG_referenced);
	} else if (!PageFlag(page, PG_referenced)) {
		SetPageFlag(page, PG_referenced);
	}
}

void __page_cache_release(struct kernel *k, struct page *page)
{
	if (PageLru(page))
		del_page_from_lru_list(k, page);
	if (PageFlag(page, PG_mlocked)) {
		ClearPageFlag(page, PG_mlocked);
		__mod_zone_page_state(page_zone(k, page), NR_MLOCK, -1);
	}
	ClearPageFlag(page, PG_unevictable);
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_swapbacked);
	ClearPageFlag(page, PG_workingset);
	ClearPageFlag(page, PG_reclaim);
}

unsigned long lruvec_lru_size(const struct kernel *k, int nid, enum lru_list lru)
{
	long v = NODE_DATA(k, nid)->vm_stat[NR_INACTIVE_ANON + lru];
	return v < 0 ? 0 : (unsigned long)v;
}

unsigned long lru_count_pages(struct kernel *k)
{
	unsigned long n = 0;
	for_each_online_node(k, nid) for (int lru = 0; lru < NR_LRU_LISTS; lru++)
	{
		struct list_head *pos;
		list_for_each(pos, &NODE_DATA(k, nid)->__lruvec.lists[lru]) n++;
	}
	return n;
}
