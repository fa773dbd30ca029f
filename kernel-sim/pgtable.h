/*
 * Page tables as the simulated kernel writes them, with Linux's names (arch/x86/include/asm/
 * pgtable*.h, include/linux/pgtable.h, mm/memory.c's *_alloc helpers).
 *
 * Every table is one 4 KiB frame of guest RAM holding 512 little-endian 64-bit entries in
 * the real x86 format (Intel SDM Vol. 3A, 4.5), so the MMU's page walker reads exactly what
 * the kernel wrote. Kernel-sim's C code holds a table as a host pointer into guest RAM, the
 * way Linux holds it as a direct-map address; the entries hold physical addresses.
 *
 * One x86-64 paging entry (PML4E/PDPTE/PDE/PTE):
 *
 *   63  62    52 51                                12 11  9 8 7 6 5 4 3 2 1 0
 *  +--+--------+----------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *  |NX| ignored|   physical frame number (bits 51:12)     | sw  |G|S|D|A|C|W|U|R|P|
 *  +--+--------+----------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *   P present, R writable, U user, W write-through (PWT), C cache-disable (PCD),
 *   A accessed, D dirty (leaf only), S page size (PSE: a 2 MiB PDE or 1 GiB PDPTE maps a page;
 *   in a 4 KiB PTE the same bit is PAT), G global (leaf only), NX no-execute.
 *   A large leaf's frame starts at bit 21 (2 MiB) or 30 (1 GiB); bit 12 is then PAT.
 *
 * Levels, top first (4-level; 5-level inserts a real p4d table under the pgd):
 *
 *   47      39 38      30 29      21 20      12 11         0
 *  +----------+----------+----------+----------+------------+
 *  | pgd idx  | pud idx  | pmd idx  | pte idx  |   offset   |
 *  +----------+----------+----------+----------+------------+
 *
 * With 4 levels the p4d is folded into the pgd as Linux folds it: p4d_offset() returns the
 * pgd entry itself, p4d_alloc() allocates nothing. The geometry (levels, pgd shift, p4d
 * entries) comes from the machine's struct pgtable_layout, so 5-level paging is a layout
 * away; i386 2-level and PAE layouts (4-byte entries, or 3 levels of 8-byte entries) are
 * not written yet.
 */
#ifndef KSIM_PGTABLE_H
#define KSIM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/mm_types.h"

struct kernel;

/* Entry bits (arch/x86/include/asm/pgtable_types.h). */
#define _PAGE_BIT_PRESENT 0
#define _PAGE_BIT_RW 1
#define _PAGE_BIT_USER 2
#define _PAGE_BIT_PWT 3
#define _PAGE_BIT_PCD 4
#define _PAGE_BIT_ACCESSED 5
#define _PAGE_BIT_DIRTY 6
#define _PAGE_BIT_PSE 7
#define _PAGE_BIT_PAT 7
#define _PAGE_BIT_GLOBAL 8
#define _PAGE_BIT_SOFTW1 9
#define _PAGE_BIT_PAT_LARGE 12
#define _PAGE_BIT_NX 63

#define _PAGE_PRESENT (1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW (1ULL << _PAGE_BIT_RW)
#define _PAGE_USER (1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT (1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD (1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED (1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY (1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE (1ULL << _PAGE_BIT_PSE)
#define _PAGE_PAT (1ULL << _PAGE_BIT_PAT)
#define _PAGE_GLOBAL (1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_SOFTW1 (1ULL << _PAGE_BIT_SOFTW1)
#define _PAGE_PAT_LARGE (1ULL << _PAGE_BIT_PAT_LARGE)
#define _PAGE_NX (1ULL << _PAGE_BIT_NX)

/* 52-bit physical addresses: the frame field of a 4 KiB entry or of a table pointer. */
#define __PHYSICAL_MASK_SHIFT 52
#define PHYSICAL_PAGE_MASK (((1ULL << __PHYSICAL_MASK_SHIFT) - 1) & ~0xfffULL)
#define PTE_PFN_MASK PHYSICAL_PAGE_MASK
#define PTE_FLAGS_MASK (~PTE_PFN_MASK)

/* Non-leaf entries: Linux's *_populate() writes _PAGE_TABLE at every level, for the kernel's
 * tables too; the leaf alone decides user access. */
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _KERNPG_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

typedef struct {
	uint64_t pgprot; /* the flag bits of an entry */
} pgprot_t;

#define __pgprot(x) ((pgprot_t){(x)})
#define pgprot_val(x) ((x).pgprot)

/* Leaf protections (pgtable_types.h, __PAGE_KERNEL* and PAGE_* with _PAGE_GLOBAL as Linux
 * sets it for kernel mappings when PTI is off). */
