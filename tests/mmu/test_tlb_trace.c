/*
 * The fast path while a tracer is attached (mmu/tlb_trace.c): fetches that hit the page of
 * the last fetch translation run inline and reach the tracer as one FETCH_RUN with their
 * count, before the next event of any kind; a CPL change or a control write ends the run
 * first; a batching tracer gets the same stream in batches; and the ITLB statistics are
 * those of the same fetches on a machine without a tracer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "mmu/trace.h"
#include "tests/mmu/mmu_test_env.h"

#define CODE 0x400000ULL /* two code pages, at 0x200000 and 0x201000 */
#define DATA 0x600000ULL /* a data page, at 0x300000 */

/* What the tracer saw: translations and runs in order (type, la, count). */
struct seen {
	struct {
		uint8_t type; /* MMU_EV_ACCESS, MMU_EV_FETCH_RUN, MMU_EV_CR, ... */
		uint8_t flags;
		uint8_t size; /* ACCESS: bytes on the page, 0 when not known */
		uint64_t la, pa, count;
	} ev[64];
	unsigned n;
	unsigned batches; /* calls of the batch callback */
};

static void add(struct seen *s, uint8_t type, uint8_t flags, uint64_t la, uint64_t pa,
		uint64_t count)
{
	assert_true(s->n < 64);
	s->ev[s->n].type = type;
	s->ev[s->n].flags = flags;
	s->ev[s->n].la = la;
	s->ev[s->n].pa = pa;
	s->ev[s->n].count = count;
	s->n++;
}

static void on_event(void *ctx, const struct mmu *m, const struct mmu_event *e)
{
	(void)m;
	struct seen *s = ctx;
	if (e->type == MMU_EV_ACCESS || e->type == MMU_EV_FETCH_RUN || e->type == MMU_EV_CR) {
		add(s, e->type, e->flags, e->la, e->pa, e->type == MMU_EV_FETCH_RUN ? e->a : 0);
		s->ev[s->n - 1].size = e->size;
	}
}

static void on_batch(void *ctx, const struct mmu *m, const struct mmu_trace_access *a,
		     unsigned n)
{
	struct seen *s = ctx;
	(void)m;
	s->batches++;
	for (unsigned i = 0; i < n; i++) {
		add(s, a[i].count ? MMU_EV_FETCH_RUN : MMU_EV_ACCESS, a[i].flags, a[i].la, a[i].pa,
		    a[i].count);
		s->ev[s->n - 1].size = a[i].size;
	}
}

/* A 64-bit machine at CPL 3 with the code and data pages mapped. */
static uint64_t setup(struct env *e)
{
	env_init(e);
	uint64_t root = env_table(e);
	env_map64(e, root, 4, CODE, 0x200000, 12, ENV_ALL, ENV_ALL, NULL);
	env_map64(e, root, 4, CODE + 0x1000, 0x201000, 12, ENV_ALL, ENV_ALL, NULL);
	env_map64(e, root, 4, DATA, 0x300000, 12, ENV_ALL, ENV_ALL, NULL);
	env_long_mode(e, false, root, 0);
	mmu_set_cpl(&e->m, 3);
	return root;
}

static void fetch(struct env *e, uint64_t la)
{
	uint64_t v;
	struct x86_fault f;
	assert_true(mmu_fetch(&e->m, la, 1, &v, &f));
}

static void read8(struct env *e, uint64_t la)
{
	uint64_t v;
	struct x86_fault f;
	assert_true(mmu_read(&e->m, la, 8, &v, 0, &f));
}

/* Ten fetches on the first code page, a read, three on the second page, a read. */
static void program(struct env *e)
{
	for (uint64_t i = 0; i < 10; i++)
		fetch(e, CODE + 3 * i);
	read8(e, DATA);
	for (uint64_t i = 0; i < 3; i++)
		fetch(e, CODE + 0x1000 + 2 * i);
	read8(e, DATA + 8);
}

/* The stream program() must give: a fetch translation, a run of the other nine, the read,
 * then the same on the second page. */
static void check_stream(const struct seen *s)
{
	assert_int_equal(s->n, 6);
	assert_int_equal(s->ev[0].type, MMU_EV_ACCESS);
	assert_int_equal(s->ev[0].flags, MMU_FETCH);
	assert_int_equal(s->ev[0].la, CODE);
	assert_int_equal(s->ev[1].type, MMU_EV_FETCH_RUN);
	assert_int_equal(s->ev[1].la, CODE);
	assert_int_equal(s->ev[1].pa, 0x200000);
	assert_int_equal(s->ev[1].count, 9);
	assert_int_equal(s->ev[2].type, MMU_EV_ACCESS);
	assert_int_equal(s->ev[2].flags, MMU_READ);
	assert_int_equal(s->ev[2].la, DATA);
	assert_int_equal(s->ev[3].type, MMU_EV_ACCESS);
	assert_int_equal(s->ev[3].la, CODE + 0x1000);
	assert_int_equal(s->ev[4].type, MMU_EV_FETCH_RUN);
	assert_int_equal(s->ev[4].pa, 0x201000);
	assert_int_equal(s->ev[4].count, 2);
	assert_int_equal(s->ev[5].la, DATA + 8);
}

