/*
 * Page-table pages: allocation, linking, teardown and software walks, as Linux's
 * mm/memory.c (__pud_alloc, __pmd_alloc, __pte_alloc_kernel, free_pgd_range),
 * arch/x86/mm/pgtable.c (pgd_alloc), arch/x86/mm/init_64.c (kernel_physical_mapping_init)
 * and arch/x86/mm/pat/set_memory.c (lookup_address). See kernel-sim/pgtable.h.
 *
 * The per-level helpers keep Linux's shape (pgd -> p4d -> pud -> pmd -> pte). The two range
 * operations, the direct map and free_pgd_range, are one recursion over a list of levels
 * taken from the layout, so a 5-level layout adds one line to that list.
 */
#include "kernel-sim/pgtable.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/bug.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/vmalloc.h"
#include "kernel-sim/vmstat.h"

const struct pgtable_layout pgtable_layout_x86_64_4level = {
	.name = "x86-64 4-level",
	.levels = 4,
	.pgdir_shift = 39,
	.ptrs_per_p4d = 1,
	.user_top = 1ULL << 47,
	.gbpages = true,
};

/* Page-table pages come zeroed from the buddy allocator, as GFP_PGTABLE_KERNEL. */
#define GFP_PGTABLE (GFP_KERNEL | __GFP_ZERO)

const struct pgtable_layout *pgtable_layout(const struct kernel *k)
{
	return k->vmap ? &k->vmap->pgt : &pgtable_layout_x86_64_4level;
}

unsigned pgd_index(const struct kernel *k, uint64_t va)
{
	return (va >> pgtable_layout(k)->pgdir_shift) & (PTRS_PER_PGD - 1);
}

unsigned p4d_index(const struct kernel *k, uint64_t va)
{
	return (va >> P4D_SHIFT) & (pgtable_layout(k)->ptrs_per_p4d - 1);
}

static bool p4d_folded(const struct kernel *k)
{
	return pgtable_layout(k)->levels == 4;
}

pgd_t *init_pgd(const struct kernel *k)
{
	return k->vmap ? k->vmap->init_pgd : NULL;
}

unsigned kernel_pgd_boundary(const struct kernel *k)
{
	return pgd_index(k, k->page_offset);
}

unsigned long nr_pgtable_pages(const struct kernel *k)
{
	return (unsigned long)global_node_page_state(k, NR_PAGETABLE);
}

/* Host pointer of the table a non-leaf entry points to. */
static void *entry_table(const struct kernel *k, uint64_t entry)
{
	return __va(k, entry & PTE_PFN_MASK);
}

/* True when the table a non-leaf entry points to lies wholly in RAM. */
static bool entry_table_in_ram(const struct kernel *k, uint64_t entry)
{
	return bus_ram_ptr(k->bus, entry & PTE_PFN_MASK, PAGE_SIZE) != NULL;
}

pgd_t *pgd_offset_pgd(const struct kernel *k, pgd_t *pgd, uint64_t va)
{
	return pgd + pgd_index(k, va);
}

pgd_t *pgd_offset_k(const struct kernel *k, uint64_t va)
{
	BUG_ON(!init_pgd(k));
	return pgd_offset_pgd(k, init_pgd(k), va);
}

p4d_t *p4d_offset(const struct kernel *k, pgd_t *pgd, uint64_t va)
{
	if (p4d_folded(k))
		return (p4d_t *)pgd;
	return (p4d_t *)entry_table(k, pgd_val(*pgd)) + p4d_index(k, va);
}

pud_t *pud_offset(const struct kernel *k, p4d_t *p4d, uint64_t va)
{
	return (pud_t *)entry_table(k, p4d_val(*p4d)) + pud_index(va);
}

pmd_t *pmd_offset(const struct kernel *k, pud_t *pud, uint64_t va)
{
	return (pmd_t *)entry_table(k, pud_val(*pud)) + pmd_index(va);
}

pte_t *pte_offset_kernel(const struct kernel *k, pmd_t *pmd, uint64_t va)
{
	return (pte_t *)entry_table(k, pmd_val(*pmd)) + pte_index(va);
}

/*
 * One zeroed page for a table, marked PageTable; its host address, or NULL. While memblock
 * is up (boot, before the buddy allocator) the page is reserved from memblock, as Linux's
 * alloc_low_pages() takes the early tables, and like those it stays out of NR_PAGETABLE;
 * afterwards it comes from the buddy allocator and is counted.
 */
static void *pgtable_page_alloc(struct kernel *k)
{
	if (!k->memblock.retired) {
		void *table = memblock_alloc_node(k, PAGE_SIZE, PAGE_SIZE, numa_node_id(k),
						  "page tables");
		if (!table)
			return NULL;
		SetPageTable(virt_to_page(k, table));
		k->vmap->nr_boot_tables++;
		return table;
	}
	struct page *page = alloc_pages(k, GFP_PGTABLE, 0);
	if (!page)
		return NULL;
	SetPageTable(page);
	__mod_node_page_state(page_pgdat(k, page), NR_PAGETABLE, 1);
	return page_address(k, page);
}

