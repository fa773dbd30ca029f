/*
 * One trace event as bytes (docs/trace-format.md, "Events"): a tag byte (type in the low
 * four bits, a few type-specific bits in the high four), then LEB128 varints. Addresses of
 * accesses are deltas from the previous access of the same kind, and the physical address
 * is coded as the change of (pa - la), which stays 0 while a stream stays in one page: a
 * sequential stream costs about three bytes an access before compression.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu/trace.h"
#include "kernel-sim/trace_mm.h"

static const char *const type_names[TEV_NR_TYPES] = {
	"access", "fault",    "walk",  "tlb_fill", "cr",      "invlpg",  "invpcid",
	"features", "mode", "keyframe", "stats", "pf_done", "syscall", "end", "page", "ext",
};

static const char *const ext_names[TEXT_NR] = {
	"exec", "mm_op", "file", "uaccess", "lru", "reclaim", "swap", "sched_switch", "kstats",
	"fetch_run", "exception", "sys_work", "page_ref",
};

const char *trace_ext_name(unsigned sub)
{
	return sub < TEXT_NR ? ext_names[sub] : "ext?";
}

const char *trace_type_name(unsigned type)
{
	return type < TEV_NR_TYPES ? type_names[type] : "?";
}

/* ---- encoding ---- */

