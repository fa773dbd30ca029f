/*
 * The slab allocator (SLUB), as Linux's <linux/slab.h>, <linux/slub_def.h> and mm/slub.c.
 *
 * A kmem_cache hands out objects of one size. Its objects live in slabs: blocks of 2^order
 * frames from the buddy allocator, cut into objects of s->size bytes. A free object holds
 * the pointer to the next free object of its slab at s->offset, so a slab's free objects
 * form a singly linked list that costs no memory outside the slab:
 *
 *   slab (2^order pages, page->freelist -> first free object)
 *   +----------+----------+----------+----------+----------+-------+
 *   | object 0 | object 1 | object 2 | object 3 |   ...    | waste |
 *   |  in use  | free  ---+--------->| free ----+--> NULL  |       |
 *   +----------+----------+----------+----------+----------+-------+
 *    <-s->size->    ^ free pointer at s->offset inside the free object
 *
 * Three levels, fastest first:
 *   kmem_cache_cpu  (one per CPU): the CPU's active ("frozen") slab and a private freelist
 *                   of it; allocation pops, a free of an object of that slab pushes.
 *   kmem_cache_node (one per NUMA node): partial slabs (some objects free) of the node.
 *   buddy allocator: a new slab when no partial slab is left.
 *
 * Everything lives in guest RAM, as on Linux: slab pages come from alloc_pages(); struct
 * kmem_cache objects are allocated from the "kmem_cache" cache and struct kmem_cache_node
 * from "kmem_cache_node" (kmem_cache_init() bootstraps both); the per-cpu kmem_cache_cpu
 * array sits inside the kmem_cache object, after node[] (Linux takes it from the percpu
 * allocator, which kernel-sim does not model). Pointers stored in guest RAM are host
 * pointers, as everywhere in kernel-sim (see kernel.h).
 *
 * Not modelled: per-cpu partial lists (CONFIG_SLUB_CPU_PARTIAL=n), cache merging
 * (slab_nomerge), the dma-/rcl-/cg- kmalloc variants, debug red zones and poisoning (the
 * checker slab_check() stands in for slub_debug's consistency checks), locking (the
 * simulated kernel runs one CPU at a time; k->this_cpu says which).
 */
#ifndef KSIM_SLAB_H
#define KSIM_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel-sim/bug.h"
#include "kernel-sim/gfp.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/list.h"

struct seq_file;

typedef unsigned int slab_flags_t;

/* kmem_cache_create() flags, with Linux's values. */
#define SLAB_HWCACHE_ALIGN   0x00002000u /* align objects on cache lines */
#define SLAB_CACHE_DMA       0x00004000u /* slabs from ZONE_DMA */
#define SLAB_CACHE_DMA32     0x00008000u /* slabs from ZONE_DMA32 */
#define SLAB_PANIC           0x00040000u /* BUG when creation fails */
#define SLAB_RECLAIM_ACCOUNT 0x00020000u /* counted as reclaimable (nr_slab_reclaimable) */
#define SLAB_ACCOUNT         0x04000000u /* memcg accounting: accepted, no effect */
#define SLAB_NO_MERGE        0x01000000u /* accepted, caches are never merged here */
#define SLAB_KMALLOC         0x00001000u /* a kmalloc cache (internal) */

#define L1_CACHE_BYTES 64
#define ARCH_SLAB_MINALIGN 8 /* __alignof__(unsigned long long) */

/* kmalloc size classes: 2^KMALLOC_SHIFT_LOW .. 2^KMALLOC_SHIFT_HIGH, plus 96 (index 1)
 * and 192 (index 2). Larger requests go straight to the buddy allocator. */
#define KMALLOC_SHIFT_LOW 3
#define KMALLOC_SHIFT_HIGH (PAGE_SHIFT + 1)
#define KMALLOC_MIN_SIZE (1UL << KMALLOC_SHIFT_LOW)
#define KMALLOC_MAX_CACHE_SIZE (1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE (1UL << (MAX_ORDER - 1 + PAGE_SHIFT))
#define KMALLOC_MAX_ORDER (MAX_ORDER - 1)

/* kmalloc(0) returns this: not NULL, yet any access faults. kfree() ignores it. */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

