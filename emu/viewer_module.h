/*
 * The memory-map viewer as a loadable module.
 *
 * The viewer (emu/viewer*.c, emu/png.c) draws with SDL2 and SDL2_ttf, which bring some 55
 * further shared libraries (X11, Wayland, PulseAudio, FreeType, ...). Linked into mmemu
 * they cost every run about 7 ms of CPU time in the dynamic loader, a run of hello
 * spending more there than in the emulator. So they are built into a module of their own,
 * mmemu-viewer.so next to the mmemu executable, which mmemu loads only when a command
 * asks for the viewer (emu/load_viewer.h): run --view or --screenshot, and view.
 * docs/performance.md ("Start-up") has the figures.
 *
 * The module's code calls the program's (the machine, the kernel, the trace reader): the
 * executable exports the functions the module uses. This table is all the program calls in
 * the module; the module and the program must come from the same build.
 */
#ifndef EMU_VIEWER_MODULE_H
#define EMU_VIEWER_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct run_observer;
struct viewer_session;

#define VIEWER_MODULE_FILE "mmemu-viewer.so"
#define VIEWER_MODULE_SYMBOL "mmemu_viewer_module"
#define VIEWER_MODULE_VERSION 1 /* raised whenever struct viewer_module changes */

/* mmemu view, its arguments parsed (emu/cmd_view.c). */
struct view_request {
	const char *file; /* the trace */
	const char *shot; /* --screenshot OUT.png, or NULL: the window */
	uint64_t at;	  /* --at EVENT, when at_given */
	bool at_given;
	uint64_t heat; /* --heat EVENTS, 0: the default */
};

struct viewer_module {
	unsigned version;    /* VIEWER_MODULE_VERSION of the module's build */
	size_t machine_size; /* sizeof(struct machine) in the module's build */
	/* run --screenshot / --view: a session watching the run of m (its observer below goes
	 * into the run's options). NULL with a one-line reason in err; the reason names the
	 * display or the font when those are missing. */
	struct viewer_session *(*session_start)(struct machine *m, const char *shot_path,
						uint64_t shot_at, bool live, char *err,
						size_t errlen);
	const struct run_observer *(*session_observer)(struct viewer_session *vs);
	/* Closes the session and frees it: 0, or -1 when its screenshot could not be written
	 * (why in err). */
	int (*session_end)(struct viewer_session *vs, char *err, size_t errlen);
	/* mmemu view: shows or draws the trace; the command's exit status, its messages
	 * written to stderr. */
	int (*view)(const struct view_request *r);
};

/* What the module exports under VIEWER_MODULE_SYMBOL. */
extern const struct viewer_module mmemu_viewer_module;

#endif /* EMU_VIEWER_MODULE_H */
