/*
 * The physical panel's frame grid (see emu/viewer.h): one cell per frame, or per group of
 * frames when zoomed out, coloured by owner, with node and zone borders and, on a trace,
 * the heat of recent accesses (emu/viewer_heat.h) blended in.
 *
 * A picture of a 4 GiB machine has about 600 000 cells, so the loop is kept flat: a frame
 * class indexes a palette of pixels mapped once per picture, the zone of a frame is looked
 * up only where a zone may begin or end, and cells of one pixel are single stores.
 */
#include <stdlib.h>

#include "emu/machine.h"
#include "emu/viewer.h"
#include "emu/viewer_draw.h"
#include "emu/viewer_heat.h"
#include "kernel-sim/mm.h"
#include "mmu/mmu.h"

/* A frame class as a palette index: kind, order, head. */
#define CLASS_INDEXES 512
static inline unsigned class_index(struct frame_class c)
{
	return ((c.kind & 15u) << 5) | ((c.order & 15u) << 1) | (c.head & 1u);
}

/* Which kind a cell of several frames shows: the rarer, more telling owners win over
 * free memory and generic kernel use. Larger free blocks win among free frames. */
static int kind_rank(struct frame_class c)
{
	static const int rank[FK_NR] = {
	    [FK_FREE] = 0,	[FK_PCP] = 1,	  [FK_KERNEL] = 2,   [FK_OTHER] = 3,
	    [FK_SLAB] = 4,	[FK_VMALLOC] = 5, [FK_FILE] = 6,     [FK_ANON] = 7,
	    [FK_SWAPCACHE] = 8, [FK_ZERO] = 9,	  [FK_PGTABLE] = 10,
	};
	return c.kind < FK_NR ? rank[c.kind] * 16 + (c.kind == FK_FREE ? c.order : 0) : 0;
}

/* A zone's frames, for finding borders without reading struct pages. */
struct zone_span {
	unsigned long start, end; /* [start, end) */
	uint32_t key;		  /* node * 8 + zone index */
};

/* What one picture of the grid needs, computed once. */
struct grid {
	const struct viewer *v;
	SDL_Surface *s;
	const struct heat_map *heat; /* heat to draw, or NULL */
	unsigned cols;		     /* cells per row */
	int gap;		     /* pixels left dark between cells */
	int border;		     /* border line width */
	uint32_t px[CLASS_INDEXES];  /* pixel of each class */
	int16_t rank[CLASS_INDEXES]; /* kind_rank of each class */
	uint32_t zone_px, node_px;   /* border pixels */
	int nr_spans;
	struct zone_span span[MAX_NUMNODES * MAX_NR_ZONES];
};

/* Populated zones, highest index first within a node, so that ZONE_MOVABLE wins where its
 * span lies inside another zone's. */
static void grid_spans(const struct kernel *k, struct grid *g)
{
	g->nr_spans = 0;
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--) {
			const struct zone *z = &k->node_data[nid]->node_zones[zi];
			if (populated_zone(z))
				g->span[g->nr_spans++] = (struct zone_span){
				    z->zone_start_pfn, z->zone_start_pfn + z->spanned_pages,
				    (uint32_t)nid * 8 + (uint32_t)zi};
		}
}

/* Node and zone of a frame as one number (0xffff outside every zone), and in *until the
 * first frame after pfn where that may change (the nearest span start or end). */
static uint32_t zone_key(const struct grid *g, unsigned long pfn, unsigned long *until)
{
	uint32_t key = 0xffff;
	bool found = false;
	*until = ~0UL;
	for (int i = 0; i < g->nr_spans; i++) {
		const struct zone_span *z = &g->span[i];
		if (!found && pfn >= z->start && pfn < z->end) {
			key = z->key;
			found = true;
		}
		if (z->start > pfn && z->start < *until)
			*until = z->start;
		if (z->end > pfn && z->end < *until)
			*until = z->end;
	}
	return key;
}

static uint32_t map_rgb(const SDL_Surface *s, uint32_t rgb)
{
	return SDL_MapRGB(s->format, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb);
}

static void grid_init(struct grid *g, const struct viewer *v, SDL_Surface *s)
{
	g->v = v;
	g->s = s;
	g->heat = v->show_heat ? v->heat : NULL;
	g->cols = viewer_cols(v);
	g->gap = v->cell >= 4 ? 1 : 0;
	g->border = v->cell >= 4 ? 2 : 1;
	for (unsigned i = 0; i < CLASS_INDEXES; i++) {
		struct frame_class c = {(uint8_t)(i >> 5), (uint8_t)((i >> 1) & 15),
					(uint8_t)(i & 1)};
		g->px[i] = map_rgb(s, viewer_class_colour(c));
		g->rank[i] = (int16_t)kind_rank(c);
	}
	g->zone_px = map_rgb(s, VIEWER_ZONE_BORDER);
	g->node_px = map_rgb(s, VIEWER_NODE_BORDER);
	grid_spans(&v->m->kernel, g);
}

