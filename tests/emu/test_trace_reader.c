/*
 * Trace files: what the writer writes the reader gives back, event for event, across
 * chunks, with an index that seeks; a trace whose writer never closed it is read up to its
 * last complete chunk; truncated and damaged files are refused with a message (and, run
 * under ASan/UBSan, without touching memory they should not): every cut, every single-byte
 * change, and random mutations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/trace.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/mmemu-test-trace.%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* Event i of a deterministic stream: accesses over a spread of pages, a walk and a fill
 * now and then, a keyframe at the start of every chunk. */
static struct trace_event nth_event(uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL;
	struct trace_event ev = {.type = TEV_ACCESS, .flags = (uint8_t)(x >> 62 ? x >> 62 : 0) % 3,
				 .la = 0x400000 + ((x >> 20) & 0xffff) * 8,
				 .pa = 0x10000000 + ((x >> 20) & 0xffff) * 8,
				 .size = (uint8_t)((const uint8_t[]){8, 4, 1, 2, 16, 3, 10})[i % 7]};
	if (i % 97 == 5) {
		ev = (struct trace_event){.type = TEV_WALK, .la = ev.la, .nsteps = 1};
		ev.step[0] = (struct mmu_walk_step){.level = PG_PT, .entry_pa = i, .entry = x};
	} else if (i % 89 == 7) {
		ev = (struct trace_event){.type = TEV_SYSCALL, .a = i & 511, .b = (uint64_t)-(int64_t)(i & 7)};
	} else if (i % 83 == 11) {
		/* Format 1.1's sized events, so that the mutations below reach their decoder. */
		static const char name[] = "/lib/data.bin";
		switch (i % 5) {
		case 0:
			ev = (struct trace_event){.type = TEV_EXT, .sub = TEXT_MM_OP, .a = i % 8,
						  .b = (uint64_t)-(int64_t)(i & 3), .nsteps = 5,
						  .arg = {i, x, 3, 0x22, 4096}};
			break;
		case 1:
			ev = (struct trace_event){.type = TEV_EXT, .sub = TEXT_FILE, .a = 1 + (i & 7),
						  .b = x >> 40, .text = name,
						  .text_len = sizeof(name) - 1};
			break;
		case 2:
			ev = (struct trace_event){.type = TEV_EXT, .sub = TEXT_UACCESS, .la = ev.la,
						  .flags = i & 1};
			break;
		case 3:
			ev = (struct trace_event){.type = TEV_EXT, .sub = TEXT_SWAP, .a = i, .b = x >> 8,
						  .evicted = i & 1};
			break;
		default:
			ev = (struct trace_event){.type = TEV_EXT, .sub = TEXT_RECLAIM, .a = i & 1,
						  .b = 0, .c = i, .d = i / 2};
		}
	}
	return ev;
}

/* Writes n events; minor0: as format 1.0 wrote them (no access sizes, minor version 0). */
static void write_trace_as(uint64_t n, bool close, bool minor0)
{
	struct trace_writer w;
	char err[256];
	assert_int_equal(trace_writer_open(&w, path, "format=test\nram=1\n", err, sizeof(err)), 0);
	if (minor0) {
		w.delta.sized = false;
		uint8_t zero[2] = {0, 0};
		assert_int_equal(fseek(w.f, 10, SEEK_SET), 0);
		assert_int_equal(fwrite(zero, 1, 2, w.f), 2);
		assert_int_equal(fseek(w.f, 0, SEEK_END), 0);
	}
	for (uint64_t i = 0; i < n; i++) {
		struct trace_event ev = nth_event(i);
		trace_writer_event(&w, &ev);
	}
	if (close) {
		assert_int_equal(trace_writer_close(&w), 0);
		return;
	}
	/* A writer that dies: what was flushed stays, nothing else is written. */
	trace_writer_flush(&w);
	trace_writer_abandon(&w);
}

static void write_trace(uint64_t n, bool close)
{
	write_trace_as(n, close, false);
}

/* Reads the whole file at path; returns the events read, -1 on an error. */
static bool reading_minor0; /* read_all expects sizes 0 (a format 1.0 file) */