static void test_tlb_trace_fetches_on_one_page_are_told_as_one_run(void **state)
{
	(void)state;
	struct env e;
	struct seen s = {0};
	setup(&e);
	struct mmu_tracer t = {.event = on_event, .ctx = &s};
	mmu_set_tracer(&e.m, &t);
	program(&e);
	check_stream(&s);
	mmu_set_tracer(&e.m, NULL);
	env_destroy(&e);
}

static void test_tlb_trace_batching_tracer_gets_the_same_stream(void **state)
{
	(void)state;
	struct env e;
	struct seen s = {0};
	setup(&e);
	struct mmu_tracer t = {.event = on_event, .batch = on_batch, .ctx = &s};
	mmu_set_tracer(&e.m, &t);
	program(&e);
	/* The walk of each new page hands over what came before it (the tracer must see the
	 * walk after them): the first fetch and its run at the data page's walk, the first
	 * read at the second code page's; that page's fetches and the last read (a TLB hit)
	 * are still held. */
	assert_int_equal(s.n, 3);
	assert_int_equal(s.batches, 2);
	mmu_trace_sync(&e.m);
	assert_int_equal(s.batches, 3);
	check_stream(&s);
	mmu_set_tracer(&e.m, NULL);
	env_destroy(&e);
}

/* A CR3 write and a CPL change each end the run first: the run comes before the CR
 * event, and the first fetch after a CPL change is a translation of its own. */
static void test_tlb_trace_control_write_and_cpl_change_end_the_run(void **state)
{
	(void)state;
	struct env e;
	struct seen s = {0};
	uint64_t root = setup(&e);
	struct mmu_tracer t = {.event = on_event, .batch = on_batch, .ctx = &s};
	struct x86_fault f;
	mmu_set_tracer(&e.m, &t);
	fetch(&e, CODE);
	fetch(&e, CODE + 1);
	fetch(&e, CODE + 2);
	assert_true(mmu_set_cr3(&e.m, root, &f));
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[1].type, MMU_EV_FETCH_RUN);
	assert_int_equal(s.ev[1].count, 2);
	assert_int_equal(s.ev[2].type, MMU_EV_CR);
	fetch(&e, CODE);     /* after the flush: a translation */
	fetch(&e, CODE + 1); /* then a hit */
	mmu_set_cpl(&e.m, 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ev[3].type, MMU_EV_ACCESS);
	assert_int_equal(s.ev[4].type, MMU_EV_FETCH_RUN);
	assert_int_equal(s.ev[4].count, 1);
	mmu_set_cpl(&e.m, 3);
	fetch(&e, CODE + 2); /* the copy went with the CPL change */
	mmu_trace_sync(&e.m);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.ev[5].type, MMU_EV_ACCESS);
	mmu_set_tracer(&e.m, NULL);
	env_destroy(&e);
}

/* The same fetches and reads with and without a tracer: the same ITLB and DTLB counts,
 * and the same statistics text. */
static void test_tlb_trace_statistics_are_those_without_a_tracer(void **state)
{
	(void)state;
	struct env plain, traced;
	struct seen s = {0};
	setup(&plain);
	setup(&traced);
	struct mmu_tracer t = {.event = on_event, .batch = on_batch, .ctx = &s};
	mmu_set_tracer(&traced.m, &t);
	for (int round = 0; round < 3; round++) {
		program(&plain);
		program(&traced);
		s.n = 0;
		mmu_trace_sync(&traced.m);
		s.n = 0;
	}
	mmu_set_tracer(&traced.m, NULL);
	char a[16384], b[16384];
	mmu_stats_json_buf(&plain.m, a, sizeof(a));
	mmu_stats_json_buf(&traced.m, b, sizeof(b));
	assert_string_equal(a, b);
	/* 13 fetches a round on two pages: the first round misses each page once. */
	assert_int_equal(mmu_tlb_level_hits(&traced.m, TLB_LEVEL_L1I), 11 + 13 + 13);
	env_destroy(&plain);
	env_destroy(&traced);
}

static void write8(struct env *e, uint64_t la)
{
	struct x86_fault f;
	assert_true(mmu_write(&e->m, la, 8, la, 0, &f));
}

/* Writes on a page the fast tables hold reach the tracer from the slow path without a
 * translation (mmu_trace_fast_access): each in order, after the fetch run before it, with
 * its size, and counted as the L1 DTLB hit it is, as without a tracer. */
