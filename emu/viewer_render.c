/*
 * The viewer's panels, drawn by software into an SDL_Surface (see emu/viewer.h): frames
 * are filled rectangles, text is SDL2_ttf's blended glyphs blitted on top. Nothing here
 * needs a window or a display.
 */
#include "emu/viewer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/png.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "mmu/paging.h"

#define PAD 8 /* pixels between panels */

/* ---- colours ---- */

static const uint32_t kind_colour[FK_NR] = {
	[FK_FREE] = 0x1e5a3c,	 [FK_PCP] = 0x6e8c3c,	  [FK_ANON] = 0xf07828,
	[FK_FILE] = 0x4682e6,	 [FK_PGTABLE] = 0xe632d2, [FK_SLAB] = 0xe6d23c,
	[FK_VMALLOC] = 0x965adc, [FK_KERNEL] = 0x787878,  [FK_ZERO] = 0xffffff,
	[FK_SWAPCACHE] = 0xc83c3c, [FK_OTHER] = 0xaa785a,
};

/* Free frames: darker green for small blocks, brighter for large ones, the head of each
 * block a little lighter than its body so that block boundaries show when zoomed in. */
uint32_t viewer_class_colour(struct frame_class c)
{
	if (c.kind != FK_FREE)
		return c.kind < FK_NR ? kind_colour[c.kind] : VIEWER_BG;
	unsigned o = c.order < MAX_ORDER ? c.order : MAX_ORDER - 1;
	unsigned g = 70 + o * 12, b = 40 + o * 6, r = 20 + o * 2;
	if (c.head)
		r += 30, g += 30, b += 30;
	return (r << 16) | (g << 8) | b;
}

static SDL_Color sdl_colour(uint32_t rgb)
{
	return (SDL_Color){(uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb, 255};
}

/* ---- pixels ---- */

static void fill(SDL_Surface *s, int x, int y, int w, int h, uint32_t rgb)
{
	SDL_Rect r = {x, y, w, h};
	SDL_FillRect(s, &r, SDL_MapRGB(s->format, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8),
				       (uint8_t)rgb));
}

static void outline(SDL_Surface *s, SDL_Rect r, uint32_t rgb)
{
	fill(s, r.x - 1, r.y - 1, r.w + 2, 1, rgb);
	fill(s, r.x - 1, r.y + r.h, r.w + 2, 1, rgb);
	fill(s, r.x - 1, r.y, 1, r.h, rgb);
	fill(s, r.x + r.w, r.y, 1, r.h, rgb);
}

/* ---- text ---- */

static int char_w(const struct viewer *v)
{
	int w = 7;
	TTF_SizeUTF8(v->font, "M", &w, NULL);
	return w > 0 ? w : 7;
}

/* Draws text at (x, y), cut to max_w pixels (0: no limit). Returns the width drawn. */
static int text(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		const char *str)
{
	char buf[512];
	int max_chars = max_w > 0 ? max_w / char_w(v) : (int)sizeof(buf) - 1;
	snprintf(buf, sizeof(buf), "%.*s", max_chars < 0 ? 0 : max_chars, str);
	if (!buf[0])
		return 0;
	SDL_Surface *t = TTF_RenderUTF8_Blended(v->font, buf, sdl_colour(rgb));
	if (!t)
		return 0;
	SDL_Rect dst = {x, y, t->w, t->h};
	SDL_BlitSurface(t, NULL, s, &dst);
	int w = t->w;
	SDL_FreeSurface(t);
	return w;
}

