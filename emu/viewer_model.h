/*
 * What the viewer shows, as plain data: the owner of every physical frame, the current
 * task's VMAs with their resident pages, the page walk of an address, the TLB arrays and
 * the zone counters. The renderer (emu/viewer.h) draws these models and nothing else, so
 * tests check the models directly and the pixels only where colour is the point.
 *
 * Building a model reads the machine and changes nothing in it: no TLB fill, no A/D bit,
 * no statistic (mmu_probe and tlb_array_find are side-effect free).
 */
#ifndef EMU_VIEWER_MODEL_H
#define EMU_VIEWER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kernel;
struct machine;
struct mm_struct;

/* Who holds a frame, in the order of the legend. */
enum frame_kind {
	FK_FREE,      /* in a buddy free block (order in frame_class.order) */
	FK_PCP,	      /* free on a per-cpu page list */
	FK_ANON,      /* anonymous memory of a process */
	FK_FILE,      /* page cache */
	FK_PGTABLE,   /* a page table */
	FK_SLAB,      /* a slab of a kmem_cache */
	FK_VMALLOC,   /* backs a vmalloc area */
	FK_KERNEL,    /* kernel image, mem_map, node data, reserved low memory */
	FK_ZERO,      /* the shared zero page */
	FK_SWAPCACHE, /* in the swap cache */
	FK_OTHER,     /* allocated for some other kernel use */
	FK_NR
};

struct frame_class {
	uint8_t kind;  /* enum frame_kind */
	uint8_t order; /* FK_FREE: order of the free block the frame lies in */
	uint8_t head;  /* FK_FREE: the first frame of its block; else 0 */
};

/* The legend's name of a kind ("free", "anon", "page table", ...). */
const char *frame_kind_name(enum frame_kind kind);

/* Classifies frames [0, n) (n <= k->max_pfn) into cls[0..n). Frames inside a free block
 * take the block's order; tail pages of a compound allocation take their head's kind. */
void viewer_classify(const struct kernel *k, unsigned long n, struct frame_class *cls);

/* One line of text about a frame: pfn, node/zone, kind, flags, refcount, mapcount, owner. */
void viewer_frame_info(const struct kernel *k, const struct frame_class *cls, unsigned long pfn,
		       char *buf, size_t len);

#define VMA_BAR_BUCKETS 64
#define VMA_NAME_LEN 96

/* A row of the VMA panel: one line of /proc/PID/maps and the VMA's resident pages. */
struct vma_row {
	uint64_t start, end;	      /* [start, end) */
	char perms[5];		      /* "r-xp" */
	uint64_t offset;	      /* file offset */
	char name[VMA_NAME_LEN];      /* path, [heap], [stack], [vdso]..., or "" */
	unsigned long pages;	      /* (end - start) / 4096 */
	unsigned long resident;	      /* pages mapped in the page tables */
	uint8_t bar[VMA_BAR_BUCKETS]; /* resident share of each 1/64 of the range, 0..255 */
};

/* r->bar from the resident pages counted in each 1/VMA_BAR_BUCKETS of r's range (page p
 * of the VMA counts in bucket p * VMA_BAR_BUCKETS / pages): each bucket's resident share,
 * 0..255; a bucket no page falls into (a VMA of fewer than 64 pages) repeats the one
 * before it. */
void viewer_fill_bar(struct vma_row *r, const unsigned long *counts);

/* Fills rows (at most max) with the maps of mm (the lines of its /proc/PID/maps), without
 * resident pages; returns the number of VMAs (which may exceed max). */
int viewer_maps_rows(struct kernel *k, struct mm_struct *mm, struct vma_row *rows, int max);

/* Fills rows (at most max) with the current task's maps, in address order; returns the
 * number of VMAs (which may exceed max), 0 when there is no task. Resident pages are those
 * the current CR3's tables map. */
int viewer_vma_rows(struct machine *m, struct vma_row *rows, int max);

/* The page walk of one linear address, as the MMU would do it now. */
struct walk_model {
	uint64_t la;  /* the address */
	uint64_t cr3; /* CR3 the walk starts from */
	int nr_steps; /* entries read */
	struct {
		uint8_t level;	   /* enum walk_level */
		uint64_t entry_pa; /* where the entry is */
		uint64_t entry;	   /* its value */
	} step[5];
	bool mapped;	     /* the walk reached a page */
	uint64_t pa;	     /* its physical address (mapped) */
	unsigned page_shift; /* 12, 21 or 30 (mapped) */
	const char *tlb;     /* name of the first TLB array holding la now, or NULL */
	const char *pwc;     /* name of the first page-walk cache holding a step, or NULL */
};

void viewer_walk_model(struct machine *m, uint64_t la, struct walk_model *w);

/* The SDM's name of a walk level: "PML5E", "PML4E", "PDPTE", "PDE", "PTE". */
const char *walk_level_name(unsigned level);

/* Entry flags as text: "P RW US A D PS G XD", absent bits as '-' columns. */
void pte_flags_text(uint64_t entry, char *buf, size_t len);

struct tlb_row {
	const char *name; /* --tlb name */
	uint32_t entries; /* capacity (0: absent) */
	uint32_t valid;	  /* entries holding a translation */
	uint64_t hits;	  /* since the statistics were reset */
	uint64_t fills;
	uint64_t misses; /* page-walk caches only */
};

struct tlb_model {
	int nr;			/* rows filled */
	struct tlb_row row[16]; /* the arrays that exist */
	uint64_t level_hits[3]; /* enum tlb_level: L1I, L1D, L2 */
	uint64_t level_misses[3];
	uint64_t walks; /* page walks */
};

void viewer_tlb_model(struct machine *m, struct tlb_model *t);

struct zone_row {
	int node;
	const char *name;	      /* zone name */
	unsigned long start_pfn;      /* first pfn spanned */
	unsigned long spanned;	      /* pfns spanned */
	unsigned long managed;	      /* pages given to the buddy allocator */
	unsigned long free;	      /* NR_FREE_PAGES */
	unsigned long min, low, high; /* watermarks */
};

struct counter_model {
	int nr_zones;		  /* rows filled */
	struct zone_row zone[40]; /* populated zones, by node then zone */
	uint64_t instructions;	  /* executed so far */
	uint64_t exceptions;	  /* delivered */
	unsigned long pgfault;	  /* vm_events */
	unsigned long pgmajfault;
	unsigned long pgalloc; /* all zones */
	unsigned long pgfree;
	unsigned long pagetables; /* NR_PAGETABLE */
	int pid;		  /* current task, 0: none */
	char comm[16];
};

void viewer_counter_model(struct machine *m, struct counter_model *c);

/* The counters the live window plots over time, read at one picture. */
struct counter_sample {
	uint64_t icount;	     /* instructions executed */
	unsigned long free;	     /* NR_FREE_PAGES of all zones */
	unsigned long min, low, high; /* the zones' watermarks, summed */
	unsigned long lru[4];	     /* inactive anon, active anon, inactive file, active file */
	unsigned long swap_used;     /* swap slots in use */
	unsigned long swap_total;    /* swap slots */
	unsigned long pgfault;	     /* page faults so far */
	unsigned long pageoutrun;    /* kswapd runs so far */
	unsigned long pgscan_kswapd; /* pages kswapd scanned so far */
};

void viewer_counter_sample(struct machine *m, struct counter_sample *s);

#endif /* EMU_VIEWER_MODEL_H */