/* Objects in one slab are counted in 15 bits on Linux. */
#define MAX_OBJS_PER_PAGE 32767

/* oo: a slab's order and object count in one word, order above bit 16. */
#define OO_SHIFT 16
#define OO_MASK ((1u << OO_SHIFT) - 1)
struct kmem_cache_order_objects {
	unsigned int x;
};

/* Slow-path events, per CPU (Linux's CONFIG_SLUB_STATS items of the same names). The fast
 * paths count nothing, so the counters cost them nothing. */
enum stat_item {
	ALLOC_SLOWPATH,      /* allocation took __slab_alloc */
	ALLOC_REFILL,        /* refilled the cpu freelist from the frozen slab's remote frees */
	ALLOC_FROM_PARTIAL,  /* took a slab from the node partial list */
	ALLOC_SLAB,          /* took a new slab from the buddy allocator */
	ALLOC_NODE_MISMATCH, /* the cpu slab was on the wrong node */
	FREE_SLOWPATH,       /* free took __slab_free */
	FREE_FROZEN,         /* freed into another CPU's active slab */
	FREE_ADD_PARTIAL,    /* a full slab got a free object: onto the partial list */
	FREE_REMOVE_PARTIAL, /* an empty slab left the partial list to be freed */
	FREE_SLAB,           /* a slab went back to the buddy allocator */
	DEACTIVATE_FULL,     /* a deactivated cpu slab was full */
	DEACTIVATE_EMPTY,    /* a deactivated cpu slab was empty and freed */
	DEACTIVATE_TO_HEAD,  /* a deactivated cpu slab went to the partial list's head */
	DEACTIVATE_TO_TAIL,  /* ... or its tail (it had remote frees) */
	CPUSLAB_FLUSH,       /* a cpu slab was flushed (destroy, shrink, bootstrap) */
	NR_SLUB_STAT_ITEMS,
};

/* One CPU's view of a cache. */
struct kmem_cache_cpu {
	void *freelist;                        /* next free object of page; NULL: none */
	uintptr_t slab_base;                   /* page_address(page), or 0 */
	uintptr_t slab_objs_bytes;             /* objects * size of page; 0 without a page */
	struct page *page;                     /* the active slab (frozen), or NULL */
	unsigned int stat[NR_SLUB_STAT_ITEMS]; /* slow-path event counts */
};

/* One NUMA node's slabs of a cache. */
struct kmem_cache_node {
	unsigned long nr_partial;              /* slabs on partial */
	struct list_head partial;              /* slabs with free objects, not frozen */
	unsigned long nr_slabs;                /* all slabs of the cache on this node */
	unsigned long total_objects;           /* objects in those slabs */
};

struct kmem_cache {
	struct kmem_cache_cpu *cpu_slab;       /* [nr_cpu_ids], inside this object after node[] */
	slab_flags_t flags;                    /* SLAB_* given at creation */
	unsigned long min_partial;             /* keep this many empty slabs per node */
	unsigned int size;                     /* object stride: object + free pointer + pad */
	unsigned int object_size;              /* bytes the user asked for */
	unsigned int offset;                   /* free pointer's offset inside an object */
	uint64_t reciprocal_size;              /* 2^64 / size rounded up, for obj_to_index */
	struct kmem_cache_order_objects oo;    /* preferred slab order and its objects */
	struct kmem_cache_order_objects min;   /* fallback when oo's order cannot be had */
	gfp_t allocflags;                      /* added to every slab's page allocation */
	int refcount;                          /* kmem_cache_destroy frees at 0 */
	void (*ctor)(void *);                  /* run on each object when its slab is made */
	unsigned int inuse;                    /* object_size rounded to a word: free pointer
						  beyond it when it cannot overlay the object */
	unsigned int align;                    /* object alignment, a power of two */
	const char *name;                      /* for /proc/slabinfo */
	struct list_head list;                 /* in slab_state.slab_caches, newest first */
	struct kmem_cache_node *node[];        /* [nr_node_ids] */
};

