/*
 * zswap (see kernel-sim/zswap.h), as Linux's mm/zswap.c over the zbud allocator
 * (mm/zbud.c):
 *
 *   swap_writepage -> zswap_store: deflate the page (zlib, level 1); if it compresses
 *     below PAGE_SIZE - ZSWAP_MIN_SAVING and the pool is under its limit, keep it in a
 *     pool page and report the page written; else the caller writes to the swap area.
 *   swap_readpage -> zswap_load: inflate it back.
 *   swap slot freed (or rewritten in the area) -> zswap_invalidate: drop the copy.
 *   pool full -> the store is refused (the page goes to the area), and the shrink worker
 *     writes objects back to their slots in the swap area (zswap_writeback_entry) until
 *     the pool is under zswap's accept threshold (90 % of the limit); stores are refused
 *     until then. Linux's worker runs asynchronously and evicts zbud's least recently
 *     used pool pages; here it runs at once and takes objects in slot order from where
 *     it last stopped, which is their order of age since slots are handed out next-fit.
 *
 * zbud: every pool page (an order-0 kernel page of guest RAM) holds at most two objects,
 * the "first" from offset 0 up and the "last" from the end down:
 *
 *   +--------------+--------------------------+--------------+
 *   | first object |        free space        | last object  |
 *   +--------------+--------------------------+--------------+
 *   0              first_len                  4096-last_len  4096
 *
 * page->private packs first_len (low 16 bits) and last_len (next 16); pages with one
 * object sit on the unbuddied list (page->lru), searched first fit, so a second object
 * can join them. The per-slot entries (pool page, offset, length) are one array per area,
 * vzalloc'd like swap_map.
 */
#include "kernel-sim/zswap.h"

#include <errno.h>
#include <zlib.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/vmalloc.h"

#define ZSWAP_MIN_SAVING 64 /* objects must save at least this many bytes to be kept */
#define UNBUDDIED_SCAN 64   /* pool pages looked at for room before a new one is taken */
#define ZSWAP_ACCEPT_THR_PERCENT 90 /* after filling up, stores resume below this */

struct zswap_entry {
	struct page *page; /* pool page holding the object, NULL: none */
	uint16_t offset;   /* byte offset of the object in the page */
	uint16_t length;   /* compressed bytes */
};

struct zswap_pool {
	struct zswap_entry *entries;  /* [max] of swap area 0, vzalloc'd */
	unsigned long nr_entries;     /* slots of the area */
	unsigned long max_pool_pages; /* limit: max_pool_percent of RAM */
	struct list_head unbuddied;   /* pool pages holding one object */
	unsigned long writeback_cursor; /* slot the next writeback looks at first */
	bool reached_full;	      /* filled up: refuse stores until under the threshold */
	struct zswap_stats stats;
};