static int textf(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int textf(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		 const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return text(v, s, x, y, max_w, rgb, buf);
}

/* A panel's frame and title; returns the y of its first content line. */
static int panel(struct viewer *v, SDL_Surface *s, SDL_Rect r, const char *title)
{
	fill(s, r.x, r.y, r.w, r.h, 0x18181e);
	fill(s, r.x, r.y, r.w, v->line_h + 2, 0x2a2a36);
	text(v, s, r.x + 4, r.y + 1, r.w - 8, 0xffffff, title);
	return r.y + v->line_h + 4;
}

/* ---- physical memory ---- */

/* Which kind a cell of several frames shows: the rarer, more telling owners win over
 * free memory and generic kernel use. Larger free blocks win among free frames. */
static int kind_rank(struct frame_class c)
{
	static const int rank[FK_NR] = {
		[FK_FREE] = 0,	  [FK_PCP] = 1,	    [FK_KERNEL] = 2, [FK_OTHER] = 3,
		[FK_SLAB] = 4,	  [FK_VMALLOC] = 5, [FK_FILE] = 6,   [FK_ANON] = 7,
		[FK_SWAPCACHE] = 8, [FK_ZERO] = 9,   [FK_PGTABLE] = 10,
	};
	return c.kind < FK_NR ? rank[c.kind] * 16 + (c.kind == FK_FREE ? c.order : 0) : 0;
}

static struct frame_class cell_class(const struct viewer *v, unsigned long pfn)
{
	struct frame_class best = v->cls[pfn];
	for (unsigned long i = 1; i < v->per_cell && pfn + i < v->nr_frames; i++)
		if (kind_rank(v->cls[pfn + i]) > kind_rank(best))
			best = v->cls[pfn + i];
	return best;
}

/* A zone's frames, for finding borders without reading struct pages (which would cost a
 * pass over the whole mem_map per picture). */
struct zone_span {
	unsigned long start, end; /* [start, end) */
	uint32_t key;             /* node * 8 + zone index */
};

struct zone_spans {
	int nr;
	struct zone_span span[MAX_NUMNODES * MAX_NR_ZONES];
};

/* Populated zones, highest index first within a node, so that ZONE_MOVABLE wins where its
 * span lies inside another zone's. */
static void zone_spans(const struct kernel *k, struct zone_spans *zs)
{
	zs->nr = 0;
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--) {
			const struct zone *z = &k->node_data[nid]->node_zones[zi];
			if (populated_zone(z))
				zs->span[zs->nr++] = (struct zone_span){
					z->zone_start_pfn, z->zone_start_pfn + z->spanned_pages,
					(uint32_t)nid * 8 + (uint32_t)zi};
		}
}

/* Node and zone of a frame as one number (0xffff outside every zone). */
static uint32_t zone_key(const struct zone_spans *zs, unsigned long pfn)
{
	for (int i = 0; i < zs->nr; i++)
		if (pfn >= zs->span[i].start && pfn < zs->span[i].end)
			return zs->span[i].key;
	return 0xffff;
}

/* The frame grid's colours in the surface's pixel format, mapped once per picture. */
struct grid_palette {
	uint32_t kind[FK_NR];
	uint32_t free[MAX_ORDER][2]; /* [order][head] */
	uint32_t zone, node;
};

static uint32_t map_rgb(const SDL_Surface *s, uint32_t rgb)
{
	return SDL_MapRGB(s->format, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb);
}

static void grid_palette(const SDL_Surface *s, struct grid_palette *pal)
{
	for (int k = 0; k < FK_NR; k++)
		pal->kind[k] = map_rgb(s, viewer_class_colour((struct frame_class){(uint8_t)k, 0, 0}));
	for (int o = 0; o < MAX_ORDER; o++)
		for (int h = 0; h < 2; h++)
			pal->free[o][h] = map_rgb(
				s, viewer_class_colour((struct frame_class){FK_FREE, (uint8_t)o, (uint8_t)h}));
	pal->zone = map_rgb(s, VIEWER_ZONE_BORDER);
	pal->node = map_rgb(s, VIEWER_NODE_BORDER);
}

static uint32_t grid_colour(const struct grid_palette *pal, struct frame_class c)
{
	if (c.kind == FK_FREE)
		return pal->free[c.order < MAX_ORDER ? c.order : MAX_ORDER - 1][c.head ? 1 : 0];
	return pal->kind[c.kind < FK_NR ? c.kind : FK_OTHER];
}