/* How far kmem_cache_init() got (Linux's slab_state). */
enum slab_state_phase {
	DOWN,    /* nothing yet */
	PARTIAL, /* kmem_cache_node works: caches can get their node structures */
	UP,      /* kmem_cache works: caches can be created */
	FULL,    /* kmalloc works */
};

/* The allocator's global state (Linux keeps it in slub.c's and slab_common.c's statics). */
struct slab_state {
	enum slab_state_phase state;           /* boot progress */
	struct kmem_cache *kmem_cache;         /* cache of struct kmem_cache */
	struct kmem_cache *kmem_cache_node;    /* cache of struct kmem_cache_node */
	struct list_head slab_caches;          /* every cache, newest first (slabinfo order) */
	struct kmem_cache *kmalloc_caches[KMALLOC_SHIFT_HIGH + 1]; /* by kmalloc_index() */
	unsigned int slub_min_order;           /* slub_min_order=, 0 */
	unsigned int slub_max_order;           /* slub_max_order=, 3 (PAGE_ALLOC_COSTLY_ORDER) */
	unsigned int slub_min_objects;         /* slub_min_objects=, 0: from the CPU count */
	unsigned long large_kmalloc_pages;     /* pages held by kmalloc_large() now */
};

/* ---- setup ---- */

/* Bootstraps the allocator once the buddy allocator works: the kmem_cache_node and
 * kmem_cache caches, then the kmalloc caches. 0 or -ENOMEM. */
int kmem_cache_init(struct kernel *k);
/* Frees the allocator's host-side state (guest RAM belongs to the bus). */
void kmem_cache_teardown(struct kernel *k);

/* ---- caches ---- */

/* A cache of objects of size bytes aligned to align (0 or a power of two, at most a page),
 * ctor run on each object when its slab is made. The name is copied. NULL when the
 * arguments are absurd (no name, size 0 or above KMALLOC_MAX_SIZE, bad align) or memory is
 * short. */
struct kmem_cache *kmem_cache_create(struct kernel *k, const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags, void (*ctor)(void *));
/* Frees every slab of s and s itself. Objects still allocated are a caller bug: the cache
 * is then left in place with a warning, as Linux does. NULL is ignored. */
void kmem_cache_destroy(struct kernel *k, struct kmem_cache *s);
/* Flushes every CPU's slab of s and frees its empty slabs. Returns 0. */
int kmem_cache_shrink(struct kernel *k, struct kmem_cache *s);
/* Bytes a user may use in an object of s. */
unsigned int kmem_cache_size(const struct kmem_cache *s);

/* Out of line slow paths of the fast paths below. */
void *__slab_alloc(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node);
void __slab_free(struct kernel *k, struct kmem_cache *s, void *x);

static inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	return *(void **)((char *)object + s->offset);
}

static inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	/* The naive double-free check of CONFIG_SLAB_FREELIST_HARDENED. */
	BUG_ON(object == fp);
	*(void **)((char *)object + s->offset) = fp;
}

/* Index of the object at byte offset off of its slab, without a division: off * 2^64/size
 * rounded up, high half. Exact for off * size < 2^64, which every slab satisfies. */
static inline unsigned int obj_offset_to_index(const struct kmem_cache *s, uintptr_t off)
{
	return (unsigned int)(((unsigned __int128)off * s->reciprocal_size) >> 64);
}

/* An object of s from the current CPU's freelist, else from __slab_alloc. NULL when no
 * memory. */
static inline void *slab_alloc_node(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[k->this_cpu];
	void *object = c->freelist;

	if (unlikely(!object || (node != NUMA_NO_NODE && page_to_nid(c->page) != node)))
		return __slab_alloc(k, s, gfp, node);
	c->freelist = get_freepointer(s, object);
	return object;
}

