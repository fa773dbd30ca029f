/*
 * The viewer on a recorded trace (see emu/viewer_trace_session.h): keys and mouse on the
 * timeline, playing, and the window's loop.
 */
#include "emu/viewer_trace_session.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PLAY_WAIT_MS 16	  /* input wait while playing: about 60 pictures a second */
#define PAUSE_WAIT_MS 100 /* input wait while paused */

static void set_status(struct trace_session *ts)
{
	const struct trace_view *tv = &ts->tv;
	if (ts->playing)
		snprintf(ts->status, sizeof(ts->status), "playing at %.0f events/s", ts->speed);
	else
		snprintf(ts->status, sizeof(ts->status), "paused%s (%.0f events/s when playing)",
			 tv->at == tv->nr_events ? " at the end" : "", ts->speed);
	ts->v.status = ts->status;
}

int trace_session_seek(struct trace_session *ts, uint64_t at)
{
	if (tv_seek(&ts->tv, at, ts->err, sizeof(ts->err)) < 0) {
		ts->error = -1;
		ts->playing = false;
		return -1;
	}
	if (ts->tv.at == ts->tv.nr_events)
		ts->playing = false;
	set_status(ts);
	return 0;
}

/* ---- marks ---- */

/* The next kind of event to mark: page allocations, page frees, then every other kind the
 * trace holds that is not a translation, walk, TLB fill, mode or keyframe. */
static void next_mark_kind(struct viewer *v, const struct trace_view *tv)
{
	int t = v->mark_type == TEV_PAGE ? (v->mark_freed ? TEV_PAGE : -1) : v->mark_type;
	if (v->mark_type == TEV_PAGE && !v->mark_freed) {
		v->mark_freed = 1;
		return;
	}
	for (int i = 1; i <= TV_KINDS; i++) {
		int k = (t + i + TV_KINDS) % TV_KINDS;
		if (k == TEV_ACCESS || k == TEV_WALK || k == TEV_TLB_FILL || k == TEV_MODE ||
		    k == TEV_KEYFRAME)
			continue;
		if (k == TEV_PAGE) {
			v->mark_type = TEV_PAGE;
			v->mark_freed = 0;
			return;
		}
		if (tv->count[k]) {
			v->mark_type = k;
			return;
		}
	}
}

/* Jumps to the next (dir > 0) or previous marked event: it becomes the last one that has
 * happened. */
static void jump(struct trace_session *ts, int dir)
{
	const struct trace_view *tv = &ts->tv;
	int freed = ts->v.mark_type == TEV_PAGE ? ts->v.mark_freed : -1;
	uint64_t e;
	if (dir > 0)
		e = tv_find_mark(tv, tv->at, 1, ts->v.mark_type, freed);
	else
		e = tv->at ? tv_find_mark(tv, tv->at - 1, -1, ts->v.mark_type, freed) : UINT64_MAX;
	if (e != UINT64_MAX)
		trace_session_seek(ts, e + 1);
}

/* ---- input ---- */

static void step(struct trace_session *ts, int dir)
{
	ts->playing = false;
	uint64_t at = ts->tv.at;
	trace_session_seek(ts, dir > 0 ? at + 1 : at ? at - 1 : 0);
}

static void on_key(struct trace_session *ts, SDL_Keycode key)
{
	if (viewer_view_key(&ts->v, key))
		return;
	switch (key) {
	case SDLK_SPACE:
		ts->playing = !ts->playing && ts->tv.at < ts->tv.nr_events;
		ts->last_tick = SDL_GetTicks();
		ts->carry = 0;
		break;
	case SDLK_RIGHT:
	case SDLK_PERIOD:
		step(ts, 1);
		break;
	case SDLK_LEFT:
	case SDLK_COMMA:
		step(ts, -1);
		break;
	case SDLK_RIGHTBRACKET:
		ts->speed = fmin(ts->speed * 2, TRACE_SPEED_MAX);
		break;
	case SDLK_LEFTBRACKET:
		ts->speed = fmax(ts->speed / 2, TRACE_SPEED_MIN);
		break;
	case SDLK_n:
		jump(ts, 1);
		break;
	case SDLK_b:
		jump(ts, -1);
		break;
	case SDLK_k:
		next_mark_kind(&ts->v, &ts->tv);
		break;
	case SDLK_g:
		trace_session_seek(ts, 0);
		break;
	case SDLK_e:
		trace_session_seek(ts, ts->tv.nr_events);
		break;
	case SDLK_h:
		ts->v.show_heat = !ts->v.show_heat;
		break;
	case SDLK_q:
	case SDLK_ESCAPE:
		ts->quit = true;
		break;
	default:
		break;
	}
	set_status(ts);
}

