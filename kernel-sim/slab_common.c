/*
 * What every slab allocator shares, as Linux's mm/slab_common.c: the kmalloc size classes
 * and their caches, kmalloc()/kfree()/ksize() (large requests straight from the buddy
 * allocator as compound pages), and /proc/slabinfo.
 */
#include "kernel-sim/slab.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/page_alloc.h"
#include "kernel-sim/seq_file.h"

/* ---- size classes ---- */

/* Names of kmalloc_caches[i], as Linux's kmalloc_info[]. */
static const char *const kmalloc_names[KMALLOC_SHIFT_HIGH + 1] = {
	[1] = "kmalloc-96",   [2] = "kmalloc-192", [3] = "kmalloc-8",    [4] = "kmalloc-16",
	[5] = "kmalloc-32",   [6] = "kmalloc-64",  [7] = "kmalloc-128",  [8] = "kmalloc-256",
	[9] = "kmalloc-512",  [10] = "kmalloc-1k", [11] = "kmalloc-2k",  [12] = "kmalloc-4k",
	[13] = "kmalloc-8k",
};

static unsigned int kmalloc_size(unsigned int index)
{
	if (index == 1)
		return 96;
	if (index == 2)
		return 192;
	return 1u << index;
}

unsigned int kmalloc_index(size_t size)
{
	if (!size)
		return 0;
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_SHIFT_LOW;
	/* Two classes that are no power of two fill the widest gaps: 96 and 192. */
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	/* Otherwise the power of two at or above size. */
	return 64 - (unsigned int)__builtin_clzl(size - 1);
}

struct kmem_cache *kmalloc_slab(struct kernel *k, size_t size)
{
	BUG_ON(!size || size > KMALLOC_MAX_CACHE_SIZE);
	return k->slab->kmalloc_caches[kmalloc_index(size)];
}

static int new_kmalloc_cache(struct kernel *k, unsigned int index)
{
	struct slab_state *st = k->slab;
	struct kmem_cache *s = kmem_cache_zalloc(k, st->kmem_cache, GFP_NOWAIT);
	int err;

	if (!s)
		return -ENOMEM;
	kmem_cache_set_cpu_slab(k, s);
	err = create_boot_cache(k, s, kmalloc_names[index], kmalloc_size(index),
				SLAB_KMALLOC | SLAB_NO_MERGE);
	if (err) {
		kmem_cache_free(k, st->kmem_cache, s);
		return err;
	}
	list_add(&s->list, &st->slab_caches);
	st->kmalloc_caches[index] = s;
	return 0;
}

int create_kmalloc_caches(struct kernel *k)
{
	int err = new_kmalloc_cache(k, 1);

	if (!err)
		err = new_kmalloc_cache(k, 2);
	for (unsigned int i = KMALLOC_SHIFT_LOW; !err && i <= KMALLOC_SHIFT_HIGH; i++)
		err = new_kmalloc_cache(k, i);
	return err;
}

/* ---- kmalloc ---- */

/* Whole compound pages for requests above the largest class. They count as unreclaimable
 * slab memory, as on Linux since 5.x. */
static void *kmalloc_large(struct kernel *k, size_t size, gfp_t gfp, int node)
{
	unsigned int order;
	struct page *page;

	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	order = slab_get_order(size);
	page = node == NUMA_NO_NODE ? alloc_pages(k, gfp | __GFP_COMP, order)
				    : alloc_pages_node(k, node, gfp | __GFP_COMP, order);
	if (!page)
		return NULL;
	__mod_node_page_state(page_pgdat(k, page), NR_SLAB_UNRECLAIMABLE_B, 1L << order);
	k->slab->large_kmalloc_pages += 1UL << order;
	return page_address(k, page);
}

static void free_large_kmalloc(struct kernel *k, struct page *page, const void *x)
{
	unsigned int order = compound_order(page);

	/* Only the address kmalloc_large() returned may be freed. */
	BUG_ON(!PageHead(page) || x != page_address(k, page));
	__mod_node_page_state(page_pgdat(k, page), NR_SLAB_UNRECLAIMABLE_B, -(1L << order));
	k->slab->large_kmalloc_pages -= 1UL << order;
	__free_pages(k, page, order);
}