/* Fills a w x h block at (x, y) of a locked 32-bit surface. */
static void put_block(SDL_Surface *s, int x, int y, int w, int h, uint32_t px)
{
	for (int j = 0; j < h; j++) {
		uint32_t *row = (uint32_t *)((uint8_t *)s->pixels + (size_t)(y + j) * (size_t)s->pitch) + x;
		for (int i = 0; i < w; i++)
			row[i] = px;
	}
}

/* The border on the top and left of a cell wherever the zone (or node) changes from the
 * cell above (key_up, ~0: none) or to the left (key_left). */
static void cell_borders(const struct viewer *v, SDL_Surface *s, const struct grid_palette *pal,
			 SDL_Rect r, uint32_t key, uint32_t key_left, uint32_t key_up)
{
	int t = v->cell >= 4 ? 2 : 1; /* line width: visible without hiding small cells */
	if (key_left != ~0u && key_left != key)
		put_block(s, r.x, r.y, t, r.h, key_left / 8 != key / 8 ? pal->node : pal->zone);
	if (key_up != ~0u && key_up != key)
		put_block(s, r.x, r.y, r.w, t, key_up / 8 != key / 8 ? pal->node : pal->zone);
}

/* One row of cells; keys[] holds the row above's zone keys on entry, this row's on exit. */
static void draw_row(const struct viewer *v, SDL_Surface *s, const struct grid_palette *pal,
		     const struct zone_spans *zs, unsigned cy, uint32_t *keys)
{
	unsigned cols = viewer_cols(v);
	int gap = v->cell >= 4 ? 1 : 0;
	uint32_t left = ~0u;
	for (unsigned cx = 0; cx < cols; cx++) {
		unsigned long pfn = v->first_pfn + ((unsigned long)cy * cols + cx) * v->per_cell;
		if (pfn >= v->nr_frames)
			return;
		SDL_Rect r = {v->phys.x + (int)(cx * v->cell), v->phys.y + (int)(cy * v->cell),
			      (int)v->cell, (int)v->cell};
		put_block(s, r.x, r.y, r.w - gap, r.h - gap, grid_colour(pal, cell_class(v, pfn)));
		uint32_t key = zone_key(zs, pfn);
		cell_borders(v, s, pal, r, key, left, keys[cx]);
		keys[cx] = left = key;
	}
}

static void draw_frames(struct viewer *v, SDL_Surface *s)
{
	fill(s, v->phys.x, v->phys.y, v->phys.w, v->phys.h, VIEWER_BG);
	unsigned cols = viewer_cols(v), rows = viewer_rows(v);
	uint32_t *keys = malloc(sizeof(*keys) * (cols ? cols : 1));
	if (!keys || s->format->BytesPerPixel != 4) {
		free(keys);
		return;
	}
	struct zone_spans zs;
	zone_spans(&v->m->kernel, &zs);
	/* The row above the first one shown, for its borders. */
	unsigned long row = (unsigned long)cols * v->per_cell;
	for (unsigned cx = 0; cx < cols; cx++) {
		unsigned long above = v->first_pfn + cx * v->per_cell - row;
		keys[cx] = v->first_pfn >= row && above < v->nr_frames ? zone_key(&zs, above) : ~0u;
	}
	struct grid_palette pal;
	grid_palette(s, &pal);
	if (SDL_LockSurface(s) == 0) {
		for (unsigned cy = 0; cy < rows; cy++)
			draw_row(v, s, &pal, &zs, cy, keys);
		SDL_UnlockSurface(s);
	}
	free(keys);
}

/* Outlines the selected frame, and the frames the selected address's walk reads (its
 * page tables and, at the end, the page). */
static void draw_marks(struct viewer *v, SDL_Surface *s, const struct walk_model *w)
{
	SDL_Rect r;
	for (int i = 0; i < w->nr_steps; i++)
		if (w->step[i].entry_pa != ~0ULL && viewer_cell_rect(v, w->step[i].entry_pa >> 12, &r))
			outline(s, r, 0x40e0ff);
	if (w->mapped && viewer_cell_rect(v, w->pa >> 12, &r))
		outline(s, r, 0x40ff40);
	if (v->selected_pfn >= 0 && viewer_cell_rect(v, (unsigned long)v->selected_pfn, &r))
		outline(s, r, 0xffff00);
}

