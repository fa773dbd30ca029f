/*
 * The replay engine (emu/replay.h). Events are of two sorts:
 *
 *   inputs   what the run did to the MMU: translations (ACCESS, FAULT), control register
 *            writes, INVLPG, INVPCID, CPL/AC changes (MODE), and the page-table entries
 *            each walk read (WALK), which the replay writes into its own tables;
 *   outputs  what the MMU did in response: TLB fills and evictions, the physical address
 *            or the fault of each translation, the final statistics.
 *
 * Inputs are applied; outputs are compared when verifying (a fill recorded during a
 * translation is held until the replay makes that translation, then matched in order).
 */
#include "emu/replay.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/paging.h"

#define ADDR_BITS 0x000ffffffffff000ULL /* address field of a 4/5-level entry */

/* Sets r->err to "event N: " and the message; returns -1. */
static int __attribute__((format(printf, 2, 3))) mismatch(struct replay *r, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof(r->err), "event %llu: ", (unsigned long long)r->event_no);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The replay's tracer while verifying: collects the TLB fills a translation makes. */
static void collect(void *ctx, const struct mmu *m, const struct mmu_event *e)
{
	struct replay *r = ctx;
	(void)m;
	if (e->type != MMU_EV_TLB_FILL || r->ngot >= REPLAY_MAX_PENDING)
		return;
	struct trace_event *g = &r->got[r->ngot++];
	*g = (struct trace_event){.type = TEV_TLB_FILL, .array = e->array, .fill = *e->entry,
				  .evicted = e->evicted != NULL};
	if (e->evicted)
		g->victim = *e->evicted;
}

int replay_init(struct replay *r, uint64_t ram, const struct tlb_config *cfg, bool verify)
{
	memset(r, 0, sizeof(*r));
	ram = (ram + 0x1fffff) & ~0x1fffffULL;
	if (ram == 0 || ram > (1ULL << 46) - REPLAY_ARENA) {
		snprintf(r->err, sizeof(r->err), "recorded RAM size %llu is out of range",
			 (unsigned long long)ram);
		return -1;
	}
	if (bus_init(&r->bus, ram + REPLAY_ARENA) < 0) {
		snprintf(r->err, sizeof(r->err), "cannot map %llu bytes for the replay",
			 (unsigned long long)(ram + REPLAY_ARENA));
		return -1;
	}
	if (mmu_init(&r->mmu, &r->bus, cfg) < 0) {
		bus_destroy(&r->bus);
		snprintf(r->err, sizeof(r->err), "cannot build the TLBs");
		return -1;
	}
	r->arena_next = ram;
	r->arena_end = ram + REPLAY_ARENA;
	r->verify = verify;
	if (verify) {
		r->tracer = (struct mmu_tracer){.event = collect, .ctx = r};
		mmu_set_tracer(&r->mmu, &r->tracer);
	}
	return 0;
}

void replay_destroy(struct replay *r)
{
	mmu_destroy(&r->mmu);
	bus_destroy(&r->bus);
	free(r->recorded_stats);
	r->recorded_stats = NULL;
}

/* A zeroed 4 KiB frame from the arena, or 0 when it is used up. */
static uint64_t alloc_table(struct replay *r)
{
	if (r->arena_next >= r->arena_end)
		return 0;
	uint64_t pa = r->arena_next;
	r->arena_next += 4096;
	return pa; /* the arena is fresh memory: already zero */
}

/* The replay's root table for recorded table address rec (made on first use). */
static uint64_t root_for(struct replay *r, uint64_t rec)
{
	for (unsigned i = 0; i < r->nroots; i++)
		if (r->roots[i].rec == rec)
			return r->roots[i].syn;
	if (r->nroots == REPLAY_MAX_ROOTS)
		return 0;
	uint64_t syn = alloc_table(r);
	if (syn)
		r->roots[r->nroots++] = (struct replay_root){rec, syn};
	return syn;
}

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (PG_PT - level);
}

