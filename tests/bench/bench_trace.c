/*
 * Trace benchmarks: the cost of recording (a guest run with a trace against the same run
 * without, in the same process; in wall-clock time, what the user waits for, and in CPU
 * time, what the machine spends; with the writer thread and with the writer inline in
 * the run's thread; and the recording thread's own CPU time, the run's time when the
 * writer has a core of its own, which a busy machine changes least), the size of a trace per access (and what the page_ref
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

/* Process CPU time (every thread's): what the machine spends. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock time: what the user waits for (the writer thread's work overlaps the run). */
static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: in a traced run, the recording thread's alone, which
 * is what the run takes when the writer thread has a core of its own (less any wait for
 * it). Unlike wall-clock time, other programs on the machine hardly change it. */
static double thread_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The replays and decodes below run in one thread: their CPU time is their time. */
static double now_s(void)
{
	return cpu_s();
}

/* How a run is recorded. */
enum rec_mode {
	REC_NONE,    /* not at all: the plain run */
	REC_THREAD,  /* with the writer thread (what mmemu run --trace does) */
	REC_INLINE,  /* encoding, compression and writing in the run's thread */
	REC_NO_REFS, /* with the writer thread, without page_ref events (a 1.2 recorder) */
};

/* Seconds of a run: wall-clock, CPU time (of all threads), the run's thread's CPU time. */
struct timing {
	double wall, cpu, thread;
};

/* Runs prog (argv) on a fresh default machine, recording into TRACE_PATH as mode says;
 * returns its times, and the instructions executed in *insns. */
static struct timing run_traced(const char *prog, int argc, const char *const *argv,
				enum rec_mode mode, uint64_t *insns)
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
	struct trace_record_opts ro = {.inline_writer = mode == REC_INLINE};
	char header[4096];
	int status;
	double w0 = wall_s(), c0 = cpu_s(), t0 = thread_s();
	if (mode != REC_NONE) {
		trace_header_format(header, sizeof(header), m, &o);
		if (trace_record_start_with(&rec, m, TRACE_PATH, header, &ro, err, sizeof(err)) < 0)
			exit(1);
		if (mode == REC_NO_REFS) /* what a 1.2 recorder wrote */
			rec.kmem.page_ref = NULL;
		m->trace = &rec;
	}
	enum run_result r = machine_run_program(m, &o, &status);
	if (mode != REC_NONE && trace_record_finish(&rec, (int)r, status) < 0)
		exit(1);
	struct timing t = {wall_s() - w0, cpu_s() - c0, thread_s() - t0};
	*insns = m->cpu.icount;
	machine_destroy(m);
	free(m);
	return t;
}

/* Best of n runs, wall-clock and CPU time each on its own. */
static struct timing best_of(int n, const char *prog, int argc, const char *const *argv,
			     enum rec_mode mode, uint64_t *insns)
{
	struct timing best = {1e9, 1e9, 1e9};
	for (int i = 0; i < n; i++) {
		struct timing t = run_traced(prog, argc, argv, mode, insns);
		best.wall = t.wall < best.wall ? t.wall : best.wall;
		best.cpu = t.cpu < best.cpu ? t.cpu : best.cpu;
		best.thread = t.thread < best.thread ? t.thread : best.thread;
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
	struct timing norefs = best_of(5, prog, argc, argv, REC_NO_REFS, &insns);
	stat(TRACE_PATH, &st);
	off_t no_refs = st.st_size;
	struct timing plain = best_of(5, prog, argc, argv, REC_NONE, &insns);
	struct timing inl = best_of(5, prog, argc, argv, REC_INLINE, &insns);
	struct timing traced = best_of(5, prog, argc, argv, REC_THREAD, &insns);
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
	printf("%-16s %8.1f M insns %8.1f M transl | wall: run %6.3f s, traced %6.3f s: %5.2fx "
	       "(inline writer %6.3f s: %5.2fx) | cpu: run %6.3f s, traced %6.3f s: %5.2fx "
	       "(inline %5.2fx) | recording thread %6.3f s: %5.2fx\n",
	       label, insns / 1e6, acc / 1e6, plain.wall, traced.wall, traced.wall / plain.wall,
	       inl.wall, inl.wall / plain.wall, plain.cpu, traced.cpu, traced.cpu / plain.cpu,
	       inl.cpu / plain.cpu, traced.thread, traced.thread / plain.cpu);
	printf("%-16s without page_ref %6.3f s wall: %5.3fx | %5.2f B/transl (%5.2f without "
	       "page_ref: %+.1f%%) | decode %5.1f, what-if %5.1f (%4.2fx), verify %5.1f (%4.2fx), "
	       "kernel %5.1f (%4.2fx) M transl/s\n",
	       "", norefs.wall, traced.wall / norefs.wall, (double)st.st_size / (double)acc,
	       (double)no_refs / (double)acc,
	       100.0 * ((double)st.st_size - (double)no_refs) / (double)no_refs,
	       acc / decode / 1e6, acc / whatif / 1e6,
	       whatif / decode, acc / verify / 1e6, verify / decode, acc / kernel / 1e6,
	       kernel / decode);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : bench_guests_dir();
	printf("trace: recording overhead (best of 5: wall-clock, CLOCK_MONOTONIC, what the user\n"
	       "waits for; and process CPU time, all threads), bytes per translation, replay speed\n"
	       "(CPU time, best of 3)\n");
	printf("(ratios: traced/plain run, with the writer thread and with the writer inline;\n"
	       "recording thread: its CPU time / the plain run's; replay time / decode-only time\n"
	       "of the same trace)\n");
	bench_guest(dir, "stack_grow", NULL);
	bench_guest(dir, "brk_malloc", NULL);
	bench_guest(dir, "touch_pages", "64");
	bench_guest(dir, "bench_sha256", "64");
	unlink(TRACE_PATH);
	return 0;
}
