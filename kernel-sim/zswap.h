/*
 * zswap: a compressed cache in front of the swap area, as Linux's mm/zswap.c. A page being
 * swapped out is compressed (zlib) into a pool of guest RAM pages; only what does not fit
 * (or does not compress) reaches the swap area. Loads decompress; the entry is dropped when
 * its slot is freed. When the pool fills, its oldest objects are written back to the swap
 * area until it is under 90 % of its limit again.
 */
#ifndef KSIM_ZSWAP_H
#define KSIM_ZSWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/swap.h"

struct kernel;
struct seq_file;

/* Enables zswap with a pool of at most max_pool_percent of RAM (Linux's default 20). 0 or
 * -ENOMEM. */
int zswap_init(struct kernel *k, int max_pool_percent);
void zswap_shutdown(struct kernel *k);
/* Compresses src for entry into the pool. False when zswap is off, the pool is full or the
 * page does not compress (the caller writes to the swap area then). */
bool zswap_store(struct kernel *k, swp_entry_t entry, const void *src);
/* Decompresses entry's page into dst. False when the pool does not hold it. */
bool zswap_load(struct kernel *k, swp_entry_t entry, void *dst);
/* Drops entry's compressed copy, if any (its slot was freed or rewritten). */
void zswap_invalidate(struct kernel *k, swp_entry_t entry);

/* Counters for /sys/kernel/debug/zswap-like reporting and the benchmark. */
struct zswap_stats {
	unsigned long stored_pages;	    /* pages held compressed */
	unsigned long pool_pages;	    /* guest pages the pool occupies */
	uint64_t compressed_bytes;	    /* bytes of compressed data held */
	unsigned long reject_compress_poor; /* pages that did not compress well enough */
	unsigned long pool_limit_hit;	    /* stores refused because the pool was full */
	unsigned long written_back_pages;   /* objects written back to the swap area */
	unsigned long reject_reclaim_fail;  /* writebacks that failed (area I/O error) */
	unsigned long zswpout;		    /* stores */
	unsigned long zswpin;		    /* loads */
};
/* Zeros when zswap is off. */
struct zswap_stats zswap_get_stats(const struct kernel *k);

#endif /* KSIM_ZSWAP_H */
