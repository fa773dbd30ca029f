/*
 * The viewer's state (see emu/viewer.h): the font, the layout of the panels for a surface
 * size, the zoom and pan of the physical panel and the mapping between its pixels and
 * frames, and the models of the last update.
 */
#include "emu/viewer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/viewer_trace.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/vmstat.h"
#include "kernel-sim/sched.h"

#define FONT_PT 12 /* text size in points */
#define PAD 8
#define TITLE_H 22

/* ---- layout and view state ---- */

void viewer_resize(struct viewer *v, int width, int height)
{
	v->width = width;
	v->height = height;
	int left_w = width * 3 / 5, info_h = 5 * v->line_h + PAD;
	int right_x = left_w, right_w = width - left_w - PAD;
	int body_h = height - TITLE_H - PAD;
	v->phys = (SDL_Rect){PAD, TITLE_H, left_w - 2 * PAD, body_h - info_h - PAD};
	v->info = (SDL_Rect){PAD, v->phys.y + v->phys.h + PAD, left_w - 2 * PAD, info_h};
	int walk_h = 8 * v->line_h, tlb_h = 15 * v->line_h, cnt_h = 17 * v->line_h;
	int vma_h = body_h - walk_h - tlb_h - cnt_h - 3 * PAD;
	v->vmas = (SDL_Rect){right_x, TITLE_H, right_w, vma_h};
	v->walk = (SDL_Rect){right_x, v->vmas.y + vma_h + PAD, right_w, walk_h};
	v->tlb = (SDL_Rect){right_x, v->walk.y + walk_h + PAD, right_w, tlb_h};
	v->counters = (SDL_Rect){right_x, v->tlb.y + tlb_h + PAD, right_w, cnt_h};
	/* A trace: timeline, the last walk, the VMAs, counters over time. */
	int tl_h = 14 * v->line_h, tvma_h = 15 * v->line_h;
	v->timeline = (SDL_Rect){right_x, TITLE_H, right_w, tl_h};
	if (v->tv) {
		v->walk.y = v->timeline.y + tl_h + PAD;
		v->vmas = (SDL_Rect){right_x, v->walk.y + walk_h + PAD, right_w, tvma_h};
		int gy = v->vmas.y + tvma_h + PAD;
		v->graph = (SDL_Rect){right_x, gy, right_w, height - gy - PAD};
	}
	viewer_fit(v);
}

SDL_Rect viewer_timeline_bar(const struct viewer *v)
{
	return (SDL_Rect){v->timeline.x + 4, v->timeline.y + v->line_h + 6, v->timeline.w - 8,
			  v->line_h};
}

unsigned viewer_cols(const struct viewer *v)
{
	return v->phys.w > 0 ? (unsigned)v->phys.w / v->cell : 0;
}

unsigned viewer_rows(const struct viewer *v)
{
	return v->phys.h > 0 ? (unsigned)v->phys.h / v->cell : 0;
}

static unsigned long nr_frames(const struct viewer *v)
{
	return v->m->kernel.max_pfn;
}

void viewer_fit(struct viewer *v)
{
	unsigned long n = nr_frames(v);
	v->first_pfn = 0;
	v->per_cell = 1;
	for (v->cell = VIEWER_MAX_CELL; v->cell > 1; v->cell--)
		if ((unsigned long)viewer_cols(v) * viewer_rows(v) >= n)
			return;
	unsigned long cells = (unsigned long)viewer_cols(v) * viewer_rows(v);
	if (cells)
		v->per_cell = (n + cells - 1) / cells;
}

/* Keeps first_pfn on a row boundary inside the frames. */
static void clamp_pan(struct viewer *v)
{
	unsigned long row = (unsigned long)viewer_cols(v) * v->per_cell;
	if (!row)
		return;
	unsigned long n = nr_frames(v);
	if (v->first_pfn >= n)
		v->first_pfn = n ? (n - 1) / row * row : 0;
	v->first_pfn = v->first_pfn / row * row;
}

void viewer_pan_rows(struct viewer *v, long rows)
{
	long long row = (long long)viewer_cols(v) * (long long)v->per_cell;
	long long first = (long long)v->first_pfn + rows * row;
	v->first_pfn = first < 0 ? 0 : (unsigned long)first;
	clamp_pan(v);
}

void viewer_zoom(struct viewer *v, int steps, int x, int y)
{
	unsigned long anchor;
	bool on_grid = viewer_pfn_at(v, x, y, &anchor);
	for (; steps > 0; steps--) {
		if (v->per_cell > 1)
			v->per_cell = (v->per_cell + 1) / 2;
		else if (v->cell < VIEWER_MAX_CELL)
			v->cell *= 2;
	}
	for (; steps < 0; steps++) {
		if (v->cell > 1)
			v->cell /= 2;
		else if (v->per_cell < nr_frames(v))
			v->per_cell *= 2;
	}
	/* Keep the frame under the pointer on screen: its row becomes the top row's
	 * neighbourhood rather than jumping back to frame 0. */
	if (on_grid) {
		unsigned long row = (unsigned long)viewer_cols(v) * v->per_cell;
		unsigned long above = (unsigned long)(y - v->phys.y) / v->cell;
		unsigned long arow = row ? anchor / row : 0;
		v->first_pfn = arow > above ? (arow - above) * row : 0;
	}
	clamp_pan(v);
}

