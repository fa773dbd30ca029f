/*
 * SLUB, as Linux's mm/slub.c: the allocator core behind kmem_cache_alloc()/kmem_cache_free()
 * (fast paths in slab.h), cache creation and destruction, and the bootstrap of the caches
 * that hold the allocator's own structures.
 *
 * Slab states (page->frozen, page->freelist, list membership):
 *
 *   frozen            some CPU's active slab; its free objects are on that CPU's freelist,
 *                     page->freelist collects frees from other CPUs ("remote frees")
 *   partial           not frozen, some objects free: on its node's partial list
 *   full              not frozen, no object free: on no list (found again by its objects)
 *   empty             not frozen, nothing in use: kept on the partial list while the node
 *                     has fewer than min_partial partial slabs, else back to the buddy
 *
 * The slow paths move slabs between these states: ___slab_alloc refills the CPU from its
 * slab's remote frees, then from the node partial list, then from a new slab;
 * __slab_free puts a full slab back on the partial list, or an empty one back to the buddy.
 */
#include "kernel-sim/slab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/page_alloc.h"

#define MIN_PARTIAL 5  /* empty slabs a node keeps at least ... */
#define MAX_PARTIAL 10 /* ... and at most */

enum { DEACTIVATE_TO_HEAD_POS, DEACTIVATE_TO_TAIL_POS };

#define ALIGN(x, a) (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))

/* ---- small helpers ---- */

static unsigned int fls(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

static unsigned int ilog2(unsigned int x)
{
	return fls(x) - 1;
}

/* Smallest order whose block holds size bytes (Linux's get_order). */
unsigned int slab_get_order(unsigned long size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)(PAGE_SIZE << order) / size;
}

static struct kmem_cache_order_objects oo_make(unsigned int order, unsigned int size)
{
	return (struct kmem_cache_order_objects){(order << OO_SHIFT) + order_objects(order, size)};
}

static unsigned int oo_order(struct kmem_cache_order_objects x)
{
	return x.x >> OO_SHIFT;
}

static unsigned int oo_objects(struct kmem_cache_order_objects x)
{
	return x.x & OO_MASK;
}

static void stat(struct kernel *k, struct kmem_cache *s, enum stat_item si)
{
	s->cpu_slab[k->this_cpu].stat[si]++;
}

static struct kmem_cache_node *get_node(const struct kmem_cache *s, int nid)
{
	return s->node[nid];
}

/* Byte offset of the kmem_cache_cpu array inside a struct kmem_cache object. */
static size_t cpu_slab_offset(const struct kernel *k)
{
	return ALIGN(offsetof(struct kmem_cache, node) +
			     (size_t)k->nr_node_ids * sizeof(struct kmem_cache_node *),
		     (size_t)8);
}

size_t kmem_cache_object_bytes(const struct kernel *k)
{
	return cpu_slab_offset(k) + (size_t)k->nr_cpu_ids * sizeof(struct kmem_cache_cpu);
}

void kmem_cache_set_cpu_slab(const struct kernel *k, struct kmem_cache *s)
{
	s->cpu_slab = (struct kmem_cache_cpu *)((char *)s + cpu_slab_offset(k));
}

static enum node_stat_item cache_vmstat_idx(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s->object_size;
}

/* ---- slab geometry (calculate_sizes, calculate_order) ---- */

/*
 * Linux's slab_order(): the smallest order from the one that holds min_objects up to
 * max_order whose leftover is at most 1/fract_leftover of the slab. A result above
 * max_order means no order qualifies.
 */