/* Writes the entries a recorded walk of la ended on into the replay's tables. */
static int install_walk(struct replay *r, const struct trace_event *ev)
{
	if (r->mmu.mode != PG_MODE_4L && r->mmu.mode != PG_MODE_5L)
		return mismatch(r, "a page walk outside 4- or 5-level paging cannot be replayed");
	uint64_t table = r->mmu.cr3 & ADDR_BITS;
	for (unsigned i = 0; i < ev->nsteps; i++) {
		unsigned lv = ev->step[i].level;
		uint64_t e = ev->step[i].entry;
		uint64_t loc = table + ((ev->la >> level_shift(lv)) & 511) * 8;
		bool leaf = lv == PG_PT || ((e & PTE_PS) && (lv == PG_PD || lv == PG_PDPT));
		if (!(e & PTE_P) || leaf) {
			bus_store(&r->bus, loc, e, 8);
			return 0;
		}
		uint64_t cur = bus_load(&r->bus, loc, 8);
		uint64_t next = (cur & PTE_P) && !(cur & PTE_PS) && (cur & ADDR_BITS) >= r->arena_end - REPLAY_ARENA
					? cur & ADDR_BITS
					: alloc_table(r);
		if (!next)
			return mismatch(r, "the trace needs more page tables than the replay holds");
		bus_store(&r->bus, loc, (e & ~ADDR_BITS) | next, 8);
		table = next;
	}
	return 0;
}

static int apply_cr(struct replay *r, const struct trace_event *ev)
{
	struct x86_fault f;
	bool ok;
	switch (ev->a) {
	case 0: ok = mmu_set_cr0(&r->mmu, ev->b, &f); break;
	case 4: ok = mmu_set_cr4(&r->mmu, ev->b, &f); break;
	case 8: ok = mmu_set_efer(&r->mmu, ev->b, &f); break;
	default: {
		uint64_t syn = root_for(r, ev->b & ADDR_BITS);
		if (!syn)
			return mismatch(r, "too many address spaces (CR3 values) to replay");
		ok = mmu_set_cr3(&r->mmu, syn | (ev->b & ~ADDR_BITS), &f);
	}
	}
	return ok ? 0 : mismatch(r, "the MMU refused CR%u=%#llx", (unsigned)ev->a,
				 (unsigned long long)ev->b);
}

static bool same_entry(const struct tlb_entry *a, const struct tlb_entry *b, bool cmp_pa)
{
	return a->vpn == b->vpn && a->pcid == b->pcid && a->shift == b->shift &&
	       a->page_shift == b->page_shift && a->flags == b->flags && (!cmp_pa || a->pa == b->pa);
}

static bool same_fill(const struct trace_event *a, const struct trace_event *b)
{
	/* Page-walk cache entries point at page tables, which the replay has its own of. */
	bool cmp_pa = a->array < TLB_FIRST_PWC;
	return a->array == b->array && a->evicted == b->evicted &&
	       same_entry(&a->fill, &b->fill, cmp_pa) &&
	       (!a->evicted || same_entry(&a->victim, &b->victim, cmp_pa));
}

/* Matches the fills of the translation just replayed against the recorded ones. */
static int check_fills(struct replay *r, uint64_t la)
{
	unsigned n = r->ngot < r->nexpect ? r->ngot : r->nexpect;
	for (unsigned i = 0; i < n; i++)
		if (!same_fill(&r->expect[i], &r->got[i]))
			return mismatch(r, "translation of %#llx: recorded fill of %s vpn %#llx, "
					   "replayed fill of %s vpn %#llx",
					(unsigned long long)la, tlb_array_name(r->expect[i].array),
					(unsigned long long)r->expect[i].fill.vpn,
					tlb_array_name(r->got[i].array),
					(unsigned long long)r->got[i].fill.vpn);
	if (r->ngot != r->nexpect)
		return mismatch(r, "translation of %#llx: %u TLB fills recorded, %u replayed",
				(unsigned long long)la, r->nexpect, r->ngot);
	r->ngot = r->nexpect = 0;
	return 0;
}

void replay_access(struct replay *r, uint64_t la, unsigned flags)
{
	uint64_t pa;
	struct x86_fault f;
	r->accesses++;
	if (mmu_fast_lookup(&r->mmu, la, 1, flags))
		return;
	if (!mmu_translate(&r->mmu, la, flags, &pa, &f))
		r->faults++;
}

/* An ACCESS or FAULT: the translation again, and with verify, its result and fills. */
static int replay_translation(struct replay *r, const struct trace_event *ev)
{
	if (!r->verify) {
		replay_access(r, ev->la, ev->flags);
		return 0;
	}
	uint64_t pa = 0;
	struct x86_fault f = {0};
	r->accesses++;
	bool ok = mmu_translate(&r->mmu, ev->la, ev->flags, &pa, &f);
	r->faults += !ok;
	if (ev->type == TEV_ACCESS && (!ok || pa != ev->pa))
		return mismatch(r, "translation of %#llx: recorded pa %#llx, replayed %s %#llx",
				(unsigned long long)ev->la, (unsigned long long)ev->pa,
				ok ? "pa" : "fault, error code", (unsigned long long)(ok ? pa : f.error_code));
	if (ev->type == TEV_FAULT && (ok || f.vector != ev->vector || f.error_code != ev->error))
		return mismatch(r, "translation of %#llx: recorded fault %u/%#x, replayed %s",
				(unsigned long long)ev->la, ev->vector, ev->error,
				ok ? "success" : "another fault");
	return check_fills(r, ev->la);
}

