/*
 * One trace event as bytes: every type survives encode -> decode with all its fields;
 * malformed bytes (unknown types, stray tag bits, fields out of range, cut short) are
 * refused without reading past the end; format 1.1's sized EXT events are skipped when
 * their subtype is unknown and read when they carry more fields than this version knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/trace.h"

/* A sample of each type, with values chosen by hand to use the full width of fields. */
static int sample_events(struct trace_event *ev)
{
	int n = 0;
	ev[n++] = (struct trace_event){.type = TEV_KEYFRAME, .a = 0x80050033, .b = 0x1234000,
				       .c = 0x6a0, .d = 0xd01, .cpl = 3, .ac = 1};
	ev[n++] = (struct trace_event){.type = TEV_MODE, .cpl = 3, .ac = 0};
	ev[n++] = (struct trace_event){.type = TEV_ACCESS, .flags = MMU_FETCH, .la = 0x401000,
				       .pa = 0x7654321};
	ev[n++] = (struct trace_event){.type = TEV_ACCESS, .flags = MMU_FETCH, .la = 0x401003,
				       .pa = 0x7654324};
	ev[n++] = (struct trace_event){.type = TEV_ACCESS, .flags = MMU_WRITE | MMU_STACK,
				       .la = 0x7fffffffe000, .pa = 0x1000};
	ev[n++] = (struct trace_event){.type = TEV_ACCESS, .flags = MMU_READ | MMU_IMPLICIT,
				       .la = 0xffffffffff5fe000ULL, .pa = 0x3000};
	ev[n++] = (struct trace_event){.type = TEV_FAULT, .flags = MMU_WRITE, .la = 0x600000,
				       .vector = 14, .error = 0x6};
	struct trace_event w = {.type = TEV_WALK, .la = 0x600000, .nsteps = 4};
	for (int i = 0; i < 4; i++)
		w.step[i] = (struct mmu_walk_step){.level = (uint8_t)(PG_PML4 + i),
						   .entry_pa = 0x100000 + 8 * (uint64_t)i,
						   .entry = 0x8000000000000067ULL + ((uint64_t)i << 12)};
	ev[n++] = w;
	struct trace_event fill = {.type = TEV_TLB_FILL, .array = TLB_L2, .evicted = true};
	fill.fill = (struct tlb_entry){.vpn = 0x600, .pa = 0x9000, .pcid = 4095, .shift = 12,
				       .page_shift = 21, .flags = 0x3f};
	fill.victim = (struct tlb_entry){.vpn = 0xfffffffff, .pa = 0, .pcid = 1, .shift = 30,
					 .page_shift = 30, .flags = 1};
	ev[n++] = fill;
	ev[n++] = (struct trace_event){.type = TEV_TLB_FILL, .array = TLB_PWC_PDE,
				       .fill = {.vpn = 3, .pa = 0x5000, .shift = 21, .page_shift = 21,
						.flags = 1}};
	ev[n++] = (struct trace_event){.type = TEV_CR, .a = 3, .b = 0x8000000000001005ULL};
	ev[n++] = (struct trace_event){.type = TEV_INVLPG, .la = 0x7f0000001000};
	ev[n++] = (struct trace_event){.type = TEV_INVPCID, .a = 1, .b = 17, .la = 0};
	ev[n++] = (struct trace_event){.type = TEV_FEATURES, .a = 46, .b = 1};
	ev[n++] = (struct trace_event){.type = TEV_STATS, .text = "walks 3\n", .text_len = 8};
	ev[n++] = (struct trace_event){.type = TEV_PF_DONE, .la = 0x600000, .error = 6,
				       .a = TRACE_PF_SIGNAL};
	ev[n++] = (struct trace_event){.type = TEV_SYSCALL, .a = 231, .b = (uint64_t)-14};
	ev[n++] = (struct trace_event){.type = TEV_END, .a = 1, .b = 11};
	ev[n++] = (struct trace_event){.type = TEV_PAGE, .a = 0x3fffff, .b = 10, .c = 0x400dc0,
				       .d = 42, .cpl = 1, .ac = 2, .vector = 3};
	ev[n++] = (struct trace_event){.type = TEV_PAGE, .a = 0x1234, .b = 0, .evicted = true};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_EXEC, .a = 0x401000,
				       .b = 0x4c7000, .c = 0x7fffffffe000, .d = 0x7ffff7fff000,
				       .la = 11};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_FILE, .a = 3, .b = 1ULL << 33,
				       .c = TRACE_FILE_SHMEM, .text = "/dev/zero (deleted)",
				       .text_len = 19};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_MM_OP, .a = 0 /* mmap */,
				       .b = 0x7ffff7ff0000, .c = 3, .nsteps = 5,
				       .arg = {0, 65536, 3, 0x22, 1ULL << 40}};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_MM_OP, .a = 7 /* brk */,
				       .b = (uint64_t)-12, .nsteps = 1, .arg = {0x4c8000}};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_UACCESS,
				       .la = 0x7fffffffd000, .flags = MMU_WRITE};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_LRU, .a = 0x3ffff, .b = 0,
				       .c = 5};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_RECLAIM, .a = 1, .b = 3,
				       .c = 1ULL << 35, .d = 12345};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_SWAP, .a = 0x1000,
				       .b = 0x7c00000000000123ULL, .evicted = true};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_SCHED, .a = 1, .b = 32768};
	/* Fetch runs: a first one, one on the same page, one on a lower page and frame. */
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_FETCH_RUN, .flags = MMU_FETCH,
				       .la = 0xffffffff81000000, .pa = 0x1234000, .a = 300};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_FETCH_RUN, .flags = MMU_FETCH,
				       .la = 0xffffffff81000000, .pa = 0x1234000, .a = 1};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_FETCH_RUN, .flags = MMU_FETCH,
				       .la = 0x401000, .pa = 0x5000, .a = UINT32_MAX};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_EXCEPTION, .vector = 13,
				       .error = 0xfffc, .la = 0x401234, .a = 11};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_EXCEPTION, .vector = 6,
				       .la = 0x7fffffffffff, .a = 0};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_SYS_WORK, .a = 1};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_SYS_WORK, .a = 0};
	ev[n++] = (struct trace_event){.type = TEV_EXT, .sub = TEXT_KSTATS,
				       .text = "pgfault 12\npswpout 0\n", .text_len = 21};
	return n;
}

