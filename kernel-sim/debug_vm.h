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

#endif /* KSIM_DEBUG_VM_H */
