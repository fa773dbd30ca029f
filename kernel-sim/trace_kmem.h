/*
 * The page allocator's tracepoints, after Linux's include/trace/events/kmem.h
 * (mm_page_alloc, mm_page_free): whoever records a run (emu/trace_record.c) attaches a
 * struct kmem_tracer to the kernel and sees every block the buddy allocator hands out or
 * takes back. With none attached, a tracepoint is one pointer test.
 *
 * Also the reference counts, after include/trace/events/page_ref.h (page_ref_mod,
 * page_ref_mod_and_test, page_ref_set): trace_page_ref tells that a frame's _refcount or
 * _mapcount changed. It carries no value: a tracer that wants the counts reads them from
 * the struct page when it needs them (the recorder, at each return to user mode), so
 * a get_page/put_page pair inside one kernel path costs it nothing.
 */
#ifndef KSIM_TRACE_KMEM_H
#define KSIM_TRACE_KMEM_H

#include "kernel-sim/gfp.h"

struct kernel;
struct page;

struct kmem_tracer {
	/* A block of 2^order frames at pfn was allocated for gfp (migratetype, node nid,
	 * zone index zone), while task owner (pid; 0: the kernel itself) ran. */
	void (*page_alloc)(void *ctx, unsigned long pfn, unsigned order, gfp_t gfp,
			   int migratetype, int nid, int zone, int owner);
	/* The block of 2^order frames at pfn was freed. */
	void (*page_free)(void *ctx, unsigned long pfn, unsigned order);
	/* Frame pfn's _refcount or _mapcount changed (get_page, put_page, page_add_*_rmap,
	 * page_remove_rmap, an allocation or a free). Optional. */
	void (*page_ref)(void *ctx, unsigned long pfn);
	void *ctx; /* the implementer's state */
};

void trace_mm_page_alloc_slow(struct kernel *k, struct page *page, unsigned order, gfp_t gfp);
void trace_mm_page_free_slow(struct kernel *k, struct page *page, unsigned order);
void trace_page_ref_slow(struct kernel *k, const struct page *page);

#endif /* KSIM_TRACE_KMEM_H */
