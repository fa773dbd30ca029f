/*
 * memblock, the boot-time allocator (Linux mm/memblock.c): sorted arrays of memory and
 * reserved ranges, top-down allocation of boot data on a chosen node. After boot the buddy
 * allocator owns every frame memblock did not reserve.
 */
#include "kernel-sim/memblock.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"

static int memblock_insert(struct memblock_type *type, uint64_t base, uint64_t size, int nid,
			   const char *what)
{
	if (type->cnt == MEMBLOCK_MAX_REGIONS)
		return -ENOSPC;
	int i = type->cnt;
	while (i > 0 && type->regions[i - 1].base > base) {
		type->regions[i] = type->regions[i - 1];
		i--;
	}
	type->regions[i] = (struct memblock_region){base, size, nid, what};
	type->cnt++;
	return 0;
}

int memblock_add_node(struct memblock *mb, uint64_t base, uint64_t size, int nid)
{
	return memblock_insert(&mb->memory, base, size, nid, "System RAM");
}

/* Joins neighbouring reserved regions that touch and have the same owner, as Linux's
 * memblock_merge_regions does, so thousands of boot allocations take a few slots. */
static void memblock_merge_regions(struct memblock_type *type)
{
	int i = 0;
	while (i + 1 < type->cnt) {
		struct memblock_region *a = &type->regions[i], *b = &type->regions[i + 1];
		if (a->base + a->size != b->base || a->what != b->what) {
			i++;
			continue;
		}
		a->size += b->size;
		memmove(b, b + 1, (size_t)(type->cnt - i - 2) * sizeof(*b));
		type->cnt--;
	}
}

int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size, const char *what)
{
	if (size == 0)
		return 0;
	int r = memblock_insert(&mb->reserved, base, size, NUMA_NO_NODE, what);
	if (r == 0)
		memblock_merge_regions(&mb->reserved);
	return r;
}

/* The reserved region overlapping [base, base+size) with the lowest base, or NULL. */
static const struct memblock_region *first_overlap(const struct memblock *mb, uint64_t base,
						   uint64_t size)
{
	for (int i = 0; i < mb->reserved.cnt; i++) {
		const struct memblock_region *r = &mb->reserved.regions[i];
		if (r->base < base + size && base < r->base + r->size)
			return r;
	}
	return NULL;
}

bool memblock_is_reserved(const struct memblock *mb, uint64_t base, uint64_t size)
{
	return first_overlap(mb, base, size) != NULL;
}

uint64_t memblock_reserved_size(const struct memblock *mb)
{
	uint64_t total = 0;
	for (int i = 0; i < mb->reserved.cnt; i++)
		total += mb->reserved.regions[i].size;
	return total;
}

/* Highest aligned free range of size bytes inside [lo, hi), or 0. */
static uint64_t find_in_range_top_down(const struct memblock *mb, uint64_t lo, uint64_t hi,
				       uint64_t size, uint64_t align)
{
	uint64_t end = hi;
	while (end >= lo + size) {
		uint64_t start = (end - size) & ~(align - 1);
		if (start < lo)
			return 0;
		const struct memblock_region *r = first_overlap(mb, start, size);
		if (!r)
			return start;
		end = r->base; /* retry below the obstacle */
	}
	return 0;
}

static uint64_t alloc_on_node(struct memblock *mb, uint64_t size, uint64_t align, int nid,
			      uint64_t limit)
{
	for (int i = mb->memory.cnt - 1; i >= 0; i--) {
		const struct memblock_region *m = &mb->memory.regions[i];
		if (nid != NUMA_NO_NODE && m->nid != nid)
			continue;
		uint64_t hi = m->base + m->size;
		if (limit && hi > limit)
			hi = limit;
		if (hi <= m->base)
			continue;
		uint64_t pa = find_in_range_top_down(mb, m->base, hi, size, align);
		if (pa)
			return pa;
	}
	return 0;
}

/* Finds room without reserving it. */
static uint64_t memblock_find_node(struct memblock *mb, uint64_t size, uint64_t align, int nid,
				   uint64_t limit)
{
	if (mb->retired || size == 0 || (align & (align - 1)))
		return 0;
	if (align == 0)
		align = 1;
	uint64_t pa = alloc_on_node(mb, size, align, nid, limit);
	if (!pa && nid != NUMA_NO_NODE)
		pa = alloc_on_node(mb, size, align, NUMA_NO_NODE, limit); /* any node, as Linux */
	return pa;
}

static uint64_t memblock_alloc_named(struct memblock *mb, uint64_t size, uint64_t align, int nid,
				     uint64_t limit, const char *what)
{
	uint64_t pa = memblock_find_node(mb, size, align, nid, limit);
	if (!pa || memblock_reserve(mb, pa, size, what) < 0)
		return 0;
	return pa;
}

uint64_t memblock_phys_alloc_node(struct memblock *mb, uint64_t size, uint64_t align, int nid,
				  uint64_t limit)
{
	return memblock_alloc_named(mb, size, align, nid, limit, NULL);
}

/* No memset: guest RAM is zero when the machine starts and memblock never hands out
 * memory twice, so what it returns is still zero. Not writing it keeps the host from
 * committing memory that boot does not touch. */
void *memblock_alloc_node(struct kernel *k, uint64_t size, uint64_t align, int nid,
			  const char *what)
{
	uint64_t pa = memblock_alloc_named(&k->memblock, size, align, nid, 0, what);
	return pa ? __va(k, pa) : NULL;
}
