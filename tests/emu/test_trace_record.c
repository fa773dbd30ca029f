/*
 * The recorder: exceptions other than #PF are recorded with their vector, error code, RIP
 * and the signal the kernel sent (guests/wild_jump raises each on purpose; the expected
 * signals are Linux's: #UD SIGILL, #BP SIGTRAP, #GP SIGSEGV), a run's instruction
 * fetches reach the trace as fetch runs, and the page_ref events, applied over the booted
 * machine's counts, give every frame the counts the machine ends with, each entry a change.
 * The writer thread writes the same bytes as a writer in the recording thread, and its
 * errors reach the caller; the program's identity it writes into the header is the
 * file's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"
#include "emu/trace.h"
#include "emu/trace_record.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

/* What a recording of one guest run held. */
struct seen {
	unsigned exceptions;	   /* EXT exception events */
	struct trace_event exc;	   /* the last of them */
	uint64_t run_fetches;	   /* fetches in EXT fetch_run events */
	uint64_t runs;		   /* fetch_run events */
};

/* A freshly booted machine with the default options. */
static struct machine *boot(void)
{
	char err[256];
	struct machine_opts mo;
	machine_opts_init(&mo);
	assert_int_equal(machine_options_finish(&mo, err, sizeof(err)), 0);
	struct machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)), 0);
	return m;
}

/* Runs guests/GUEST [ARG] on m with a trace recorded into path with options ro (NULL:
 * the defaults); what trace_record_finish returned. */
static int run_recorded_with(struct machine *m, const char *guest, const char *arg,
			     const char *path, const struct trace_record_opts *ro)
{
	const char *build = getenv("MMEMU_BUILD");
	char prog[512], err[256], header[4096];
	snprintf(prog, sizeof(prog), "%s/guests/%s", build ? build : ".", guest);
	const char *argv[] = {prog, arg, NULL}, *envp[] = {NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = arg ? 2 : 1,
				.argv = argv, .envc = 0, .envp = envp};
	struct trace_recorder r;
	int status;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start_with(&r, m, path, header, ro, err, sizeof(err)), 0);
	m->trace = &r;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	m->trace = NULL;
	return trace_record_finish(&r, (int)res, status);
}

/* Runs guests/GUEST [ARG] on m with a trace recorded into path. */
static void run_recorded(struct machine *m, const char *guest, const char *arg,
			 const char *path)
{
	assert_int_equal(run_recorded_with(m, guest, arg, path, NULL), 0);
}

/* Records guests/wild_jump how (or hello when how is NULL) and reads the trace back. */
static void record(const char *guest, const char *how, struct seen *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record.%d", (int)getpid());
	struct machine *m = boot();
	run_recorded(m, guest, how, path);
	machine_destroy(m);
	free(m);

	struct trace_reader tr;
	struct trace_event ev;
	memset(s, 0, sizeof(*s));
	assert_int_equal(trace_reader_open(&tr, path), 0);
	while (trace_reader_next(&tr, &ev) > 0) {
		if (ev.type == TEV_EXT && ev.sub == TEXT_EXCEPTION) {
			s->exceptions++;
			s->exc = ev;
		}
		if (ev.type == TEV_EXT && ev.sub == TEXT_FETCH_RUN) {
			s->runs++;
			s->run_fetches += ev.a;
		}
	}
	assert_true(tr.closed);
	trace_reader_close(&tr);
	unlink(path);
}

static void test_trace_record_ud2_is_ud_answered_with_sigill(void **state)
{
	(void)state;
	struct seen s;
	record("wild_jump", "ud2", &s);
	assert_int_equal(s.exceptions, 1);
	assert_int_equal(s.exc.vector, 6);
	assert_int_equal(s.exc.error, 0);
	assert_int_equal(s.exc.a, 4); /* SIGILL */
	assert_true(s.exc.la >= 0x400000 && s.exc.la < 0x800000); /* in the program's text */
}

static void test_trace_record_int3_is_bp_answered_with_sigtrap(void **state)
{
	(void)state;
	struct seen s;
	record("wild_jump", "int3", &s);
	assert_int_equal(s.exceptions, 1);
	assert_int_equal(s.exc.vector, 3);
	assert_int_equal(s.exc.a, 5); /* SIGTRAP */
}