static uint8_t *put_uv(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Signed values as zigzag: small magnitudes of either sign stay short. */
static uint64_t zigzag(uint64_t v)
{
	int64_t s = (int64_t)v;
	return ((uint64_t)s << 1) ^ (uint64_t)(s >> 63);
}

static uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

static uint8_t *put_sv(uint8_t *p, uint64_t v)
{
	return put_uv(p, zigzag(v));
}

static uint8_t *put_entry(uint8_t *p, const struct tlb_entry *e)
{
	p = put_uv(p, e->vpn);
	p = put_uv(p, e->pa);
	p = put_uv(p, e->pcid);
	*p++ = e->shift;
	*p++ = e->page_shift;
	*p++ = e->flags;
	return p;
}

void trace_delta_reset(struct trace_delta *d)
{
	bool sized = d->sized;
	memset(d, 0, sizeof(*d));
	d->sized = sized;
}

/*
 * Format 1.1 codes an access's size with its pa delta, in the low three bits of one
 * varint: (zigzag(delta) << 3) | code, code 0..6 one of the common sizes below. Code 7
 * (also used when the shifted delta would not fit) is followed by the size and the delta
 * as two varints of their own. A stream inside one page costs no byte more than 1.0's.
 */
#define SIZE_ESCAPE 7
static const uint8_t size_of_code[SIZE_ESCAPE] = {0, 1, 2, 4, 8, 16, 10};

static const uint8_t code_of_size[17] = {0, 1, 2, 7, 3, 7, 7, 7, 4, 7, 6, 7, 7, 7, 7, 7, 5};

static unsigned size_code(unsigned size)
{
	return size <= 16 ? code_of_size[size] : SIZE_ESCAPE;
}

static uint8_t *put_sized_delta(uint8_t *p, uint64_t delta, unsigned size)
{
	uint64_t z = zigzag(delta);
	unsigned c = size_code(size);
	if (c != SIZE_ESCAPE && z < (1ULL << 61))
		return put_uv(p, z << 3 | c);
	p = put_uv(p, SIZE_ESCAPE);
	p = put_uv(p, size);
	return put_uv(p, z);
}

/*
 * Repeats (1.2). Accesses come in patterns: a loop's stores step by the same delta, and an
 * access often comes twice (a write checked by a probe, then made). An ACCESS of a kind
 * with the flags, size and pa - la of the last ACCESS of that kind is coded in its tag
 * alone when its la is the last one's plus the last delta (tag type 0, kind bits 3, the
 * kind in bits 7..6: REPEAT_DELTA) or the la before the last (type 1, same bits:
 * REPEAT_BACK). Both sides keep, per kind, the last two la (any ACCESS or FAULT) and
 * what the last ACCESS had; a FAULT of the kind makes a repeat wait for the next ACCESS.
 */
#define REPEAT_DELTA(kind) ((uint8_t)(TEV_ACCESS | ((kind) << 2 | 3) << 4))
#define REPEAT_BACK(kind) ((uint8_t)(TEV_FAULT | ((kind) << 2 | 3) << 4))

/* Two repeats of the same tag in a row (1.4), the probe and the store of a write or the
 * two halves of a 16-byte one, are one byte: REPEAT_DELTA(kind) twice is tag type 15 with
 * bits 7..4 kind << 2 | 3 (3f, 7f, bf), REPEAT_BACK(kind) twice the same with bits 5..4 2
 * (2f, 6f, af). */
#define PAIR_OF(tag) ((uint8_t)(((tag) & 0xc0) | ((tag) & 1 ? 0x2f : 0x3f)))

/* The rep_key of an ACCESS with flags (low four bits) and size. */
static inline uint32_t rep_key(unsigned flags, unsigned size)
{
	return flags | size << 8 | 1u << 16;
}

/* The tag of an ACCESS coded as a repeat, or 0. */
static inline uint8_t repeat_tag(const struct trace_kind_delta *k, unsigned kind, uint64_t la,
				 uint64_t off, uint32_t key)
{
	if (key != k->rep_key || off != k->off)
		return 0;
	if (la - k->la == k->rep_delta)
		return REPEAT_DELTA(kind);
	return la == k->la2 ? REPEAT_BACK(kind) : 0;
}

/* An ACCESS at la (coded either way): what a repeat of it needs. */
static inline void note_access(struct trace_kind_delta *k, uint64_t la, uint32_t key)
{
	k->rep_delta = la - k->la;
	k->la2 = k->la;
	k->la = la;
	k->rep_key = key;
}

static void note_fault(struct trace_kind_delta *k, uint64_t la)
{
	k->la2 = k->la;
	k->la = la;
	k->rep_key = 0;
}

/* An ACCESS or FAULT in full (not a repeat); returns the end. */
static uint8_t *put_translation(struct trace_delta *d, unsigned type, unsigned flags,
				unsigned size, uint64_t la, uint64_t pa, uint8_t *p)
{
	struct trace_kind_delta *k = &d->k[flags & MMU_KIND_MASK];
	*p++ = (uint8_t)(type | flags << 4);
	p = put_sv(p, la - k->la);
	if (type == TEV_FAULT) {
		*p++ = (uint8_t)(pa >> 32);
		p = put_uv(p, (uint32_t)pa);
		note_fault(k, la);
		return p;
	}
	uint64_t off = pa - la;
	if (d->sized)
		p = put_sized_delta(p, off - k->off, size);
	else /* format 1.0 */
		p = put_sv(p, off - k->off);
	k->off = off;
	note_access(k, la, rep_key(flags, size));
	return p;
}

/* An ACCESS or FAULT (pa: vector << 32 | error code) at p, as a repeat when it is one;
 * returns the end. */
static inline uint8_t *put_translation_or_repeat(struct trace_delta *d, unsigned type,
						 unsigned flags, unsigned size, uint64_t la,
						 uint64_t pa, uint8_t *p)
{
	unsigned kind = flags & MMU_KIND_MASK;
	struct trace_kind_delta *k = &d->k[kind];
	flags &= 0xf;
	if (type == TEV_ACCESS && d->sized) {
		uint32_t key = rep_key(flags, size);
		uint8_t tag = repeat_tag(k, kind, la, pa - la, key);
		if (tag) {
			*p = tag;
			note_access(k, la, key);
			return p + 1;
		}
	}
	return put_translation(d, type, flags, size, la, pa, p);
}

size_t trace_encode_translation(struct trace_delta *d, unsigned type, unsigned flags,
				unsigned size, uint64_t la, uint64_t pa, uint8_t *p)
{
	return (size_t)(put_translation_or_repeat(d, type, flags, size, la, pa, p) - p);
}

/* A PAGE_REF payload: the number of entries, then each entry's pfn (the first one's
 * absolute, the others' the step from the last, at least 1), refcount and mapcount. */
static uint8_t *put_page_refs(const struct trace_event *ev, uint8_t *p)
{
	uint64_t n = ev->a < TRACE_PAGE_REF_MAX ? ev->a : TRACE_PAGE_REF_MAX, last = 0;
	p = put_uv(p, n);
	for (uint64_t i = 0; i < n; i++) {
		const struct trace_page_ref *e = &ev->refs[i];
		p = put_uv(p, e->pfn - last);
		p = put_sv(p, (uint64_t)(int64_t)e->refcount);
		p = put_sv(p, (uint64_t)(int64_t)e->mapcount);
		last = e->pfn;
	}
	return p;
}

/* An EXT event's payload (after the subtype and length). */
static uint8_t *put_ext(const struct trace_event *ev, uint8_t *p)
{
	switch (ev->sub) {
	case TEXT_EXEC:
		p = put_uv(p, ev->a);
		p = put_uv(p, ev->b);
		p = put_uv(p, ev->c);
		p = put_uv(p, ev->d);
		return put_uv(p, ev->la);
	case TEXT_MM_OP:
		*p++ = (uint8_t)ev->a;
		p = put_sv(p, ev->b);
		p = put_uv(p, ev->c);
		*p++ = ev->nsteps;
		for (unsigned i = 0; i < ev->nsteps && i < TRACE_MAX_ARGS; i++)
			p = put_uv(p, ev->arg[i]);
		return p;
	case TEXT_FILE:
		p = put_uv(p, ev->a);
		p = put_uv(p, ev->b);
		*p++ = (uint8_t)ev->c;
		__attribute__((fallthrough)); /* the name, as a text */
	case TEXT_KSTATS:
		p = put_uv(p, ev->text_len);
		memcpy(p, ev->text, ev->text_len);
		return p + ev->text_len;
	case TEXT_UACCESS: *p++ = ev->flags; return put_uv(p, ev->la);
	case TEXT_LRU:
		p = put_uv(p, ev->a);
		*p++ = (uint8_t)ev->b;
		*p++ = (uint8_t)ev->c;
		return p;
	case TEXT_RECLAIM:
		*p++ = (uint8_t)ev->a;
		*p++ = (uint8_t)ev->b;
		p = put_uv(p, ev->c);
		return put_uv(p, ev->d);
	case TEXT_SWAP:
		*p++ = ev->evicted;
		p = put_uv(p, ev->a);
		return put_uv(p, ev->b);
	case TEXT_SCHED: p = put_uv(p, ev->a); return put_uv(p, ev->b);
	case TEXT_SYS_WORK: *p++ = (uint8_t)ev->a; return p;
	case TEXT_PAGE_REF: return put_page_refs(ev, p);
	case TEXT_EXCEPTION:
		*p++ = ev->vector;
		p = put_uv(p, ev->error);
		p = put_uv(p, ev->la);
		*p++ = (uint8_t)ev->a;
		return p;
	}
	return p;
}

/* A FETCH_RUN, the commonest EXT event: its payload is a few bytes, so its length takes
 * one; the page and frame are deltas from the previous run's. */
static uint8_t *put_fetch_run(struct trace_delta *d, uint64_t la, uint64_t pa, uint64_t count,
			      uint8_t *p)
{
	uint8_t *len = p++;
	uint64_t page = la >> 12, frame = pa >> 12;
	uint8_t *end = put_sv(p, page - d->run_page);
	end = put_sv(end, frame - d->run_frame);
	end = put_uv(end, count);
	d->run_page = page;
	d->run_frame = frame;
	d->run_valid = true;
	*len = (uint8_t)(end - p); /* at most 30 */
	return end;
}

/* The tag of a fetch run on the last run's page and frame (1.2): followed by its count
 * alone. (Tag type 0, access kind bits 3 and bits 7..6 3: no access kind.) */
#define SHORT_RUN_TAG 0xf0
/* The tag of a fetch run on the last run's page and frame with its count too (1.4): the
 * run between two data accesses of a loop, one instruction or a few, over and over.
 * (Tag type 1, access kind bits 3 and bits 7..6 3: no access kind.) */
#define SAME_RUN_TAG 0xf1

/* trace_encode_fetch_run, at p; returns the end. */
static inline uint8_t *put_run(struct trace_delta *d, uint64_t la, uint64_t pa, uint64_t count,
			       uint8_t *p)
{
	if (d->run_valid && la >> 12 == d->run_page && pa >> 12 == d->run_frame) {
		if (count == d->run_count) {
			*p = SAME_RUN_TAG;
			return p + 1;
		}
		d->run_count = count;
		*p = SHORT_RUN_TAG; /* on the last one's page: two bytes or so */
		return put_uv(p + 1, count);
	}
	d->run_count = count;
	p[0] = TEV_EXT;
	p[1] = TEXT_FETCH_RUN;
	return put_fetch_run(d, la, pa, count, p + 2);
}

size_t trace_encode_fetch_run(struct trace_delta *d, uint64_t la, uint64_t pa, uint64_t count,
			      uint8_t *p)
{
	return (size_t)(put_run(d, la, pa, count, p) - p);
}

static uint8_t *put_body(struct trace_delta *d, const struct trace_event *ev, uint8_t *p)
{
	switch (ev->type) {
	case TEV_EXT: {
		*p++ = ev->sub;
		/* The length always takes two varint bytes, so it is written after the payload. */
		uint8_t *len = p;
		uint8_t *end = put_ext(ev, p + 2);
		size_t n = (size_t)(end - len - 2);
		len[0] = (uint8_t)(n | 0x80);
		len[1] = (uint8_t)(n >> 7);
		return end;
	}
	case TEV_ACCESS:
	case TEV_FAULT: return p; /* trace_encode_translation */
	case TEV_WALK:
		p = put_sv(p, ev->la - d->walk_la);
		d->walk_la = ev->la;
		*p++ = ev->nsteps;
		for (unsigned i = 0; i < ev->nsteps; i++) {
			*p++ = ev->step[i].level;
			p = put_uv(p, ev->step[i].entry_pa);
			p = put_uv(p, ev->step[i].entry);
		}
		return p;
	case TEV_TLB_FILL:
		*p++ = ev->array;
		p = put_entry(p, &ev->fill);
		return ev->evicted ? put_entry(p, &ev->victim) : p;
	case TEV_CR: *p++ = (uint8_t)ev->a; return put_uv(p, ev->b);
	case TEV_INVLPG: return put_uv(p, ev->la);
	case TEV_INVPCID:
		p = put_uv(p, ev->a);
		p = put_uv(p, ev->b);
		return put_uv(p, ev->la);
	case TEV_FEATURES: *p++ = (uint8_t)ev->a; *p++ = (uint8_t)ev->b; return p;
	case TEV_MODE: return p;
	case TEV_KEYFRAME:
		p = put_uv(p, ev->a);
		p = put_uv(p, ev->b);
		p = put_uv(p, ev->c);
		p = put_uv(p, ev->d);
		*p++ = (uint8_t)(ev->cpl | ev->ac << 2);
		return p;
	case TEV_STATS:
		p = put_uv(p, ev->text_len);
		memcpy(p, ev->text, ev->text_len);
		return p + ev->text_len;
	case TEV_PF_DONE:
		p = put_uv(p, ev->la);
		p = put_uv(p, ev->error);
		return put_uv(p, ev->a);
	case TEV_SYSCALL: p = put_uv(p, ev->a); return put_sv(p, ev->b);
	case TEV_END: p = put_uv(p, ev->a); return put_sv(p, ev->b);
	case TEV_PAGE:
		p = put_uv(p, ev->a);
		*p++ = (uint8_t)ev->b;
		if (ev->evicted)
			return p;
		p = put_uv(p, ev->c);
		p = put_uv(p, ev->d);
		*p++ = ev->cpl;
		*p++ = ev->ac;
		*p++ = ev->vector;
		return p;
	}
	return p;
}

/* The high nibble of the tag byte: access flags, or CPL and AC for MODE, evicted for
 * TLB_FILL. */
static uint8_t tag_bits(const struct trace_event *ev)
{
	switch (ev->type) {
	case TEV_ACCESS:
	case TEV_FAULT: return ev->flags & 0xf;
	case TEV_MODE: return (uint8_t)((ev->cpl & 3) | (ev->ac ? 4 : 0));
	case TEV_TLB_FILL:
	case TEV_PAGE: return ev->evicted ? 1 : 0;
	default: return 0;
	}
}

size_t trace_encode(struct trace_delta *d, const struct trace_event *ev, uint8_t *p)
{
	uint8_t *start = p;
	if (ev->type == TEV_ACCESS)
		return trace_encode_translation(d, ev->type, ev->flags, ev->size, ev->la, ev->pa, p);
	if (ev->type == TEV_FAULT)
		return trace_encode_translation(d, ev->type, ev->flags, 0, ev->la,
						(uint64_t)ev->vector << 32 | ev->error, p);
	if (ev->type == TEV_KEYFRAME)
		trace_delta_reset(d);
	if (ev->type == TEV_EXT && ev->sub == TEXT_FETCH_RUN)
		return trace_encode_fetch_run(d, ev->la, ev->pa, ev->a, p);
	*p++ = (uint8_t)(ev->type | tag_bits(ev) << 4);
	return (size_t)(put_body(d, ev, p) - start);
}

/* The recorder's loop. It works on a copy of the delta state: the bytes it stores could
 * alias *d, but not a local whose address does not escape, so the compiler keeps the state
 * in registers and on the stack instead of reading it again after every byte. A repeat
 * (put_translation_or_repeat) is spelled out: it leaves the key, and a REPEAT_DELTA the
 * delta, as they were. */
unsigned trace_encode_batch(struct trace_delta *d, const struct mmu_trace_access *a, unsigned n,
			    uint8_t *p, size_t *len, size_t limit, unsigned *runs)
{
	struct trace_delta s = *d;
	uint8_t *q = p + *len, *end = p + limit;
	uint8_t *single = NULL; /* just after a repeat's tag that a second one would pair */
	const struct mmu_trace_access *e = a, *last = a + n;
	unsigned nruns = 0;
	for (; e < last && q < end; e++) {
		if (e->count) {
			q = put_run(&s, e->la, e->pa, e->count, q);
			nruns++;
			continue;
		}
		unsigned kind = e->flags & MMU_KIND_MASK;
		struct trace_kind_delta *k = &s.k[kind];
		uint64_t la = e->la;
		if (rep_key(e->flags & 0xf, e->size) == k->rep_key && e->pa - la == k->off &&
		    s.sized) {
			uint64_t delta = la - k->la;
			uint8_t tag, pair;
			if (delta == k->rep_delta) {
				tag = REPEAT_DELTA(kind);
				pair = PAIR_OF(REPEAT_DELTA(kind));
			} else if (la == k->la2) {
				tag = REPEAT_BACK(kind);
				pair = PAIR_OF(REPEAT_BACK(kind));
				k->rep_delta = delta;
			} else {
				goto full;
			}
			k->la2 = k->la;
			k->la = la;
			if (q == single && q[-1] == tag) {
				q[-1] = pair;
				single = NULL;
			} else {
				*q++ = tag;
				single = q;
			}
			continue;
		}
full:
		q = put_translation(&s, TEV_ACCESS, e->flags & 0xf, e->size, la, e->pa, q);
	}
	*d = s;
	*len = (size_t)(q - p);
	*runs += nruns;
	return (unsigned)(e - a);
}

/* ---- decoding: every read checked against end ---- */

struct cursor {
	const uint8_t *p, *end;
	bool bad; /* ran past end or read a malformed varint */
};

static uint64_t get_uv_long(struct cursor *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true; /* more than ten bytes */
	return 0;
}

/* Most varints of a trace are one byte: that case inline, the rest out of line. */
static inline uint64_t get_uv(struct cursor *c)
{
	if (__builtin_expect(c->p < c->end && *c->p < 0x80, 1))
		return *c->p++;
	return get_uv_long(c);
}

static uint64_t get_sv(struct cursor *c)
{
	return unzigzag(get_uv(c));
}

/* The pa delta of an ACCESS and, in format 1.1, its size (put_sized_delta). */
static inline uint64_t get_off(const struct trace_delta *d, struct cursor *c,
			       struct trace_event *ev)
{
	ev->size = 0;
	if (!d->sized)
		return get_sv(c);
	uint64_t z = get_uv(c);
	if ((z & 7) != SIZE_ESCAPE) {
		ev->size = size_of_code[z & 7];
		return unzigzag(z >> 3);
	}
	uint64_t size = get_uv(c);
	c->bad |= z != SIZE_ESCAPE || size > 255;
	ev->size = (uint8_t)size;
	return get_sv(c);
}

static uint8_t get_u8(struct cursor *c)
{
	if (c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

static void get_entry(struct cursor *c, struct tlb_entry *e)
{
	*e = (struct tlb_entry){0};
	e->vpn = get_uv(c);
	e->pa = get_uv(c);
	uint64_t pcid = get_uv(c);
	e->shift = get_u8(c);
	e->page_shift = get_u8(c);
	e->flags = get_u8(c);
	if (pcid > 4095 || e->shift > 63 || e->page_shift > 63)
		c->bad = true;
	e->pcid = (uint16_t)pcid;
}

/* A repeated ACCESS of kind (repeat_tag): la its own, the rest the last one's. -1 when
 * there is nothing to repeat. */
static int get_repeat(struct trace_delta *d, unsigned kind, uint64_t la, struct trace_event *ev)
{
	struct trace_kind_delta *k = &d->k[kind];
	if (!k->rep_key)
		return -1;
	ev->type = TEV_ACCESS;
	ev->flags = (uint8_t)k->rep_key;
	ev->size = (uint8_t)(k->rep_key >> 8);
	ev->la = la;
	ev->pa = la + k->off;
	note_access(k, la, k->rep_key);
	return 0;
}

static void get_access(struct trace_delta *d, struct cursor *c, struct trace_event *ev)
{
	unsigned kind = ev->flags & MMU_KIND_MASK;
	if (kind == 3 && ev->type == TEV_FAULT) { /* REPEAT_BACK */
		kind = ev->flags >> 2;
		c->bad |= kind > MMU_FETCH || get_repeat(d, kind, d->k[kind].la2, ev) < 0;
		return;
	}
	if (kind > MMU_FETCH) {
		c->bad = true;
		return;
	}
	struct trace_kind_delta *k = &d->k[kind];
	uint64_t la = k->la + get_sv(c);
	ev->la = la;
	if (ev->type == TEV_ACCESS) {
		k->off += get_off(d, c, ev);
		ev->pa = la + k->off;
		note_access(k, la, rep_key(ev->flags, ev->size));
	} else {
		note_fault(k, la);
		ev->vector = get_u8(c);
		uint64_t e = get_uv(c);
		if (e > UINT32_MAX || ev->vector > 31)
			c->bad = true;
		ev->error = (uint32_t)e;
	}
}

static void get_walk(struct trace_delta *d, struct cursor *c, struct trace_event *ev)
{
	ev->la = d->walk_la += get_sv(c);
	ev->nsteps = get_u8(c);
	if (ev->nsteps > PG_NR_LEVELS) {
		c->bad = true;
		return;
	}
	for (unsigned i = 0; i < ev->nsteps; i++) {
		ev->step[i].level = get_u8(c);
		ev->step[i].entry_pa = get_uv(c);
		ev->step[i].entry = get_uv(c);
		if (ev->step[i].level >= PG_NR_LEVELS)
			c->bad = true;
	}
}

static void get_text(struct cursor *c, struct trace_event *ev)
{
	uint64_t n = get_uv(c);
	if (c->bad || n > TRACE_TEXT_MAX || n > (uint64_t)(c->end - c->p)) {
		c->bad = true;
		return;
	}
	ev->text = (const char *)c->p;
	ev->text_len = (uint32_t)n;
	c->p += n;
}

static void get_page(struct cursor *c, struct trace_event *ev)
{
	ev->a = get_uv(c);
	ev->b = get_u8(c);
	c->bad |= ev->b >= 32;
	if (ev->evicted)
		return;
	ev->c = get_uv(c);
	ev->d = get_uv(c);
	ev->cpl = get_u8(c);
	ev->ac = get_u8(c);
	ev->vector = get_u8(c);
}

/* One PAGE_REF entry (put_page_refs) after the one at frame last (first: none). */
static void get_page_ref(struct cursor *c, uint64_t last, bool first, struct trace_page_ref *e)
{
	uint64_t step = get_uv(c);
	int64_t ref = (int64_t)get_sv(c), map = (int64_t)get_sv(c);
	e->pfn = last + step;
	e->refcount = (int32_t)ref;
	e->mapcount = (int32_t)map;
	c->bad |= (!first && step == 0) || step >> 40 || e->pfn >> 40 || ref != e->refcount ||
		  map != e->mapcount;
}

/* A PAGE_REF payload, every entry checked (pfns ascending, below 2^40; counts in int32);
 * the entries stay in the buffer for trace_page_refs_next. */
static void get_page_refs(struct cursor *c, struct trace_event *ev)
{
	ev->a = get_uv(c);
	c->bad |= ev->a == 0 || ev->a > TRACE_PAGE_REF_MAX;
	ev->text = (const char *)c->p;
	struct trace_page_ref e = {0};
	for (uint64_t i = 0; i < ev->a && !c->bad; i++)
		get_page_ref(c, e.pfn, i == 0, &e);
	ev->text_len = (uint32_t)((const char *)c->p - ev->text);
}

void trace_page_refs_begin(struct trace_page_refs_iter *it, const struct trace_event *ev)
{
	it->p = (const uint8_t *)ev->text;
	it->end = it->p + ev->text_len;
	it->pfn = 0;
	it->first = true;
}

bool trace_page_refs_next(struct trace_page_refs_iter *it, struct trace_page_ref *out)
{
	if (it->p >= it->end)
		return false;
	struct cursor c = {it->p, it->end, false};
	get_page_ref(&c, it->pfn, it->first, out);
	if (c.bad) /* not a payload get_page_refs accepted */
		return false;
	it->p = c.p;
	it->pfn = out->pfn;
	it->first = false;
	return true;
}

/* An EXT payload of a known subtype; fields past the ones this version knows are
 * skipped by the caller, so a later minor version may append some. */
static void get_ext_payload(struct cursor *c, struct trace_event *ev)
{
	switch (ev->sub) {
	case TEXT_EXEC:
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		ev->c = get_uv(c);
		ev->d = get_uv(c);
		ev->la = get_uv(c);
		break;
	case TEXT_MM_OP:
		ev->a = get_u8(c);
		ev->b = get_sv(c);
		ev->c = get_uv(c);
		ev->nsteps = get_u8(c);
		c->bad |= ev->a >= MM_OP_NR || ev->nsteps > TRACE_MAX_ARGS;
		for (unsigned i = 0; i < ev->nsteps && !c->bad; i++)
			ev->arg[i] = get_uv(c);
		break;
	case TEXT_FILE:
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		ev->c = get_u8(c);
		get_text(c, ev);
		c->bad |= ev->a == 0 || ev->c > TRACE_FILE_SHMEM || ev->text_len > TRACE_NAME_MAX;
		break;
	case TEXT_KSTATS: get_text(c, ev); break;
	case TEXT_UACCESS:
		ev->flags = get_u8(c);
		ev->la = get_uv(c);
		c->bad |= ev->flags > MMU_WRITE;
		break;
	case TEXT_LRU:
		ev->a = get_uv(c);
		ev->b = get_u8(c);
		ev->c = get_u8(c);
		c->bad |= ev->b > 5 || ev->c > 5;
		break;
	case TEXT_RECLAIM:
		ev->a = get_u8(c);
		ev->b = get_u8(c);
		ev->c = get_uv(c);
		ev->d = get_uv(c);
		c->bad |= ev->a > 1;
		break;
	case TEXT_SWAP: {
		uint8_t in = get_u8(c);
		ev->evicted = in;
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		c->bad |= in > 1;
		break;
	}
	case TEXT_SCHED:
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		break;
	case TEXT_SYS_WORK:
		ev->a = get_u8(c);
		c->bad |= ev->a > 1;
		break;
	case TEXT_PAGE_REF: get_page_refs(c, ev); break;
	case TEXT_EXCEPTION: {
		ev->vector = get_u8(c);
		uint64_t e = get_uv(c);
		ev->error = (uint32_t)e;
		ev->la = get_uv(c);
		ev->a = get_u8(c);
		c->bad |= ev->vector > 31 || e > UINT32_MAX || ev->a > 64;
		break;
	}
	}
}

/* A FETCH_RUN's payload (put_fetch_run). */
static void get_fetch_run(struct trace_delta *d, struct cursor *c, struct trace_event *ev)
{
	uint64_t page = d->run_page + get_sv(c), frame = d->run_frame + get_sv(c);
	ev->a = get_uv(c);
	ev->flags = MMU_FETCH;
	ev->la = page << 12;
	ev->pa = frame << 12;
	c->bad |= page >> 52 || frame >> 40 || ev->a == 0 || ev->a > UINT32_MAX;
	d->run_page = page;
	d->run_frame = frame;
	d->run_count = ev->a;
	d->run_valid = true;
}

/* A SHORT_RUN_TAG's fetch run (the last run's page and frame, its count) or a
 * SAME_RUN_TAG's (the last run's count too). */
static int get_short_run(struct trace_delta *d, struct cursor *c, uint8_t tag,
			 const uint8_t **p, struct trace_event *ev)
{
	memset(ev, 0, offsetof(struct trace_event, fill));
	ev->type = TEV_EXT;
	ev->sub = TEXT_FETCH_RUN;
	ev->flags = MMU_FETCH;
	ev->la = d->run_page << 12;
	ev->pa = d->run_frame << 12;
	ev->a = tag == SAME_RUN_TAG ? d->run_count : get_uv(c);
	if (c->bad || !d->run_valid || ev->a == 0 || ev->a > UINT32_MAX)
		return -1;
	d->run_count = ev->a;
	*p = c->p;
	return 0;
}

static void get_ext(struct trace_delta *d, struct cursor *c, struct trace_event *ev)
{
	ev->sub = get_u8(c);
	uint64_t n = get_uv(c);
	if (c->bad || n > TRACE_EXT_MAX || n > (uint64_t)(c->end - c->p)) {
		c->bad = true;
		return;
	}
	struct cursor pc = {c->p, c->p + n, false};
	if (ev->sub == TEXT_FETCH_RUN)
		get_fetch_run(d, &pc, ev);
	else
		get_ext_payload(&pc, ev);
	c->bad |= pc.bad;
	c->p += n;
}

static void get_body(struct trace_delta *d, struct cursor *c, struct trace_event *ev)
{
	switch (ev->type) {
	case TEV_EXT: get_ext(d, c, ev); break;
	case TEV_ACCESS:
	case TEV_FAULT: get_access(d, c, ev); break;
	case TEV_WALK: get_walk(d, c, ev); break;
	case TEV_TLB_FILL:
		ev->array = get_u8(c);
		get_entry(c, &ev->fill);
		if (ev->evicted)
			get_entry(c, &ev->victim);
		c->bad |= ev->array >= TLB_NR_ARRAYS;
		break;
	case TEV_CR:
		ev->a = get_u8(c);
		ev->b = get_uv(c);
		c->bad |= !(ev->a == 0 || ev->a == 3 || ev->a == 4 || ev->a == 8);
		break;
	case TEV_INVLPG: ev->la = get_uv(c); break;
	case TEV_INVPCID:
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		ev->la = get_uv(c);
		break;
	case TEV_FEATURES:
		ev->a = get_u8(c);
		ev->b = get_u8(c);
		c->bad |= ev->a < 32 || ev->a > 52 || ev->b > 1;
		break;
	case TEV_MODE: break;
	case TEV_KEYFRAME: {
		ev->a = get_uv(c);
		ev->b = get_uv(c);
		ev->c = get_uv(c);
		ev->d = get_uv(c);
		uint8_t m = get_u8(c);
		ev->cpl = m & 3;
		ev->ac = (m >> 2) & 1;
		c->bad |= m > 7;
		break;
	}
	case TEV_STATS: get_text(c, ev); break;
	case TEV_PF_DONE: {
		ev->la = get_uv(c);
		uint64_t e = get_uv(c);
		ev->error = (uint32_t)e;
		ev->a = get_uv(c);
		c->bad |= e > UINT32_MAX || ev->a > TRACE_PF_SIGNAL;
		break;
	}
	case TEV_SYSCALL:
	case TEV_END:
		ev->a = get_uv(c);
		ev->b = get_sv(c);
		break;
	case TEV_PAGE: get_page(c, ev); break;
	default: c->bad = true;
	}
}

/* Unpacks the tag byte's high nibble; false when it has bits the type does not use. */
static bool set_tag_bits(struct trace_event *ev, unsigned bits)
{
	switch (ev->type) {
	case TEV_ACCESS:
	case TEV_FAULT: ev->flags = (uint8_t)bits; return true;
	case TEV_MODE:
		ev->cpl = bits & 3;
		ev->ac = (bits >> 2) & 1;
		return bits < 8;
	case TEV_TLB_FILL:
	case TEV_PAGE: ev->evicted = bits & 1; return bits < 2;
	default: return bits == 0;
	}
}

/* The commonest event, without clearing the rest of *ev: the fields ACCESS has, and the
 * few others a reader might look at whatever the type, are set. */
static int decode_access(struct trace_delta *d, struct cursor *c, uint8_t tag,
			 const uint8_t **p, struct trace_event *ev)
{
	unsigned kind = (tag >> 4) & MMU_KIND_MASK;
	ev->cpl = ev->ac = ev->vector = 0;
	ev->error = 0;
	ev->a = ev->b = 0;
	if (tag == SHORT_RUN_TAG)
		return get_short_run(d, c, tag, p, ev);
	if (kind == 3) { /* REPEAT_DELTA */
		kind = tag >> 6;
		if (kind > MMU_FETCH ||
		    get_repeat(d, kind, d->k[kind].la + d->k[kind].rep_delta, ev) < 0)
			return -1;
		*p = c->p;
		return 0;
	}
	struct trace_kind_delta *k = &d->k[kind];
	ev->type = TEV_ACCESS;
	ev->flags = tag >> 4;
	uint64_t la = k->la + get_sv(c);
	k->off += get_off(d, c, ev);
	ev->la = la;
	ev->pa = la + k->off;
	if (c->bad)
		return -1;
	note_access(k, la, rep_key(ev->flags, ev->size));
	*p = c->p;
	return 0;
}

/* An event of a pair: the repeated ACCESS of tag single (REPEAT_DELTA or REPEAT_BACK of its
 * kind), set up as decode_access sets one up. */
static int decode_pair_event(struct trace_delta *d, uint8_t single, struct trace_event *ev)
{
	unsigned kind = single >> 6;
	const struct trace_kind_delta *k = &d->k[kind];
	ev->cpl = ev->ac = ev->vector = 0;
	ev->error = 0;
	ev->a = ev->b = 0;
	return get_repeat(d, kind, single & 1 ? k->la2 : k->la + k->rep_delta, ev);
}

/* The first event of the pair tag at *p; the second is decoded next (pair_next). */
static int decode_pair(struct trace_delta *d, const uint8_t **p, uint8_t tag,
		       struct trace_event *ev)
{
	uint8_t single = (uint8_t)((tag & 0xc0) | ((tag >> 4) & 1 ? 0x30 : 0x31));
	if (decode_pair_event(d, single, ev) < 0)
		return -1;
	d->pair_next = single;
	(*p)++;
	return 0;
}

/* The second event of a pair. */
static int decode_pair_second(struct trace_delta *d, struct trace_event *ev)
{
	uint8_t single = d->pair_next;
	d->pair_next = 0;
	return decode_pair_event(d, single, ev);
}

int trace_decode(struct trace_delta *d, const uint8_t **p, const uint8_t *end,
		 struct trace_event *ev)
{
	if (__builtin_expect(d->pair_next != 0, 0))
		return decode_pair_second(d, ev);
	struct cursor c = {*p, end, false};
	uint8_t tag = get_u8(&c);
	if ((tag & 0xf) == TEV_ACCESS && !c.bad)
		return decode_access(d, &c, tag, p, ev);
	if (tag == SAME_RUN_TAG)
		return get_short_run(d, &c, tag, p, ev);
	if ((tag & 0x2f) == 0x2f && tag < 0xc0) /* a pair (1.4) */
		return decode_pair(d, p, tag, ev);
	memset(ev, 0, offsetof(struct trace_event, fill));
	ev->type = tag & 0xf;
	if (c.bad || ev->type >= TEV_NR_TYPES || !set_tag_bits(ev, tag >> 4))
		return -1;
	if (ev->type == TEV_KEYFRAME)
		trace_delta_reset(d);
	get_body(d, &c, ev);
	if (c.bad)
		return -1;
	*p = c.p;
	return 0;
}

char *trace_event_text_dup(const struct trace_event *ev)
{
	char *copy = malloc(ev->text_len + 1);
	if (copy) {
		memcpy(copy, ev->text, ev->text_len);
		copy[ev->text_len] = '\0';
	}
	return copy;
}