static inline void *kmem_cache_alloc(struct kernel *k, struct kmem_cache *s, gfp_t gfp)
{
	void *object = slab_alloc_node(k, s, gfp, NUMA_NO_NODE);

	if (unlikely(gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

void *kmem_cache_alloc_node(struct kernel *k, struct kmem_cache *s, gfp_t gfp, int node);

static inline void *kmem_cache_zalloc(struct kernel *k, struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(k, s, gfp | __GFP_ZERO);
}

/* Returns x to s. An object of the current CPU's active slab goes onto its freelist; any
 * other takes __slab_free, which BUGs on pointers that are no object of s. */
static inline void kmem_cache_free(struct kernel *k, struct kmem_cache *s, void *x)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[k->this_cpu];
	uintptr_t off = (uintptr_t)x - c->slab_base;

	if (likely(off < c->slab_objs_bytes &&
		   (uintptr_t)obj_offset_to_index(s, off) * s->size == off)) {
		set_freepointer(s, x, c->freelist);
		c->freelist = x;
		return;
	}
	__slab_free(k, s, x);
}

/* ---- kmalloc ---- */

/* The kmalloc_caches[] index Linux picks for size (kmalloc_index(), size_index[]):
 * 0 for size 0, 1 for 65..96, 2 for 129..192, else ceil(log2(size)) and at least 3.
 * Meaningful for size <= KMALLOC_MAX_CACHE_SIZE. */
unsigned int kmalloc_index(size_t size);
/* The kmalloc cache serving size (1 .. KMALLOC_MAX_CACHE_SIZE). */
struct kmem_cache *kmalloc_slab(struct kernel *k, size_t size);

/* size bytes of kernel memory in guest RAM: from a kmalloc cache up to 8 KiB, else whole
 * compound pages from the buddy allocator. ZERO_SIZE_PTR for 0, NULL when no memory or
 * size > KMALLOC_MAX_SIZE. */
void *kmalloc(struct kernel *k, size_t size, gfp_t gfp);
void *kmalloc_node(struct kernel *k, size_t size, gfp_t gfp, int node);
void *kzalloc(struct kernel *k, size_t size, gfp_t gfp);
/* Frees what kmalloc returned. NULL and ZERO_SIZE_PTR are ignored; anything that is no
 * kmalloc'd memory is a BUG. */
void kfree(struct kernel *k, const void *x);
/* Bytes usable at x (the size class, or the pages of a large kmalloc). */
size_t ksize(struct kernel *k, const void *x);
/* A kmalloc'd copy of s, or NULL. */
char *kstrdup(struct kernel *k, const char *s, gfp_t gfp);

/* ---- /proc and checks ---- */

/* /proc/slabinfo, version 2.1, in Linux's layout. */
void slabinfo_show(struct seq_file *m, struct kernel *k);

/* Validates every cache as slub_debug's validate does: each slab's freelist stays inside
 * the slab on object boundaries without cycles, inuse matches the free count, partial
 * lists hold exactly the non-frozen slabs with free objects, frozen slabs are CPU slabs,
 * node slab and object counts match mem_map. 0, or -EUCLEAN with the first inconsistency
 * described in err (errlen bytes). */
int slab_check(struct kernel *k, char *err, size_t errlen);
/* The same for one cache. */
int slab_check_cache(struct kernel *k, struct kmem_cache *s, char *err, size_t errlen);
/* Frames that slab pages of s occupy, counted from mem_map (s NULL: of every cache). */
unsigned long slab_count_pages(struct kernel *k, const struct kmem_cache *s);

/* Slab of the object at x (the head page of its slab), or NULL when x is not in guest RAM
 * or not in a slab. */
struct page *virt_to_slab(struct kernel *k, const void *x);

/* ---- shared by slub.c and slab_common.c only ---- */

/* Bytes of a struct kmem_cache object: node[nr_node_ids] and cpu_slab[nr_cpu_ids]. */
size_t kmem_cache_object_bytes(const struct kernel *k);
/* Aims s->cpu_slab at the array inside s. */
void kmem_cache_set_cpu_slab(const struct kernel *k, struct kmem_cache *s);
/* Sets up s, named and sized, before kmem_cache_create() works. 0 or -errno. */
int create_boot_cache(struct kernel *k, struct kmem_cache *s, const char *name,
		      unsigned int size, slab_flags_t flags);
/* The kmalloc caches, 96 and 192 first and then 8 .. 8k, as Linux makes them. 0/-ENOMEM. */
int create_kmalloc_caches(struct kernel *k);
/* Smallest order whose block holds size bytes (Linux's get_order). */
unsigned int slab_get_order(unsigned long size);

#endif /* KSIM_SLAB_H */
