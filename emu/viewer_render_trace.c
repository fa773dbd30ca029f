/*
 * The panels of a recorded trace (see emu/viewer_trace.h): the timeline with its cursor and
 * the marks of the chosen event kind, the events around the cursor, and the counters over
 * the whole trace (free frames of each zone against its watermarks, and the rate of each
 * kind of event) with the cursor on them.
 */
#include <stdio.h>
#include <string.h>

#include "emu/viewer.h"
#include "emu/viewer_draw.h"
#include "emu/viewer_trace.h"

#define TEXT 0xd0d0d0u
#define CURSOR 0xffff40u

/* x of event ev on a bar of width w starting at x0. */
static int ev_x(const struct trace_view *tv, uint64_t ev, int x0, int w)
{
	uint64_t n = tv->nr_events ? tv->nr_events : 1;
	return x0 + (int)((ev > n ? n : ev) * (uint64_t)(w - 1) / n);
}

static bool is_mark(const struct viewer *v, const struct tv_mark *m)
{
	return m->type == v->mark_type && (m->type != TEV_PAGE || m->freed == v->mark_freed);
}

/* The name of the marked kind ("page alloc", "fault", ...). */
static const char *mark_name(const struct viewer *v, char *buf, size_t len)
{
	if (v->mark_type == TEV_PAGE)
		return v->mark_freed ? "page free" : "page alloc";
	snprintf(buf, len, "%s", trace_type_name((unsigned)v->mark_type));
	return buf;
}

static void draw_bar(struct viewer *v, SDL_Surface *s)
{
	const struct trace_view *tv = v->tv;
	SDL_Rect b = viewer_timeline_bar(v);
	viewer_fill(s, b.x, b.y, b.w, b.h, 0x303040);
	/* A tick wherever a marked event falls (several per pixel draw one). */
	int last = -1;
	for (size_t i = 0; i < tv->nr_marks; i++)
		if (is_mark(v, &tv->marks[i])) {
			int x = ev_x(tv, tv->marks[i].ev, b.x, b.w);
			if (x != last)
				viewer_fill(s, x, b.y + 2, 1, b.h - 4, 0x8090c0);
			last = x;
		}
	viewer_fill(s, ev_x(tv, tv->at, b.x, b.w) - 1, b.y - 2, 3, b.h + 4, CURSOR);
}

/* The marks just before the cursor and the first one after it. */
static int draw_recent(struct viewer *v, SDL_Surface *s, int y, int max_lines)
{
	const struct trace_view *tv = v->tv;
	/* the first mark at or after the cursor */
	size_t lo = TRACE_FIRST_AT_OR_AFTER(tv->marks, tv->nr_marks, tv->at);
	size_t first = lo > (size_t)max_lines - 1 ? lo - (size_t)max_lines + 1 : 0;
	int x = v->timeline.x + 4, w = v->timeline.w - 8;
	for (size_t i = first; i <= lo && i < tv->nr_marks; i++, y += v->line_h) {
		const struct tv_mark *m = &tv->marks[i];
		const char *name = m->type == TEV_PAGE ? (m->freed ? "page free" : "page alloc")
						       : trace_type_name(m->type);
		viewer_textf(v, s, x, y, w,
			     i == lo	     ? 0x808080
			     : is_mark(v, m) ? 0xffffff
					     : TEXT,
			     "%s #%llu %s", i == lo ? "next" : "    ", (unsigned long long)m->ev,
			     name);
	}
	return y;
}

static void draw_timeline(struct viewer *v, SDL_Surface *s)
{
	const struct trace_view *tv = v->tv;
	char title[160], name[32], line[512];
	snprintf(title, sizeof(title), "timeline: event %llu of %llu%s", (unsigned long long)tv->at,
		 (unsigned long long)tv->nr_events,
		 tv->indexed ? "" : " (no index: seeks decode from the start)");
	viewer_panel(v, s, v->timeline, title);
	draw_bar(v, s);
	int x = v->timeline.x + 4, w = v->timeline.w - 8;
	int y = viewer_timeline_bar(v).y + v->line_h + 4;
	viewer_text(v, s, x, y, w, 0xffffff, v->status ? v->status : "");
	y += v->line_h;
	viewer_textf(v, s, x, y, w, TEXT, "marked: %s (%llu)  heat: %s over %llu events",
		     mark_name(v, name, sizeof(name)),
		     (unsigned long long)(v->mark_type == TEV_PAGE
					      ? tv->nr_page_events[v->mark_freed]
					  : v->mark_type < TV_KINDS ? tv->count[v->mark_type]
								    : 0),
		     v->show_heat ? "on" : "off", (unsigned long long)tv->heat.window);
	y += v->line_h;
	tv_event_text(tv, line, sizeof(line));
	viewer_text(v, s, x, y, w, CURSOR, line);
	y += v->line_h;
	int lines = (v->timeline.y + v->timeline.h - y) / v->line_h;
	if (lines > 0)
		draw_recent(v, s, y, lines);
}

