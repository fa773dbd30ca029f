/*
 * The viewer's panels, drawn by software into an SDL_Surface (see emu/viewer.h): frames
 * are filled rectangles, text is SDL2_ttf's blended glyphs blitted on top. Nothing here
 * needs a window or a display.
 */
#include "emu/viewer.h"
#include "emu/viewer_draw.h"
#include "emu/viewer_heat.h"
#include "emu/viewer_trace.h"

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
    [FK_FREE] = 0x1e5a3c,      [FK_PCP] = 0x6e8c3c,	[FK_ANON] = 0xf07828,
    [FK_FILE] = 0x4682e6,      [FK_PGTABLE] = 0xe632d2, [FK_SLAB] = 0xe6d23c,
    [FK_VMALLOC] = 0x965adc,   [FK_KERNEL] = 0x787878,	[FK_ZERO] = 0xffffff,
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

void viewer_fill(SDL_Surface *s, int x, int y, int w, int h, uint32_t rgb)
{
	SDL_Rect r = {x, y, w, h};
	SDL_FillRect(
	    s, &r, SDL_MapRGB(s->format, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb));
}

void viewer_outline(SDL_Surface *s, SDL_Rect r, uint32_t rgb)
{
	viewer_fill(s, r.x - 1, r.y - 1, r.w + 2, 1, rgb);
	viewer_fill(s, r.x - 1, r.y + r.h, r.w + 2, 1, rgb);
	viewer_fill(s, r.x - 1, r.y, 1, r.h, rgb);
	viewer_fill(s, r.x + r.w, r.y, 1, r.h, rgb);
}

/* ---- text ---- */

int viewer_char_w(const struct viewer *v)
{
	int w = 7;
	TTF_SizeUTF8(v->font, "M", &w, NULL);
	return w > 0 ? w : 7;
}

