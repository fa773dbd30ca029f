/*
 * The simulated kernel: one instance per machine, passed explicitly as the first argument
 * (`struct kernel *k`) wherever Linux would reach for a global. Several machines can live in
 * one process (tests, what-if replays).
 *
 * Addresses: kernel-sim's C code holds host pointers into guest RAM where Linux holds
 * direct-map kernel virtual addresses; __pa()/__va() convert between them and physical
 * addresses, and __kva() gives the guest-visible direct-map address of a physical address
 * (PAGE_OFFSET + pa), which is what page tables and /proc print.
 */
#ifndef KSIM_KERNEL_H
#define KSIM_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-sim/boot.h"
#include "kernel-sim/bug.h"
#include "kernel-sim/gfp.h"
#include "kernel-sim/memblock.h"
#include "kernel-sim/mm_types.h"
#include "kernel-sim/mmzone.h"
#include "kernel-sim/printk.h"
#include "kernel-sim/trace_kmem.h"
#include "kernel-sim/vmstat.h"
#include "mmu/bus.h"

/* x86-64 direct map of all RAM (Documentation/arch/x86/x86_64/mm.rst). */
#define PAGE_OFFSET_X86_64 0xffff888000000000ULL
/* i386 3G/1G split. */
#define PAGE_OFFSET_I386 0xc0000000ULL

/* Physical layout of boot: low memory (BIOS, real-mode tables) is never used, the kernel
 * image follows it. */
#define LOW_MEMORY_RESERVE (1ULL << 20)
#define KERNEL_IMAGE_START (1ULL << 20)
#define KERNEL_IMAGE_SIZE (2ULL << 20)
#define MIN_NODE_MEM (4ULL << 20)
#define MIN_RAM (16ULL << 20)

/* Sparse mem_map: one mem_map piece per 128 MiB section, placed on the section's node. */
#define SECTION_SIZE_BITS 27
#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION (1UL << PFN_SECTION_SHIFT)

struct slab_state;
struct vmap_state;
struct task_struct;
struct vdso_state;
struct kmem_cache;
struct vm_state;
struct swap_state;
struct mmu;

struct kmem_tracer;
struct fpu_ops;
struct mm_tracer;

struct kernel {
	struct phys_bus *bus;                  /* guest RAM and MMIO */
	struct boot_params params;             /* the machine as boot saw it */
	struct memblock memblock;              /* boot allocator, retired after boot */
	uint64_t page_offset;                  /* direct-map base for __kva() */
	unsigned long max_pfn;                 /* one past the last frame of RAM */
	unsigned long nr_sections;             /* entries of section_mem_map */
	uintptr_t *section_mem_map;            /* mem_map host address - section start pfn * 64 */
	int nr_node_ids;                       /* nodes 0 .. nr_node_ids-1 */
	int nr_cpu_ids;                        /* CPUs 0 .. nr_cpu_ids-1 */
	int cpu_to_node[NR_CPUS];
	int this_cpu;                          /* CPU the kernel runs on now (smp_processor_id) */
	pg_data_t *node_data[MAX_NUMNODES];    /* NODE_DATA(nid), in guest RAM on that node */
	unsigned long totalram_pages;          /* frames given to the buddy allocator */
	unsigned long totalreserve_pages;      /* high watermarks + lowmem reserves */
	int min_free_kbytes;                   /* vm.min_free_kbytes */
	int watermark_scale_factor;            /* vm.watermark_scale_factor, 1/10000 of a zone */
	int lowmem_reserve_ratio[MAX_NR_ZONES]; /* vm.lowmem_reserve_ratio */
	int percpu_pagelist_high_fraction;     /* 0: Linux's default pcp sizing */
	unsigned long vm_events[NR_VM_EVENT_ITEMS]; /* /proc/vmstat events */
	unsigned long boot_free_pages;         /* nr_free_pages right after boot */
	unsigned long alloc_failures;          /* allocations that returned NULL */
	bool pcp_disabled;                     /* order-0 pages bypass the pcp lists */
	int movable_zone;                      /* the zone ZONE_MOVABLE is carved from */
	unsigned long zone_movable_pfn[MAX_NUMNODES]; /* first ZONE_MOVABLE pfn per node, 0: none */
	uint64_t vmalloc_total;                /* bytes of kernel virtual space for vmalloc */
	unsigned long nr_vmalloc_pages;        /* pages backing vmalloc areas (VmallocUsed) */
	unsigned long direct_pages_count[3];   /* direct map entries: 4K, 2M, 1G pages */
	uint64_t now_ns;                       /* virtual time since boot (the log's clock) */
	uint64_t slept_ns;                     /* of which spent sleeping (nanosleep) */
	struct printk_log log;                 /* dmesg */
	struct task_struct *current;           /* the task running on this_cpu */
	struct kmem_cache *task_cachep;        /* "task_struct" */
	struct vdso_state *vdso;               /* the vDSO pages, made at the first exec */
	int next_pid;                          /* pid of the next task (0: none yet, 1 first) */
	struct slab_state *slab;               /* SLUB: caches and kmalloc classes */
	struct vmap_state *vmap;               /* vmalloc areas and kernel page tables */
	struct vm_state *vm;                   /* VMA/mm caches, zero page, mm sysctls (mm.h) */
	struct swap_state *swap;               /* swap areas, reclaim state (swap.h) */
	/* The system-call layer (kernel-sim/syscall.h). */
	struct seq_file *strace;               /* non-NULL: each system call is printed here */
	const char *root;                      /* --root: host directory the guest sees as /;
						* NULL: the host's /. Not owned. */
	uint64_t getrandom_words;              /* 8-byte words drawn from the seeded stream */
	unsigned long nr_unknown_syscalls;     /* calls answered -ENOSYS for want of a handler */
	uint64_t unknown_syscall_seen[2][8];   /* numbers already reported: [0] x86-64, [1] i386 */
	struct mmu *cpu_mmu[NR_CPUS];          /* each CPU's MMU, for TLB shootdowns; NULL: none */
	const struct kmem_tracer *kmem_tracer; /* page allocator tracepoints (trace_kmem.h), or NULL */
	const struct fpu_ops *fpu_ops;         /* the CPU's user FPU state (fpu_signal.h), or NULL */
	const struct mm_tracer *mm_tracer;     /* address-space tracepoints (trace_mm.h), or NULL */
};