/* The palette index a cell of frames [pfn, end) shows (pfn < end). */
static inline unsigned cell_index(const struct grid *g, const struct frame_class *cls,
				  unsigned long pfn, unsigned long end)
{
	unsigned best = class_index(cls[pfn]);
	int best_rank = g->rank[best];
	for (unsigned long p = pfn + 1; p < end; p++) {
		unsigned i = class_index(cls[p]);
		if (g->rank[i] > best_rank)
			best = i, best_rank = g->rank[i];
	}
	return best;
}

static uint32_t blend(uint32_t a, uint32_t b, unsigned t)
{
	uint32_t out = 0;
	for (int sh = 0; sh < 24; sh += 8) {
		unsigned x = (a >> sh) & 255, y = (b >> sh) & 255;
		out |= ((x * (255 - t) + y * t) / 255) << sh;
	}
	return out;
}

/* The heat of frame pfn's most recent access and its kind; 0 when none is recent. */
static unsigned frame_heat(const struct heat_map *heat, unsigned long pfn, int *kind)
{
	/* Between equally recent accesses, a write, then a fetch. */
	static const int order[3] = {MMU_WRITE, MMU_FETCH, MMU_READ};
	unsigned best = 0;
	for (int i = 0; i < 3; i++) {
		unsigned h = heat_map_heat(heat, pfn, order[i]);
		if (h > best)
			best = h, *kind = order[i];
	}
	return best;
}

