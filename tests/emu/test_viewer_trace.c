/*
 * The viewer on a recorded trace: the frame state rebuilt from the trace's page events
 * against the machine itself at the same points of the run (its own classification of
 * every frame), seeking back and forth against a straight pass, the pixels of known
 * frames (owners told by the trace's own walks and gfp flags, heat after a write), the
 * timeline's input on SDL's offscreen driver, every frame's reference and mapping counts
 * against the machine's struct page (and "unknown" for a 1.2 trace), and damaged or
 * missing traces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"
#include "emu/trace.h"
#include "emu/trace_record.h"
#include "emu/viewer.h"
#include "emu/viewer_trace.h"
#include "emu/viewer_trace_session.h"
#include "kernel-sim/gfp.h"
#include "kernel-sim/mm.h"
#include "tests/emu/guest_machine.h"

/* ---- a recorded run, with the machine's own view at a few points ---- */

#define SNAPS 4

struct snapshot {
	uint64_t events; /* events recorded when it was taken */
	unsigned long nr_frames;
	struct frame_class *cls; /* the machine's own classification then */
	unsigned long nr_free;	 /* NR_FREE_PAGES */
	int nr_vmas;		 /* the process's VMAs then, with resident pages */
	struct vma_row vmas[VIEWER_MAX_VMAS];
	int32_t *ref, *map; /* every frame's page_count and page_mapcount then */
};

struct recording {
	char path[64];
	struct trace_recorder rec;
	uint64_t every; /* instructions between snapshots */
	int n;
	struct snapshot snap[SNAPS];
};

static struct recording *recording;

static uint64_t events_written(struct trace_recorder *r)
{
	return trace_record_events(r);
}

static void snap(struct recording *rc, struct machine *m)
{
	struct snapshot *s = &rc->snap[rc->n++];
	s->events = events_written(&rc->rec);
	s->nr_frames = m->kernel.max_pfn;
	s->cls = calloc(s->nr_frames, sizeof(*s->cls));
	viewer_classify(&m->kernel, s->nr_frames, s->cls);
	s->nr_free = (unsigned long)global_zone_page_state(&m->kernel, NR_FREE_PAGES);
	s->nr_vmas = viewer_vma_rows(m, s->vmas, VIEWER_MAX_VMAS);
	s->ref = calloc(s->nr_frames, sizeof(*s->ref));
	s->map = calloc(s->nr_frames, sizeof(*s->map));
	for (unsigned long p = 0; p < s->nr_frames; p++)
		if (pfn_valid(&m->kernel, p)) {
			s->ref[p] = page_count(pfn_to_page(&m->kernel, p));
			s->map[p] = page_mapcount(pfn_to_page(&m->kernel, p));
		}
}

/* Snapshots every `every` instructions (the slices cut there), the last at the end. */
static bool snap_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct recording *rc = ctx;
	uint64_t next = (uint64_t)(rc->n + 1) * rc->every;
	if (rc->n < SNAPS - 1 && m->cpu.icount >= next) {
		snap(rc, m);
		next += rc->every;
	}
	if (next > m->cpu.icount && next - m->cpu.icount < *slice)
		*slice = next - m->cpu.icount;
	return true;
}

static void snap_end(void *ctx, struct machine *m, enum run_result r)
{
	snap(ctx, m);
}

/* touch_pages 16 on a 64 MiB machine, stopped after 60 000 instructions while its pages
 * are still mapped, recorded into a trace. */
static int setup(void **state)
{
	struct recording *rc = calloc(1, sizeof(*rc));
	char err[256], header[4096];
	snprintf(rc->path, sizeof(rc->path), "/tmp/mmemu-test-vtrace.%d", (int)getpid());
	struct machine_opts mo;
	machine_opts_init(&mo);
	char *margv[] = {"-m", "64M"};
	int i = 0;
	if (machine_option(2, margv, &i, &mo, err, sizeof(err)) != 1 ||
	    machine_options_finish(&mo, err, sizeof(err)) < 0)
		return -1;
	struct machine *m = calloc(1, sizeof(*m));
	if (machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)) < 0)
		return -1;
	const char *prog = guest_path("touch_pages");
	const char *argv[] = {prog, "16", NULL}, *envp[] = {"A=1", NULL};
	rc->every = 15000;
	struct run_observer obs = {snap_slice, snap_end, rc};
	struct run_options o = {.host_path = prog,
				.filename = prog,
				.argc = 2,
				.argv = argv,
				.envc = 1,
				.envp = envp,
				.max_insns = 60000,
				.observer = &obs};
	trace_header_format(header, sizeof(header), m, &o);
	if (trace_record_start(&rc->rec, m, rc->path, header, err, sizeof(err)) < 0)
		return -1;
	m->trace = &rc->rec;
	int status;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	if (res != RUN_LIMIT || trace_record_finish(&rc->rec, (int)res, status) < 0 ||
	    rc->n != SNAPS)
		return -1;
	machine_destroy(m);
	free(m);
	recording = rc;
	return 0;
}

