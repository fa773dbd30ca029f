/*
 * The viewer attached to a run (see emu/viewer_session.h): the run observer, the
 * screenshot, the live window's loop and input, and the sampling of recent accesses for
 * the heat overlay (emu/viewer_heat.h) between slices.
 */
#include "emu/viewer_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/machine.h"
#include "kernel-sim/vmstat.h"
#include "mmu/mmu.h"

#define RUN_CHUNK 200000 /* instructions between looks at input and redraws while running */
#define POLL_EVERY 4096	 /* single steps between looks at the input queue */

/* ---- screenshot ---- */

static void take_shot(struct viewer_session *vs)
{
	live_heat_sample(&vs->heat, vs->v.m);
	vs->shot_done = true;
	vs->shot_result = viewer_screenshot(&vs->v, vs->shot_path, vs->err, sizeof(vs->err));
}

/* Lowers *slice to end at the screenshot's instruction count; takes it when reached. */
static void shot_before_slice(struct viewer_session *vs, struct machine *m, uint64_t *slice)
{
	if (!vs->shot_path || vs->shot_done || !vs->shot_at)
		return;
	if (m->cpu.icount >= vs->shot_at) {
		take_shot(vs);
		return;
	}
	if (vs->shot_at - m->cpu.icount < *slice)
		*slice = vs->shot_at - m->cpu.icount;
}

/* ---- the window ---- */

void viewer_present(struct viewer *v, SDL_Window *win, SDL_Surface **canvas)
{
	SDL_Surface *ws = SDL_GetWindowSurface(win);
	if (!ws)
		return;
	if (ws->w != v->width || ws->h != v->height)
		viewer_resize(v, ws->w, ws->h);
	viewer_update(v);
	/* A window surface of 32-bit pixels (the usual) is drawn into directly: drawing
	 * elsewhere and copying would cost a copy of every pixel per picture. */
	if (ws->format->BytesPerPixel == 4) {
		viewer_render(v, ws);
		SDL_UpdateWindowSurface(win);
		return;
	}
	if (!*canvas || (*canvas)->w != ws->w || (*canvas)->h != ws->h) {
		SDL_FreeSurface(*canvas);
		*canvas =
		    SDL_CreateRGBSurfaceWithFormat(0, ws->w, ws->h, 32, SDL_PIXELFORMAT_XRGB8888);
		if (!*canvas)
			return;
	}
	viewer_render(v, *canvas);
	SDL_BlitSurface(*canvas, NULL, ws, NULL);
	SDL_UpdateWindowSurface(win);
}

/* CPU time of this thread in ms: what the guest and the pictures share. */
static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void redraw(struct viewer_session *vs)
{
	if (!vs->win)
		return;
	static const char *const mode_names[] = {"paused", "running", "stepping", "to next fault",
						 "to next syscall"};
	if (!vs->ended)
		snprintf(vs->status, sizeof(vs->status), "%s at rip %#llx", mode_names[vs->mode],
			 (unsigned long long)vs->v.m->cpu.rip);
	vs->v.status = vs->status;
	uint32_t t0 = SDL_GetTicks();
	double c0 = thread_cpu_ms();
	live_heat_sample(&vs->heat, vs->v.m);
	viewer_present(&vs->v, vs->win, &vs->canvas);
	double c1 = thread_cpu_ms();
	uint32_t t1 = SDL_GetTicks();
	viewer_pace_drawn(&vs->pace, c1 - c0, c1, t1);
	vs->stale = false;
	vs->draw_ms = t1 - t0;
	vs->redraws++;
	vs->draw_total_ms += vs->draw_ms;
	vs->draw_total_cpu += c1 - c0;
}

bool viewer_at_syscall(struct machine *m)
{
	struct mmu_walk_trace tr;
	uint8_t b[2];
	for (int i = 0; i < 2; i++) {
		if (!mmu_probe(&m->mmu, m->cpu.rip + (uint64_t)i, &tr) || tr.pa >= m->bus.ram_size)
			return false;
		b[i] = m->bus.ram[tr.pa];
	}
	return (b[0] == 0x0f && (b[1] == 0x05 || b[1] == 0x34)) || (b[0] == 0xcd && b[1] == 0x80);
}

