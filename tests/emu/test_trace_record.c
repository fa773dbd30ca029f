/*
 * The recorder: exceptions other than #PF are recorded with their vector, error code, RIP
 * and the signal the kernel sent (guests/wild_jump raises each on purpose; the expected
 * signals are Linux's: #UD SIGILL, #BP SIGTRAP, #GP SIGSEGV), and a run's instruction
 * fetches reach the trace as fetch runs.
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

/* What a recording of one guest run held. */
struct seen {
	unsigned exceptions;	   /* EXT exception events */
	struct trace_event exc;	   /* the last of them */
	uint64_t run_fetches;	   /* fetches in EXT fetch_run events */
	uint64_t runs;		   /* fetch_run events */
};

/* Records guests/wild_jump how (or hello when how is NULL) and reads the trace back. */
static void record(const char *guest, const char *how, struct seen *s)
{
	const char *build = getenv("MMEMU_BUILD");
	char prog[512], path[64], err[256], header[4096];
	snprintf(prog, sizeof(prog), "%s/guests/%s", build ? build : ".", guest);
	snprintf(path, sizeof(path), "/tmp/mmemu-test-record.%d", (int)getpid());
	struct machine_opts mo;
	machine_opts_init(&mo);
	assert_int_equal(machine_options_finish(&mo, err, sizeof(err)), 0);
	struct machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)), 0);
	const char *argv[] = {prog, how, NULL}, *envp[] = {NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = how ? 2 : 1,
				.argv = argv, .envc = 0, .envp = envp};
	struct trace_recorder r;
	int status;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start(&r, m, path, header, err, sizeof(err)), 0);
	m->trace = &r;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	assert_int_equal(trace_record_finish(&r, (int)res, status), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_record_ud2_is_ud_answered_with_sigill),
	    cmocka_unit_test(test_trace_record_int3_is_bp_answered_with_sigtrap),
	    cmocka_unit_test(test_trace_record_hlt_is_gp_answered_with_sigsegv),
	    cmocka_unit_test(test_trace_record_clean_run_has_no_exception_and_fetch_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