/* The legend and the selected frame's details, under the frame grid. */
static void draw_info(struct viewer *v, SDL_Surface *s)
{
	SDL_Rect a = v->info;
	fill(s, a.x, a.y, a.w, a.h, VIEWER_BG);
	int x = a.x, y = a.y, sw = v->line_h - 4;
	for (int k = 0; k < FK_NR; k++) {
		struct frame_class c = {(uint8_t)k, k == FK_FREE ? 4 : 0, 1};
		int w = char_w(v) * ((int)strlen(frame_kind_name(k)) + 1) + sw + 4;
		if (x + w > a.x + a.w)
			x = a.x, y += v->line_h;
		fill(s, x, y + 2, sw, sw, viewer_class_colour(c));
		x += sw + 4 + text(v, s, x + sw + 4, y, 0, 0xd0d0d0, frame_kind_name(k)) + char_w(v);
	}
	y += v->line_h;
	x = a.x + text(v, s, a.x, y, 0, 0xd0d0d0, "free by order 0..10: ");
	for (int o = 0; o < MAX_ORDER; o++)
		fill(s, x + o * sw, y + 2, sw, sw, viewer_class_colour((struct frame_class){FK_FREE, (uint8_t)o, 1}));
	x += MAX_ORDER * sw + char_w(v);
	x += text(v, s, x, y, 0, VIEWER_ZONE_BORDER, "| zone border ");
	text(v, s, x, y, 0, VIEWER_NODE_BORDER, "| node border");
	y += v->line_h;
	char buf[512];
	if (v->selected_pfn >= 0 && (unsigned long)v->selected_pfn < v->nr_frames)
		viewer_frame_info(&v->m->kernel, v->cls, (unsigned long)v->selected_pfn, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "click a frame for its details");
	int per_line = a.w / char_w(v);
	text(v, s, a.x, y, a.w, 0xffff80, buf);
	if ((int)strlen(buf) > per_line)
		text(v, s, a.x + 2 * char_w(v), y + v->line_h, a.w, 0xffff80, buf + per_line);
}

/* ---- VMAs ---- */

/* The end of name that fits in chars characters (paths keep their file name). */
static const char *name_tail(const char *name, int chars)
{
	int n = (int)strlen(name);
	return n > chars && chars > 0 ? name + (n - chars) : name;
}

static void draw_vmas(struct viewer *v, SDL_Surface *s)
{
	char title[96];
	struct counter_model c;
	viewer_counter_model(v->m, &c);
	snprintf(title, sizeof(title), "VMAs of pid %d (%s): %d, resident/pages", c.pid, c.comm,
		 v->nr_vmas);
	int y = panel(v, s, v->vmas, title);
	int bar_w = VMA_BAR_BUCKETS, cw = char_w(v);
	int text_w = v->vmas.w - bar_w - 12;
	for (int i = 0; i < v->nr_vmas && i < VIEWER_MAX_VMAS; i++) {
		if (y + v->line_h > v->vmas.y + v->vmas.h)
			break;
		const struct vma_row *r = &v->rows[i];
		char line[256];
		int n = snprintf(line, sizeof(line), "%012llx-%012llx %s %5lu/%-5lu ",
				 (unsigned long long)r->start, (unsigned long long)r->end, r->perms,
				 r->resident, r->pages);
		snprintf(line + n, sizeof(line) - (size_t)n, "%s", name_tail(r->name, text_w / cw - n));
		bool sel = v->selected_la >= r->start && v->selected_la < r->end;
		text(v, s, v->vmas.x + 4, y, text_w, sel ? 0xffff80 : 0xd0d0d0, line);
		int bx = v->vmas.x + v->vmas.w - bar_w - 4;
		fill(s, bx, y + 3, bar_w, v->line_h - 6, 0x303040);
		for (int b = 0; b < VMA_BAR_BUCKETS; b++)
			if (r->bar[b])
				fill(s, bx + b, y + 3, 1, v->line_h - 6,
				     r->bar[b] > 127 ? kind_colour[FK_ANON] : 0x905020);
		y += v->line_h;
	}
}