/* Boot tables (reserved pages) belong to the kernel's own mappings and are never freed. */
static void pgtable_page_free(struct kernel *k, void *table)
{
	struct page *page = virt_to_page(k, table);
	BUG_ON(!PageTable(page) || PageReserved(page));
	__ClearPageTable(page);
	__mod_node_page_state(page_pgdat(k, page), NR_PAGETABLE, -1);
	__free_pages(k, page, 0);
}

/*
 * Makes the non-leaf entry *entry point at a table, allocating one when it is none
 * (Linux's __pud_alloc and friends plus *_populate). False when out of memory.
 */
static bool entry_populate(struct kernel *k, uint64_t *entry)
{
	if (*entry) {
		BUG_ON((*entry & (_PAGE_PRESENT | _PAGE_PSE)) != _PAGE_PRESENT);
		return true;
	}
	void *table = pgtable_page_alloc(k);
	if (!table)
		return false;
	__atomic_store_n(entry, __pa(k, table) | _PAGE_TABLE, __ATOMIC_RELAXED);
	return true;
}

p4d_t *p4d_alloc(struct kernel *k, pgd_t *pgd, uint64_t va)
{
	if (!p4d_folded(k) && !entry_populate(k, &pgd->pgd))
		return NULL;
	return p4d_offset(k, pgd, va);
}

pud_t *pud_alloc(struct kernel *k, p4d_t *p4d, uint64_t va)
{
	if (!entry_populate(k, &p4d->p4d))
		return NULL;
	return pud_offset(k, p4d, va);
}

pmd_t *pmd_alloc(struct kernel *k, pud_t *pud, uint64_t va)
{
	if (!entry_populate(k, &pud->pud))
		return NULL;
	return pmd_offset(k, pud, va);
}

pte_t *pte_alloc_kernel(struct kernel *k, pmd_t *pmd, uint64_t va)
{
	if (!entry_populate(k, &pmd->pmd))
		return NULL;
	return pte_offset_kernel(k, pmd, va);
}

pte_t *pte_alloc_map(struct kernel *k, pmd_t *pmd, uint64_t va)
{
	return pte_alloc_kernel(k, pmd, va);
}

pgd_t *pgd_alloc(struct kernel *k)
{
	BUG_ON(!init_pgd(k));
	pgd_t *pgd = pgtable_page_alloc(k);
	if (!pgd)
		return NULL;
	unsigned first = kernel_pgd_boundary(k);
	memcpy(pgd + first, init_pgd(k) + first, (PTRS_PER_PGD - first) * sizeof(pgd_t));
	return pgd;
}

void pgd_free(struct kernel *k, pgd_t *pgd)
{
	BUG_ON(pgd == init_pgd(k));
	pgtable_page_free(k, pgd);
}

pte_t *lookup_address_in_pgd(const struct kernel *k, pgd_t *pgd, uint64_t va,
			     enum pg_level *level)
{
	*level = PG_LEVEL_512G;
	pgd = pgd_offset_pgd(k, pgd, va);
	if (!pgd_present(*pgd))
		return (pte_t *)pgd;
	if (!p4d_folded(k) && !entry_table_in_ram(k, pgd_val(*pgd)))
		return NULL;
	p4d_t *p4d = p4d_offset(k, pgd, va);
	if (!p4d_present(*p4d))
		return (pte_t *)p4d;
	if (!entry_table_in_ram(k, p4d_val(*p4d)))
		return NULL;
	*level = PG_LEVEL_1G;
	pud_t *pud = pud_offset(k, p4d, va);
	if (pud_leaf(*pud) || !pud_present(*pud))
		return (pte_t *)pud;
	if (!entry_table_in_ram(k, pud_val(*pud)))
		return NULL;
	*level = PG_LEVEL_2M;
	pmd_t *pmd = pmd_offset(k, pud, va);
	if (pmd_leaf(*pmd) || !pmd_present(*pmd))
		return (pte_t *)pmd;
	if (!entry_table_in_ram(k, pmd_val(*pmd)))
		return NULL;
	*level = PG_LEVEL_4K;
	return pte_offset_kernel(k, pmd, va);
}

pte_t *lookup_address(const struct kernel *k, uint64_t va, enum pg_level *level)
{
	BUG_ON(!init_pgd(k));
	return lookup_address_in_pgd(k, init_pgd(k), va, level);
}

/* The levels of a layout, top first, for the range operations below. */
struct pt_level {
	unsigned shift;     /* lowest address bit of this level's index */
	unsigned ptrs;      /* entries per table */
	bool large_ok;      /* a PSE leaf may sit at this level (1 GiB, 2 MiB) */
};

static int layout_levels(const struct kernel *k, struct pt_level lv[5])
{
	const struct pgtable_layout *l = pgtable_layout(k);
	int n = 0;
	lv[n++] = (struct pt_level){l->pgdir_shift, PTRS_PER_PGD, false};
	if (l->levels == 5)
		lv[n++] = (struct pt_level){P4D_SHIFT, l->ptrs_per_p4d, false};
	lv[n++] = (struct pt_level){PUD_SHIFT, PTRS_PER_PUD, l->gbpages};
	lv[n++] = (struct pt_level){PMD_SHIFT, PTRS_PER_PMD, true};
	lv[n++] = (struct pt_level){PAGE_SHIFT, PTRS_PER_PTE, false};
	return n;
}