static void set_mode(struct viewer_session *vs, enum live_mode mode)
{
	if (vs->ended && mode != LIVE_PAUSED)
		return;
	if (mode == LIVE_RUNNING && vs->mode != LIVE_RUNNING)
		viewer_pace_begin(&vs->pace, thread_cpu_ms(), SDL_GetTicks());
	vs->mode = mode;
	vs->armed = false;
	vs->mark = vs->v.m->kernel.vm_events[PGFAULT];
}

bool viewer_view_key(struct viewer *v, SDL_Keycode key)
{
	int cx = v->phys.x + v->phys.w / 2, cy = v->phys.y + v->phys.h / 2;
	switch (key) {
	case SDLK_PLUS:
	case SDLK_EQUALS:
	case SDLK_KP_PLUS:
		viewer_zoom(v, 1, cx, cy);
		return true;
	case SDLK_MINUS:
	case SDLK_KP_MINUS:
		viewer_zoom(v, -1, cx, cy);
		return true;
	case SDLK_0:
	case SDLK_HOME:
		viewer_fit(v);
		return true;
	case SDLK_UP:
		viewer_pan_rows(v, -1);
		return true;
	case SDLK_DOWN:
		viewer_pan_rows(v, 1);
		return true;
	case SDLK_PAGEUP:
		viewer_pan_rows(v, -(long)viewer_rows(v) / 2);
		return true;
	case SDLK_PAGEDOWN:
		viewer_pan_rows(v, (long)viewer_rows(v) / 2);
		return true;
	case SDLK_QUESTION:
	case SDLK_SLASH:
	case SDLK_F1:
		v->show_help = !v->show_help;
		return true;
	default:
		return false;
	}
}

/* Keys (see the help overlay in emu/viewer_render.c). A key arrives as a KEYDOWN with its
 * unshifted symbol ('?' is shift and '/', '+' is shift and '=') and again as text input;
 * only the KEYDOWN is used, so that each press acts once. */
static void on_key(struct viewer_session *vs, SDL_Keycode key)
{
	if (viewer_view_key(&vs->v, key))
		return;
	switch (key) {
	case SDLK_SPACE:
		set_mode(vs, vs->mode == LIVE_PAUSED ? LIVE_RUNNING : LIVE_PAUSED);
		break;
	case SDLK_s:
	case SDLK_PERIOD:
		set_mode(vs, LIVE_STEP);
		break;
	case SDLK_f:
		set_mode(vs, LIVE_TO_FAULT);
		break;
	case SDLK_c:
		set_mode(vs, LIVE_TO_SYSCALL);
		break;
	case SDLK_h:
		vs->v.show_heat = !vs->v.show_heat;
		break;
	case SDLK_q:
	case SDLK_ESCAPE:
		vs->quit = true;
		break;
	default:
		break;
	}
}

bool viewer_view_mouse(struct viewer *v, struct viewer_drag *d, const SDL_Event *e)
{
	unsigned long pfn;
	switch (e->type) {
	case SDL_MOUSEBUTTONDOWN:
		if (e->button.button != SDL_BUTTON_LEFT ||
		    !viewer_pfn_at(v, e->button.x, e->button.y, &pfn))
			return false;
		v->selected_pfn = (long)pfn;
		*d = (struct viewer_drag){true, e->button.y, 0};
		return true;
	case SDL_MOUSEBUTTONUP:
		d->active = false;
		return false;
	case SDL_MOUSEMOTION:
		v->hover_pfn = viewer_pfn_at(v, e->motion.x, e->motion.y, &pfn) ? (long)pfn : -1;
		if (d->active) { /* dragging on the grid pans it by whole rows of cells */
			int rows = (d->y - e->motion.y) / (int)v->cell;
			if (rows != d->rows) {
				viewer_pan_rows(v, rows - d->rows);
				d->rows = rows;
			}
		}
		return true;
	case SDL_MOUSEWHEEL: {
		int mx = v->phys.x + v->phys.w / 2, my = v->phys.y + v->phys.h / 2;
		SDL_GetMouseState(&mx, &my);
		viewer_zoom(v, e->wheel.y, mx, my);
		return true;
	}
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_LEAVE)
			v->hover_pfn = -1;
		return true;
	default:
		return false;
	}
}