static unsigned int slab_order(const struct slab_state *st, unsigned int size,
			       unsigned int min_objects, unsigned int max_order,
			       unsigned int fract_leftover)
{
	unsigned int min_order = st->slub_min_order;
	unsigned int order;

	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return slab_get_order((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;

	order = slab_get_order((unsigned long)min_objects * size);
	if (order < min_order)
		order = min_order;
	for (; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/*
 * Linux's calculate_order() (v4.x .. v6.6): aim for min_objects per slab (4 * (fls(cpus)
 * + 1) unless slub_min_objects says otherwise) within slub_max_order, accepting 1/16, then
 * 1/8, then 1/4 of waste, then fewer objects; last, any order that fits one object.
 * -1 when even that exceeds the buddy allocator's largest block.
 */
static int calculate_order(const struct kernel *k, unsigned int size)
{
	const struct slab_state *st = k->slab;
	unsigned int min_objects = st->slub_min_objects;
	unsigned int max_objects, order, fraction;

	if (!min_objects)
		min_objects = 4 * (fls((unsigned int)k->nr_cpu_ids) + 1);
	max_objects = order_objects(st->slub_max_order, size);
	if (min_objects > max_objects)
		min_objects = max_objects;

	for (; min_objects > 1; min_objects--) {
		for (fraction = 16; fraction >= 4; fraction /= 2) {
			order = slab_order(st, size, min_objects, st->slub_max_order, fraction);
			if (order <= st->slub_max_order)
				return (int)order;
		}
	}
	order = slab_order(st, size, 1, st->slub_max_order, 1);
	if (order <= st->slub_max_order)
		return (int)order;
	order = slab_order(st, size, 1, MAX_ORDER, 1);
	if (order < MAX_ORDER)
		return (int)order;
	return -1;
}

/* Linux's calculate_alignment(): cache-line alignment shrunk for small objects, at least
 * a word. */
static unsigned int slab_calculate_alignment(slab_flags_t flags, unsigned int align,
					     unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = L1_CACHE_BYTES;

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > align)
			align = ralign;
	}
	if (align < ARCH_SLAB_MINALIGN)
		align = ARCH_SLAB_MINALIGN;
	return ALIGN(align, (unsigned int)sizeof(void *));
}

/* Lays out s's objects (free pointer, stride) and picks its slab order. False when no
 * slab can hold an object. */
static bool calculate_sizes(struct kernel *k, struct kmem_cache *s)
{
	unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));
	int order;

	s->inuse = size;
	if (s->ctor) {
		/* A constructed object keeps its state while free: the pointer goes after it. */
		s->offset = size;
		size += sizeof(void *);
	} else {
		/* Mid-object, where a small overrun of the previous object does not reach. */
		s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
	}
	size = ALIGN(size, s->align);
	s->size = size;
	s->reciprocal_size = UINT64_MAX / size + 1;
	order = calculate_order(k, size);
	if (order < 0)
		return false;
	s->allocflags = 0;
	if (s->flags & SLAB_CACHE_DMA)
		s->allocflags |= GFP_DMA;
	if (s->flags & SLAB_CACHE_DMA32)
		s->allocflags |= GFP_DMA32;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	s->oo = oo_make((unsigned int)order, size);
	s->min = oo_make(slab_get_order(size), size);
	return oo_objects(s->oo) > 0;
}

/* ---- node lists ---- */

static void init_kmem_cache_node(struct kmem_cache_node *n)
{
	n->nr_partial = 0;
	INIT_LIST_HEAD(&n->partial);
	n->nr_slabs = 0;
	n->total_objects = 0;
}

static void add_partial(struct kmem_cache_node *n, struct page *page, int tail)
{
	n->nr_partial++;
	if (tail == DEACTIVATE_TO_TAIL_POS)
		list_add_tail(&page->slab_list, &n->partial);
	else
		list_add(&page->slab_list, &n->partial);
}

static void remove_partial(struct kmem_cache_node *n, struct page *page)
{
	list_del(&page->slab_list);
	n->nr_partial--;
}

static void inc_slabs_node(struct kmem_cache *s, int nid, unsigned int objects)
{
	struct kmem_cache_node *n = get_node(s, nid);

	n->nr_slabs++;
	n->total_objects += objects;
}

static void dec_slabs_node(struct kmem_cache *s, int nid, unsigned int objects)
{
	struct kmem_cache_node *n = get_node(s, nid);

	n->nr_slabs--;
	n->total_objects -= objects;
}

/* ---- slab pages ---- */

static struct page *alloc_slab_page(struct kernel *k, gfp_t gfp, int node, unsigned int order)
{
	if (order)
		gfp |= __GFP_COMP;
	if (node == NUMA_NO_NODE)
		return alloc_pages(k, gfp, order);
	return alloc_pages_node(k, node, gfp, order);
}

/* Threads every object of a new slab onto its freelist in address order, running the
 * constructor on each. */
static void init_slab_freelist(struct kernel *k, struct kmem_cache *s, struct page *page)
{
	char *start = page_address(k, page);
	unsigned int i;

	for (i = 0; i < page->objects; i++) {
		char *p = start + (size_t)i * s->size;

		if (s->ctor)
			s->ctor(p);
		set_freepointer(s, p, i + 1 < page->objects ? p + s->size : NULL);
	}
	page->freelist = start;
}

/*
 * A new slab for s from the buddy allocator: the preferred order without retrying hard,
 * then the minimal order. Not yet counted on any node (the caller does, once the node
 * structure exists). NULL when no memory.
 */
static struct page *new_slab(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node)
{
	struct kmem_cache_order_objects oo = s->oo;
	struct page *page;
	gfp_t alloc_gfp;

