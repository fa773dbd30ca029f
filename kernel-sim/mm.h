/*
 * Address spaces: mm_struct, vm_area_struct, files mapped into them, and the memory system
 * calls and the page-fault path that work on them, as Linux's <linux/mm_types.h>,
 * <linux/mm.h>, <linux/mman.h>, mm/mmap.c, mm/vma.c, mm/mprotect.c, mm/mremap.c,
 * mm/madvise.c, mm/mlock.c, mm/filemap.c, mm/memory.c and arch/x86/mm/fault.c.
 *
 * An address space is a sorted set of VMAs, each [vm_start, vm_end) with one set of
 * vm_flags, one vm_page_prot (the leaf-entry bits its pages get) and a backing object (a
 * file and page offset, or anonymous memory). The VMAs sit both on a list sorted by address
 * (vm_next/vm_prev, for walks) and in an AVL tree keyed by address (vm_rb, for find_vma in
 * O(log n)), as Linux 2.6 to 6.0 kept them on a list and an rbtree:
 *
 *   mm->mmap -> [text r-xp] <-> [data rw-p] <-> [heap rw-p] <-> ... <-> [stack rw-p]
 *   mm->mm_rb:             [heap]
 *                          /      \
 *                     [data]      [mmap'd lib] ...
 *
 * Page tables are the real x86 ones under mm->pgd (kernel-sim/pgtable.h). Nothing is mapped
 * until a page fault (or MAP_POPULATE / mlock) asks for it.
 *
 * All objects (mm_struct, vm_area_struct, anon_vma, file, inode, page-cache index) are slab
 * objects in guest RAM. Every function takes the kernel first; address arguments are guest
 * user virtual addresses. Functions that return an address return it as a long, or -errno.
 */
#ifndef KSIM_MM_H
#define KSIM_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/mm_types.h"
#include "kernel-sim/pgtable.h"

struct kernel;
struct kmem_cache;
struct seq_file;

/* ---- vm_flags (include/linux/mm.h, the same bit values) ---- */

#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL /* what mprotect() may later allow */
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL /* a stack: grows down on faults below it */
#define VM_UFFD_MISSING 0x00000200UL
#define VM_PFNMAP 0x00000400UL
#define VM_UFFD_WP 0x00001000UL
#define VM_LOCKED 0x00002000UL   /* mlock()ed: populated, counted in locked_vm */
#define VM_IO 0x00004000UL
#define VM_SEQ_READ 0x00008000UL  /* MADV_SEQUENTIAL: read ahead after the fault */
#define VM_RAND_READ 0x00010000UL /* MADV_RANDOM: no read-ahead */
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL /* mremap() may not grow it */
#define VM_LOCKONFAULT 0x00080000UL
#define VM_ACCOUNT 0x00100000UL   /* private writable memory charged to the commit count */
#define VM_NORESERVE 0x00200000UL /* MAP_NORESERVE */
#define VM_HUGETLB 0x00400000UL
#define VM_SYNC 0x00800000UL
#define VM_ARCH_1 0x01000000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_SOFTDIRTY 0x08000000UL
#define VM_MIXEDMAP 0x10000000UL
/* Mappings of pages that are not ordinary memory: mlock leaves them alone. */
#define VM_SPECIAL (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
#define VM_HUGEPAGE 0x20000000UL  /* MADV_HUGEPAGE */
#define VM_NOHUGEPAGE 0x40000000UL /* MADV_NOHUGEPAGE */
#define VM_MERGEABLE 0x80000000UL

#define VM_STACK VM_GROWSDOWN
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
/* x86-64 without READ_IMPLIES_EXEC: data and stack are not executable. */
#define VM_DATA_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_STACK_DEFAULT_FLAGS VM_DATA_DEFAULT_FLAGS
#define VM_STACK_FLAGS (VM_STACK | VM_STACK_DEFAULT_FLAGS | VM_ACCOUNT)
/* Flags that never stop two VMAs from merging. */
#define VM_IGNORE_MERGE VM_SOFTDIRTY

/* ---- mmap/mprotect/madvise/mremap arguments (uapi/asm-generic/mman*.h) ----
 *
 * The guest's ABI values. The host is Linux too and its <sys/mman.h> (which kernel-sim
 * files using host mappings include) spells the same names with the same values; it is
 * included first so that one definition wins, and the values are checked below. */

#include <sys/mman.h>
#include <sys/resource.h>

#ifndef PROT_NONE
#define PROT_NONE 0x0
#endif
#ifndef PROT_READ
#define PROT_READ 0x1
#endif
#ifndef PROT_WRITE
#define PROT_WRITE 0x2
#endif
#ifndef PROT_EXEC
#define PROT_EXEC 0x4
#endif
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#ifndef PROT_GROWSDOWN
#define PROT_GROWSDOWN 0x01000000
#endif
#ifndef PROT_GROWSUP
#define PROT_GROWSUP 0x02000000
#endif