static int teardown(void **state)
{
	if (!recording)
		return 0;
	unlink(recording->path);
	for (int i = 0; i < recording->n; i++) {
		free(recording->snap[i].cls);
		free(recording->snap[i].ref);
		free(recording->snap[i].map);
	}
	free(recording);
	return 0;
}

static struct trace_view *open_view(void)
{
	char err[512];
	struct trace_view *tv = calloc(1, sizeof(*tv));
	if (tv_open(tv, recording->path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return tv;
}

static void close_view(struct trace_view *tv)
{
	tv_close(tv);
	free(tv);
}

static void seek(struct trace_view *tv, uint64_t at)
{
	char err[512];
	if (tv_seek(tv, at, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(tv->at, at);
}

static bool free_kind(uint8_t kind)
{
	return kind == FK_FREE || kind == FK_PCP;
}

/* ---- the rebuilt state against the machine's ---- */

/*
 * At each snapshot the trace's frames agree with the machine's: every frame free in one is
 * free in the other; every frame the trace saw allocated is a page table exactly when the
 * machine says so, and anonymous or page cache exactly when the machine says so.
 */
static void check_against_machine(struct trace_view *tv, const struct snapshot *s)
{
	assert_int_equal(tv->nr_frames, s->nr_frames);
	unsigned long traced = 0;
	for (unsigned long p = 0; p < s->nr_frames; p++) {
		uint8_t mine = tv->cls[p].kind, real = s->cls[p].kind;
		if (free_kind(mine) != free_kind(real))
			fail_msg("pfn %#lx at event %llu: trace says %s, machine %s", p,
				 (unsigned long long)s->events, frame_kind_name(mine),
				 frame_kind_name(real));
		if (!tv_block_of(tv, p) || free_kind(real))
			continue;
		traced++;
		if ((mine == FK_PGTABLE) != (real == FK_PGTABLE) ||
		    (real == FK_ANON && mine != FK_ANON) || (real == FK_FILE && mine != FK_FILE))
			fail_msg("pfn %#lx at event %llu: trace says %s, machine %s", p,
				 (unsigned long long)s->events, frame_kind_name(mine),
				 frame_kind_name(real));
	}
	assert_true(traced > 0);
}

static void test_tv_frames_match_the_machine_at_every_snapshot(void **state)
{
	struct trace_view *tv = open_view();
	for (int i = 0; i < recording->n; i++) {
		seek(tv, recording->snap[i].events);
		check_against_machine(tv, &recording->snap[i]);
	}
	/* Backwards too: the checkpoints restore the same states. */
	for (int i = recording->n - 1; i >= 0; i--) {
		seek(tv, recording->snap[i].events);
		check_against_machine(tv, &recording->snap[i]);
	}
	close_view(tv);
}

/* ---- seeking ---- */

/* Everything a picture shows of the frames at the cursor. */
static void assert_same_view(const struct trace_view *a, const struct trace_view *b)
{
	assert_int_equal(a->at, b->at);
	assert_memory_equal(a->cls, b->cls, a->nr_frames * sizeof(*a->cls));
	assert_memory_equal(a->free, b->free, sizeof(a->free));
	for (unsigned long p = 0; p < a->nr_frames; p++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(tv_heat(a, p, k), tv_heat(b, p, k));
	if (a->at)
		assert_int_equal(a->cur.type, b->cur.type);
	assert_int_equal(!tv_last_walk(a), !tv_last_walk(b));
	if (tv_last_walk(a))
		assert_int_equal(a->walk_ev, b->walk_ev);
}

static void test_tv_seeks_in_any_order_equal_a_fresh_seek(void **state)
{
	struct trace_view *tv = open_view();
	uint64_t n = tv->nr_events;
	assert_true(n > 50000);
	/* Ends, back a little, back a lot, forward a little, forward a lot, one step. */
	const uint64_t points[] = {n,	  n - 7,     n / 2, n / 2 + 3, n / 2 + 40000,
				   n / 5, n / 5 + 1, 1,	    0,	       n - 1};
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		seek(tv, points[i]);
		struct trace_view *fresh = open_view();
		seek(fresh, points[i]);
		assert_same_view(tv, fresh);
		close_view(fresh);
	}
	close_view(tv);
}

/* The free frames of each zone, counted by a model written here: a frame is free at boot
 * as the machine says, an allocation takes its frames, a free gives them back. */
static void test_tv_free_counts_follow_the_page_events(void **state)
{
	struct trace_view *tv = open_view();
	unsigned long n = tv->nr_frames;
	uint8_t *is_free = calloc(n, 1);
	struct frame_class *boot = calloc(n, sizeof(*boot));
	viewer_classify(&tv->m->kernel, n, boot);
	for (unsigned long p = 0; p < n; p++)
		is_free[p] = free_kind(boot[p].kind);
	free(boot);
	struct trace_reader r;
	struct trace_event ev;
	assert_int_equal(trace_reader_open(&r, recording->path), 0);
	uint64_t checks = 0;
	while (trace_reader_next(&r, &ev) > 0) {
		if (ev.type != TEV_PAGE)
			continue;
		for (uint64_t p = ev.a; p < ev.a + (1ULL << ev.b) && p < n; p++)
			is_free[p] = ev.evicted;
		if (r.nevents % 7 != 0)
			continue;
		seek(tv, r.nevents);
		for (int z = 0; z < tv->nr_zones; z++) {
			unsigned long f = 0;
			for (unsigned long p = tv->zone[z].start; p < tv->zone[z].end; p++)
				f += is_free[p];
			assert_int_equal(tv->free[z], f);
		}
		checks++;
	}
	trace_reader_close(&r);
	assert_true(checks > 10);
	free(is_free);
	close_view(tv);
}

/* ---- marks ---- */

static void test_tv_find_mark_finds_the_next_and_previous_of_a_kind(void **state)
{
	struct trace_view *tv = open_view();
	struct trace_reader r;
	struct trace_event ev;
	uint64_t first_free = UINT64_MAX, last_alloc = UINT64_MAX, first_pf = UINT64_MAX;
	assert_int_equal(trace_reader_open(&r, recording->path), 0);
	while (trace_reader_next(&r, &ev) > 0) {
		uint64_t at = r.nevents - 1;
		if (ev.type == TEV_PAGE && ev.evicted && first_free == UINT64_MAX)
			first_free = at;
		if (ev.type == TEV_PAGE && !ev.evicted)
			last_alloc = at;
		if (ev.type == TEV_PF_DONE && first_pf == UINT64_MAX)
			first_pf = at;
	}
	trace_reader_close(&r);
	assert_int_equal(tv_find_mark(tv, 0, 1, TEV_PAGE, 1), first_free);
	assert_int_equal(tv_find_mark(tv, 0, 1, TEV_PF_DONE, -1), first_pf);
	assert_int_equal(tv_find_mark(tv, tv->nr_events, -1, TEV_PAGE, 0), last_alloc);
	assert_int_equal(tv_find_mark(tv, first_pf + 1, -1, TEV_PF_DONE, -1), first_pf);
	assert_int_equal(tv_find_mark(tv, first_pf, -1, TEV_PF_DONE, -1), UINT64_MAX);
	close_view(tv);
}

/* ---- pixels ---- */

static uint32_t cell_pixel(const struct viewer *v, SDL_Surface *s, unsigned long pfn)
{
	SDL_Rect r;
	assert_true(viewer_cell_rect(v, pfn, &r));
	const uint8_t *row = (const uint8_t *)s->pixels + (r.y + r.h / 2) * s->pitch;
	return ((const uint32_t *)row)[r.x + r.w / 2] & 0xffffff;
}

static SDL_Surface *render_at(struct viewer *v, unsigned long pfn)
{
	v->cell = 8;
	v->per_cell = 1;
	v->first_pfn = pfn / viewer_cols(v) * viewer_cols(v);
	viewer_update(v);
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_XRGB8888);
	assert_non_null(s);
	viewer_render(v, s);
	return s;
}

/*
 * Known owners, told from the trace by rules written here: the frame a page walk read an
 * entry from is a page table; an allocation of __GFP_MOVABLE | __GFP_ZERO while the
 * program runs (owner pid 1) is an anonymous page. Their cells have those owners' colours;
 * a frame just written glows in the write colour, and no longer once the heat has faded.
 */
static void test_tv_render_known_frames_have_their_owners_colours(void **state)
{
	struct trace_view *tv = open_view();
	struct trace_reader r;
	struct trace_event ev;
	uint64_t walk_at = 0, anon_at = 0, write_at = 0;
	unsigned long pt_pfn = 0, anon_pfn = 0, write_pfn = 0;
	assert_int_equal(trace_reader_open(&r, recording->path), 0);
	while (trace_reader_next(&r, &ev) > 0) {
		uint64_t at = r.nevents;
		if (ev.type == TEV_WALK && ev.nsteps == 4 && !walk_at && at > tv->nr_events / 2) {
			walk_at = at;
			pt_pfn = (unsigned long)(ev.step[3].entry_pa >> 12);
		}
		if (ev.type == TEV_PAGE && !ev.evicted && ev.d == 1 && !anon_at &&
		    (ev.c & (__GFP_MOVABLE | __GFP_ZERO)) == (__GFP_MOVABLE | __GFP_ZERO)) {
			anon_at = at;
			anon_pfn = (unsigned long)ev.a;
		}
		if (ev.type == TEV_ACCESS && (ev.flags & 3) == 1 && at > tv->nr_events / 2 &&
		    !write_at) {
			write_at = at;
			write_pfn = (unsigned long)(ev.pa >> 12);
		}
	}
	trace_reader_close(&r);
	assert_true(walk_at && anon_at && write_at);

	struct viewer v;
	char err[256];
	assert_int_equal(viewer_init_trace(&v, tv, VIEWER_WIDTH, VIEWER_HEIGHT, err, sizeof(err)),
			 0);
	v.show_heat = false;
	seek(tv, walk_at);
	SDL_Surface *s = render_at(&v, pt_pfn);
	assert_int_equal(cell_pixel(&v, s, pt_pfn),
			 viewer_class_colour((struct frame_class){FK_PGTABLE, 0, 0}));
	SDL_FreeSurface(s);
	seek(tv, anon_at);
	s = render_at(&v, anon_pfn);
	assert_int_equal(cell_pixel(&v, s, anon_pfn),
			 viewer_class_colour((struct frame_class){FK_ANON, 0, 0}));
	SDL_FreeSurface(s);

	/* Heat: right after the write, the middle of the cell is mostly the write colour. */
	v.show_heat = true;
	seek(tv, write_at);
	s = render_at(&v, write_pfn);
	uint32_t hot = cell_pixel(&v, s, write_pfn);
	SDL_FreeSurface(s);
	if (!(((hot >> 16) & 255) > 200 && ((hot >> 8) & 255) < 100 && (hot & 255) < 100))
		fail_msg("pixel %#x at pfn %#lx, heat %u %u %u, class %s", hot, write_pfn,
			 tv_heat(tv, write_pfn, 0), tv_heat(tv, write_pfn, 1),
			 tv_heat(tv, write_pfn, 2), frame_kind_name(tv->cls[write_pfn].kind));
	assert_true(((hot >> 16) & 255) > 200 && ((hot >> 8) & 255) < 100 && (hot & 255) < 100);
	/* Later than the heat window with no access since: the owner's colour again. */
	uint64_t later = write_at + tv->heat.window + 1;
	if (later <= tv->nr_events) {
		seek(tv, later);
		if (!tv->heat.last[1][write_pfn] || tv->heat.last[1][write_pfn] <= write_at) {
			s = render_at(&v, write_pfn);
			uint32_t cold = cell_pixel(&v, s, write_pfn);
			SDL_FreeSurface(s);
			if (!tv->heat.last[0][write_pfn] && !tv->heat.last[2][write_pfn])
				assert_int_equal(cold, viewer_class_colour(tv->cls[write_pfn]));
		}
	}
	viewer_destroy(&v);
	close_view(tv);
}

/* ---- the window's input, on SDL's offscreen driver ---- */

static void key(struct trace_session *ts, SDL_Keycode k)
{
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = k;
	trace_session_event(ts, &e);
}

static void click(struct trace_session *ts, int x, int y)
{
	SDL_Event e = {.type = SDL_MOUSEBUTTONDOWN};
	e.button.button = SDL_BUTTON_LEFT;
	e.button.x = x;
	e.button.y = y;
	trace_session_event(ts, &e);
	e.type = SDL_MOUSEBUTTONUP;
	trace_session_event(ts, &e);
}

static void test_tv_session_keys_and_mouse_step_jump_play_scrub_zoom(void **state)
{
	char err[512];
	struct trace_session *ts = calloc(1, sizeof(*ts));
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	if (trace_session_start(ts, recording->path, true, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	struct trace_view *tv = &ts->tv;
	struct viewer *v = &ts->v;
	assert_int_equal(tv->at, 0);
	/* n: to just after the first page allocation; b: back to none (it is the first). */
	key(ts, SDLK_n);
	uint64_t first = tv_find_mark(tv, 0, 1, TEV_PAGE, 0);
	assert_int_equal(tv->at, first + 1);
	key(ts, SDLK_n);
	uint64_t second = tv_find_mark(tv, first + 1, 1, TEV_PAGE, 0);
	assert_int_equal(tv->at, second + 1);
	key(ts, SDLK_b);
	assert_int_equal(tv->at, first + 1);
	/* Steps. */
	key(ts, SDLK_RIGHT);
	key(ts, SDLK_RIGHT);
	assert_int_equal(tv->at, first + 3);
	key(ts, SDLK_LEFT);
	assert_int_equal(tv->at, first + 2);
	/* k: mark page frees next; n goes to the first free. */
	key(ts, SDLK_k);
	assert_int_equal(v->mark_type, TEV_PAGE);
	assert_int_equal(v->mark_freed, 1);
	key(ts, SDLK_n);
	assert_int_equal(tv->at, tv_find_mark(tv, first + 2, 1, TEV_PAGE, 1) + 1);
	/* Play: twice the speed, then 50 ms of playing moves on by speed * 0.05 events. */
	double speed = ts->speed;
	key(ts, SDLK_RIGHTBRACKET);
	assert_true(ts->speed == speed * 2);
	uint64_t before = tv->at;
	key(ts, SDLK_SPACE);
	assert_true(ts->playing);
	trace_session_play(ts, ts->last_tick + 50);
	assert_int_equal(tv->at, before + (uint64_t)(ts->speed * 0.05));
	key(ts, SDLK_SPACE);
	assert_false(ts->playing);
	/* A click in the middle of the timeline's bar: the middle of the trace. */
	SDL_Rect bar = viewer_timeline_bar(v);
	click(ts, bar.x + (bar.w - 1) / 2, bar.y + bar.h / 2);
	assert_int_equal(tv->at,
			 tv->nr_events * (uint64_t)((bar.w - 1) / 2) / (uint64_t)(bar.w - 1));
	key(ts, SDLK_e);
	assert_int_equal(tv->at, tv->nr_events);
	key(ts, SDLK_g);
	assert_int_equal(tv->at, 0);
	/* The view's keys work as in the live window. */
	unsigned cell = v->cell;
	key(ts, SDLK_PLUS);
	assert_int_equal(v->cell, cell * 2);
	unsigned long top = v->first_pfn;
	key(ts, SDLK_DOWN);
	assert_int_equal(v->first_pfn, top + viewer_cols(v) * v->per_cell);
	key(ts, SDLK_h);
	assert_false(v->show_heat);
	key(ts, SDLK_QUESTION);
	assert_true(v->show_help);
	/* Pointing at a frame shows it; the window draws without a display. */
	SDL_Rect r;
	assert_true(viewer_cell_rect(v, v->first_pfn + 5, &r));
	SDL_Event e = {.type = SDL_MOUSEMOTION};
	e.motion.x = r.x + 1;
	e.motion.y = r.y + 1;
	trace_session_event(ts, &e);
	assert_int_equal(v->hover_pfn, (long)(v->first_pfn + 5));
	/* The window shows the picture (drawn into its surface, or copied there from a canvas
	 * when its pixels are not 32-bit): the pointed frame's cell has its owner's colour. */
	key(ts, SDLK_QUESTION);
	assert_false(v->show_help); /* the help would cover the grid */
	assert_int_equal(v->per_cell, 1);
	viewer_present(v, ts->win, &ts->canvas);
	SDL_Surface *ws = SDL_GetWindowSurface(ts->win);
	assert_non_null(ws);
	assert_int_equal(ws->w, v->width);
	uint8_t rgb[3];
	const uint8_t *row = (const uint8_t *)ws->pixels + (r.y + r.h / 2) * ws->pitch;
	uint32_t px = 0;
	memcpy(&px, row + (r.x + r.w / 2) * ws->format->BytesPerPixel, ws->format->BytesPerPixel);
	SDL_GetRGB(px, ws->format, &rgb[0], &rgb[1], &rgb[2]);
	assert_int_equal((uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2],
			 viewer_class_colour(tv->cls[v->first_pfn + 5]));
	assert_false(ts->quit);
	key(ts, SDLK_q);
	assert_true(ts->quit);
	trace_session_end(ts);
	free(ts);
}

/* ---- bad traces ---- */

static void expect_open_error(const char *path, const char *words)
{
	char err[512] = "";
	struct trace_view *tv = calloc(1, sizeof(*tv));
	assert_int_equal(tv_open(tv, path, err, sizeof(err)), -1);
	if (!strstr(err, words))
		fail_msg("error '%s' lacks '%s'", err, words);
	assert_non_null(strstr(err, path));
	tv_close(tv);
	free(tv);
}

/* Copies the recording's first len bytes to a new file, with byte at (if < len) changed. */
static void write_damaged(const char *to, long len, long at)
{
	FILE *in = fopen(recording->path, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	for (long i = 0; i < len; i++) {
		int c = fgetc(in);
		assert_true(c != EOF);
		fputc(i == at ? c ^ 0x5a : c, out);
	}
	fclose(in);
	fclose(out);
}

/* ---- the VMA panel ---- */

/* The mapping touch_pages writes: the process's largest anonymous VMA (16 MiB). */
static int largest_anon(const struct vma_row *rows, int n)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (!rows[i].name[0] && (best < 0 || rows[i].pages > rows[best].pages))
			best = i;
	assert_true(best >= 0);
	return best;
}

/*
 * At each snapshot, the rebuilt maps are the machine's own /proc/PID/maps lines (range,
 * permissions, offset, name); every resident page the trace counts is one the tables map
 * (the trace counts only frames user code reached), and in the mapping the program wrote
 * page by page (at a snapshot while it is mapped), exactly those. Its bar in the rendered panel has the anonymous colour
 * where the mapping is resident.
 */
static void test_tv_vma_rows_are_the_machines_maps_at_every_snapshot(void **state)
{
	struct trace_view *tv = open_view();
	struct vma_row rows[VIEWER_MAX_VMAS];
	int mapped = -1;
	for (int i = 0; i < recording->n; i++) {
		const struct snapshot *s = &recording->snap[i];
		seek(tv, s->events);
		int n = tv_vma_rows(tv, rows, VIEWER_MAX_VMAS);
		if (n != s->nr_vmas) {
			char title[768];
			tv_vma_title(tv, title, sizeof(title));
			fail_msg("at event %llu: %d VMAs rebuilt, %d in the machine (%s)",
				 (unsigned long long)s->events, n, s->nr_vmas, title);
		}
		for (int j = 0; j < n && j < VIEWER_MAX_VMAS; j++) {
			assert_int_equal(rows[j].start, s->vmas[j].start);
			assert_int_equal(rows[j].end, s->vmas[j].end);
			assert_int_equal(rows[j].offset, s->vmas[j].offset);
			assert_string_equal(rows[j].perms, s->vmas[j].perms);
			assert_string_equal(rows[j].name, s->vmas[j].name);
			assert_true(rows[j].resident <= s->vmas[j].resident);
		}
		int a = largest_anon(rows, n);
		if (rows[a].pages == 16 * 256) { /* while the program has it mapped */
			assert_int_equal(rows[a].resident, s->vmas[a].resident);
			mapped = i;
		}
	}
	/* A snapshot with the mapping, drawn: its bar has the anonymous colour where it is
	 * resident. */
	assert_true(mapped >= 0);
	const struct snapshot *s = &recording->snap[mapped];
	seek(tv, s->events);
	struct viewer v;
	char err[256];
	assert_int_equal(viewer_init_trace(&v, tv, VIEWER_WIDTH, VIEWER_HEIGHT, err, sizeof(err)),
			 0);
	viewer_update(&v);
	assert_int_equal(v.nr_vmas, s->nr_vmas);
	int a = largest_anon(v.rows, v.nr_vmas), bucket = -1;
	for (int b = 0; b < VMA_BAR_BUCKETS && bucket < 0; b++)
		if (v.rows[a].bar[b] == 255)
			bucket = b;
	assert_true(bucket >= 0);
	SDL_Surface *surf =
	    SDL_CreateRGBSurfaceWithFormat(0, v.width, v.height, 32, SDL_PIXELFORMAT_XRGB8888);
	viewer_render(&v, surf);
	int x = v.vmas.x + v.vmas.w - VMA_BAR_BUCKETS - 4 + bucket;
	int y = v.vmas.y + v.line_h + 4 + a * v.line_h + v.line_h / 2;
	assert_true(y < v.vmas.y + v.vmas.h);
	uint32_t px = ((const uint32_t *)((const uint8_t *)surf->pixels + y * surf->pitch))[x];
	assert_int_equal(px & 0xffffff, viewer_class_colour((struct frame_class){FK_ANON, 0, 0}));
	SDL_FreeSurface(surf);
	viewer_destroy(&v);
	/* Pointing at a frame of the mapping names its VMA. */
	char info[512], want[96];
	unsigned long in_map = 0;
	for (unsigned long p = 0; p < tv->nr_frames && !in_map; p++) {
		const struct tv_block *b = tv_block_of(tv, p);
		if (b && b->la >= v.rows[a].start && b->la < v.rows[a].end)
			in_map = p;
	}
	assert_true(in_map);
	tv_frame_info(tv, in_map, info, sizeof(info));
	snprintf(want, sizeof(want), "in VMA %llx-%llx rw-p", (unsigned long long)v.rows[a].start,
		 (unsigned long long)v.rows[a].end);
	if (!strstr(info, want))
		fail_msg("'%s' lacks '%s'", info, want);
	/* Before the exec, no maps yet. */
	seek(tv, 0);
	assert_int_equal(tv_vma_rows(tv, rows, VIEWER_MAX_VMAS), 0);
	close_view(tv);
}

/* A trace whose program is no longer at its recorded path: the frames as before, and the
 * VMA panel says why it has no rows. */
static void test_tv_vmas_of_a_missing_program_say_why(void **state)
{
	char prog[64], path[64], err[512], header[4096];
	snprintf(prog, sizeof(prog), "/tmp/mmemu-test-vprog.%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/mmemu-test-vtrace-prog.%d", (int)getpid());
	FILE *in = fopen(guest_path("hello"), "rb"), *out = fopen(prog, "wb");
	assert_true(in && out);
	int c;
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fclose(out);
	struct machine_opts mo;
	machine_opts_init(&mo);
	char *margv[] = {"-m", "64M"};
	int i = 0;
	assert_int_equal(machine_option(2, margv, &i, &mo, err, sizeof(err)), 1);
	assert_int_equal(machine_options_finish(&mo, err, sizeof(err)), 0);
	struct machine *m = calloc(1, sizeof(*m));
	assert_int_equal(machine_create(m, &mo.params, &mo.tlb, err, sizeof(err)), 0);
	const char *argv[] = {prog, NULL}, *envp[] = {"A=1", NULL};
	struct run_options o = {.host_path = prog,
				.filename = prog,
				.argc = 1,
				.argv = argv,
				.envc = 1,
				.envp = envp};
	struct trace_recorder rec;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start(&rec, m, path, header, err, sizeof(err)), 0);
	m->trace = &rec;
	int status;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	assert_int_equal(trace_record_finish(&rec, (int)res, status), 0);
	machine_destroy(m);
	free(m);
	/* With the program there, its maps; without it, none and the reason. */
	struct trace_view *tv = calloc(1, sizeof(*tv));
	struct vma_row rows[VIEWER_MAX_VMAS];
	if (tv_open(tv, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	seek(tv, tv->nr_events);
	assert_true(tv_vma_rows(tv, rows, VIEWER_MAX_VMAS) > 3);
	tv_close(tv);
	unlink(prog);
	if (tv_open(tv, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	seek(tv, tv->nr_events);
	assert_int_equal(tv_vma_rows(tv, rows, VIEWER_MAX_VMAS), 0);
	char title[768];
	tv_vma_title(tv, title, sizeof(title));
	assert_non_null(strstr(title, "VMAs unknown"));
	assert_non_null(strstr(title, "cannot be read"));
	assert_non_null(strstr(title, prog));
	tv_close(tv);
	free(tv);
	unlink(path);
}

/* ---- reference and mapping counts (page_ref, format 1.3) ---- */

/*
 * At each snapshot (user mode, between two slices) every frame's counts in the trace are
 * the machine's own struct page's: the recorder wrote each change at the return to user
 * mode before it. Many frames changed since the boot, so this is not the boot state
 * compared with itself.
 */
static void test_tv_frame_counts_match_the_machine_at_every_snapshot(void **state)
{
	struct trace_view *tv = open_view();
	assert_true(tv->refs_known);
	for (int i = 0; i < recording->n; i++) {
		const struct snapshot *s = &recording->snap[i];
		seek(tv, s->events);
		unsigned long changed = 0;
		for (unsigned long p = 0; p < s->nr_frames; p++) {
			int ref, map;
			uint64_t since;
			assert_true(tv_frame_counts(tv, p, &ref, &map, &since));
			if (ref != s->ref[p] || map != s->map[p])
				fail_msg("pfn %#lx at event %llu: trace says ref %d map %d, machine %d %d",
					 p, (unsigned long long)s->events, ref, map, s->ref[p],
					 s->map[p]);
			if (since != UINT64_MAX) {
				assert_true(since < s->events);
				changed++;
			}
		}
		assert_true(changed > 100);
	}
	close_view(tv);
}

/* The first frame at the last snapshot that the trace saw allocated, is of kind, and is
 * mapped (mapped) or not; -1 when there is none. */
static long known_frame(struct trace_view *tv, const struct snapshot *s, uint8_t kind,
			bool mapped)
{
	for (unsigned long p = 0; p < s->nr_frames; p++)
		if (s->cls[p].kind == kind && tv_block_of(tv, p) && (s->map[p] > 0) == mapped)
			return (long)p;
	return -1;
}

/* The hover line of a frame holds "ref R map M" with the machine's counts, as the live
 * viewer writes them. */
static void expect_hover_counts(struct trace_view *tv, const struct snapshot *s, long pfn)
{
	char line[1024], want[64];
	assert_true(pfn >= 0);
	tv_frame_info(tv, (unsigned long)pfn, line, sizeof(line));
	snprintf(want, sizeof(want), "  ref %d map %d", s->ref[pfn], s->map[pfn]);
	if (!strstr(line, want))
		fail_msg("pfn %#lx: \"%s\" lacks \"%s\"", (unsigned long)pfn, line, want);
}

/*
 * Hover on three known frames at the last snapshot (touch_pages stopped while its pages
 * are mapped), against the machine's struct page and Linux's rules: a private anonymous
 * page the process wrote is mapped once and referenced by that mapping alone; a page
 * cache page of the program mapped by the process holds the cache's reference and one per
 * mapping; a page table is the allocation's one reference and is mapped nowhere.
 */
static void test_tv_hover_shows_the_counts_of_known_frames(void **state)
{
	struct trace_view *tv = open_view();
	const struct snapshot *s = &recording->snap[recording->n - 1];
	seek(tv, s->events);
	long anon = known_frame(tv, s, FK_ANON, true);
	long file = known_frame(tv, s, FK_FILE, true);
	long table = known_frame(tv, s, FK_PGTABLE, false);
	assert_true(anon >= 0 && file >= 0 && table >= 0);
	expect_hover_counts(tv, s, anon);
	expect_hover_counts(tv, s, file);
	expect_hover_counts(tv, s, table);
	assert_int_equal(s->ref[anon], 1);
	assert_int_equal(s->map[anon], 1);
	assert_int_equal(s->ref[file], s->map[file] + 1);
	assert_int_equal(s->ref[table], 1);
	assert_int_equal(s->map[table], 0);
	/* Back at the start, before any page_ref: the booted machine's counts (a free frame's
	 * are 0 and 0). */
	seek(tv, 0);
	char line[1024];
	tv_frame_info(tv, (unsigned long)anon, line, sizeof(line));
	assert_non_null(strstr(line, "  ref 0 map 0"));
	close_view(tv);
}

/* Rewrites the trace at path as format 1.2: the file header's minor version and the
 * header text's format line (its CRC-32 again). */
static void make_format_1_2(const char *path)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	uint8_t fh[16];
	assert_int_equal(fread(fh, 1, sizeof(fh), f), sizeof(fh));
	uint32_t hlen = (uint32_t)fh[12] | (uint32_t)fh[13] << 8 | (uint32_t)fh[14] << 16 |
			(uint32_t)fh[15] << 24;
	char *text = malloc(hlen + 1);
	assert_int_equal(fread(text, 1, hlen, f), hlen);
	text[hlen] = '\0';
	char *v = strstr(text, "format=mmemu-trace 1.4\n");
	assert_non_null(v);
	v[strlen("format=mmemu-trace 1.")] = '2';
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)text, hlen);
	uint8_t c[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
	fh[10] = 2;
	fh[11] = 0;
	fseek(f, 0, SEEK_SET);
	fwrite(fh, 1, sizeof(fh), f);
	fwrite(text, 1, hlen, f);
	fwrite(c, 1, sizeof(c), f);
	fclose(f);
	free(text);
}

/* A trace of format 1.2 records no counts: the hover says they are unknown rather than
 * showing the booted machine's. (Recorded without the page_ref tracepoint, which is what
 * a 1.2 recorder wrote, then labelled 1.2.) */
static void test_tv_older_format_says_counts_are_unknown(void **state)
{
	char path[64], err[512], header[4096];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-vtrace-12.%d", (int)getpid());
	struct machine *m = new_machine();
	const char *prog = guest_path("touch_pages");
	const char *argv[] = {prog, "4", NULL}, *envp[] = {"A=1", NULL};
	struct run_options o = {.host_path = prog, .filename = prog, .argc = 2, .argv = argv,
				.envc = 1, .envp = envp, .max_insns = 20000};
	struct trace_recorder rec;
	trace_header_format(header, sizeof(header), m, &o);
	assert_int_equal(trace_record_start(&rec, m, path, header, err, sizeof(err)), 0);
	rec.kmem.page_ref = NULL;
	m->trace = &rec;
	int status;
	fflush(stdout);
	enum run_result res = machine_run_program(m, &o, &status);
	assert_int_equal(trace_record_finish(&rec, (int)res, status), 0);
	free_machine(m);
	make_format_1_2(path);
	struct trace_view *tv = calloc(1, sizeof(*tv));
	if (tv_open(tv, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(tv->r.minor, 2);
	assert_false(tv->refs_known);
	seek(tv, tv->nr_events / 2);
	int ref, map;
	uint64_t since;
	char line[1024];
	unsigned long pfn = 0;
	while (pfn < tv->nr_frames && !tv_block_of(tv, pfn))
		pfn++;
	assert_true(pfn < tv->nr_frames);
	assert_false(tv_frame_counts(tv, pfn, &ref, &map, &since));
	tv_frame_info(tv, pfn, line, sizeof(line));
	assert_non_null(strstr(line, "ref/map unknown (format 1.2"));
	assert_null(strstr(line, "  ref "));
	tv_close(tv);
	free(tv);
	unlink(path);
}

static void test_tv_unreadable_traces_give_a_clear_error(void **state)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mmemu-test-vtrace-bad.%d", (int)getpid());
	expect_open_error("/nonexistent-dir/t.trc", "No such file");
	FILE *f = fopen(path, "w");
	fputs("this is not a trace\n", f);
	fclose(f);
	expect_open_error(path, "not an mmemu trace");
	/* Cut inside the first chunk, and a byte of it changed. */
	write_damaged(path, 2000, -1);
	expect_open_error(path, "truncated");
	FILE *in = fopen(recording->path, "rb");
	fseek(in, 0, SEEK_END);
	long size = ftell(in);
	fclose(in);
	write_damaged(path, size, 1500);
	expect_open_error(path, "damaged");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tv_frames_match_the_machine_at_every_snapshot),
	    cmocka_unit_test(test_tv_seeks_in_any_order_equal_a_fresh_seek),
	    cmocka_unit_test(test_tv_free_counts_follow_the_page_events),
	    cmocka_unit_test(test_tv_find_mark_finds_the_next_and_previous_of_a_kind),
	    cmocka_unit_test(test_tv_render_known_frames_have_their_owners_colours),
	    cmocka_unit_test(test_tv_session_keys_and_mouse_step_jump_play_scrub_zoom),
	    cmocka_unit_test(test_tv_vma_rows_are_the_machines_maps_at_every_snapshot),
	    cmocka_unit_test(test_tv_vmas_of_a_missing_program_say_why),
	    cmocka_unit_test(test_tv_frame_counts_match_the_machine_at_every_snapshot),
	    cmocka_unit_test(test_tv_hover_shows_the_counts_of_known_frames),
	    cmocka_unit_test(test_tv_older_format_says_counts_are_unknown),
	    cmocka_unit_test(test_tv_unreadable_traces_give_a_clear_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
