/*
 * The recorder: exceptions other than #PF are recorded with their vector, error code, RIP
 * and the signal the kernel sent (guests/wild_jump raises each on purpose; the expected
 * signals are Linux's: #UD SIGILL, #BP SIGTRAP, #GP SIGSEGV), a run's instruction
 * fetches reach the trace as fetch runs, and the page_ref events, applied over the booted
 * machine's counts, give every frame the counts the machine ends with, each entry a change.
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

/* Runs guests/GUEST [ARG] on m with a trace recorded into path. */
static void run_recorded(struct machine *m, const char *guest, const char *arg,
			 const char *path)
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
	assert_int_equal(trace_record_start(&r, m, path, header, err, sizeof(err)), 0);
	m->trace = &r;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	assert_int_equal(trace_record_finish(&r, (int)res, status), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_record_ud2_is_ud_answered_with_sigill),
	    cmocka_unit_test(test_trace_record_int3_is_bp_answered_with_sigtrap),
	    cmocka_unit_test(test_trace_record_hlt_is_gp_answered_with_sigsegv),
	    cmocka_unit_test(test_trace_record_clean_run_has_no_exception_and_fetch_runs),
	    cmocka_unit_test(test_trace_record_page_refs_of_anonymous_pages_end_as_the_machine),
	    cmocka_unit_test(test_trace_record_page_refs_of_other_guests_end_as_the_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
