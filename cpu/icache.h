/*
 * cpu/icache.h - the decoded-instruction cache.
 *
 * Decoding costs far more than executing a simple instruction, so each decoded instruction
 * is kept with its handler, keyed by the guest physical address of its first byte and the
 * code-segment size it was decoded in. The physical key makes the cache independent of
 * CR3 switches and of aliases: two linear mappings of one code frame share entries, and a
 * change of a page-table entry cannot make an entry stale (the fetch translates RIP first).
 *
 * Self-modifying code: every physical page that holds a cached decoding has its bit set in
 * a bitmap over guest RAM. Every CPU write checks that bit (cpu_write_la) and, when set,
 * drops the page's entries and clears the bit, so the next fetch decodes the new bytes.
 * Instructions that cross a page boundary are never cached (a write to the second page
 * could not find them).
 *
 *   physical address of the instruction
 *   +--------------------------------+--------------+
 *   |          page number           | offset 11:0  |   index = pa mod ICACHE_SIZE
 *   +--------------------------------+--------------+
 *   tag = pa << 3 | mode / 16 (1: 16-bit, 2: 32-bit, 4: 64-bit); 0 = empty
 */
#ifndef MMEMU_CPU_ICACHE_H
#define MMEMU_CPU_ICACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "mmu/bus.h"

#define ICACHE_BITS 14
#define ICACHE_SIZE (1u << ICACHE_BITS) /* entries; >= 4096 so a page is one index run */

struct icache_entry {
	uint64_t tag;	     /* pa << 3 | mode / 16; 0 when empty */
	cpu_exec_fn fn;	     /* the handler, NULL: #UD */
	struct x86_instr in; /* the decoded instruction */
};

struct icache {
	struct icache_entry e[ICACHE_SIZE]; /* direct-mapped by physical address */
	struct icache_entry uncached;	    /* the last decoding that could not be cached */
	uint8_t *code_pages;		    /* bit per 4K page of guest RAM: has cached decodings */
	uint64_t nr_pages;		    /* pages the bitmap covers */
	const uint8_t *ram;	/* guest RAM base, to turn host pointers into physical */
	uint64_t misses;	/* decodings made */
	uint64_t invalidations; /* pages dropped because of writes */
};

/* Allocates the cache for bus's RAM; NULL when out of memory. */
struct icache *icache_create(const struct phys_bus *bus);
void icache_destroy(struct icache *ic);

static inline uint64_t icache_tag(uint64_t pa, unsigned mode)
{
	return pa << 3 | mode >> 4;
}

/* The page number a tag names. */
static inline uint64_t icache_tag_page(uint64_t tag)
{
	return tag >> 15;
}

/* The entry for (pa, mode), or NULL. */
static inline struct icache_entry *icache_lookup(struct icache *ic, uint64_t pa, unsigned mode)
{
	struct icache_entry *e = &ic->e[pa & (ICACHE_SIZE - 1)];
	return __builtin_expect(e->tag == icache_tag(pa, mode), 1) ? e : NULL;
}

/* Stores a decoding of an instruction wholly inside the page of pa; marks the page. */
struct icache_entry *icache_fill(struct icache *ic, uint64_t pa, unsigned mode,
				 const struct x86_instr *in, cpu_exec_fn fn);

/* Drops every entry of the 4K page of pa and clears its bit. */
void icache_drop_page(struct icache *ic, uint64_t pa);
void icache_drop_all(struct icache *ic);

/* True when 4K page number page holds cached decodings. */
static inline bool icache_page_has_code(const struct icache *ic, uint64_t page)
{
	return (ic->code_pages[page >> 3] >> (page & 7)) & 1;
}

/* The write hook: host points into guest RAM where a write is about to go. */
static inline void icache_note_write(struct icache *ic, const struct phys_bus *bus,
				     const uint8_t *host)
{
	uint64_t page = (uint64_t)(host - ic->ram) >> 12;
	(void)bus;
	if (__builtin_expect(icache_page_has_code(ic, page), 0))
		icache_drop_page(ic, page << 12);
}

#endif /* MMEMU_CPU_ICACHE_H */
