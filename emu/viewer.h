/*
 * The memory-map viewer: panels drawn into an SDL_Surface by software (no window, no GPU,
 * so it renders headless), and the view state a window's input changes.
 *
 *   +--------------------------------------+---------------------------+
 *   | physical memory: one cell per frame  | VMAs of the current task  |
 *   | (or per group of frames), coloured   +---------------------------+
 *   | by owner, node and zone borders      | page walk of selected_la  |
 *   |                                      +---------------------------+
 *   |                                      | TLB arrays                |
 *   +--------------------------------------+---------------------------+
 *   | legend, selected frame               | zones and counters        |
 *   +--------------------------------------+---------------------------+
 *
 * Text is DejaVu Sans Mono through SDL2_ttf, from the fixed Debian path (fonts-dejavu-core).
 */
#ifndef EMU_VIEWER_H
#define EMU_VIEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "emu/viewer_model.h"

struct machine;
struct trace_view;
struct heat_map;

#define VIEWER_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define VIEWER_WIDTH 1360 /* default size of a screenshot or window */
#define VIEWER_HEIGHT 860
#define VIEWER_MIN_WIDTH 900 /* smallest window */
#define VIEWER_MIN_HEIGHT 600
#define VIEWER_MAX_CELL 32 /* pixels per cell side at the deepest zoom */
#define VIEWER_MAX_VMAS 64 /* VMA rows kept */
#define VIEWER_HISTORY 240 /* counter samples the live window plots */

/* Background and border colours, 0xRRGGBB. */
#define VIEWER_BG 0x101014u
#define VIEWER_ZONE_BORDER 0xe0e0e0u
#define VIEWER_NODE_BORDER 0xff4040u

struct viewer {
	struct machine *m; /* what is shown */
	TTF_Font *font;	   /* DejaVu Sans Mono */
	int line_h;	   /* pixels per text line */
	int width, height; /* the surface drawn into */
	/* View state of the physical panel. */
	unsigned cell;		 /* pixels per cell side, 1..VIEWER_MAX_CELL */
	unsigned long per_cell;	 /* frames per cell, >= 1 (more than one when zoomed out) */
	unsigned long first_pfn; /* frame of the top-left cell (a multiple of per_cell) */
	long selected_pfn;	 /* frame whose details are shown, -1: none */
	long hover_pfn;		 /* frame under the pointer (its details win), -1: none */
	bool show_heat;		 /* the heat overlay is drawn (when there is heat) */
	const struct heat_map *heat; /* heat of recent accesses (a trace's, or a live
					sampler's), or NULL */
	uint64_t selected_la;	 /* address whose page walk is shown */
	bool la_chosen;		 /* selected_la was chosen; else the stack's top page */
	bool show_help;		 /* the key help overlay */
	const char *status;	 /* a line for the title bar (run state), or NULL */
	/* Layout, recomputed from width and height. */
	SDL_Rect phys, info, vmas, walk, tlb, counters;
	SDL_Rect timeline, graph; /* a trace's timeline and counters over time */
	/* A recorded trace instead of a running machine (then m is the machine it booted). */
	struct trace_view *tv;
	int mark_type;	/* the event type the timeline marks and jumps to (enum trace_type) */
	int mark_freed; /* with TEV_PAGE: 0 allocations, 1 frees */
	/* Models of the last render. */
	unsigned long nr_frames; /* frames classified */
	uint64_t moved_key[4];	 /* instructions, exceptions, allocations, frees then */
	bool classified;	 /* cls holds the machine at moved_key */
	struct frame_class *cls; /* [nr_frames] */
	int nr_vmas;		 /* VMAs of the current task (rows holds the first 64) */
	uint64_t rows_at;	 /* a trace: the cursor + 1 the rows were made at, 0: none */
	/* Counters over time (live): one sample per update that found the machine moved on,
	 * the last VIEWER_HISTORY of them in a ring ending before hist_pos. */
	struct counter_sample hist[VIEWER_HISTORY];
	int nr_hist, hist_pos;
	struct vma_row rows[VIEWER_MAX_VMAS];
};

/* The colour of a frame's class, 0xRRGGBB. */
uint32_t viewer_class_colour(struct frame_class c);

/* Loads the font and sizes the view to width x height, zoomed to show all frames, with the
 * top page of the current task's stack as the selected address until one is chosen. 0, or -1 with a
 * reason in err. */
int viewer_init(struct viewer *v, struct machine *m, int width, int height, char *err,
		size_t errlen);
void viewer_destroy(struct viewer *v);
/* viewer_init on a recorded trace (emu/viewer_trace.h): the frame grid is the trace's
 * state at its cursor, the right column its timeline, last page walk and counters. */
int viewer_init_trace(struct viewer *v, struct trace_view *tv, int width, int height, char *err,
		      size_t errlen);

/* Recomputes the layout for a new size and zooms to fit. */
void viewer_resize(struct viewer *v, int width, int height);

/* Zoom to show every frame (the largest cell size that fits). */
void viewer_fit(struct viewer *v);
/* Zoom in (steps > 0) or out around the frame at panel pixel (x, y). */
void viewer_zoom(struct viewer *v, int steps, int x, int y);
/* Pans by rows of cells (negative: up). */
void viewer_pan_rows(struct viewer *v, long rows);

/* Cells per row and rows of the physical panel. */
unsigned viewer_cols(const struct viewer *v);
unsigned viewer_rows(const struct viewer *v);

/* The first frame of the cell at surface pixel (x, y); false outside the frame grid. */
bool viewer_pfn_at(const struct viewer *v, int x, int y, unsigned long *pfn);
/* The cell of frame pfn on the surface; false when it is scrolled out of view. */
bool viewer_cell_rect(const struct viewer *v, unsigned long pfn, SDL_Rect *r);

/* The timeline's bar (a trace): a click at x on it goes to event
 * (x - bar.x) * events / bar.w. */
SDL_Rect viewer_timeline_bar(const struct viewer *v);

/* Rebuilds the models from the machine (classification, VMA rows). */
void viewer_update(struct viewer *v);
/* Draws every panel into s (v->width x v->height, any 32-bit RGB format), after
 * viewer_update. */
void viewer_render(struct viewer *v, SDL_Surface *s);

/* viewer_update, viewer_render into a new surface and a PNG at path. 0 or -1 with err. */
int viewer_screenshot(struct viewer *v, const char *path, char *err, size_t errlen);

#endif /* EMU_VIEWER_H */
