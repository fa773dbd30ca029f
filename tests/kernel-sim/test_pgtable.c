/*
 * Tests of kernel-sim/pgtable.c: the kernel's direct map, the allocation helpers, pgd_alloc's
 * shared kernel half, free_pgd_range and lookup_address.
 *
 * Translations are checked with sdm_walk() below, a 4-level walker written from the Intel
 * SDM (Vol. 3A, 4.5, tables 4-14 to 4-19) that reads the tables through the physical bus,
 * independently of pgtable.c's own walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/pgtable.h"
#include "kernel-sim/vmalloc.h"
#include "mmu/bus.h"
#include "tests/kernel-sim/sdm_walk.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

struct fixture {
	struct phys_bus bus;
	struct kernel k;
};

static struct fixture *boot_machine(uint64_t ram)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(bus_init(&f->bus, ram), 0);
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = ram;
	p.node[0].mem = ram;
	char err[256] = "";
	int rc = kernel_boot(&f->k, &f->bus, &p, err, sizeof(err));
	if (rc)
		print_error("kernel_boot: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(init_pgd(&f->k));
	return f;
}

static int setup_64m(void **state)
{
	*state = boot_machine(64 * MiB);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kernel_shutdown(&f->k);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint64_t cr3_of(struct kernel *k, pgd_t *pgd)
{
	return __pa(k, pgd);
}

/* ---- entry encoding against the SDM ---- */

static void test_pgtable_pfn_pte_page_kernel_matches_sdm_bits(void **state)
{
	(void)state;
	/* present, writable, accessed, dirty, global, execute-disable; frame 0x12345 */
	assert_int_equal(pte_val(pfn_pte(0x12345, PAGE_KERNEL)),
			 0x12345000ULL | E_P | E_RW | E_A | E_D | E_G | E_XD);
	assert_int_equal(pte_val(pfn_pte(0x12345, PAGE_KERNEL_RO)),
			 0x12345000ULL | E_P | E_A | E_D | E_G | E_XD);
	assert_int_equal(pte_val(pfn_pte(0x1, PAGE_KERNEL_EXEC)),
			 0x1000ULL | E_P | E_RW | E_A | E_D | E_G);
	assert_int_equal(pte_val(pfn_pte(0x1, PAGE_SHARED)),
			 0x1000ULL | E_P | E_RW | E_US | E_A | E_XD);
	assert_int_equal(pte_pfn(__pte(0x8000000abcdef163ULL)), 0xabcdefUL);
	/* a 2 MiB leaf's frame excludes the PAT bit (12) and bits 20:13 */
	assert_int_equal(pmd_pfn(__pmd(0x40201000ULL | E_P | E_PS | 0x1000ULL)), 0x40200UL);
	assert_true(pmd_leaf(__pmd(E_P | E_PS)));
	assert_false(pmd_leaf(__pmd(E_P)));
	assert_false(pud_leaf(__pud(E_PS)));
}

static void test_pgtable_indexes_split_va_as_sdm_4level(void **state)
{
	struct fixture *f = *state;
	/* 0xffff888000000000: PML4 273, PDPT 0, PD 0, PT 0 */
	assert_int_equal(pgd_index(&f->k, 0xffff888000000000ULL), 273);
	/* 0xffffc90000000000: PML4 402 */
	assert_int_equal(pgd_index(&f->k, 0xffffc90000000000ULL), 402);
	uint64_t va = (5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12) | 0x123;
	assert_int_equal(pgd_index(&f->k, va), 5);
	assert_int_equal(pud_index(va), 6);
	assert_int_equal(pmd_index(va), 7);
	assert_int_equal(pte_index(va), 8);
	assert_int_equal(kernel_pgd_boundary(&f->k), 273);
}

/* ---- the direct map ---- */

static void check_direct_map(struct fixture *f, uint64_t pa)
{
	struct walk w = {0};
	uint64_t cr3 = cr3_of(&f->k, init_pgd(&f->k));
	assert_true(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL + pa, &w));
	assert_int_equal(w.pa, pa);
	/* kernel data: supervisor, writable, no execute, global */
	assert_true(w.leaf & E_RW);
	assert_false(w.leaf & E_US);
	assert_true(w.leaf & E_XD);
	assert_true(w.leaf & E_G);
}