static int64_t read_all(bool *closed, bool check)
{
	struct trace_reader r;
	struct trace_event ev;
	int n;
	if (trace_reader_open(&r, path) < 0) {
		assert_true(r.err[0]);
		trace_reader_close(&r);
		return -1;
	}
	while ((n = trace_reader_next(&r, &ev)) > 0) {
		if (check) {
			struct trace_event want = nth_event(r.nevents - 1);
			assert_int_equal(ev.type, want.type);
			assert_int_equal(ev.la, want.la);
			assert_int_equal(ev.pa, want.pa);
			assert_int_equal(ev.b, want.b);
			if (ev.type == TEV_ACCESS)
				assert_int_equal(ev.size, reading_minor0 ? 0 : want.size);
			if (ev.type == TEV_EXT) {
				assert_int_equal(ev.sub, want.sub);
				assert_int_equal(ev.a, want.a);
			}
		}
	}
	if (n < 0)
		assert_true(r.err[0]);
	int64_t got = n < 0 ? -1 : (int64_t)r.nevents;
	if (closed)
		*closed = r.closed;
	trace_reader_close(&r);
	return got;
}

static void test_trace_reader_many_chunks_round_trip_with_index(void **state)
{
	(void)state;
	const uint64_t n = 400000; /* several chunks */
	bool closed = false;
	write_trace(n, true);
	assert_int_equal(read_all(&closed, true), n);
	assert_true(closed);

	struct trace_reader r;
	struct trace_event ev;
	assert_int_equal(trace_reader_open(&r, path), 0);
	assert_true(r.index_len >= 3);
	char buf[16];
	assert_string_equal(trace_header_get(&r, "ram", buf, sizeof(buf)), "1");
	assert_null(trace_header_get(&r, "seed", buf, sizeof(buf)));
	size_t last = r.index_len - 1;
	assert_int_equal(trace_reader_seek_chunk(&r, last), 0);
	assert_int_equal(trace_reader_next(&r, &ev), 1);
	struct trace_event want = nth_event(r.index[last].first_event);
	assert_int_equal(ev.type, want.type);
	assert_int_equal(ev.la, want.la);
	assert_int_equal(ev.pa, want.pa);
	uint64_t left = 1;
	while (trace_reader_next(&r, &ev) > 0)
		left++;
	assert_int_equal(left, r.index[last].nevents);
	assert_int_equal(r.index[last].first_event + left, n);
	assert_int_equal(trace_reader_seek_chunk(&r, r.index_len), -1);
	trace_reader_close(&r);
}

static void test_trace_reader_unclosed_trace_reads_complete_chunks(void **state)
{
	(void)state;
	bool closed = true;
	write_trace(150000, false);
	assert_int_equal(read_all(&closed, true), 150000);
	assert_false(closed);
}

static long file_size(void)
{
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fclose(f);
	return n;
}

static uint8_t *load(long *n)
{
	*n = file_size();
	uint8_t *b = malloc((size_t)*n);
	FILE *f = fopen(path, "rb");
	assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
	fclose(f);
	return b;
}

