/*
 * The memory map of a recorded trace (see emu/viewer_trace.h): the machine booted from the
 * header, one pass over the trace, checkpoints, and the cursor.
 */
#include "emu/viewer_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "kernel-sim/gfp.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/page_alloc.h"

#define CKPT_BUDGET (96u << 20) /* bytes of checkpoints at most */
#define CKPT_FIRST_EVERY 64	/* page events between checkpoints, before thinning */
#define SAMPLES_MAX 4096	/* counter samples kept at most */

/* "path: reason" from a reader's error (which names the path itself when it could not
 * open the file). */
static void reader_error(const char *path, const char *why, char *err, size_t errlen)
{
	if (!strncmp(why, path, strlen(path)))
		snprintf(err, errlen, "%s", why);
	else
		snprintf(err, errlen, "%s: %s", path, why);
}

/* ---- the machine the header describes ---- */

/* Adds "opt value" to argv when the header has key (and, with skip_zero, it is not "0"). */
static void header_opt(const struct trace_reader *r, const char *key, const char *opt,
		       bool skip_zero, char **argv, int *argc, char (*vals)[1024], int *nv)
{
	if (!trace_header_get(r, key, vals[*nv], sizeof(vals[*nv])) ||
	    (skip_zero && !strcmp(vals[*nv], "0")))
		return;
	argv[(*argc)++] = (char *)opt;
	argv[(*argc)++] = vals[(*nv)++];
}