#ifndef MAP_SHARED
#define MAP_SHARED 0x01
#endif
#ifndef MAP_PRIVATE
#define MAP_PRIVATE 0x02
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_TYPE
#define MAP_TYPE 0x0f
#endif
#ifndef MAP_FIXED
#define MAP_FIXED 0x10
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS 0x20
#endif
#ifndef MAP_GROWSDOWN
#define MAP_GROWSDOWN 0x0100
#endif
#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE 0x0800
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE 0x1000
#endif
#ifndef MAP_LOCKED
#define MAP_LOCKED 0x2000
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0x4000
#endif
#ifndef MAP_POPULATE
#define MAP_POPULATE 0x8000
#endif
#ifndef MAP_NONBLOCK
#define MAP_NONBLOCK 0x10000
#endif
#ifndef MAP_STACK
#define MAP_STACK 0x20000
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#ifndef MADV_NORMAL
#define MADV_NORMAL 0
#endif
#ifndef MADV_RANDOM
#define MADV_RANDOM 1
#endif
#ifndef MADV_SEQUENTIAL
#define MADV_SEQUENTIAL 2
#endif
#ifndef MADV_WILLNEED
#define MADV_WILLNEED 3
#endif
#ifndef MADV_DONTNEED
#define MADV_DONTNEED 4
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK 11
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP 16
#endif
#ifndef MADV_DODUMP
#define MADV_DODUMP 17
#endif

#ifndef MCL_CURRENT
#define MCL_CURRENT 1
#endif
#ifndef MCL_FUTURE
#define MCL_FUTURE 2
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

#ifndef RLIM_INFINITY
#define RLIM_INFINITY (~0UL)
#endif

_Static_assert(PROT_NONE == 0x0, "host and guest disagree on PROT_NONE");
_Static_assert(PROT_READ == 0x1, "host and guest disagree on PROT_READ");
_Static_assert(PROT_WRITE == 0x2, "host and guest disagree on PROT_WRITE");
_Static_assert(PROT_EXEC == 0x4, "host and guest disagree on PROT_EXEC");
_Static_assert(PROT_SEM == 0x8, "host and guest disagree on PROT_SEM");
_Static_assert(PROT_GROWSDOWN == 0x01000000, "host and guest disagree on PROT_GROWSDOWN");
_Static_assert(PROT_GROWSUP == 0x02000000, "host and guest disagree on PROT_GROWSUP");
_Static_assert(MAP_SHARED == 0x01, "host and guest disagree on MAP_SHARED");
_Static_assert(MAP_PRIVATE == 0x02, "host and guest disagree on MAP_PRIVATE");
_Static_assert(MAP_SHARED_VALIDATE == 0x03, "host and guest disagree on MAP_SHARED_VALIDATE");
_Static_assert(MAP_TYPE == 0x0f, "host and guest disagree on MAP_TYPE");
_Static_assert(MAP_FIXED == 0x10, "host and guest disagree on MAP_FIXED");
_Static_assert(MAP_ANONYMOUS == 0x20, "host and guest disagree on MAP_ANONYMOUS");
_Static_assert(MAP_GROWSDOWN == 0x0100, "host and guest disagree on MAP_GROWSDOWN");
_Static_assert(MAP_DENYWRITE == 0x0800, "host and guest disagree on MAP_DENYWRITE");
_Static_assert(MAP_EXECUTABLE == 0x1000, "host and guest disagree on MAP_EXECUTABLE");
_Static_assert(MAP_LOCKED == 0x2000, "host and guest disagree on MAP_LOCKED");
_Static_assert(MAP_NORESERVE == 0x4000, "host and guest disagree on MAP_NORESERVE");
_Static_assert(MAP_POPULATE == 0x8000, "host and guest disagree on MAP_POPULATE");
_Static_assert(MAP_NONBLOCK == 0x10000, "host and guest disagree on MAP_NONBLOCK");
_Static_assert(MAP_STACK == 0x20000, "host and guest disagree on MAP_STACK");
_Static_assert(MAP_HUGETLB == 0x40000, "host and guest disagree on MAP_HUGETLB");
_Static_assert(MAP_SYNC == 0x80000, "host and guest disagree on MAP_SYNC");
_Static_assert(MAP_FIXED_NOREPLACE == 0x100000, "host and guest disagree on MAP_FIXED_NOREPLACE");
_Static_assert(MREMAP_MAYMOVE == 1, "host and guest disagree on MREMAP_MAYMOVE");
_Static_assert(MREMAP_FIXED == 2, "host and guest disagree on MREMAP_FIXED");
_Static_assert(MREMAP_DONTUNMAP == 4, "host and guest disagree on MREMAP_DONTUNMAP");
_Static_assert(MADV_NORMAL == 0, "host and guest disagree on MADV_NORMAL");
_Static_assert(MADV_RANDOM == 1, "host and guest disagree on MADV_RANDOM");
_Static_assert(MADV_SEQUENTIAL == 2, "host and guest disagree on MADV_SEQUENTIAL");
_Static_assert(MADV_WILLNEED == 3, "host and guest disagree on MADV_WILLNEED");
_Static_assert(MADV_DONTNEED == 4, "host and guest disagree on MADV_DONTNEED");
_Static_assert(MADV_DONTFORK == 10, "host and guest disagree on MADV_DONTFORK");
_Static_assert(MADV_DOFORK == 11, "host and guest disagree on MADV_DOFORK");
_Static_assert(MADV_HUGEPAGE == 14, "host and guest disagree on MADV_HUGEPAGE");
_Static_assert(MADV_NOHUGEPAGE == 15, "host and guest disagree on MADV_NOHUGEPAGE");
_Static_assert(MADV_DONTDUMP == 16, "host and guest disagree on MADV_DONTDUMP");
_Static_assert(MADV_DODUMP == 17, "host and guest disagree on MADV_DODUMP");
_Static_assert(MCL_CURRENT == 1, "host and guest disagree on MCL_CURRENT");
_Static_assert(MCL_FUTURE == 2, "host and guest disagree on MCL_FUTURE");
_Static_assert(MCL_ONFAULT == 4, "host and guest disagree on MCL_ONFAULT");
_Static_assert(MLOCK_ONFAULT == 0x01, "host and guest disagree on MLOCK_ONFAULT");

