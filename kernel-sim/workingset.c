/*
 * Workingset detection, as Linux's mm/workingset.c (without memory cgroups and MGLRU).
 *
 * Each node keeps an eviction clock, lruvec->nonresident_age, that advances by one for
 * every page reclaim evicts and every page that is activated. When reclaim evicts a page
 * from the page cache or the swap cache, it leaves a shadow entry in the page's slot: the
 * clock's value, the node and whether the page was in the workingset (PG_workingset: it had
 * been active). When the page is read back into that slot (a refault), the clock has moved
 * on by the refault distance: the pages evicted and activated meanwhile, i.e. how much
 * more memory the page would have needed to stay resident. If that distance is no larger
 * than the memory the page competes with (the active file list; for anon also the inactive
 * file list; with free swap also the anon lists), the page would have stayed with a
 * little more room: it is activated at once instead of starting on the inactive list,
 * where a workingset larger than the inactive list would otherwise thrash forever.
 *
 * A shadow entry is an xarray value entry (mm.h), packed as Linux packs it:
 *
 *   63                                 24 23     8 7    2  1   0
 *  +-------------------------------------+--------+------+---+---+
 *  |  eviction >> bucket_order (39 bits) | memcg  | node | W | 1 |
 *  +-------------------------------------+--------+------+---+---+
 *
 * (memcg id always 0 here, W = PG_workingset, bit 0 the xarray's value tag.)
 *
 * Shadow entries cost memory, so Linux reclaims xarray nodes that hold nothing but
 * shadows once there are more than 1/8 of the RAM's pages over 64 of them (the shrinker
 * below). Here a node is a run of XA_CHUNK_SIZE slots of the flat cache array;
 * WORKINGSET_NODES counts such runs that hold shadows and no page, on node 0 (there is one
 * machine-wide shadow list), and the shrinker empties them mapping by mapping in the
 * order the mappings got their first shadow (Linux: in the order the nodes became
 * shadow-only).
 */
#include "kernel-sim/swap.h"

#include "kernel-sim/kernel.h"

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE (1UL << XA_CHUNK_SHIFT)

#define BITS_PER_LONG 64
#define BITS_PER_XA_VALUE (BITS_PER_LONG - 1)
#define MEM_CGROUP_ID_SHIFT 16
#define SHADOW_NODES_SHIFT 6 /* CONFIG_NODES_SHIFT of an x86-64 NUMA kernel */
#define WORKINGSET_SHIFT 1
#define EVICTION_SHIFT                                                                         \
	((BITS_PER_LONG - BITS_PER_XA_VALUE) + WORKINGSET_SHIFT + SHADOW_NODES_SHIFT +         \
	 MEM_CGROUP_ID_SHIFT)
#define EVICTION_MASK (~0UL >> EVICTION_SHIFT)

void workingset_init(struct kernel *k)
{
	unsigned timestamp_bits = BITS_PER_LONG - EVICTION_SHIFT;
	unsigned max_order = 0;
	for (unsigned long n = k->totalram_pages ? k->totalram_pages - 1 : 0; n; n >>= 1)
		max_order++; /* fls_long */
	k->swap->bucket_order = max_order > timestamp_bits ? max_order - timestamp_bits : 0;
	INIT_LIST_HEAD(&k->swap->shadow_mappings);
}

static void *pack_shadow(const struct kernel *k, int nid, unsigned long eviction, bool workingset)
{
	eviction >>= k->swap->bucket_order;
	eviction &= EVICTION_MASK;
	eviction = eviction << MEM_CGROUP_ID_SHIFT; /* memcg id 0 */
	eviction = (eviction << SHADOW_NODES_SHIFT) | (unsigned long)nid;
	eviction = (eviction << WORKINGSET_SHIFT) | workingset;
	return xa_mk_value(eviction);
}

void workingset_unpack_shadow(const struct kernel *k, const void *shadow, int *nid,
			      unsigned long *eviction, bool *workingset)
{
	unsigned long entry = xa_to_value(shadow);
	*workingset = entry & ((1UL << WORKINGSET_SHIFT) - 1);
	entry >>= WORKINGSET_SHIFT;
	*nid = (int)(entry & ((1UL << SHADOW_NODES_SHIFT) - 1));
	entry >>= SHADOW_NODES_SHIFT;
	entry >>= MEM_CGROUP_ID_SHIFT;
	*eviction = entry << k->swap->bucket_order;
}

void workingset_age_nonresident(pg_data_t *pgdat, unsigned long nr)
{
	pgdat->__lruvec.nonresident_age += nr;
}

void workingset_activation(struct kernel *k, struct page *page)
{
	workingset_age_nonresident(page_pgdat(k, page), 1);
}

void *workingset_eviction(struct kernel *k, struct page *page)
{
	pg_data_t *pgdat = page_pgdat(k, page);
	BUG_ON(PageLru(page) || page_mapped(page));
	unsigned long eviction = pgdat->__lruvec.nonresident_age;
	workingset_age_nonresident(pgdat, 1);
	return pack_shadow(k, pgdat->node_id, eviction, PageFlag(page, PG_workingset));
}

/* Pages a refaulting page competes with for staying resident (workingset_refault's
 * workingset_size). */
static unsigned long workingset_size(const struct kernel *k, int nid, bool file)
{
	unsigned long size = lruvec_lru_size(k, nid, LRU_ACTIVE_FILE);
	if (!file)
		size += lruvec_lru_size(k, nid, LRU_INACTIVE_FILE);
	if (nr_free_swap_pages(k) > 0) {
		size += lruvec_lru_size(k, nid, LRU_ACTIVE_ANON);
		if (file)
			size += lruvec_lru_size(k, nid, LRU_INACTIVE_ANON);
	}
	return size;
}

