/*
 * Consistency checks in the spirit of Linux's CONFIG_DEBUG_VM: walk the allocator's
 * structures and verify them against page flags and counters. Tests and stress runs call
 * them; they cost a full walk of every zone.
 */
#ifndef KSIM_DEBUG_VM_H
#define KSIM_DEBUG_VM_H

#include <stddef.h>

struct kernel;

/* Verifies every free list and pcp list against the pages' flags, orders, zones and
 * alignment, that no frame is in two free blocks, and that nr_free and NR_FREE_PAGES
 * match the lists. 0, or -1 with the first inconsistency described in msg. */
int debug_vm_check(struct kernel *k, char *msg, size_t len);

/* Drains the pcp lists and compares the free page count with its value right after boot.
 * Returns the number of pages missing (0: nothing leaked; negative: more free than at
 * boot, also a bug). */
long debug_vm_leaked_pages(struct kernel *k);

struct mm_struct;

/* Verifies the LRU lists: every page on a list has PG_lru, sits on the list its flags name
 * and on its own node; every frame with PG_lru is on a list; each list's length equals its
 * node counter (NR_INACTIVE_ANON + lru) and the sum of its zone counters. Then
 * debug_vm_check_writeback and debug_vm_check_workingset. 0, or -1 with the first
 * inconsistency in msg. */
int debug_vm_check_lru(struct kernel *k, char *msg, size_t len);

/* Verifies the dirty and writeback file pages against NR_FILE_DIRTY, NR_WRITEBACK (per
 * node) and NR_ZONE_WRITE_PENDING (per zone), and that only file pages are under writeback
 * and none of them dirty meanwhile. 0, or -1 with the first inconsistency in msg. */
int debug_vm_check_writeback(struct kernel *k, char *msg, size_t len);

/* Verifies the workingset shadow entries: every mapping holding shadows (and only those)
 * is on the shadow list, its shadow and shadow-node counts match its slots, each shadow
 * names an online node and a clock value that node's eviction clock has reached, and
 * WORKINGSET_NODES equals the shadow-only chunks. 0, or -1 with the first inconsistency. */
int debug_vm_check_workingset(struct kernel *k, char *msg, size_t len);

/* Verifies the reverse map of the address spaces mms[0..n) (all there are): each mapped
 * page's _mapcount equals the ptes mapping it, rmap_walk finds exactly those ptes, every
 * user page mapped is on an LRU list; each swap slot's count equals the swap ptes naming
 * it plus the swap entries of the mapped shmem files' page caches, SWAP_HAS_CACHE is set
 * exactly for slots with a swap-cache page, and a slot holding a shadow entry is in use. */
int debug_vm_check_rmap(struct kernel *k, struct mm_struct *const *mms, int n, char *msg,
			size_t len);

#endif /* KSIM_DEBUG_VM_H */
