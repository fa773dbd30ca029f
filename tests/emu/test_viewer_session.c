/*
 * The viewer's windows on a real X server (Xvfb, started here; the tests fail when it
 * cannot start, they are not skipped): the live window on a running guest opens, steps,
 * runs, resizes and closes, and the run's results and its recorded trace are byte for byte
 * those of a run without it; the trace window opens, steps, jumps and closes.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"
#include "emu/trace_record.h"
#include "emu/viewer_session.h"
#include "emu/viewer_trace_session.h"
#include "kernel-sim/mm.h"
#include "tests/emu/guest_machine.h"

static pid_t xvfb;

/* SDL's X11 video driver starts D-Bus, whose library keeps a buffer until the process
 * ends: not ours to free, so the leak checker of the sanitizer build is told to pass it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libdbus-1.so\n";
}

/* Starts Xvfb on a free display (it names the display on a pipe: -displayfd). */
static int start_xvfb(void **state)
{
	int fd[2];
	if (pipe(fd) < 0)
		return -1;
	xvfb = fork();
	if (xvfb == 0) {
		char num[16];
		snprintf(num, sizeof(num), "%d", fd[1]);
		close(fd[0]);
		execlp("Xvfb", "Xvfb", "-displayfd", num, "-screen", "0", "1600x1000x24",
		       "-nolisten", "tcp", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	/* Read up to the newline: Xvfb writes the number and the newline apart, and dies if
	 * the pipe has been closed in between. */
	char buf[32] = "";
	size_t len = 0;
	ssize_t n = 1;
	while (len < sizeof(buf) - 1 && !strchr(buf, '\n') &&
	       (n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd[0]);
	if (xvfb < 0 || !strchr(buf, '\n')) {
		fprintf(stderr, "Xvfb could not start (.ci/install-deps installs xvfb)\n");
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	char display[40];
	snprintf(display, sizeof(display), ":%s", buf);
	setenv("DISPLAY", display, 1);
	setenv("SDL_VIDEODRIVER", "x11", 1);
	return SDL_InitSubSystem(SDL_INIT_TIMER);
}

static int stop_xvfb(void **state)
{
	SDL_Quit();
	if (xvfb > 0) {
		kill(xvfb, SIGTERM);
		waitpid(xvfb, NULL, 0);
	}
	return 0;
}

/* What a run leaves that the viewer must not change. */
struct figures {
	uint64_t icount, walks, l1d_fills, exceptions;
	unsigned long pgfault, pgalloc, pgfree, nr_free;
	int result, status;
};

static void push_key(SDL_Keycode key)
{
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = key;
	assert_int_equal(SDL_PushEvent(&e), 1);
}

/* Every pixel of the window is that of the viewer's picture drawn headless now (into a
 * surface of its own, whatever the window's pixel format). */
static void assert_window_shows(struct viewer *v, SDL_Window *win)
{
	SDL_Surface *ws = SDL_GetWindowSurface(win);
	assert_non_null(ws);
	assert_int_equal(ws->w, v->width);
	assert_int_equal(ws->h, v->height);
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_XRGB8888);
	assert_non_null(s);
	viewer_update(v);
	viewer_render(v, s);
	int bpp = ws->format->BytesPerPixel, differ = 0;
	for (int y = 0; y < s->h; y++)
		for (int x = 0; x < s->w; x++) {
			uint32_t wpx = 0, px = ((const uint32_t *)((const uint8_t *)s->pixels +
								   y * s->pitch))[x];
			memcpy(&wpx, (const uint8_t *)ws->pixels + y * ws->pitch + x * bpp,
			       (size_t)bpp);
			uint8_t r, g, b;
			SDL_GetRGB(wpx, ws->format, &r, &g, &b);
			differ += ((uint32_t)r << 16 | (uint32_t)g << 8 | b) != (px & 0xffffff);
		}
	SDL_FreeSurface(s);
	assert_int_equal(differ, 0);
}

/* Between the session and the run: counts slices, and at the end resizes the window and
 * keeps it open a moment (the window shows the final state until the user quits). */
struct driver {
	struct viewer_session *vs;
	int slices;
};

/* The user quits (from SDL's timer thread, a while after the end). */
static Uint32 quit_later(Uint32 interval, void *param)
{
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = SDLK_q;
	SDL_PushEvent(&e); /* no assertion off the test's thread */
	return 0;
}

static bool drive_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct driver *d = ctx;
	d->slices++;
	return d->vs->obs.before_slice(d->vs->obs.ctx, m, slice);
}

static void drive_end(void *ctx, struct machine *m, enum run_result r)
{
	struct driver *d = ctx;
	/* A smaller window, drawn at its new size with the final state, then quit. */
	SDL_SetWindowSize(d->vs->win, 1000, 700);
	for (int i = 0; i < 300; i++) { /* until the X server has done it */
		SDL_PumpEvents();
		SDL_Surface *ws = SDL_GetWindowSurface(d->vs->win);
		if (ws && ws->w == 1000 && ws->h == 700)
			break;
		SDL_Delay(10);
	}
	uint32_t pictures = d->vs->redraws;
	SDL_AddTimer(300, quit_later, NULL);
	d->vs->obs.at_end(d->vs->obs.ctx, m, r);
	/* The final state was drawn once the program had ended, and is what the window shows
	 * (compared before the run frees the program's memory). */
	assert_true(d->vs->redraws > pictures);
	assert_int_equal(d->vs->v.moved_key[0], m->cpu.icount);
	assert_window_shows(&d->vs->v, d->vs->win);
}

/* Runs brk_malloc recording a trace to path, with the live window when live. */
static void run(bool live, const char *path, struct figures *f, struct driver *d)
{
	struct machine *m = new_machine();
	const char *prog = guest_path("brk_malloc");
	const char *argv[] = {prog, NULL}, *envp[] = {"A=1", NULL};
	struct run_observer obs = {drive_slice, drive_end, d};
	struct run_options o = {.host_path = prog,
				.filename = prog,
				.argc = 1,
				.argv = argv,
				.envc = 1,
				.envp = envp,
				.observer = live ? &obs : NULL};
	char header[4096], err[256];
	struct trace_recorder rec;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start(&rec, m, path, header, err, sizeof(err)), 0);
	m->trace = &rec;
	if (live) {
		d->vs = calloc(1, sizeof(*d->vs));
		if (viewer_session_start(d->vs, m, NULL, 0, true, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		/* Two steps, then run to the end. */
		push_key(SDLK_s);
		push_key(SDLK_s);
		push_key(SDLK_SPACE);
	}
	memset(f, 0, sizeof(*f));
	fflush(stdout);
	f->result = (int)machine_run_program(m, &o, &f->status);
	assert_int_equal(trace_record_finish(&rec, f->result, f->status), 0);
	f->icount = m->cpu.icount;
	f->walks = m->mmu.st.walks;
	f->l1d_fills = m->mmu.tlb.a[TLB_L1D_4K].st.fills;
	f->exceptions = m->cpu.nr_faults;
	f->pgfault = m->kernel.vm_events[PGFAULT];
	f->pgalloc = m->kernel.vm_events[PGALLOC_DMA32] + m->kernel.vm_events[PGALLOC_DMA];
	f->pgfree = m->kernel.vm_events[PGFREE];
	f->nr_free = (unsigned long)global_zone_page_state(&m->kernel, NR_FREE_PAGES);
	if (live) {
		assert_true(d->vs->ended);
		assert_true(d->vs->quit);
		assert_int_equal(d->vs->v.width, 1000);
		assert_int_equal(d->vs->v.height, 700);
		viewer_session_end(d->vs);
		free(d->vs);
	}
	machine_destroy(m);
	free(m);
}

static bool same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void test_viewer_live_window_on_x_steps_runs_and_changes_nothing(void **state)
{
	char plain[64], viewed[64];
	snprintf(plain, sizeof(plain), "/tmp/mmemu-test-vx-plain.%d", (int)getpid());
	snprintf(viewed, sizeof(viewed), "/tmp/mmemu-test-vx-viewed.%d", (int)getpid());
	struct figures a, b;
	struct driver d = {0};
	run(false, plain, &a, NULL);
	run(true, viewed, &b, &d);
	assert_int_equal(a.result, RUN_EXITED);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(same_file(plain, viewed));
	/* Steps were single instructions, then the run went on in larger slices. */
	assert_true(d.slices >= 3);
	unlink(plain);
	unlink(viewed);
}

static void test_viewer_trace_window_on_x_opens_steps_jumps_and_closes(void **state)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-vx-trace.%d", (int)getpid());
	struct figures f;
	run(false, path, &f, NULL);
	char err[512];
	struct trace_session *ts = calloc(1, sizeof(*ts));
	if (trace_session_start(ts, path, true, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_non_null(ts->win);
	push_key(SDLK_n);
	push_key(SDLK_RIGHT);
	push_key(SDLK_RIGHT);
	push_key(SDLK_LEFT);
	push_key(SDLK_QUESTION);
	push_key(SDLK_q);
	assert_int_equal(trace_session_loop(ts), 0);
	assert_true(ts->quit);
	assert_int_equal(ts->tv.at, tv_find_mark(&ts->tv, 0, 1, TEV_PAGE, 0) + 2);
	assert_true(ts->v.show_help);
	/* Drawn on X, the window shows the viewer's picture. */
	viewer_present(&ts->v, ts->win, &ts->canvas);
	assert_window_shows(&ts->v, ts->win);
	trace_session_end(ts);
	free(ts);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_viewer_live_window_on_x_steps_runs_and_changes_nothing),
	    cmocka_unit_test(test_viewer_trace_window_on_x_opens_steps_jumps_and_closes),
	};
	return cmocka_run_group_tests(tests, start_xvfb, stop_xvfb);
}
