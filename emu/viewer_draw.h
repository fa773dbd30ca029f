/*
 * Drawing helpers the viewer's panel files share (emu/viewer_render.c,
 * emu/viewer_grid.c, emu/viewer_render_trace.c). Private to the viewer.
 */
#ifndef EMU_VIEWER_DRAW_H
#define EMU_VIEWER_DRAW_H

#include <stdint.h>

#include <SDL.h>

struct viewer;

/* A filled rectangle of colour 0xRRGGBB. */
void viewer_fill(SDL_Surface *s, int x, int y, int w, int h, uint32_t rgb);
/* A one-pixel frame around r. */
void viewer_outline(SDL_Surface *s, SDL_Rect r, uint32_t rgb);
/* Pixels per character of the font. */
int viewer_char_w(const struct viewer *v);
/* Draws text at (x, y), cut to max_w pixels (0: no limit). Returns the width drawn. */
int viewer_text(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		const char *str);
int viewer_textf(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* A panel's frame and title; returns the y of its first content line. */
int viewer_panel(struct viewer *v, SDL_Surface *s, SDL_Rect r, const char *title);

/* The frame grid of the physical panel, with zone and node borders and, with the heat
 * overlay on and a heat source (v->heat), the heat of recent accesses; over a surface already cleared to
 * VIEWER_BG (cells leave gaps, and the panel's last row may be short). */
void viewer_draw_frames(struct viewer *v, SDL_Surface *s);

/* The heat colours of reads, writes and fetches, 0xRRGGBB. */
#define VIEWER_HEAT_READ 0x30e0ffu
#define VIEWER_HEAT_WRITE 0xff3030u
#define VIEWER_HEAT_FETCH 0xffff60u

/* The trace panels (emu/viewer_render_trace.c): timeline, last walk, counters over time. */
void viewer_render_trace(struct viewer *v, SDL_Surface *s);

#endif /* EMU_VIEWER_DRAW_H */
