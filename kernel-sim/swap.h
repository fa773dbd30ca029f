/*
 * Reclaim and swap, as Linux's <linux/swap.h>, <linux/swapops.h> and <linux/rmap.h>:
 *
 *   swap.c       the LRU lists: lru_cache_add, mark_page_accessed, activation, removal
 *   rmap.c       reverse mapping: from a page to every pte that maps it (rmap_walk),
 *                page_referenced (Accessed bits), try_to_unmap
 *   vmscan.c     shrink_node over the lists, direct reclaim (try_to_free_pages), kswapd
 *                (wakeup_kswapd, balance_pgdat)
 *   swapfile.c   swap areas (--swap SIZE[,file=PATH]), swap_map, slot allocation,
 *                /proc/swaps
 *   swap_state.c the swap cache, add_to_swap, swap-in with readahead
 *   zswap.c      the compressed cache in front of the swap area (--zswap)
 *   oom_kill.c   the OOM killer
 *
 * Page states an anonymous page goes through, and the references each holds:
 *
 *   mapped, not in swap cache      refcount = mappings          pte: present
 *   mapped, in swap cache          refcount = mappings + 1      pte: present
 *   unmapped, in swap cache        refcount = 1 (the cache's)   pte: swap entry
 *   swapped out (page freed)                                    pte: swap entry
 *
 * swap_map[offset] counts the swap ptes holding a slot, plus SWAP_HAS_CACHE while the swap
 * cache holds a page for it; a slot is free when the count is 0.
 *
 * Everything is synchronous: direct reclaim runs inside the allocation that needs it, and
 * kswapd runs at "safe points" (the kernel's exit to user mode) after the allocator woke
 * it. A run is therefore a pure function of its instruction stream: the same run gives the
 * same counters.
 */
#ifndef KSIM_SWAP_H
#define KSIM_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/gfp.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/mmzone.h"

struct kernel;
struct seq_file;
struct task_struct;

/* ---- the LRU lists (swap.c) ---- */

#define SWAP_CLUSTER_MAX 32UL /* pages reclaim isolates at a time */
#define DEF_PRIORITY 12	      /* reclaim scans list >> priority pages per pass */

static inline bool page_is_file_lru(const struct page *page)
{
	return !PageFlag(page, PG_swapbacked);
}