/* ---- page walk ---- */

static void draw_walk(struct viewer *v, SDL_Surface *s, const struct walk_model *w)
{
	char title[96];
	snprintf(title, sizeof(title), "page walk of %#llx  (CR3 %#llx)",
		 (unsigned long long)w->la, (unsigned long long)w->cr3);
	int y = panel(v, s, v->walk, title), x = v->walk.x + 4, mw = v->walk.w - 8;
	for (int i = 0; i < w->nr_steps; i++, y += v->line_h) {
		char flags[64];
		pte_flags_text(w->step[i].entry, flags, sizeof(flags));
		textf(v, s, x, y, mw, 0xd0d0d0, "%-5s @%010llx = %016llx  %s",
		      walk_level_name(w->step[i].level), (unsigned long long)w->step[i].entry_pa,
		      (unsigned long long)w->step[i].entry, flags);
	}
	if (w->mapped)
		textf(v, s, x, y, mw, 0x80ff80, "-> frame %#llx (pfn %#llx, %s page)",
		      (unsigned long long)(w->pa & ~((1ULL << w->page_shift) - 1)),
		      (unsigned long long)(w->pa >> 12),
		      w->page_shift == 30 ? "1G" : w->page_shift == 21 ? "2M" : "4K");
	else
		text(v, s, x, y, mw, 0xff8080, "-> not mapped: the last entry is not present");
	y += v->line_h;
	textf(v, s, x, y, mw, 0xd0d0d0, "TLB: %s   page-walk cache: %s",
	      w->tlb ? w->tlb : "not held", w->pwc ? w->pwc : "not held");
}

/* ---- TLB ---- */

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void draw_tlb(struct viewer *v, SDL_Surface *s)
{
	struct tlb_model t;
	viewer_tlb_model(v->m, &t);
	int y = panel(v, s, v->tlb, "TLB arrays: valid/entries, hits, fills"), x = v->tlb.x + 4;
	int bar_w = 100, bx = v->tlb.x + v->tlb.w - bar_w - 4;
	for (int i = 0; i < t.nr && y + v->line_h <= v->tlb.y + v->tlb.h - v->line_h; i++) {
		const struct tlb_row *r = &t.row[i];
		textf(v, s, x, y, bx - x, 0xd0d0d0, "%-6s %5u/%-5u %10llu %8llu", r->name,
		      r->valid, r->entries, (unsigned long long)r->hits, (unsigned long long)r->fills);
		fill(s, bx, y + 3, bar_w, v->line_h - 6, 0x303040);
		fill(s, bx, y + 3, (int)((uint64_t)bar_w * r->valid / (r->entries ? r->entries : 1)),
		     v->line_h - 6, 0x40a0ff);
		y += v->line_h;
	}
	static const char *const lv[3] = {"L1I", "L1D", "L2"};
	int n = 0;
	char line[160];
	for (int i = 0; i < 3; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s %.1f%%  ", lv[i],
			      percent(t.level_hits[i], t.level_hits[i] + t.level_misses[i]));
	snprintf(line + n, sizeof(line) - (size_t)n, "walks %llu", (unsigned long long)t.walks);
	text(v, s, x, y, v->tlb.w - 8, 0xffffff, line);
}

/* ---- counters ---- */

/* A zone's free pages against its managed pages, with ticks at min, low and high. */
static void zone_bar(SDL_Surface *s, int x, int y, int w, int h, const struct zone_row *z)
{
	unsigned long m = z->managed ? z->managed : 1;
	fill(s, x, y, w, h, 0x303040);
	fill(s, x, y, (int)((uint64_t)w * (z->free < m ? z->free : m) / m), h, 0x3cb46e);
	const unsigned long marks[3] = {z->min, z->low, z->high};
	const uint32_t colour[3] = {0xff4040, 0xffa040, 0xffff40};
	for (int i = 0; i < 3; i++)
		fill(s, x + (int)((uint64_t)w * (marks[i] < m ? marks[i] : m) / m), y - 1, 1, h + 2,
		     colour[i]);
}