#define __PAGE_KERNEL_EXEC (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL)
#define __PAGE_KERNEL (__PAGE_KERNEL_EXEC | _PAGE_NX)
#define __PAGE_KERNEL_RO (__PAGE_KERNEL & ~_PAGE_RW)
#define __PAGE_KERNEL_RX (__PAGE_KERNEL_EXEC & ~_PAGE_RW)
#define __PAGE_KERNEL_NOCACHE (__PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)
#define __PAGE_KERNEL_LARGE (__PAGE_KERNEL | _PAGE_PSE)
#define __PAGE_KERNEL_LARGE_EXEC (__PAGE_KERNEL_EXEC | _PAGE_PSE)

#define PAGE_NONE __pgprot(_PAGE_GLOBAL | _PAGE_ACCESSED) /* Linux's _PAGE_PROTNONE is G */
#define PAGE_SHARED __pgprot(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_SHARED_EXEC __pgprot(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_COPY __pgprot(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_COPY_EXEC __pgprot(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_READONLY PAGE_COPY
#define PAGE_READONLY_EXEC PAGE_COPY_EXEC
#define PAGE_KERNEL __pgprot(__PAGE_KERNEL)
#define PAGE_KERNEL_RO __pgprot(__PAGE_KERNEL_RO)
#define PAGE_KERNEL_EXEC __pgprot(__PAGE_KERNEL_EXEC)
#define PAGE_KERNEL_RX __pgprot(__PAGE_KERNEL_RX)
#define PAGE_KERNEL_NOCACHE __pgprot(__PAGE_KERNEL_NOCACHE)
#define PAGE_KERNEL_LARGE __pgprot(__PAGE_KERNEL_LARGE)
#define PAGE_KERNEL_LARGE_EXEC __pgprot(__PAGE_KERNEL_LARGE_EXEC)

/* The entry types: distinct structs, as Linux's, so a pmd can't be stored as a pte. */
typedef struct {
	uint64_t pte;
} pte_t;
typedef struct {
	uint64_t pmd;
} pmd_t;
typedef struct {
	uint64_t pud;
} pud_t;
typedef struct {
	uint64_t p4d;
} p4d_t;
typedef struct {
	uint64_t pgd;
} pgd_t;

#define pte_val(x) ((x).pte)
#define pmd_val(x) ((x).pmd)
#define pud_val(x) ((x).pud)
#define p4d_val(x) ((x).p4d)
#define pgd_val(x) ((x).pgd)
#define __pte(x) ((pte_t){(x)})
#define __pmd(x) ((pmd_t){(x)})
#define __pud(x) ((pud_t){(x)})
#define __p4d(x) ((p4d_t){(x)})
#define __pgd(x) ((pgd_t){(x)})

/* Fixed geometry below the p4d (the same with 4 and 5 levels). */
#define PTRS_PER_PGD 512
#define PTRS_PER_PUD 512
#define PTRS_PER_PMD 512
#define PTRS_PER_PTE 512
#define P4D_SHIFT 39
#define PUD_SHIFT 30
#define PMD_SHIFT 21
#define PUD_SIZE (1ULL << PUD_SHIFT)
#define PMD_SIZE (1ULL << PMD_SHIFT)
#define PUD_MASK (~(PUD_SIZE - 1))
#define PMD_MASK (~(PMD_SIZE - 1))

/* Page sizes a leaf can map, as Linux's enum pg_level. */
enum pg_level {
	PG_LEVEL_NONE,
	PG_LEVEL_4K,
	PG_LEVEL_2M,
	PG_LEVEL_1G,
	PG_LEVEL_512G,
	PG_LEVEL_NUM,
};

/* The paging geometry of a machine (Linux decides it at boot: pgtable_l5_enabled()). */
struct pgtable_layout {
	const char *name;      /* for logs: "x86-64 4-level" */
	int levels;            /* 4: p4d folded into the pgd; 5: p4d is a real table */
	unsigned pgdir_shift;  /* 39 with 4 levels, 48 with 5 */
	unsigned ptrs_per_p4d; /* 1 when folded, 512 with 5 levels */
	uint64_t user_top;     /* one past the highest user address: 2^47 or 2^56 */
	bool gbpages;          /* the direct map may use 1 GiB pages (CPUID PDPE1GB) */
};

extern const struct pgtable_layout pgtable_layout_x86_64_4level;