void workingset_refault(struct kernel *k, struct page *page, void *shadow)
{
	bool file = page_is_file_lru(page), workingset;
	int nid;
	unsigned long eviction;
	BUG_ON(PageLru(page) || PageActive(page));
	workingset_unpack_shadow(k, shadow, &nid, &eviction, &workingset);
	if (nid >= k->nr_node_ids)
		return; /* not one of ours: cannot happen, but a shadow is only a hint */
	pg_data_t *eviction_pgdat = NODE_DATA(k, nid), *pgdat = page_pgdat(k, page);
	unsigned long refault = eviction_pgdat->__lruvec.nonresident_age;
	unsigned long refault_distance = (refault - eviction) & EVICTION_MASK;
	__mod_node_page_state(pgdat, file ? WORKINGSET_REFAULT_FILE : WORKINGSET_REFAULT_ANON, 1);
	if (refault_distance > workingset_size(k, nid, file))
		return;
	SetPageActive(page);
	workingset_age_nonresident(pgdat, 1);
	__mod_node_page_state(pgdat, file ? WORKINGSET_ACTIVATE_FILE : WORKINGSET_ACTIVATE_ANON, 1);
	if (workingset) {
		/* It was active before its eviction: the workingset is being pushed out. */
		SetPageFlag(page, PG_workingset);
		if (file)
			pgdat->__lruvec.file_cost++;
		else
			pgdat->__lruvec.anon_cost++;
		__mod_node_page_state(pgdat, file ? WORKINGSET_RESTORE_FILE : WORKINGSET_RESTORE_ANON,
				      1);
	}
}

/* ---- shadow entries in the cache's slots ---- */

void mapping_init_shadows(struct address_space *mapping)
{
	mapping->nrshadows = 0;
	mapping->nr_shadow_nodes = 0;
	INIT_LIST_HEAD(&mapping->shadow_link);
}

/* Does the chunk holding slot index hold shadow entries and no page? (Linux: an xa_node
 * whose count equals its nr_values, on the shadow_nodes list.) */
static bool is_shadow_node(const struct address_space *mapping, unsigned long index)
{
	unsigned long base = index & ~(XA_CHUNK_SIZE - 1);
	unsigned long end = base + XA_CHUNK_SIZE;
	bool shadows = false;
	if (end > mapping->nr_slots)
		end = mapping->nr_slots;
	for (unsigned long i = base; i < end; i++) {
		if (!mapping->i_pages[i])
			continue;
		if (!xa_is_value(mapping->i_pages[i]))
			return false;
		shadows = true;
	}
	return shadows;
}

struct page *mapping_set_entry(struct kernel *k, struct address_space *mapping,
			       unsigned long index, struct page *entry)
{
	BUG_ON(index >= mapping->nr_slots);
	struct page *old = mapping->i_pages[index];
	if (shmem_mapping(mapping)) { /* its values are swap entries, not shadows */
		mapping->i_pages[index] = entry;
		return old;
	}
	bool was_node = is_shadow_node(mapping, index);
	mapping->i_pages[index] = entry;
	if (xa_is_value(entry) && !xa_is_value(old)) {
		if (mapping->nrshadows++ == 0)
			list_add_tail(&mapping->shadow_link, &k->swap->shadow_mappings);
	} else if (xa_is_value(old) && !xa_is_value(entry)) {
		if (--mapping->nrshadows == 0)
			list_del_init(&mapping->shadow_link);
	}
	bool is_node = is_shadow_node(mapping, index);
	if (is_node != was_node) {
		long d = is_node ? 1 : -1;
		mapping->nr_shadow_nodes += (unsigned long)d;
		__mod_node_page_state(NODE_DATA(k, 0), WORKINGSET_NODES, d);
	}
	return old;
}

/* Empties the shadow-only chunks of mapping, at most *nr of them. */
static void shrink_mapping_shadows(struct kernel *k, struct address_space *mapping,
				   unsigned long *nr)
{
	for (unsigned long base = 0; base < mapping->nr_slots && *nr; base += XA_CHUNK_SIZE) {
		if (!is_shadow_node(mapping, base))
			continue;
		unsigned long end = base + XA_CHUNK_SIZE;
		for (unsigned long i = base; i < end && i < mapping->nr_slots; i++)
			if (mapping->i_pages[i])
				mapping_set_entry(k, mapping, i, NULL);
		__mod_node_page_state(NODE_DATA(k, 0), WORKINGSET_NODERECLAIM, 1);
		(*nr)--;
	}
}

unsigned long workingset_shrink_shadow_nodes(struct kernel *k)
{
	unsigned long nodes = (unsigned long)global_node_page_state(k, WORKINGSET_NODES);
	unsigned long pages = 0;
	for_each_online_node(k, nid) pages += NODE_DATA(k, nid)->node_present_pages;
	unsigned long max_nodes = pages >> (XA_CHUNK_SHIFT - 3);
	if (nodes <= max_nodes)
		return 0;
	/* The shrinker has seeks = 0: each pass asks for half of what count reported. */
	unsigned long want = (nodes - max_nodes + 1) / 2, nr = want;
	struct address_space *mapping, *next;
	list_for_each_entry_safe(mapping, next, &k->swap->shadow_mappings, shadow_link)
	{
		if (!nr)
			break;
		if (mapping->nr_shadow_nodes)
			shrink_mapping_shadows(k, mapping, &nr);
	}
	return want - nr;
}