static void test_trace_record_hlt_is_gp_answered_with_sigsegv(void **state)
{
	(void)state;
	struct seen s;
	record("wild_jump", "hlt", &s);
	assert_int_equal(s.exceptions, 1);
	assert_int_equal(s.exc.vector, 13);
	assert_int_equal(s.exc.error, 0);
	assert_int_equal(s.exc.a, 11); /* SIGSEGV */
}

static void test_trace_record_clean_run_has_no_exception_and_fetch_runs(void **state)
{
	(void)state;
	struct seen s;
	record("hello", NULL, &s);
	assert_int_equal(s.exceptions, 0);
	assert_true(s.runs > 0);
	assert_true(s.run_fetches > s.runs); /* a run stands for more than one fetch */
}

/* Every frame's page_count and page_mapcount on machine m: [2 * pfn], [2 * pfn + 1]. */
static int32_t *all_counts(const struct machine *m)
{
	const struct kernel *k = &m->kernel;
	int32_t *c = calloc(2 * k->max_pfn, sizeof(*c));
	assert_non_null(c);
	for (unsigned long p = 0; p < k->max_pfn; p++)
		if (pfn_valid(k, p)) {
			c[2 * p] = page_count(pfn_to_page(k, p));
			c[2 * p + 1] = page_mapcount(pfn_to_page(k, p));
		}
	return c;
}

/*
 * Records guest (with arg) on a fresh default machine and reads the trace back: the
 * booted machine's counts with every page_ref entry applied in order are the machine's
 * counts once the program is over, frame for frame; every entry changes its frame's
 * counts (a get_page/put_page pair inside one kernel entry writes nothing); and the
 * counts of a frame the kernel changed are written before the program next runs (no
 * translation from user mode comes between a page_ref-worthy change and its entry --
 * checked as: each page_ref event follows a return point's event or another page_ref).
 * Returns the entries read.
 */
static uint64_t check_page_refs(const char *guest, const char *arg)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-refs.%d", (int)getpid());
	struct machine *m = boot();
	unsigned long nr = m->kernel.max_pfn;
	int32_t *counts = all_counts(m);
	run_recorded(m, guest, arg, path);
	int32_t *final = all_counts(m);
	machine_destroy(m);
	free(m);

	struct trace_reader tr;
	struct trace_event ev;
	uint8_t before = TEV_FEATURES, before_sub = 0;
	uint64_t entries = 0;
	assert_int_equal(trace_reader_open(&tr, path), 0);
	assert_true(tr.minor >= 3); /* page_ref: 1.3 on */
	while (trace_reader_next(&tr, &ev) > 0) {
		if (ev.type == TEV_EXT && ev.sub == TEXT_PAGE_REF) {
			/* Written at a return to user mode: nothing from user mode comes between
			 * the kernel's work and its counts. */
			assert_true(before != TEV_ACCESS && before != TEV_FAULT &&
				    !(before == TEV_EXT && before_sub == TEXT_FETCH_RUN));
			struct trace_page_refs_iter it;
			struct trace_page_ref e;
			trace_page_refs_begin(&it, &ev);
			while (trace_page_refs_next(&it, &e)) {
				assert_true(e.pfn < nr);
				int32_t *c = &counts[2 * e.pfn];
				if (c[0] == e.refcount && c[1] == e.mapcount)
					fail_msg("%s: pfn %#llx: an entry that changes nothing (%d %d)",
						 guest, (unsigned long long)e.pfn, e.refcount, e.mapcount);
				c[0] = e.refcount;
				c[1] = e.mapcount;
				entries++;
			}
		}
		before = ev.type;
		before_sub = ev.sub;
	}
	assert_true(tr.closed);
	trace_reader_close(&tr);
	unlink(path);
	for (unsigned long p = 0; p < nr; p++)
		if (counts[2 * p] != final[2 * p] || counts[2 * p + 1] != final[2 * p + 1])
			fail_msg("%s: pfn %#lx: the trace ends with ref %d map %d, the machine with "
				 "%d %d",
				 guest, p, counts[2 * p], counts[2 * p + 1], final[2 * p],
				 final[2 * p + 1]);
	free(counts);
	free(final);
	return entries;
}

