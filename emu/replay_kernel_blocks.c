/*
 * Replay through the kernel: the blocks a recorded system call allocated for itself.
 *
 * A replay repeats a process's address-space calls and the user pages the kernel touched,
 * not its other system calls: the text of a /proc file, a pipe's buffer or the slab page
 * of an open file are not made again. The recording marks such allocations (EXT
 * sys_work); here each becomes an allocation of a block of the same order with the same
 * GFP flags on the same node, at the same point of the event stream, so the allocator
 * sees what it saw in the run; and when the recording frees the block (in the same call,
 * in a later close, at exit), the block standing for it is freed. Under the recorded
 * settings the replay's allocator therefore makes the run's allocations and frees, and
 * its counters (pgalloc_*, pgfree, nr_free_pages) are the run's.
 */
#include <stdlib.h>

#include "emu/replay_kernel.h"
#include "kernel-sim/gfp.h"
#include "kernel-sim/kernel.h"

/* Keeps (pfn, page, order); false when out of memory (the block is then freed at once). */
static bool keep_block(struct kreplay *r, uint64_t pfn, struct page *page, unsigned order)
{
	if (r->nblocks == r->blocks_cap) {
		size_t cap = r->blocks_cap ? 2 * r->blocks_cap : 16;
		struct kreplay_block *b = realloc(r->blocks, cap * sizeof(*b));
		if (!b)
			return false;
		r->blocks = b;
		r->blocks_cap = cap;
	}
	r->blocks[r->nblocks++] = (struct kreplay_block){pfn, page, order};
	return true;
}

/* The recorded allocation ev (a system call's own) made here. A failure (a smaller
 * machine) leaves nothing to free later: the recorded free then finds no block. */
static void own_alloc(struct kreplay *r, const struct trace_event *ev)
{
	struct kernel *k = &r->m.kernel;
	struct page *page = alloc_pages_node(k, ev->vector, (gfp_t)ev->c, (unsigned)ev->b);
	if (!page)
		return;
	r->own_allocs++;
	if (!keep_block(r, ev->a, page, (unsigned)ev->b))
		__free_pages(k, page, (unsigned)ev->b);
}

/* The recorded free of ev: the block standing for it, if it is one of ours. */
static void own_free(struct kreplay *r, const struct trace_event *ev)
{
	for (size_t i = r->nblocks; i-- > 0;) {
		struct kreplay_block *b = &r->blocks[i];
		if (b->pfn != ev->a || b->order != ev->b)
			continue;
		__free_pages(&r->m.kernel, b->page, b->order);
		r->own_frees++;
		*b = r->blocks[--r->nblocks];
		return;
	}
}

void kreplay_page_event(struct kreplay *r, const struct trace_event *ev)
{
	if (ev->evicted) {
		if (r->nblocks)
			own_free(r, ev);
	} else if (r->sys_own && r->started) {
		own_alloc(r, ev);
	}
}

void kreplay_blocks_release(struct kreplay *r)
{
	free(r->blocks);
	r->blocks = NULL;
	r->nblocks = r->blocks_cap = 0;
}