/* The event under x on the timeline's bar. */
static uint64_t bar_event(const struct trace_session *ts, int x)
{
	SDL_Rect b = viewer_timeline_bar(&ts->v);
	if (x <= b.x)
		return 0;
	if (x >= b.x + b.w - 1)
		return ts->tv.nr_events;
	return ts->tv.nr_events * (uint64_t)(x - b.x) / (uint64_t)(b.w - 1);
}

/* The timeline's bar: a click goes to its event, and so does dragging along it. */
static bool on_timeline(struct trace_session *ts, const SDL_Event *e)
{
	SDL_Rect b = viewer_timeline_bar(&ts->v);
	if (e->type == SDL_MOUSEBUTTONDOWN && e->button.button == SDL_BUTTON_LEFT) {
		SDL_Point p = {e->button.x, e->button.y};
		if (!SDL_PointInRect(&p, &b))
			return false;
		ts->scrubbing = true;
		ts->playing = false;
		trace_session_seek(ts, bar_event(ts, e->button.x));
		return true;
	}
	if (e->type == SDL_MOUSEMOTION && ts->scrubbing) {
		trace_session_seek(ts, bar_event(ts, e->motion.x));
		return true;
	}
	if (e->type == SDL_MOUSEBUTTONUP && ts->scrubbing) {
		ts->scrubbing = false;
		return true;
	}
	return false;
}

void trace_session_event(struct trace_session *ts, const SDL_Event *e)
{
	if (on_timeline(ts, e) || viewer_view_mouse(&ts->v, &ts->drag, e))
		return;
	if (e->type == SDL_QUIT)
		ts->quit = true;
	else if (e->type == SDL_KEYDOWN)
		on_key(ts, e->key.keysym.sym);
}

void trace_session_play(struct trace_session *ts, uint32_t now_ms)
{
	if (!ts->playing) {
		ts->last_tick = now_ms;
		return;
	}
	ts->carry += ts->speed * (double)(now_ms - ts->last_tick) / 1000.0;
	ts->last_tick = now_ms;
	uint64_t n = (uint64_t)ts->carry;
	ts->carry -= (double)n;
	if (n)
		trace_session_seek(ts, ts->tv.at + n);
}

/* ---- the window ---- */

int trace_session_loop(struct trace_session *ts)
{
	viewer_present(&ts->v, ts->win, &ts->canvas);
	while (!ts->quit && !ts->error) {
		SDL_Event e;
		bool changed = false;
		if (SDL_WaitEventTimeout(&e, ts->playing ? PLAY_WAIT_MS : PAUSE_WAIT_MS)) {
			trace_session_event(ts, &e);
			while (!ts->quit && SDL_PollEvent(&e))
				trace_session_event(ts, &e);
			changed = true;
		}
		if (ts->playing) {
			trace_session_play(ts, SDL_GetTicks());
			changed = true;
		}
		if (changed && !ts->quit)
			viewer_present(&ts->v, ts->win, &ts->canvas);
	}
	return ts->error;
}

/* ---- start and end ---- */

int trace_session_start(struct trace_session *ts, const char *path, bool live, char *err,
			size_t errlen)
{
	memset(ts, 0, sizeof(*ts));
	ts->speed = TRACE_SPEED_DEFAULT;
	if (tv_open(&ts->tv, path, err, errlen) < 0) {
		tv_close(&ts->tv);
		return -1;
	}
	if (viewer_init_trace(&ts->v, &ts->tv, VIEWER_WIDTH, VIEWER_HEIGHT, err, errlen) < 0) {
		tv_close(&ts->tv);
		return -1;
	}
	if (live && viewer_open_window(&ts->win, "view", err, errlen) < 0) {
		viewer_destroy(&ts->v);
		tv_close(&ts->tv);
		return -1;
	}
	set_status(ts);
	return 0;
}

void trace_session_end(struct trace_session *ts)
{
	SDL_FreeSurface(ts->canvas);
	ts->canvas = NULL;
	if (ts->win) {
		SDL_DestroyWindow(ts->win);
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
		ts->win = NULL;
	}
	viewer_destroy(&ts->v);
	tv_close(&ts->tv);
}

int trace_session_screenshot(struct trace_session *ts, const char *path, char *err, size_t errlen)
{
	return viewer_screenshot(&ts->v, path, err, errlen);
}