int zswap_init(struct kernel *k, int max_pool_percent)
{
	struct swap_state *ss = k->swap;
	if (!ss || ss->nr_swapfiles < 1 || ss->zswap)
		return -EINVAL;
	struct zswap_pool *pool = kzalloc(k, sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->nr_entries = ss->info[0]->max;
	pool->entries = vzalloc(k, pool->nr_entries * sizeof(struct zswap_entry));
	if (!pool->entries) {
		kfree(k, pool);
		return -ENOMEM;
	}
	pool->max_pool_pages = k->totalram_pages * (unsigned long)max_pool_percent / 100;
	pool->writeback_cursor = 1;
	INIT_LIST_HEAD(&pool->unbuddied);
	ss->zswap = pool;
	return 0;
}

static struct zswap_entry *zswap_entry_of(struct kernel *k, swp_entry_t entry)
{
	struct zswap_pool *pool = k->swap ? k->swap->zswap : NULL;
	if (!pool || swp_type(entry) != 0 || swp_offset(entry) >= pool->nr_entries)
		return NULL;
	return &pool->entries[swp_offset(entry)];
}

static unsigned first_len(const struct page *p)
{
	return (unsigned)(p->private & 0xffff);
}
static unsigned last_len(const struct page *p)
{
	return (unsigned)((p->private >> 16) & 0xffff);
}

/* A pool page with len free bytes and one object, or a new one; NULL at the limit or when
 * no page can be had without reclaim. */
static struct page *zbud_find_page(struct kernel *k, struct zswap_pool *pool, unsigned len)
{
	struct page *p;
	int scanned = 0;
	list_for_each_entry(p, &pool->unbuddied, lru)
	{
		if (PAGE_SIZE - first_len(p) - last_len(p) >= len)
			return p;
		if (++scanned == UNBUDDIED_SCAN)
			break;
	}
	if (pool->stats.pool_pages >= pool->max_pool_pages) {
		pool->stats.pool_limit_hit++;
		return NULL;
	}
	p = alloc_page(k, GFP_NOWAIT | __GFP_NOWARN);
	if (!p)
		return NULL;
	p->private = 0;
	p->owner = 0;
	list_add(&p->lru, &pool->unbuddied);
	pool->stats.pool_pages++;
	return p;
}

/* Puts len bytes into p as its first or last object; returns the offset. */
static uint16_t zbud_place(struct page *p, unsigned len)
{
	uint16_t off;
	if (!first_len(p)) {
		p->private |= len;
		off = 0;
	} else {
		p->private |= (uint64_t)len << 16;
		off = (uint16_t)(PAGE_SIZE - len);
	}
	if (first_len(p) && last_len(p))
		list_del(&p->lru); /* full: off the unbuddied list */
	return off;
}

void zswap_invalidate(struct kernel *k, swp_entry_t entry)
{
	struct zswap_entry *e = zswap_entry_of(k, entry);
	if (!e || !e->page)
		return;
	struct zswap_pool *pool = k->swap->zswap;
	struct page *p = e->page;
	bool was_full = first_len(p) && last_len(p);
	if (e->offset == 0)
		p->private &= ~0xffffULL;
	else
		p->private &= ~(0xffffULL << 16);
	pool->stats.stored_pages--;
	pool->stats.compressed_bytes -= e->length;
	e->page = NULL;
	if (!first_len(p) && !last_len(p)) {
		if (!was_full)
			list_del(&p->lru);
		p->private = 0;
		__free_page(k, p);
		pool->stats.pool_pages--;
	} else if (was_full) {
		list_add(&p->lru, &pool->unbuddied);
	}
}

static bool zswap_is_full(const struct zswap_pool *pool)
{
	return pool->stats.pool_pages >= pool->max_pool_pages;
}

static bool zswap_can_accept(const struct zswap_pool *pool)
{
	return pool->stats.pool_pages < pool->max_pool_pages * ZSWAP_ACCEPT_THR_PERCENT / 100;
}

/* Decompresses the object e describes into dst. */
static void zswap_decompress(struct kernel *k, const struct zswap_entry *e, void *dst)
{
	uLongf len = PAGE_SIZE;
	const uint8_t *obj = (const uint8_t *)page_address(k, e->page) + e->offset;
	BUG_ON(uncompress(dst, &len, obj, e->length) != Z_OK || len != PAGE_SIZE);
}

/* Linux's zswap_writeback_entry: the object goes, decompressed, to its slot in the swap
 * area (which drops it from the pool). 0 or -EIO. */
static int zswap_writeback_entry(struct kernel *k, struct zswap_pool *pool, unsigned long off)
{
	uint8_t buf[PAGE_SIZE];
	zswap_decompress(k, &pool->entries[off], buf);
	int r = swap_write_slot(k, swp_entry(0, off), buf);
	if (r < 0)
		return r;
	pool->stats.written_back_pages++;
	count_vm_event(k, PSWPOUT);
	k->vm_events[PGPGOUT] += PAGE_SIZE >> 10;
	return 0;
}

/* Linux's shrink_worker: writes objects back until the pool can accept stores again. */
static void zswap_shrink(struct kernel *k, struct zswap_pool *pool)
{
	for (unsigned long n = 0; n < pool->nr_entries && !zswap_can_accept(pool); n++) {
		unsigned long off = pool->writeback_cursor;
		pool->writeback_cursor = off + 1 < pool->nr_entries ? off + 1 : 1;
		if (pool->entries[off].page && zswap_writeback_entry(k, pool, off) < 0) {
			pool->stats.reject_reclaim_fail++;
			return;
		}
	}
}

bool zswap_store(struct kernel *k, swp_entry_t entry, const void *src)
{
	struct zswap_entry *e = zswap_entry_of(k, entry);
	if (!e)
		return false;
	struct zswap_pool *pool = k->swap->zswap;
	zswap_invalidate(k, entry);
	if (zswap_is_full(pool)) {
		pool->stats.pool_limit_hit++;
		pool->reached_full = true;
		zswap_shrink(k, pool);
		return false;
	}
	if (pool->reached_full) {
		if (!zswap_can_accept(pool))
			return false;
		pool->reached_full = false;
	}
	uint8_t buf[PAGE_SIZE + 128];
	uLongf len = sizeof(buf);
	if (compress2(buf, &len, src, PAGE_SIZE, 1) != Z_OK || len > PAGE_SIZE - ZSWAP_MIN_SAVING) {
		pool->stats.reject_compress_poor++;
		return false;
	}
	struct page *p = zbud_find_page(k, pool, (unsigned)len);
	if (!p)
		return false;
	uint16_t off = zbud_place(p, (unsigned)len);
	memcpy((uint8_t *)page_address(k, p) + off, buf, len);
	*e = (struct zswap_entry){p, off, (uint16_t)len};
	pool->stats.stored_pages++;
	pool->stats.compressed_bytes += len;
	pool->stats.zswpout++;
	return true;
}

bool zswap_load(struct kernel *k, swp_entry_t entry, void *dst)
{
	struct zswap_entry *e = zswap_entry_of(k, entry);
	if (!e || !e->page)
		return false;
	zswap_decompress(k, e, dst);
	k->swap->zswap->stats.zswpin++;
	return true;
}

void zswap_shutdown(struct kernel *k)
{
	struct zswap_pool *pool = k->swap ? k->swap->zswap : NULL;
	if (!pool)
		return;
	for (unsigned long i = 0; i < pool->nr_entries; i++)
		zswap_invalidate(k, swp_entry(0, i));
	vfree(k, pool->entries);
	kfree(k, pool);
	k->swap->zswap = NULL;
}

struct zswap_stats zswap_get_stats(const struct kernel *k)
{
	if (!k->swap || !k->swap->zswap)
		return (struct zswap_stats){0};
	return k->swap->zswap->stats;
}