static inline bool page_is_file_lru_idx(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

/* The list a page belongs on, from its flags (Linux's folio_lru_list). */
static inline enum lru_list page_lru(const struct page *page)
{
	if (PageFlag(page, PG_unevictable))
		return LRU_UNEVICTABLE;
	return (page_is_file_lru(page) ? LRU_BASE_FILE : LRU_INACTIVE_ANON) +
	       (PageFlag(page, PG_active) ? LRU_ACTIVE : 0);
}

/* Initialises every node's lruvec (vm_init). */
void lru_init(struct kernel *k);
/* Puts a new page on its node's LRU: inactive, or unevictable in a VM_LOCKED vma (vma may
 * be NULL). The page must not be on an LRU. */
void lru_cache_add_vma(struct kernel *k, struct page *page, const struct vm_area_struct *vma);
#define lru_cache_add(k, page) lru_cache_add_vma(k, page, NULL)
/* Links / unlinks a page on the list page_lru() names, keeping the counters right. */
void add_page_to_lru_list(struct kernel *k, struct page *page);
/* The same at the list's tail, where reclaim looks first. */
void add_page_to_lru_list_tail(struct kernel *k, struct page *page);
void del_page_from_lru_list(struct kernel *k, struct page *page);
/* An access by the kernel (read(), a fault on an unmapped page): referenced, then active. */
void mark_page_accessed(struct kernel *k, struct page *page);
/* A page whose last reference went: off its LRU (Linux's __page_cache_release). */
void __page_cache_release(struct kernel *k, struct page *page);
/* A page of a VM_LOCKED VMA: PG_mlocked and onto the unevictable list (mlock_folio). */
void mlock_page(struct kernel *k, struct page *page);
/* The opposite once no VM_LOCKED VMA maps the page any more: back on an evictable list
 * (munlock_folio). The caller has already taken the VMA out of VM_LOCKED or unmapped it. */
void munlock_page(struct kernel *k, struct page *page);
/* Pages on list lru of node nid. */
unsigned long lruvec_lru_size(const struct kernel *k, int nid, enum lru_list lru);
/* Number of pages on every LRU of every node, from walking the lists (for the checker). */
unsigned long lru_count_pages(struct kernel *k);

/* ---- reverse mapping (rmap.c) ---- */

/* Adds / removes vma on its file's i_mmap list (vma_link / vma_unlink). */
void i_mmap_insert(struct vm_area_struct *vma);
void i_mmap_remove(struct vm_area_struct *vma);
/* Called for every pte that maps page: return false to stop the walk. */
typedef bool (*rmap_one_fn)(struct kernel *k, struct page *page, struct vm_area_struct *vma,
			    unsigned long address, pte_t *pte, void *arg);
/* Calls fn on each pte mapping page: an anonymous page's through the VMAs sharing its
 * anon_vma, a file page's through its file's i_mmap list. */
void rmap_walk(struct kernel *k, struct page *page, rmap_one_fn fn, void *arg);
/* The address page has in vma, or -EFAULT when it lies outside (Linux's vma_address). */
unsigned long vma_address(const struct page *page, const struct vm_area_struct *vma);
/* Counts the ptes mapping page that have the Accessed bit, clearing it (and flushing that
 * translation from the TLBs, so the MMU sets it again on the next access). *vm_flags gets
 * the union of those VMAs' flags. */
int page_referenced(struct kernel *k, struct page *page, unsigned long *vm_flags);
/* Write-protects and cleans every pte mapping the file page (Linux's folio_mkclean). True
 * when one of them was dirty. */
bool page_mkclean(struct kernel *k, struct page *page);
/* Unmaps page from every pte: an anonymous page's ptes become its swap entry (the page must
 * be in the swap cache), a file page's become none. True when no mapping is left. */
bool try_to_unmap(struct kernel *k, struct page *page);
/* True when some VM_LOCKED VMA maps page (what munlock asks before rescuing it). */
bool page_mapped_in_locked_vma(struct kernel *k, struct page *page);
static inline bool page_mapped(const struct page *page)
{
	return page->_mapcount >= 0;
}
/* Locked pages are skipped by reclaim: a code path that works on a page it holds no
 * mapping of (a fault between lookup and map) locks it. */
static inline bool trylock_page(struct page *page)
{
	if (PageFlag(page, PG_locked))
		return false;
	SetPageFlag(page, PG_locked);
	return true;
}
static inline void unlock_page(struct page *page)
{
	ClearPageFlag(page, PG_locked);
}

/* ---- swap entries (include/linux/swapops.h and arch/x86's encoding) ---- */

typedef struct {
	uint64_t val;
} swp_entry_t;

#define MAX_SWAPFILES_SHIFT 5
#define MAX_SWAPFILES 1 /* areas mmemu sets up: one */
#define SWP_TYPE_SHIFT (64 - MAX_SWAPFILES_SHIFT)
#define SWP_OFFSET_MASK ((1ULL << SWP_TYPE_SHIFT) - 1)

/* The arch-independent form: type in the top 5 bits, offset below. */
static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	return (swp_entry_t){((uint64_t)type << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK)};
}
static inline unsigned swp_type(swp_entry_t e)
{
	return (unsigned)(e.val >> SWP_TYPE_SHIFT);
}
static inline uint64_t swp_offset(swp_entry_t e)
{
	return e.val & SWP_OFFSET_MASK;
}

/*
 * x86-64's swap pte (arch/x86/include/asm/pgtable_64.h), a pte with P clear:
 *
 *   63   59 58                                  9  8  7  6  5  4  3  2  1  0
 *  +-------+-------------------------------------+--+--+--+--+--+--+--+--+--+
 *  | TYPE  |           ~OFFSET                   | 0| 0| X| X| X| E| F|SD| 0|
 *  +-------+-------------------------------------+--+--+--+--+--+--+--+--+--+
 *
 * Bit 8 (G, aliased as _PAGE_PROTNONE) stays clear so a swap pte is never taken for a
 * PROT_NONE one; A and D (5, 6) are avoided because of an erratum that can set them in
 * non-present entries. The offset is stored inverted so that its high bits are set: a
 * speculating CPU that ignores P would point into memory that does not exist (L1TF).
 */
