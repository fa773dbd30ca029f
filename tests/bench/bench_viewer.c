/*
 * The viewer on a 4 GiB machine (1 M frames), every figure in CPU time of this thread (the
 * host is shared: its clock would count other processes' time too):
 *
 *   - live: classifying every frame, drawing every panel, the PNG of a screenshot, next to
 *     a reference measured in the same run: one plain pass that reads every struct page's
 *     flags (the least any picture of all frames must do);
 *   - a trace of touch_pages 256 on that machine: opening it (one pass), a picture after a
 *     step of the timeline (the frame state is kept up to date by the page events, so
 *     nothing is classified), after a seek back (a checkpoint restored), with the heat on;
 *   - a guest run with the live window attached (SDL's offscreen driver, so every picture
 *     is drawn into the window's surface as on a display), set running before it starts
 *     (a space key queued), against the same run without it: touch_pages 512 (page
 *     allocation on every page), bench_qsort 100000 (a quarter of a second of
 *     computation) and 400000 (a longer one). The CPU time of machine_run_program, which
 *     holds everything the window does on the run's thread: pictures, input, the heat's
 *     samples. Two ways: quit as the program ends (a q key queued before the end, as
 *     this bench always did), and kept open 50 ms after the end, so that the final
 *     state is drawn. Best and median of five alternated runs each.
 *
 * Parts: `bench_viewer [live] [trace] [attached]` (all without arguments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/png.h"
#include "emu/run.h"
#include "emu/trace_record.h"
#include "emu/viewer.h"
#include "tests/bench/bench_guests.h"
#include "emu/viewer_session.h"
#include "emu/viewer_trace.h"

/* CPU time of this thread: a run's cost without the other processes of a loaded host. */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

enum { ROUNDS = 20 };

static struct machine *new_machine(char *err, size_t errlen)
{
	struct machine_opts o;
	char *argv[] = {"-m", "4G"};
	int i = 0;
	machine_opts_init(&o);
	struct machine *m = calloc(1, sizeof(*m));
	if (!m || machine_option(2, argv, &i, &o, err, (unsigned)errlen) != 1 ||
	    machine_options_finish(&o, err, (unsigned)errlen) < 0 ||
	    machine_create(m, &o.params, &o.tlb, err, errlen) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

static void free_machine(struct machine *m)
{
	machine_destroy(m);
	free(m);
}

/* ---- live ---- */

/* The reference: a pass over every struct page reading its flags. */
static double bench_flags_pass(struct kernel *k)
{
	volatile uint64_t sink = 0;
	double t0 = cpu_ms();
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t acc = 0;
		for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++)
			acc += pfn_to_page(k, pfn)->flags;
		sink += acc;
	}
	return (cpu_ms() - t0) / ROUNDS;
}

/* viewer_update with the machine moved on (forced: classified cleared) or not. */
static double bench_classify(struct viewer *v, bool moved)
{
	double t0 = cpu_ms();
	for (int r = 0; r < ROUNDS; r++) {
		v->classified = !moved;
		viewer_update(v);
	}
	return (cpu_ms() - t0) / ROUNDS;
}

static double bench_render(struct viewer *v, SDL_Surface *s)
{
	double t0 = cpu_ms();
	for (int r = 0; r < ROUNDS; r++)
		viewer_render(v, s);
	return (cpu_ms() - t0) / ROUNDS;
}

static double bench_png(SDL_Surface *s, char *err, size_t errlen)
{
	double t0 = cpu_ms();
	if (png_write_xrgb("/tmp/mmemu-bench-viewer.png", s->pixels, (unsigned)s->w, (unsigned)s->h,
			   (size_t)s->pitch, err, errlen) < 0)
		return -1;
	double t = cpu_ms() - t0;
	remove("/tmp/mmemu-bench-viewer.png");
	return t;
}