bool viewer_pfn_at(const struct viewer *v, int x, int y, unsigned long *pfn)
{
	if (x < v->phys.x || y < v->phys.y)
		return false;
	unsigned cx = (unsigned)(x - v->phys.x) / v->cell, cy = (unsigned)(y - v->phys.y) / v->cell;
	if (cx >= viewer_cols(v) || cy >= viewer_rows(v))
		return false;
	unsigned long p = v->first_pfn + ((unsigned long)cy * viewer_cols(v) + cx) * v->per_cell;
	if (p >= nr_frames(v))
		return false;
	*pfn = p;
	return true;
}

bool viewer_cell_rect(const struct viewer *v, unsigned long pfn, SDL_Rect *r)
{
	if (pfn < v->first_pfn || pfn >= nr_frames(v) || !viewer_cols(v))
		return false;
	unsigned long idx = (pfn - v->first_pfn) / v->per_cell;
	unsigned long cy = idx / viewer_cols(v), cx = idx % viewer_cols(v);
	if (cy >= viewer_rows(v))
		return false;
	*r = (SDL_Rect){v->phys.x + (int)(cx * v->cell), v->phys.y + (int)(cy * v->cell),
			(int)v->cell, (int)v->cell};
	return true;
}

/* ---- init ---- */

/* The address to walk when none was chosen: the top page of the [stack] VMA, which every
 * process has resident, else the instruction pointer. */
static uint64_t default_la(const struct viewer *v)
{
	for (int i = 0; i < v->nr_vmas && i < VIEWER_MAX_VMAS; i++)
		if (!strcmp(v->rows[i].name, "[stack]"))
			return v->rows[i].end - 4096;
	return v->m->cpu.rip;
}

int viewer_init(struct viewer *v, struct machine *m, int width, int height, char *err,
		size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	v->selected_pfn = -1;
	v->hover_pfn = -1;
	v->show_heat = true;
	if (!TTF_WasInit() && TTF_Init() < 0) {
		snprintf(err, errlen, "cannot start SDL2_ttf: %s", TTF_GetError());
		return -1;
	}
	v->font = TTF_OpenFont(VIEWER_FONT_PATH, FONT_PT);
	if (!v->font) {
		snprintf(err, errlen,
			 "cannot open the font %s (Debian package fonts-dejavu-core): %s",
			 VIEWER_FONT_PATH, TTF_GetError());
		return -1;
	}
	v->line_h = TTF_FontLineSkip(v->font);
	v->cell = 1;
	v->per_cell = 1;
	viewer_resize(v, width, height);
	return 0;
}

void viewer_destroy(struct viewer *v)
{
	if (v->font)
		TTF_CloseFont(v->font);
	if (!v->tv)
		free(v->cls);
	v->font = NULL;
	v->cls = NULL;
}

int viewer_init_trace(struct viewer *v, struct trace_view *tv, int width, int height, char *err,
		      size_t errlen)
{
	if (viewer_init(v, tv->m, width, height, err, errlen) < 0)
		return -1;
	v->tv = tv;
	v->heat = &tv->heat;
	v->mark_type = TEV_PAGE;
	v->mark_freed = 0;
	viewer_resize(v, width, height);
	v->la_chosen = true;
	return 0;
}

void viewer_update(struct viewer *v)
{
	if (v->tv) { /* the trace's state is kept up to date by its cursor */
		v->cls = v->tv->cls;
		v->nr_frames = v->tv->nr_frames;
		if (v->rows_at != v->tv->at + 1) {
			v->nr_vmas = tv_vma_rows(v->tv, v->rows, VIEWER_MAX_VMAS);
			v->rows_at = v->tv->at + 1;
		}
		return;
	}
	/* Memory changes only by executing instructions, handling exceptions or allocating
	 * and freeing (exec does that before the first instruction): while the machine has
	 * done none of these (paused), the last classification and VMA rows still hold. */
	const struct kernel *k = &v->m->kernel;
	uint64_t key[4] = {v->m->cpu.icount, v->m->cpu.nr_faults, 0, k->vm_events[PGFREE]};
	for (int i = PGALLOC_DMA; i <= PGALLOC_MOVABLE; i++)
		key[2] += k->vm_events[i];
	bool moved = !v->classified || memcmp(key, v->moved_key, sizeof(key));
	unsigned long n = nr_frames(v);
	if (n != v->nr_frames) {
		free(v->cls);
		v->cls = calloc(n ? n : 1, sizeof(*v->cls));
		v->nr_frames = v->cls ? n : 0;
		v->classified = false;
	}
	if (v->cls && (moved || !v->classified))
		viewer_classify(&v->m->kernel, v->nr_frames, v->cls);
	v->classified = v->cls != NULL;
	memcpy(v->moved_key, key, sizeof(key));
	if (moved) /* a large mapping's resident bars cost a probe per page */
		v->nr_vmas = viewer_vma_rows(v->m, v->rows, VIEWER_MAX_VMAS);
	if (moved || !v->nr_hist) {
		viewer_counter_sample(v->m, &v->hist[v->hist_pos]);
		v->hist_pos = (v->hist_pos + 1) % VIEWER_HISTORY;
		if (v->nr_hist < VIEWER_HISTORY)
			v->nr_hist++;
	}
	if (!v->la_chosen)
		v->selected_la = default_la(v);
}