/* ---- files and the page cache (a small VFS: enough for mmap and the ELF loader) ---- */

#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u
#define FMODE_EXEC 0x20u

/*
 * The pages of one file in memory, as Linux's struct address_space: i_pages[index] is the
 * page caching bytes [index * 4096, index * 4096 + 4096) of the file, NULL, or the shadow
 * entry reclaim left when it evicted that page (kernel-sim/workingset.c). The index is a
 * kmalloc'd array (Linux uses an xarray), one slot per page of the file; runs of
 * XA_CHUNK_SIZE slots stand for the xarray's nodes when shadow nodes are counted.
 */
struct address_space {
	struct inode *host;             /* the inode this caches; NULL for a swap area's cache */
	struct page **i_pages;          /* nr_slots slots, kmalloc'd; NULL when nr_slots is 0 */
	unsigned long nr_slots;         /* pages the file spans */
	unsigned long nrpages;          /* slots holding a page */
	unsigned long nrshadows;        /* slots holding a shadow entry */
	unsigned long nr_shadow_nodes;  /* chunks holding shadows and no page (WORKINGSET_NODES) */
	struct list_head shadow_link;   /* on k->swap->shadow_mappings while nrshadows > 0 */
	struct list_head i_mmap;        /* VMAs mapping the file, through vma->shared (rmap) */
};

/*
 * A cache slot's entry is a struct page pointer or an xarray "value": an integer shifted
 * left with bit 0 set, which no pointer to a struct page has. Shadow entries are values.
 */
static inline bool xa_is_value(const void *entry)
{
	return ((uintptr_t)entry & 1) != 0;
}
static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}
static inline unsigned long xa_to_value(const void *entry)
{
	return (uintptr_t)entry >> 1;
}
/* The page a cache slot holds, NULL for an empty slot or a shadow entry. */
static inline struct page *xa_page(struct page *entry)
{
	return xa_is_value(entry) ? NULL : entry;
}

/* Where an inode's bytes come from when a page is not cached (its "disk"). */
enum inode_backing {
	INODE_BACKING_BUFFER, /* a host buffer the creator keeps alive */
	INODE_BACKING_HOSTFD, /* a host file descriptor, read with pread() */
	INODE_BACKING_SHMEM,  /* none: pages start zeroed and live only in memory (shmem) */
};

struct inode {
	unsigned long i_ino;            /* inode number shown in /proc/PID/maps */
	unsigned int i_dev_major;       /* device shown in maps (major:minor) */
	unsigned int i_dev_minor;
	uint64_t i_size;                /* bytes */
	int i_count;                    /* references: open files */
	enum inode_backing backing;     /* see above */
	const void *buf;                /* INODE_BACKING_BUFFER: the bytes */
	int host_fd;                    /* INODE_BACKING_HOSTFD: owned, closed at eviction */
	bool writable;                  /* host_fd is open for writing: dirty pages go back */
	struct address_space i_data;    /* the page cache */
};

struct file {
	struct inode *f_inode;          /* the file's inode (holds one reference) */
	unsigned int f_mode;            /* FMODE_READ | FMODE_WRITE | FMODE_EXEC */
	int f_count;                    /* references: the opener and every VMA mapping it */
	char *f_path;                   /* name printed in maps; kmalloc'd */
};

/* A file over a host buffer of size bytes (not copied: it must outlive the file), named
 * path, opened with mode. NULL when out of memory. The caller holds one reference. */
struct file *file_from_buffer(struct kernel *k, const char *path, const void *buf,
			      uint64_t size, unsigned int mode);
/* A file over host_path, read with pread(); device and inode numbers are the host's. NULL
 * with *err set (-ENOENT, -ENOMEM, ...) when it cannot be opened. */
struct file *file_open_host(struct kernel *k, const char *host_path, unsigned int mode,
			    int *err);
/* An unlinked shared-memory file of size bytes whose pages start zeroed (Linux's
 * shmem_file_setup): what MAP_SHARED|MAP_ANONYMOUS maps. */
struct file *shmem_file_setup(struct kernel *k, const char *name, uint64_t size);
struct file *get_file(struct file *f);
/* Drops a reference; the last frees the file and, with its last file, the inode and every
 * page of its cache (which must be unmapped by then). */
void fput(struct kernel *k, struct file *f);
static inline bool file_is_shmem(const struct file *f)
{
	return f->f_inode->backing == INODE_BACKING_SHMEM;
}

/* ---- address spaces ---- */