/* The header's settings as machine options (docs/trace-format.md lists the keys). */
static int header_machine(const struct trace_reader *r, struct machine_opts *o, char *err,
			  size_t errlen)
{
	char vals[24][1024], *argv[48], buf[64];
	int argc = 0, nv = 0;
	if (!trace_header_get(r, "ram", buf, sizeof(buf))) {
		snprintf(err, errlen, "the trace's header names no RAM size (ram=)");
		return -1;
	}
	header_opt(r, "ram", "-m", false, argv, &argc, vals, &nv);
	header_opt(r, "smp", "-smp", false, argv, &argc, vals, &nv);
	header_opt(r, "arch", "--arch", false, argv, &argc, vals, &nv);
	header_opt(r, "movablecore", "--movablecore", true, argv, &argc, vals, &nv);
	header_opt(r, "min_free_kbytes", "--min-free-kbytes", true, argv, &argc, vals, &nv);
	header_opt(r, "seed", "--seed", false, argv, &argc, vals, &nv);
	header_opt(r, "tlb", "--tlb", false, argv, &argc, vals, &nv);
	long nodes = trace_header_get(r, "nodes", buf, sizeof(buf)) ? strtol(buf, NULL, 10) : 1;
	for (long i = 0; nodes > 1 && i < nodes && i < MAX_NUMNODES && nv < 24; i++) {
		char key[32], mem[64];
		snprintf(key, sizeof(key), "node%ld.mem", i);
		if (!trace_header_get(r, key, mem, sizeof(mem))) {
			snprintf(err, errlen, "the trace's header lacks %s", key);
			return -1;
		}
		snprintf(vals[nv], sizeof(vals[nv]), "node,mem=%s", mem);
		argv[argc++] = "-numa";
		argv[argc++] = vals[nv++];
	}
	machine_opts_init(o);
	char why[256];
	for (int i = 0; i < argc;)
		if (machine_option(argc, argv, &i, o, why, sizeof(why)) != 1) {
			snprintf(err, errlen, "the trace's machine settings: %s", why);
			return -1;
		}
	if (machine_options_finish(o, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the trace's machine settings: %s", why);
		return -1;
	}
	return 0;
}

static void boot_zones(struct trace_view *tv)
{
	struct kernel *k = &tv->m->kernel;
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		for (int zi = 0; zi < MAX_NR_ZONES && tv->nr_zones < TV_ZONES; zi++) {
			const struct zone *z = &NODE_DATA(k, nid)->node_zones[zi];
			if (!populated_zone(z))
				continue;
			tv->zone[tv->nr_zones++] =
			    (struct tv_zone){nid,
					     z->name,
					     z->zone_start_pfn,
					     z->zone_start_pfn + z->spanned_pages,
					     min_wmark_pages(z),
					     low_wmark_pages(z),
					     high_wmark_pages(z),
					     z->managed_pages};
		}
}

/* The zone row of pfn; the last matching row wins, so ZONE_MOVABLE (listed after the zone
 * whose span it lies in) is found for its frames. -1 outside every zone. */
static int zone_row(const struct trace_view *tv, unsigned long pfn)
{
	int row = -1;
	for (int i = 0; i < tv->nr_zones; i++)
		if (pfn >= tv->zone[i].start && pfn < tv->zone[i].end)
			row = i;
	return row;
}

static bool is_free(struct frame_class c)
{
	return c.kind == FK_FREE || c.kind == FK_PCP;
}

/* ---- the frame state ---- */

static void mark_dirty(struct trace_view *tv, unsigned long pfn)
{
	tv->dirty[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
}

bool tv_dirty(const struct trace_view *tv, unsigned long pfn)
{
	return tv->all_dirty || (tv->dirty[pfn >> 3] >> (pfn & 7)) & 1;
}

void tv_clear_dirty(struct trace_view *tv)
{
	memset(tv->dirty, 0, (tv->nr_frames + 7) / 8);
	tv->all_dirty = false;
}

enum frame_kind tv_block_kind(const struct tv_block *b)
{
	if (b->used & TVU_WALKED)
		return FK_PGTABLE;
	if (b->gfp & __GFP_MOVABLE) {
		/* Anonymous faults ask for zeroed pages and copies-on-write are written at
		 * once; page cache pages are neither, while user code only reads them. */
		if ((b->gfp & __GFP_ZERO) || (b->used & TVU_USER_WRITE))
			return FK_ANON;
		return FK_FILE;
	}
	if (b->gfp & (__GFP_COMP | __GFP_RECLAIMABLE))
		return FK_SLAB;
	return FK_OTHER;
}

/* Frames [start, start + 2^order) become one free block. */
static void set_free(struct trace_view *tv, unsigned long start, unsigned order)
{
	unsigned long end = start + (1UL << order);
	for (unsigned long p = start; p < end && p < tv->nr_frames; p++) {
		tv->cls[p] = (struct frame_class){FK_FREE, (uint8_t)order, p == start};
		tv->owner[p] = 0;
		mark_dirty(tv, p);
	}
}

/* The free block holding pfn gives up [pfn, pfn + 2^order): the rest becomes free blocks
 * of the orders below, as the buddy allocator's expand() leaves them. */
static void split_free(struct trace_view *tv, unsigned long pfn, unsigned order)
{
	struct frame_class c = tv->cls[pfn];
	if (c.kind != FK_FREE || c.order <= order || c.order >= MAX_ORDER)
		return;
	unsigned o = c.order;
	unsigned long head = pfn & ~((1UL << o) - 1);
	if (tv->cls[head].kind != FK_FREE || !tv->cls[head].head || tv->cls[head].order != o)
		return; /* not the block the state says: leave it */
	while (o > order) {
		o--;
		unsigned long half = 1UL << o;
		if (pfn >= head + half) {
			set_free(tv, head, o);
			head += half;
		} else {
			set_free(tv, head + half, o);
		}
	}
}

/* The free block at pfn of this order merges with its buddy while the buddy is a whole
 * free block of the same order in the same zone (__free_one_page). */
static void merge_free(struct trace_view *tv, unsigned long pfn, unsigned order)
{
	int zone = zone_row(tv, pfn);
	while (order + 1 < MAX_ORDER) {
		unsigned long buddy = pfn ^ (1UL << order);
		if (buddy + (1UL << order) > tv->nr_frames)
			return;
		struct frame_class b = tv->cls[buddy];
		if (b.kind != FK_FREE || !b.head || b.order != order || zone_row(tv, buddy) != zone)
			return;
		pfn &= ~(1UL << order);
		order++;
		set_free(tv, pfn, order);
	}
}

/* Applies page event i to the state. */
static void apply_block(struct trace_view *tv, size_t i)
{
	const struct tv_block *b = &tv->blocks[i];
	unsigned long n = 1UL << b->order, start = b->pfn;
	if (start >= tv->nr_frames)
		return;
	if (start + n > tv->nr_frames)
		n = tv->nr_frames - start;
	int zone = zone_row(tv, start);
	if (b->freed) {
		for (unsigned long p = start; p < start + n; p++)
			if (!is_free(tv->cls[p]) && zone >= 0)
				tv->free[zone]++;
		if (b->order < MAX_ORDER) {
			set_free(tv, start, b->order);
			merge_free(tv, start, b->order);
		}
		return;
	}
	split_free(tv, start, b->order);
	struct frame_class c = {(uint8_t)tv_block_kind(b), 0, 0};
	for (unsigned long p = start; p < start + n; p++) {
		if (is_free(tv->cls[p]) && zone >= 0 && tv->free[zone])
			tv->free[zone]--;
		tv->cls[p] = c;
		tv->owner[p] = (uint32_t)i + 1;
		mark_dirty(tv, p);
	}
}

/* ---- checkpoints ---- */

static size_t ckpt_max(const struct trace_view *tv)
{
	size_t per = tv->nr_frames * (sizeof(struct frame_class) + sizeof(uint32_t)) + 1;
	size_t n = CKPT_BUDGET / per;
	return n < 2 ? 2 : n;
}

static void free_ckpt(struct tv_checkpoint *c)
{
	free(c->cls);
	free(c->owner);
	c->cls = NULL;
	c->owner = NULL;
}

/* Keeps every other checkpoint (the first stays) and doubles the spacing. */
static void thin_ckpts(struct trace_view *tv)
{
	size_t j = 0;
	for (size_t i = 0; i < tv->nr_ckpt; i++) {
		if (i % 2 == 0)
			tv->ckpt[j++] = tv->ckpt[i];
		else
			free_ckpt(&tv->ckpt[i]);
	}
	tv->nr_ckpt = j;
	tv->ckpt_every *= 2;
}

static int take_ckpt(struct trace_view *tv)
{
	if (tv->nr_ckpt == ckpt_max(tv))
		thin_ckpts(tv);
	if (tv->applied % tv->ckpt_every)
		return 0;
	struct tv_checkpoint *c = &tv->ckpt[tv->nr_ckpt];
	c->blocks = tv->applied;
	c->cls = malloc(tv->nr_frames * sizeof(*c->cls));
	c->owner = malloc(tv->nr_frames * sizeof(*c->owner));
	if (!c->cls || !c->owner) {
		free_ckpt(c);
		return -1;
	}
	memcpy(c->cls, tv->cls, tv->nr_frames * sizeof(*c->cls));
	memcpy(c->owner, tv->owner, tv->nr_frames * sizeof(*c->owner));
	memcpy(c->free, tv->free, sizeof(c->free));
	tv->nr_ckpt++;
	return 0;
}

static void restore_ckpt(struct trace_view *tv, const struct tv_checkpoint *c)
{
	memcpy(tv->cls, c->cls, tv->nr_frames * sizeof(*c->cls));
	memcpy(tv->owner, c->owner, tv->nr_frames * sizeof(*c->owner));
	memcpy(tv->free, c->free, sizeof(c->free));
	tv->applied = c->blocks;
	tv->all_dirty = true;
}

/* A block's use is known only once the whole trace is read: the kinds of allocated frames
 * in the checkpoints are set again from their blocks. */
static void fix_kinds(struct trace_view *tv, struct frame_class *cls, const uint32_t *owner)
{
	for (unsigned long p = 0; p < tv->nr_frames; p++)
		if (owner[p])
			cls[p].kind = (uint8_t)tv_block_kind(&tv->blocks[owner[p] - 1]);
}

/* ---- the pass over the trace ---- */

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 1024;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

struct pass {
	size_t blocks_cap, marks_cap, refs_cap;
	uint8_t cpl;
};

static void thin_samples(struct trace_view *tv)
{
	size_t j = 0;
	for (size_t i = 0; i < tv->nr_samples; i += 2)
		tv->samples[j++] = tv->samples[i];
	tv->nr_samples = j;
	tv->sample_every *= 2;
}

static void take_sample(struct trace_view *tv, uint64_t ev)
{
	if (tv->nr_samples == SAMPLES_MAX)
		thin_samples(tv);
	if (ev % tv->sample_every)
		return;
	struct tv_sample *s = &tv->samples[tv->nr_samples++];
	s->ev = ev;
	memcpy(s->free, tv->free, sizeof(s->free));
	memcpy(s->count, tv->count, sizeof(s->count));
}

/* The block allocated at frame pfn now, or NULL. */
static struct tv_block *live_block(struct trace_view *tv, uint64_t pa)
{
	unsigned long pfn = (unsigned long)(pa >> 12);
	if (pfn >= tv->nr_frames || !tv->owner[pfn])
		return NULL;
	return &tv->blocks[tv->owner[pfn] - 1];
}

static void note_access(struct trace_view *tv, const struct trace_event *ev, uint8_t cpl)
{
	if (cpl != 3 || (ev->flags & MMU_IMPLICIT))
		return;
	struct tv_block *b = live_block(tv, ev->pa);
	if (!b)
		return;
	b->used |= TVU_USER;
	if ((ev->flags & MMU_KIND_MASK) == MMU_WRITE)
		b->used |= TVU_USER_WRITE;
	if (!b->la)
		b->la = (ev->la & ~0xfffULL) - (((ev->pa >> 12) - b->pfn) << 12);
}

static void note_walk(struct trace_view *tv, const struct trace_event *ev)
{
	for (int i = 0; i < ev->nsteps && i < PG_NR_LEVELS; i++) {
		struct tv_block *b = live_block(tv, ev->step[i].entry_pa);
		if (b)
			b->used |= TVU_WALKED;
	}
}

static int add_block(struct trace_view *tv, struct pass *ps, const struct trace_event *ev,
		     uint64_t n)
{
	if (grow((void **)&tv->blocks, &ps->blocks_cap, tv->nr_blocks, sizeof(*tv->blocks)) < 0)
		return -1;
	tv->blocks[tv->nr_blocks] = (struct tv_block){
	    .ev = n,
	    .pfn = (uint32_t)ev->a,
	    .order = (uint8_t)ev->b,
	    .freed = ev->evicted,
	    .gfp = (uint32_t)ev->c,
	    .owner = (int32_t)ev->d,
	    .migratetype = ev->cpl,
	    .zone = ev->ac,
	    .node = ev->vector,
	};
	tv->nr_page_events[ev->evicted ? 1 : 0]++;
	apply_block(tv, tv->nr_blocks++);
	tv->applied = tv->nr_blocks;
	return take_ckpt(tv);
}

static int add_mark(struct trace_view *tv, struct pass *ps, const struct trace_event *ev,
		    uint64_t n)
{
	if (grow((void **)&tv->marks, &ps->marks_cap, tv->nr_marks, sizeof(*tv->marks)) < 0)
		return -1;
	tv->marks[tv->nr_marks++] =
	    (struct tv_mark){n, ev->type, ev->type == TEV_PAGE ? ev->evicted : 0};
	return 0;
}

/* A PAGE_REF event's entries, kept (sorted by frame once the pass is over). */
static int add_refs(struct trace_view *tv, struct pass *ps, const struct trace_event *ev,
		    uint64_t n)
{
	struct trace_page_refs_iter it;
	struct trace_page_ref e;
	trace_page_refs_begin(&it, ev);
	while (trace_page_refs_next(&it, &e)) {
		if (e.pfn >= tv->nr_frames)
			continue; /* beyond the booted machine's RAM: nothing shows it */
		if (grow((void **)&tv->refs, &ps->refs_cap, tv->nr_refs, sizeof(*tv->refs)) < 0)
			return -1;
		tv->refs[tv->nr_refs++] =
		    (struct tv_ref){n, (uint32_t)e.pfn, e.refcount, e.mapcount};
	}
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct tv_ref *x = a, *y = b;
	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return (x->ev > y->ev) - (x->ev < y->ev);
}

/* One event of the pass: counters, marks, blocks and what the blocks are used for. */
static int pass_event(struct trace_view *tv, struct pass *ps, const struct trace_event *ev,
		      uint64_t n)
{
	take_sample(tv, n);
	if (ev->type < TV_KINDS)
		tv->count[ev->type]++;
	if (ev->type == TEV_EXT && tvv_event(&tv->vmas, ev, n) < 0)
		return -1;
	switch (ev->type) {
	case TEV_ACCESS:
		note_access(tv, ev, ps->cpl);
		return 0;
	case TEV_WALK:
		note_walk(tv, ev);
		return 0;
	case TEV_MODE:
	case TEV_KEYFRAME:
		ps->cpl = ev->cpl;
		return 0;
	case TEV_TLB_FILL:
		return 0;
	case TEV_PAGE:
		if (add_mark(tv, ps, ev, n) < 0)
			return -1;
		return add_block(tv, ps, ev, n);
	case TEV_EXT:
		if (ev->sub == TEXT_PAGE_REF && tv->refs_known && add_refs(tv, ps, ev, n) < 0)
			return -1;
		if (ev->sub != TEXT_FETCH_RUN)
			return add_mark(tv, ps, ev, n);
		note_access(tv, ev, ps->cpl); /* fetches of one page: as one of them */
		return 0;
	default: /* faults, system calls, control registers, kinds not known here */
		return add_mark(tv, ps, ev, n);
	}
}

static int read_pass(struct trace_view *tv, char *err, size_t errlen)
{
	struct trace_reader r;
	struct pass ps = {0};
	if (trace_reader_open(&r, tv->path) < 0)
		goto out_err;
	tv->indexed = r.index_len > 0;
	tv->refs_known = r.minor >= 3; /* 1.3 added page_ref */
	uint64_t total = 0;
	if (tv->indexed)
		total = r.index[r.index_len - 1].first_event + r.index[r.index_len - 1].nevents;
	tv->sample_every = total / (SAMPLES_MAX / 2) + 1;
	struct trace_event ev;
	int rc;
	while ((rc = trace_reader_next(&r, &ev)) > 0)
		if (pass_event(tv, &ps, &ev, r.nevents - 1) < 0) {
			snprintf(r.err, sizeof(r.err), "out of memory reading the trace");
			goto out_err;
		}
	if (rc < 0)
		goto out_err;
	if (tv->nr_refs)
		qsort(tv->refs, tv->nr_refs, sizeof(*tv->refs), cmp_ref);
	tv->nr_events = r.nevents;
	take_sample(tv, tv->nr_events);
	if (tv->samples[tv->nr_samples - 1].ev != tv->nr_events) {
		/* the end as the last sample, whatever the spacing */
		tv->sample_every = 1;
		take_sample(tv, tv->nr_events);
	}
	trace_reader_close(&r);
	return 0;
out_err:
	reader_error(tv->path, r.err, err, errlen);
	trace_reader_close(&r);
	return -1;
}

/* ---- open and close ---- */

static int alloc_state(struct trace_view *tv)
{
	unsigned long n = tv->nr_frames ? tv->nr_frames : 1;
	tv->cls = calloc(n, sizeof(*tv->cls));
	tv->owner = calloc(n, sizeof(*tv->owner));
	tv->dirty = calloc((n + 7) / 8, 1);
	int heat = heat_map_init(&tv->heat, n, TV_HEAT_DEFAULT, TV_HEAT_DEFAULT);
	tv->ckpt = calloc(ckpt_max(tv) + 1, sizeof(*tv->ckpt));
	tv->samples = calloc(SAMPLES_MAX + 1, sizeof(*tv->samples));
	return tv->cls && tv->owner && tv->dirty && heat == 0 && tv->ckpt && tv->samples ? 0 : -1;
}

/* The machine as it booted: frames, zones, and the frame state at event 0. */
static int boot(struct trace_view *tv, char *err, size_t errlen)
{
	struct trace_reader r;
	struct machine_opts o;
	if (trace_reader_open(&r, tv->path) < 0) {
		reader_error(tv->path, r.err, err, errlen);
		trace_reader_close(&r);
		return -1;
	}
	int rc = header_machine(&r, &o, err, errlen);
	if (rc == 0)
		tvv_start(&tv->vmas, &r, &o.params, &o.tlb);
	trace_reader_close(&r);
	if (rc < 0)
		return -1;
	tv->m = calloc(1, sizeof(*tv->m));
	char why[256];
	if (!tv->m || machine_create(tv->m, &o.params, &o.tlb, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cannot boot the trace's machine: %s",
			 tv->m ? why : "out of memory");
		free(tv->m);
		tv->m = NULL;
		return -1;
	}
	tv->nr_frames = tv->m->kernel.max_pfn;
	if (alloc_state(tv) < 0) {
		snprintf(err, errlen, "out of memory for %lu frames", tv->nr_frames);
		return -1;
	}
	viewer_classify(&tv->m->kernel, tv->nr_frames, tv->cls);
	boot_zones(tv);
	for (unsigned long p = 0; p < tv->nr_frames; p++) {
		int z = zone_row(tv, p);
		if (z >= 0 && is_free(tv->cls[p]))
			tv->free[z]++;
	}
	return 0;
}

int tv_open(struct trace_view *tv, const char *path, char *err, size_t errlen)
{
	memset(tv, 0, sizeof(*tv));
	if (errlen)
		err[0] = '\0';
	snprintf(tv->path, sizeof(tv->path), "%s", path);
	tv->ckpt_every = CKPT_FIRST_EVERY;
	if (boot(tv, err, errlen) < 0)
		return -1;
	int rc = take_ckpt(tv) < 0 ? -1 : read_pass(tv, err, errlen);
	tvv_finish(&tv->vmas); /* the replaying machine is needed only while reading */
	if (rc < 0) {
		if (!*err)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < tv->nr_ckpt; i++)
		fix_kinds(tv, tv->ckpt[i].cls, tv->ckpt[i].owner);
	restore_ckpt(tv, &tv->ckpt[0]);
	if (trace_reader_open(&tv->r, tv->path) < 0) {
		reader_error(tv->path, tv->r.err, err, errlen);
		return -1;
	}
	return tv_seek(tv, 0, err, errlen);
}

void tv_close(struct trace_view *tv)
{
	trace_reader_close(&tv->r);
	tvv_destroy(&tv->vmas);
	if (tv->m) {
		machine_destroy(tv->m);
		free(tv->m);
	}
	for (size_t i = 0; i < tv->nr_ckpt; i++)
		free_ckpt(&tv->ckpt[i]);
	free(tv->ckpt);
	free(tv->blocks);
	free(tv->marks);
	free(tv->refs);
	free(tv->samples);
	free(tv->cls);
	free(tv->owner);
	free(tv->dirty);
	heat_map_destroy(&tv->heat);
	memset(tv, 0, sizeof(*tv));
}

/* ---- the cursor ---- */

/* Page events before event number at. */
static size_t blocks_before(const struct trace_view *tv, uint64_t at)
{
	return TRACE_FIRST_AT_OR_AFTER(tv->blocks, tv->nr_blocks, at);
}

static void seek_frames(struct trace_view *tv, uint64_t at)
{
	size_t k = blocks_before(tv, at);
	const struct tv_checkpoint *best = NULL;
	for (size_t i = 0; i < tv->nr_ckpt && tv->ckpt[i].blocks <= k; i++)
		best = &tv->ckpt[i];
	/* Back, or forward past a checkpoint: start from the checkpoint. */
	if (best && (k < tv->applied || best->blocks > tv->applied))
		restore_ckpt(tv, best);
	for (; tv->applied < k; tv->applied++)
		apply_block(tv, tv->applied);
}

/* Positions the cursor's reader at the start of the chunk holding event ev, forgetting
 * the heat. */
static int rewind_cursor(struct trace_view *tv, uint64_t ev, char *err, size_t errlen)
{
	heat_map_clear(&tv->heat);
	tv->have_walk = false;
	memset(&tv->cur, 0, sizeof(tv->cur));
	tv->cpl = 0;
	size_t c = 0;
	for (size_t i = 0; i < tv->r.index_len && tv->r.index[i].first_event <= ev; i++)
		c = i;
	int rc;
	if (tv->r.index_len) {
		rc = trace_reader_seek_chunk(&tv->r, c);
	} else { /* no index: from the start */
		trace_reader_close(&tv->r);
		rc = trace_reader_open(&tv->r, tv->path);
	}
	if (rc < 0) {
		reader_error(tv->path, tv->r.err, err, errlen);
		return -1;
	}
	tv->cursor = tv->r.nevents;
	return 0;
}

/* An ACCESS, or a FETCH_RUN (its fetches of one page count as the last one). */
static bool is_translation(const struct trace_event *ev)
{
	return ev->type == TEV_ACCESS || (ev->type == TEV_EXT && ev->sub == TEXT_FETCH_RUN);
}

static void cursor_event(struct trace_view *tv, const struct trace_event *ev)
{
	if (is_translation(ev)) {
		heat_map_note(&tv->heat, (unsigned long)(ev->pa >> 12), ev->flags & MMU_KIND_MASK,
			      tv->cursor);
		return;
	}
	switch (ev->type) {
	case TEV_WALK:
		tv->walk = *ev;
		tv->walk_ev = tv->cursor;
		tv->have_walk = true;
		break;
	case TEV_KEYFRAME:
		tv->cr3 = ev->b;
		tv->cpl = ev->cpl;
		break;
	case TEV_MODE:
		tv->cpl = ev->cpl;
		break;
	case TEV_CR:
		if (ev->a == 3)
			tv->cr3 = ev->b;
		break;
	default:
		break;
	}
}

int tv_seek(struct trace_view *tv, uint64_t at, char *err, size_t errlen)
{
	if (at > tv->nr_events)
		at = tv->nr_events;
	seek_frames(tv, at);
	uint64_t window = tv->heat.window, from = at > window ? at - window : 0;
	if (at < tv->cursor || from > tv->cursor + TRACE_CHUNK_RAW || tv->cursor == 0)
		if (rewind_cursor(tv, from, err, errlen) < 0)
			return -1;
	struct trace_event ev;
	while (tv->cursor < at) {
		int rc = trace_reader_next(&tv->r, &ev);
		if (rc <= 0) {
			snprintf(err, errlen, "%s: %s", tv->path,
				 rc < 0 ? tv->r.err
					: "the trace ended early (changed since it was read?)");
			return -1;
		}
		cursor_event(tv, &ev);
		tv->cur = ev;
		tv->cur.text = NULL;
		tv->cursor++;
	}
	tv->at = at;
	tv->heat.now = at;
	return 0;
}

int tv_set_heat_window(struct trace_view *tv, uint64_t events, char *err, size_t errlen)
{
	if (!events || events > SIZE_MAX / sizeof(uint32_t) ||
	    heat_map_resize(&tv->heat, (size_t)events, events) < 0) {
		snprintf(err, errlen, "cannot keep the heat of %llu events",
			 (unsigned long long)events);
		return -1;
	}
	tv->cursor = 0; /* decode the new window */
	return tv_seek(tv, tv->at, err, errlen);
}

/* ---- questions about the cursor ---- */

uint64_t tv_find_mark(const struct trace_view *tv, uint64_t at, int dir, int type, int want_freed)
{
	/* marks[lo..] are those at or after event at */
	size_t lo = TRACE_FIRST_AT_OR_AFTER(tv->marks, tv->nr_marks, at);
	for (size_t i = lo; dir > 0 && i < tv->nr_marks; i++)
		if (tv->marks[i].type == type &&
		    (want_freed < 0 || tv->marks[i].freed == want_freed))
			return tv->marks[i].ev;
	for (size_t i = lo; dir < 0 && i-- > 0;)
		if (tv->marks[i].type == type &&
		    (want_freed < 0 || tv->marks[i].freed == want_freed))
			return tv->marks[i].ev;
	return UINT64_MAX;
}

unsigned tv_heat(const struct trace_view *tv, unsigned long pfn, int kind)
{
	return heat_map_heat(&tv->heat, pfn, kind);
}

const struct trace_event *tv_last_walk(const struct trace_view *tv)
{
	if (!tv->have_walk || tv->walk_ev + tv->heat.window < tv->at)
		return NULL;
	return &tv->walk;
}

const struct tv_sample *tv_sample_at(const struct trace_view *tv, uint64_t ev)
{
	size_t lo = 0, hi = tv->nr_samples;
	while (lo + 1 < hi) {
		size_t mid = (lo + hi) / 2;
		if (tv->samples[mid].ev <= ev)
			lo = mid;
		else
			hi = mid;
	}
	return &tv->samples[lo];
}

const struct tv_block *tv_block_of(const struct trace_view *tv, unsigned long pfn)
{
	if (pfn >= tv->nr_frames || !tv->owner[pfn])
		return NULL;
	return &tv->blocks[tv->owner[pfn] - 1];
}

/* "  in VMA start-end perms name" for the VMA holding la at the cursor, if known; the
 * length written. */
static int vma_text(const struct trace_view *tv, uint64_t la, char *buf, size_t len)
{
	const struct tv_vmas *tvv = &tv->vmas;
	const struct tv_vma_set *set = tvv_set_at(tvv, tv->at);
	for (uint32_t i = 0; set && i < set->count; i++) {
		const struct tv_vma *a = &tvv->vmas[set->first + i];
		if (la >= a->start && la < a->end)
			return snprintf(buf, len, "  in VMA %llx-%llx %s %s",
					(unsigned long long)a->start, (unsigned long long)a->end,
					a->perms, tvv->names + a->name);
	}
	return 0;
}

/* The index of the first of refs[0..n) at or after (pfn, ev): by frame, then event. */
static size_t ref_lower_bound(const struct tv_ref *refs, size_t n, uint32_t pfn, uint64_t ev)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (refs[mid].pfn < pfn || (refs[mid].pfn == pfn && refs[mid].ev < ev))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool tv_frame_counts(const struct trace_view *tv, unsigned long pfn, int *refcount, int *mapcount,
		     uint64_t *since)
{
	if (!tv->refs_known || pfn >= tv->nr_frames)
		return false;
	/* The last entry of pfn before the cursor: the one before the first at or after it. */
	size_t i = ref_lower_bound(tv->refs, tv->nr_refs, (uint32_t)pfn, tv->at);
	if (i > 0 && tv->refs[i - 1].pfn == pfn) {
		*refcount = tv->refs[i - 1].refcount;
		*mapcount = tv->refs[i - 1].mapcount;
		*since = tv->refs[i - 1].ev;
		return true;
	}
	const struct kernel *k = &tv->m->kernel; /* as booted: the recording's start */
	const struct page *page = pfn_valid(k, pfn) ? pfn_to_page(k, pfn) : NULL;
	*refcount = page ? page_count(page) : 0;
	*mapcount = page ? page_mapcount(page) : 0;
	*since = UINT64_MAX;
	return true;
}

/* "  ref R map M" as the live viewer writes it, or why the counts are not known. */
static int counts_text(const struct trace_view *tv, unsigned long pfn, char *buf, size_t len)
{
	int ref, map;
	uint64_t since;
	if (!tv_frame_counts(tv, pfn, &ref, &map, &since))
		return snprintf(buf, len, "  ref/map unknown (format %u.%u records no counts)",
				tv->r.major, tv->r.minor);
	return snprintf(buf, len, "  ref %d map %d", ref, map);
}

void tv_frame_info(const struct trace_view *tv, unsigned long pfn, char *buf, size_t len)
{
	if (pfn >= tv->nr_frames) {
		snprintf(buf, len, "pfn %#lx: beyond RAM", pfn);
		return;
	}
	int z = zone_row(tv, pfn);
	struct frame_class c = tv->cls[pfn];
	int n = snprintf(buf, len, "pfn %#lx  node %d %s  %s", pfn, z >= 0 ? tv->zone[z].node : -1,
			 z >= 0 ? tv->zone[z].name : "-", frame_kind_name(c.kind));
	if (c.kind == FK_FREE)
		n += snprintf(buf + n, len - (size_t)n, " order %u%s", c.order,
			      c.head ? " (head)" : "");
	if ((size_t)n < len)
		n += counts_text(tv, pfn, buf + n, len - (size_t)n);
	const struct tv_block *b = tv_block_of(tv, pfn);
	if (b && (size_t)n < len) {
		n += snprintf(
		    buf + n, len - (size_t)n,
		    "  block %#x order %u  owner pid %d  gfp %#x  %s  allocated at event %llu",
		    b->pfn, b->order, b->owner, b->gfp,
		    b->migratetype < MIGRATE_TYPES ? migratetype_names[b->migratetype] : "?",
		    (unsigned long long)b->ev);
		if (b->la && (size_t)n < len) {
			uint64_t la = b->la + ((pfn - b->pfn) << 12);
			n += snprintf(buf + n, len - (size_t)n, "  mapped at %#llx",
				      (unsigned long long)la);
			if ((size_t)n < len)
				n += vma_text(tv, la, buf + n, len - (size_t)n);
		}
	} else if (!b && !is_free(c) && (size_t)n < len) {
		n += snprintf(buf + n, len - (size_t)n, "  allocated before the trace began");
	}
	static const char *const kinds[3] = {"read", "write", "fetch"};
	for (int k = 0; k < 3 && (size_t)n < len; k++)
		if (tv->heat.last[k][pfn] && tv->heat.last[k][pfn] <= tv->at)
			n += snprintf(buf + n, len - (size_t)n, "  last %s at %llu", kinds[k],
				      (unsigned long long)tv->heat.last[k][pfn] - 1);
}

/* The row of rows[0..n) (in address order) holding la, or -1. */
static int row_of(const struct vma_row *rows, int n, uint64_t la)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (rows[mid].end <= la)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && la >= rows[lo].start ? lo : -1;
}

int tv_vma_rows(const struct trace_view *tv, struct vma_row *rows, int max)
{
	const struct tv_vma_set *set = tvv_set_at(&tv->vmas, tv->at);
	if (!set)
		return 0;
	int total = tvv_rows(&tv->vmas, set, rows, max), n = total < max ? total : max;
	unsigned long(*counts)[VMA_BAR_BUCKETS] = calloc((size_t)(n ? n : 1), sizeof(*counts));
	if (!counts)
		return total;
	for (unsigned long p = 0; p < tv->nr_frames; p++) {
		const struct tv_block *b = tv->owner[p] ? &tv->blocks[tv->owner[p] - 1] : NULL;
		if (!b || !b->la)
			continue;
		uint64_t la = b->la + ((uint64_t)(p - b->pfn) << 12);
		int i = row_of(rows, n, la);
		if (i < 0)
			continue;
		rows[i].resident++;
		counts[i][((la - rows[i].start) >> 12) * VMA_BAR_BUCKETS / rows[i].pages]++;
	}
	for (int i = 0; i < n; i++)
		viewer_fill_bar(&rows[i], counts[i]);
	free(counts);
	return total;
}

void tv_vma_title(const struct trace_view *tv, char *buf, size_t len)
{
	const struct tv_vmas *tvv = &tv->vmas;
	const struct tv_vma_set *set = tvv_set_at(tvv, tv->at);
	bool last = set && set == &tvv->sets[tvv->nr_sets - 1];
	if (set)
		snprintf(buf, len, "VMAs as of event %llu: %u, resident/pages%s%s",
			 (unsigned long long)set->ev, set->count,
			 last && tvv->stopped ? "; later ones " : "",
			 last && tvv->stopped ? tvv->why : "");
	else if (tvv->nr_sets)
		snprintf(buf, len, "VMAs: none yet (the exec ends at event %llu)",
			 (unsigned long long)tvv->exec_ev);
	else
		snprintf(buf, len, "VMAs unknown: %s", tvv->why[0] ? tvv->why : "no exec seen");
}

void tv_event_text(const struct trace_view *tv, char *buf, size_t len)
{
	const struct trace_event *e = &tv->cur;
	if (!tv->at) {
		snprintf(buf, len, "before the first event");
		return;
	}
	int n = snprintf(buf, len, "#%llu %s", (unsigned long long)tv->at - 1,
			 trace_type_name(e->type));
	static const char *const kinds[4] = {"read", "write", "fetch", "?"};
	switch (e->type) {
	case TEV_ACCESS:
		snprintf(buf + n, len - (size_t)n, " %s la %#llx -> pa %#llx",
			 kinds[e->flags & MMU_KIND_MASK], (unsigned long long)e->la,
			 (unsigned long long)e->pa);
		break;
	case TEV_FAULT:
		snprintf(buf + n, len - (size_t)n, " %s la %#llx vector %u error %#x",
			 kinds[e->flags & MMU_KIND_MASK], (unsigned long long)e->la, e->vector,
			 e->error);
		break;
	case TEV_PF_DONE:
		snprintf(buf + n, len - (size_t)n, " la %#llx error %#x %s",
			 (unsigned long long)e->la, e->error, e->a ? "signal" : "fixed");
		break;
	case TEV_SYSCALL:
		snprintf(buf + n, len - (size_t)n, " nr %llu = %lld", (unsigned long long)e->a,
			 (long long)e->b);
		break;
	case TEV_PAGE:
		snprintf(buf + n, len - (size_t)n, " %s pfn %#llx order %llu",
			 e->evicted ? "free" : "alloc", (unsigned long long)e->a,
			 (unsigned long long)e->b);
		break;
	case TEV_WALK:
		snprintf(buf + n, len - (size_t)n, " la %#llx, %u entries",
			 (unsigned long long)e->la, e->nsteps);
		break;
	case TEV_CR:
		snprintf(buf + n, len - (size_t)n, " CR%llu = %#llx", (unsigned long long)e->a,
			 (unsigned long long)e->b);
		break;
	case TEV_EXT:
		if (e->sub == TEXT_PAGE_REF)
			snprintf(buf + n, len - (size_t)n, " page_ref: counts of %llu frames",
				 (unsigned long long)e->a);
		else
			snprintf(buf + n, len - (size_t)n, " %s", trace_ext_name(e->sub));
		break;
	default:
		break;
	}
}
