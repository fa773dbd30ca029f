/*
 * vmalloc: virtually contiguous kernel memory from physically scattered frames, as Linux's
 * mm/vmalloc.c, and the kernel's own page tables it maps them in.
 *
 * Guest view (x86-64, Documentation/arch/x86/x86_64/mm.rst):
 *
 *   ffff888000000000  direct map of all RAM (kernel_physical_mapping_init)
 *   ffffc90000000000  vmalloc/ioremap space, vmalloc_total_bytes() long
 *
 * An area is [va_start, va_end): its pages, then one unmapped guard page that turns a
 * linear overrun into a page fault. Each page is an order-0 frame from alloc_pages_node(),
 * mapped PAGE_KERNEL by a pte of init_pgd.
 *
 * Host view: kernel-sim is C, and C code wants a pointer it can use. At boot a PROT_NONE
 * host range as long as the vmalloc space is reserved (the mirror); every frame mapped at
 * VMALLOC_START + off in the guest is also mmap()ed from the guest-RAM memfd at mirror + off.
 * vmalloc() returns the mirror pointer: stores through it land in the guest frames, and a
 * guard page or a freed area is PROT_NONE in the host too, so C code overrunning an area
 * crashes as the guest would fault. vmalloc_kva() and vmalloc_from_kva() convert.
 */
#ifndef KSIM_VMALLOC_H
#define KSIM_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel-sim/gfp.h"
#include "kernel-sim/list.h"
#include "kernel-sim/pgtable.h"

struct kernel;
struct page;
struct seq_file;

/* x86-64 vmalloc space: its start (VMALLOC_START) and Linux's 4-level size, the largest
 * allowed here. The default size is bounded because the host mirror reserves that much host
 * address space: 1 GiB, or twice RAM rounded up to 1 GiB when that is more. */
#define VMALLOC_START 0xffffc90000000000ULL
#define VMALLOC_SIZE_MAX (32ULL << 40)
#define VMALLOC_SIZE_DEFAULT_MIN (1ULL << 30)

/* vm_struct flags (include/linux/vmalloc.h). */
#define VM_IOREMAP 0x00000001UL
#define VM_ALLOC 0x00000002UL
#define VM_MAP 0x00000004UL
#define VM_USERMAP 0x00000008UL
#define VM_DMA_COHERENT 0x00000010UL
#define VM_UNINITIALIZED 0x00000020UL
#define VM_NO_GUARD 0x00000040UL

/* What /proc/vmallocinfo lists: one mapped area. */
struct vm_struct {
	void *addr;             /* mirror pointer of the first byte (what vmalloc returned) */
	unsigned long size;     /* bytes, the guard page included, as Linux counts it */
	unsigned long flags;    /* VM_* */
	struct page **pages;    /* nr_pages frames (VM_ALLOC), in address order, else NULL */
	unsigned int nr_pages;  /* frames this area owns */
	char *caller;           /* who asked (host heap copy), NULL when not given */
};

/* A busy range of the vmalloc space. */
struct vmap_area {
	uint64_t va_start;      /* guest-visible first address */
	uint64_t va_end;        /* one past the guard page */
	struct list_head list;  /* vmap_state.busy, sorted by va_start */
	struct vm_struct vm;    /* the area's mapping */
};

/* Kernel page tables and the vmalloc space of one machine (k->vmap). */
struct vmap_state {
	struct pgtable_layout pgt;       /* paging geometry */
	pgd_t *init_pgd;                 /* init_mm.pgd, a page of guest RAM */
	uint64_t vmalloc_start;          /* VMALLOC_START */
	uint64_t vmalloc_end;            /* one past the last vmalloc address */
	uint8_t *mirror;                 /* host alias of [vmalloc_start, vmalloc_end) */
	struct list_head busy;           /* struct vmap_area, sorted, never overlapping */
	unsigned long nr_areas;          /* entries of busy */
	unsigned long nr_boot_tables;    /* table pages taken from memblock at boot */
	unsigned long nr_direct_map_tables; /* of which the direct map's (init_pgd excluded) */
};