	gfp = (gfp & ~(__GFP_ZERO | __GFP_COMP)) | s->allocflags;
	alloc_gfp = gfp;
	if (oo_order(oo) > oo_order(s->min))
		alloc_gfp = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	page = alloc_slab_page(k, alloc_gfp, node, oo_order(oo));
	if (unlikely(!page) && oo.x != s->min.x) {
		oo = s->min;
		page = alloc_slab_page(k, gfp, node, oo_order(oo));
	}
	if (unlikely(!page))
		return NULL;
	page->counters = 0;
	page->objects = (uint16_t)oo_objects(oo);
	page->slab_order = (uint16_t)oo_order(oo);
	page->slab_cache = s;
	SetPageSlab(page);
	__mod_node_page_state(page_pgdat(k, page), cache_vmstat_idx(s), 1L << oo_order(oo));
	init_slab_freelist(k, s, page);
	return page;
}

static void free_slab(struct kernel *k, struct kmem_cache *s, struct page *page)
{
	unsigned int order = page->slab_order;

	__mod_node_page_state(page_pgdat(k, page), cache_vmstat_idx(s), -(1L << order));
	__ClearPageSlab(page);
	page->slab_cache = NULL;
	page->freelist = NULL;
	page->counters = 0;
	__free_pages(k, page, order);
}

static void discard_slab(struct kernel *k, struct kmem_cache *s, struct page *page)
{
	dec_slabs_node(s, page_to_nid(page), page->objects);
	free_slab(k, s, page);
	stat(k, s, FREE_SLAB);
}

/* ---- the CPU slab ---- */

static void set_cpu_slab(struct kernel *k, struct kmem_cache_cpu *c, struct kmem_cache *s,
			 struct page *page)
{
	c->page = page;
	c->slab_base = (uintptr_t)page_address(k, page);
	c->slab_objs_bytes = (uintptr_t)page->objects * s->size;
}

static void clear_cpu_slab(struct kmem_cache_cpu *c)
{
	c->page = NULL;
	c->freelist = NULL;
	c->slab_base = 0;
	c->slab_objs_bytes = 0;
}

/*
 * Gives a CPU's slab back to its node: the CPU's freelist returns to the slab, which then
 * goes to the partial list (to the tail if it had remote frees, it is then colder), back
 * to the buddy if empty and the node has enough partial slabs, or nowhere if full.
 */
static void deactivate_slab(struct kernel *k, struct kmem_cache *s, struct page *page,
			    void *freelist)
{
	struct kmem_cache_node *n = get_node(s, page_to_nid(page));
	int tail = page->freelist ? DEACTIVATE_TO_TAIL_POS : DEACTIVATE_TO_HEAD_POS;

	while (freelist) {
		void *next = get_freepointer(s, freelist);

		set_freepointer(s, freelist, page->freelist);
		page->freelist = freelist;
		page->inuse--;
		freelist = next;
	}
	page->frozen = 0;
	if (!page->inuse && n->nr_partial >= s->min_partial) {
		stat(k, s, DEACTIVATE_EMPTY);
		discard_slab(k, s, page);
	} else if (page->freelist) {
		add_partial(n, page, tail);
		stat(k, s, tail == DEACTIVATE_TO_TAIL_POS ? DEACTIVATE_TO_TAIL : DEACTIVATE_TO_HEAD);
	} else {
		stat(k, s, DEACTIVATE_FULL);
	}
}

static void flush_cpu_slab(struct kernel *k, struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

	if (!c->page)
		return;
	stat(k, s, CPUSLAB_FLUSH);
	deactivate_slab(k, s, c->page, c->freelist);
	clear_cpu_slab(c);
}

static void flush_all(struct kernel *k, struct kmem_cache *s)
{
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		flush_cpu_slab(k, s, cpu);
}

/* Takes the whole freelist of a slab for a CPU: the slab counts every object as in use
 * and is frozen while any was free. */
static void *get_freelist(struct page *page)
{
	void *freelist = page->freelist;

	page->freelist = NULL;
	page->inuse = page->objects;
	page->frozen = freelist != NULL;
	return freelist;
}

/* The first partial slab of node nid, taken off the list and frozen; its freelist in
 * *freelist. NULL when the node has none. */
static struct page *get_partial_node(struct kmem_cache *s, int nid, void **freelist)
{
	struct kmem_cache_node *n = get_node(s, nid);
	struct page *page;

	if (!n || !n->nr_partial)
		return NULL;
	page = list_first_entry(&n->partial, struct page, slab_list);
	remove_partial(n, page);
	*freelist = get_freelist(page);
	return page;
}

/* A partial slab of the requested node (the CPU's own by default). Linux may also look at
 * other nodes (get_any_partial, at random); a deterministic machine does not. */
