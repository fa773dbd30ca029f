/*
 * cpu/icache.c - the decoded-instruction cache (see cpu/icache.h for the design).
 */
#include "cpu/icache.h"
#include "cpu/jit.h"

#include <stdlib.h>
#include <string.h>

struct icache *icache_create(struct mmu *mmu)
{
	const struct phys_bus *bus = mmu->bus;
	struct icache *ic = calloc(1, sizeof(*ic));
	if (!ic)
		return NULL;
	ic->mmu = mmu;
	ic->nr_pages = bus->ram_size >> 12;
	ic->code_pages = calloc((ic->nr_pages + 7) / 8 + 1, 1);
	ic->block = calloc(ICACHE_BLOCKS, sizeof(*ic->block));
	if (!ic->code_pages || !ic->block) {
		icache_destroy(ic);
		return NULL;
	}
	ic->ram = bus->ram;
	mmu->write_watch = ic->code_pages;
	mmu->write_watch_frames = ic->nr_pages;
	return ic;
}

void icache_destroy(struct icache *ic)
{
	if (!ic)
		return;
	if (ic->mmu && ic->mmu->write_watch == ic->code_pages)
		ic->mmu->write_watch = NULL;
	jit_destroy(ic->jit);
	free(ic->code_pages);
	free(ic->block);
	free(ic);
}

struct icache_block *icache_block_new(struct icache *ic, uint64_t pa, unsigned mode)
{
	unsigned s = icache_slot(pa);
	uint64_t page = pa >> 12;
	struct icache_block *blk = &ic->block[s];
	ic->tag[s] = icache_tag(pa, mode);
	blk->gen++;
	blk->checked = 0;
	blk->link[0] = blk->link[1] = (struct icache_link){0};
	blk->chain[0] = blk->chain[1] = (struct icache_chain){ICACHE_CHAIN_NONE, NULL, NULL, 0};
	blk->mode = (uint8_t)mode;
	blk->n = 0;
	blk->cross = 0;
	blk->sync = 0;
	blk->watch = 0;
	blk->falls = 0;
	blk->exits = 0;
	blk->len = 0;
	blk->jit_n = 0;
	blk->jit_heat = 0;
	memset(blk->code, 0, sizeof(blk->code));
	if (!icache_page_has_code(ic, page)) {
		ic->code_pages[page >> 3] |= (uint8_t)(1u << (page & 7));
		mmu_write_watch_frame(ic->mmu, pa); /* its stores: no longer on the fast path */
	}
	ic->blocks++;
	return blk;
}

struct icache_entry *icache_block_add(struct icache *ic, struct icache_block *blk, uint64_t pa,
				      const struct x86_instr *in, const uint8_t *bytes,
				      cpu_exec_fn fn)
{
	unsigned len = in->len;
	if (blk->n >= ICACHE_BLOCK_MAX || pa + 16 > ic->nr_pages << 12)
		return NULL;
	struct icache_entry *e = &blk->e[blk->n];
	e->fn = fn;
	e->in = *in;
	e->bytes[0] = e->bytes[1] = 0;
	memcpy(e->bytes, bytes, len);
	e->mask[0] = len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
	e->mask[1] = len <= 8 ? 0 : len >= 16 ? ~0ULL : (1ULL << (8 * (len - 8))) - 1;
	blk->off[blk->n] = blk->len;
	memcpy((uint8_t *)blk->code + blk->len, bytes, len);
	blk->len = (uint16_t)(blk->len + len);
	blk->n++;
	ic->misses++;
	return e;
}

void icache_block_set_crossing(struct icache_block *blk, unsigned first)
{
	struct icache_entry *e = &blk->e[0];
	blk->cross = (uint8_t)first;
	blk->len = (uint16_t)first;
	memset((uint8_t *)blk->code + first, 0, X86_MAX_INSN_LEN - first);
	e->mask[0] = first >= 8 ? ~0ULL : (1ULL << (8 * first)) - 1;
	e->mask[1] = first <= 8 ? 0 : (1ULL << (8 * (first - 8))) - 1;
	unsigned rest = e->in.len - first; /* 1..14 bytes */
	uint8_t bytes[16] = {0};
	memcpy(bytes, (const uint8_t *)e->bytes + first, rest);
	memcpy(blk->cross_code, bytes, sizeof(bytes));
	blk->cross_mask[0] = rest >= 8 ? ~0ULL : (1ULL << (8 * rest)) - 1;
	blk->cross_mask[1] = rest <= 8 ? 0 : (1ULL << (8 * (rest - 8))) - 1;
}

/* The blocks of one page are spread over all slots by the hash: the tags say which. */
void icache_drop_page(struct icache *ic, uint64_t pa)
{
	uint64_t page = pa >> 12;
	for (unsigned s = 0; s < ICACHE_BLOCKS; s++)
		if (ic->tag[s] && icache_tag_page(ic->tag[s]) == page) {
			ic->tag[s] = 0;
			ic->block[s].gen++; /* links to it are void */
		}
	ic->code_pages[page >> 3] &= (uint8_t) ~(1u << (page & 7));
	ic->invalidations++;
}

/* A mismatch: counted (the caller decodes the new bytes into a new block). */
bool icache_bytes_match_slow(struct icache *ic, const struct icache_entry *e, const uint8_t *host)
{
	ic->stale++;
	return false;
}

void icache_drop_all(struct icache *ic)
{
	memset(ic->tag, 0, sizeof(ic->tag));
	for (unsigned s = 0; s < ICACHE_BLOCKS; s++)
		ic->block[s].gen++; /* links to it are void */
	memset(ic->code_pages, 0, (ic->nr_pages + 7) / 8 + 1);
}
