/*
 * The viewer attached to a run (`mmemu run --screenshot OUT.png`, `--view`): a run
 * observer (emu/run.h) that writes a PNG at an instruction count or at the end, and drives
 * the live window: pause, run, step an instruction, run to the next page fault or system
 * call, with the view's zoom, pan and selection on keys and mouse.
 *
 * The viewer only reads the machine, and a run's instructions are the same whatever the
 * slices are, so a viewed run ends with the same results as one without it.
 */
#ifndef EMU_VIEWER_SESSION_H
#define EMU_VIEWER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/run.h"
#include "emu/viewer.h"
#include "emu/viewer_heat.h"
#include "emu/viewer_pace.h"

/* A drag with the left button on the frame grid. */
struct viewer_drag {
	bool active; /* the button is held */
	int y;	     /* where the drag started, in pixels */
	int rows;    /* rows it has panned so far */
};

/* Keys that change only the view (zoom, pan, fit, help), for the live window and a
 * trace's alike. true when key was one of them. */
bool viewer_view_key(struct viewer *v, SDL_Keycode key);
/* Mouse input on the view: pointing (hover details), selecting a frame, dragging the grid,
 * the wheel. true when the event was used up. */
bool viewer_view_mouse(struct viewer *v, struct viewer_drag *d, const SDL_Event *e);

/* Opens the window (SDL video, a resizable window of the default size) for what (the
 * option or command named in messages). 0, or -1 with a reason when there is no display. */
int viewer_open_window(SDL_Window **win, const char *what, char *err, size_t errlen);
/* Draws v at the window's size (v resized to it when it changed) into the window's surface
 * and shows it; a window whose pixels are not 32-bit is drawn through canvas (re-made at
 * its size). */
void viewer_present(struct viewer *v, SDL_Window *win, SDL_Surface **canvas);

enum live_mode {
	LIVE_PAUSED,	 /* waiting for input */
	LIVE_RUNNING,	 /* running, the window redrawn at the pace of emu/viewer_pace.h */
	LIVE_STEP,	 /* one instruction, then paused */
	LIVE_TO_FAULT,	 /* until a page fault has been handled and user mode resumes */
	LIVE_TO_SYSCALL, /* until a system call has run and user mode resumes */
};

struct viewer_session {
	struct viewer v;	 /* the panels */
	struct live_heat heat;	 /* recent accesses, sampled between slices */
	struct run_observer obs; /* what the run calls */
	/* --screenshot */
	const char *shot_path; /* where to write the PNG, or NULL */
	uint64_t shot_at;      /* at this instruction count; 0: at the end of the run */
	bool shot_done;	       /* written (or failed) */
	int shot_result;       /* 0, or -1 with the reason in err */
	char err[256];	       /* why the last screenshot failed */
	/* --view */
	SDL_Window *win;	 /* the window, or NULL without --view */
	SDL_Surface *canvas;	 /* drawn, then copied to a window of other than 32-bit pixels */
	enum live_mode mode;	 /* what the run does next */
	bool quit;		 /* the user asked to quit */
	bool ended;		 /* the program has ended: only viewing is left */
	bool armed;		 /* TO_SYSCALL: the system call instruction was reached */
	uint64_t armed_at;	 /* ... at this instruction count */
	uint64_t mark;		 /* TO_FAULT: pgfault count when it started */
	uint32_t polls;		 /* single steps taken, to look at input now and then */
	struct viewer_drag drag; /* a drag on the frame grid */
	uint64_t polled_at;	 /* instruction count at the last look at input while running */
	struct viewer_pace pace; /* when the next picture is due while running */
	bool stale;		 /* the window does not show the machine and the view as they are */
	uint32_t draw_ms;	 /* how long the last picture took (wall) */
	uint32_t redraws;	 /* pictures drawn in the window */
	uint64_t draw_total_ms;	 /* time spent drawing them (wall) */
	double draw_total_cpu;	 /* ... and CPU time of this thread, ms */
	char status[160];	 /* the title bar's run-state text */
};

/*
 * Prepares a session on machine m: the viewer (font), and with live the SDL video system
 * and a window. 0, or -1 with a one-line reason in err (no font; no display for --view).
 * vs->obs is the observer to put in the run options.
 */
int viewer_session_start(struct viewer_session *vs, struct machine *m, const char *shot_path,
			 uint64_t shot_at, bool live, char *err, size_t errlen);
/* Closes the window and frees the session. */
void viewer_session_end(struct viewer_session *vs);

/* Applies one input event to the session (keys, mouse, window); the live window does this
 * for every event it receives. */
void viewer_session_event(struct viewer_session *vs, const SDL_Event *e);

/* True when the instruction at the current RIP is SYSCALL, SYSENTER or INT 0x80. */
bool viewer_at_syscall(struct machine *m);

#endif /* EMU_VIEWER_SESSION_H */