static inline unsigned pte_index(uint64_t va)
{
	return (va >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
}
static inline unsigned pmd_index(uint64_t va)
{
	return (va >> PMD_SHIFT) & (PTRS_PER_PMD - 1);
}
static inline unsigned pud_index(uint64_t va)
{
	return (va >> PUD_SHIFT) & (PTRS_PER_PUD - 1);
}
/* These two depend on the layout. */
unsigned pgd_index(const struct kernel *k, uint64_t va);
unsigned p4d_index(const struct kernel *k, uint64_t va);
/* Geometry of the running machine: its layout. */
const struct pgtable_layout *pgtable_layout(const struct kernel *k);

/* Entry tests. A leaf at pud or pmd level has PSE set (Linux's pud_leaf/pmd_leaf). */
static inline bool pgd_none(pgd_t pgd)
{
	return pgd_val(pgd) == 0;
}
static inline bool pgd_present(pgd_t pgd)
{
	return pgd_val(pgd) & _PAGE_PRESENT;
}
static inline bool p4d_none(p4d_t p4d)
{
	return p4d_val(p4d) == 0;
}
static inline bool p4d_present(p4d_t p4d)
{
	return p4d_val(p4d) & _PAGE_PRESENT;
}
static inline bool pud_none(pud_t pud)
{
	return pud_val(pud) == 0;
}
static inline bool pud_present(pud_t pud)
{
	return pud_val(pud) & _PAGE_PRESENT;
}
static inline bool pud_leaf(pud_t pud)
{
	return (pud_val(pud) & (_PAGE_PSE | _PAGE_PRESENT)) == (_PAGE_PSE | _PAGE_PRESENT);
}
static inline bool pmd_none(pmd_t pmd)
{
	return pmd_val(pmd) == 0;
}
static inline bool pmd_present(pmd_t pmd)
{
	return pmd_val(pmd) & _PAGE_PRESENT;
}
static inline bool pmd_leaf(pmd_t pmd)
{
	return (pmd_val(pmd) & (_PAGE_PSE | _PAGE_PRESENT)) == (_PAGE_PSE | _PAGE_PRESENT);
}
static inline bool pte_none(pte_t pte)
{
	return pte_val(pte) == 0;
}
static inline bool pte_present(pte_t pte)
{
	return pte_val(pte) & _PAGE_PRESENT;
}
static inline uint64_t pte_flags(pte_t pte)
{
	return pte_val(pte) & PTE_FLAGS_MASK;
}
static inline bool pte_write(pte_t pte)
{
	return pte_val(pte) & _PAGE_RW;
}
static inline bool pte_exec(pte_t pte)
{
	return !(pte_val(pte) & _PAGE_NX);
}

/* Frames. A large leaf's frame field starts at bit 21 or 30 (bit 12 is its PAT bit). */
static inline unsigned long pte_pfn(pte_t pte)
{
	return (unsigned long)((pte_val(pte) & PTE_PFN_MASK) >> PAGE_SHIFT);
}
static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return __pte(((uint64_t)pfn << PAGE_SHIFT) | pgprot_val(prot));
}
static inline unsigned long pmd_pfn(pmd_t pmd)
{
	uint64_t mask = pmd_leaf(pmd) ? (PTE_PFN_MASK & PMD_MASK) : PTE_PFN_MASK;
	return (unsigned long)((pmd_val(pmd) & mask) >> PAGE_SHIFT);
}
static inline pmd_t pfn_pmd(unsigned long pfn, pgprot_t prot)
{
	return __pmd(((uint64_t)pfn << PAGE_SHIFT) | pgprot_val(prot));
}
static inline unsigned long pud_pfn(pud_t pud)
{
	uint64_t mask = pud_leaf(pud) ? (PTE_PFN_MASK & PUD_MASK) : PTE_PFN_MASK;
	return (unsigned long)((pud_val(pud) & mask) >> PAGE_SHIFT);
}
static inline pud_t pfn_pud(unsigned long pfn, pgprot_t prot)
{
	return __pud(((uint64_t)pfn << PAGE_SHIFT) | pgprot_val(prot));
}

/* Stores. One aligned 64-bit store each, as the hardware walker expects (no torn entry). */
static inline void set_pte(pte_t *ptep, pte_t pte)
{
	__atomic_store_n(&ptep->pte, pte_val(pte), __ATOMIC_RELAXED);
}
static inline void set_pmd(pmd_t *pmdp, pmd_t pmd)
{
	__atomic_store_n(&pmdp->pmd, pmd_val(pmd), __ATOMIC_RELAXED);
}
static inline void set_pud(pud_t *pudp, pud_t pud)
{
	__atomic_store_n(&pudp->pud, pud_val(pud), __ATOMIC_RELAXED);
}
static inline void set_p4d(p4d_t *p4dp, p4d_t p4d)
{
	__atomic_store_n(&p4dp->p4d, p4d_val(p4d), __ATOMIC_RELAXED);
}
static inline void set_pgd(pgd_t *pgdp, pgd_t pgd)
{
	__atomic_store_n(&pgdp->pgd, pgd_val(pgd), __ATOMIC_RELAXED);
}
static inline void pte_clear(pte_t *ptep)
{
	set_pte(ptep, __pte(0));
}