/* ---- counters over time ---- */

/* One zone's free frames over the trace, scaled to its managed pages, with its min, low
 * and high watermarks as lines. */
static void zone_graph(struct viewer *v, SDL_Surface *s, SDL_Rect r, int zi)
{
	const struct trace_view *tv = v->tv;
	const struct tv_zone *z = &tv->zone[zi];
	unsigned long top = z->managed ? z->managed : 1;
	viewer_fill(s, r.x, r.y, r.w, r.h, 0x22222c);
	const unsigned long marks[3] = {z->min, z->low, z->high};
	const uint32_t colour[3] = {0xff4040, 0xffa040, 0xffff40};
	for (int i = 0; i < 3; i++) {
		unsigned long m = marks[i] < top ? marks[i] : top;
		viewer_fill(s, r.x, r.y + r.h - 1 - (int)((uint64_t)(r.h - 1) * m / top), r.w, 1,
			    colour[i]);
	}
	for (int x = 0; x < r.w; x++) {
		uint64_t ev = tv->nr_events * (uint64_t)x / (uint64_t)(r.w > 1 ? r.w - 1 : 1);
		unsigned long f = tv_sample_at(tv, ev)->free[zi];
		int h = (int)((uint64_t)(r.h - 1) * (f < top ? f : top) / top);
		viewer_fill(s, r.x + x, r.y + r.h - 1 - h, 1, h + 1, 0x3cb46e);
	}
}

/* Events of one kind per sample interval over the trace, as a bar per pixel column scaled
 * to the busiest column. */
static void rate_graph(struct viewer *v, SDL_Surface *s, SDL_Rect r, int kind, uint32_t rgb)
{
	const struct trace_view *tv = v->tv;
	viewer_fill(s, r.x, r.y, r.w, r.h, 0x22222c);
	uint64_t peak = 1, col[2048];
	int w = r.w < 2048 ? r.w : 2048;
	for (int x = 0; x < w; x++) {
		uint64_t a = tv->nr_events * (uint64_t)x / (uint64_t)w;
		uint64_t b = tv->nr_events * (uint64_t)(x + 1) / (uint64_t)w;
		const struct tv_sample *sa = tv_sample_at(tv, a), *sb = tv_sample_at(tv, b);
		col[x] = sb->count[kind] - sa->count[kind];
		if (col[x] > peak)
			peak = col[x];
	}
	for (int x = 0; x < w; x++) {
		/* every column with an event shows, however small against the peak */
		int h = col[x] ? 1 + (int)((uint64_t)(r.h - 1) * col[x] / peak) : 0;
		if (h)
			viewer_fill(s, r.x + x, r.y + r.h - h, 1, h, rgb);
	}
}

static void draw_graph(struct viewer *v, SDL_Surface *s)
{
	const struct trace_view *tv = v->tv;
	int y = viewer_panel(v, s, v->graph, "counters over time (cursor in yellow)");
	int x = v->graph.x + 4, w = v->graph.w - 8, lh = v->line_h,
	    bottom = v->graph.y + v->graph.h;
	SDL_Rect area = {x, y, w, 0};
	for (int zi = 0; zi < tv->nr_zones && y + 3 * lh <= bottom; zi++) {
		const struct tv_zone *z = &tv->zone[zi];
		viewer_textf(v, s, x, y, w, TEXT, "N%d %s free %u (min %lu low %lu high %lu)",
			     z->node, z->name, tv->free[zi], z->min, z->low, z->high);
		zone_graph(v, s, (SDL_Rect){x, y + lh, w, 2 * lh - 4}, zi);
		y += 3 * lh;
	}
	static const uint32_t palette[4] = {0xf07828, 0x4682e6, 0xe632d2, 0x40c0c0};
	int shown = 0;
	for (int k = 0; k < TV_KINDS && y + 2 * lh <= bottom; k++) {
		if (!tv->count[k] || k == TEV_KEYFRAME || k == TEV_MODE || k == TEV_STATS ||
		    k == TEV_END || k == TEV_FEATURES)
			continue;
		viewer_textf(v, s, x, y, w, TEXT, "%s: %llu in all", trace_type_name((unsigned)k),
			     (unsigned long long)tv->count[k]);
		rate_graph(v, s, (SDL_Rect){x, y + lh, w, lh - 3}, k, palette[shown++ % 4]);
		y += 2 * lh;
	}
	area.h = y - area.y;
	if (area.h > 0)
		viewer_fill(s, ev_x(tv, tv->at, x, w), area.y, 1, area.h, CURSOR);
}

void viewer_render_trace(struct viewer *v, SDL_Surface *s)
{
	draw_timeline(v, s);
	draw_graph(v, s);
}