static uint32_t *pixel_row(SDL_Surface *s, int y)
{
	return (uint32_t *)((uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch);
}

static void put_block(SDL_Surface *s, int x, int y, int w, int h, uint32_t px)
{
	for (int j = 0; j < h; j++) {
		uint32_t *row = pixel_row(s, y + j) + x;
		for (int i = 0; i < w; i++)
			row[i] = px;
	}
}

/* The bytes of frames (1 or 2) frame classes as one number. Assembled in registers: a
 * copy through memory would be two narrow stores read back as one wide load, which the
 * processor cannot forward and stalls on. */
static inline uint64_t class_bytes(const struct frame_class *c, const unsigned frames)
{
	const uint8_t *b = (const uint8_t *)c;
	uint64_t w = 0;
	for (unsigned i = 0; i < frames * sizeof(*c); i++)
		w |= (uint64_t)b[i] << (8 * i);
	return w;
}

/* Cells of one pixel and of frames_per frames each (1 or 2), [cx, end) of a row from frame
 * pfn, all their frames in the grid. Runs of cells alike (a free block's frames, a large
 * mapping's) are common, so a cell whose classes are byte for byte the last cell's takes
 * its pixel without a look at the palette. */
static inline void draw_pixels(const struct grid *restrict g, uint32_t *restrict line, unsigned cx,
			       unsigned end, unsigned long pfn, const unsigned frames_per)
{
	const struct frame_class *cls = g->v->cls;
	uint64_t last = ~0ULL;
	uint32_t px = 0;
	for (; cx < end; cx++, pfn += frames_per) {
		uint64_t bytes = class_bytes(&cls[pfn], frames_per);
		if (bytes != last)
			px = g->px[cell_index(g, cls, pfn, pfn + frames_per)];
		last = bytes;
		line[cx] = px;
	}
}

/* The cells [cx, end) of one row, the first from frame pfn: one pixel each into line[], or
 * blocks. */
static void draw_cells(const struct grid *restrict g, uint32_t *restrict line, int y, unsigned cx,
		       unsigned end, unsigned long pfn)
{
	const struct viewer *v = g->v;
	const unsigned long per = v->per_cell, n = v->nr_frames;
	const int cell = (int)v->cell;
	if (cell == 1 && per == 1)
		return draw_pixels(g, line, cx, end, pfn, 1);
	if (cell == 1 && per == 2 && pfn + 2 * (end - cx) <= n)
		return draw_pixels(g, line, cx, end, pfn, 2);
	for (; cx < end; cx++, pfn += per) {
		uint32_t px = g->px[cell_index(g, v->cls, pfn, pfn + per < n ? pfn + per : n)];
		if (cell == 1)
			line[cx] = px;
		else
			put_block(g->s, v->phys.x + (int)cx * cell, y, cell - g->gap, cell - g->gap,
				  px);
	}
}

/*
 * One row of cells; keys[] holds the row above's zone keys on entry, this row's on exit.
 * A cell takes the node and zone of its first frame; the row is drawn in runs of cells
 * of one zone (a zone may begin or end only where a span does), with the borders where
 * the zone differs from the cell's left or upper neighbour's.
 */
static void draw_row(const struct grid *restrict g, unsigned cy, uint32_t *restrict keys)
{
	const struct viewer *v = g->v;
	const unsigned long per = v->per_cell, n = v->nr_frames;
	const int cell = (int)v->cell, y = v->phys.y + (int)cy * cell;
	const unsigned long first = v->first_pfn + (unsigned long)cy * g->cols * per;
	uint32_t *line = pixel_row(g->s, y) + v->phys.x;
	unsigned cols = 0; /* cells of the row that hold frames */
	if (first < n)
		cols = (n - first + per - 1) / per < g->cols
			   ? (unsigned)((n - first + per - 1) / per)
			   : g->cols;
	uint32_t left = ~0u;
	for (unsigned cx = 0; cx < cols;) {
		unsigned long pfn = first + cx * per, until;
		uint32_t key = zone_key(g, pfn, &until);
		/* The cells whose first frame lies before until: at least this one. */
		unsigned long run = (until - pfn + per - 1) / per;
		unsigned end = run < cols - cx ? cx + (unsigned)run : cols;
		draw_cells(g, line, y, cx, end, pfn);
		int x = v->phys.x + (int)cx * cell;
		if (left != ~0u && left != key)
			put_block(g->s, x, y, g->border, cell,
				  left / 8 != key / 8 ? g->node_px : g->zone_px);
		for (unsigned c = cx; c < end; c++) {
			if (keys[c] != ~0u && keys[c] != key)
				put_block(g->s, v->phys.x + (int)c * cell, y, cell, g->border,
					  keys[c] / 8 != key / 8 ? g->node_px : g->zone_px);
			keys[c] = key;
		}
		left = key;
		cx = end;
	}
}

/*
 * The heat overlay: the cells of the frames the last accesses touched, oldest access first,
 * so that where several frames share a cell the most recent access shows. Only those cells
 * are visited, not every frame. The kind's colour goes over the owner's by how recent the
 * access is (at least a quarter of the way, so that an old access still shows); large
 * cells keep the owner's colour round it.
 */
static void draw_heat(const struct grid *g)
{
	static const uint32_t colour[3] = {VIEWER_HEAT_READ, VIEWER_HEAT_WRITE, VIEWER_HEAT_FETCH};
	const struct heat_map *heat = g->heat;
	const struct viewer *v = g->v;
	int in = (int)v->cell - g->gap;
	for (size_t i = 0; i < heat->ring_count; i++) {
		unsigned long pfn = heat_map_ring_at(heat, i);
		int kind = 0;
		unsigned h = frame_heat(heat, pfn, &kind);
		SDL_Rect r;
		if (!h || !viewer_cell_rect(v, pfn, &r))
			continue;
		unsigned long first =
		    v->first_pfn + (pfn - v->first_pfn) / v->per_cell * v->per_cell;
		unsigned long end =
		    first + v->per_cell < v->nr_frames ? first + v->per_cell : v->nr_frames;
		unsigned idx = cell_index(g, v->cls, first, end);
		struct frame_class c = {(uint8_t)(idx >> 5), (uint8_t)((idx >> 1) & 15),
					(uint8_t)(idx & 1)};
		uint32_t px =
		    map_rgb(g->s, blend(viewer_class_colour(c), colour[kind], 64 + h * 191 / 255));
		if (in >= 4)
			put_block(g->s, r.x + in / 4, r.y + in / 4, in - in / 2, in - in / 2, px);
		else
			put_block(g->s, r.x, r.y, in, in, px);
	}
}

void viewer_draw_frames(struct viewer *v, SDL_Surface *s)
{
	struct grid *g = malloc(sizeof(*g));
	unsigned cols = viewer_cols(v), rows = viewer_rows(v);
	uint32_t *keys = malloc(sizeof(*keys) * (cols ? cols : 1));
	if (!g || !keys || s->format->BytesPerPixel != 4 || !v->cls)
		goto out;
	grid_init(g, v, s);
	/* The row above the first one shown, for its borders. */
	unsigned long row = (unsigned long)cols * v->per_cell, until;
	for (unsigned cx = 0; cx < cols; cx++) {
		unsigned long above = v->first_pfn + cx * v->per_cell - row;
		keys[cx] =
		    v->first_pfn >= row && above < v->nr_frames ? zone_key(g, above, &until) : ~0u;
	}
	if (SDL_LockSurface(s) == 0) {
		for (unsigned cy = 0; cy < rows; cy++)
			draw_row(g, cy, keys);
		if (g->heat)
			draw_heat(g);
		SDL_UnlockSurface(s);
	}
out:
	free(keys);
	free(g);
}
