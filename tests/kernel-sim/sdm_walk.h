/*
 * An x86 4- and 5-level page walk written from the SDM (volume 3, 4.5), independent of
 * kernel-sim/pgtable.h and of mmu/, for tests that check the tables the kernel writes.
 */
#ifndef TESTS_SDM_WALK_H
#define TESTS_SDM_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/bus.h"

/* SDM entry bits, written out here rather than taken from pgtable.h. */
#define E_P 0x1ULL
#define E_RW 0x2ULL
#define E_US 0x4ULL
#define E_PWT 0x8ULL
#define E_PCD 0x10ULL
#define E_A 0x20ULL
#define E_D 0x40ULL
#define E_PS 0x80ULL
#define E_G 0x100ULL
#define E_XD (1ULL << 63)
#define E_ADDR 0x000ffffffffff000ULL

struct walk {
	uint64_t pa;   /* translated physical address */
	int level;     /* level of the leaf: 1 = 4 KiB PTE, 2 = 2 MiB PDE, 3 = 1 GiB PDPTE */
	uint64_t leaf; /* the leaf entry */
};

/* levels-level walk (4, or 5 with CR4.LA57) from CR3 = cr3. False when an entry on the
 * way is not present. */
static inline bool sdm_walk_levels(struct phys_bus *bus, uint64_t cr3, uint64_t va, int levels,
				   struct walk *w)
{
	uint64_t table = cr3 & E_ADDR;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t e = bus_load(bus, table + ((va >> shift) & 0x1ff) * 8, 8);
		if (!(e & E_P))
			return false;
		if (level == 1 || ((level == 2 || level == 3) && (e & E_PS))) {
			uint64_t offset_mask = (1ULL << shift) - 1;
			w->pa = (e & E_ADDR & ~offset_mask) | (va & offset_mask);
			w->level = level;
			w->leaf = e;
			return true;
		}
		table = e & E_ADDR;
	}
	return false;
}

static inline bool sdm_walk(struct phys_bus *bus, uint64_t cr3, uint64_t va, struct walk *w)
{
	return sdm_walk_levels(bus, cr3, va, 4, w);
}

#endif /* TESTS_SDM_WALK_H */