/* The counts the first page_ref events are changes from: every frame's, as the machine
 * has them when the recording starts (read section by section; a booted machine has
 * frames of the kernel's and free ones side by side), over the whole of RAM. */
static void test_trace_record_start_takes_every_frames_counts(void **state)
{
	(void)state;
	char path[64], err[256];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-start.%d", (int)getpid());
	struct machine *m = boot();
	int32_t *want = all_counts(m);
	struct trace_recorder r;
	assert_int_equal(trace_record_start(&r, m, path, "format=x\n", err, sizeof(err)), 0);
	assert_int_equal(r.nr_frames, m->kernel.max_pfn);
	unsigned long differ = 0, wrong = 0, first = 0;
	for (unsigned long p = 0; p < r.nr_frames; p++) {
		if (r.ref_last[2 * p] != want[2 * p] || r.ref_last[2 * p + 1] != want[2 * p + 1])
			first = wrong++ ? first : p;
		differ += p && want[2 * p] != want[2 * p - 2];
	}
	assert_int_equal(trace_record_finish(&r, RUN_EXITED, 0), 0); /* before any failure */
	machine_destroy(m);
	free(m);
	free(want);
	unlink(path);
	if (wrong)
		fail_msg("%lu frames' counts taken wrong, the first pfn %#lx", wrong, first);
	assert_true(differ > 0); /* not all alike: the check above could tell frames apart */
}

/* touch_pages maps 1 MiB of anonymous pages and frees them at its end: each page's counts
 * at least twice (mapped: 1 and 1; freed: 0 and 0). */
static void test_trace_record_page_refs_of_anonymous_pages_end_as_the_machine(void **state)
{
	(void)state;
	assert_true(check_page_refs("touch_pages", "1") >= 2 * 256);
}

/* File mappings, mprotect, munmap and mremap (mmap_patterns), signal frames (sig_fpu) and
 * the kernel's own buffers (statfs_info reads /proc/mounts). */
static void test_trace_record_page_refs_of_other_guests_end_as_the_machine(void **state)
{
	(void)state;
	assert_true(check_page_refs("mmap_patterns", NULL) > 0);
	assert_true(check_page_refs("sig_fpu", NULL) > 0);
	assert_true(check_page_refs("statfs_info", NULL) > 0);
}

/* The bytes of the file at path (malloc), their count in *len. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Records guest arg on a fresh default machine into path with options ro; the file's
 * bytes (malloc) and their count in *len. */
static uint8_t *recording_bytes(const char *guest, const char *arg,
				const struct trace_record_opts *ro, size_t *len)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-bytes.%d", (int)getpid());
	struct machine *m = boot();
	assert_int_equal(run_recorded_with(m, guest, arg, path, ro), 0);
	machine_destroy(m);
	free(m);
	uint8_t *bytes = slurp(path, len);
	unlink(path);
	return bytes;
}

/* The chunks of a trace held in bytes[0..len) (its index). */
static size_t chunks_of(const uint8_t *bytes, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-chunks.%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
	struct trace_reader tr;
	assert_int_equal(trace_reader_open(&tr, path), 0);
	assert_non_null(tr.index); /* a closed trace */
	size_t n = tr.index_len;
	trace_reader_close(&tr);
	unlink(path);
	return n;
}

/*
 * A run is deterministic, so its trace is a function of the run: written by the writer
 * thread (as mmemu run --trace does), by the writer inline in the recording thread (the
 * one-thread recorder's order of work), and by the thread through the smallest ring (two
 * blocks of the smallest size: the recording waits for the writer again and again, and
 * blocks end at other records), the files are the same byte for byte. Where the writer
 * ends a chunk depends on the events alone, never on when it got them. touch_pages
 * (faults, walks, fills, pages: every kind of record) and stack_grow (long batches of
 * stores) each take several chunks.
 */
