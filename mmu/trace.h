/*
 * The MMU's tracing interface: a callback that sees, in order, every translation the MMU
 * makes (and every one that faults), every page walk with the paging-structure entries it
 * ended on, every TLB fill with the entry it evicted, and every control operation that
 * changes what the TLBs may hold (MOV to CR0/CR3/CR4, WRMSR EFER, INVLPG, INVPCID).
 *
 * The MMU knows nothing of files: whoever wants a trace (emu/trace_record.c writes one to
 * disk, emu/replay.c compares a replay against one) implements the callback.
 *
 * Cost: with no tracer attached, nothing on the fast path changes and the slow paths test
 * one pointer. With a tracer attached, the inline accessors see fast tables of their own
 * that hold no data entry, so that every data access reaches a slow path and is seen (the
 * slow path looks at the real fast tables first: mmu_trace_fast_access, a hit there costs
 * no translation), and at most one fetch entry: the page of the last fetch translation.
 * The fetches that
 * hit it (a block's instructions, a loop) are told as one FETCH_RUN with their count,
 * before the next event of any kind, so the order of events is the order of the run. The
 * statistics stay exactly those of the modelled TLBs, since a fast hit counts as the L1
 * hit it stands for (docs/mmu.md).
 */
#ifndef MMU_TRACE_H
#define MMU_TRACE_H

#include <stdint.h>

#include "mmu/mmu.h"

struct mmu_walk_trace;

enum mmu_event_type {
	MMU_EV_ACCESS,	 /* a translation that succeeded: la, pa, flags */
	MMU_EV_FAULT,	 /* a translation that faulted: la, flags, vector, error code */
	MMU_EV_WALK,	 /* a page walk ended: la and the entries it read (walk) */
	MMU_EV_TLB_FILL, /* an entry written into array `array`; evicted one if any */
	MMU_EV_CR,	 /* control register written: which (0, 3, 4 or 8 for EFER), value */
	MMU_EV_INVLPG,	 /* INVLPG la */
	MMU_EV_INVPCID,	 /* INVPCID type (a), pcid (b), la */
	MMU_EV_FEATURES, /* mmu_set_features: maxphyaddr (a), page_1g (b) */
	MMU_EV_FETCH_RUN, /* a (>= 1) fetch translations of the 4K page at la -> pa, each an
			     L1 ITLB hit, none told as an ACCESS (mmu/tlb_trace.c) */
};

/* One MMU event. Which fields mean something depends on the type (see above). */
struct mmu_event {
	uint8_t type;			   /* enum mmu_event_type */
	uint8_t flags;			   /* ACCESS/FAULT: MMU_READ/WRITE/FETCH | MMU_IMPLICIT... */
	uint8_t vector;			   /* FAULT: exception vector */
	uint8_t array;			   /* TLB_FILL: enum tlb_array_id */
	uint8_t size;			   /* ACCESS/FAULT: bytes on this page (a data access
					      through mmu_read/mmu_write), 0 when not known */
	uint32_t error_code;		   /* FAULT: error code */
	uint64_t la;			   /* linear address (ACCESS, FAULT, WALK, INVLPG, INVPCID) */
	uint64_t pa;			   /* ACCESS: physical address */
	uint64_t a, b;			   /* CR: register number, value; INVPCID: type, pcid */
	const struct tlb_entry *entry;	   /* TLB_FILL: the entry written */
	const struct tlb_entry *evicted;   /* TLB_FILL: the valid entry replaced, or NULL */
	const struct mmu_walk_trace *walk; /* WALK: the entries, as mmu_probe reads them */
};

/* A successful translation or a fetch run, as a batching tracer receives them. */
struct mmu_trace_access {
	uint64_t la;	/* linear address (a fetch run: of its page) */
	uint64_t pa;	/* physical address (a fetch run: of its page) */
	uint32_t count; /* 0: one translation (an MMU_EV_ACCESS); else a fetch run of count */
	uint8_t flags;	/* MMU_READ/WRITE/FETCH | MMU_IMPLICIT | MMU_STACK */
	uint8_t size;	/* bytes on this page, 0 when not known */
};

#define MMU_TRACE_BATCH 512 /* translations a batching tracer receives at most at once */

struct mmu_tracer {
	/* Called for each event, in the order they happen; m is the MMU they happen in. */
	void (*event)(void *ctx, const struct mmu *m, const struct mmu_event *ev);
	/* Optional: the successful translations and fetch runs, in order, in batches instead
	 * of an event each (the per-translation cost of a call is then paid per batch). A
	 * batch is handed over when it is full and before anything else reaches event(),
	 * before a CPL or AC change and before a control operation takes effect, so that
	 * events keep their order and the MMU's state is the batch's. */
	void (*batch)(void *ctx, const struct mmu *m, const struct mmu_trace_access *a,
		      unsigned n);
	void *ctx; /* the implementer's state */
};

/*
 * Attaches tracer t to m (NULL detaches, after handing over what it holds). While a tracer
 * is attached the inline accessors see the traced tables (above), so that every following
 * access is seen, as a translation or in a fetch run.
 */
void mmu_set_tracer(struct mmu *m, const struct mmu_tracer *t);