/* Index range of table entries at level lv that [va, end) touches; end > va, both in the
 * span of one table at that level. */
static void level_span(const struct pt_level *lv, uint64_t va, uint64_t end, unsigned *first,
		       unsigned *last)
{
	*first = (va >> lv->shift) & (lv->ptrs - 1);
	*last = ((end - 1) >> lv->shift) & (lv->ptrs - 1);
}

struct direct_map {
	struct kernel *k;
	struct pt_level lv[5];
	int nr_levels;
	uint64_t offset; /* virtual - physical */
};

/*
 * Maps virtual [va, end) of the table at level i to va - dm->offset, choosing a leaf at
 * each entry when the level allows one and both addresses are aligned to it and it fits.
 */
static int direct_map_range(struct direct_map *dm, uint64_t *table, int i, uint64_t va,
			    uint64_t end)
{
	const struct pt_level *lv = &dm->lv[i];
	uint64_t size = 1ULL << lv->shift;
	unsigned first, last;
	level_span(lv, va, end, &first, &last);
	for (unsigned idx = first; idx <= last; idx++) {
		uint64_t next = (va & ~(size - 1)) + size;
		uint64_t stop = next < end && next != 0 ? next : end;
		uint64_t pa = va - dm->offset;
		bool whole = (va & (size - 1)) == 0 && stop - va == size;
		if (i == dm->nr_levels - 1) {
			table[idx] = pa | __PAGE_KERNEL;
			dm->k->direct_pages_count[0]++;
		} else if (lv->large_ok && whole) {
			table[idx] = pa | __PAGE_KERNEL_LARGE;
			dm->k->direct_pages_count[lv->shift == PUD_SHIFT ? 2 : 1]++;
		} else {
			if (!entry_populate(dm->k, &table[idx]))
				return -ENOMEM;
			int err = direct_map_range(dm, entry_table(dm->k, table[idx]), i + 1, va,
						   stop);
			if (err)
				return err;
		}
		va = stop;
	}
	return 0;
}

int kernel_physical_mapping_init(struct kernel *k, uint64_t paddr_start, uint64_t paddr_end)
{
	BUG_ON(!init_pgd(k) || (paddr_start | paddr_end) & (PAGE_SIZE - 1));
	if (paddr_start >= paddr_end)
		return 0;
	struct direct_map dm = {.k = k, .offset = k->page_offset};
	dm.nr_levels = layout_levels(k, dm.lv);
	return direct_map_range(&dm, (uint64_t *)init_pgd(k), 0, paddr_start + k->page_offset,
				paddr_end + k->page_offset);
}

/*
 * Drops the entries of the table at level i for [va, end) and frees the tables below that
 * [va, end) covers wholly. Entries reaching outside the range keep their table.
 */
static void free_range(struct kernel *k, const struct pt_level *lvs, int nr, uint64_t *table,
		       int i, uint64_t va, uint64_t end)
{
	const struct pt_level *lv = &lvs[i];
	uint64_t size = 1ULL << lv->shift;
	unsigned first, last;
	level_span(lv, va, end, &first, &last);
	for (unsigned idx = first; idx <= last; idx++) {
		uint64_t start = va & ~(size - 1);
		uint64_t stop = start + size < end ? start + size : end;
		uint64_t e = table[idx];
		bool leaf = i == nr - 1 || (e & _PAGE_PSE);
		if (e && !leaf) {
			free_range(k, lvs, nr, entry_table(k, e), i + 1, va, stop);
			if (va == start && stop == start + size) {
				pgtable_page_free(k, entry_table(k, e));
				table[idx] = 0;
			}
		} else if (e && va == start && stop == start + size) {
			table[idx] = 0;
		}
		va = stop;
	}
}

void free_pgd_range(struct kernel *k, pgd_t *pgd, uint64_t addr, uint64_t end)
{
	BUG_ON((addr | end) & (PAGE_SIZE - 1));
	BUG_ON(end > pgtable_layout(k)->user_top || pgd == init_pgd(k));
	if (addr >= end)
		return;
	struct pt_level lv[5];
	int nr = layout_levels(k, lv);
	free_range(k, lv, nr, (uint64_t *)pgd, 0, addr, end);
}

int init_mem_mapping(struct kernel *k)
{
	BUG_ON(!k->vmap || k->vmap->init_pgd);
	pgd_t *pgd = pgtable_page_alloc(k);
	if (!pgd)
		return -ENOMEM;
	k->vmap->init_pgd = pgd;
	unsigned long before = k->vmap->nr_boot_tables;
	int err = kernel_physical_mapping_init(k, 0, PFN_PHYS(k->max_pfn));
	k->vmap->nr_direct_map_tables = k->vmap->nr_boot_tables - before;
	return err;
}
