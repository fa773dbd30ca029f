/*
 * Replay: a guest run recorded in this process replays with --verify, and --verify is not
 * a rubber stamp: a changed fill, a changed physical address, a dropped fill, a changed
 * fault error code, or another TLB geometry are each reported at the event where they
 * differ. What-if replay under the recorded geometry gives the recorded statistics.
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
#include "emu/replay.h"
#include "emu/run.h"
#include "emu/trace.h"
#include "emu/trace_record.h"

struct recording {
	struct trace_event *ev; /* every event, STATS text copied */
	size_t n;
	char *stats;
};

static struct recording rec;

/* Runs guests/hello (x86-64, glibc) with a trace and loads every event. */
static int setup(void **state)
{
	(void)state;
	const char *build = getenv("MMEMU_BUILD");
	char prog[512], path[64], err[256], header[4096];
	snprintf(prog, sizeof(prog), "%s/guests/hello", build ? build : ".");
	snprintf(path, sizeof(path), "/tmp/mmemu-test-replay.%d", (int)getpid());
	struct machine_opts mo;
	machine_opts_init(&mo);
	if (machine_options_finish(&mo, err, sizeof(err)) < 0)
		return -1;
	struct machine *m = calloc(1, sizeof(*m));
	if (machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)) < 0)
		return -1;
	const char *argv[] = {prog, NULL}, *envp[] = {NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = 1, .argv = argv,
				.envc = 0, .envp = envp};
	struct trace_recorder r;
	int status;
	trace_header_format(header, sizeof(header), m, &o);
	if (trace_record_start(&r, m, path, header, err, sizeof(err)) < 0)
		return -1;
	m->trace = &r;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	if (res != RUN_EXITED || status != 0 || trace_record_finish(&r, (int)res, status) < 0)
		return -1;
	machine_destroy(m);
	free(m);

	struct trace_reader tr;
	struct trace_event ev;
	size_t cap = 1 << 16;
	rec.ev = malloc(cap * sizeof(*rec.ev));
	if (trace_reader_open(&tr, path) < 0)
		return -1;
	while (trace_reader_next(&tr, &ev) > 0) {
		if (rec.n == cap)
			rec.ev = realloc(rec.ev, (cap *= 2) * sizeof(*rec.ev));
		if (ev.type == TEV_STATS) {
			rec.stats = strndup(ev.text, ev.text_len);
			ev.text = rec.stats;
		}
		rec.ev[rec.n++] = ev;
	}
	trace_reader_close(&tr);
	unlink(path);
	return rec.stats ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(rec.ev);
	free(rec.stats);
	return 0;
}

/* Replays ev[0..n) under geometry cfg (NULL: default), skipping event skip (or none);
 * returns 0 or -1 with the error in err. */
static int replay(const struct trace_event *ev, size_t n, const struct tlb_config *cfg,
		  bool verify, size_t skip, char *err, struct replay **out)
{
	struct replay *r = calloc(1, sizeof(*r));
	assert_int_equal(replay_init(r, 512ULL << 20, cfg, verify), 0);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		if (i != skip)
			ret = replay_event(r, &ev[i]);
	if (ret == 0)
		ret = replay_finish(r);
	snprintf(err, 512, "%s", r->err);
	if (out) {
		*out = r;
		return ret;
	}
	replay_destroy(r);
	free(r);
	return ret;
}

/* Index of the k-th event of type t. */
static size_t nth_of(unsigned t, size_t k)
{
	for (size_t i = 0; i < rec.n; i++)
		if (rec.ev[i].type == t && k-- == 0)
			return i;
	fail_msg("no event %zu of type %u", k, t);
	return 0;
}

static void test_replay_recorded_run_verifies(void **state)
{
	(void)state;
	char err[512];
	assert_true(rec.n > 10000);
	if (replay(rec.ev, rec.n, NULL, true, SIZE_MAX, err, NULL) < 0)
		fail_msg("%s", err);
}

static void test_replay_changed_fill_is_reported_there(void **state)
{
	(void)state;
	char err[512], want[32];
	struct trace_event *ev = malloc(rec.n * sizeof(*ev));
	memcpy(ev, rec.ev, rec.n * sizeof(*ev));
	size_t i = nth_of(TEV_TLB_FILL, 20);
	ev[i].fill.vpn ^= 1;
	assert_int_equal(replay(ev, rec.n, NULL, true, SIZE_MAX, err, NULL), -1);
	assert_non_null(strstr(err, "recorded fill of"));
	/* Reported at the translation the fill belongs to: the next ACCESS or FAULT. */
	size_t at = i;
	while (ev[at].type != TEV_ACCESS && ev[at].type != TEV_FAULT)
		at++;
	snprintf(want, sizeof(want), "event %zu:", at + 1);
	assert_non_null(strstr(err, want));
	free(ev);
}

static void test_replay_changed_address_and_fault_are_reported(void **state)
{
	(void)state;
	char err[512];
	struct trace_event *ev = malloc(rec.n * sizeof(*ev));
	memcpy(ev, rec.ev, rec.n * sizeof(*ev));
	ev[nth_of(TEV_ACCESS, 5000)].pa += 4096;
	assert_int_equal(replay(ev, rec.n, NULL, true, SIZE_MAX, err, NULL), -1);
	assert_non_null(strstr(err, "recorded pa"));
	memcpy(ev, rec.ev, rec.n * sizeof(*ev));
	ev[nth_of(TEV_FAULT, 3)].error ^= PF_ERR_W;
	assert_int_equal(replay(ev, rec.n, NULL, true, SIZE_MAX, err, NULL), -1);
	assert_non_null(strstr(err, "recorded fault"));
	free(ev);
}

static void test_replay_dropped_fill_is_reported(void **state)
{
	(void)state;
	char err[512];
	assert_int_equal(replay(rec.ev, rec.n, NULL, true, nth_of(TEV_TLB_FILL, 7), err, NULL), -1);
	assert_non_null(strstr(err, "fill")); /* a count or a pair that differs */
}

static void test_replay_other_geometry_does_not_verify(void **state)
{
	(void)state;
	char err[512], perr[128];
	struct tlb_config cfg;
	tlb_config_default(&cfg);
	assert_int_equal(tlb_config_parse(&cfg, "l1d4k=16:4", perr, sizeof(perr)), 0);
	assert_int_equal(replay(rec.ev, rec.n, &cfg, true, SIZE_MAX, err, NULL), -1);
}

static void test_replay_what_if_same_geometry_gives_recorded_statistics(void **state)
{
	(void)state;
	char err[512], *text = NULL;
	size_t len = 0;
	struct replay *r;
	assert_int_equal(replay(rec.ev, rec.n, NULL, false, SIZE_MAX, err, &r), 0);
	FILE *f = open_memstream(&text, &len);
	mmu_stats_print(&r->mmu, f);
	fclose(f);
	assert_string_equal(text, rec.stats);
	free(text);
	replay_destroy(r);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_recorded_run_verifies),
	    cmocka_unit_test(test_replay_changed_fill_is_reported_there),
	    cmocka_unit_test(test_replay_changed_address_and_fault_are_reported),
	    cmocka_unit_test(test_replay_dropped_fill_is_reported),
	    cmocka_unit_test(test_replay_other_geometry_does_not_verify),
	    cmocka_unit_test(test_replay_what_if_same_geometry_gives_recorded_statistics),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
