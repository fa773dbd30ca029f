/*
 * Trace benchmarks: the cost of recording (a guest run with a trace against the same run
 * without, in the same process), the size of a trace per access (and what the page_ref
 * events of format 1.3 add to its size and recording time: the same run recorded without
 * them), and replay speed in
 * translations per second, exact (--verify), what-if through the MMU, and what-if through
 * the simulated kernel (replay --kernel: exec, address-space calls, faults into the
 * kernel), against the reference of only reading and decoding the same trace.
 *
 * Usage: bench_trace [GUESTS_DIR] (default: the build's guests, tests/bench/bench_guests.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/replay.h"
#include "emu/replay_kernel.h"
#include "emu/run.h"
#include "emu/trace.h"
#include "emu/trace_record.h"
#include "tests/bench/bench_guests.h"

#define TRACE_PATH "/tmp/mmemu-bench-trace.trc"

/* Process CPU time: the machine is shared, and a guest run does no waiting of its own. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs prog (argv) on a fresh default machine, recording into TRACE_PATH when trace (with
 * page_ref events unless no_refs); returns host seconds, and the instructions executed in
 * *insns. */
static double run_traced(const char *prog, int argc, const char *const *argv, bool trace,
			 bool no_refs, uint64_t *insns)
{
	struct machine_opts mo;
	char err[256];
	machine_opts_init(&mo);
	if (machine_options_finish(&mo, err, sizeof(err)) < 0)
		exit(1);
	struct machine *m = calloc(1, sizeof(*m));
	if (machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	const char *envp[] = {"PATH=/bin", NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = argc, .argv = argv,
				.envc = 1, .envp = envp};
	struct trace_recorder rec;
	char header[4096];
	int status;
	double t0 = now_s();
	if (trace) {
		trace_header_format(header, sizeof(header), m, &o);
		if (trace_record_start(&rec, m, TRACE_PATH, header, err, sizeof(err)) < 0)
			exit(1);
		if (no_refs) /* what a 1.2 recorder wrote */
			rec.kmem.page_ref = NULL;
		m->trace = &rec;
	}
	enum run_result r = machine_run_program(m, &o, &status);
	if (trace)
		trace_record_finish(&rec, (int)r, status);
	double t = now_s() - t0;
	*insns = m->cpu.icount;
	machine_destroy(m);
	free(m);
	return t;
}

static double run_once(const char *prog, int argc, const char *const *argv, bool trace,
		       uint64_t *insns)
{
	return run_traced(prog, argc, argv, trace, false, insns);
}

static double best_of(int n, const char *prog, int argc, const char *const *argv, bool trace,
		      uint64_t *insns)
{
	double best = 1e9;
	for (int i = 0; i < n; i++) {
		double t = run_once(prog, argc, argv, trace, insns);
		best = t < best ? t : best;
	}
	return best;
}

/* Best of n traced runs without page_ref events: the reference for their recording cost. */
static double best_without_refs(int n, const char *prog, int argc, const char *const *argv,
				uint64_t *insns)
{
	double best = 1e9;
	for (int i = 0; i < n; i++) {
		double t = run_traced(prog, argc, argv, true, true, insns);
		best = t < best ? t : best;
	}
	return best;
}

/* The translations an event stands for: an ACCESS or FAULT one, a FETCH_RUN its count. */
static uint64_t translations(const struct trace_event *ev)
{
	if (ev->type == TEV_EXT && ev->sub == TEXT_FETCH_RUN)
		return ev->a;
	return ev->type == TEV_ACCESS || ev->type == TEV_FAULT;
}

/* Reads every event of TRACE_PATH; with r, replays them. Seconds; *acc translations. */
static double pass(struct replay *r, uint64_t *acc)
{
	struct trace_reader tr;
	struct trace_event ev;
	if (trace_reader_open(&tr, TRACE_PATH) < 0)
		exit(1);
	double t0 = now_s();
	*acc = 0;
	while (trace_reader_next(&tr, &ev) > 0) {
		*acc += translations(&ev);
		if (r && replay_event(r, &ev) < 0) {
			fprintf(stderr, "replay: %s\n", r->err);
			exit(1);
		}
	}
	double t = now_s() - t0;
	trace_reader_close(&tr);
	return t;
}

static double replay_once(bool verify, uint64_t *acc)
{
	struct replay *r = calloc(1, sizeof(*r));
	if (replay_init(r, 512ULL << 20, NULL, verify) < 0)
		exit(1);
	double t = pass(r, acc);
	if (replay_finish(r) < 0) {
		fprintf(stderr, "replay: %s\n", r->err);
		exit(1);
	}
	replay_destroy(r);
	free(r);
	return t;
}

/* The trace replayed through the kernel of a default machine. Seconds; *acc translations. */
static double kernel_once(const char *prog, int argc, const char *const *argv, uint64_t *acc)
{
	struct machine_opts mo;
	char err[256];
	const char *envp[] = {"PATH=/bin", NULL};
	struct kreplay_program kp = {prog, prog, argc, 1, argv, envp};
	struct trace_reader tr;
	struct trace_event ev;
	machine_opts_init(&mo);
	struct kreplay *r = calloc(1, sizeof(*r));
	if (machine_options_finish(&mo, err, sizeof(err)) < 0 ||
	    kreplay_init(r, &mo.params, &mo.tlb, &kp) < 0 || trace_reader_open(&tr, TRACE_PATH) < 0) {
		fprintf(stderr, "kernel replay: %s\n", r->err);
		exit(1);
	}
	double t0 = now_s();
	*acc = 0;
	while (trace_reader_next(&tr, &ev) > 0) {
		*acc += translations(&ev);
		if (kreplay_event(r, &ev) < 0) {
			fprintf(stderr, "kernel replay: %s\n", r->err);
			exit(1);
		}
	}
	kreplay_finish(r);
	double t = now_s() - t0;
	trace_reader_close(&tr);
	kreplay_destroy(r);
	free(r);
	return t;
}

/* Best of three: decode only (verify ignored) when replay is false. */
static double best_pass(bool replay, bool verify, uint64_t *acc)
{
	double best = 1e9;
	for (int i = 0; i < 3; i++) {
		double t = replay ? replay_once(verify, acc) : pass(NULL, acc);
		best = t < best ? t : best;
	}
	return best;
}

static int saved_fd[3] = {-1, -1, -1};

/* The guests' own output (stdout and stderr) out of the way while they run. */
static void quiet(bool on)
{
	fflush(stdout);
	fflush(stderr);
	for (int fd = 1; fd <= 2; fd++) {
		if (on) {
			saved_fd[fd] = dup(fd);
			int null = open("/dev/null", O_WRONLY);
			dup2(null, fd);
			close(null);
		} else {
			dup2(saved_fd[fd], fd);
			close(saved_fd[fd]);
		}
	}
}

static void bench_guest(const char *dir, const char *name, const char *arg)
{
	char prog[512];
	snprintf(prog, sizeof(prog), "%s/%s", dir, name);
	const char *argv[] = {prog, arg, NULL};
	int argc = arg ? 2 : 1;
	uint64_t insns, acc;
	struct stat st;
	quiet(true);
	double traced_norefs = best_without_refs(5, prog, argc, argv, &insns);
	stat(TRACE_PATH, &st);
	off_t no_refs = st.st_size;
	double plain = best_of(5, prog, argc, argv, false, &insns);
	double traced = best_of(5, prog, argc, argv, true, &insns);
	quiet(false);
	stat(TRACE_PATH, &st);
	double decode = best_pass(false, false, &acc);
	double whatif = best_pass(true, false, &acc);
	double verify = best_pass(true, true, &acc);
	double kernel = 1e9;
	for (int i = 0; i < 3; i++) {
		double t = kernel_once(prog, argc, argv, &acc);
		kernel = t < kernel ? t : kernel;
	}
	char label[64];
	snprintf(label, sizeof(label), "%s%s%s", name, arg ? " " : "", arg ? arg : "");
	printf("%-16s %8.1f M insns %8.1f M transl | run %6.3f s, traced %6.3f s: %5.2fx | "
	       "without page_ref %6.3f s: %5.3fx | %5.2f B/transl (%5.2f without page_ref: "
	       "%+.1f%%) | decode %5.1f, what-if %5.1f (%4.2fx), verify %5.1f (%4.2fx), "
	       "kernel %5.1f (%4.2fx) M transl/s\n",
	       label, insns / 1e6, acc / 1e6, plain, traced, traced / plain,
	       traced_norefs, traced / traced_norefs, (double)st.st_size / (double)acc,
	       (double)no_refs / (double)acc,
	       100.0 * ((double)st.st_size - (double)no_refs) / (double)no_refs,
	       acc / decode / 1e6, acc / whatif / 1e6,
	       whatif / decode, acc / verify / 1e6, verify / decode, acc / kernel / 1e6,
	       kernel / decode);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : bench_guests_dir();
	printf("trace: recording overhead (process CPU time, best of 5), bytes per translation,\n"
	       "replay speed (best of 3)\n");
	printf("(ratios: traced/plain run; replay time / decode-only time of the same trace)\n");
	bench_guest(dir, "stack_grow", NULL);
	bench_guest(dir, "brk_malloc", NULL);
	bench_guest(dir, "touch_pages", "64");
	bench_guest(dir, "bench_sha256", "64");
	unlink(TRACE_PATH);
	return 0;
}
