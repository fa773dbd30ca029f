/*
 * The writer thread's half of a recording (trace_record.h): the records of
 * trace_records.h become the file's events. A chunk always starts with a KEYFRAME (the
 * control registers, CPL and AC at that point) so that a reader can start there; CPL and
 * AC changes are written as MODE events before the first translation they apply to,
 * rather than in every access. Both follow the mode state that STATE records carry, which
 * is the MMU's at the moment the recording thread made the next record: the events are
 * what a writer in the recording thread would have written then.
 */
#include <string.h>

#include "emu/trace_records.h"
#include "kernel-sim/bug.h"

/* Starts a chunk with the state a reader needs to begin there. */
static void keyframe(struct trace_recorder *rec)
{
	const struct trace_mode_state *s = &rec->mode;
	struct trace_event ev = {.type = TEV_KEYFRAME, .a = s->cr0, .b = s->cr3, .c = s->cr4,
				 .d = s->efer, .cpl = s->cpl, .ac = s->ac};
	rec->mode_known = false;
	trace_writer_event(&rec->w, &ev);
	rec->counts[TEV_KEYFRAME]++;
}

/* Writes ev, after a keyframe when it starts a chunk. */
static void put_event(struct trace_recorder *rec, const struct trace_event *ev)
{
	if (rec->w.chunk_fresh)
		keyframe(rec);
	trace_writer_event(&rec->w, ev);
	rec->counts[ev->type]++;
}

/* A MODE event when CPL or AC differ from the last one written. */
static void sync_mode(struct trace_recorder *rec)
{
	const struct trace_mode_state *s = &rec->mode;
	if (rec->w.chunk_fresh)
		keyframe(rec);
	if (rec->mode_known && rec->cpl == s->cpl && rec->ac == s->ac)
		return;
	rec->cpl = s->cpl;
	rec->ac = s->ac;
	rec->mode_known = true;
	put_event(rec, &(struct trace_event){.type = TEV_MODE, .cpl = s->cpl, .ac = s->ac});
}

/* The MMU's batch a[0..n): translations and fetch runs, encoded in one loop. */
static void write_batch(struct trace_recorder *rec, const struct mmu_trace_access *a, unsigned n)
{
	for (unsigned i = 0; i < n;) {
		sync_mode(rec); /* the mode, and a keyframe first in a new chunk */
		unsigned runs = 0, done = trace_writer_batch(&rec->w, a + i, n - i, &runs);
		rec->counts[TEV_ACCESS] += done - runs;
		rec->counts[TEV_EXT] += runs;
		i += done;
	}
}

static void write_translation(struct trace_recorder *rec, const struct trace_rec_translation *t)
{
	sync_mode(rec);
	trace_writer_translation(&rec->w, t->type, t->flags, t->size, t->la, t->pa);
	rec->counts[t->type]++;
}

static void write_fetch_run(struct trace_recorder *rec, const struct trace_rec_fetch_run *f)
{
	sync_mode(rec);
	trace_writer_fetch_run(&rec->w, f->la, f->pa, f->count);
	rec->counts[TEV_EXT]++;
}

/* An EVENT record: the event rebuilt (its unused tail zero, as the recording thread's
 * was), its text and entries pointing into the record (the pointers it was made with
 * are the recording thread's, and gone). */
static void write_event(struct trace_recorder *rec, const struct trace_rec_event *r)
{
	const uint8_t *p = (const uint8_t *)(r + 1);
	struct trace_event ev;
	BUG_ON(r->ev_len > sizeof(ev));
	memcpy(&ev, p, r->ev_len);
	memset((uint8_t *)&ev + r->ev_len, 0, sizeof(ev) - r->ev_len);
	p += trace_rec_align(r->ev_len);
	ev.text = (const char *)p; /* read only by the events that have one */
	p += trace_rec_align(r->text_len);
	ev.refs = (const struct trace_page_ref *)p;
	put_event(rec, &ev);
}

void trace_record_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct trace_recorder *rec = ctx;
	const uint8_t *p = buf, *end = buf + len;
	while (p < end) {
		const struct trace_rec *h = (const struct trace_rec *)p;
		BUG_ON(h->len < sizeof(*h) || h->len > (size_t)(end - p));
		switch (h->kind) {
		case TREC_STATE: rec->mode = ((const struct trace_rec_state *)h)->s; break;
		case TREC_BATCH: {
			const struct trace_rec_batch *b = (const struct trace_rec_batch *)h;
			rec->mode = b->s;
			write_batch(rec, (const struct mmu_trace_access *)(b + 1), h->n);
			break;
		}
		case TREC_TRANSLATION:
			write_translation(rec, (const struct trace_rec_translation *)h);
			break;
		case TREC_FETCH_RUN: write_fetch_run(rec, (const struct trace_rec_fetch_run *)h); break;
		case TREC_EVENT: write_event(rec, (const struct trace_rec_event *)h); break;
		default: BUG();
		}
		p += h->len;
	}
}