static int bench_live(char *err, size_t errlen)
{
	struct machine *m = new_machine(err, errlen);
	struct viewer v;
	if (!m || viewer_init(&v, m, VIEWER_WIDTH, VIEWER_HEIGHT, err, errlen) < 0)
		return -1;
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v.width, v.height, 32, SDL_PIXELFORMAT_XRGB8888);
	double ref = bench_flags_pass(&m->kernel), cls = bench_classify(&v, true);
	double still = bench_classify(&v, false);
	double draw = bench_render(&v, s), png = bench_png(s, err, errlen);
	struct frame_class *classes = v.cls;
	v.cls = NULL; /* the text panels alone */
	double text = bench_render(&v, s);
	v.cls = classes;
	printf("live viewer, 4 GiB machine (%lu frames, %lu per cell), %dx%d, %d rounds:\n",
	       v.nr_frames, v.per_cell, v.width, v.height, ROUNDS);
	printf("  %-40s %8.2f ms\n", "reference: read every page's flags", ref);
	printf("  %-40s %8.2f ms  (%.2fx the reference)\n", "classify every frame + VMA rows", cls,
	       cls / ref);
	printf("  %-40s %8.2f ms  (%.2fx the reference)\n", "draw every panel", draw, draw / ref);
	printf("  %-40s %8.2f ms\n", "... of which the text panels", text);
	printf("  %-40s %8.2f ms  -> %.0f frames/s (aim: 60)\n", "frame (classify + draw)",
	       cls + draw, 1e3 / (cls + draw));
	printf("  %-40s %8.2f ms  -> %.0f frames/s\n", "frame, paused (no reclassification)",
	       still + draw, 1e3 / (still + draw));
	printf("  %-40s %8.2f ms\n", "PNG of the picture (zlib level 6)", png);
	SDL_FreeSurface(s);
	viewer_destroy(&v);
	free_machine(m);
	return 0;
}

/* ---- runs ---- */

/* guests/NAME of this benchmark's build (bench_guests.h). */
static const char *guest_path(const char *name)
{
	static char path[8192];
	snprintf(path, sizeof(path), "%s/%s", bench_guests_dir(), name);
	return path;
}

/* Runs guest with one argument on m; the CPU time of the run in ms, -1 if it failed. */
static double run_ms(struct machine *m, const char *guest, const char *arg,
		     const struct run_observer *obs)
{
	const char *prog = guest_path(guest);
	const char *argv[] = {prog, arg, NULL}, *envp[] = {"A=1", NULL};
	struct run_options o = {.host_path = prog,
				.filename = prog,
				.argc = 2,
				.argv = argv,
				.envc = 1,
				.envp = envp,
				.observer = obs};
	int status;
	fflush(stdout);
	double t0 = cpu_ms();
	enum run_result r = machine_run_program(m, &o, &status);
	double t = cpu_ms() - t0;
	return r == RUN_EXITED && status == 0 ? t : -1;
}

/* ---- a trace ---- */

static double seek_render(struct trace_view *tv, struct viewer *v, SDL_Surface *s, uint64_t at)
{
	char err[512];
	double t0 = cpu_ms();
	if (tv_seek(tv, at, err, sizeof(err)) < 0)
		return -1;
	viewer_update(v);
	viewer_render(v, s);
	return cpu_ms() - t0;
}

static int record(const char *path, char *err, size_t errlen)
{
	struct machine *m = new_machine(err, errlen);
	if (!m)
		return -1;
	const char *prog = guest_path("touch_pages");
	const char *argv[] = {prog, "256", NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = 2, .argv = argv};
	char header[4096];
	struct trace_recorder rec;
	trace_header_format(header, sizeof(header), m, &o);
	if (trace_record_start(&rec, m, path, header, err, errlen) < 0)
		return -1;
	m->trace = &rec;
	double t = run_ms(m, "touch_pages", "256", NULL);
	int r = trace_record_finish(&rec, 0, 0);
	free_machine(m);
	if (t < 0 || r < 0) {
		snprintf(err, errlen, "recording touch_pages 256 failed");
		return -1;
	}
	return 0;
}