#define SWP_TYPE_BITS 5
#define SWP_OFFSET_FIRST_BIT 9
#define SWP_OFFSET_SHIFT (SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS)

static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	uint64_t v = (~swp_offset(e) << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) |
		     ((uint64_t)swp_type(e) << (64 - SWP_TYPE_BITS));
	return __pte(v);
}
static inline swp_entry_t pte_to_swp_entry(pte_t pte)
{
	uint64_t v = pte_val(pte);
	return swp_entry((unsigned)(v >> (64 - SWP_TYPE_BITS)),
			 ~v << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT);
}
/* A pte that holds a swap entry: not none, not present, not PROT_NONE. */
static inline bool is_swap_pte(pte_t pte)
{
	return !pte_none(pte) && !(pte_val(pte) & (_PAGE_PRESENT | _PAGE_GLOBAL));
}

/* ---- swap areas (swapfile.c) ---- */

#define SWAP_HAS_CACHE 0x40 /* swap_map flag: the swap cache holds a page for the slot */
#define SWAP_MAP_MAX 0x3e   /* most swap ptes one slot may count */

/* One swap area, as Linux's swap_info_struct. */
struct swap_info_struct {
	int type;		    /* index in k->swap->info */
	int prio;		    /* priority shown in /proc/swaps: -2 for the first */
	unsigned long max;	    /* slots, the header slot 0 included */
	unsigned long pages;	    /* usable slots: max - 1 */
	unsigned long inuse_pages;  /* slots with a nonzero swap_map */
	unsigned long cluster_next; /* where the next slot search starts */
	uint8_t *swap_map;	    /* per-slot counts (vzalloc'd, as Linux vmallocs it) */
	struct page **cache;	    /* swap cache: page, shadow entry or NULL per slot (vzalloc'd) */
	struct address_space swap_space; /* the cache as a mapping: i_pages == cache */
	uint8_t *mem;		    /* in-memory area: max * 4096 host bytes, or NULL */
	int fd;			    /* file area: the host file, or -1 */
	char path[256];		    /* name in /proc/swaps */
	bool is_file;		    /* "file" rather than "partition" in /proc/swaps */
};

struct zswap_pool;

/* Per-machine swap state (k->swap). */
struct swap_state {
	int nr_swapfiles; /* areas set up */
	struct swap_info_struct *info[MAX_SWAPFILES];
	unsigned long total_swap_pages; /* usable slots of all areas */
	unsigned long nr_swap_pages;	/* free slots of all areas */
	int page_cluster;		/* vm.page-cluster: readahead of 2^3 slots */
	int swappiness;			/* vm.swappiness: 60 */
	struct zswap_pool *zswap;	/* --zswap: the compressed cache, or NULL */
	bool in_reclaim;		/* reclaim is running: allocations do not recurse */
	struct list_head shadow_mappings; /* mappings holding shadow entries (workingset.c) */
	unsigned int bucket_order;	/* eviction clock bits dropped to fit a shadow entry */
	int oom_victim_pid;		/* last task the OOM killer chose, 0: none */
	char oom_message[256];		/* its "Out of memory: Killed process ..." line */
};

/* Sets up k->swap (no area yet). 0 or -ENOMEM. */
int swap_init(struct kernel *k);
void swap_shutdown(struct kernel *k);
/* Adds a swap area of size bytes (swapon): in host memory when path is NULL, else the host
 * file path (created or truncated to size). 0, or -errno with a reason in err. */