static void test_pgtable_direct_map_translates_every_sampled_address(void **state)
{
	struct fixture *f = *state;
	uint64_t ram = f->bus.ram_size;
	for (uint64_t pa = 0; pa < ram; pa += 64 * 1024 + 8)
		check_direct_map(f, pa);
	check_direct_map(f, ram - 1);
	check_direct_map(f, 0);
	struct walk w = {0};
	uint64_t cr3 = cr3_of(&f->k, init_pgd(&f->k));
	assert_false(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL + ram, &w));
	assert_false(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL - 4096, &w));
	assert_false(sdm_walk(&f->bus, cr3, 0x400000, &w));
}

static void test_pgtable_direct_map_of_64m_uses_2m_pages(void **state)
{
	struct fixture *f = *state;
	uint64_t cr3 = cr3_of(&f->k, init_pgd(&f->k));
	for (uint64_t pa = 0; pa < f->bus.ram_size; pa += 2 * MiB) {
		struct walk w = {0};
		assert_true(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL + pa, &w));
		assert_int_equal(w.level, 2);
	}
	/* one PDPT and one PD map 64 MiB */
	assert_int_equal(f->k.vmap->nr_direct_map_tables, 2);
	/* boot tables: those two, the PML4 and the vmalloc range's PDPT; memblock memory,
	 * reserved, not in NR_PAGETABLE (Linux's PageTables leaves out the early tables) */
	assert_int_equal(f->k.vmap->nr_boot_tables, 4);
	assert_int_equal(global_node_page_state(&f->k, NR_PAGETABLE), 0);
	struct page *pml4 = virt_to_page(&f->k, init_pgd(&f->k));
	assert_true(PageTable(pml4));
	assert_true(PageReserved(pml4));
}

/* 1 GiB + 2 MiB + 8 KiB: a 1 GiB page, a 2 MiB page, two 4 KiB pages. Tables: the PDPT, one
 * PD for the second GiB, one PT for the tail. */
static void test_pgtable_direct_map_mixes_1g_2m_4k_pages(void **state)
{
	(void)state;
	uint64_t ram = GiB + 2 * MiB + 8192;
	struct fixture *f = boot_machine(ram);
	uint64_t cr3 = cr3_of(&f->k, init_pgd(&f->k));
	struct walk w = {0};
	const struct {
		uint64_t pa;
		int level;
	} expect[] = {
		{0, 3}, {GiB - 1, 3}, {GiB, 2}, {GiB + 2 * MiB - 1, 2},
		{GiB + 2 * MiB, 1}, {GiB + 2 * MiB + 4096, 1}, {ram - 1, 1},
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_true(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL + expect[i].pa, &w));
		assert_int_equal(w.pa, expect[i].pa);
		assert_int_equal(w.level, expect[i].level);
	}
	assert_false(sdm_walk(&f->bus, cr3, 0xffff888000000000ULL + ram, &w));
	assert_int_equal(f->k.vmap->nr_direct_map_tables, 3);
	*state = f;
	teardown(state);
}

static void test_pgtable_lookup_address_agrees_with_sdm_walk(void **state)
{
	struct fixture *f = *state;
	uint64_t cr3 = cr3_of(&f->k, init_pgd(&f->k));
	uint64_t va = 0xffff888000000000ULL + 5 * MiB + 0x1234;
	enum pg_level level;
	pte_t *pte = lookup_address(&f->k, va, &level);
	assert_non_null(pte);
	assert_int_equal(level, PG_LEVEL_2M);
	struct walk w = {0};
	assert_true(sdm_walk(&f->bus, cr3, va, &w));
	assert_int_equal(pte_val(*pte), w.leaf);
	/* an unmapped user address: the deepest entry reached is not present */
	pte = lookup_address(&f->k, 0x400000, &level);
	assert_true(pte == NULL || !pte_present(*pte));
}

/* ---- pgd_alloc and the helpers ---- */