static void test_trace_record_writer_thread_writes_the_inline_writers_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *guest, *arg;
	} runs[] = {{"touch_pages", "64"}, {"stack_grow", NULL}};
	const struct trace_record_opts inline_w = {.inline_writer = true};
	const struct trace_record_opts small = {.block_size = TRACE_RECORD_BLOCK_MIN, .nblocks = 2};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		size_t n_inline, n_thread, n_small;
		uint8_t *a = recording_bytes(runs[i].guest, runs[i].arg, &inline_w, &n_inline);
		uint8_t *b = recording_bytes(runs[i].guest, runs[i].arg, NULL, &n_thread);
		uint8_t *c = recording_bytes(runs[i].guest, runs[i].arg, &small, &n_small);
		assert_true(chunks_of(a, n_inline) >= 3);
		assert_int_equal(n_thread, n_inline);
		assert_int_equal(n_small, n_inline);
		assert_memory_equal(a, b, n_inline);
		assert_memory_equal(a, c, n_inline);
		free(a);
		free(b);
		free(c);
	}
}

/* A write error in the writer thread (a full disk: /dev/full takes no byte) reaches the
 * caller as before, from trace_record_finish, with its errno; the run is not disturbed. */
static void test_trace_record_full_disk_is_enospc_from_finish(void **state)
{
	(void)state;
	for (int inl = 0; inl < 2; inl++) {
		const struct trace_record_opts ro = {.inline_writer = inl};
		struct machine *m = boot();
		assert_int_equal(run_recorded_with(m, "touch_pages", "16", "/dev/full", &ro),
				 -ENOSPC);
		machine_destroy(m);
		free(m);
	}
}

/* trace_record_events while recording: the events the writer has written, once it has
 * every record made so far; it grows as the run goes on and ends at the file's count. */
static void test_trace_record_events_counts_what_the_writer_wrote(void **state)
{
	(void)state;
	char path[64], err[256], header[4096];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-events.%d", (int)getpid());
	struct machine *m = boot();
	const char *build = getenv("MMEMU_BUILD");
	char prog[512];
	snprintf(prog, sizeof(prog), "%s/guests/touch_pages", build ? build : ".");
	const char *argv[] = {prog, "8", NULL}, *envp[] = {NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = 2, .argv = argv,
				.envc = 0, .envp = envp, .max_insns = 20000};
	struct trace_recorder r;
	int status;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start(&r, m, path, header, err, sizeof(err)), 0);
	uint64_t at_start = trace_record_events(&r);
	assert_int_equal(at_start, 2); /* the first chunk's KEYFRAME, FEATURES */
	m->trace = &r;
	fflush(stdout);
	assert_int_equal(machine_run_program(m, &o, &status), RUN_LIMIT);
	uint64_t at_stop = trace_record_events(&r);
	assert_true(at_stop > 1000);
	assert_int_equal(trace_record_finish(&r, RUN_LIMIT, status), 0);
	machine_destroy(m);
	free(m);

	struct trace_reader tr;
	struct trace_event ev;
	uint64_t n = 0;
	assert_int_equal(trace_reader_open(&tr, path), 0);
	while (trace_reader_next(&tr, &ev) > 0)
		n++;
	trace_reader_close(&tr);
	unlink(path);
	/* After the stop: the statistics, the last counts, the run's statistics and END. */
	assert_true(n > at_stop && n <= at_stop + 16);
}

/* The header value of key in the trace at path (its reader's copy), or fails. */
static void header_value(const char *path, const char *key, char *buf, size_t len, bool *found)
{
	struct trace_reader tr;
	assert_int_equal(trace_reader_open(&tr, path), 0);
	*found = trace_header_get(&tr, key, buf, len) != NULL;
	assert_null(strstr(tr.header, TRACE_PROGRAM_ID_PENDING)); /* never in a file */
	trace_reader_close(&tr);
}

/*
 * The header's program_id, which the writer thread reads while the run goes on (or the
 * recording thread, with the writer inline), is the size of the program's file and the
 * CRC-32 of its bytes, as zlib computes it over the whole file read here: with a static
 * glibc program (hello, hundreds of KiB) and a small one (hello_asm64).
 */