/* rss_stat counters, as Linux's. */
enum {
	MM_FILEPAGES,  /* resident file-backed pages */
	MM_ANONPAGES,  /* resident anonymous pages */
	MM_SWAPENTS,   /* anonymous swap entries */
	MM_SHMEMPAGES, /* resident shmem pages */
	NR_MM_COUNTERS,
};

/* Resource limits that address-space operations check, in bytes (RLIM_INFINITY: none). */
struct mm_rlimits {
	unsigned long stack;            /* RLIMIT_STACK: 8 MiB */
	unsigned long data;             /* RLIMIT_DATA */
	unsigned long as;               /* RLIMIT_AS */
	unsigned long memlock;          /* RLIMIT_MEMLOCK: 8 MiB */
};

/* The AVL links of a VMA in its mm's tree. */
struct vma_rb_node {
	struct vm_area_struct *left;    /* lower addresses */
	struct vm_area_struct *right;   /* higher addresses */
	int height;                     /* 1 for a leaf */
};

/* Reverse-map anchor of a VMA's anonymous pages (Linux's anon_vma, minimal: no chains, one
 * per VMA family that split or merged from one VMA). */
struct anon_vma {
	struct mm_struct *mm;           /* the address space of every VMA pointing at it */
	int refcount;                   /* VMAs pointing at it */
	unsigned long nr_pages;         /* anonymous pages whose mapping is this */
};

/* A mapping the kernel installs itself, as Linux's struct vm_special_mapping: the vDSO and
 * its data pages. Named in /proc/PID/maps, never merged, its pages given rather than read
 * from a file; they fault in like file pages and count in RssFile, as on Linux. */
struct vm_special_mapping {
	const char *name;               /* "[vdso]", "[vvar]", ... */
	struct page **pages;            /* nr_pages pages, mapped in order from vm_start */
	unsigned long nr_pages;
};

struct vm_area_struct {
	unsigned long vm_start;         /* first address */
	unsigned long vm_end;           /* first address after the area */
	struct vm_area_struct *vm_next; /* next area by address, NULL at the end */
	struct vm_area_struct *vm_prev; /* previous area by address, NULL at the start */
	struct vma_rb_node vm_rb;       /* links in mm->mm_rb */
	struct mm_struct *vm_mm;        /* the address space it belongs to */
	pgprot_t vm_page_prot;          /* leaf-entry bits of its pages (vm_get_page_prot) */
	unsigned long vm_flags;         /* VM_* */
	unsigned long vm_pgoff;         /* offset in vm_file in pages; anon: vm_start >> 12 */
	struct file *vm_file;           /* mapped file (one reference), or NULL */
	struct anon_vma *anon_vma;      /* anon pages' rmap anchor, made at the first one */
	const struct vm_special_mapping *vm_special; /* a kernel-installed mapping, or NULL */
	struct list_head shared;        /* on vm_file's i_mmap list while linked (next NULL:
					 * on none) */
};

struct mm_struct {
	struct vm_area_struct *mmap;    /* VMA list, sorted by address */
	struct vm_area_struct *mm_rb;   /* VMA tree root (AVL by vm_start) */
	struct vm_area_struct *mmap_cache; /* last find_vma result */
	int map_count;                  /* VMAs */
	pgd_t *pgd;                     /* top-level page table (pgd_alloc) */
	int mm_users;                   /* tasks using the address space */
	int mm_count;                   /* references to the struct (users count as 1) */
	int pid;                        /* owner process id, for /proc and page owners */
	unsigned long task_size;        /* one past the highest user address: 2^47 - 4096 */
	unsigned long mmap_base;        /* top of the top-down mmap area */
	unsigned long mmap_legacy_base; /* bottom-up fallback start (TASK_UNMAPPED_BASE) */
	uint64_t vdso;                  /* the [vdso] mapping's address, 0: none (context.vdso) */
	unsigned long hiwater_rss;      /* peak RSS in pages, updated before RSS drops */
	unsigned long hiwater_vm;       /* peak total_vm in pages, updated before it drops */
	unsigned long total_vm;         /* mapped pages */
	unsigned long locked_vm;        /* VM_LOCKED pages */
	unsigned long pinned_vm;        /* pinned pages (always 0 here) */
	unsigned long data_vm;          /* private writable non-stack pages */
	unsigned long exec_vm;          /* executable non-writable pages */
	unsigned long stack_vm;         /* VM_GROWSDOWN pages */
	unsigned long def_flags;        /* vm_flags every new VMA gets (mlockall MCL_FUTURE) */
	unsigned long start_code, end_code;   /* text, set by the ELF loader */
	unsigned long start_data, end_data;   /* data */
	unsigned long start_brk, brk;         /* heap: [start_brk, brk) */
	unsigned long start_stack;            /* initial stack pointer's page */
	unsigned long arg_start, arg_end;     /* argv strings */
	unsigned long env_start, env_end;     /* envp strings */
	long rss_stat[NR_MM_COUNTERS];  /* resident pages per MM_* type */
	unsigned long min_flt;          /* minor faults (Linux keeps these per task) */
	unsigned long maj_flt;          /* major faults: the page had to be read */
	struct mm_rlimits rlim;         /* the owner's resource limits */
};