/* Draws text at (x, y), cut to max_w pixels (0: no limit). Returns the width drawn. */
int viewer_text(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		const char *str)
{
	char buf[512];
	int max_chars = max_w > 0 ? max_w / viewer_char_w(v) : (int)sizeof(buf) - 1;
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

int viewer_textf(struct viewer *v, SDL_Surface *s, int x, int y, int max_w, uint32_t rgb,
		 const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return viewer_text(v, s, x, y, max_w, rgb, buf);
}

/* A panel's frame and title; returns the y of its first content line. */
int viewer_panel(struct viewer *v, SDL_Surface *s, SDL_Rect r, const char *title)
{
	viewer_fill(s, r.x, r.y, r.w, r.h, 0x18181e);
	viewer_fill(s, r.x, r.y, r.w, v->line_h + 2, 0x2a2a36);
	viewer_text(v, s, r.x + 4, r.y + 1, r.w - 8, 0xffffff, title);
	return r.y + v->line_h + 4;
}

/* Outlines the selected frame, and the frames the selected address's walk reads (its
 * page tables and, at the end, the page). */
static void draw_marks(struct viewer *v, SDL_Surface *s, const struct walk_model *w)
{
	SDL_Rect r;
	for (int i = 0; i < w->nr_steps; i++)
		if (w->step[i].entry_pa != ~0ULL &&
		    viewer_cell_rect(v, w->step[i].entry_pa >> 12, &r))
			viewer_outline(s, r, 0x40e0ff);
	if (w->mapped && viewer_cell_rect(v, w->pa >> 12, &r))
		viewer_outline(s, r, 0x40ff40);
	if (v->selected_pfn >= 0 && viewer_cell_rect(v, (unsigned long)v->selected_pfn, &r))
		viewer_outline(s, r, 0xffff00);
}

/* The legend and the selected frame's details, under the frame grid. */
static void draw_info(struct viewer *v, SDL_Surface *s)
{
	SDL_Rect a = v->info;
	viewer_fill(s, a.x, a.y, a.w, a.h, VIEWER_BG);
	int x = a.x, y = a.y, sw = v->line_h - 4;
	for (int k = 0; k < FK_NR; k++) {
		struct frame_class c = {(uint8_t)k, k == FK_FREE ? 4 : 0, 1};
		int w = viewer_char_w(v) * ((int)strlen(frame_kind_name(k)) + 1) + sw + 4;
		if (x + w > a.x + a.w)
			x = a.x, y += v->line_h;
		viewer_fill(s, x, y + 2, sw, sw, viewer_class_colour(c));
		x +=
		    sw + 4 + viewer_text(v, s, x + sw + 4, y, 0, 0xd0d0d0, frame_kind_name(k)) + viewer_char_w(v);
	}
	y += v->line_h;
	x = a.x + viewer_text(v, s, a.x, y, 0, 0xd0d0d0, "free by order 0..10: ");
	for (int o = 0; o < MAX_ORDER; o++)
		viewer_fill(s, x + o * sw, y + 2, sw, sw,
		     viewer_class_colour((struct frame_class){FK_FREE, (uint8_t)o, 1}));
	x += MAX_ORDER * sw + viewer_char_w(v);
	x += viewer_text(v, s, x, y, 0, VIEWER_ZONE_BORDER, "| zone border ");
	viewer_text(v, s, x, y, 0, VIEWER_NODE_BORDER, "| node border");
	y += v->line_h;
	char buf[512];
	long pfn = v->hover_pfn >= 0 ? v->hover_pfn : v->selected_pfn;
	if (pfn >= 0 && (unsigned long)pfn < v->nr_frames && v->tv)
		tv_frame_info(v->tv, (unsigned long)pfn, buf, sizeof(buf));
	else if (pfn >= 0 && (unsigned long)pfn < v->nr_frames) {
		viewer_frame_info(&v->m->kernel, v->cls, (unsigned long)pfn, buf, sizeof(buf));
		if (v->heat)
			heat_map_describe(v->heat, (unsigned long)pfn, "insns", buf, sizeof(buf));
	}
	else
		snprintf(buf, sizeof(buf), "point at or click a frame for its details");
	int per_line = a.w / viewer_char_w(v);
	viewer_text(v, s, a.x, y, a.w, 0xffff80, buf);
	if ((int)strlen(buf) > per_line)
		viewer_text(v, s, a.x + 2 * viewer_char_w(v), y + v->line_h, a.w, 0xffff80, buf + per_line);
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
	char title[768];
	struct counter_model c;
	viewer_counter_model(v->m, &c);
	if (v->tv)
		tv_vma_title(v->tv, title, sizeof(title));
	else
		snprintf(title, sizeof(title), "VMAs of pid %d (%s): %d, resident/pages", c.pid,
			 c.comm, v->nr_vmas);
	int y = viewer_panel(v, s, v->vmas, title);
	int bar_w = VMA_BAR_BUCKETS, cw = viewer_char_w(v);
	int text_w = v->vmas.w - bar_w - 12;
	for (int i = 0; i < v->nr_vmas && i < VIEWER_MAX_VMAS; i++) {
		if (y + v->line_h > v->vmas.y + v->vmas.h)
			break;
		const struct vma_row *r = &v->rows[i];
		char line[256];
		int n = snprintf(line, sizeof(line), "%012llx-%012llx %s %5lu/%-5lu ",
				 (unsigned long long)r->start, (unsigned long long)r->end, r->perms,
				 r->resident, r->pages);
		snprintf(line + n, sizeof(line) - (size_t)n, "%s",
			 name_tail(r->name, text_w / cw - n));
		bool sel = v->selected_la >= r->start && v->selected_la < r->end;
		viewer_text(v, s, v->vmas.x + 4, y, text_w, sel ? 0xffff80 : 0xd0d0d0, line);
		int bx = v->vmas.x + v->vmas.w - bar_w - 4;
		viewer_fill(s, bx, y + 3, bar_w, v->line_h - 6, 0x303040);
		for (int b = 0; b < VMA_BAR_BUCKETS; b++)
			if (r->bar[b])
				viewer_fill(s, bx + b, y + 3, 1, v->line_h - 6,
				     r->bar[b] > 127 ? kind_colour[FK_ANON] : 0x905020);
		y += v->line_h;
	}
}

/* ---- page walk ---- */

static void draw_walk(struct viewer *v, SDL_Surface *s, const struct walk_model *w)
{
	char title[96];
	snprintf(title, sizeof(title), "page walk of %#llx  (CR3 %#llx)", (unsigned long long)w->la,
		 (unsigned long long)w->cr3);
	int y = viewer_panel(v, s, v->walk, title), x = v->walk.x + 4, mw = v->walk.w - 8;
	for (int i = 0; i < w->nr_steps; i++, y += v->line_h) {
		char flags[64];
		pte_flags_text(w->step[i].entry, flags, sizeof(flags));
		viewer_textf(v, s, x, y, mw, 0xd0d0d0, "%-5s @%010llx = %016llx  %s",
		      walk_level_name(w->step[i].level), (unsigned long long)w->step[i].entry_pa,
		      (unsigned long long)w->step[i].entry, flags);
	}
	if (w->mapped)
		viewer_textf(v, s, x, y, mw, 0x80ff80, "-> frame %#llx (pfn %#llx, %s page)",
		      (unsigned long long)(w->pa & ~((1ULL << w->page_shift) - 1)),
		      (unsigned long long)(w->pa >> 12),
		      w->page_shift == 30   ? "1G"
		      : w->page_shift == 21 ? "2M"
					    : "4K");
	else
		viewer_text(v, s, x, y, mw, 0xff8080, "-> not mapped: the last entry is not present");
	y += v->line_h;
	viewer_textf(v, s, x, y, mw, 0xd0d0d0, "TLB: %s   page-walk cache: %s",
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
	int y = viewer_panel(v, s, v->tlb, "TLB arrays: valid/entries, hits, fills"), x = v->tlb.x + 4;
	int bar_w = 100, bx = v->tlb.x + v->tlb.w - bar_w - 4;
	for (int i = 0; i < t.nr && y + v->line_h <= v->tlb.y + v->tlb.h - v->line_h; i++) {
		const struct tlb_row *r = &t.row[i];
		viewer_textf(v, s, x, y, bx - x, 0xd0d0d0, "%-6s %5u/%-5u %10llu %8llu", r->name, r->valid,
		      r->entries, (unsigned long long)r->hits, (unsigned long long)r->fills);
		viewer_fill(s, bx, y + 3, bar_w, v->line_h - 6, 0x303040);
		viewer_fill(s, bx, y + 3,
		     (int)((uint64_t)bar_w * r->valid / (r->entries ? r->entries : 1)),
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
	viewer_text(v, s, x, y, v->tlb.w - 8, 0xffffff, line);
}

/* ---- counters ---- */

/* A zone's free pages against its managed pages, with ticks at min, low and high. */
static void zone_bar(SDL_Surface *s, int x, int y, int w, int h, const struct zone_row *z)
{
	unsigned long m = z->managed ? z->managed : 1;
	viewer_fill(s, x, y, w, h, 0x303040);
	viewer_fill(s, x, y, (int)((uint64_t)w * (z->free < m ? z->free : m) / m), h, 0x3cb46e);
	const unsigned long marks[3] = {z->min, z->low, z->high};
	const uint32_t colour[3] = {0xff4040, 0xffa040, 0xffff40};
	for (int i = 0; i < 3; i++)
		viewer_fill(s, x + (int)((uint64_t)w * (marks[i] < m ? marks[i] : m) / m), y - 1, 1, h + 2,
		     colour[i]);
}

/* The i-th oldest sample of the history. */
static const struct counter_sample *hist_at(const struct viewer *v, int i)
{
	return &v->hist[(v->hist_pos + VIEWER_HISTORY - v->nr_hist + i) % VIEWER_HISTORY];
}

/* A value of a sample, for a graph: what (0..3: LRU list; 4 free; 5 swap used; 6 faults,
 * 7 kswapd runs, 8 pages kswapd scanned, since the sample before). */
static unsigned long sample_value(const struct viewer *v, int i, int what)
{
	const struct counter_sample *s = hist_at(v, i), *p = i ? hist_at(v, i - 1) : s;
	switch (what) {
	case 4: return s->free;
	case 5: return s->swap_used;
	case 6: return s->pgfault - p->pgfault;
	case 7: return s->pageoutrun - p->pageoutrun;
	case 8: return s->pgscan_kswapd - p->pgscan_kswapd;
	default: return s->lru[what & 3];
	}
}

/* Lines (or bars) of the values `what[0..n)` over the history in r, scaled to top (0: the
 * largest value shown), with horizontal marks at marks[0..nm). */
static void history_graph(const struct viewer *v, SDL_Surface *s, SDL_Rect r, const int *what,
			  const uint32_t *colour, int n, bool bars, unsigned long top,
			  const unsigned long *marks, int nm)
{
	viewer_fill(s, r.x, r.y, r.w, r.h, 0x22222c);
	for (int i = 0; i < v->nr_hist && !top; i++)
		for (int j = 0; j < n; j++)
			if (sample_value(v, i, what[j]) > top)
				top = sample_value(v, i, what[j]);
	top = top ? top : 1;
	static const uint32_t mark_colour[3] = {0xff4040, 0xffa040, 0xffff40};
	for (int m = 0; m < nm; m++)
		viewer_fill(s, r.x, r.y + r.h - 1 - (int)((uint64_t)(r.h - 1) * marks[m] / top), r.w, 1,
			    mark_colour[m % 3]);
	int cols = v->nr_hist < r.w ? v->nr_hist : r.w;
	for (int c = 0; c < cols; c++) {
		int i = v->nr_hist - cols + c, x = r.x + r.w - cols + c;
		for (int j = 0; j < n; j++) {
			unsigned long val = sample_value(v, i, what[j]);
			int h = (int)((uint64_t)(r.h - 1) * (val < top ? val : top) / top);
			if (bars && val)
				viewer_fill(s, x, r.y + r.h - 1 - h, 1, h + 1, colour[j]);
			else if (!bars)
				viewer_fill(s, x, r.y + r.h - 1 - h, 1, 1, colour[j]);
		}
	}
}

/* Zones now (free against the watermarks), totals, and the counters over the last
 * pictures: free pages against the summed watermarks, the LRU lists, faults, swap and
 * kswapd per picture. */
static void draw_counters(struct viewer *v, SDL_Surface *s)
{
	struct counter_model c;
	viewer_counter_model(v->m, &c);
	int y = viewer_panel(v, s, v->counters, "zones now; counters over the last pictures"),
	    x = v->counters.x + 4, mw = v->counters.w - 8, lh = v->line_h;
	int bar_w = 100, bx = v->counters.x + v->counters.w - bar_w - 4;
	int bottom = v->counters.y + v->counters.h;
	for (int i = 0; i < c.nr_zones && i < 3; i++, y += lh) {
		const struct zone_row *z = &c.zone[i];
		viewer_textf(v, s, x, y, bx - x, 0xd0d0d0,
			     "N%d %-7s free %7lu  min %lu low %lu high %lu", z->node, z->name,
			     z->free, z->min, z->low, z->high);
		zone_bar(s, bx, y + 3, bar_w, lh - 6, z);
	}
	viewer_textf(v, s, x, y, mw, 0xffffff,
		     "insns %llu  exc %llu  pgfault %lu  major %lu  pgalloc %lu  pgfree %lu",
		     (unsigned long long)c.instructions, (unsigned long long)c.exceptions, c.pgfault,
		     c.pgmajfault, c.pgalloc, c.pgfree);
	y += lh;
	if (!v->nr_hist)
		return;
	const struct counter_sample *now = hist_at(v, v->nr_hist - 1);
	static const uint32_t lru_colour[4] = {0xf0a070, 0xf07828, 0x80b0f0, 0x4682e6};
	const int free_w[1] = {4}, lru_w[4] = {0, 1, 2, 3}, fault_w[1] = {6}, swap_w[1] = {5},
		  kswapd_w[2] = {8, 7};
	const unsigned long wm[3] = {now->min, now->low, now->high};
	const uint32_t green = 0x3cb46e, pink = 0xe632d2, red = 0xc83c3c;
	const uint32_t kswapd_colour[2] = {0x808080, 0xffff40};
	struct {
		char label[128];
		const int *what;
		const uint32_t *colour;
		int n;
		bool bars;
		unsigned long top;
		const unsigned long *marks;
		int nm;
	} g[5] = {
	    {"", free_w, &green, 1, false, 0, wm, 3},
	    {"", lru_w, lru_colour, 4, false, 0, NULL, 0},
	    {"", fault_w, &pink, 1, true, 0, NULL, 0},
	    {"", swap_w, &red, 1, false, now->swap_total, NULL, 0},
	    {"", kswapd_w, kswapd_colour, 2, true, 0, NULL, 0},
	};
	snprintf(g[0].label, sizeof(g[0].label), "free pages %lu (min/low/high %lu/%lu/%lu)",
		 now->free, now->min, now->low, now->high);
	snprintf(g[1].label, sizeof(g[1].label), "LRU inactive/active anon %lu/%lu, file %lu/%lu",
		 now->lru[0], now->lru[1], now->lru[2], now->lru[3]);
	snprintf(g[2].label, sizeof(g[2].label), "page faults per picture (%lu in all)",
		 now->pgfault);
	snprintf(g[3].label, sizeof(g[3].label), "swap used %lu of %lu slots", now->swap_used,
		 now->swap_total);
	snprintf(g[4].label, sizeof(g[4].label), "kswapd runs %lu (yellow), pages scanned %lu",
		 now->pageoutrun, now->pgscan_kswapd);
	for (int i = 0; i < 5 && y + 2 * lh <= bottom; i++, y += 2 * lh) {
		viewer_text(v, s, x, y, mw, 0xd0d0d0, g[i].label);
		history_graph(v, s, (SDL_Rect){x, y + lh, mw, lh - 3}, g[i].what, g[i].colour,
			      g[i].n, g[i].bars, g[i].top, g[i].marks, g[i].nm);
	}
}

/* ---- the whole picture ---- */

static const char *const live_help[] = {
    "space      run / pause",
    "s or .     step one instruction",
    "f          run to the next page fault",
    "c          run to the next system call",
    "+ - wheel  zoom (around the pointer)",
    "arrows, PgUp/PgDn, drag   pan",
    "0 / Home   zoom to fit",
    "pointer    frame details; click: keep them",
    "click a VMA   walk its first address",
    "h          heat of recent accesses on / off",
    "?          this help",
    "q / Esc    quit",
    NULL,
};

static const char *const trace_help[] = {
    "space      play / pause",
    "right . / left ,   one event forward / back",
    "] / [      play faster / slower (x2)",
    "n / b      next / previous marked event",
    "k          mark the next kind of event",
    "g / e      the first / the last event",
    "click or drag the timeline   go there",
    "h          heat of recent accesses on / off",
    "+ - wheel  zoom (around the pointer)",
    "up down, PgUp/PgDn, drag   pan",
    "0 / Home   zoom to fit",
    "pointer    frame details; click: keep them",
    "?          this help",
    "q / Esc    quit",
    NULL,
};

static void draw_help(struct viewer *v, SDL_Surface *s)
{
	const char *const *lines = v->tv ? trace_help : live_help;
	int n = 0;
	while (lines[n])
		n++;
	SDL_Rect r = {v->width / 2 - 280, v->height / 2 - (n + 2) * v->line_h / 2, 560,
		      (n + 2) * v->line_h};
	viewer_fill(s, r.x, r.y, r.w, r.h, 0x202030);
	viewer_outline(s, r, 0xffffff);
	int y = viewer_panel(v, s, r, "keys and mouse");
	for (int i = 0; i < n; i++, y += v->line_h)
		viewer_text(v, s, r.x + 8, y, r.w - 16, 0xffffff, lines[i]);
}

/* The last page walk of a trace before its cursor, as a walk model: the trace holds the
 * entries the walk ended on, and a walk means the TLBs had missed. */
static void trace_walk_model(const struct trace_view *tv, struct walk_model *w)
{
	memset(w, 0, sizeof(*w));
	w->cr3 = tv->cr3;
	w->tlb = "missed (the walk is the last one before the cursor)";
	w->pwc = "-";
	const struct trace_event *e = tv_last_walk(tv);
	if (!e)
		return;
	w->la = e->la;
	w->nr_steps = e->nsteps < 5 ? e->nsteps : 5;
	for (int i = 0; i < w->nr_steps; i++) {
		w->step[i].level = e->step[i].level;
		w->step[i].entry_pa = e->step[i].entry_pa;
		w->step[i].entry = e->step[i].entry;
	}
	if (!w->nr_steps)
		return;
	uint64_t last = w->step[w->nr_steps - 1].entry;
	unsigned level = w->step[w->nr_steps - 1].level;
	if (!(last & PTE_P) || (level != PG_PT && !(last & PTE_PS)))
		return;
	w->mapped = true;
	w->page_shift = 12 + 9 * (PG_PT - level);
	uint64_t off = (1ULL << w->page_shift) - 1;
	w->pa = (last & 0x000ffffffffff000ULL & ~off) | (w->la & off);
}

void viewer_render(struct viewer *v, SDL_Surface *s)
{
	struct walk_model w;
	if (v->tv)
		trace_walk_model(v->tv, &w);
	else
		viewer_walk_model(v->m, v->selected_la, &w);
	viewer_fill(s, 0, 0, v->width, v->height, VIEWER_BG);
	viewer_textf(v, s, PAD, 2, v->width - 2 * PAD, 0xffffff,
		     "mmemu%s%s  %lu frames (%lu MiB), %lu per cell, %u px   %s   ? for help",
		     v->tv ? " view " : "", v->tv ? v->tv->path : "", v->nr_frames,
		     v->nr_frames >> 8, v->per_cell, v->cell, v->tv ? "" : v->status ? v->status : "");
	if (v->cls)
		viewer_draw_frames(v, s);
	draw_marks(v, s, &w);
	draw_info(v, s);
	draw_walk(v, s, &w);
	if (v->tv) {
		viewer_render_trace(v, s);
		draw_vmas(v, s);
	} else {
		draw_vmas(v, s);
		draw_tlb(v, s);
		draw_counters(v, s);
	}
	if (v->show_help)
		draw_help(v, s);
}

int viewer_screenshot(struct viewer *v, const char *path, char *err, size_t errlen)
{
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_XRGB8888);
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