static void assert_entry_equal(const struct tlb_entry *a, const struct tlb_entry *b)
{
	assert_int_equal(a->vpn, b->vpn);
	assert_int_equal(a->pa, b->pa);
	assert_int_equal(a->pcid, b->pcid);
	assert_int_equal(a->shift, b->shift);
	assert_int_equal(a->page_shift, b->page_shift);
	assert_int_equal(a->flags, b->flags);
}

static void assert_event_equal(const struct trace_event *a, const struct trace_event *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->la, b->la);
	assert_int_equal(a->cpl, b->cpl);
	assert_int_equal(a->ac, b->ac);
	assert_int_equal(a->a, b->a);
	assert_int_equal(a->b, b->b);
	switch (a->type) {
	case TEV_ACCESS: assert_int_equal(a->pa, b->pa); break;
	case TEV_FAULT:
		assert_int_equal(a->vector, b->vector);
		assert_int_equal(a->error, b->error);
		break;
	case TEV_KEYFRAME:
		assert_int_equal(a->c, b->c);
		assert_int_equal(a->d, b->d);
		break;
	case TEV_WALK:
		assert_int_equal(a->nsteps, b->nsteps);
		for (int i = 0; i < a->nsteps; i++) {
			assert_int_equal(a->step[i].level, b->step[i].level);
			assert_int_equal(a->step[i].entry_pa, b->step[i].entry_pa);
			assert_int_equal(a->step[i].entry, b->step[i].entry);
		}
		break;
	case TEV_TLB_FILL:
		assert_int_equal(a->array, b->array);
		assert_int_equal(a->evicted, b->evicted);
		assert_entry_equal(&a->fill, &b->fill);
		if (a->evicted)
			assert_entry_equal(&a->victim, &b->victim);
		break;
	case TEV_STATS:
		assert_int_equal(a->text_len, b->text_len);
		assert_memory_equal(a->text, b->text, a->text_len);
		break;
	case TEV_PF_DONE: assert_int_equal(a->error, b->error); break;
	case TEV_EXT:
		assert_int_equal(a->sub, b->sub);
		assert_int_equal(a->c, b->c);
		assert_int_equal(a->d, b->d);
		assert_int_equal(a->evicted, b->evicted);
		assert_int_equal(a->vector, b->vector);
		assert_int_equal(a->error, b->error);
		assert_int_equal(a->pa, b->pa);
		assert_int_equal(a->nsteps, b->nsteps);
		for (int i = 0; i < a->nsteps; i++)
			assert_int_equal(a->arg[i], b->arg[i]);
		assert_int_equal(a->text_len, b->text_len);
		if (a->text_len)
			assert_memory_equal(a->text, b->text, a->text_len);
		break;
	case TEV_PAGE:
		assert_int_equal(a->evicted, b->evicted);
		if (!a->evicted) {
			assert_int_equal(a->c, b->c);
			assert_int_equal(a->d, b->d);
			assert_int_equal(a->vector, b->vector);
		}
		break;
	default: break;
	}
}