static int bench_trace(char *err, size_t errlen)
{
	const char *path = "/tmp/mmemu-bench-viewer.trc";
	if (record(path, err, errlen) < 0)
		return -1;
	struct trace_view *tv = calloc(1, sizeof(*tv));
	struct viewer v;
	double t0 = cpu_ms();
	if (tv_open(tv, path, err, errlen) < 0)
		return -1;
	double open = cpu_ms() - t0;
	if (viewer_init_trace(&v, tv, VIEWER_WIDTH, VIEWER_HEIGHT, err, errlen) < 0)
		return -1;
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v.width, v.height, 32, SDL_PIXELFORMAT_XRGB8888);
	uint64_t n = tv->nr_events, mid = n / 2;
	double step = 0, back = 0, cold = 0, hot = 0;
	seek_render(tv, &v, s, mid);
	for (int r = 0; r < ROUNDS; r++) /* playing: a 60th of a second at 100 000 events/s */
		step += seek_render(tv, &v, s, mid + (uint64_t)(r + 1) * 1667);
	for (int r = 0; r < ROUNDS; r++) /* scrubbing back */
		back += seek_render(tv, &v, s, mid - (uint64_t)(r + 1) * (n / 50));
	v.show_heat = false;
	for (int r = 0; r < ROUNDS; r++)
		cold += seek_render(tv, &v, s, mid);
	v.show_heat = true;
	for (int r = 0; r < ROUNDS; r++)
		hot += seek_render(tv, &v, s, mid);
	printf("trace of touch_pages 256 on 4 GiB: %llu events, %zu page events, %zu "
	       "checkpoints\n",
	       (unsigned long long)n, tv->nr_blocks, tv->nr_ckpt);
	printf("  %-40s %8.0f ms\n", "open (one pass over the trace)", open);
	printf("  %-40s %8.2f ms  -> %.0f frames/s\n", "step 1667 events + picture", step / ROUNDS,
	       1e3 * ROUNDS / step);
	printf("  %-40s %8.2f ms  -> %.0f frames/s\n", "seek back 2% + picture", back / ROUNDS,
	       1e3 * ROUNDS / back);
	printf("  %-40s %8.2f ms\n", "picture, heat off", cold / ROUNDS);
	printf("  %-40s %8.2f ms\n", "picture, heat on", hot / ROUNDS);
	SDL_FreeSurface(s);
	viewer_destroy(&v);
	tv_close(tv);
	free(tv);
	remove(path);
	return 0;
}

/* ---- a guest with the live window attached ---- */

/* How a run is watched. */
enum watch {
	PLAIN,	     /* no viewer */
	QUIT_AT_END, /* the window set running at once, and quit as the program ends */
	KEPT_OPEN,   /* the same, but the window stays open a moment after the end (its final
			state drawn), then quit */
};

struct driver {
	struct viewer_session *vs;
	enum watch how;
	double own_ms; /* CPU time spent in the window's observer calls */
};

static bool drive_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct driver *d = ctx;
	double t0 = cpu_ms();
	bool go = d->vs->obs.before_slice(d->vs->obs.ctx, m, slice);
	d->own_ms += cpu_ms() - t0;
	return go;
}

static void push_key(SDL_Keycode key)
{
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = key;
	SDL_PushEvent(&e);
}

/* The user quits 50 ms after the end (on SDL's timer thread). */
static Uint32 quit_later(Uint32 interval, void *param)
{
	push_key(SDLK_q);
	return 0;
}

static void drive_end(void *ctx, struct machine *m, enum run_result r)
{
	struct driver *d = ctx;
	if (d->how == KEPT_OPEN)
		SDL_AddTimer(50, quit_later, NULL);
	else
		push_key(SDLK_q);
	double t0 = cpu_ms();
	d->vs->obs.at_end(d->vs->obs.ctx, m, r);
	d->own_ms += cpu_ms() - t0;
}

/* What a watched run cost besides the guest. */
struct pictures {
	uint32_t n;    /* pictures drawn */
	double cpu_ms; /* their CPU time */
	double own_ms; /* CPU time in the window's calls between slices and at the end:
			  pictures, input, the heat's samples */
};