/* A click on a VMA row: its first address becomes the one whose walk is shown. */
static void on_click(struct viewer_session *vs, int x, int y)
{
	struct viewer *v = &vs->v;
	SDL_Point p = {x, y};
	if (!SDL_PointInRect(&p, &v->vmas))
		return;
	int row = (y - (v->vmas.y + v->line_h + 4)) / v->line_h;
	if (row >= 0 && row < v->nr_vmas && row < VIEWER_MAX_VMAS)
		v->selected_la = v->rows[row].start, v->la_chosen = true;
}

void viewer_session_event(struct viewer_session *vs, const SDL_Event *e)
{
	if (viewer_view_mouse(&vs->v, &vs->drag, e))
		return;
	switch (e->type) {
	case SDL_QUIT:
		vs->quit = true;
		break;
	case SDL_KEYDOWN:
		on_key(vs, e->key.keysym.sym);
		break;
	case SDL_MOUSEBUTTONDOWN:
		if (e->button.button == SDL_BUTTON_LEFT)
			on_click(vs, e->button.x, e->button.y);
		break;
	default:
		break;
	}
}

/* Handles everything queued; true when something was. */
static bool drain_events(struct viewer_session *vs)
{
	SDL_Event e;
	bool any = false;
	while (!vs->quit && SDL_PollEvent(&e)) {
		viewer_session_event(vs, &e);
		any = true;
	}
	return any;
}

/* Is input waiting to be handled? */
static bool input_waiting(void)
{
	SDL_PumpEvents();
	return SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
}

/*
 * Paused (or ended): shows the machine and the view as they are, then waits for one event
 * and handles it (one at a time, so that a queued "step, step, quit" steps twice before
 * quitting). The picture waits while input is queued: the next event may change it again
 * (a burst of pointer motion), set the run going (its own pace then decides when it is
 * drawn) or quit, and a picture nobody would see is not drawn.
 */
static void paused_wait(struct viewer_session *vs)
{
	SDL_Event e;
	if (vs->stale && !input_waiting())
		redraw(vs);
	if (SDL_WaitEventTimeout(&e, 100)) {
		viewer_session_event(vs, &e);
		vs->stale = true;
	}
}

/* TO_FAULT / TO_SYSCALL: has the awaited kernel work been done and user mode resumed?
 * (Before that, TO_SYSCALL arms itself on reaching a system-call instruction.) */
static bool reached(struct viewer_session *vs, struct machine *m)
{
	if (m->mmu.cpl != 3)
		return false;
	if (vs->mode == LIVE_TO_FAULT)
		return m->kernel.vm_events[PGFAULT] != vs->mark;
	if (vs->armed)
		return m->cpu.icount > vs->armed_at;
	if (viewer_at_syscall(m)) {
		vs->armed = true;
		vs->armed_at = m->cpu.icount;
	}
	return false;
}

/* Runs the next slice in the current mode; waits for input while paused. */
static bool live_before_slice(struct viewer_session *vs, struct machine *m, uint64_t *slice)
{
	for (;;) {
		if (vs->quit) {
			snprintf(m->stop_reason, sizeof(m->stop_reason),
				 "quit in the viewer after %llu instructions",
				 (unsigned long long)m->cpu.icount);
			return false;
		}
		switch (vs->mode) {
		case LIVE_PAUSED:
			paused_wait(vs);
			continue;
		case LIVE_STEP:
			vs->mode = LIVE_PAUSED;
			*slice = 1;
			return true;
		case LIVE_TO_FAULT:
		case LIVE_TO_SYSCALL:
			if (reached(vs, m)) {
				set_mode(vs, LIVE_PAUSED);
				continue;
			}
			if (++vs->polls % POLL_EVERY == 0 && drain_events(vs))
				continue;
			*slice = 1;
			return true;
		case LIVE_RUNNING:
			/* Slices are short for the heat's samples; input and pictures keep to
			 * their own pace. */
			if (m->cpu.icount - vs->polled_at >= RUN_CHUNK) {
				vs->polled_at = m->cpu.icount;
				drain_events(vs);
				if (vs->quit || vs->mode != LIVE_RUNNING)
					continue;
				if (viewer_pace_due(&vs->pace, thread_cpu_ms(), SDL_GetTicks()))
					redraw(vs);
			}
			return true;
		}
	}
}

/* ---- the observer ---- */

/* Samples the heat every LIVE_HEAT_EVERY instructions: slices are cut to that length,
 * which changes nothing in what the run executes. */
