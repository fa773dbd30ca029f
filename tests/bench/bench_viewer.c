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
 *   - a guest run with the live window attached and running (SDL's offscreen driver, so
 *     every picture is drawn and copied to the window as on a display) against the same
 *     run without it: touch_pages 512 (page allocation on every page) and bench_qsort
 *     (the pictures are drawn on the run's thread), best of five each.
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

struct driver {
	struct viewer_session *vs;
};

static bool drive_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct driver *d = ctx;
	return d->vs->obs.before_slice(d->vs->obs.ctx, m, slice);
}

static void drive_end(void *ctx, struct machine *m, enum run_result r)
{
	struct driver *d = ctx;
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = SDLK_q;
	SDL_PushEvent(&e);
	d->vs->obs.at_end(d->vs->obs.ctx, m, r);
}

/* One run of guest on a fresh machine, with the window running when live; ms or -1. */
static double attached_run(const char *guest, const char *arg, bool live, uint32_t *pictures,
			   uint64_t *picture_ms, char *err, size_t errlen)
{
	struct machine *m = new_machine(err, errlen);
	if (!m)
		return -1;
	struct driver d = {NULL};
	struct run_observer obs = {drive_slice, drive_end, &d};
	if (live) {
		d.vs = calloc(1, sizeof(*d.vs));
		setenv("SDL_VIDEODRIVER", "offscreen", 1);
		if (viewer_session_start(d.vs, m, NULL, 0, true, err, errlen) < 0)
			return -1;
		SDL_Event e = {.type = SDL_KEYDOWN};
		e.key.keysym.sym = SDLK_SPACE; /* run */
		SDL_PushEvent(&e);
	}
	double t = run_ms(m, guest, arg, live ? &obs : NULL);
	if (live) {
		*pictures = d.vs->redraws;
		*picture_ms = d.vs->draw_total_ms;
		viewer_session_end(d.vs);
		free(d.vs);
	}
	free_machine(m);
	return t;
}

/* The best of five runs each way, alternated so that the host's load falls on both. */
static int bench_attached(const char *guest, const char *arg, char *err, size_t errlen)
{
	double plain = 1e18, viewed = 1e18;
	uint32_t pictures = 0;
	uint64_t picture_ms = 0;
	for (int i = 0; i < 5; i++) {
		double a = attached_run(guest, arg, false, NULL, NULL, err, errlen);
		double b = attached_run(guest, arg, true, &pictures, &picture_ms, err, errlen);
		if (a < 0 || b < 0)
			return -1;
		plain = a < plain ? a : plain;
		viewed = b < viewed ? b : viewed;
	}
	printf(
	    "  %s %-8s best of 5: %6.0f ms plain, %6.0f ms with the window running (CPU): %+.1f%% "
	    "(aim: at most +10%%); %u pictures took %llu ms\n",
	    guest, arg, plain, viewed, 100.0 * (viewed - plain) / plain, pictures,
	    (unsigned long long)picture_ms);
	return 0;
}

int main(void)
{
	char err[512];
	if (bench_live(err, sizeof(err)) < 0 || bench_trace(err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_viewer: %s\n", err);
		return 1;
	}
	printf("a guest on 4 GiB with the live window attached, running:\n");
	if (bench_attached("touch_pages", "512", err, sizeof(err)) < 0 ||
	    bench_attached("bench_qsort", "100000", err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_viewer: %s\n", err);
		return 1;
	}
	return 0;
}
