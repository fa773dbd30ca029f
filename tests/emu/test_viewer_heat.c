/*
 * The heat of recent accesses: the map's fading and ring on their own, and on a running
 * guest that hammers known pages (guests/hot_pages.c: writes to pages 8..11 and reads of
 * pages 24..27 of a 64-page mapping, in a loop), the sampled heat of the MMU's fast-path
 * entries: the written frames glow in the write colour, the read ones in the read
 * colour, the program's text in the fetch colour, a page touched only before the loop
 * not at all; the hover text says so; and a run sampled this way ends exactly as one
 * without the viewer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"
#include "emu/viewer.h"
#include "emu/viewer_draw.h"
#include "emu/viewer_heat.h"
#include "emu/viewer_session.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "mmu/mmu.h"
#include "tests/emu/guest_machine.h"

/* ---- the map ---- */

static void test_heat_map_fades_over_its_window_and_rings_the_last_frames(void **state)
{
	struct heat_map h;
	assert_int_equal(heat_map_init(&h, 100, 4, 1000), 0);
	heat_map_note(&h, 7, MMU_WRITE, 50); /* at time 50 */
	h.now = 51;			     /* just after it */
	assert_int_equal(heat_map_heat(&h, 7, MMU_WRITE), 255);
	assert_int_equal(heat_map_heat(&h, 7, MMU_READ), 0);
	assert_int_equal(heat_map_heat(&h, 8, MMU_WRITE), 0);
	h.now = 51 + 500; /* half the window later: half the heat, rounded up */
	assert_int_equal(heat_map_heat(&h, 7, MMU_WRITE), 255 - 500 * 255 / 1000);
	h.now = 51 + 999;
	assert_true(heat_map_heat(&h, 7, MMU_WRITE) <= 1);
	h.now = 51 + 1000; /* the whole window later: gone */
	assert_int_equal(heat_map_heat(&h, 7, MMU_WRITE), 0);
	h.now = 40; /* before the access: none yet */
	assert_int_equal(heat_map_heat(&h, 7, MMU_WRITE), 0);
	/* Out of range: ignored, and no heat. */
	heat_map_note(&h, 100, MMU_READ, 60);
	heat_map_note(&h, 3, 3, 60);
	assert_int_equal(h.ring_count, 1);
	assert_int_equal(heat_map_heat(&h, 100, MMU_READ), 0);
	/* The ring keeps the last four, oldest first. */
	for (unsigned long p = 10; p < 16; p++)
		heat_map_note(&h, p, MMU_FETCH, 60 + p);
	assert_int_equal(h.ring_count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(heat_map_ring_at(&h, i), 12 + i);
	/* The hover text names the kinds within the window and their age. */
	char buf[200] = "pfn";
	h.now = 100;
	heat_map_describe(&h, 15, "events", buf, sizeof(buf));
	assert_string_equal(buf, "pfn  last fetch 24 events ago");
	heat_map_clear(&h);
	assert_int_equal(h.ring_count, 0);
	assert_int_equal(heat_map_heat(&h, 15, MMU_FETCH), 0);
	heat_map_destroy(&h);
}

/* ---- a running guest ---- */

/* The hammered mapping: the process's only anonymous VMA of 64 pages. */
static uint64_t hot_mapping(struct mm_struct *mm)
{
	uint64_t found = 0;
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
		if (!vma->vm_file && vma->vm_end - vma->vm_start == 64 * 4096) {
			assert_int_equal(found, 0);
			found = vma->vm_start;
		}
	assert_true(found);
	return found;
}

static unsigned long pfn_at(struct machine *m, uint64_t la)
{
	struct mmu_walk_trace tr;
	assert_true(mmu_probe(&m->mmu, la, &tr));
	return (unsigned long)(tr.pa >> 12);
}

/* The pixel in the middle of frame pfn's cell, with 8-pixel cells and pfn's row in view. */
static uint32_t hot_pixel(struct viewer *v, unsigned long pfn)
{
	v->cell = 8;
	v->per_cell = 1;
	v->first_pfn = pfn / viewer_cols(v) * viewer_cols(v);
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_XRGB8888);
	assert_non_null(s);
	viewer_render(v, s);
	SDL_Rect r;
	assert_true(viewer_cell_rect(v, pfn, &r));
	uint32_t px = ((const uint32_t *)((const uint8_t *)s->pixels +
					  (r.y + r.h / 2) * s->pitch))[r.x + r.w / 2] &
		      0xffffff;
	SDL_FreeSurface(s);
	return px;
}

static int red(uint32_t px) { return (int)(px >> 16) & 255; }
static int green(uint32_t px) { return (int)(px >> 8) & 255; }
static int blue(uint32_t px) { return (int)px & 255; }

/* The colours of the heat, told by their channels (the kind's colour over the owner's,
 * nearly all of it for an access this recent). */
static bool is_write_colour(uint32_t px)
{
	return red(px) > 200 && green(px) < 100 && blue(px) < 100;
}
static bool is_read_colour(uint32_t px)
{
	return red(px) < 100 && green(px) > 180 && blue(px) > 200;
}
static bool is_fetch_colour(uint32_t px)
{
	return red(px) > 200 && green(px) > 200 && blue(px) < 150;
}

struct heat_run {
	struct viewer_session *vs;
	bool checked;
};

static bool heat_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct heat_run *h = ctx;
	return h->vs->obs.before_slice(h->vs->obs.ctx, m, slice);
}