/* Per-machine state of this layer (k->vm). */
struct vm_state {
	struct kmem_cache *mm_cachep;        /* "mm_struct" */
	struct kmem_cache *vm_area_cachep;   /* "vm_area_struct" */
	struct kmem_cache *anon_vma_cachep;  /* "anon_vma" */
	struct kmem_cache *filp_cachep;      /* "filp" */
	struct kmem_cache *inode_cachep;     /* "inode_cache" */
	struct page *zero_page;              /* the shared zero page (ZERO_PAGE(0)) */
	unsigned long stack_guard_gap;       /* bytes kept free below a stack: 256 pages */
	unsigned long mmap_min_addr;         /* vm.mmap_min_addr: 65536 */
	int max_map_count;                   /* vm.max_map_count: 65530 */
	unsigned long fault_around_bytes;    /* 65536: 16 pages mapped around a read fault */
	unsigned long ra_pages;              /* read-ahead window: 32 pages (128 KiB) */
	int next_pid;                        /* pid of the next mm_alloc() */
	unsigned long next_ino;              /* inode number of the next buffer/shmem file */
};

/* Creates the slab caches and the zero page (end of kernel_boot). 0 or -ENOMEM. */
int vm_init(struct kernel *k);
/* Frees what vm_init made (kernel_shutdown). */
void vm_shutdown(struct kernel *k);
/* Returns the empty slabs of every slab cache to the buddy allocator (for leak checks). */
void vm_shrink_caches(struct kernel *k);

/* A new empty address space with a fresh pgd, its own pid, Linux's default limits and
 * mmap layout for x86-64 without randomization (mmap_base = TASK_SIZE - 128 MiB). NULL
 * when out of memory. mm_users = mm_count = 1. */
struct mm_struct *mm_alloc(struct kernel *k);
/* Sets the address space's size (TASK_SIZE: 2^47 - 4096, or 0xffffe000 for an i386 program)
 * and the mmap layout that follows from it (Linux's arch_pick_mmap_layout, no randomization). */
void arch_pick_mmap_layout(struct kernel *k, struct mm_struct *mm, unsigned long task_size);
/* Drops a user; the last unmaps every VMA, frees every page and page table and the mm. */
void mmput(struct kernel *k, struct mm_struct *mm);

/* The first VMA with vm_end > addr, or NULL (Linux's find_vma: addr may lie below it). */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* As find_vma, and the VMA before it (or the last VMA when none is above) in *pprev. */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
/* The first VMA intersecting [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
/* The VMA containing addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);

/* x86-64's protection_map: the leaf bits for VM_READ|VM_WRITE|VM_EXEC|VM_SHARED. */
pgprot_t vm_get_page_prot(unsigned long vm_flags);

/* Page-aligned free range of len bytes: addr itself when MAP_FIXED, the hint addr when it
 * is free (with the stack guard gaps), else top-down below mmap_base, else bottom-up.
 * -ENOMEM / -EINVAL. */
long get_unmapped_area(struct kernel *k, struct mm_struct *mm, struct file *file,
		       unsigned long addr, unsigned long len, unsigned long pgoff,
		       unsigned long flags);
/* Linux's do_mmap (pgoff in pages). *populate gets the bytes to prefault (MAP_POPULATE,
 * VM_LOCKED), else 0. The address, or -EINVAL, -ENOMEM, -EEXIST (MAP_FIXED_NOREPLACE over a
 * mapping), -EACCES (file mode forbids it), -EPERM (MAP_FIXED below mmap_min_addr),
 * -EOVERFLOW, -EAGAIN (mlock limit). */
long do_mmap(struct kernel *k, struct mm_struct *mm, struct file *file, unsigned long addr,
	     unsigned long len, unsigned long prot, unsigned long flags, unsigned long pgoff,
	     unsigned long *populate);
/* The mmap system call below the fd lookup (vm_mmap_pgoff): offset in bytes; anonymous
 * mappings pass file NULL; prefaults when do_mmap asks. */
long vm_mmap(struct kernel *k, struct mm_struct *mm, struct file *file, unsigned long addr,
	     unsigned long len, unsigned long prot, unsigned long flags, unsigned long offset);
/* munmap: splits VMAs at the ends, unmaps and frees pages and page tables. 0 or -EINVAL. */
int do_munmap(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len);
/* brk: the new break, or the old one when the request is refused (Linux never fails). */
unsigned long do_brk(struct kernel *k, struct mm_struct *mm, unsigned long brk);
/* mprotect. 0, -EINVAL, -ENOMEM (a hole), -EACCES (beyond VM_MAY*). */
int do_mprotect(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
		unsigned long prot);
/* mremap: the new address or -EINVAL, -EFAULT, -ENOMEM. */
long do_mremap(struct kernel *k, struct mm_struct *mm, unsigned long addr,
	       unsigned long old_len, unsigned long new_len, unsigned long flags,
	       unsigned long new_addr);
/* madvise: NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, (NO)HUGEPAGE, DONTFORK/DOFORK,
 * DONTDUMP/DODUMP. 0, -EINVAL, -ENOMEM (a hole; the mapped parts are still advised). */
int do_madvise(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
	       int behavior);
/* mlock (flags 0 or MLOCK_ONFAULT) / munlock. 0, -EINVAL, -ENOMEM (hole or RLIMIT_MEMLOCK),
 * -EAGAIN. */