static struct page *get_partial(struct kernel *k, struct kmem_cache *s, int node,
				void **freelist)
{
	int searchnode = node == NUMA_NO_NODE ? numa_node_id(k) : node;

	return get_partial_node(s, searchnode, freelist);
}

/*
 * The allocation slow path (Linux's ___slab_alloc): the CPU's freelist is empty or on the
 * wrong node. Refill from the CPU slab's remote frees, else take a partial slab, else a
 * new slab, and hand out its first free object.
 */
void *__slab_alloc(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[k->this_cpu];
	struct page *page = c->page;
	void *freelist;

	stat(k, s, ALLOC_SLOWPATH);
	if (page && node != NUMA_NO_NODE && page_to_nid(page) != node) {
		stat(k, s, ALLOC_NODE_MISMATCH);
		flush_cpu_slab(k, s, k->this_cpu);
		page = NULL;
	}
	if (page) {
		BUG_ON(c->freelist);
		freelist = get_freelist(page);
		if (freelist) {
			stat(k, s, ALLOC_REFILL);
			goto load_freelist;
		}
		/* Full: it leaves the CPU and, being full, goes on no list. */
		clear_cpu_slab(c);
	}
	page = get_partial(k, s, node, &freelist);
	if (page) {
		stat(k, s, ALLOC_FROM_PARTIAL);
	} else {
		page = new_slab(k, s, gfp, node);
		if (!page)
			return NULL;
		inc_slabs_node(s, page_to_nid(page), page->objects);
		stat(k, s, ALLOC_SLAB);
		freelist = get_freelist(page);
	}
	set_cpu_slab(k, c, s, page);
load_freelist:
	c->freelist = get_freepointer(s, freelist);
	return freelist;
}

