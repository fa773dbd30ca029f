/*
 * Frame time of the viewer on a 4 GiB machine (1 M frames): classifying every frame,
 * drawing every panel, and the PNG of a screenshot, next to a reference measured in the
 * same run: one plain pass that reads every struct page's flags (the least any picture of
 * all frames must do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/png.h"
#include "emu/viewer.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

enum { ROUNDS = 20 };

/* The reference: a pass over every struct page reading its flags. */
static double bench_flags_pass(struct kernel *k)
{
	volatile uint64_t sink = 0;
	double t0 = now_ms();
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t acc = 0;
		for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++)
			acc += pfn_to_page(k, pfn)->flags;
		sink += acc;
	}
	return (now_ms() - t0) / ROUNDS;
}

static double bench_classify(struct viewer *v)
{
	double t0 = now_ms();
	for (int r = 0; r < ROUNDS; r++)
		viewer_update(v);
	return (now_ms() - t0) / ROUNDS;
}

static double bench_render(struct viewer *v, SDL_Surface *s)
{
	double t0 = now_ms();
	for (int r = 0; r < ROUNDS; r++)
		viewer_render(v, s);
	return (now_ms() - t0) / ROUNDS;
}

static double bench_png(SDL_Surface *s, char *err, size_t errlen)
{
	double t0 = now_ms();
	if (png_write_xrgb("/tmp/mmemu-bench-viewer.png", s->pixels, (unsigned)s->w,
			   (unsigned)s->h, (size_t)s->pitch, err, errlen) < 0)
		return -1;
	double t = now_ms() - t0;
	remove("/tmp/mmemu-bench-viewer.png");
	return t;
}

int main(void)
{
	struct machine_opts o;
	char err[256];
	char *argv[] = {"-m", "4G"};
	int i = 0;
	machine_opts_init(&o);
	struct machine *m = calloc(1, sizeof(*m));
	struct viewer v;
	if (!m || machine_option(2, argv, &i, &o, err, sizeof(err)) != 1 ||
	    machine_options_finish(&o, err, sizeof(err)) < 0 ||
	    machine_create(m, &o.params, &o.tlb, err, sizeof(err)) < 0 ||
	    viewer_init(&v, m, VIEWER_WIDTH, VIEWER_HEIGHT, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_viewer: %s\n", err);
		return 1;
	}
	SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, v.width, v.height, 32,
							SDL_PIXELFORMAT_XRGB8888);
	double ref = bench_flags_pass(&m->kernel), cls = bench_classify(&v);
	double draw = bench_render(&v, s), png = bench_png(s, err, sizeof(err));
	struct frame_class *classes = v.cls;
	v.cls = NULL; /* the text panels alone */
	double text = bench_render(&v, s);
	v.cls = classes;
	printf("viewer, 4 GiB machine (%lu frames, %lu per cell), %dx%d, %d rounds:\n",
	       v.nr_frames, v.per_cell, v.width, v.height, ROUNDS);
	printf("  %-36s %8.2f ms\n", "reference: read every page's flags", ref);
	printf("  %-36s %8.2f ms  (%.1fx the reference)\n", "classify every frame + VMA rows", cls,
	       cls / ref);
	printf("  %-36s %8.2f ms\n", "draw every panel", draw);
	printf("  %-36s %8.2f ms\n", "... of which the text panels", text);
	printf("  %-36s %8.2f ms  -> %.0f frames/s (aim: 60)\n", "frame (classify + draw)",
	       cls + draw, 1e3 / (cls + draw));
	printf("  %-36s %8.2f ms\n", "PNG of the picture (zlib level 6)", png);
	SDL_FreeSurface(s);
	viewer_destroy(&v);
	machine_destroy(m);
	free(m);
	return 0;
}
