/*
 * The heat of recent accesses (see emu/viewer_heat.h): the map a trace and a running
 * guest share, and the sampler of a running guest's fast-path entries.
 */
#include "emu/viewer_heat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "mmu/mmu.h"

/* ---- the map ---- */

int heat_map_init(struct heat_map *h, unsigned long nr_frames, size_t ring_size,
		  uint64_t window)
{
	memset(h, 0, sizeof(*h));
	h->nr_frames = nr_frames;
	h->window = window ? window : 1;
	h->ring_size = ring_size ? ring_size : 1;
	for (int k = 0; k < HEAT_KINDS; k++)
		h->last[k] = calloc(nr_frames ? nr_frames : 1, sizeof(uint64_t));
	h->ring = calloc(h->ring_size, sizeof(*h->ring));
	for (int k = 0; k < HEAT_KINDS; k++)
		if (!h->last[k])
			return -1;
	return h->ring ? 0 : -1;
}

void heat_map_destroy(struct heat_map *h)
{
	for (int k = 0; k < HEAT_KINDS; k++)
		free(h->last[k]);
	free(h->ring);
	memset(h, 0, sizeof(*h));
}

void heat_map_clear(struct heat_map *h)
{
	for (int k = 0; k < HEAT_KINDS; k++)
		memset(h->last[k], 0, h->nr_frames * sizeof(uint64_t));
	h->ring_pos = h->ring_count = 0;
}

int heat_map_resize(struct heat_map *h, size_t ring_size, uint64_t window)
{
	uint32_t *ring = ring_size ? calloc(ring_size, sizeof(*ring)) : NULL;
	if (!ring || !window)
		return free(ring), -1;
	free(h->ring);
	h->ring = ring;
	h->ring_size = ring_size;
	h->window = window;
	heat_map_clear(h);
	return 0;
}

unsigned heat_map_heat(const struct heat_map *h, unsigned long pfn, int kind)
{
	if (pfn >= h->nr_frames || kind < 0 || kind >= HEAT_KINDS)
		return 0;
	uint64_t l = h->last[kind][pfn];
	if (!l || l > h->now || h->now - l >= h->window)
		return 0;
	return (unsigned)(255 - (h->now - l) * 255 / h->window);
}

void heat_map_describe(const struct heat_map *h, unsigned long pfn, const char *unit, char *buf,
		       size_t len)
{
	static const char *const kinds[HEAT_KINDS] = {"read", "write", "fetch"};
	size_t n = strlen(buf);
	for (int k = 0; k < HEAT_KINDS && pfn < h->nr_frames && n + 1 < len; k++) {
		uint64_t l = h->last[k][pfn];
		if (!l || l > h->now || h->now - l >= h->window)
			continue;
		int w = snprintf(buf + n, len - n, "  last %s %llu %s ago", kinds[k],
				 (unsigned long long)(h->now - l), unit);
		n = w < 0 ? n : n + (size_t)w < len ? n + (size_t)w : len - 1;
	}
}

/* ---- a running guest ---- */

int live_heat_init(struct live_heat *lh, struct machine *m)
{
	memset(lh, 0, sizeof(*lh));
	for (int lv = 0; lv < TLB_NR_LEVELS; lv++)
		lh->seen[lv] = m->mmu.tlb.tick[lv];
	lh->sampled_at = m->cpu.icount;
	return heat_map_init(&lh->map, m->kernel.max_pfn, LIVE_HEAT_RING, LIVE_HEAT_WINDOW);
}

void live_heat_destroy(struct live_heat *lh)
{
	heat_map_destroy(&lh->map);
}

/* The frames of one fast-path table (access kind kind, one paging mode) whose entries
 * were hit after tick `since`. */
static void sample_table(struct live_heat *lh, const struct phys_bus *bus,
			 const struct tlb_fast_entry *t, unsigned kind, uint64_t since,
			 uint64_t now)
{
	for (unsigned i = 0; i < TLB_FAST_SIZE; i++) {
		const struct tlb_fast_entry *fe = &t[i];
		if (fe->stamp <= since || fe->tag == TLB_FAST_EMPTY)
			continue;
		/* The entry's host address is guest RAM at pa (la + addend = ram + pa). */
		uintptr_t host = (uintptr_t)(fe->tag & ~0xfffULL) + fe->addend;
		uintptr_t pa = host - (uintptr_t)bus->ram;
		if (host < (uintptr_t)bus->ram || pa >= bus->ram_size)
			continue;
		heat_map_note(&lh->map, (unsigned long)(pa >> 12), kind, now);
		lh->noted++;
	}
}

/* The 4K entries of TLB array a (L1 or L2) used after tick `since` whose frames the fast
 * tables did not name in this sample: fetches in the instruction arrays, else writes when
 * dirty, reads when not. */
static void sample_array(struct live_heat *lh, const struct tlb_array *a, uint64_t since,
			 uint64_t ram_size, uint64_t now)
{
	for (uint32_t i = 0; i < a->entries; i++) {
		const struct tlb_entry *e = &a->e[i];
		if (e->stamp <= since || !(e->flags & TLBE_VALID) || e->shift != 12 ||
		    e->pa >= ram_size)
			continue;
		unsigned long pfn = (unsigned long)(e->pa >> 12);
		const struct heat_map *h = &lh->map;
		if (h->last[MMU_READ][pfn] == now + 1 || h->last[MMU_WRITE][pfn] == now + 1 ||
		    h->last[MMU_FETCH][pfn] == now + 1)
			continue; /* a fast entry told its kind exactly */
		unsigned kind = a->level == TLB_LEVEL_L1I ? MMU_FETCH
				: e->flags & TLBE_DIRTY	  ? MMU_WRITE
							  : MMU_READ;
		heat_map_note(&lh->map, pfn, kind, now);
		lh->noted++;
	}
}

void live_heat_sample(struct live_heat *lh, struct machine *m)
{
	const struct tlb *t = &m->mmu.tlb;
	uint64_t now = m->cpu.icount;
	/* User mode's tables, and the current mode's when it is another: the supervisor
	 * tables are used little by a process (its kernel is C), and the arrays below see
	 * their pages too. */
	struct tlb_fast_entry(*user)[TLB_FAST_SIZE] = m->mmu.tlb.fast[TLB_FAST_USER];
	for (unsigned kind = 0; kind < HEAT_KINDS; kind++) {
		unsigned lv = kind == MMU_FETCH ? TLB_LEVEL_L1I : TLB_LEVEL_L1D;
		sample_table(lh, &m->bus, user[kind], kind, lh->seen[lv], now);
		if (m->mmu.fast_cur != user)
			sample_table(lh, &m->bus, m->mmu.fast_cur[kind], kind, lh->seen[lv], now);
	}
	/* Then the pages the fast path did not see (its notes are exact: they stay). */
	for (int id = 0; id < TLB_FIRST_PWC; id++)
		if (t->a[id].entries)
			sample_array(lh, &t->a[id], lh->seen[t->a[id].level], m->bus.ram_size, now);
	for (int lv = 0; lv < TLB_NR_LEVELS; lv++)
		lh->seen[lv] = t->tick[lv];
	lh->sampled_at = now;
	lh->map.now = now + 1; /* a note at `now` is stored as now + 1: the present */
	lh->samples++;
}