/* Builds the kernel page tables (init_pgd with the direct map of all RAM, the vmalloc
 * range's top-level entries pre-populated) and the vmalloc space with its host mirror.
 * Boot calls it after memmap_init() and before memblock_free_all(), as Linux builds its
 * early tables from memblock; vmalloc() itself then needs the buddy allocator. 0, -EINVAL
 * (bad params.vmalloc_size or a host with pages other than 4 KiB) or -ENOMEM. i386 layouts
 * are not implemented: there it sets up nothing and returns 0, and vmalloc() returns NULL. */
int vmalloc_init(struct kernel *k);
/* Releases the host mirror and the host bookkeeping (guest RAM belongs to the bus). */
void vmalloc_shutdown(struct kernel *k);

/* size bytes (rounded up to pages) of virtually contiguous memory, aligned to align (a power
 * of two; less than a page means a page), pages from node (NUMA_NO_NODE: the current CPU's)
 * with gfp (__GFP_ZERO zeroes them). caller names the asker in /proc/vmallocinfo (copied; NULL
 * for none). Returns the mirror pointer, or NULL when size is 0, larger than RAM, no range
 * fits, or memory runs out (nothing is left allocated then). */
void *__vmalloc_node(struct kernel *k, unsigned long size, unsigned long align, gfp_t gfp,
		     int node, const char *caller);

#define __vmalloc(k, size, gfp) __vmalloc_node(k, size, 1, gfp, NUMA_NO_NODE, __func__)
#define vmalloc(k, size) __vmalloc_node(k, size, 1, GFP_KERNEL, NUMA_NO_NODE, __func__)
#define vzalloc(k, size)                                                                       \
	__vmalloc_node(k, size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE, __func__)
#define vmalloc_node(k, size, node) __vmalloc_node(k, size, 1, GFP_KERNEL, node, __func__)
#define vzalloc_node(k, size, node)                                                            \
	__vmalloc_node(k, size, 1, GFP_KERNEL | __GFP_ZERO, node, __func__)

/* Unmaps and frees what vmalloc returned. NULL is ignored; an address that starts no area
 * is a kernel bug and draws a warning. */
void vfree(struct kernel *k, const void *addr);

/* Maps count caller-owned pages contiguously with prot (VM_MAP); NULL when no range fits
 * or a table page can't be had. vunmap() unmaps without freeing the pages. */
void *vmap_pages(struct kernel *k, struct page **pages, unsigned int count, unsigned long flags,
		 pgprot_t prot, const char *caller);
#define vmap(k, pages, count, flags, prot) vmap_pages(k, pages, count, flags, prot, __func__)
void vunmap(struct kernel *k, const void *addr);

/* The frame that backs a vmalloc/vmap address, found by walking init_pgd; NULL if none. */
struct page *vmalloc_to_page(const struct kernel *k, const void *addr);
unsigned long vmalloc_to_pfn(const struct kernel *k, const void *addr);
/* The area containing addr (guard page included), or NULL. */
struct vm_struct *find_vm_area(const struct kernel *k, const void *addr);

/* True when addr points into the vmalloc mirror / kva into the guest's vmalloc space. */
bool is_vmalloc_addr(const struct kernel *k, const void *addr);
bool is_vmalloc_kva(const struct kernel *k, uint64_t kva);
/* Guest-visible kernel address of a mirror pointer, and back (the argument must satisfy
 * is_vmalloc_addr / is_vmalloc_kva). */
uint64_t vmalloc_kva(const struct kernel *k, const void *addr);
void *vmalloc_from_kva(const struct kernel *k, uint64_t kva);

/* /proc/vmallocinfo, Linux's format:
 * "0x%016lx-0x%016lx %7ld caller+0x0/0x0 pages=N vmalloc N0=N\n", by address. */
void vmallocinfo_show(struct seq_file *m, struct kernel *k);
/* Frames owned by vmalloc areas, k->nr_vmalloc_pages (/proc/meminfo VmallocUsed). */
unsigned long vmalloc_nr_pages(struct kernel *k);
/* Bytes of vmalloc space (/proc/meminfo VmallocTotal). */
uint64_t vmalloc_total_bytes(struct kernel *k);

#endif /* KSIM_VMALLOC_H */