static void test_trace_codec_every_type_round_trips(void **state)
{
	(void)state;
	struct trace_event ev[48], got;
	uint8_t buf[32 * (TRACE_EVENT_MAX + 16)];
	struct trace_delta wd = {0}, rd = {0};
	int n = sample_events(ev);
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += trace_encode(&wd, &ev[i], buf + len);
	const uint8_t *p = buf, *end = buf + len;
	for (int i = 0; i < n; i++) {
		assert_int_equal(trace_decode(&rd, &p, end, &got), 0);
		assert_event_equal(&ev[i], &got);
	}
	assert_ptr_equal(p, end);
}

/* Format 1.1: an access's size travels with it; common sizes cost nothing inside a page,
 * others (a page-crossing part, an x87 10-byte load) and large pa jumps take an escape. */
static void test_trace_codec_sized_accesses_round_trip(void **state)
{
	(void)state;
	static const struct {
		uint8_t size;
		uint64_t la, pa;
	} acc[] = {
	    {8, 0x7fffffffe000, 0x1000},	  {8, 0x7fffffffe008, 0x1008},
	    {1, 0x7fffffffe010, 0x1010},	  {2, 0x7fffffffe012, 0x1012},
	    {4, 0x7fffffffe014, 0x1014},	  {16, 0x7fffffffe020, 0x1020},
	    {10, 0x7fffffffe040, 0x1040},	  {3, 0x7fffffffeffd, 0x1ffd},
	    {0, 0x401000, 0x5000},		  {255, 0x401100, 0x5100},
	    {8, 0xffff888000001000ULL, 0x1000}, {8, 0x10, 0xfffffffff000ULL},
	};
	uint8_t buf[64 * 32];
	struct trace_delta wd = {.sized = true}, rd = {.sized = true};
	size_t len = 0, n = sizeof(acc) / sizeof(acc[0]);
	for (size_t i = 0; i < n; i++) {
		struct trace_event ev = {.type = TEV_ACCESS, .flags = MMU_WRITE, .size = acc[i].size,
					 .la = acc[i].la, .pa = acc[i].pa};
		size_t one = trace_encode(&wd, &ev, buf + len);
		if (i == 1)
			assert_int_equal(one, 3); /* tag, +8, (delta 0, size 8) in one byte */
		len += one;
	}
	const uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		struct trace_event got;
		assert_int_equal(trace_decode(&rd, &p, buf + len, &got), 0);
		assert_int_equal(got.type, TEV_ACCESS);
		assert_int_equal(got.size, acc[i].size);
		assert_int_equal(got.la, acc[i].la);
		assert_int_equal(got.pa, acc[i].pa);
	}
	assert_ptr_equal(p, buf + len);
	/* An escape whose code varint carries delta bits is malformed. */
	const uint8_t bad[] = {TEV_ACCESS, 0, 0x0f, 8, 0};
	struct trace_event got;
	p = bad;
	assert_int_equal(trace_decode(&rd, &p, bad + sizeof(bad), &got), -1);
}

static void test_trace_codec_sequential_access_is_small(void **state)
{
	(void)state;
	struct trace_delta d = {0};
	uint8_t buf[TRACE_EVENT_MAX];
	struct trace_event ev = {.type = TEV_ACCESS, .flags = MMU_READ, .la = 0x7ffff000,
				 .pa = 0x123000};
	trace_encode(&d, &ev, buf);
	ev.la += 8;
	ev.pa += 8;
	/* tag, delta la (+8: one byte), delta of pa - la (0: one byte) */
	assert_int_equal(trace_encode(&d, &ev, buf), 3);
}

