/*
 * A small machine for MMU tests: 16 MiB of guest RAM, an MMU over it, and helpers that
 * build page tables in guest memory the way an OS would (x86 entry formats, written with
 * plain physical stores). Header-only: each test file includes it.
 */
#ifndef TESTS_MMU_TEST_ENV_H
#define TESTS_MMU_TEST_ENV_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mmu/mmu.h"

#define ENV_RAM (16u << 20)
#define ENV_TABLES 0x100000ULL /* page tables are allocated from 1 MiB up */

struct env {
	struct phys_bus bus;
	struct mmu m;
	uint64_t next_table; /* next free 4K page for tables */
};

static inline void env_init_cfg(struct env *e, const char *tlb)
{
	struct tlb_config cfg;
	char err[200];
	assert_int_equal(bus_init(&e->bus, ENV_RAM), 0);
	tlb_config_default(&cfg);
	if (tlb)
		assert_int_equal(tlb_config_parse(&cfg, tlb, err, sizeof(err)), 0);
	assert_int_equal(mmu_init(&e->m, &e->bus, &cfg), 0);
	e->next_table = ENV_TABLES;
}

static inline void env_init(struct env *e)
{
	env_init_cfg(e, NULL);
}

static inline void env_destroy(struct env *e)
{
	mmu_destroy(&e->m);
	bus_destroy(&e->bus);
}

static inline uint64_t env_table(struct env *e)
{
	uint64_t pa = e->next_table;
	e->next_table += 4096;
	assert_true(e->next_table <= ENV_RAM);
	memset(e->bus.ram + pa, 0, 4096);
	return pa;
}

static inline uint64_t rd64(struct env *e, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, e->bus.ram + pa, 8);
	return v;
}

static inline void wr64(struct env *e, uint64_t pa, uint64_t v)
{
	memcpy(e->bus.ram + pa, &v, 8);
}

static inline uint32_t rd32(struct env *e, uint64_t pa)
{
	uint32_t v;
	memcpy(&v, e->bus.ram + pa, 4);
	return v;
}

static inline void wr32(struct env *e, uint64_t pa, uint32_t v)
{
	memcpy(e->bus.ram + pa, &v, 4);
}

static inline void env_ok(bool ok)
{
	assert_true(ok);
}

/* Enters IA-32e paging (4-level, or 5-level with la57) with root table cr3 and extra CR4
 * bits; EFER.NXE on; CR0.WP on. */
static inline void env_long_mode(struct env *e, bool la57, uint64_t cr3, uint64_t cr4_extra)
{
	struct x86_fault f;
	env_ok(mmu_set_cr4(&e->m, CR4_PAE | (la57 ? CR4_LA57 : 0) | cr4_extra, &f));
	env_ok(mmu_set_efer(&e->m, EFER_LME | EFER_NXE, &f));
	env_ok(mmu_set_cr3(&e->m, cr3, &f));
	env_ok(mmu_set_cr0(&e->m, CR0_PE | CR0_PG | CR0_WP, &f));
	assert_int_equal(e->m.mode, la57 ? PG_MODE_5L : PG_MODE_4L);
}

/*
 * Maps la -> pa in 4- or 5-level tables rooted at root: a page of 2^shift bytes (12, 21
 * or 30), leaf flags leaf (PS added for large pages), upper levels upper. Allocates
 * missing tables. epa[] receives the physical address of the entry at each level, top
 * first; returns the number of levels.
 */
static inline int env_map64(struct env *e, uint64_t root, int levels, uint64_t la, uint64_t pa,
			    unsigned shift, uint64_t leaf, uint64_t upper, uint64_t *epa)
{
	uint64_t table = root;
	int n = 0;
	for (int lvl = levels - 1; lvl >= 0; lvl--) {
		unsigned s = 12 + 9 * (unsigned)lvl;
		uint64_t ent_pa = table + ((la >> s) & 511) * 8;
		if (epa)
			epa[n] = ent_pa;
		n++;
		if (s == shift) {
			wr64(e, ent_pa, pa | leaf | (shift > 12 ? PTE_PS : 0));
			return n;
		}
		uint64_t ent = rd64(e, ent_pa);
		if (!(ent & 0x000ffffffffff000ULL)) {
			ent = env_table(e);
		}
		table = ent & 0x000ffffffffff000ULL;
		wr64(e, ent_pa, table | upper);
	}
	return n;
}

#define ENV_ALL (PTE_P | PTE_RW | PTE_US)

#endif /* TESTS_MMU_TEST_ENV_H */