static void test_tlb_trace_data_hits_are_told_in_order_with_their_size(void **state)
{
	(void)state;
	struct env plain, traced;
	struct seen s = {0};
	setup(&plain);
	setup(&traced);
	struct mmu_tracer t = {.event = on_event, .batch = on_batch, .ctx = &s};
	mmu_set_tracer(&traced.m, &t);
	struct env *env[] = {&plain, &traced};
	for (int i = 0; i < 2; i++) {
		fetch(env[i], CODE);
		write8(env[i], DATA); /* walks: fills the fast entry */
		fetch(env[i], CODE + 1);
		write8(env[i], DATA + 8); /* a fast hit, told from the slow path */
		write8(env[i], DATA + 16);
	}
	mmu_trace_sync(&traced.m);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ev[2].type, MMU_EV_FETCH_RUN);
	assert_int_equal(s.ev[2].count, 1);
	for (unsigned i = 3; i < 5; i++) {
		assert_int_equal(s.ev[i].type, MMU_EV_ACCESS);
		assert_int_equal(s.ev[i].flags, MMU_WRITE);
		assert_int_equal(s.ev[i].size, 8);
		assert_int_equal(s.ev[i].la, DATA + 8 * (i - 2));
		assert_int_equal(s.ev[i].pa, 0x300000 + 8 * (i - 2));
	}
	mmu_set_tracer(&traced.m, NULL);
	char a[16384], b[16384];
	mmu_stats_json_buf(&plain.m, a, sizeof(a));
	mmu_stats_json_buf(&traced.m, b, sizeof(b));
	assert_string_equal(a, b);
	assert_int_equal(mmu_tlb_level_hits(&traced.m, TLB_LEVEL_L1D), 2);
	env_destroy(&plain);
	env_destroy(&traced);
}

/* The accesses of a store made in parts, told by one call, are those that one call per
 * access tells: the same events in the same order, the same statistics; a store that
 * would leave the page is not taken (nothing told, nothing counted). */
static void test_tlb_trace_store_in_parts_told_as_one_call_per_access(void **state)
{
	(void)state;
	struct env one, parts;
	struct seen s1 = {0}, s2 = {0};
	setup(&one);
	setup(&parts);
	struct mmu_tracer t1 = {.event = on_event, .batch = on_batch, .ctx = &s1};
	struct mmu_tracer t2 = {.event = on_event, .batch = on_batch, .ctx = &s2};
	mmu_set_tracer(&one.m, &t1);
	mmu_set_tracer(&parts.m, &t2);
	struct env *env[] = {&one, &parts};
	for (int i = 0; i < 2; i++) {
		fetch(env[i], CODE);
		write8(env[i], DATA); /* walks: fills the fast entry */
		fetch(env[i], CODE + 1);
	}
	const uint64_t la = DATA + 0x40;
	for (unsigned k = 0; k < 4; k++)
		assert_non_null(mmu_trace_fast_try(&one.m, la + 8 * (k % 2), 8, MMU_WRITE | MMU_STACK));
	uint8_t *p = mmu_trace_fast_try_parts(&parts.m, la, 8, 2, 2, MMU_WRITE | MMU_STACK);
	assert_ptr_equal(p, parts.bus.ram + 0x300040);
	unsigned told = parts.m.tlb.trace_nbuf;
	uint64_t hits = mmu_tlb_level_hits(&parts.m, TLB_LEVEL_L1D);
	assert_null(mmu_trace_fast_try_parts(&parts.m, DATA + 0xff8, 8, 2, 2, MMU_WRITE));
	assert_int_equal(parts.m.tlb.trace_nbuf, told);
	assert_int_equal(mmu_tlb_level_hits(&parts.m, TLB_LEVEL_L1D), hits);
	mmu_trace_sync(&one.m);
	mmu_trace_sync(&parts.m);
	assert_int_equal(s2.n, 7); /* fetch, write, run of one fetch, four accesses */
	assert_int_equal(s1.n, s2.n);
	for (unsigned i = 0; i < s1.n; i++) {
		assert_int_equal(s1.ev[i].type, s2.ev[i].type);
		assert_int_equal(s1.ev[i].flags, s2.ev[i].flags);
		assert_int_equal(s1.ev[i].size, s2.ev[i].size);
		assert_int_equal(s1.ev[i].la, s2.ev[i].la);
		assert_int_equal(s1.ev[i].pa, s2.ev[i].pa);
		assert_int_equal(s1.ev[i].count, s2.ev[i].count);
	}
	assert_int_equal(s2.ev[6].la, la + 8);
	assert_int_equal(s2.ev[5].la, la);
	mmu_set_tracer(&one.m, NULL);
	mmu_set_tracer(&parts.m, NULL);
	char a[16384], b[16384];
	mmu_stats_json_buf(&one.m, a, sizeof(a));
	mmu_stats_json_buf(&parts.m, b, sizeof(b));
	assert_string_equal(a, b);
	env_destroy(&one);
	env_destroy(&parts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlb_trace_fetches_on_one_page_are_told_as_one_run),
	    cmocka_unit_test(test_tlb_trace_batching_tracer_gets_the_same_stream),
	    cmocka_unit_test(test_tlb_trace_control_write_and_cpl_change_end_the_run),
	    cmocka_unit_test(test_tlb_trace_statistics_are_those_without_a_tracer),
	    cmocka_unit_test(test_tlb_trace_data_hits_are_told_in_order_with_their_size),
	    cmocka_unit_test(test_tlb_trace_store_in_parts_told_as_one_call_per_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