static void store(const uint8_t *b, long n)
{
	FILE *f = fopen(path, "wb");
	assert_int_equal(fwrite(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
}

static void test_trace_reader_every_cut_is_refused_or_a_chunk_prefix(void **state)
{
	(void)state;
	write_trace(3000, true);
	long n;
	uint8_t *full = load(&n);
	struct trace_reader r;
	assert_int_equal(trace_reader_open(&r, path), 0);
	uint64_t chunk_end = r.index[0].offset + 32 + r.index[0].comp_len;
	uint64_t chunk_events = r.index[0].nevents;
	uint64_t chunk_start = r.index[0].offset;
	assert_int_equal(r.index_len, 1);
	trace_reader_close(&r);
	for (long cut = 0; cut < n; cut++) {
		store(full, cut);
		bool closed = true;
		int64_t got = read_all(&closed, true);
		if ((uint64_t)cut == chunk_end) {
			assert_int_equal(got, chunk_events); /* the index was lost, the chunk not */
			assert_false(closed);
		} else if ((uint64_t)cut == chunk_start) {
			assert_int_equal(got, 0); /* header only: an empty, unclosed trace */
		} else {
			assert_int_equal(got, -1);
		}
	}
	free(full);
}

static void test_trace_reader_every_changed_byte_is_refused(void **state)
{
	(void)state;
	write_trace(2000, true);
	long n;
	uint8_t *full = load(&n);
	for (long i = 0; i < n; i++) {
		if (i == 10 || i == 11)
			continue; /* the minor version: a reader accepts other minors */
		unsigned bit = (unsigned)i % 8;
		full[i] ^= (uint8_t)(1u << bit);
		store(full, n);
		if (read_all(NULL, false) != -1)
			fail_msg("changing bit %u of byte %ld went unnoticed", bit, i);
		full[i] ^= (uint8_t)(1u << bit);
	}
	free(full);
}

static void test_trace_reader_random_mutations_never_crash(void **state)
{
	(void)state;
	write_trace(5000, true);
	long n;
	uint8_t *full = load(&n);
	uint8_t *b = malloc((size_t)n);
	uint64_t rng = 0x123456789abcdefULL;
	for (int iter = 0; iter < 1500; iter++) {
		memcpy(b, full, (size_t)n);
		int changes = 1 + iter % 8;
		for (int c = 0; c < changes; c++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			b[rng % (uint64_t)n] = (uint8_t)(rng >> 32);
		}
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		long len = iter % 3 ? n : (long)(rng % (uint64_t)n);
		store(b, len);
		read_all(NULL, false); /* an error or not: it must not crash */
	}
	free(b);
	free(full);
}

static void test_trace_reader_foreign_and_missing_files_are_refused(void **state)
{
	(void)state;
	struct trace_reader r;
	store((const uint8_t *)"I  0023C790,2\n", 14);
	assert_int_equal(trace_reader_open(&r, path), -1);
	assert_true(r.foreign);
	trace_reader_close(&r);
	store((const uint8_t *)"MMEMUTRC\x02\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(trace_reader_open(&r, path), -1);
	assert_false(r.foreign);
	assert_non_null(strstr(r.err, "version 2"));
	trace_reader_close(&r);
	assert_int_equal(trace_reader_open(&r, "/nonexistent/trace"), -1);
	trace_reader_close(&r);
}

static void test_trace_reader_minor_0_trace_reads_without_sizes(void **state)
{
	(void)state;
	bool closed = false;
	write_trace_as(150000, true, true);
	reading_minor0 = true;
	assert_int_equal(read_all(&closed, true), 150000);
	reading_minor0 = false;
	assert_true(closed);
	struct trace_reader r;
	assert_int_equal(trace_reader_open(&r, path), 0);
	assert_int_equal(r.minor, 0);
	trace_reader_close(&r);
}

/* A seek taken between the two events of a pair (1.4: two equal repeats in one byte)
 * reads the new chunk from its start: the half-read pair is forgotten. The batch repeats
 * one 8-byte read 64 times: pairs of REPEAT_DELTA. */
static void test_trace_reader_seek_inside_a_pair_forgets_it(void **state)
{
	(void)state;
	struct trace_writer w;
	char err[256];
	struct mmu_trace_access a[64];
	unsigned runs = 0;
	assert_int_equal(trace_writer_open(&w, path, "format=test\nram=1\n", err, sizeof(err)), 0);
	for (unsigned i = 0; i < 64; i++)
		a[i] = (struct mmu_trace_access){.la = 0x400000 + 8 * i, .pa = 0x9000000 + 8 * i,
						 .flags = MMU_READ, .size = 8};
	assert_int_equal(trace_writer_batch(&w, a, 64, &runs), 64);
	assert_int_equal(trace_writer_close(&w), 0);

	struct trace_reader r;
	struct trace_event ev;
	assert_int_equal(trace_reader_open(&r, path), 0);
	assert_true(r.index_len >= 1);
	uint64_t n = 0;
	while (!r.delta.pair_next) { /* into the first pair */
		assert_int_equal(trace_reader_next(&r, &ev), 1);
		n++;
	}
	assert_true(n < 64);
	assert_int_equal(trace_reader_seek_chunk(&r, 0), 0);
	for (n = 0; trace_reader_next(&r, &ev) > 0; n++)
		assert_int_equal(ev.la, 0x400000 + 8 * n);
	assert_int_equal(r.err[0], 0);
	assert_int_equal(n, 64);
	trace_reader_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_reader_many_chunks_round_trip_with_index),
	    cmocka_unit_test(test_trace_reader_seek_inside_a_pair_forgets_it),
	    cmocka_unit_test(test_trace_reader_unclosed_trace_reads_complete_chunks),
	    cmocka_unit_test(test_trace_reader_minor_0_trace_reads_without_sizes),
	    cmocka_unit_test(test_trace_reader_every_cut_is_refused_or_a_chunk_prefix),
	    cmocka_unit_test(test_trace_reader_every_changed_byte_is_refused),
	    cmocka_unit_test(test_trace_reader_random_mutations_never_crash),
	    cmocka_unit_test(test_trace_reader_foreign_and_missing_files_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
