/*
 * The fast path while a tracer is attached: the fetch run.
 *
 * A tracer must see every translation, so the inline accessors cannot be allowed to hit
 * the real fast tables, which would answer data accesses and fetches unseen. But most
 * translations of a compute-bound program are instruction fetches on the page it is
 * running in, and telling each of them to the tracer costs far more than making it.
 * So while tracing, the inline accessors see tables of their own (trace_fast) that hold
 * at most one entry: a copy of the real inline fast entry of the page of the last fetch
 * translation. Data accesses always miss and reach a slow path, which tells them to the
 * tracer (mmu_trace_fast_access: from the real fast entry, without a translation, when
 * there is one; else through mmu_translate); fetches on that page
 * hit the copy, and mmu_fast_count counts each as the L1 ITLB hit it stands for by
 * advancing the L1I tick, exactly as a hit on the real entry does.
 *
 * The inline L1I fast hits since the tracer's last event are tick - tick_other (of L1I)
 * minus trace_mark. Before the next event of any kind (a translation, a control write,
 * a fill, a mode change, and through mmu_trace_sync whatever the tracer records from
 * outside) they are told as one MMU_EV_FETCH_RUN of the copy's page, and the copy's
 * stamp (its last use, for LRU) is carried over to the real entry. Whatever drops or
 * replaces the real entry (an eviction, a flush) goes through fast_drop, which syncs
 * and forgets the copy first, so the modelled TLBs and their statistics are the same as
 * without a tracer. An entry that mirrors an entry of another array than the level's
 * inline one is not copied (its hits are counted out of line), and while tracing the
 * inline array does not change hands (tlb_fast_rebalance).
 */
#include <assert.h>
#include <stdlib.h>

#include "mmu/mmu.h"
#include "mmu/mmu_internal.h"
#include "mmu/trace.h"


static void clear_copy(struct tlb *t)
{
	if (t->trace_copy)
		*t->trace_copy = (struct tlb_fast_entry){.tag = TLB_FAST_EMPTY};
	t->trace_copy = NULL;
	t->trace_real = NULL;
}

void tlb_trace_start(struct tlb *t, bool on)
{
	free(t->trace_fast);
	if (t->trace_buf_own)
		free(t->trace_buf);
	t->trace_fast = NULL;
	t->trace_buf = NULL;
	t->trace_buf_own = false;
	t->trace_nbuf = 0;
	t->trace_copy = t->trace_real = NULL;
	if (!on)
		return;
	if (t->tracer->batch) {
		t->trace_buf = malloc(MMU_TRACE_BATCH * sizeof(*t->trace_buf)); /* else events */
		t->trace_buf_own = true;
	}
	t->trace_fast = malloc(3 * sizeof(*t->trace_fast));
	if (!t->trace_fast)
		return;
	for (unsigned kind = 0; kind < 3; kind++)
		for (unsigned i = 0; i < TLB_FAST_SIZE; i++)
			t->trace_fast[kind][i] = (struct tlb_fast_entry){.tag = TLB_FAST_EMPTY};
	t->trace_mark = tlb_trace_inline_hits(t);
}

/* A fetch run of n (< 2^32) fetches on the copy's page, into the batch or as an event. */
static void tell_run(struct tlb *t, uint32_t n)
{
	if (t->trace_buf) {
		if (t->trace_nbuf == MMU_TRACE_BATCH)
			tlb_trace_flush(t);
		t->trace_buf[t->trace_nbuf++] = (struct mmu_trace_access){
		    .la = t->trace_copy->tag, .pa = t->trace_run_pa, .count = n, .flags = MMU_FETCH};
		return;
	}
	struct mmu_event ev = {.type = MMU_EV_FETCH_RUN,
			       .flags = MMU_FETCH,
			       .la = t->trace_copy->tag,
			       .pa = t->trace_run_pa,
			       .a = n};
	t->tracer->event(t->tracer->ctx, t->trace_mmu, &ev);
}

void tlb_trace_sync_slow(struct tlb *t)
{
	uint64_t n = tlb_trace_inline_hits(t) - t->trace_mark;
	if (!n || !t->tracer)
		return;
	t->trace_mark += n;
	/* Inline fetch hits outside a traced translation land on the copy only. */
	if (!t->trace_copy)
		return;
	if (t->trace_copy->stamp > t->trace_real->stamp)
		t->trace_real->stamp = t->trace_copy->stamp;
	for (; n > UINT32_MAX; n -= UINT32_MAX) /* a loop that ran for ever, alone */
		tell_run(t, UINT32_MAX);
	tell_run(t, (uint32_t)n);
}

void tlb_trace_drop_copy(struct tlb *t)
{
	tlb_trace_sync(t);
	clear_copy(t);
}

void tlb_trace_forget(struct tlb *t, const struct tlb_fast_entry *fe)
{
	if (fe == t->trace_real)
		tlb_trace_drop_copy(t);
}

void tlb_trace_fetch(struct tlb *t, unsigned mode, uint64_t la, uint64_t pa)
{
	unsigned i = (la >> 12) & (TLB_FAST_SIZE - 1);
	struct tlb_fast_entry *real = &t->fast[mode][2 /* MMU_FETCH */][i];
	clear_copy(t);
	if (!t->trace_fast || real->tag != (la & ~0xfffULL) || !t->trace_mmu->exact_stats)
		return; /* no entry, or one whose hits are counted out of line */
	t->trace_copy = &t->trace_fast[2][i];
	*t->trace_copy = *real;
	t->trace_real = real;
	t->trace_run_pa = pa & ~0xfffULL;
}

void tlb_trace_flush(struct tlb *t)
{
	uint32_t n = t->trace_nbuf;
	if (!n)
		return;
	t->trace_nbuf = 0; /* what the tracer does next starts a new batch */
	t->tracer->batch(t->tracer->ctx, t->trace_mmu, t->trace_buf, n);
}

void mmu_trace_set_batch_buf(struct mmu *m, struct mmu_trace_access *buf)
{
	struct tlb *t = &m->tlb;
	assert(t->tracer && t->tracer->batch && t->trace_nbuf == 0 && buf); /* between batches */
	if (t->trace_buf_own)
		free(t->trace_buf);
	t->trace_buf = buf;
	t->trace_buf_own = false;
}

void *mmu_trace_fast_access(struct mmu *m, uint64_t la, unsigned size, unsigned flags)
{
	struct tlb *t = &m->tlb;
	unsigned kind = flags & MMU_KIND_MASK;
	struct tlb_fast_entry *fe = &t->trace_mode_fast[kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	uint64_t page = la & ~0xfffULL;
	if ((fe->tag != page && fe->tag != (page | TLB_FAST_SLOW)) || (la & 0xfff) > 4096u - size ||
	    (flags & MMU_IMPLICIT) || kind == MMU_FETCH || !t->trace_buf)
		return NULL;
	tlb_trace_sync(t); /* the fetches so far came first */
	if (!(fe->tag & TLB_FAST_SLOW))
		mmu_fast_count(m, fe, kind);
	else if (m->exact_stats)
		tlb_fast_hit_slow(t, fe, kind);
	void *host = (void *)(uintptr_t)(la + fe->addend);
	tlb_trace_access(t, la, (uint64_t)((uint8_t *)host - m->bus->ram), flags, size);
	return host;
}