int do_mlock(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len,
	     unsigned int flags);
int do_munlock(struct kernel *k, struct mm_struct *mm, unsigned long start, unsigned long len);
/* mlockall (MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT) / munlockall. 0, -EINVAL, or -ENOMEM (the
 * mapped size is above RLIMIT_MEMLOCK). */
int do_mlockall(struct kernel *k, struct mm_struct *mm, unsigned int flags);
int do_munlockall(struct kernel *k, struct mm_struct *mm);

/* Grows the VM_GROWSDOWN vma down to cover addr, keeping stack_guard_gap above the VMA
 * below and RLIMIT_STACK. 0 or -ENOMEM / -EPERM. */
int expand_stack(struct kernel *k, struct vm_area_struct *vma, unsigned long addr);
/* The initial stack VMA [top - size, top), VM_STACK_FLAGS, start_stack = top (what exec's
 * setup_arg_pages leaves). 0, -EINVAL or -ENOMEM. */
int setup_stack_vma(struct kernel *k, struct mm_struct *mm, unsigned long top,
		    unsigned long size);
/* Maps spec's pages at [addr, addr + len) with vm_flags (_install_special_mapping): no
 * merging, faults served from spec. The VMA, or NULL when out of memory. */
struct vm_area_struct *install_special_mapping(struct kernel *k, struct mm_struct *mm,
					       unsigned long addr, unsigned long len,
					       unsigned long vm_flags,
					       const struct vm_special_mapping *spec);
/* The heap's start (set by the ELF loader after the bss): start_brk = brk = addr. */
void mm_set_brk_base(struct mm_struct *mm, unsigned long addr);

/* Faults in [start, end) as get_user_pages would for mlock/MAP_POPULATE: write faults on
 * private writable VMAs, read faults elsewhere; inaccessible VMAs are skipped. Returns 0 or
 * -ENOMEM / -EFAULT. */
int mm_populate(struct kernel *k, struct mm_struct *mm, unsigned long start,
		unsigned long len);

/* ---- the page-fault path ---- */

typedef unsigned int vm_fault_t;
#define VM_FAULT_OOM 0x000001u
#define VM_FAULT_SIGBUS 0x000002u
#define VM_FAULT_MAJOR 0x000004u
#define VM_FAULT_SIGSEGV 0x000040u
#define VM_FAULT_NOPAGE 0x000100u
#define VM_FAULT_ERROR (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

#define FAULT_FLAG_WRITE 0x01u
#define FAULT_FLAG_MKWRITE 0x02u
#define FAULT_FLAG_ALLOW_RETRY 0x04u
#define FAULT_FLAG_RETRY_NOWAIT 0x08u
#define FAULT_FLAG_KILLABLE 0x10u
#define FAULT_FLAG_TRIED 0x20u
#define FAULT_FLAG_USER 0x40u
#define FAULT_FLAG_REMOTE 0x80u
#define FAULT_FLAG_INSTRUCTION 0x100u

/* x86 #PF error code bits (SDM Vol. 3A, 4.7). */
#define X86_PF_PROT 0x01u  /* 0: page not present; 1: protection violation */
#define X86_PF_WRITE 0x02u /* write access */
#define X86_PF_USER 0x04u  /* CPL 3 */
#define X86_PF_RSVD 0x08u  /* reserved bit set in an entry */
#define X86_PF_INSTR 0x10u /* instruction fetch */
#define X86_PF_PK 0x20u    /* protection key */

/* Signals and si_codes, the guest's values; the host's <signal.h> agrees (checked). */
#include <signal.h>
#ifndef SIGBUS
#define SIGBUS 7
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGSEGV
#define SIGSEGV 11
#endif
#ifndef SEGV_MAPERR
#define SEGV_MAPERR 1 /* no mapping at the address */
#endif
#ifndef SEGV_ACCERR
#define SEGV_ACCERR 2 /* mapping forbids the access */
#endif
#ifndef BUS_ADRERR
#define BUS_ADRERR 2 /* beyond the end of the mapped file */
#endif
_Static_assert(SIGBUS == 7 && SIGKILL == 9 && SIGSEGV == 11, "guest signal numbers");
_Static_assert(SEGV_MAPERR == 1 && SEGV_ACCERR == 2 && BUS_ADRERR == 2, "guest si_codes");

/* What do_user_addr_fault decided. */
struct fault_result {
	int signo;         /* 0: handled, retry the access; else SIGSEGV, SIGBUS or SIGKILL */
	int si_code;       /* SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR when signo is set */
	bool major;        /* handled and the page had to be read in */
	bool oom;          /* no memory: the OOM killer's business */
	vm_fault_t ret;    /* handle_mm_fault's bits when it ran, else 0 */
};

/* Resolves a fault at address in vma (Linux's handle_mm_fault): allocates missing table
 * levels, then anonymous, file or copy-on-write handling. Counts PGFAULT, the mm's
 * min_flt/maj_flt, RSS. Returns VM_FAULT_* bits (0 or VM_FAULT_MAJOR on success). */
vm_fault_t handle_mm_fault(struct kernel *k, struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags);
/* The x86 #PF handler for a fault at address with the architectural error_code (arch/x86/
 * mm/fault.c's do_user_addr_fault, with do_kern_addr_fault's answer for user accesses to
 * kernel addresses): find_vma, stack growth, access checks, handle_mm_fault. */