void *kmem_cache_alloc_node(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object = slab_alloc_node(k, s, gfp, node);

	if (unlikely(gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

/* The slab of object x of s, after checking that x is one: a BUG otherwise. */
static struct page *object_slab(struct kernel *k, struct kmem_cache *s, void *x)
{
	struct page *page = virt_to_slab(k, x);
	uintptr_t off;
	unsigned int idx;

	BUG_ON(!page);
	BUG_ON(page->slab_cache != s);
	off = (uintptr_t)x - (uintptr_t)page_address(k, page);
	idx = obj_offset_to_index(s, off);
	BUG_ON((uintptr_t)idx * s->size != off || idx >= page->objects);
	return page;
}

/*
 * The free slow path (Linux's __slab_free): x is not in this CPU's active slab. It goes
 * onto its slab's freelist; a slab that was full moves to the partial list, one that
 * became empty goes back to the buddy when the node has min_partial partial slabs. A slab
 * frozen by another CPU just collects the object.
 */
void __slab_free(struct kernel *k, struct kmem_cache *s, void *x)
{
	struct page *page = object_slab(k, s, x);
	void *prior = page->freelist;
	struct kmem_cache_node *n;

	stat(k, s, FREE_SLOWPATH);
	BUG_ON(page->inuse == 0); /* more frees than allocations: a double free */
	set_freepointer(s, x, prior);
	page->freelist = x;
	page->inuse--;
	if (page->frozen) {
		stat(k, s, FREE_FROZEN);
		return;
	}
	n = get_node(s, page_to_nid(page));
	if (!page->inuse && n->nr_partial >= s->min_partial) {
		if (prior) {
			remove_partial(n, page);
			stat(k, s, FREE_REMOVE_PARTIAL);
		}
		discard_slab(k, s, page);
		return;
	}
	if (!prior) {
		add_partial(n, page, DEACTIVATE_TO_TAIL_POS);
		stat(k, s, FREE_ADD_PARTIAL);
	}
}

struct page *virt_to_slab(struct kernel *k, const void *x)
{
	uint64_t pa = (uint64_t)((uintptr_t)x - (uintptr_t)k->bus->ram);
	struct page *page;

	if (pa >= k->bus->ram_size)
		return NULL;
	page = compound_head(pfn_to_page(k, pa >> PAGE_SHIFT));
	return PageSlab(page) ? page : NULL;
}

/* ---- caches ---- */

static void free_kmem_cache_nodes(struct kernel *k, struct kmem_cache *s)
{
	for_each_online_node(k, nid) {
		if (s->node[nid])
			kmem_cache_free(k, k->slab->kmem_cache_node, s->node[nid]);
		s->node[nid] = NULL;
	}
}

/*
 * The node structure of the kmem_cache_node cache itself, before any cache can allocate:
 * a first slab of that cache on node nid gives up its first object for it
 * (early_kmem_cache_node_alloc).
 */
static int early_kmem_cache_node_alloc(struct kernel *k, int nid)
{
	struct kmem_cache *s = k->slab->kmem_cache_node;
	struct kmem_cache_node *n;
	struct page *page;

	page = new_slab(k, s, GFP_NOWAIT | __GFP_THISNODE, nid);
	if (!page)
		return -ENOMEM;
	n = page->freelist;
	page->freelist = get_freepointer(s, n);
	page->inuse = 1;
	s->node[nid] = n;
	init_kmem_cache_node(n);
	inc_slabs_node(s, nid, page->objects);
	add_partial(n, page, DEACTIVATE_TO_HEAD_POS);
	return 0;
}

static int init_kmem_cache_nodes(struct kernel *k, struct kmem_cache *s)
{
	for_each_online_node(k, nid) {
		struct kmem_cache_node *n;

		if (k->slab->state == DOWN) {
			if (early_kmem_cache_node_alloc(k, nid))
				return -ENOMEM;
			continue;
		}
		n = kmem_cache_alloc_node(k, k->slab->kmem_cache_node, GFP_KERNEL, nid);
		if (!n)
			return -ENOMEM;
		init_kmem_cache_node(n);
		s->node[nid] = n;
	}
	return 0;
}

/* Linux's set_min_partial: more empty slabs kept for caches of larger objects. */
static void set_min_partial(struct kmem_cache *s)
{
	unsigned long min = ilog2(s->size) / 2;

	if (min < MIN_PARTIAL)
		min = MIN_PARTIAL;
	else if (min > MAX_PARTIAL)
		min = MAX_PARTIAL;
	s->min_partial = min;
}

/*
 * Fills in s, whose name, object_size, align and ctor are set, and gives it its node
 * structures (kmem_cache_open). 0, -EINVAL when no slab can hold the object, -ENOMEM.
 */
static int kmem_cache_open(struct kernel *k, struct kmem_cache *s, slab_flags_t flags)
{
	s->flags = flags;
	s->refcount = 1;
	if (!calculate_sizes(k, s))
		return -EINVAL;
	set_min_partial(s);
	memset(s->cpu_slab, 0, (size_t)k->nr_cpu_ids * sizeof(struct kmem_cache_cpu));
	if (init_kmem_cache_nodes(k, s)) {
		free_kmem_cache_nodes(k, s);
		return -ENOMEM;
	}
	return 0;
}

/* Frees every empty slab on the partial lists; true when none of s's slabs remains. */
static bool free_partial_empty(struct kernel *k, struct kmem_cache *s)
{
	bool none_left = true;

	for_each_online_node(k, nid) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct page *page, *tmp;

		list_for_each_entry_safe(page, tmp, &n->partial, slab_list) {
			if (!page->inuse) {
				remove_partial(n, page);
				discard_slab(k, s, page);
			}
		}
		if (n->nr_slabs)
			none_left = false;
	}
	return none_left;
}

int kmem_cache_shrink(struct kernel *k, struct kmem_cache *s)
{
	flush_all(k, s);
	free_partial_empty(k, s);
	return 0;
}

struct kmem_cache *kmem_cache_create(struct kernel *k, const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags, void (*ctor)(void *))
{
	struct slab_state *st = k->slab;
	struct kmem_cache *s = NULL;
	char *cache_name;

	BUG_ON(!st || st->state != FULL);
	if (!name || !size || size > KMALLOC_MAX_SIZE || (align & (align - 1)) ||
	    align > PAGE_SIZE)
		goto out_fail;
	cache_name = kstrdup(k, name, GFP_KERNEL);
	if (!cache_name)
		goto out_fail;
	s = kmem_cache_zalloc(k, st->kmem_cache, GFP_KERNEL);
	if (!s)
		goto out_free_name;
	kmem_cache_set_cpu_slab(k, s);
	s->name = cache_name;
	s->object_size = size;
	s->align = slab_calculate_alignment(flags, align, size);
	s->ctor = ctor;
	if (kmem_cache_open(k, s, flags))
		goto out_free_cache;
	list_add(&s->list, &st->slab_caches);
	return s;

out_free_cache:
	kmem_cache_free(k, st->kmem_cache, s);
out_free_name:
	kfree(k, cache_name);
out_fail:
	BUG_ON(flags & SLAB_PANIC);
	return NULL;
}

void kmem_cache_destroy(struct kernel *k, struct kmem_cache *s)
{
	struct slab_state *st = k->slab;

	if (!s)
		return;
	/* The allocator's own caches and the kmalloc caches live as long as the kernel. */
	BUG_ON(s == st->kmem_cache || s == st->kmem_cache_node || (s->flags & SLAB_KMALLOC));
	if (--s->refcount)
		return;
	flush_all(k, s);
	if (!free_partial_empty(k, s)) {
		/* Objects still in use: a caller's leak. The cache stays, as on Linux. */
		fprintf(stderr, "mmemu: kmem_cache_destroy %s: Slab cache still has objects\n",
			s->name);
		s->refcount = 1;
		return;
	}
	list_del(&s->list);
	free_kmem_cache_nodes(k, s);
	kfree(k, s->name);
	kmem_cache_free(k, st->kmem_cache, s);
}

/* ---- bootstrap ---- */

/*
 * Points every slab of old at its new home s. Linux finds them on the partial lists (and,
 * with SLUB_DEBUG, the full lists); here full slabs are on no list, so they are looked
 * for in mem_map: from the top, where the buddy allocator hands out frames first at boot
 * (memblock_free_all frees upwards onto the free lists' heads), and only until all of
 * old's slabs (nr_slabs of its nodes) are found, not through all of mem_map.
 */
static void repoint_slabs(struct kernel *k, const struct kmem_cache *old, struct kmem_cache *s)
{
	unsigned long left = 0;

	for_each_online_node(k, nid)
		left += get_node(old, nid)->nr_slabs;
	for (unsigned long pfn = k->max_pfn; left && pfn-- > 0;) {
		struct page *page = pfn_to_page(k, pfn);

		if (PageSlab(page) && page->slab_cache == old) {
			page->slab_cache = s;
			left--;
		}
	}
	BUG_ON(left);
}

/*
 * Moves a boot-time cache (host memory) into an object of the kmem_cache cache, as Linux's
 * bootstrap(): copy, re-aim the per-cpu array at the copy, re-point the slabs.
 */
static struct kmem_cache *bootstrap(struct kernel *k, struct kmem_cache *boot)
{
	struct kmem_cache *s = kmem_cache_zalloc(k, k->slab->kmem_cache, GFP_NOWAIT);

	if (!s)
		return NULL;
	memcpy(s, boot, kmem_cache_object_bytes(k));
	kmem_cache_set_cpu_slab(k, s);
	repoint_slabs(k, boot, s);
	list_add(&s->list, &k->slab->slab_caches);
	return s;
}

/* A cache made before kmem_cache_create() works (create_boot_cache). */
int create_boot_cache(struct kernel *k, struct kmem_cache *s, const char *name,
		      unsigned int size, slab_flags_t flags)
{
	unsigned int align = ARCH_SLAB_MINALIGN;

	/* kmalloc objects are aligned to the largest power of two dividing their size. */
	if ((flags & SLAB_KMALLOC) && (size & -size) > align)
		align = size & -size;
	s->name = name;
	s->object_size = size;
	s->align = slab_calculate_alignment(flags, align, size);
	return kmem_cache_open(k, s, flags);
}

static int bootstrap_caches(struct kernel *k, struct kmem_cache *boot_node,
			    struct kmem_cache *boot_cache)
{
	struct slab_state *st = k->slab;
	int err;

	kmem_cache_set_cpu_slab(k, boot_node);
	kmem_cache_set_cpu_slab(k, boot_cache);
	st->kmem_cache_node = boot_node;
	err = create_boot_cache(k, boot_node, "kmem_cache_node", sizeof(struct kmem_cache_node),
				SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE);
	if (err)
		return err;
	st->state = PARTIAL;
	st->kmem_cache = boot_cache;
	err = create_boot_cache(k, boot_cache, "kmem_cache",
				(unsigned int)kmem_cache_object_bytes(k),
				SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE);
	if (err)
		return err;
	st->kmem_cache = bootstrap(k, boot_cache);
	if (!st->kmem_cache)
		return -ENOMEM;
	st->kmem_cache_node = bootstrap(k, boot_node);
	if (!st->kmem_cache_node)
		return -ENOMEM;
	st->state = UP;
	return 0;
}

int kmem_cache_init(struct kernel *k)
{
	struct slab_state *st = calloc(1, sizeof(*st));
	struct kmem_cache *boot_node = calloc(1, kmem_cache_object_bytes(k));
	struct kmem_cache *boot_cache = calloc(1, kmem_cache_object_bytes(k));
	int err = -ENOMEM;

	if (!st || !boot_node || !boot_cache)
		goto out_free;
	k->slab = st;
	st->state = DOWN;
	st->slub_max_order = PAGE_ALLOC_COSTLY_ORDER;
	INIT_LIST_HEAD(&st->slab_caches);
	err = bootstrap_caches(k, boot_node, boot_cache);
	if (!err)
		err = create_kmalloc_caches(k);
	if (!err)
		st->state = FULL;
out_free:
	free(boot_node);
	free(boot_cache);
	if (err) {
		free(st);
		k->slab = NULL;
	}
	return err;
}

void kmem_cache_teardown(struct kernel *k)
{
	free(k->slab);
	k->slab = NULL;
}

/* ---- consistency checks (slub_debug's validate, CONFIG_DEBUG_VM) ---- */

/* A host-side bitmap of one slab's objects, to catch objects listed twice. */
struct obj_map {
	uint64_t bits[(MAX_OBJS_PER_PAGE + 64) / 64];
};

#define check_fail(err, errlen, ...) (snprintf(err, errlen, __VA_ARGS__), -EUCLEAN)

/*
 * Walks a freelist of page, marking each object in map: every entry must be an object of
 * the slab, on a boundary, listed once. The number of objects walked in *count.
 */
static int check_freelist(struct kernel *k, struct kmem_cache *s, struct page *page,
			  void *fp, struct obj_map *map, unsigned int *count, char *err,
			  size_t errlen)
{
	uintptr_t base = (uintptr_t)page_address(k, page);

	*count = 0;
	for (; fp; fp = get_freepointer(s, fp)) {
		uintptr_t off = (uintptr_t)fp - base;
		unsigned int idx = (unsigned int)(off / s->size);

		if ((uintptr_t)fp < base || off % s->size || idx >= page->objects)
			return check_fail(err, errlen, "%s: slab pfn %lu: free pointer %p outside"
					  " the slab or off an object boundary", s->name,
					  page_to_pfn(k, page), fp);
		if (map->bits[idx / 64] & (1ULL << (idx % 64)))
			return check_fail(err, errlen, "%s: slab pfn %lu: object %u twice on a"
					  " freelist (cycle or double free)", s->name,
					  page_to_pfn(k, page), idx);
		map->bits[idx / 64] |= 1ULL << (idx % 64);
		(*count)++;
	}
	return 0;
}

/* The CPU whose active slab page is, or -1. */
static int cpu_of_slab(struct kernel *k, struct kmem_cache *s, const struct page *page)
{
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		if (s->cpu_slab[cpu].page == page)
			return cpu;
	return -1;
}

/* Checks one slab page of s: geometry, freelists, inuse, frozen state. */
static int check_slab(struct kernel *k, struct kmem_cache *s, struct page *page,
		      struct obj_map *map, char *err, size_t errlen)
{
	unsigned long pfn = page_to_pfn(k, page);
	int cpu = cpu_of_slab(k, s, page);
	unsigned int nfree, ncpu = 0;
	int ret;

	if (page->objects != order_objects(page->slab_order, s->size) ||
	    (page->slab_order != oo_order(s->oo) && page->slab_order != oo_order(s->min)))
		return check_fail(err, errlen, "%s: slab pfn %lu: %u objects at order %u", s->name,
				  pfn, page->objects, page->slab_order);
	if (page->inuse > page->objects)
		return check_fail(err, errlen, "%s: slab pfn %lu: inuse %u > objects %u", s->name,
				  pfn, page->inuse, page->objects);
	memset(map, 0, sizeof(*map));
	ret = check_freelist(k, s, page, page->freelist, map, &nfree, err, errlen);
	if (ret)
		return ret;
	if (nfree != (unsigned int)(page->objects - page->inuse))
		return check_fail(err, errlen, "%s: slab pfn %lu: %u free objects listed, inuse"
				  " %u of %u", s->name, pfn, nfree, page->inuse, page->objects);
	if (page->frozen != (cpu >= 0))
		return check_fail(err, errlen, "%s: slab pfn %lu: frozen %u but %s CPU slab",
				  s->name, pfn, page->frozen, cpu >= 0 ? "a" : "no");
	if (cpu >= 0) {
		ret = check_freelist(k, s, page, s->cpu_slab[cpu].freelist, map, &ncpu, err,
				     errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* Checks CPU c's view of s. */
static int check_cpu_slab(struct kernel *k, struct kmem_cache *s, int cpu, char *err,
			  size_t errlen)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

	if (!c->page) {
		if (c->freelist || c->slab_base || c->slab_objs_bytes)
			return check_fail(err, errlen, "%s: cpu %d: freelist without a slab",
					  s->name, cpu);
		return 0;
	}
	if (!PageSlab(c->page) || c->page->slab_cache != s || !c->page->frozen)
		return check_fail(err, errlen, "%s: cpu %d: active slab is no frozen slab of the"
				  " cache", s->name, cpu);
	if (c->slab_base != (uintptr_t)page_address(k, c->page) ||
	    c->slab_objs_bytes != (uintptr_t)c->page->objects * s->size)
		return check_fail(err, errlen, "%s: cpu %d: stale slab range", s->name, cpu);
	for (int other = 0; other < cpu; other++)
		if (s->cpu_slab[other].page == c->page)
			return check_fail(err, errlen, "%s: cpus %d and %d share a slab", s->name,
					  other, cpu);
	return 0;
}

/* Checks node nid's partial list: well linked, of the right length, each member a
 * non-frozen slab of s on nid with a free object. */
static int check_partial(struct kernel *k, struct kmem_cache *s, int nid,
			 unsigned long max_slabs, char *err, size_t errlen)
{
	struct kmem_cache_node *n = get_node(s, nid);
	unsigned long count = 0;
	struct list_head *pos;

	for (pos = n->partial.next; pos != &n->partial; pos = pos->next) {
		struct page *page = list_entry(pos, struct page, slab_list);

		if (pos->next->prev != pos || ++count > max_slabs)
			return check_fail(err, errlen, "%s: node %d: partial list corrupt", s->name,
					  nid);
		if (!PageSlab(page) || page->slab_cache != s || page->frozen ||
		    page_to_nid(page) != nid || !page->freelist || page->inuse >= page->objects)
			return check_fail(err, errlen, "%s: node %d: pfn %lu on the partial list"
					  " is no partial slab of the cache", s->name, nid,
					  page_to_pfn(k, page));
	}
	if (count != n->nr_partial)
		return check_fail(err, errlen, "%s: node %d: %lu slabs on the partial list,"
				  " nr_partial %lu", s->name, nid, count, n->nr_partial);
	return 0;
}

/* Per-node totals found in mem_map. */
struct node_tally {
	unsigned long slabs;   /* slab pages of the cache */
	unsigned long objects; /* their objects */
	unsigned long partial; /* of them: not frozen, with a free object */
};

static int check_mem_map(struct kernel *k, struct kmem_cache *s, struct node_tally *tally,
			 char *err, size_t errlen)
{
	struct obj_map *map = malloc(sizeof(*map));
	int ret = 0;

	BUG_ON(!map);
	for (unsigned long pfn = 0; pfn < k->max_pfn && !ret; pfn++) {
		struct page *page = pfn_to_page(k, pfn);
		struct node_tally *t = &tally[page_to_nid(page)];

		if (!PageSlab(page) || page->slab_cache != s)
			continue;
		ret = check_slab(k, s, page, map, err, errlen);
		t->slabs++;
		t->objects += page->objects;
		t->partial += !page->frozen && page->freelist;
	}
	free(map);
	return ret;
}

int slab_check_cache(struct kernel *k, struct kmem_cache *s, char *err, size_t errlen)
{
	struct node_tally tally[MAX_NUMNODES] = {{0, 0, 0}};
	int ret;

	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		if ((ret = check_cpu_slab(k, s, cpu, err, errlen)))
			return ret;
	if ((ret = check_mem_map(k, s, tally, err, errlen)))
		return ret;
	for_each_online_node(k, nid) {
		struct kmem_cache_node *n = get_node(s, nid);

		if ((ret = check_partial(k, s, nid, tally[nid].slabs, err, errlen)))
			return ret;
		if (n->nr_slabs != tally[nid].slabs || n->total_objects != tally[nid].objects ||
		    n->nr_partial != tally[nid].partial)
			return check_fail(err, errlen, "%s: node %d: counts %lu slabs %lu objects"
					  " %lu partial, mem_map has %lu %lu %lu", s->name, nid,
					  n->nr_slabs, n->total_objects, n->nr_partial,
					  tally[nid].slabs, tally[nid].objects,
					  tally[nid].partial);
	}
	return 0;
}

static bool cache_listed(struct kernel *k, const struct kmem_cache *s)
{
	const struct kmem_cache *t;

	list_for_each_entry(t, &k->slab->slab_caches, list)
		if (t == s)
			return true;
	return false;
}

int slab_check(struct kernel *k, char *err, size_t errlen)
{
	struct kmem_cache *s;
	int ret;

	/* Every slab page must belong to a live cache: a page of a destroyed cache leaked. */
	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++) {
		struct page *page = pfn_to_page(k, pfn);

		if (PageSlab(page) && !cache_listed(k, page->slab_cache))
			return check_fail(err, errlen, "pfn %lu: slab page of no live cache", pfn);
	}
	list_for_each_entry(s, &k->slab->slab_caches, list)
		if ((ret = slab_check_cache(k, s, err, errlen)))
			return ret;
	return 0;
}

unsigned long slab_count_pages(struct kernel *k, const struct kmem_cache *s)
{
	unsigned long pages = 0;

	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++) {
		struct page *page = pfn_to_page(k, pfn);

		if (PageSlab(page) && (!s || page->slab_cache == s))
			pages += 1UL << page->slab_order;
	}
	return pages;
}