static void test_trace_record_program_id_is_the_files_size_and_crc(void **state)
{
	(void)state;
	static const char *const guests[] = {"hello", "hello_asm64"};
	const struct trace_record_opts inline_w = {.inline_writer = true};
	const char *build = getenv("MMEMU_BUILD");
	char path[64], prog[512], want[64], got[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-id.%d", (int)getpid());
	for (size_t g = 0; g < sizeof(guests) / sizeof(guests[0]); g++) {
		size_t n;
		snprintf(prog, sizeof(prog), "%s/guests/%s", build ? build : ".", guests[g]);
		uint8_t *bytes = slurp(prog, &n);
		snprintf(want, sizeof(want), "%zu %08lx", n, (unsigned long)crc32(0, bytes, (uInt)n));
		free(bytes);
		for (int inl = 0; inl < 2; inl++) {
			bool found;
			struct machine *m = boot();
			assert_int_equal(run_recorded_with(m, guests[g], NULL, path,
							   inl ? &inline_w : NULL), 0);
			machine_destroy(m);
			free(m);
			header_value(path, "program_id", got, sizeof(got), &found);
			assert_true(found);
			assert_string_equal(got, want);
		}
	}
	unlink(path);
}

/* Records nothing with header text: the recorder started and finished at once. */
static void record_header_only(const char *path, const char *header)
{
	char err[256];
	struct trace_recorder r;
	struct machine *m = boot();
	assert_int_equal(trace_record_start(&r, m, path, header, err, sizeof(err)), 0);
	assert_int_equal(trace_record_finish(&r, RUN_EXITED, 0), 0);
	machine_destroy(m);
	free(m);
}

/* A program the writer cannot read (gone, or never there) has no program_id line rather
 * than a wrong one, and a header whose identity would pass TRACE_HEADER_MAX none either;
 * the rest of the header is kept, byte for byte. */
static void test_trace_record_unreadable_or_oversized_program_id_is_left_out(void **state)
{
	(void)state;
	char path[64], got[256];
	bool found;
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record-noid.%d", (int)getpid());
	record_header_only(path, "format=x\nprogram=/nonexistent/prog\nprogram_id=" TRACE_PROGRAM_ID_PENDING
				 "\nargc=1\n");
	header_value(path, "program_id", got, sizeof(got), &found);
	assert_false(found);
	header_value(path, "argc", got, sizeof(got), &found);
	assert_true(found);
	assert_string_equal(got, "1");

	/* /bin/sh is readable, but its identity does not fit into a full header. */
	const char *head = "program=/bin/sh\nprogram_id=" TRACE_PROGRAM_ID_PENDING "\npad=";
	char *header = malloc(TRACE_HEADER_MAX + 1);
	assert_non_null(header);
	size_t hl = strlen(head);
	memcpy(header, head, hl);
	memset(header + hl, 'x', TRACE_HEADER_MAX - hl - 1);
	strcpy(header + TRACE_HEADER_MAX - 1, "\n");
	assert_int_equal(strlen(header), TRACE_HEADER_MAX);
	record_header_only(path, header);
	free(header);
	header_value(path, "program_id", got, sizeof(got), &found);
	assert_false(found);
	header_value(path, "program", got, sizeof(got), &found);
	assert_string_equal(got, "/bin/sh");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_record_ud2_is_ud_answered_with_sigill),
	    cmocka_unit_test(test_trace_record_int3_is_bp_answered_with_sigtrap),
	    cmocka_unit_test(test_trace_record_hlt_is_gp_answered_with_sigsegv),
	    cmocka_unit_test(test_trace_record_clean_run_has_no_exception_and_fetch_runs),
	    cmocka_unit_test(test_trace_record_start_takes_every_frames_counts),
	    cmocka_unit_test(test_trace_record_page_refs_of_anonymous_pages_end_as_the_machine),
	    cmocka_unit_test(test_trace_record_page_refs_of_other_guests_end_as_the_machine),
	    cmocka_unit_test(test_trace_record_writer_thread_writes_the_inline_writers_bytes),
	    cmocka_unit_test(test_trace_record_full_disk_is_enospc_from_finish),
	    cmocka_unit_test(test_trace_record_events_counts_what_the_writer_wrote),
	    cmocka_unit_test(test_trace_record_program_id_is_the_files_size_and_crc),
	    cmocka_unit_test(test_trace_record_unreadable_or_oversized_program_id_is_left_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