struct fault_result do_user_addr_fault(struct kernel *k, struct mm_struct *mm,
				       unsigned long address, unsigned int error_code);

/* The leaf entry mapping addr in mm, or NULL when no page table reaches it (no allocation). */
pte_t *mm_find_pte(struct kernel *k, struct mm_struct *mm, unsigned long addr);
/* Unmaps the pages of [start, end) inside vma, freeing pages whose last mapping goes. */
void zap_page_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		    unsigned long end);

/* The resident pages of [start, end) inside vma become mlocked (lock) or are munlocked,
 * after vma's VM_LOCKED changed (Linux's mlock_vma_pages_range). */
void mlock_vma_pages_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, bool lock);

static inline unsigned long get_mm_counter(const struct mm_struct *mm, int member)
{
	long v = mm->rss_stat[member];
	return v < 0 ? 0 : (unsigned long)v;
}
static inline unsigned long get_mm_rss(const struct mm_struct *mm)
{
	return get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
	       get_mm_counter(mm, MM_SHMEMPAGES);
}

/* ---- TLB shootdown (tlbflush.c) ---- */

struct mmu;
/* Lets the kernel reach CPU cpu's MMU for TLB shootdowns (the machine calls it). */
void kernel_register_mmu(struct kernel *k, int cpu, struct mmu *mmu);
/* Drops [start, end)'s translations of mm from every CPU that has mm's tables loaded. */
void flush_tlb_mm_range(struct kernel *k, struct mm_struct *mm, unsigned long start,
			unsigned long end);

/* ---- /proc/PID ---- */

void proc_pid_maps_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm);
void proc_pid_smaps_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm);
/* Bytes of page tables under mm's pgd (VmPTE), the pgd itself not counted. */
unsigned long mm_pgtables_bytes(struct kernel *k, const struct mm_struct *mm);
/* The memory lines of /proc/PID/status (VmPeak .. VmSwap). */
void proc_pid_status_mem_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm);
void proc_pid_statm_show(struct seq_file *m, struct kernel *k, struct mm_struct *mm);

/* ---- shared by the mm files only ---- */

struct vm_area_struct *vm_area_alloc(struct kernel *k, struct mm_struct *mm);
void vm_area_free(struct kernel *k, struct vm_area_struct *vma);
/* Inserts vma (not overlapping any) into mm's list and tree. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
/* Removes vma from mm's list and tree (does not free it). */
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);
/* Drops vma's file and anon_vma references and frees it. */
void remove_vma(struct kernel *k, struct vm_area_struct *vma);
/* Splits vma at addr into two VMAs; the new one is below addr when new_below. 0, or
 * -ENOMEM (also when the mm has max_map_count VMAs already). */
int split_vma(struct kernel *k, struct vm_area_struct *vma, unsigned long addr, int new_below);
/* The same without the map count check, for munmap (which checks the net count itself). */
int __split_vma(struct kernel *k, struct vm_area_struct *vma, unsigned long addr, int new_below);
/*
 * Gives [start, end) of vma (prev: the VMA before vma, or vma itself when start lies inside
 * it) the flags new_flags, merging with the neighbours when they become identical, else
 * splitting vma (Linux's vma_modify_flags). Returns the VMA that now covers [start, end):
 * exactly, or a merged one containing it; NULL when out of memory.
 */
struct vm_area_struct *vma_modify_flags(struct kernel *k, struct vm_area_struct *prev,
					struct vm_area_struct *vma, unsigned long start,
					unsigned long end, unsigned long new_flags);
/* What walk_vma_range does at an address of the range no VMA covers. */
enum vma_hole_policy {
	VMA_HOLE_FAILS,	  /* stop with -ENOMEM (mprotect, mlock) */
	VMA_HOLE_SKIPPED, /* go on past it, and return -ENOMEM at the end (madvise) */
};
/* Acts on [start, end) of vma. *pprev is the VMA before vma (or vma itself when start lies
 * inside it) and becomes the VMA now covering [start, end). 0 or -errno (which stops the
 * walk). */
typedef int (*vma_range_fn)(struct kernel *k, struct vm_area_struct *vma,
			    struct vm_area_struct **pprev, unsigned long start, unsigned long end,
			    void *arg);
/* Calls fn on each piece of [start, end) that one VMA covers, in address order; vma is the
 * first VMA ending above start (find_vma). 0, fn's error, or -ENOMEM for a hole
 * (including one at the end of the range) as holes says. */
int walk_vma_range(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		   unsigned long end, enum vma_hole_policy holes, vma_range_fn fn, void *arg);
/* Tries to merge a new range [addr, end) with flags/file/pgoff (and, for a moved range,
 * the anon_vma its pages point at) into its neighbours (Linux's vma_merge_new_range). The
 * VMA that now covers it, or NULL when nothing merged. */
struct vm_area_struct *vma_merge_new(struct kernel *k, struct mm_struct *mm,
				     unsigned long addr, unsigned long end,
				     unsigned long vm_flags, struct file *file,
				     unsigned long pgoff, struct anon_vma *anon_vma);
