/*
 * cpu/icache.c - the decoded-instruction cache (see cpu/icache.h for the design).
 */
#include "cpu/icache.h"

#include <stdlib.h>
#include <string.h>

struct icache *icache_create(const struct phys_bus *bus)
{
	struct icache *ic = calloc(1, sizeof(*ic));
	if (!ic)
		return NULL;
	ic->nr_pages = bus->ram_size >> 12;
	ic->code_pages = calloc((ic->nr_pages + 7) / 8 + 1, 1);
	if (!ic->code_pages) {
		free(ic);
		return NULL;
	}
	ic->ram = bus->ram;
	return ic;
}

void icache_destroy(struct icache *ic)
{
	if (!ic)
		return;
	free(ic->code_pages);
	free(ic);
}

struct icache_entry *icache_fill(struct icache *ic, uint64_t pa, unsigned mode,
				 const struct x86_instr *in, const uint8_t *bytes, cpu_exec_fn fn)
{
	struct icache_entry *e = &ic->e[pa & (ICACHE_SIZE - 1)];
	uint64_t page = pa >> 12;
	unsigned len = in->len;
	if (pa + 16 > ic->nr_pages << 12)
		return NULL;
	e->tag = icache_tag(pa, mode);
	e->fn = fn;
	e->in = *in;
	e->bytes[0] = e->bytes[1] = 0;
	memcpy(e->bytes, bytes, len);
	e->mask[0] = len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
	e->mask[1] = len <= 8 ? 0 : len >= 16 ? ~0ULL : (1ULL << (8 * (len - 8))) - 1;
	ic->code_pages[page >> 3] |= (uint8_t)(1u << (page & 7));
	ic->misses++;
	return e;
}

/*
 * The entries of one page sit at 4096 consecutive indices (ICACHE_SIZE >= 4096), but an
 * index run is shared by the pages that alias it: only entries whose tag names this page
 * are dropped.
 */
void icache_drop_page(struct icache *ic, uint64_t pa)
{
	uint64_t page = pa >> 12;
	unsigned first = (unsigned)((page << 12) & (ICACHE_SIZE - 1));
	for (unsigned i = 0; i < 4096; i++) {
		struct icache_entry *e = &ic->e[first + i];
		if (e->tag && icache_tag_page(e->tag) == page)
			e->tag = 0;
	}
	ic->code_pages[page >> 3] &= (uint8_t) ~(1u << (page & 7));
	ic->invalidations++;
}

/* A mismatch: counted (the caller decodes the new bytes into the entry). */
bool icache_bytes_match_slow(struct icache *ic, const struct icache_entry *e, const uint8_t *host)
{
	ic->stale++;
	return false;
}

void icache_drop_all(struct icache *ic)
{
	for (unsigned i = 0; i < ICACHE_SIZE; i++)
		ic->e[i].tag = 0;
	memset(ic->code_pages, 0, (ic->nr_pages + 7) / 8 + 1);
}