/* At the end of the run, the process still there: the pictures and the hover text. */
static void heat_end(void *ctx, struct machine *m, enum run_result r)
{
	struct heat_run *h = ctx;
	struct viewer *v = &h->vs->v;
	struct mm_struct *mm = m->kernel.current->mm;
	h->vs->obs.at_end(h->vs->obs.ctx, m, r);
	live_heat_sample(&h->vs->heat, m);
	viewer_update(v);
	uint64_t base = hot_mapping(mm);
	unsigned long written = pfn_at(m, base + 9 * 4096), read = pfn_at(m, base + 25 * 4096);
	unsigned long cold = pfn_at(m, base + 40 * 4096);
	uint32_t px = hot_pixel(v, written);
	if (!is_write_colour(px))
		fail_msg("written frame %#lx: pixel %#x", written, px);
	px = hot_pixel(v, read);
	if (!is_read_colour(px))
		fail_msg("read frame %#lx: pixel %#x", read, px);
	/* Touched once before the loop, longer ago than the window: the owner's colour. */
	assert_int_equal(v->cls[cold].kind, FK_ANON);
	assert_int_equal(hot_pixel(v, cold), viewer_class_colour(v->cls[cold]));
	/* Some frame of the program's text glows in the fetch colour. */
	int fetched = 0;
	for (uint64_t la = mm->start_code & ~0xfffULL; la < mm->end_code; la += 4096) {
		struct mmu_walk_trace tr;
		if (mmu_probe(&m->mmu, la, &tr))
			fetched += is_fetch_colour(hot_pixel(v, (unsigned long)(tr.pa >> 12)));
	}
	assert_true(fetched >= 1);
	/* With the overlay off, the written frame has its owner's colour again. */
	v->show_heat = false;
	assert_int_equal(hot_pixel(v, written), viewer_class_colour(v->cls[written]));
	v->show_heat = true;
	/* The hover text: the last write of the written frame, only a read of the read one. */
	char buf[512] = "";
	heat_map_describe(v->heat, written, "insns", buf, sizeof(buf));
	assert_non_null(strstr(buf, "last write"));
	buf[0] = '\0';
	heat_map_describe(v->heat, read, "insns", buf, sizeof(buf));
	assert_non_null(strstr(buf, "last read"));
	assert_null(strstr(buf, "last write"));
	h->checked = true;
}

static void test_live_heat_marks_the_pages_a_guest_hammers(void **state)
{
	struct machine *m = new_machine();
	struct heat_run h = {calloc(1, sizeof(*h.vs)), false};
	char err[256];
	assert_int_equal(viewer_session_start(h.vs, m, NULL, 0, false, err, sizeof(err)), 0);
	/* Heat fades over a million instructions: the loop runs for several. */
	h.vs->heat.map.window = 1000000;
	struct run_observer obs = {heat_slice, heat_end, &h};
	int status;
	assert_int_equal(run_guest(m, "hot_pages", &obs, &status), RUN_EXITED);
	assert_int_equal(status, 0);
	assert_true(h.checked);
	/* A sample every LIVE_HEAT_EVERY instructions or a little more (a slice that ends
	 * early, at an exception, moves the next sample on), and the one at the end. */
	uint64_t want = m->cpu.icount / LIVE_HEAT_EVERY;
	if (h.vs->heat.samples < want * 3 / 4 || h.vs->heat.samples > want + 2)
		fail_msg("%llu samples in %llu instructions", (unsigned long long)h.vs->heat.samples,
			 (unsigned long long)m->cpu.icount);
	viewer_session_end(h.vs);
	free(h.vs);
	free_machine(m);
}

/* What the sampled run must leave as the plain one does. */
struct figures {
	uint64_t icount, exceptions, walks, fills[TLB_NR_ARRAYS], hits[TLB_NR_ARRAYS];
	unsigned long pgfault, pgfree, nr_free;
	int status;
};

static void figures(struct machine *m, struct figures *f, int status)
{
	memset(f, 0, sizeof(*f));
	f->icount = m->cpu.icount;
	f->exceptions = m->cpu.nr_faults;
	f->walks = m->mmu.st.walks;
	for (int a = 0; a < TLB_NR_ARRAYS; a++) {
		f->fills[a] = m->mmu.tlb.a[a].st.fills;
		f->hits[a] = tlb_array_hits(&m->mmu.tlb, &m->mmu.tlb.a[a]);
	}
	f->pgfault = m->kernel.vm_events[PGFAULT];
	f->pgfree = m->kernel.vm_events[PGFREE];
	f->nr_free = (unsigned long)global_zone_page_state(&m->kernel, NR_FREE_PAGES);
	f->status = status;
}

static void test_live_heat_sampling_leaves_the_run_unchanged(void **state)
{
	struct figures plain, sampled;
	int status;
	struct machine *m = new_machine();
	assert_int_equal(run_guest(m, "hot_pages", NULL, &status), RUN_EXITED);
	figures(m, &plain, status);
	free_machine(m);

	m = new_machine();
	struct viewer_session *vs = calloc(1, sizeof(*vs));
	char err[256];
	assert_int_equal(viewer_session_start(vs, m, NULL, 0, false, err, sizeof(err)), 0);
	assert_int_equal(run_guest(m, "hot_pages", &vs->obs, &status), RUN_EXITED);
	figures(m, &sampled, status);
	assert_true(vs->heat.samples > 30);
	assert_true(vs->heat.noted > 100);
	assert_memory_equal(&plain, &sampled, sizeof(plain));
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_heat_map_fades_over_its_window_and_rings_the_last_frames),
	    cmocka_unit_test(test_live_heat_marks_the_pages_a_guest_hammers),
	    cmocka_unit_test(test_live_heat_sampling_leaves_the_run_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