static bool session_before_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct viewer_session *vs = ctx;
	if (m->cpu.icount - vs->heat.sampled_at >= LIVE_HEAT_EVERY)
		live_heat_sample(&vs->heat, m);
	if (*slice > LIVE_HEAT_EVERY)
		*slice = LIVE_HEAT_EVERY;
	shot_before_slice(vs, m, slice);
	if (!vs->win)
		return true;
	bool go = live_before_slice(vs, m, slice);
	vs->stale |= go; /* the machine moves on */
	return go;
}

/* The end of the run: the screenshot if it is still due, and in the window the final state
 * until the user quits (drawn once no input is queued: not when the user has quit
 * already). */
static void session_at_end(void *ctx, struct machine *m, enum run_result r)
{
	struct viewer_session *vs = ctx;
	if (vs->shot_path && !vs->shot_done)
		take_shot(vs);
	if (!vs->win)
		return;
	vs->ended = true;
	vs->mode = LIVE_PAUSED;
	snprintf(vs->status, sizeof(vs->status), "ended after %llu instructions (q to quit)",
		 (unsigned long long)m->cpu.icount);
	vs->stale = true;
	while (!vs->quit)
		paused_wait(vs);
}

/* True when SDL fell back to a driver that shows nothing (offscreen, dummy) without being
 * asked to by SDL_VIDEODRIVER: there is no display, and a window nobody sees would wait
 * for input forever. */
static bool invisible_driver(void)
{
	const char *d = SDL_GetCurrentVideoDriver();
	const char *asked = getenv("SDL_VIDEODRIVER");
	return d && (!strcmp(d, "offscreen") || !strcmp(d, "dummy")) && !(asked && *asked);
}

int viewer_open_window(SDL_Window **win, const char *what, char *err, size_t errlen)
{
	/* The picture is drawn in software: the window's surface needs no GPU renderer (which
	 * would load and unload the GL libraries for nothing). */
	SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
		snprintf(err, errlen, "%s: no display (%s); --screenshot works without one", what,
			 SDL_GetError());
		return -1;
	}
	if (invisible_driver()) {
		snprintf(err, errlen,
			 "%s: no display (SDL found only its %s driver); "
			 "--screenshot works without one",
			 what, SDL_GetCurrentVideoDriver());
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
		return -1;
	}
	*win = SDL_CreateWindow("mmemu", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
				VIEWER_WIDTH, VIEWER_HEIGHT, SDL_WINDOW_RESIZABLE);
	if (!*win) {
		snprintf(err, errlen, "%s: cannot open a window (%s)", what, SDL_GetError());
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
		return -1;
	}
	/* Below this the panels have no room for their text. */
	SDL_SetWindowMinimumSize(*win, VIEWER_MIN_WIDTH, VIEWER_MIN_HEIGHT);
	return 0;
}

int viewer_session_start(struct viewer_session *vs, struct machine *m, const char *shot_path,
			 uint64_t shot_at, bool live, char *err, size_t errlen)
{
	memset(vs, 0, sizeof(*vs));
	vs->shot_path = shot_path;
	vs->shot_at = shot_at;
	vs->obs = (struct run_observer){session_before_slice, session_at_end, vs};
	viewer_pace_init(&vs->pace);
	vs->stale = true;
	if (viewer_init(&vs->v, m, VIEWER_WIDTH, VIEWER_HEIGHT, err, errlen) < 0)
		return -1;
	if (live_heat_init(&vs->heat, m) < 0) {
		snprintf(err, errlen, "out of memory for the heat of %lu frames",
			 (unsigned long)m->kernel.max_pfn);
		goto out_viewer;
	}
	vs->v.heat = &vs->heat.map;
	if (live && viewer_open_window(&vs->win, "--view", err, errlen) < 0)
		goto out_viewer;
	vs->mode = LIVE_PAUSED;
	return 0;
out_viewer:
	live_heat_destroy(&vs->heat);
	viewer_destroy(&vs->v);
	return -1;
}

void viewer_session_end(struct viewer_session *vs)
{
	SDL_FreeSurface(vs->canvas);
	vs->canvas = NULL;
	if (vs->win) {
		SDL_DestroyWindow(vs->win);
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
		vs->win = NULL;
	}
	live_heat_destroy(&vs->heat);
	viewer_destroy(&vs->v);
}