static void test_trace_codec_truncated_event_is_refused(void **state)
{
	(void)state;
	struct trace_event ev[48], got;
	uint8_t buf[TRACE_EVENT_MAX + 16];
	int n = sample_events(ev);
	for (int i = 0; i < n; i++) {
		struct trace_delta wd = {0};
		size_t len = trace_encode(&wd, &ev[i], buf);
		for (size_t cut = 0; cut < len; cut++) {
			struct trace_delta rd = {0};
			const uint8_t *p = buf;
			/* Copy to an exact-size heap block so a read past the end is caught by ASan. */
			uint8_t *exact = malloc(cut ? cut : 1);
			memcpy(exact, buf, cut);
			p = exact;
			assert_int_equal(trace_decode(&rd, &p, exact + cut, &got), -1);
			free(exact);
		}
	}
}

static void test_trace_codec_bad_fields_are_refused(void **state)
{
	(void)state;
	struct trace_delta d = {0};
	struct trace_event got;
	const uint8_t bad[][4] = {
	    {TEV_PAGE, 1, 40, 0},	  /* a block of order 40 */
	    {TEV_PAGE | 0x20, 1, 0},	  /* PAGE with tag bit 1 */
	    {TEV_EXT | 0x10, 0, 0},	  /* EXT with tag bits */
	    {TEV_CR | 0x10, 0, 0},	  /* stray tag bits on a CR */
	    {TEV_CR, 5, 0},		  /* CR5 does not exist */
	    {TEV_FEATURES, 99, 1},	  /* MAXPHYADDR 99 */
	    {TEV_ACCESS | 0x30, 0, 0},	  /* access kind 3 */
	    {TEV_TLB_FILL, 12, 0, 0},	  /* array 12 does not exist */
	    {TEV_MODE | 0x80},		  /* MODE bit 3 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint8_t *p = bad[i];
		assert_int_equal(trace_decode(&d, &p, bad[i] + 4, &got), -1);
	}
	uint8_t walk[] = {TEV_WALK, 0, 6}; /* six steps: more levels than paging has */
	const uint8_t *p = walk;
	assert_int_equal(trace_decode(&d, &p, walk + sizeof(walk), &got), -1);
	/* EXT payloads out of range, each a minimal varint length then the payload. */
	const uint8_t bad_ext[][8] = {
	    {TEV_EXT, TEXT_MM_OP, 4, 10, 0, 0, 0},	   /* operation 10 does not exist */
	    {TEV_EXT, TEXT_MM_OP, 4, 0, 0, 0, 6},	   /* six arguments */
	    {TEV_EXT, TEXT_FILE, 4, 1, 0, 2, 0},	   /* file kind 2 */
	    {TEV_EXT, TEXT_FILE, 4, 0, 0, 0, 0},	   /* file id 0 */
	    {TEV_EXT, TEXT_UACCESS, 2, 2, 0},	   /* a uaccess that fetches */
	    {TEV_EXT, TEXT_LRU, 3, 1, 6, 0},	   /* LRU list 6 */
	    {TEV_EXT, TEXT_RECLAIM, 4, 2, 0, 0, 0},   /* reclaim kind 2 */
	    {TEV_EXT, TEXT_SWAP, 3, 2, 0, 0},	   /* swap direction 2 */
	    {TEV_EXT, TEXT_EXEC, 3, 0, 0, 0},	   /* an exec cut short inside its payload */
	    {TEV_EXT, TEXT_FETCH_RUN, 3, 0, 0, 0},  /* a fetch run of no fetch */
	    {TEV_EXT, TEXT_FETCH_RUN, 2, 2, 2},	   /* a fetch run cut short (no count) */
	    {TEV_EXT, TEXT_EXCEPTION, 4, 32, 0, 0, 0}, /* vector 32: not an exception */
	    {TEV_EXT, TEXT_EXCEPTION, 4, 6, 0, 0, 65}, /* signal 65 */
	    {TEV_EXT, TEXT_SYS_WORK, 1, 2},		/* neither begins (1) nor ends (0) */
	    {TEV_EXT, 200, 9, 0, 0},		   /* a payload longer than the bytes left */
	    {TEV_EXT, 200, 0x80, 0x80, 0x01},	   /* a payload over TRACE_EXT_MAX (16384) */
	};
	for (size_t i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++) {
		p = bad_ext[i];
		assert_int_equal(trace_decode(&d, &p, bad_ext[i] + 8, &got), -1);
	}
	uint8_t varint[16] = {TEV_INVLPG};
	memset(varint + 1, 0xff, 15); /* a varint longer than ten bytes */
	p = varint;
	assert_int_equal(trace_decode(&d, &p, varint + sizeof(varint), &got), -1);
}

static void test_trace_codec_unknown_ext_subtype_is_skipped(void **state)
{
	(void)state;
	struct trace_delta d = {0};
	struct trace_event got;
	/* A subtype from a later minor version, then an INVLPG of 0x55. */
	const uint8_t b[] = {TEV_EXT, 200, 3, 0xaa, 0xbb, 0xcc, TEV_INVLPG, 0x55};
	const uint8_t *p = b;
	assert_int_equal(trace_decode(&d, &p, b + sizeof(b), &got), 0);
	assert_int_equal(got.type, TEV_EXT);
	assert_int_equal(got.sub, 200);
	assert_ptr_equal(p, b + 6);
	assert_int_equal(trace_decode(&d, &p, b + sizeof(b), &got), 0);
	assert_int_equal(got.type, TEV_INVLPG);
	assert_int_equal(got.la, 0x55);
}

static void test_trace_codec_ext_with_more_fields_reads_the_known_ones(void **state)
{
	(void)state;
	struct trace_delta d = {0};
	struct trace_event got;
	/* A uaccess (write, la 0x1000 as a two-byte varint) with two more bytes a later
	 * version appended. */
	const uint8_t b[] = {TEV_EXT, TEXT_UACCESS, 5, MMU_WRITE, 0x80, 0x20, 7, 7, TEV_MODE};
	const uint8_t *p = b;
	assert_int_equal(trace_decode(&d, &p, b + sizeof(b), &got), 0);
	assert_int_equal(got.sub, TEXT_UACCESS);
	assert_int_equal(got.flags, MMU_WRITE);
	assert_int_equal(got.la, 0x1000);
	assert_ptr_equal(p, b + 8);
}

/* A fetch run's bytes, written out from the format: EXT, subtype 9, a one-byte length,
 * then zigzag deltas of page and frame from the last run's (none yet: from 0) and the
 * count. Page 0x401 -> zigzag 0x802 -> LEB128 82 10; frame 0x1234 -> 0x2468 -> e8 48. */
static void test_trace_codec_fetch_run_has_the_documented_bytes(void **state)
{
	(void)state;
	struct trace_delta d = {.sized = true};
	struct trace_event ev = {.type = TEV_EXT, .sub = TEXT_FETCH_RUN, .flags = MMU_FETCH,
				 .la = 0x401000, .pa = 0x1234000, .a = 5};
	const uint8_t want[] = {0x0f, 9, 5, 0x82, 0x10, 0xe8, 0x48, 5};
	uint8_t buf[TRACE_EVENT_MAX];
	assert_int_equal(trace_encode(&d, &ev, buf), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* The next run on the same page and frame is the short form: tag f0, the count. */
	ev.a = 200;
	const uint8_t again[] = {0xf0, 0xc8, 0x01};
	assert_int_equal(trace_encode(&d, &ev, buf), sizeof(again));
	assert_memory_equal(buf, again, sizeof(again));
	/* Another frame for the same page (the page was remapped): the long form again. */
	ev.pa = 0x1235000;
	ev.a = 1;
	const uint8_t remapped[] = {0x0f, 9, 3, 0, 2, 1};
	assert_int_equal(trace_encode(&d, &ev, buf), sizeof(remapped));
	assert_memory_equal(buf, remapped, sizeof(remapped));
}

/* Repeats, written out from the format: an ACCESS with the last one's flags, size and
 * pa - la costs its tag alone when its la steps by the last delta (type 0, kind bits 3,
 * kind in bits 7..6: write -> 0x70) or returns to the la before the last (type 1: 0x71);
 * the decoder gives back every address. */
static void test_trace_codec_repeated_accesses_cost_one_byte(void **state)
{
	(void)state;
	struct trace_delta enc = {.sized = true}, dec = {.sized = true};
	/* A probe then the write of each of two 8-byte halves, twice: 0, 8, 0, 8, 16, 24... */
	static const uint64_t la[] = {0x1000, 0x1008, 0x1000, 0x1008, 0x1010, 0x1018, 0x1010, 0x1018};
	/* The first: tag, la delta 0x1000 (zigzag 0x2000: two bytes), pa - la 0x5000 with size
	 * code 4 (zigzag 0xa000 << 3 | 4: three bytes); the second steps by 8 inside the page. */
	static const size_t want_len[] = {6, 3, 1, 1, 1, 1, 1, 1};
	static const uint8_t want_tag[] = {0x10, 0x10, 0x71, 0x71, 0x70, 0x70, 0x71, 0x71};
	uint8_t buf[16 * 8], *p = buf;
	for (size_t i = 0; i < 8; i++) {
		size_t n = trace_encode_translation(&enc, TEV_ACCESS, MMU_WRITE, 8, la[i],
						    la[i] + 0x5000, p);
		assert_int_equal(n, want_len[i]);
		assert_int_equal(p[0], want_tag[i]);
		p += n;
	}
	const uint8_t *q = buf;
	for (size_t i = 0; i < 8; i++) {
		struct trace_event ev;
		assert_int_equal(trace_decode(&dec, &q, p, &ev), 0);
		assert_int_equal(ev.type, TEV_ACCESS);
		assert_int_equal(ev.flags, MMU_WRITE);
		assert_int_equal(ev.size, 8);
		assert_int_equal(ev.la, la[i]);
		assert_int_equal(ev.pa, la[i] + 0x5000);
	}
	assert_ptr_equal(q, p);
	/* With nothing to repeat (a fresh chunk), each form is refused. */
	struct trace_delta fresh = {.sized = true};
	const uint8_t lone[][2] = {{0x70, 0}, {0x71, 0}, {0xf0, 1}};
	for (size_t i = 0; i < 3; i++) {
		struct trace_event ev;
		q = lone[i];
		assert_int_equal(trace_decode(&fresh, &q, lone[i] + 2, &ev), -1);
	}
}

/* Format 1.3's page_ref, byte by byte from the format: EXT, subtype 12, the two-byte
 * length, then the count and per frame the pfn step (the first absolute), zigzag
 * refcount and zigzag mapcount. Frames 0x10 (1, 0), 0x12 (2, 1), 0x1000 (3, 2): the last
 * step 0x1000 - 0x12 = 0xfee is LEB128 ee 1f. */
static void test_trace_codec_page_ref_has_the_documented_bytes(void **state)
{
	(void)state;
	const struct trace_page_ref refs[3] = {{0x10, 1, 0}, {0x12, 2, 1}, {0x1000, 3, 2}};
	const uint8_t want[] = {TEV_EXT, TEXT_PAGE_REF, 0x8b, 0x00, 3,	  0x10, 2, 0,
				2,	 4,		2,    0xee, 0x1f, 6, 4};
	struct trace_event ev = {.type = TEV_EXT, .sub = TEXT_PAGE_REF, .a = 3, .refs = refs}, got;
	struct trace_delta wd = {0}, rd = {0};
	uint8_t buf[64];
	size_t len = trace_encode(&wd, &ev, buf);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	const uint8_t *p = buf;
	assert_int_equal(trace_decode(&rd, &p, buf + len, &got), 0);
	assert_ptr_equal(p, buf + len);
	assert_int_equal(got.sub, TEXT_PAGE_REF);
	assert_int_equal(got.a, 3);
	struct trace_page_refs_iter it;
	struct trace_page_ref e;
	trace_page_refs_begin(&it, &got);
	for (int i = 0; i < 3; i++) {
		assert_true(trace_page_refs_next(&it, &e));
		assert_int_equal(e.pfn, refs[i].pfn);
		assert_int_equal(e.refcount, refs[i].refcount);
		assert_int_equal(e.mapcount, refs[i].mapcount);
	}
	assert_false(trace_page_refs_next(&it, &e));
}

/* The largest page_ref the recorder writes: TRACE_PAGE_REF_MAX frames with the widest
 * counts, still under the EXT payload limit, and every value back. */
static void test_trace_codec_largest_page_ref_round_trips(void **state)
{
	(void)state;
	static struct trace_page_ref refs[TRACE_PAGE_REF_MAX];
	for (unsigned i = 0; i < TRACE_PAGE_REF_MAX; i++)
		refs[i] = (struct trace_page_ref){(uint64_t)(i + 1) << 29,
						  i % 2 ? INT32_MIN : INT32_MAX, i % 2 ? -1 : INT32_MIN};
	struct trace_event ev = {.type = TEV_EXT, .sub = TEXT_PAGE_REF, .a = TRACE_PAGE_REF_MAX,
				 .refs = refs},
			   got;
	struct trace_delta wd = {0}, rd = {0};
	static uint8_t buf[TRACE_EXT_MAX + 8];
	size_t len = trace_encode(&wd, &ev, buf);
	assert_true(len <= 4 + TRACE_EXT_MAX);
	const uint8_t *p = buf;
	assert_int_equal(trace_decode(&rd, &p, buf + len, &got), 0);
	struct trace_page_refs_iter it;
	struct trace_page_ref e;
	trace_page_refs_begin(&it, &got);
	for (unsigned i = 0; i < TRACE_PAGE_REF_MAX; i++) {
		assert_true(trace_page_refs_next(&it, &e));
		assert_int_equal(e.pfn, refs[i].pfn);
		assert_int_equal(e.refcount, refs[i].refcount);
		assert_int_equal(e.mapcount, refs[i].mapcount);
	}
	assert_false(trace_page_refs_next(&it, &e));
}

/* page_ref payloads a recorder cannot write are refused; bytes after its entries (a later
 * minor version's) are skipped. */
static void test_trace_codec_bad_page_refs_are_refused(void **state)
{
	(void)state;
	struct trace_delta d = {0};
	struct trace_event got;
	const uint8_t bad[][12] = {
	    {TEV_EXT, TEXT_PAGE_REF, 1, 0},			   /* no frame */
	    {TEV_EXT, TEXT_PAGE_REF, 7, 2, 5, 2, 0, 0, 2, 0},	   /* the same frame twice */
	    {TEV_EXT, TEXT_PAGE_REF, 4, 2, 5, 2, 0},		   /* cut short: one of two */
	    {TEV_EXT, TEXT_PAGE_REF, 3, 0xe9, 0x07, 0},	   /* 1001 frames */
	    {TEV_EXT, TEXT_PAGE_REF, 9, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0}, /* 2^40 */
	    {TEV_EXT, TEXT_PAGE_REF, 8, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x10, 0}, /* ref 2^31 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint8_t *p = bad[i];
		assert_int_equal(trace_decode(&d, &p, bad[i] + sizeof(bad[i]), &got), -1);
	}
	const uint8_t more[] = {TEV_EXT, TEXT_PAGE_REF, 5, 1, 5, 2, 0, 0x77, TEV_MODE};
	const uint8_t *p = more;
	assert_int_equal(trace_decode(&d, &p, more + sizeof(more), &got), 0);
	assert_ptr_equal(p, more + 8);
	struct trace_page_refs_iter it;
	struct trace_page_ref e;
	trace_page_refs_begin(&it, &got);
	assert_true(trace_page_refs_next(&it, &e));
	assert_int_equal(e.pfn, 5);
	assert_int_equal(e.refcount, 1);
	assert_int_equal(e.mapcount, 0);
	assert_false(trace_page_refs_next(&it, &e));
}

/* A fetch run on the last run's page and frame with the last run's count too is its tag
 * alone, f1 (1.4); without a run before it in the chunk it is refused. */
static void test_trace_codec_same_run_is_one_byte(void **state)
{
	(void)state;
	struct trace_delta enc = {.sized = true}, dec = {.sized = true};
	static const uint64_t count[] = {5, 1, 1, 1};
	static const size_t want_len[] = {8, 2, 1, 1}; /* long form, f0 01, f1, f1 */
	uint8_t buf[64], *p = buf;
	for (size_t i = 0; i < 4; i++) {
		size_t n = trace_encode_fetch_run(&enc, 0x401000, 0x1234000, count[i], p);
		assert_int_equal(n, want_len[i]);
		p += n;
	}
	assert_int_equal(buf[8], 0xf0);
	assert_int_equal(buf[10], 0xf1);
	assert_int_equal(buf[11], 0xf1);
	const uint8_t *q = buf;
	for (size_t i = 0; i < 4; i++) {
		struct trace_event ev;
		assert_int_equal(trace_decode(&dec, &q, p, &ev), 0);
		assert_int_equal(ev.type, TEV_EXT);
		assert_int_equal(ev.sub, TEXT_FETCH_RUN);
		assert_int_equal(ev.la, 0x401000);
		assert_int_equal(ev.pa, 0x1234000);
		assert_int_equal(ev.a, count[i]);
	}
	assert_ptr_equal(q, p);
	struct trace_delta fresh = {.sized = true};
	const uint8_t lone[] = {0xf1};
	struct trace_event ev;
	q = lone;
	assert_int_equal(trace_decode(&fresh, &q, lone + 1, &ev), -1);
}

/* A memset's 16-byte stores as the MMU batches them: a one-instruction fetch run, then the
 * probe and the store of each 8-byte half (X, X+8, X, X+8). From the second store on, the
 * format gives three bytes a store: f1 (the same run), 7f (0x70, the write that steps by
 * the last delta, twice) and 6f (0x71, the write back at the la before the last, twice).
 * The decoder gives back every event. */
static void test_trace_codec_batch_pairs_repeats_of_one_tag(void **state)
{
	(void)state;
	struct mmu_trace_access a[4 * 5];
	unsigned n = 0;
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t x = 0x7fff0000 + 16 * i;
		a[n++] = (struct mmu_trace_access){.la = 0x401000, .pa = 0x5000, .count = 1,
						   .flags = MMU_FETCH};
		for (uint64_t j = 0; j < 4; j++) {
			uint64_t la = x + 8 * (j & 1);
			a[n++] = (struct mmu_trace_access){.la = la, .pa = la - 0x7fff0000 + 0x9000,
							   .flags = MMU_WRITE, .size = 8};
		}
	}
	struct trace_delta enc = {.sized = true}, dec = {.sized = true};
	uint8_t buf[256 + TRACE_EVENT_MAX];
	size_t len = 0, first;
	unsigned runs = 0;
	assert_int_equal(trace_encode_batch(&enc, a, 5, buf, &len, 256, &runs), 5);
	first = len;
	assert_int_equal(trace_encode_batch(&enc, a + 5, n - 5, buf, &len, 256, &runs), n - 5);
	assert_int_equal(runs, 4);
	static const uint8_t want[] = {0xf1, 0x7f, 0x6f, 0xf1, 0x7f, 0x6f, 0xf1, 0x7f, 0x6f};
	assert_int_equal(len - first, sizeof(want));
	assert_memory_equal(buf + first, want, sizeof(want));
	const uint8_t *q = buf;
	for (unsigned i = 0; i < n; i++) {
		struct trace_event ev;
		assert_int_equal(trace_decode(&dec, &q, buf + len, &ev), 0);
		if (a[i].count) {
			assert_int_equal(ev.type, TEV_EXT);
			assert_int_equal(ev.sub, TEXT_FETCH_RUN);
			assert_int_equal(ev.a, 1);
			assert_int_equal(ev.la, 0x401000);
			continue;
		}
		assert_int_equal(ev.type, TEV_ACCESS);
		assert_int_equal(ev.flags, MMU_WRITE);
		assert_int_equal(ev.size, 8);
		assert_int_equal(ev.la, a[i].la);
		assert_int_equal(ev.pa, a[i].pa);
	}
	assert_ptr_equal(q, buf + len);
	/* A pair with nothing to repeat (a fresh chunk) is refused. */
	struct trace_delta fresh = {.sized = true};
	const uint8_t lone[] = {0x7f};
	struct trace_event ev;
	q = lone;
	assert_int_equal(trace_decode(&fresh, &q, lone + 1, &ev), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_codec_every_type_round_trips),
	    cmocka_unit_test(test_trace_codec_sequential_access_is_small),
	    cmocka_unit_test(test_trace_codec_sized_accesses_round_trip),
	    cmocka_unit_test(test_trace_codec_truncated_event_is_refused),
	    cmocka_unit_test(test_trace_codec_bad_fields_are_refused),
	    cmocka_unit_test(test_trace_codec_unknown_ext_subtype_is_skipped),
	    cmocka_unit_test(test_trace_codec_ext_with_more_fields_reads_the_known_ones),
	    cmocka_unit_test(test_trace_codec_fetch_run_has_the_documented_bytes),
	    cmocka_unit_test(test_trace_codec_repeated_accesses_cost_one_byte),
	    cmocka_unit_test(test_trace_codec_page_ref_has_the_documented_bytes),
	    cmocka_unit_test(test_trace_codec_largest_page_ref_round_trips),
	    cmocka_unit_test(test_trace_codec_bad_page_refs_are_refused),
	    cmocka_unit_test(test_trace_codec_same_run_is_one_byte),
	    cmocka_unit_test(test_trace_codec_batch_pairs_repeats_of_one_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
