/*
 * memblock: the boot-time allocator, as Linux's mm/memblock.c. Firmware describes RAM as
 * memory regions (one per node here); boot reserves what is taken (low memory, the kernel
 * image, the mem_map, node data); memblock_free_all() hands the rest to the buddy allocator,
 * and memblock is retired.
 */
#ifndef KSIM_MEMBLOCK_H
#define KSIM_MEMBLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define MEMBLOCK_MAX_REGIONS 256

struct kernel;

struct memblock_region {
	uint64_t base;   /* physical address */
	uint64_t size;   /* bytes */
	int nid;         /* node the range belongs to */
	const char *what; /* for memory reserved at boot: who took it (boot log, viewer) */
};

struct memblock_type {
	int cnt;                                         /* regions in use, sorted by base */
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

struct memblock {
	struct memblock_type memory;   /* RAM as the firmware reported it */
	struct memblock_type reserved; /* taken before the buddy allocator existed */
	bool retired;                  /* true after memblock_free_all() */
};

/* Adds RAM [base, base+size) on node nid. 0 or -ENOSPC. */
int memblock_add_node(struct memblock *mb, uint64_t base, uint64_t size, int nid);
/* Marks [base, base+size) as taken. 0 or -ENOSPC. */
int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size, const char *what);
/* Finds and reserves size bytes aligned to align on node nid, as high as possible below
 * limit (0: no limit), as Linux's top-down allocation does. Returns the physical address,
 * or 0 when nothing fits (physical 0 is reserved low memory, never handed out). */
uint64_t memblock_phys_alloc_node(struct memblock *mb, uint64_t size, uint64_t align, int nid,
				  uint64_t limit);
/* True when any byte of [base, base+size) is reserved. */
bool memblock_is_reserved(const struct memblock *mb, uint64_t base, uint64_t size);
/* Bytes reserved in all. */
uint64_t memblock_reserved_size(const struct memblock *mb);

/* Zero-filled host pointer to size new bytes of guest RAM on node nid, or NULL. */
void *memblock_alloc_node(struct kernel *k, uint64_t size, uint64_t align, int nid,
			  const char *what);

#endif /* KSIM_MEMBLOCK_H */