void *kmalloc_node(struct kernel *k, size_t size, gfp_t gfp, int node)
{
	struct kmem_cache *s;
	void *object;

	if (unlikely(size > KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_large(k, size, gfp, node);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	s = k->slab->kmalloc_caches[kmalloc_index(size)];
	object = slab_alloc_node(k, s, gfp, node);
	if (unlikely(gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

void *kmalloc(struct kernel *k, size_t size, gfp_t gfp)
{
	return kmalloc_node(k, size, gfp, NUMA_NO_NODE);
}

void *kzalloc(struct kernel *k, size_t size, gfp_t gfp)
{
	return kmalloc_node(k, size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}

/* The head page of the kmalloc'd memory at x, after checking x lies in guest RAM. */
static struct page *kmalloc_head_page(struct kernel *k, const void *x)
{
	uint64_t pa = (uint64_t)((uintptr_t)x - (uintptr_t)k->bus->ram);

	BUG_ON(pa >= k->bus->ram_size);
	return compound_head(pfn_to_page(k, pa >> PAGE_SHIFT));
}

void kfree(struct kernel *k, const void *x)
{
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	page = kmalloc_head_page(k, x);
	if (unlikely(!PageSlab(page))) {
		free_large_kmalloc(k, page, x);
		return;
	}
	kmem_cache_free(k, page->slab_cache, (void *)x);
}

size_t ksize(struct kernel *k, const void *x)
{
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return 0;
	page = kmalloc_head_page(k, x);
	if (!PageSlab(page)) {
		BUG_ON(!PageHead(page));
		return PAGE_SIZE << compound_order(page);
	}
	/* No debug metadata follows an object here: the whole stride is usable. */
	return page->slab_cache->size;
}

char *kstrdup(struct kernel *k, const char *s, gfp_t gfp)
{
	size_t len;
	char *copy;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	copy = kmalloc(k, len, gfp);
	if (copy)
		memcpy(copy, s, len);
	return copy;
}

/* ---- /proc/slabinfo ---- */

struct slabinfo {
	unsigned long active_objs;
	unsigned long num_objs;
	unsigned long active_slabs;
	unsigned long num_slabs;
	unsigned int objects_per_slab;
	unsigned int cache_order;
};

/* Free objects on a node's partial lists (count_partial(n, count_free)). */
static unsigned long count_partial_free(const struct kmem_cache_node *n)
{
	unsigned long x = 0;
	struct page *page;

	list_for_each_entry(page, &n->partial, slab_list)
		x += (unsigned long)page->objects - page->inuse;
	return x;
}

/* SLUB's get_slabinfo(): objects of CPU slabs count as active, as on Linux. */
static void get_slabinfo(struct kernel *k, struct kmem_cache *s, struct slabinfo *sinfo)
{
	unsigned long nr_slabs = 0, nr_objs = 0, nr_free = 0;

	for_each_online_node(k, nid) {
		struct kmem_cache_node *n = s->node[nid];

		nr_slabs += n->nr_slabs;
		nr_objs += n->total_objects;
		nr_free += count_partial_free(n);
	}
	sinfo->active_objs = nr_objs - nr_free;
	sinfo->num_objs = nr_objs;
	sinfo->active_slabs = nr_slabs;
	sinfo->num_slabs = nr_slabs;
	sinfo->objects_per_slab = s->oo.x & OO_MASK;
	sinfo->cache_order = s->oo.x >> OO_SHIFT;
}

static void cache_show(struct seq_file *m, struct kernel *k, struct kmem_cache *s)
{
	struct slabinfo sinfo;

	get_slabinfo(k, s, &sinfo);
	seq_printf(m, "%-17s %6lu %6lu %6u %4u %4d", s->name, sinfo.active_objs, sinfo.num_objs,
		   s->size, sinfo.objects_per_slab, 1 << sinfo.cache_order);
	/* SLUB has no tunables and no shared arrays: zeros, as Linux prints. */
	seq_printf(m, " : tunables %4u %4u %4u", 0u, 0u, 0u);
	seq_printf(m, " : slabdata %6lu %6lu %6lu", sinfo.active_slabs, sinfo.num_slabs, 0UL);
	seq_putc(m, '\n');
}

void slabinfo_show(struct seq_file *m, struct kernel *k)
{
	struct kmem_cache *s;

	seq_puts(m, "slabinfo - version: 2.1\n");
	seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		    "<pagesperslab>");
	seq_puts(m, " : tunables <limit> <batchcount> <sharedfactor>");
	seq_puts(m, " : slabdata <active_slabs> <num_slabs> <sharedavail>");
	seq_putc(m, '\n');
	list_for_each_entry(s, &k->slab->slab_caches, list)
		cache_show(m, k, s);
}