int swapon(struct kernel *k, uint64_t size, const char *path, char *err, size_t errlen);
/* A free slot, its count set to SWAP_HAS_CACHE; swp_entry 0 (val 0) when swap is full. */
swp_entry_t get_swap_page(struct kernel *k);
/* The area of an entry, NULL when the entry names no slot of an area. */
struct swap_info_struct *swp_swap_info(struct kernel *k, swp_entry_t entry);
/* Takes a pte's reference on the slot (try_to_unmap). */
void swap_duplicate(struct kernel *k, swp_entry_t entry);
/* Drops a pte's reference; the slot is freed when nothing holds it. */
void swap_free(struct kernel *k, swp_entry_t entry);
/* swap ptes holding the slot (swap_map without SWAP_HAS_CACHE). */
int swap_count(struct kernel *k, swp_entry_t entry);
/* Drops the cache's hold on the slot (delete_from_swap_cache). */
void swapcache_clear(struct kernel *k, swp_entry_t entry);
/* Writes / reads one page to / from its slot in the area's backing. 0 or -EIO. */
int swap_write_slot(struct kernel *k, swp_entry_t entry, const void *src);
int swap_read_slot(struct kernel *k, swp_entry_t entry, void *dst);
/* /proc/swaps. */
void proc_swaps_show(struct seq_file *m, struct kernel *k);
/* Swap slots and free slots of the machine, in pages (si_swapinfo). */
unsigned long total_swap_pages(const struct kernel *k);
unsigned long nr_free_swap_pages(const struct kernel *k);
/* Slots in use that no pte and no cache page hold (leaks), for the checker. */
unsigned long swap_check_orphans(struct kernel *k);

/* ---- the swap cache (swap_state.c) ---- */

static inline swp_entry_t page_swap_entry(const struct page *page)
{
	return (swp_entry_t){page->private};
}
static inline bool PageSwapCache(const struct page *page)
{
	return PageFlag(page, PG_swapcache);
}
/* Gives page a swap slot and puts it in the swap cache, dirty (it must be written before
 * it can be freed). False when swap is full or absent. */
bool add_to_swap(struct kernel *k, struct page *page);
/* Takes page out of the swap cache, dropping the cache's reference (which may free it). */
void delete_from_swap_cache(struct kernel *k, struct page *page);
/* The same, leaving shadow (a workingset shadow entry, or NULL) in the slot: reclaim's
 * eviction. */
void __delete_from_swap_cache(struct kernel *k, struct page *page, void *shadow);
/* The cached page of entry, or NULL (also when the slot holds a shadow entry). */
struct page *lookup_swap_cache(struct kernel *k, swp_entry_t entry);
/* Reads entry's page in (and, around it, the page_cluster window's slots in use that are not
 * cached: swap readahead), all into the swap cache and the inactive anon list. The page, or
 * NULL when out of memory or the slot cannot be read. */
struct page *swapin_readahead(struct kernel *k, swp_entry_t entry);
/* The page a fault on entry needs (do_swap_page, shmem): from the swap cache, counting a
 * readahead hit (Linux's swap_cache_get_folio), else read with readahead, setting *major and
 * counting PGMAJFAULT. NULL when out of memory or the slot cannot be read. */
struct page *swapin_fault_page(struct kernel *k, swp_entry_t entry, bool *major);
/* A swap pte went away (zap): drops its slot reference, and the cached page when nothing
 * else holds the slot. */
void free_swap_and_cache(struct kernel *k, swp_entry_t entry);
/* A mapped page in the swap cache whose slot no pte holds any more leaves the cache (its
 * data then lives only in RAM). True when it left. */
bool try_to_free_swap(struct kernel *k, struct page *page);
/* Writes a swap-cache page to its slot (pageout): zswap first when enabled. 0 or -EIO. */
int swap_writepage(struct kernel *k, struct page *page);

/* ---- reclaim (vmscan.c) ---- */

/* Reclaims from the zonelist's nodes for an allocation that failed (direct reclaim). The
 * number of pages freed. */
unsigned long try_to_free_pages(struct kernel *k, gfp_t gfp, unsigned order, int highest_zoneidx);
/* The allocator found zone's node short of free pages: kswapd will balance it. */
void wakeup_kswapd(struct kernel *k, struct zone *zone, unsigned order, int highest_zoneidx);
/* Runs kswapd on every node that was woken (a safe point: no kernel path is halfway
 * through a page). */