/* A FETCH_RUN: its fetches of one page again, each an ITLB hit in the run (and with
 * verify, checked as the ACCESS each stands for). */
static int replay_fetch_run(struct replay *r, const struct trace_event *ev)
{
	struct trace_event one = {.type = TEV_ACCESS, .flags = MMU_FETCH, .la = ev->la, .pa = ev->pa};
	for (uint64_t i = 0; i < ev->a; i++) {
		int ret = replay_translation(r, &one);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int expect_fill(struct replay *r, const struct trace_event *ev)
{
	if (!r->verify)
		return 0;
	if (r->nexpect == REPLAY_MAX_PENDING)
		return mismatch(r, "more TLB fills than one translation can make");
	r->expect[r->nexpect++] = *ev;
	return 0;
}

static int keep_stats(struct replay *r, const struct trace_event *ev)
{
	free(r->recorded_stats);
	r->recorded_stats = trace_event_text_dup(ev);
	return r->recorded_stats ? 0 : mismatch(r, "out of memory");
}

int replay_event(struct replay *r, const struct trace_event *ev)
{
	struct x86_fault f;
	r->event_no++;
	switch (ev->type) {
	case TEV_ACCESS:
	case TEV_FAULT: return replay_translation(r, ev);
	case TEV_WALK: return install_walk(r, ev);
	case TEV_TLB_FILL: return expect_fill(r, ev);
	case TEV_CR: return apply_cr(r, ev);
	case TEV_INVLPG: mmu_invlpg(&r->mmu, ev->la); return 0;
	case TEV_INVPCID:
		return mmu_invpcid(&r->mmu, ev->a, ev->b, ev->la, &f) ? 0
			: mismatch(r, "the MMU refused INVPCID %llu", (unsigned long long)ev->a);
	case TEV_FEATURES:
		if (ev->a != r->mmu.maxphyaddr || (ev->b != 0) != r->mmu.page_1g)
			mmu_set_features(&r->mmu, (unsigned)ev->a, ev->b != 0);
		return 0;
	case TEV_MODE:
		mmu_set_cpl(&r->mmu, ev->cpl);
		mmu_set_ac(&r->mmu, ev->ac);
		return 0;
	case TEV_STATS: return keep_stats(r, ev);
	case TEV_PF_DONE:
		r->pf_done++;
		r->signals += ev->a == TRACE_PF_SIGNAL;
		return 0;
	case TEV_SYSCALL: r->syscalls++; return 0;
	case TEV_PAGE:
		r->page_allocs += !ev->evicted;
		r->page_frees += ev->evicted;
		return 0;
	case TEV_END: r->ended = true; return 0;
	case TEV_EXT:
		if (ev->sub == TEXT_EXCEPTION) {
			r->exceptions++;
			r->signals += ev->a != 0;
		}
		return ev->sub == TEXT_FETCH_RUN ? replay_fetch_run(r, ev) : 0;
	default: return 0; /* KEYFRAME: a reader's starting point; the replay began earlier */
	}
}

/* The replay's statistics in mmu_stats_print's text (malloc), or NULL. */
static char *stats_text(struct replay *r)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return NULL;
	mmu_stats_print(&r->mmu, f);
	fclose(f);
	return text;
}

/* The first line where two statistics texts differ, for the report. */
static int stats_mismatch(struct replay *r, const char *rec, const char *rep)
{
	while (*rec && *rep) {
		size_t a = strcspn(rec, "\n"), b = strcspn(rep, "\n");
		if (a != b || memcmp(rec, rep, a))
			return mismatch(r, "statistics differ: recorded \"%.*s\", replayed \"%.*s\"",
					(int)a, rec, (int)b, rep);
		rec += a + (rec[a] != 0);
		rep += b + (rep[b] != 0);
	}
	return *rec || *rep ? mismatch(r, "statistics differ in length") : 0;
}

int replay_finish(struct replay *r)
{
	if (!r->verify)
		return 0;
	if (r->nexpect)
		return mismatch(r, "%u recorded TLB fills were not replayed", r->nexpect);
	if (!r->recorded_stats)
		return mismatch(r, "the trace has no statistics to verify against (not closed?)");
	char *text = stats_text(r);
	if (!text)
		return mismatch(r, "out of memory");
	int ret = stats_mismatch(r, r->recorded_stats, text);
	free(text);
	return ret;
}
