/*
 * cpu/icache.h - the decoded-instruction cache.
 *
 * Decoding costs far more than executing a simple instruction, so each decoded instruction
 * is kept with its handler, keyed by the guest physical address of its first byte and the
 * code-segment size it was decoded in. The physical key makes the cache independent of
 * CR3 switches and of aliases: two linear mappings of one code frame share entries, and a
 * change of a page-table entry cannot make an entry stale (the fetch translates RIP first).
 *
 * Self-modifying code, and every other writer of guest memory: an entry keeps the
 * instruction's bytes, and a hit is a hit only when the bytes in memory are still those
 * (one or two masked 8-byte compares). Whoever changed them -- a store of this CPU, the
 * simulated kernel copying through a host pointer or the bus, a frame freed and reused,
 * another alias such as the kernel's vmalloc mirror -- the next fetch decodes the new
 * bytes. No write needs a hook. Instructions that cross a page boundary are never cached
 * (their second page could be remapped).
 *
 * A bitmap over guest RAM marks the pages that hold entries, so that
 * cpu_icache_invalidate_phys (dropping entries early, e.g. when the kernel frees a frame)
 * costs one bit test for a page without code.
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
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "mmu/bus.h"

#define ICACHE_BITS 14
#define ICACHE_SIZE (1u << ICACHE_BITS) /* entries; >= 4096 so a page is one index run */

struct icache_entry {
	uint64_t tag;	     /* pa << 3 | mode / 16; 0 when empty */
	cpu_exec_fn fn;	     /* the handler */
	uint64_t bytes[2];   /* the instruction's bytes (len of them), then zeros */
	uint64_t mask[2];    /* which bits of bytes[] are the instruction's */
	struct x86_instr in; /* the decoded instruction */
};

struct icache {
	struct icache_entry e[ICACHE_SIZE]; /* direct-mapped by physical address */
	struct icache_entry uncached;	    /* the last decoding that could not be cached */
	uint8_t *code_pages;		    /* bit per 4K page of guest RAM: has cached decodings */
	uint64_t nr_pages;		    /* pages the bitmap covers */
	const uint8_t *ram;	/* guest RAM base, to turn host pointers into physical */
	uint64_t misses;	/* decodings made */
	uint64_t stale;		/* hits refused because the bytes had changed */
	uint64_t invalidations; /* pages dropped by cpu_icache_invalidate_phys */
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

bool icache_bytes_match_slow(struct icache *ic, const struct icache_entry *e, const uint8_t *host);

/* True when the bytes at host (guest RAM) are still the entry's. The two 8-byte loads
 * may read past the instruction, even into the next page (the masks ignore those bytes),
 * but never past the end of RAM: icache_fill refuses the last 16 bytes of RAM. */
static inline bool icache_bytes_match(struct icache *ic, const struct icache_entry *e,
				      const uint8_t *host)
{
	uint64_t w;
	memcpy(&w, host, 8);
	if ((w ^ e->bytes[0]) & e->mask[0])
		return icache_bytes_match_slow(ic, e, host);
	if (e->mask[1]) {
		memcpy(&w, host + 8, 8);
		if ((w ^ e->bytes[1]) & e->mask[1])
			return icache_bytes_match_slow(ic, e, host);
	}
	return true;
}

/* The entry for (pa, mode) whose bytes are still those at host (guest RAM), or NULL. */
static inline struct icache_entry *icache_lookup(struct icache *ic, uint64_t pa, unsigned mode,
						 const uint8_t *host)
{
	struct icache_entry *e = &ic->e[pa & (ICACHE_SIZE - 1)];
	if (__builtin_expect(e->tag == icache_tag(pa, mode), 1) &&
	    __builtin_expect(icache_bytes_match(ic, e, host), 1))
		return e;
	return NULL;
}

/* Stores a decoding of the instruction (its bytes, wholly inside the page of pa); marks
 * the page. Returns NULL (nothing stored) for an instruction in the last 16 bytes of
 * RAM, whose check could not load 16 bytes. */
struct icache_entry *icache_fill(struct icache *ic, uint64_t pa, unsigned mode,
				 const struct x86_instr *in, const uint8_t *bytes, cpu_exec_fn fn);

/* Drops every entry of the 4K page of pa and clears its bit. */
void icache_drop_page(struct icache *ic, uint64_t pa);
void icache_drop_all(struct icache *ic);

/* True when 4K page number page holds cached decodings. */
static inline bool icache_page_has_code(const struct icache *ic, uint64_t page)
{
	return (ic->code_pages[page >> 3] >> (page & 7)) & 1;
}

#endif /* MMEMU_CPU_ICACHE_H */