static void test_pgtable_pgd_alloc_copies_kernel_half_only(void **state)
{
	struct fixture *f = *state;
	long before = global_node_page_state(&f->k, NR_PAGETABLE);
	pgd_t *pgd = pgd_alloc(&f->k);
	assert_non_null(pgd);
	assert_int_equal(global_node_page_state(&f->k, NR_PAGETABLE), before + 1);
	assert_true(PageTable(virt_to_page(&f->k, pgd)));
	pgd_t *ref = init_pgd(&f->k);
	for (int i = 0; i < 256; i++)
		assert_int_equal(pgd_val(pgd[i]), 0);
	for (int i = 256; i < 512; i++)
		assert_int_equal(pgd_val(pgd[i]), pgd_val(ref[i]));
	/* the direct map and the vmalloc range are there, so the kernel half is not empty */
	assert_true(pgd_present(pgd[273]));
	assert_true(pgd_present(pgd[402]));
	/* the direct map translates through the new pgd as through init_pgd */
	struct walk w = {0};
	assert_true(sdm_walk(&f->bus, cr3_of(&f->k, pgd), 0xffff888000000000ULL + 12345, &w));
	assert_int_equal(w.pa, 12345);
	pgd_free(&f->k, pgd);
	assert_int_equal(global_node_page_state(&f->k, NR_PAGETABLE), before);
}

static struct page *map_user_page(struct fixture *f, pgd_t *pgd, uint64_t va)
{
	struct kernel *k = &f->k;
	p4d_t *p4d = p4d_alloc(k, pgd_offset_pgd(k, pgd, va), va);
	pud_t *pud = p4d ? pud_alloc(k, p4d, va) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(k, pud, va) : NULL;
	pte_t *pte = pmd ? pte_alloc_map(k, pmd, va) : NULL;
	assert_non_null(pte);
	struct page *page = alloc_page(k, GFP_KERNEL);
	assert_non_null(page);
	set_pte(pte, pfn_pte(page_to_pfn(k, page), PAGE_SHARED));
	return page;
}

static void test_pgtable_alloc_helpers_build_walkable_user_tables(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	pgd_t *pgd = pgd_alloc(k);
	assert_non_null(pgd);
	long before = global_node_page_state(k, NR_PAGETABLE);
	uint64_t va = 0x7f0000401000ULL;
	struct page *page = map_user_page(f, pgd, va);
	/* a PDPT, a PD and a PT were needed */
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 3);
	struct walk w = {0};
	assert_true(sdm_walk(&f->bus, cr3_of(k, pgd), va + 0x10, &w));
	assert_int_equal(w.pa, page_to_phys(k, page) + 0x10);
	assert_int_equal(w.level, 1);
	assert_true(w.leaf & E_US);
	/* the intermediate entries allow user access and writing, as _PAGE_TABLE */
	uint64_t pml4e = bus_load(&f->bus, cr3_of(k, pgd) + ((va >> 39) & 0x1ff) * 8, 8);
	assert_int_equal(pml4e & 0xfff, E_P | E_RW | E_US | E_A | E_D);
	assert_true(PageTable(pfn_to_page(k, (pml4e & E_ADDR) >> 12)));
	/* a second page in the same PT takes no new table */
	struct page *page2 = map_user_page(f, pgd, va + 4096);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 3);

	free_pgd_range(k, pgd, 0, pgtable_layout(k)->user_top);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before);
	assert_false(PageTable(pfn_to_page(k, (pml4e & E_ADDR) >> 12)));
	for (int i = 0; i < 256; i++)
		assert_int_equal(pgd_val(pgd[i]), 0);
	assert_false(sdm_walk(&f->bus, cr3_of(k, pgd), va, &w));
	__free_page(k, page);
	__free_page(k, page2);
	pgd_free(k, pgd);
}