/*
 * Where a batching tracer's next batches go: buf, room for MMU_TRACE_BATCH entries, which
 * the tracer owns and keeps valid until it gives another or detaches (the MMU's own
 * buffer is then freed). The batch held must be empty: call it from the batch callback
 * (the MMU then fills buf) or after mmu_trace_sync. A tracer that passes batches on (to
 * another thread) so has them written where they go, rather than copied there.
 */
void mmu_trace_set_batch_buf(struct mmu *m, struct mmu_trace_access *buf);

/*
 * A data access of flags (MMU_READ or MMU_WRITE, with MMU_STACK) of size (1..8) bytes at
 * la while a batching tracer is attached, made the cheap way when it can be: when the real
 * fast entry of la's page (of the current CPL and AC) allows it and the access stays on
 * that page, it is counted as the L1 hit it stands for, handed to the tracer as a
 * translation (after the fetches before it), and its host address returned. Else NULL,
 * with nothing done: the caller translates (mmu_translate), which tells the tracer. For
 * the slow paths of the accessors, which the inline ones reach for every data access
 * while tracing; the caller has checked #AC.
 */
void *mmu_trace_fast_access(struct mmu *m, uint64_t la, unsigned size, unsigned flags);

/*
 * mmu_trace_fast_access's commonest case, inline and without a call, so that a slow path
 * that tries it first needs no stack frame when it succeeds: an inline mirror, room in
 * the batch for the access and the fetch run before it (the fetches on the copy's page
 * since the last event, mmu/tlb_trace.c: a loop's data accesses come between a few
 * instructions each), and no #AC check to make. NULL when it is not that case (then
 * nothing is done), else as mmu_trace_fast_access.
 */
static inline void *mmu_trace_fast_try(struct mmu *m, uint64_t la, unsigned size, unsigned flags)
{
	struct tlb *t = &m->tlb;
	unsigned kind = flags & MMU_KIND_MASK;
	struct tlb_fast_entry *fe = &t->trace_mode_fast[kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	if (fe->tag != (la & ~0xfffULL) || (la & 0xfff) > 4096u - size ||
	    (flags & MMU_IMPLICIT) || kind == MMU_FETCH || m->ac_check || !t->trace_buf ||
	    t->trace_nbuf >= MMU_TRACE_BATCH - 1)
		return NULL;
	uint32_t n = t->trace_nbuf;
	struct mmu_trace_access *a = &t->trace_buf[n];
	uint64_t run = t->tick[TLB_LEVEL_L1I] - t->tick_other[TLB_LEVEL_L1I] - t->trace_mark;
	if (run) {
		const struct tlb_fast_entry *copy = t->trace_copy;
		if (run > UINT32_MAX || !copy)
			return NULL;
		t->trace_mark += run;
		if (copy->stamp > t->trace_real->stamp)
			t->trace_real->stamp = copy->stamp;
		a->la = copy->tag;
		a->pa = t->trace_run_pa;
		a->count = (uint32_t)run;
		a->flags = MMU_FETCH;
		a->size = 0;
		a++;
		n++;
	}
	mmu_fast_count(m, fe, kind);
	uint8_t *host = (uint8_t *)(uintptr_t)(la + fe->addend);
	a->la = la;
	a->pa = (uint64_t)(host - m->bus->ram);
	a->count = 0;
	a->flags = (uint8_t)flags;
	a->size = (uint8_t)size;
	t->trace_nbuf = n + 1;
	return host;
}

/*
 * mmu_trace_fast_try for the accesses of a store made in parts: parts accesses of size
 * bytes at la, la + size, ..., and the same again reps times in all (a 16-byte store of
 * the CPU probes both 8-byte halves, then writes them: size 8, parts 2, reps 2), all in
 * la's page. The host address of la with every access made and told as that many calls
 * would, or NULL with nothing done.
 */
static inline void *mmu_trace_fast_try_parts(struct mmu *m, uint64_t la, unsigned size,
					     unsigned parts, unsigned reps, unsigned flags)
{
	struct tlb *t = &m->tlb;
	unsigned kind = flags & MMU_KIND_MASK, n = parts * reps;
	if ((la & 0xfff) > 4096u - parts * size || !t->trace_buf ||
	    t->trace_nbuf + n >= MMU_TRACE_BATCH - 1)
		return NULL;
	uint8_t *host = (uint8_t *)mmu_trace_fast_try(m, la, size, flags);
	if (!host)
		return NULL;
	struct mmu_trace_access *a = &t->trace_buf[t->trace_nbuf];
	struct tlb_fast_entry *fe = &t->trace_mode_fast[kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	for (unsigned i = 1; i < n; i++, a++) {
		uint64_t lai = la + (uint64_t)(i % parts) * size;
		mmu_fast_count(m, fe, kind);
		a->la = lai;
		a->pa = (uint64_t)(host - m->bus->ram) + (lai - la);
		a->count = 0;
		a->flags = (uint8_t)flags;
		a->size = (uint8_t)size;
	}
	t->trace_nbuf += n - 1;
	return host;
}

/* Tells the tracer of m the fetches made since its last event that it has not seen (a
 * FETCH_RUN), so that an event the tracer records next, from outside the MMU (a system
 * call, a frame allocation), comes after them. Cheap; nothing without a tracer. */
void mmu_trace_sync(struct mmu *m);

#endif /* MMU_TRACE_H */