/* One run of guest on a fresh machine, watched as how; its CPU time in ms, or -1. */
static double attached_run(const char *guest, const char *arg, enum watch how,
			   struct pictures *pics, char *err, size_t errlen)
{
	struct machine *m = new_machine(err, errlen);
	if (!m)
		return -1;
	struct driver d = {NULL, how, 0};
	struct run_observer obs = {drive_slice, drive_end, &d};
	if (how != PLAIN) {
		d.vs = calloc(1, sizeof(*d.vs));
		setenv("SDL_VIDEODRIVER", "offscreen", 1);
		if (viewer_session_start(d.vs, m, NULL, 0, true, err, errlen) < 0)
			return -1;
		SDL_InitSubSystem(SDL_INIT_TIMER);
		push_key(SDLK_SPACE); /* run */
	}
	double t = run_ms(m, guest, arg, how != PLAIN ? &obs : NULL);
	if (how != PLAIN) {
		*pics = (struct pictures){d.vs->redraws, d.vs->draw_total_cpu, d.own_ms};
		viewer_session_end(d.vs);
		free(d.vs);
	}
	free_machine(m);
	return t;
}

enum { RUNS = 5 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts t[RUNS]; its best (least) and median. */
static void best_median(double *t, double *best, double *median)
{
	qsort(t, RUNS, sizeof(*t), cmp_double);
	*best = t[0];
	*median = t[RUNS / 2];
}

/* One way of watching: its best and median against the plain runs' (pb, pm), and the
 * window's own work, a run's average. */
static void print_watched(const char *how, double *t, const struct pictures *sum, double pb,
			  double pm)
{
	double best, median;
	best_median(t, &best, &median);
	printf("    window, %-21s %6.0f ms %+5.1f%% (median %.0f, %+5.1f%%); %.1f pictures, "
	       "%.1f ms; the window's own work %.1f ms, %.1f%% of the plain median\n",
	       how, best, 100 * (best - pb) / pb, median, 100 * (median - pm) / pm,
	       (double)sum->n / RUNS, sum->cpu_ms / RUNS, sum->own_ms / RUNS,
	       100 * sum->own_ms / RUNS / pm);
}

/*
 * Five runs each way (plain, the window quit at the end, the window kept open at the
 * end), alternated so that the host's load falls on all three. The slowdown is the best
 * watched run against the best plain one, and the median against the median.
 */
static int bench_attached(const char *guest, const char *arg, char *err, size_t errlen)
{
	double plain[RUNS], quit[RUNS], open[RUNS];
	struct pictures pq = {0}, po = {0}, p;
	for (int i = 0; i < RUNS; i++) {
		plain[i] = attached_run(guest, arg, PLAIN, NULL, err, errlen);
		quit[i] = attached_run(guest, arg, QUIT_AT_END, &p, err, errlen);
		pq.n += p.n, pq.cpu_ms += p.cpu_ms, pq.own_ms += p.own_ms;
		open[i] = attached_run(guest, arg, KEPT_OPEN, &p, err, errlen);
		po.n += p.n, po.cpu_ms += p.cpu_ms, po.own_ms += p.own_ms;
		if (plain[i] < 0 || quit[i] < 0 || open[i] < 0)
			return -1;
	}
	double pb, pm;
	best_median(plain, &pb, &pm);
	printf("  %s %s: plain %.0f ms (best of %d; median %.0f)\n", guest, arg, pb, RUNS, pm);
	print_watched("quit at the end:", quit, &pq, pb, pm);
	print_watched("kept open at the end:", open, &po, pb, pm);
	return 0;
}

/* Parts to run: all, or those named on the command line (live, trace, attached). */
static bool wanted(int argc, char **argv, const char *part)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], part))
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	char err[512];
	if ((wanted(argc, argv, "live") && bench_live(err, sizeof(err)) < 0) ||
	    (wanted(argc, argv, "trace") && bench_trace(err, sizeof(err)) < 0)) {
		fprintf(stderr, "bench_viewer: %s\n", err);
		return 1;
	}
	if (!wanted(argc, argv, "attached"))
		return 0;
	printf("a guest on 4 GiB with the live window attached and running, CPU time of the run "
	       "(aim: at most +10%%):\n");
	if (bench_attached("touch_pages", "512", err, sizeof(err)) < 0 ||
	    bench_attached("bench_qsort", "100000", err, sizeof(err)) < 0 ||
	    bench_attached("bench_qsort", "400000", err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_viewer: %s\n", err);
		return 1;
	}
	return 0;
}