static void draw_counters(struct viewer *v, SDL_Surface *s)
{
	struct counter_model c;
	viewer_counter_model(v->m, &c);
	int y = panel(v, s, v->counters, "zones: free vs min/low/high; counters"),
	    x = v->counters.x + 4, mw = v->counters.w - 8;
	int bar_w = 100, bx = v->counters.x + v->counters.w - bar_w - 4;
	for (int i = 0; i < c.nr_zones && y + v->line_h <= v->counters.y + v->counters.h - 2 * v->line_h; i++) {
		const struct zone_row *z = &c.zone[i];
		textf(v, s, x, y, bx - x, 0xd0d0d0, "N%d %-7s free %7lu  min %lu low %lu high %lu",
		      z->node, z->name, z->free, z->min, z->low, z->high);
		zone_bar(s, bx, y + 3, bar_w, v->line_h - 6, z);
		y += v->line_h;
	}
	textf(v, s, x, y, mw, 0xffffff, "insns %llu  exceptions %llu  pgfault %lu  pgmajfault %lu",
	      (unsigned long long)c.instructions, (unsigned long long)c.exceptions, c.pgfault,
	      c.pgmajfault);
	y += v->line_h;
	textf(v, s, x, y, mw, 0xffffff, "pgalloc %lu  pgfree %lu  page tables %lu", c.pgalloc,
	      c.pgfree, c.pagetables);
}

/* ---- the whole picture ---- */

static const char *const help_lines[] = {
	"space      run / pause",
	"s or .     step one instruction",
	"f          run to the next page fault",
	"c          run to the next system call",
	"+ - wheel  zoom (around the pointer)",
	"arrows, PgUp/PgDn, drag   pan",
	"0 / Home   zoom to fit",
	"click      frame details; click a VMA: walk it",
	"?          this help",
	"q / Esc    quit",
};

static void draw_help(struct viewer *v, SDL_Surface *s)
{
	int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));
	SDL_Rect r = {v->width / 2 - 260, v->height / 2 - (n + 2) * v->line_h / 2, 520,
		      (n + 2) * v->line_h};
	fill(s, r.x, r.y, r.w, r.h, 0x202030);
	outline(s, r, 0xffffff);
	int y = panel(v, s, r, "keys and mouse");
	for (int i = 0; i < n; i++, y += v->line_h)
		text(v, s, r.x + 8, y, r.w - 16, 0xffffff, help_lines[i]);
}

void viewer_render(struct viewer *v, SDL_Surface *s)
{
	struct walk_model w;
	viewer_walk_model(v->m, v->selected_la, &w);
	fill(s, 0, 0, v->width, v->height, VIEWER_BG);
	textf(v, s, PAD, 2, v->width - 2 * PAD, 0xffffff,
	      "mmemu  %lu frames (%lu MiB), %lu per cell, %u px   %s   ? for help", v->nr_frames,
	      v->nr_frames >> 8, v->per_cell, v->cell, v->status ? v->status : "");
	if (v->cls)
		draw_frames(v, s);
	draw_marks(v, s, &w);
	draw_info(v, s);
	draw_vmas(v, s);
	draw_walk(v, s, &w);
	draw_tlb(v, s);
	draw_counters(v, s);
	if (v->show_help)
		draw_help(v, s);
}

int viewer_screenshot(struct viewer *v, const char *path, char *err, size_t errlen)
{
	SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32,
							SDL_PIXELFORMAT_XRGB8888);
	if (!s) {
		snprintf(err, errlen, "cannot make a %dx%d image: %s", v->width, v->height,
			 SDL_GetError());
		return -1;
	}
	viewer_update(v);
	viewer_render(v, s);
	int r = png_write_xrgb(path, s->pixels, (unsigned)s->w, (unsigned)s->h, (size_t)s->pitch,
			       err, errlen);
	SDL_FreeSurface(s);
	return r;
}