static void test_pgtable_free_pgd_range_keeps_tables_reaching_outside(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	pgd_t *pgd = pgd_alloc(k);
	assert_non_null(pgd);
	long before = global_node_page_state(k, NR_PAGETABLE);
	/* two pages in neighbouring 2 MiB regions: one PDPT, one PD, two PTs */
	struct page *a = map_user_page(f, pgd, 0x400000);
	struct page *b = map_user_page(f, pgd, 0x600000);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 4);
	/* [4 MiB, 6 MiB) covers the first PT wholly and nothing else */
	free_pgd_range(k, pgd, 0x400000, 0x600000);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 3);
	struct walk w = {0};
	assert_false(sdm_walk(&f->bus, cr3_of(k, pgd), 0x400000, &w));
	assert_true(sdm_walk(&f->bus, cr3_of(k, pgd), 0x600000, &w));
	assert_int_equal(w.pa, page_to_phys(k, b));
	/* a range that only partly covers a PT clears its entries but keeps the PT */
	free_pgd_range(k, pgd, 0x600000, 0x601000);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 3);
	assert_false(sdm_walk(&f->bus, cr3_of(k, pgd), 0x600000, &w));
	free_pgd_range(k, pgd, 0, pgtable_layout(k)->user_top);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before);
	__free_page(k, a);
	__free_page(k, b);
	pgd_free(k, pgd);
}

/* The helpers follow the layout: with 5 levels the p4d is a real table (PML5 -> PML4 ->
 * PDPT -> PD -> PT) and user addresses reach 2^56. */
static void test_pgtable_five_level_layout_builds_real_p4d(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	pgd_t *pgd = pgd_alloc(k);
	assert_non_null(pgd);
	const struct pgtable_layout four = k->vmap->pgt;
	k->vmap->pgt = (struct pgtable_layout){
		.name = "x86-64 5-level",
		.levels = 5,
		.pgdir_shift = 48,
		.ptrs_per_p4d = 512,
		.user_top = 1ULL << 56,
		.gbpages = true,
	};
	long before = global_node_page_state(k, NR_PAGETABLE);
	uint64_t va = 0x00abcdef12345000ULL;
	struct page *page = map_user_page(f, pgd, va);
	/* a PML4, a PDPT, a PD and a PT under the PML5 */
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before + 4);
	struct walk w = {0};
	assert_true(sdm_walk_levels(&f->bus, cr3_of(k, pgd), va + 0x42, 5, &w));
	assert_int_equal(w.pa, page_to_phys(k, page) + 0x42);
	/* PML5 index is bits 56:48 */
	assert_true(bus_load(&f->bus, cr3_of(k, pgd) + ((va >> 48) & 0x1ff) * 8, 8) & E_P);
	enum pg_level level;
	pte_t *pte = lookup_address_in_pgd(k, pgd, va, &level);
	assert_non_null(pte);
	assert_int_equal(level, PG_LEVEL_4K);
	assert_int_equal(pte_pfn(*pte), page_to_pfn(k, page));
	free_pgd_range(k, pgd, 0, 1ULL << 56);
	assert_int_equal(global_node_page_state(k, NR_PAGETABLE), before);
	assert_false(sdm_walk_levels(&f->bus, cr3_of(k, pgd), va, 5, &w));
	k->vmap->pgt = four;
	__free_page(k, page);
	pgd_free(k, pgd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgtable_pfn_pte_page_kernel_matches_sdm_bits),
		cmocka_unit_test_setup_teardown(test_pgtable_indexes_split_va_as_sdm_4level,
						setup_64m, teardown),
		cmocka_unit_test_setup_teardown(
			test_pgtable_direct_map_translates_every_sampled_address, setup_64m,
			teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_direct_map_of_64m_uses_2m_pages,
						setup_64m, teardown),
		cmocka_unit_test(test_pgtable_direct_map_mixes_1g_2m_4k_pages),
		cmocka_unit_test_setup_teardown(test_pgtable_lookup_address_agrees_with_sdm_walk,
						setup_64m, teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_pgd_alloc_copies_kernel_half_only,
						setup_64m, teardown),
		cmocka_unit_test_setup_teardown(
			test_pgtable_alloc_helpers_build_walkable_user_tables, setup_64m, teardown),
		cmocka_unit_test_setup_teardown(
			test_pgtable_free_pgd_range_keeps_tables_reaching_outside, setup_64m,
			teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_five_level_layout_builds_real_p4d,
						setup_64m, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