void kswapd_run_pending(struct kernel *k);
/* Reclaims until node nid's zones are above their high watermarks (balance_pgdat), at
 * most nr pages when nr is nonzero. Pages reclaimed. */
unsigned long balance_pgdat(struct kernel *k, int nid, int order, int highest_zoneidx);
/* Shrinks the node's lists once at priority for up to nr_to_reclaim pages (tests). */
unsigned long shrink_node_pages(struct kernel *k, int nid, unsigned long nr_to_reclaim,
				int priority, bool kswapd);

/* ---- shmem swap (shmem.c) ---- */

/* A swap entry as a page-cache value entry and back (Linux's swp_to_radix_entry). */
struct page *swp_to_radix_entry(swp_entry_t entry);
swp_entry_t radix_to_swp_entry(const struct page *value);
/* Is mapping a shmem file's page cache (where value entries are swap entries)? */
bool shmem_mapping(const struct address_space *mapping);
/* Reclaim's shmem_writepage for an unmapped shmem page: it moves to the swap cache (with a
 * new slot, dirty) and its page-cache slot gets the swap entry. 0, or -ENOMEM when swap
 * is full (nothing changed). */
int shmem_writepage(struct kernel *k, struct page *page);
/* The page of a shmem page-cache slot that holds a swap entry: from the swap cache or read
 * with readahead (*major set); it returns to the page cache, dirty, and the slot is freed.
 * NULL when out of memory. */
struct page *shmem_swapin_page(struct kernel *k, struct address_space *mapping,
			       unsigned long index, bool *major);

/* ---- workingset detection (workingset.c) ---- */

/* Sets up the eviction clock's granularity for the machine's RAM (swap_init). */
void workingset_init(struct kernel *k);
/* The shadow entry to leave in the cache slot of page, which reclaim is evicting (off the
 * LRU, unmapped, only the cache's reference left); advances the node's eviction clock. */
void *workingset_eviction(struct kernel *k, struct page *page);
/* page was just read back into the slot whose shadow entry was shadow, and is not on an
 * LRU yet: counts the refault and, when its refault distance fits in the memory it
 * competes for, marks it PG_active (and PG_workingset when it was active before). */
void workingset_refault(struct kernel *k, struct page *page, void *shadow);
/* An inactive page was activated by an access: advances its node's eviction clock. */
void workingset_activation(struct kernel *k, struct page *page);
/* Advances node pgdat's eviction clock by nr pages (evictions and activations). */
void workingset_age_nonresident(pg_data_t *pgdat, unsigned long nr);
/* Stores entry (a page, a shadow entry or NULL) in slot index of mapping, keeping the
 * shadow counts, the shadow_mappings list and WORKINGSET_NODES right. Returns the old
 * entry. */
struct page *mapping_set_entry(struct kernel *k, struct address_space *mapping,
			       unsigned long index, struct page *entry);
/* Initialises the shadow bookkeeping of a new mapping. */
void mapping_init_shadows(struct address_space *mapping);
/* Linux's shadow-node shrinker (count_shadow_nodes, scan_shadow_nodes): when more chunks
 * hold only shadows than 1/8 of the RAM's pages over the chunk size, half the excess is
 * emptied (WORKINGSET_NODERECLAIM). Called after each shrink_node. Chunks freed. */
unsigned long workingset_shrink_shadow_nodes(struct kernel *k);
/* Decodes a shadow entry (for the checker and tests): node, eviction clock value
 * (bucket_order applied back) and whether the page was in the workingset. */
void workingset_unpack_shadow(const struct kernel *k, const void *shadow, int *nid,
			      unsigned long *eviction, bool *workingset);

/* ---- the OOM killer (oom_kill.c) ---- */

/* No memory and reclaim made no progress: kills the task with the highest badness. True
 * when a task was chosen. */
bool out_of_memory(struct kernel *k, gfp_t gfp, unsigned order);
/* Linux's oom_badness: pages the task would free (rss, swap entries, page tables). */
long oom_badness(struct kernel *k, struct task_struct *t);

#endif /* KSIM_SWAP_H */
