/*
 * The recording's hand-over ring (emu/trace_pipe.c): records of every size reach the
 * consumer whole and in the order they were appended, through a thread or inline, with a
 * ring of two blocks (the producer waits for the consumer) or more; a drain returns only
 * once the consumer has had every record; the consumer runs in its own thread, and calls
 * begin there once before its first block.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/trace_pipe.h"

/* What the consumer saw. Each record: u32 length, u32 sequence number, then length - 8
 * bytes of (uint8_t)(sequence + i). */
struct seen {
	uint64_t records;	/* records consumed, in order */
	uint64_t bytes;		/* their bytes */
	uint64_t blocks;	/* blocks consumed */
	bool bad;		/* a record out of order, torn or damaged */
	pthread_t thread;	/* the thread the last block was consumed in */
	unsigned begun;		/* calls of begin */
	bool begun_late;	/* begin came after a block */
	pthread_t begin_thread; /* the thread begin ran in */
};

static void begin(void *ctx)
{
	struct seen *s = ctx;
	s->begun++;
	s->begun_late = s->blocks != 0;
	s->begin_thread = pthread_self();
}

static void consume(void *ctx, const uint8_t *buf, size_t len)
{
	struct seen *s = ctx;
	if (!s->begun)
		s->bad = true; /* a block before begin */
	s->blocks++;
	s->thread = pthread_self();
	for (size_t at = 0; at < len;) {
		uint32_t n, seq;
		memcpy(&n, buf + at, 4);
		memcpy(&seq, buf + at + 4, 4);
		if (n < 8 || n > len - at || seq != (uint32_t)s->records)
			s->bad = true;
		for (uint32_t i = 8; !s->bad && i < n; i++)
			if (buf[at + i] != (uint8_t)(seq + i))
				s->bad = true;
		if (s->bad)
			return;
		s->records++;
		s->bytes += n;
		at += n;
	}
}

/* The size of record i: 8 to about 3000 bytes, irregular. */
static uint32_t record_size(uint32_t i)
{
	return 8 + (i * 2654435761u >> 7) % 3000;
}

static void append(struct trace_pipe *p, uint32_t i)
{
	uint32_t n = record_size(i);
	uint8_t *r = trace_pipe_reserve(p, n);
	memcpy(r, &n, 4);
	memcpy(r + 4, &i, 4);
	for (uint32_t k = 8; k < n; k++)
		r[k] = (uint8_t)(i + k);
	trace_pipe_commit(p, n);
}

/* Appends nrec records through a pipe of nblocks blocks of block bytes; drains halfway
 * and checks that the consumer then had exactly the first half. */
static void pass(bool threaded, size_t block, unsigned nblocks, uint32_t nrec)
{
	struct seen s = {0};
	struct trace_pipe p;
	uint64_t bytes = 0;
	assert_int_equal(trace_pipe_start(&p, block, nblocks, threaded, begin, consume, &s), 0);
	assert_int_equal(p.threaded, threaded);
	for (uint32_t i = 0; i < nrec; i++) {
		append(&p, i);
		bytes += record_size(i);
		if (i == nrec / 2) {
			trace_pipe_drain(&p);
			assert_false(s.bad);
			assert_int_equal(s.records, i + 1);
			assert_int_equal(s.bytes, bytes);
		}
	}
	trace_pipe_stop(&p);
	assert_false(s.bad);
	assert_int_equal(s.records, nrec);
	assert_int_equal(s.bytes, bytes);
	assert_true(s.blocks >= bytes / block);
	assert_int_equal(pthread_equal(s.thread, pthread_self()) != 0, !threaded);
	/* begin once, first, in the consumer's thread */
	assert_int_equal(s.begun, 1);
	assert_false(s.begun_late);
	assert_int_equal(pthread_equal(s.begin_thread, pthread_self()) != 0, !threaded);
}

static void test_trace_pipe_thread_gets_every_record_in_order(void **state)
{
	(void)state;
	pass(true, 64 << 10, 16, 20000);
}

/* Two blocks: the producer waits for the consumer at almost every block. */
static void test_trace_pipe_two_blocks_get_every_record_in_order(void **state)
{
	(void)state;
	pass(true, 4096, 2, 20000);
}

static void test_trace_pipe_inline_gets_every_record_in_order(void **state)
{
	(void)state;
	pass(false, 4096, 2, 20000);
}

/* A drain with nothing appended, a stop right after the start: no record, no block, but
 * begin all the same (the recorder's file header); and without a begin, nothing either. */
static void test_trace_pipe_empty_drain_and_stop_consume_nothing(void **state)
{
	(void)state;
	for (int with_begin = 0; with_begin < 2; with_begin++) {
		struct seen s = {0};
		struct trace_pipe p;
		assert_int_equal(trace_pipe_start(&p, 4096, 4, true, with_begin ? begin : NULL,
						  consume, &s), 0);
		trace_pipe_drain(&p);
		trace_pipe_stop(&p);
		assert_int_equal(s.blocks, 0);
		assert_int_equal(s.records, 0);
		assert_int_equal(s.begun, (unsigned)with_begin);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_pipe_thread_gets_every_record_in_order),
	    cmocka_unit_test(test_trace_pipe_two_blocks_get_every_record_in_order),
	    cmocka_unit_test(test_trace_pipe_inline_gets_every_record_in_order),
	    cmocka_unit_test(test_trace_pipe_empty_drain_and_stop_consume_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