/* A copy of vma for [addr, addr + len) at pgoff: merged into a neighbour when possible,
 * else a new linked VMA (Linux's copy_vma). NULL when out of memory. */
struct vm_area_struct *copy_vma(struct kernel *k, struct vm_area_struct *vma,
				unsigned long addr, unsigned long len, unsigned long pgoff);
/* Adds npages (negative: removes) of a mapping with flags to total/exec/stack/data_vm. */
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages);
/* True when npages more of flags stay within RLIMIT_AS and RLIMIT_DATA. */
bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages);
void vma_set_page_prot(struct vm_area_struct *vma);
/* Unmaps [start, end) (page aligned) wholly: splits, zaps, frees tables and VMAs. */
int do_vmi_munmap(struct kernel *k, struct mm_struct *mm, unsigned long start,
		  unsigned long end);
/* Frees page tables that only map [floor, ceiling) gaps around a removed range. */
void free_pgtables_around(struct kernel *k, struct mm_struct *mm, unsigned long start,
			  unsigned long end);
/* Sets the leaf bits of every present pte in [start, end) of vma to its vm_page_prot. */
void change_protection(struct kernel *k, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end);
/* Moves the ptes of [old_addr, old_addr + len) to new_addr. Bytes moved (< len: -ENOMEM). */
unsigned long move_page_tables(struct kernel *k, struct vm_area_struct *vma,
			       unsigned long old_addr, struct vm_area_struct *new_vma,
			       unsigned long new_addr, unsigned long len);
/* The page caching index of mapping, reading it in when absent (with read-ahead per the
 * VMA's VM_SEQ_READ / VM_RAND_READ; vma may be NULL). *major is set when it had to be read.
 * NULL when out of memory or past the end of the file. */
struct page *filemap_get_page(struct kernel *k, struct file *file, unsigned long index,
			      struct vm_area_struct *vma, bool *major);
/* Takes an unmapped, clean page out of its file's page cache and frees it, leaving shadow
 * (a workingset shadow entry or NULL) in its slot (reclaim's eviction). */
void __filemap_remove_page(struct kernel *k, struct page *page, void *shadow);
#define filemap_remove_page(k, page) __filemap_remove_page(k, page, NULL)
/* ---- writeback (page_writeback.c) ---- */

/* Can mapping's dirty pages be written to its backing (a host file opened for writing)? */
bool mapping_can_writeback(const struct address_space *mapping);
/* Writes the bytes of page (a page-cache page of a file that can take writes) to the file,
 * up to its end (the address_space's writepage). 0 or -EIO. */
int filemap_writepage(struct kernel *k, struct page *page);
/* Moves the Dirty bits of page's ptes to the page, write-protecting them, then clears
 * PG_dirty with its accounting. True when the page was dirty (it must be written). */
bool clear_page_dirty_for_io(struct kernel *k, struct page *page);
/* PG_writeback on / off with NR_WRITEBACK; the end counts NR_WRITTEN and moves a page
 * reclaim is waiting for (PG_reclaim) to the tail of its inactive list. */
void set_page_writeback(struct kernel *k, struct page *page);
void end_page_writeback(struct kernel *k, struct page *page);
/* Writes page back if it is dirty, synchronously. 0 or -EIO (the page stays dirty). */
int write_one_page(struct kernel *k, struct page *page);
/* Writes back the dirty pages of mapping with index first..last (msync, the last iput).
 * 0 or the first error. Nothing to do for mappings that cannot take writes. */
int filemap_write_and_wait_range(struct kernel *k, struct address_space *mapping,
				 unsigned long first, unsigned long last);

/* Drops a mapping of page from the rmap counts (the pte is already gone). */
void page_remove_rmap(struct kernel *k, struct page *page);
/* Marks a page dirty with Linux's accounting (file pages count in NR_FILE_DIRTY). */
void set_page_dirty(struct kernel *k, struct page *page);
/* The cached page at index, or NULL (no read). */
struct page *find_get_page(struct file *file, unsigned long index);
/* Reads in [index, index + nr) that is not cached yet (madvise WILLNEED, read-ahead). */
void page_cache_readahead(struct kernel *k, struct file *file, unsigned long index,
			  unsigned long nr);
/* Pages of the file (rounded up). */
static inline unsigned long file_pages(const struct file *f)
{
	return (unsigned long)((f->f_inode->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT);
}

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return vma->vm_file == NULL;
}
static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ACCESS_FLAGS;
}
/* The page offset addr has in vma's backing object. */
static inline unsigned long linear_page_index(const struct vm_area_struct *vma,
					      unsigned long addr)
{
	return ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}
/* The lowest address a stack VMA keeps others away from (vm_start - guard gap). */
unsigned long vm_start_gap(const struct kernel *k, const struct vm_area_struct *vma);
static inline unsigned long vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

/* Anonymous pages' page->mapping has this bit set (Linux's PAGE_MAPPING_ANON). */
#define PAGE_MAPPING_ANON 0x1UL
static inline bool PageAnon(const struct page *page)
{
	return ((uintptr_t)page->mapping & PAGE_MAPPING_ANON) != 0;
}
static inline int page_mapcount(const struct page *page)
{
	return page->_mapcount + 1;
}

#endif /* KSIM_MM_H */