/* Virtual time after insns instructions: one nanosecond each, plus the time slept. The
 * machine calls this whenever the CPU has run, before the kernel reads the clock. */
static inline void kernel_clock_update(struct kernel *k, uint64_t insns)
{
	k->now_ns = insns + k->slept_ns;
}

/* The task sleeps (or waits out a timeout) for ns: the clock moves on at once. */
static inline void kernel_sleep_ns(struct kernel *k, int64_t ns)
{
	if (ns > 0) {
		k->now_ns += (uint64_t)ns;
		k->slept_ns += (uint64_t)ns;
	}
}

/* Time the task has spent running: its CPU time (the clock less what it slept). */
static inline uint64_t kernel_cpu_time_ns(const struct kernel *k)
{
	return k->now_ns - k->slept_ns;
}

/* Boots physical memory management on bus as p describes: memblock, mem_map, nodes and
 * zones, the buddy allocator, watermarks, slab, vmalloc. 0, or -EINVAL/-ENOMEM with a
 * one-line reason in err. */
int kernel_boot(struct kernel *k, struct phys_bus *bus, const struct boot_params *p,
		char *err, size_t errlen);
/* Frees the host-side state of k (guest RAM belongs to the bus). */
void kernel_shutdown(struct kernel *k);

#define NODE_DATA(k, nid) ((k)->node_data[nid])

static inline int numa_node_id(const struct kernel *k)
{
	return k->cpu_to_node[k->this_cpu];
}

static inline struct page *pfn_to_page(const struct kernel *k, unsigned long pfn)
{
	return (struct page *)(k->section_mem_map[pfn >> PFN_SECTION_SHIFT] +
			       pfn * sizeof(struct page));
}

static inline unsigned long page_to_pfn(const struct kernel *k, const struct page *page)
{
	return ((uintptr_t)page - k->section_mem_map[page_to_section(page)]) /
	       sizeof(struct page);
}

static inline int pfn_valid(const struct kernel *k, unsigned long pfn)
{
	return pfn < k->max_pfn;
}

static inline uint64_t page_to_phys(const struct kernel *k, const struct page *page)
{
	return PFN_PHYS(page_to_pfn(k, page));
}

/* Host pointer for physical address pa (in RAM). */
static inline void *__va(const struct kernel *k, uint64_t pa)
{
	return k->bus->ram + pa;
}

/* Physical address of a host pointer into guest RAM. */
static inline uint64_t __pa(const struct kernel *k, const void *addr)
{
	return (uint64_t)((const uint8_t *)addr - k->bus->ram);
}

/* Guest-visible direct-map virtual address of physical address pa. */
static inline uint64_t __kva(const struct kernel *k, uint64_t pa)
{
	return k->page_offset + pa;
}

static inline void *page_address(const struct kernel *k, const struct page *page)
{
	return __va(k, page_to_phys(k, page));
}

static inline struct page *virt_to_page(const struct kernel *k, const void *addr)
{
	return pfn_to_page(k, __pa(k, addr) >> PAGE_SHIFT);
}

static inline struct zone *page_zone(const struct kernel *k, const struct page *page)
{
	return &k->node_data[page_to_nid(page)]->node_zones[page_zonenum(page)];
}

static inline pg_data_t *page_pgdat(const struct kernel *k, const struct page *page)
{
	return k->node_data[page_to_nid(page)];
}

#define for_each_online_node(k, nid) for (int nid = 0; nid < (k)->nr_node_ids; nid++)

/* page's _refcount or _mapcount changed: the page_ref tracepoint (trace_kmem.h), one
 * pointer test when no tracer is attached. */
static inline void trace_page_ref(struct kernel *k, const struct page *page)
{
	if (unlikely(k->kmem_tracer))
		trace_page_ref_slow(k, page);
}

#endif /* KSIM_KERNEL_H */
