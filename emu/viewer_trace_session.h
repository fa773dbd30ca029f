/*
 * The viewer on a recorded trace (`mmemu view FILE`): the picture at an event number
 * (--screenshot, --at), and the window with the timeline: play at a chosen speed, pause,
 * step an event either way, jump to the next or previous event of a kind, scrub the
 * timeline with the mouse, and the view's zoom, pan, selection and pointing.
 */
#ifndef EMU_VIEWER_TRACE_SESSION_H
#define EMU_VIEWER_TRACE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/viewer.h"
#include "emu/viewer_session.h"
#include "emu/viewer_trace.h"

#define TRACE_SPEED_DEFAULT 100000.0 /* events per second when playing */
#define TRACE_SPEED_MIN 1.0
#define TRACE_SPEED_MAX 1e9

struct trace_session {
	struct trace_view tv;	 /* the trace and its cursor */
	struct viewer v;	 /* the panels */
	SDL_Window *win;	 /* the window, or NULL headless */
	SDL_Surface *canvas;	 /* drawn, then copied to a window of other than 32-bit
				    pixels (viewer_present) */
	bool playing;		 /* the cursor moves on by itself */
	double speed;		 /* events per second while playing */
	double carry;		 /* events due but not yet a whole one */
	uint32_t last_tick;	 /* SDL_GetTicks when playing last moved the cursor */
	bool scrubbing;		 /* the left button is held on the timeline */
	struct viewer_drag drag; /* a drag on the frame grid */
	bool quit;		 /* the user asked to quit */
	int error;		 /* a seek failed: the trace became unreadable (err says why) */
	char status[160];	 /* the timeline's state line */
	char err[512];
};

/* Opens the trace at path and the panels (and with live a window). 0, or -1 with a
 * one-line reason in err (the trace: missing, damaged; no font; no display). */
int trace_session_start(struct trace_session *ts, const char *path, bool live, char *err,
			size_t errlen);
void trace_session_end(struct trace_session *ts);

/* Moves the cursor to event at (clamped); 0 or -1 with ts->err. */
int trace_session_seek(struct trace_session *ts, uint64_t at);

/* Applies one input event (keys, mouse, window). */
void trace_session_event(struct trace_session *ts, const SDL_Event *e);

/* Moves the cursor on by the events due since the last call while playing (speed times
 * elapsed ms), stopping at the end. */
void trace_session_play(struct trace_session *ts, uint32_t now_ms);

/* The window's loop: input, playing, redraws, until the user quits. 0, or -1 with ts->err
 * when the trace could not be read on. */
int trace_session_loop(struct trace_session *ts);

/* The picture at the cursor into a PNG at path. 0 or -1 with err. */
int trace_session_screenshot(struct trace_session *ts, const char *path, char *err, size_t errlen);

#endif /* EMU_VIEWER_TRACE_SESSION_H */