/* Walking one level down: the entry for va in the table the given entry points to. The
 * entry must be present and not a leaf. With 4 levels p4d_offset() returns the pgd entry. */
pgd_t *pgd_offset_pgd(const struct kernel *k, pgd_t *pgd, uint64_t va);
pgd_t *pgd_offset_k(const struct kernel *k, uint64_t va);
p4d_t *p4d_offset(const struct kernel *k, pgd_t *pgd, uint64_t va);
pud_t *pud_offset(const struct kernel *k, p4d_t *p4d, uint64_t va);
pmd_t *pmd_offset(const struct kernel *k, pud_t *pud, uint64_t va);
pte_t *pte_offset_kernel(const struct kernel *k, pmd_t *pmd, uint64_t va);

/* The kernel's reference top-level table (init_mm.pgd, Linux's swapper_pg_dir); NULL before
 * vmalloc_init() built it. */
pgd_t *init_pgd(const struct kernel *k);

/* First pgd entry of the kernel half that every mm shares (pgd_index(PAGE_OFFSET), Linux's
 * KERNEL_PGD_BOUNDARY); entries from here to 511 are copied by pgd_alloc(). */
unsigned kernel_pgd_boundary(const struct kernel *k);

/*
 * Allocation. Each allocates the missing next-level table when the entry is none (one zeroed
 * order-0 page from the buddy allocator with GFP_KERNEL, marked PageTable, counted in the
 * node's NR_PAGETABLE; during boot, before the buddy allocator, a page of memblock instead),
 * links it with _PAGE_TABLE, and returns the entry for va in it. NULL when no page can be
 * had. The entry passed in must not be a leaf.
 */
p4d_t *p4d_alloc(struct kernel *k, pgd_t *pgd, uint64_t va);
pud_t *pud_alloc(struct kernel *k, p4d_t *p4d, uint64_t va);
pmd_t *pmd_alloc(struct kernel *k, pud_t *pud, uint64_t va);
pte_t *pte_alloc_kernel(struct kernel *k, pmd_t *pmd, uint64_t va);
/* The same for a user table (Linux's pte_alloc_map). */
pte_t *pte_alloc_map(struct kernel *k, pmd_t *pmd, uint64_t va);

/* A new top-level table for an address space: user half empty, kernel half (entries from
 * kernel_pgd_boundary() on) copied from init_pgd(), so every mm shares the kernel's tables
 * below the pgd. NULL when out of memory. */
pgd_t *pgd_alloc(struct kernel *k);
/* Frees the top-level page only; the user half must have been emptied by free_pgd_range(). */
void pgd_free(struct kernel *k, pgd_t *pgd);

/* Frees every page-table page (pud/pmd/pte tables, p4d with 5 levels) that maps only user
 * addresses inside [addr, end) and clears the entries pointing at them, as Linux's
 * free_pgd_range() does after the range was unmapped. Leaf entries are dropped without
 * touching the frames they map: the caller unmapped and freed those first. addr and end are
 * page aligned, end <= the layout's user_top (kernel tables are shared and never freed). */
void free_pgd_range(struct kernel *k, pgd_t *pgd, uint64_t addr, uint64_t end);

/* The leaf entry mapping va in the tables under pgd, with the size it maps in *level
 * (PG_LEVEL_4K, _2M, _1G). For a large page the returned pointer is the pmd or pud entry,
 * reinterpreted, as Linux's lookup_address() does. When no table maps va, the deepest entry
 * reached (not present) is returned with the level it would map; NULL if a table pointer
 * leads outside RAM. */
pte_t *lookup_address_in_pgd(const struct kernel *k, pgd_t *pgd, uint64_t va,
			     enum pg_level *level);
/* The same in the kernel's tables (init_pgd). */
pte_t *lookup_address(const struct kernel *k, uint64_t va, enum pg_level *level);

/* Maps physical [paddr_start, paddr_end) at the direct map, page_offset + pa, in init_pgd
 * with the largest pages alignment allows (1 GiB when the layout has gbpages, 2 MiB, else
 * 4 KiB), PAGE_KERNEL_LARGE / PAGE_KERNEL. Both ends 4 KiB aligned. 0 or -ENOMEM. */
int kernel_physical_mapping_init(struct kernel *k, uint64_t paddr_start, uint64_t paddr_end);

/* Allocates the kernel's top-level table (init_pgd) and maps all RAM at the direct map, as
 * Linux's init_mem_mapping(). Needs k->vmap; runs while memblock is up, so the tables are
 * boot memory (reserved, PageTable, outside NR_PAGETABLE as on Linux). 0 or -ENOMEM. */
int init_mem_mapping(struct kernel *k);

/* Page-table pages allocated through these helpers and not yet freed, machine-wide. */
unsigned long nr_pgtable_pages(const struct kernel *k);

#endif /* KSIM_PGTABLE_H */
