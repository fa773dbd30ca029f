/*
 * The viewer: its models against the machine's own state (the frame classes against the
 * page allocator's counters and the pages' known owners, the VMA rows against the mm's
 * VMA list and a brute-force residency count, the page walk against a walk done here by
 * hand), the pixels of a headless render, the PNG writer read back by a small reader
 * written here from the PNG specification, the run left unchanged by the viewer, and the
 * live window's input on SDL's offscreen video driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/png.h"
#include "emu/run.h"
#include "emu/viewer.h"
#include "emu/viewer_session.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "mmu/mmu.h"
#include "tests/emu/guest_machine.h"

/* ---- a machine running a guest ---- */

/* Runs guest name on m with observer obs (or none); returns the run's result. */
/* An observer that runs a check on the machine at the end of the run, task still alive. */
typedef void (*end_check)(struct machine *m);

static bool pass_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	return true;
}

static void call_check(void *ctx, struct machine *m, enum run_result r)
{
	(*(end_check *)ctx)(m);
}

static void run_with_end_check(const char *guest, end_check check)
{
	struct machine *m = new_machine();
	struct run_observer obs = {pass_slice, call_check, &check};
	int status;
	assert_int_equal(run_guest(m, guest, &obs, &status), RUN_EXITED);
	free_machine(m);
}

static void start_viewer(struct viewer *v, struct machine *m)
{
	char err[256];
	assert_int_equal(viewer_init(v, m, VIEWER_WIDTH, VIEWER_HEIGHT, err, sizeof(err)), 0);
	viewer_update(v);
}

/* The colour of the pixel in the middle of frame pfn's cell. */
static uint32_t cell_pixel(const struct viewer *v, SDL_Surface *s, unsigned long pfn)
{
	SDL_Rect r;
	assert_true(viewer_cell_rect(v, pfn, &r));
	const uint8_t *row = (const uint8_t *)s->pixels + (r.y + r.h / 2) * s->pitch;
	return ((const uint32_t *)row)[r.x + r.w / 2] & 0xffffff;
}

static SDL_Surface *render(struct viewer *v)
{
	SDL_Surface *s =
	    SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_XRGB8888);
	assert_non_null(s);
	viewer_render(v, s);
	return s;
}

/* ---- frame classes and their pixels ---- */

static unsigned long pfn_of(struct kernel *k, const void *host)
{
	return __pa(k, host) >> PAGE_SHIFT;
}

/* The first free block of the highest zone with one, from the buddy lists themselves. */
static unsigned long first_free_block(struct kernel *k, unsigned *order)
{
	pg_data_t *pgdat = NODE_DATA(k, 0);
	for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--)
		for (int o = MAX_ORDER - 1; o >= 1; o--)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct list_head *l =
				    &pgdat->node_zones[zi].free_area[o].free_list[mt];
				if (!list_empty(l)) {
					*order = (unsigned)o;
					return page_to_pfn(k,
							   list_first_entry(l, struct page, lru));
				}
			}
	fail_msg("no free block of order >= 1");
	return 0;
}

/* The top page of the stack VMA: the argument strings are there, so it is resident. */
static uint64_t stack_top_page(struct mm_struct *mm)
{
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
		if (vma->vm_flags & VM_GROWSDOWN)
			return vma->vm_end - 4096;
	fail_msg("no stack VMA");
	return 0;
}

/* The frame behind user address la, by the MMU's walk. */
static unsigned long user_pfn(struct machine *m, uint64_t la)
{
	struct mmu_walk_trace tr;
	assert_true(mmu_probe(&m->mmu, la, &tr));
	return tr.pa >> PAGE_SHIFT;
}

static void check_known_frames(struct machine *m)
{
	struct kernel *k = &m->kernel;
	struct viewer v;
	start_viewer(&v, m);
	struct mm_struct *mm = k->current->mm;
	unsigned order = 0;
	unsigned long pgd = pfn_of(k, mm->pgd), free_head = first_free_block(k, &order);
	unsigned long stack = user_pfn(m, stack_top_page(mm));
	unsigned long text = user_pfn(m, mm->start_code);
	unsigned long kimage = KERNEL_IMAGE_START >> PAGE_SHIFT;

	assert_int_equal(v.cls[pgd].kind, FK_PGTABLE);
	assert_int_equal(v.cls[free_head].kind, FK_FREE);
	assert_int_equal(v.cls[free_head].order, order);
	assert_int_equal(v.cls[free_head].head, 1);
	/* The block's last frame is free, of the same order, and not a head. */
	unsigned long last = free_head + (1UL << order) - 1;
	assert_int_equal(v.cls[last].kind, FK_FREE);
	assert_int_equal(v.cls[last].order, order);
	assert_int_equal(v.cls[last].head, 0);
	assert_int_equal(v.cls[stack].kind, FK_ANON);
	assert_int_equal(v.cls[text].kind, FK_FILE);
	assert_int_equal(v.cls[kimage].kind, FK_KERNEL);
	assert_int_equal(v.cls[0].kind, FK_KERNEL); /* reserved low memory */

	/* Every frame in a buddy block is counted by NR_FREE_PAGES, and only those. */
	unsigned long free = 0;
	for (unsigned long pfn = 0; pfn < v.nr_frames; pfn++)
		free += v.cls[pfn].kind == FK_FREE;
	assert_int_equal(free, (unsigned long)global_zone_page_state(k, NR_FREE_PAGES));

	/* The pixels: zoomed to 8-pixel cells on each frame (no neighbour shares them). */
	v.cell = 8;
	v.per_cell = 1;
	const unsigned long frames[] = {pgd, free_head, stack, text, kimage};
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		v.first_pfn = frames[i] / viewer_cols(&v) * viewer_cols(&v);
		SDL_Surface *s = render(&v);
		assert_int_equal(cell_pixel(&v, s, frames[i]),
				 viewer_class_colour(v.cls[frames[i]]));
		SDL_FreeSurface(s);
	}
	/* The palette tells the owners apart. */
	assert_int_not_equal(viewer_class_colour(v.cls[pgd]),
			     viewer_class_colour(v.cls[free_head]));
	assert_int_not_equal(viewer_class_colour(v.cls[stack]), viewer_class_colour(v.cls[text]));
	viewer_destroy(&v);
}

static void test_viewer_frames_known_owners_have_their_class_and_colour(void **state)
{
	run_with_end_check("hello", check_known_frames);
}

/* The pixel at (x, y) of s. */
static uint32_t pixel(SDL_Surface *s, int x, int y)
{
	return ((const uint32_t *)((const uint8_t *)s->pixels + y * s->pitch))[x] & 0xffffff;
}

/* Two nodes of 64 MiB, no program: node 1 starts at pfn 16384, ZONE_DMA32 at 16 MiB (pfn
 * 4096). The cell of each first frame has the border colour on its top edge. */
static void test_viewer_borders_mark_zone_and_node_starts(void **state)
{
	char *argv[] = {"-numa", "node,mem=64M", "-numa", "node,mem=64M"};
	struct machine *m = new_machine_with(4, argv);
	struct viewer v;
	start_viewer(&v, m);
	assert_int_equal(v.nr_vmas, 0);
	SDL_Surface *s = render(&v);
	SDL_Rect r;
	unsigned long cols = viewer_cols(&v) * v.per_cell;
	assert_true(viewer_cell_rect(&v, 16384, &r));
	assert_int_equal(pixel(s, r.x + r.w / 2, r.y), VIEWER_NODE_BORDER);
	assert_true(viewer_cell_rect(&v, 4096, &r));
	assert_int_equal(pixel(s, r.x + r.w / 2, r.y), VIEWER_ZONE_BORDER);
	/* Inside a zone, a row below another of the same zone has no border. */
	assert_true(viewer_cell_rect(&v, 8192 + 2 * cols, &r));
	assert_int_not_equal(pixel(s, r.x + r.w / 2, r.y), VIEWER_ZONE_BORDER);
	assert_int_not_equal(pixel(s, r.x + r.w / 2, r.y), VIEWER_NODE_BORDER);
	SDL_FreeSurface(s);
	viewer_destroy(&v);
	free_machine(m);
}

/* ---- VMA rows ---- */

static unsigned long count_resident(struct machine *m, uint64_t start, uint64_t end)
{
	struct mmu_walk_trace tr;
	unsigned long n = 0;
	for (uint64_t la = start; la < end; la += 4096)
		n += mmu_probe(&m->mmu, la, &tr);
	return n;
}

static void check_vma_rows(struct machine *m)
{
	struct vma_row rows[64];
	struct mm_struct *mm = m->kernel.current->mm;
	int n = viewer_vma_rows(m, rows, 64);
	/* The mm's VMAs in order, then the vsyscall gate of a 64-bit process. */
	assert_int_equal(n, mm->map_count + 1);
	int i = 0;
	bool stack = false, vdso = false, exe = false;
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next, i++) {
		assert_int_equal(rows[i].start, vma->vm_start);
		assert_int_equal(rows[i].end, vma->vm_end);
		assert_int_equal(rows[i].perms[0], vma->vm_flags & VM_READ ? 'r' : '-');
		assert_int_equal(rows[i].perms[1], vma->vm_flags & VM_WRITE ? 'w' : '-');
		assert_int_equal(rows[i].perms[2], vma->vm_flags & VM_EXEC ? 'x' : '-');
		assert_int_equal(rows[i].resident, count_resident(m, vma->vm_start, vma->vm_end));
		/* A file's VMA is named by its path; any other has its special name, or is the
		 * heap or the stack, or has no name at all. */
		if (vma->vm_file)
			assert_string_equal(rows[i].name, vma->vm_file->f_path);
		else if (vma->vm_special)
			assert_string_equal(rows[i].name, vma->vm_special->name);
		else if (rows[i].name[0])
			assert_true(
			    (!strcmp(rows[i].name, "[heap]") && vma->vm_start < mm->brk &&
			     vma->vm_end > mm->start_brk) ||
			    (!strcmp(rows[i].name, "[stack]") && (vma->vm_flags & VM_GROWSDOWN)));
		stack |= !strcmp(rows[i].name, "[stack]") && rows[i].resident > 0;
		vdso |= !strcmp(rows[i].name, "[vdso]");
		exe |= strstr(rows[i].name, "/guests/hello") != NULL;
	}
	assert_true(stack && vdso && exe);
	assert_string_equal(rows[n - 1].name, "[vsyscall]");
}

static void test_viewer_vma_rows_list_the_tasks_vmas_with_resident_pages(void **state)
{
	run_with_end_check("hello", check_vma_rows);
}

/* hot_pages leaves a 64-page mapping partly resident (pages here and there in one page
 * table): every row's count, read a table at a time, is what a probe of each page finds. */
static void check_resident_counts(struct machine *m)
{
	struct vma_row rows[64];
	struct mm_struct *mm = m->kernel.current->mm;
	int n = viewer_vma_rows(m, rows, 64);
	unsigned long partial = 0;
	assert_int_equal(n, mm->map_count + 1);
	for (int i = 0; i < n; i++) {
		unsigned long want = count_resident(m, rows[i].start, rows[i].end);
		assert_int_equal(rows[i].resident, want);
		partial += want > 0 && want < rows[i].pages;
	}
	assert_true(partial >= 2);
}

static void test_viewer_vma_rows_count_partly_resident_tables(void **state)
{
	run_with_end_check("hot_pages", check_resident_counts);
}

/* ---- page walk ---- */

static uint64_t read_entry(struct machine *m, uint64_t pa)
{
	uint64_t e;
	memcpy(&e, m->bus.ram + pa, 8);
	return e;
}

/* A 4-level walk of la done here: CR3 -> PML4E -> PDPTE -> PDE -> PTE (SDM 4.5.4). */
static void check_walk(struct machine *m)
{
	struct walk_model w;
	uint64_t la = stack_top_page(m->kernel.current->mm);
	viewer_walk_model(m, la, &w);
	assert_true(w.mapped);
	assert_int_equal(w.nr_steps, 4);
	uint64_t table = m->mmu.cr3 & 0x000ffffffffff000ULL;
	for (int lv = 0; lv < 4; lv++) {
		unsigned idx = (unsigned)(la >> (39 - 9 * lv)) & 511;
		assert_int_equal(w.step[lv].level, PG_PML4 + lv);
		assert_int_equal(w.step[lv].entry_pa, table + idx * 8);
		uint64_t e = read_entry(m, table + idx * 8);
		assert_int_equal(w.step[lv].entry, e);
		assert_true(e & PTE_P);
		table = e & 0x000ffffffffff000ULL;
	}
	assert_int_equal(w.pa, table);
	assert_int_equal(w.page_shift, 12);
	/* An address below every VMA is not mapped and the trace stops at an absent entry. */
	viewer_walk_model(m, 0x1000, &w);
	assert_false(w.mapped);
	assert_true(w.nr_steps >= 1);
	assert_false(w.step[w.nr_steps - 1].entry & PTE_P);
}

static void test_viewer_walk_matches_a_walk_by_hand(void **state)
{
	run_with_end_check("hello", check_walk);
}

/* ---- PNG ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads an 8-bit RGB, non-interlaced PNG whose rows all use filter 0, checking the
 * signature, every chunk's CRC and the chunk order. Returns 0x00RRGGBB pixels (malloc'd). */
static uint32_t *png_read(const char *path, unsigned *w, unsigned *h)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 24];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 8 && len < sizeof(buf));
	assert_memory_equal(buf, "\x89PNG\r\n\x1a\n", 8);
	uint8_t *idat = malloc(len);
	size_t idat_len = 0, pos = 8;
	bool ihdr = false, iend = false;
	while (pos + 12 <= len && !iend) {
		uint32_t n = be32(buf + pos);
		assert_true(pos + 12 + n <= len);
		const uint8_t *type = buf + pos + 4, *data = buf + pos + 8;
		assert_int_equal(crc32(crc32(0, type, 4), data, n), be32(data + n));
		if (!memcmp(type, "IHDR", 4)) {
			assert_int_equal(n, 13);
			*w = be32(data);
			*h = be32(data + 4);
			assert_memory_equal(data + 8, "\x08\x02\x00\x00\x00", 5);
			ihdr = true;
		} else if (!memcmp(type, "IDAT", 4)) {
			assert_true(ihdr);
			memcpy(idat + idat_len, data, n);
			idat_len += n;
		} else if (!memcmp(type, "IEND", 4)) {
			iend = true;
		}
		pos += 12 + n;
	}
	assert_true(ihdr && iend);
	uLongf raw_len = (uLongf)(*h) * (1 + *w * 3);
	uint8_t *raw = malloc(raw_len);
	assert_int_equal(uncompress(raw, &raw_len, idat, idat_len), Z_OK);
	assert_int_equal(raw_len, (uLongf)(*h) * (1 + *w * 3));
	uint32_t *px = malloc(sizeof(uint32_t) * *w * *h);
	for (unsigned y = 0; y < *h; y++) {
		const uint8_t *r = raw + y * (1 + *w * 3);
		assert_int_equal(r[0], 0);
		for (unsigned x = 0; x < *w; x++)
			px[y * *w + x] = (uint32_t)r[1 + 3 * x] << 16 |
					 (uint32_t)r[2 + 3 * x] << 8 | r[3 + 3 * x];
	}
	free(raw);
	free(idat);
	return px;
}

static void test_png_write_reads_back_the_same_pixels(void **state)
{
	enum { W = 37, H = 21, PITCH = W * 4 + 12 };
	static uint8_t img[H * PITCH];
	for (unsigned y = 0; y < H; y++)
		for (unsigned x = 0; x < W; x++)
			((uint32_t *)(img + y * PITCH))[x] =
			    (x * 7u) << 16 | (y * 11u) << 8 | (x ^ y);
	char path[] = "/tmp/mmemu-png-XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(png_write_xrgb(path, img, W, H, PITCH, err, sizeof(err)), 0);
	unsigned w, h;
	uint32_t *px = png_read(path, &w, &h);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	for (unsigned y = 0; y < H; y++)
		for (unsigned x = 0; x < W; x++)
			assert_int_equal(px[y * W + x],
					 ((uint32_t *)(img + y * PITCH))[x] & 0xffffff);
	free(px);
	unlink(path);
}

static void test_png_write_bad_path_fails_cleanly(void **state)
{
	uint32_t px = 0;
	char err[256] = "";
	assert_int_equal(png_write_xrgb("/nonexistent-dir/x.png", &px, 1, 1, 4, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.png"));
}

/* ---- the run is the same with the viewer ---- */

struct run_figures {
	uint64_t icount, walks, l1d_fills;
	unsigned long pgfault, pgalloc, nr_free;
	int status;
};

static void figures(struct machine *m, struct run_figures *f, int status)
{
	f->icount = m->cpu.icount;
	f->walks = m->mmu.st.walks;
	f->l1d_fills = m->mmu.tlb.a[TLB_L1D_4K].st.fills;
	f->pgfault = m->kernel.vm_events[PGFAULT];
	f->pgalloc = m->kernel.vm_events[PGALLOC_DMA32] + m->kernel.vm_events[PGALLOC_DMA];
	f->nr_free = (unsigned long)global_zone_page_state(&m->kernel, NR_FREE_PAGES);
	f->status = status;
}

static void test_viewer_screenshots_leave_the_run_unchanged(void **state)
{
	struct run_figures plain, viewed;
	memset(&plain, 0, sizeof(plain));
	memset(&viewed, 0, sizeof(viewed));
	int status;
	struct machine *m = new_machine();
	assert_int_equal(run_guest(m, "brk_malloc", NULL, &status), RUN_EXITED);
	figures(m, &plain, status);
	free_machine(m);

	char path[] = "/tmp/mmemu-shot-XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	m = new_machine();
	struct viewer_session *vs = calloc(1, sizeof(*vs));
	/* A screenshot in mid-run (slices cut at it) and one at the end. */
	assert_int_equal(viewer_session_start(vs, m, path, 5000, false, err, sizeof(err)), 0);
	assert_int_equal(run_guest(m, "brk_malloc", &vs->obs, &status), RUN_EXITED);
	assert_true(vs->shot_done);
	assert_int_equal(vs->shot_result, 0);
	figures(m, &viewed, status);
	assert_memory_equal(&plain, &viewed, sizeof(plain));
	unsigned w, h;
	free(png_read(path, &w, &h));
	assert_int_equal(w, VIEWER_WIDTH);
	assert_int_equal(h, VIEWER_HEIGHT);
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
	unlink(path);
}

/* ---- zoom, pan and the grid's geometry ---- */

static void check_view_geometry(struct machine *m)
{
	struct viewer v;
	start_viewer(&v, m);
	/* Fitted: every frame has a cell, one frame per cell for 64 MiB. */
	assert_int_equal(v.per_cell, 1);
	assert_true((unsigned long)viewer_cols(&v) * viewer_rows(&v) >= v.nr_frames);
	unsigned long pfn;
	SDL_Rect r;
	for (unsigned long p = 0; p < v.nr_frames; p += 997) {
		assert_true(viewer_cell_rect(&v, p, &r));
		assert_true(viewer_pfn_at(&v, r.x + r.w / 2, r.y + r.h / 2, &pfn));
		assert_int_equal(pfn, p);
	}
	unsigned cell = v.cell;
	viewer_zoom(&v, 1, r.x, r.y);
	assert_int_equal(v.cell, cell * 2);
	viewer_zoom(&v, -2, r.x, r.y);
	assert_int_equal(v.cell, cell / 2 ? cell / 2 : 1);
	viewer_fit(&v);
	viewer_zoom(&v, 2, v.phys.x, v.phys.y);
	unsigned long row = viewer_cols(&v) * v.per_cell;
	viewer_pan_rows(&v, 3);
	assert_int_equal(v.first_pfn, 3 * row);
	viewer_pan_rows(&v, -10);
	assert_int_equal(v.first_pfn, 0);
	viewer_pan_rows(&v, 1L << 30); /* clamped to the last row */
	assert_true(v.first_pfn < v.nr_frames && v.first_pfn + row > v.nr_frames - 1);
	viewer_destroy(&v);
}

static void test_viewer_zoom_and_pan_keep_cells_and_frames_in_step(void **state)
{
	run_with_end_check("hello", check_view_geometry);
}

/* ---- the live window, on SDL's offscreen video driver ---- */

struct call {
	uint64_t icount;
	unsigned long pgfault;
	unsigned cpl;
};

/* Records the machine at every slice, then hands over to the session. */
struct recorder {
	struct viewer_session *vs;
	int n;
	struct call calls[1 << 16];
	int prev_bytes[2]; /* at the end: the two bytes before RIP, -1: unmapped */
	unsigned end_cpl;  /* at the end: CPL */
	bool quit_at_end;  /* the user quits as the program ends (q queued before at_end) */
	/* Pictures while running: */
	double run_cpu;	     /* CPU time of this thread at the first slice in LIVE_RUNNING */
	double picture_cpu;  /* ... at the first slice after the first picture */
	uint64_t picture_at; /* instructions the machine had run in that picture */
};

static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void push_key(SDL_Keycode key);

static bool record_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct recorder *r = ctx;
	if (r->n < (int)(sizeof(r->calls) / sizeof(r->calls[0])))
		r->calls[r->n++] =
		    (struct call){m->cpu.icount, m->kernel.vm_events[PGFAULT], m->mmu.cpl};
	if (r->vs->mode == LIVE_RUNNING && !r->run_cpu)
		r->run_cpu = thread_cpu_ms();
	if (r->vs->redraws && !r->picture_cpu) {
		r->picture_cpu = thread_cpu_ms();
		r->picture_at = r->vs->v.moved_key[0];
	}
	return r->vs->obs.before_slice(r->vs->obs.ctx, m, slice);
}

static void record_end(void *ctx, struct machine *m, enum run_result res)
{
	struct recorder *r = ctx;
	struct mmu_walk_trace tr;
	for (int i = 0; i < 2; i++)
		r->prev_bytes[i] =
		    mmu_probe(&m->mmu, m->cpu.rip - 2 + (uint64_t)i, &tr) ? m->bus.ram[tr.pa] : -1;
	r->end_cpl = m->mmu.cpl;
	if (r->quit_at_end)
		push_key(SDLK_q);
	r->vs->obs.at_end(r->vs->obs.ctx, m, res);
}

static void push_key(SDL_Keycode key)
{
	SDL_Event e = {.type = SDL_KEYDOWN};
	e.key.keysym.sym = key;
	assert_int_equal(SDL_PushEvent(&e), 1);
}

static struct viewer_session *live_session(struct machine *m)
{
	char err[256];
	struct viewer_session *vs = calloc(1, sizeof(*vs));

	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	if (viewer_session_start(vs, m, NULL, 0, true, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return vs;
}

static void test_viewer_live_keys_step_run_to_a_fault_and_quit(void **state)
{
	struct machine *m = new_machine();
	struct viewer_session *vs = live_session(m);
	struct recorder *r = calloc(1, sizeof(*r));
	r->vs = vs;
	struct run_observer obs = {record_slice, record_end, r};
	push_key(SDLK_s);
	push_key(SDLK_s);
	push_key(SDLK_f);
	push_key(SDLK_q);
	int status;
	assert_int_equal(run_guest(m, "hello", &obs, &status), RUN_LIMIT);
	assert_non_null(strstr(m->stop_reason, "quit in the viewer"));
	/* Two single steps (an instruction retired, or an exception taken into the kernel or
	 * handled out of it), then single steps up to the first handled page fault. */
	assert_true(r->n >= 4);
	for (int i = 1; i <= 2; i++)
		assert_true(r->calls[i].icount == r->calls[i - 1].icount + 1 ||
			    (r->calls[i].icount == r->calls[i - 1].icount &&
			     r->calls[i].cpl != r->calls[i - 1].cpl));
	struct call *last = &r->calls[r->n - 1];
	assert_int_equal(last->pgfault, r->calls[2].pgfault + 1);
	assert_int_equal(last->cpl, 3);
	for (int i = 3; i < r->n - 1; i++)
		assert_true(r->calls[i].pgfault == r->calls[2].pgfault || r->calls[i].cpl != 3);
	assert_int_equal(m->cpu.icount, last->icount);
	free(r);
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
}

static void test_viewer_live_syscall_key_stops_after_the_call(void **state)
{
	struct machine *m = new_machine();
	struct viewer_session *vs = live_session(m);
	struct recorder *r = calloc(1, sizeof(*r));
	r->vs = vs;
	struct run_observer obs = {record_slice, record_end, r};
	push_key(SDLK_c);
	push_key(SDLK_q);
	int status;
	assert_int_equal(run_guest(m, "hello_asm64", &obs, &status), RUN_LIMIT);
	/* Stopped in user mode right after the program's first SYSCALL (0f 05). */
	assert_int_equal(r->end_cpl, 3);
	assert_int_equal(r->prev_bytes[0], 0x0f);
	assert_int_equal(r->prev_bytes[1], 0x05);
	/* The steps before it were single ones. */
	for (int i = 1; i < r->n; i++)
		assert_true(r->calls[i].icount <= r->calls[i - 1].icount + 1);
	free(r);
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
}

/* Runs guest name with one argument on m with observer obs. */
static enum run_result run_guest_arg(struct machine *m, const char *name, const char *arg,
				     const struct run_observer *obs, int *status)
{
	const char *path = guest_path(name);
	const char *argv[] = {path, arg, NULL};
	const char *envp[] = {"A=1", NULL};
	struct run_options o = {.host_path = path,
				.filename = path,
				.argc = 2,
				.argv = argv,
				.envc = 1,
				.envp = envp,
				.observer = obs};
	return machine_run_program(m, &o, status);
}

/* A run set going and quit as it ends, before the window had drawn anything (the input
 * was queued): no picture is drawn, neither of the machine before its first instruction
 * nor of its final state, which nobody would see. (hello ends before the window first
 * looks at the pace.) */
static void test_viewer_live_queued_run_and_quit_draw_no_picture(void **state)
{
	struct machine *m = new_machine();
	struct viewer_session *vs = live_session(m);
	struct recorder *r = calloc(1, sizeof(*r));
	r->vs = vs;
	r->quit_at_end = true;
	struct run_observer obs = {record_slice, record_end, r};
	push_key(SDLK_SPACE);
	int status;
	assert_int_equal(run_guest(m, "hello", &obs, &status), RUN_EXITED);
	assert_true(vs->ended);
	assert_true(vs->quit);
	assert_int_equal(vs->redraws, 0);
	free(r);
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
}

/* While the guest runs, the window shows it, but the first picture waits until the guest
 * has run one interval of the pace (emu/viewer_pace.h: 24 times 5 ms of CPU time before
 * a picture has been measured). The run takes some 250 M instructions, several intervals
 * even at the fastest the CPU runs. */
static void test_viewer_live_running_first_picture_waits_one_interval(void **state)
{
	struct machine *m = new_machine();
	struct viewer_session *vs = live_session(m);
	struct recorder *r = calloc(1, sizeof(*r));
	r->vs = vs;
	r->quit_at_end = true;
	struct run_observer obs = {record_slice, record_end, r};
	push_key(SDLK_SPACE);
	int status;
	assert_int_equal(run_guest_arg(m, "hot_pages", "200000", &obs, &status), RUN_EXITED);
	assert_true(vs->redraws >= 1);
	assert_true(r->run_cpu > 0);
	assert_true(r->picture_cpu > 0);
	/* Seen from a slice after running began (one slice, at most 65 536 instructions,
	 * after it), up to a slice after the picture. */
	if (r->picture_cpu - r->run_cpu < 100.0)
		fail_msg("first picture %.1f ms of CPU time after running began",
			 r->picture_cpu - r->run_cpu);
	/* It showed the machine part of the way. */
	assert_true(r->picture_at > 0);
	assert_true(r->picture_at < m->cpu.icount);
	free(r);
	viewer_session_end(vs);
	free(vs);
	free_machine(m);
}

/* Mouse and keys on the view, the events built as SDL delivers them. */
static void check_view_input(struct machine *m)
{
	struct viewer_session *vs = live_session(m);
	struct viewer *v = &vs->v;
	viewer_update(v);
	SDL_Rect r;
	unsigned long target = v->nr_frames / 2;
	assert_true(viewer_cell_rect(v, target, &r));
	SDL_Event e = {.type = SDL_MOUSEBUTTONDOWN};
	e.button.button = SDL_BUTTON_LEFT;
	e.button.x = r.x + r.w / 2;
	e.button.y = r.y + r.h / 2;
	viewer_session_event(vs, &e);
	assert_int_equal(v->selected_pfn, (long)target);
	e = (SDL_Event){.type = SDL_MOUSEBUTTONUP};
	viewer_session_event(vs, &e);

	unsigned cell = v->cell;
	e = (SDL_Event){.type = SDL_KEYDOWN};
	e.key.keysym.sym = SDLK_PLUS;
	viewer_session_event(vs, &e);
	assert_int_equal(v->cell, cell * 2);
	unsigned long first = v->first_pfn;
	e.key.keysym.sym = SDLK_DOWN;
	viewer_session_event(vs, &e);
	assert_int_equal(v->first_pfn, first + viewer_cols(v) * v->per_cell);
	e.key.keysym.sym = SDLK_HOME;
	viewer_session_event(vs, &e);
	assert_int_equal(v->cell, cell);
	assert_int_equal(v->first_pfn, 0);
	e.key.keysym.sym = SDLK_QUESTION;
	viewer_session_event(vs, &e);
	assert_true(v->show_help);

	/* A click on the third VMA row walks that VMA. */
	e = (SDL_Event){.type = SDL_MOUSEBUTTONDOWN};
	e.button.button = SDL_BUTTON_LEFT;
	e.button.x = v->vmas.x + 20;
	e.button.y = v->vmas.y + v->line_h + 4 + 2 * v->line_h + 2;
	viewer_session_event(vs, &e);
	assert_int_equal(v->selected_la, v->rows[2].start);
	assert_true(v->la_chosen);

	assert_false(vs->quit);
	e = (SDL_Event){.type = SDL_QUIT};
	viewer_session_event(vs, &e);
	assert_true(vs->quit);
	viewer_session_end(vs);
	free(vs);
}

static void test_viewer_live_mouse_and_keys_select_zoom_and_pan(void **state)
{
	run_with_end_check("hello", check_view_input);
}

/* ---- counters over time ---- */

struct history_run {
	struct viewer v;
	int updates;
};

/* An update every slice of 5000 instructions, as the running window does per picture. */
static bool history_slice(void *ctx, struct machine *m, uint64_t *slice)
{
	struct history_run *h = ctx;
	if (*slice > 5000)
		*slice = 5000;
	viewer_update(&h->v);
	viewer_update(&h->v); /* the machine has not moved: no new sample */
	h->updates++;
	return true;
}

static void history_end(void *ctx, struct machine *m, enum run_result r)
{
	struct history_run *h = ctx;
	struct viewer *v = &h->v;
	viewer_update(v);
	assert_int_equal(v->nr_hist, h->updates + 1 < VIEWER_HISTORY ? h->updates + 1 : VIEWER_HISTORY);
	const struct counter_sample *now = &v->hist[(v->hist_pos + VIEWER_HISTORY - 1) % VIEWER_HISTORY];
	struct kernel *k = &m->kernel;
	assert_int_equal(now->icount, m->cpu.icount);
	assert_int_equal(now->pgfault, k->vm_events[PGFAULT]);
	assert_int_equal(now->free, (unsigned long)global_zone_page_state(k, NR_FREE_PAGES));
	assert_int_equal(now->lru[1], (unsigned long)global_node_page_state(k, NR_ACTIVE_ANON));
	assert_int_equal(now->lru[0] + now->lru[1],
			 (unsigned long)(global_node_page_state(k, NR_INACTIVE_ANON) +
					 global_node_page_state(k, NR_ACTIVE_ANON)));
	assert_true(now->lru[0] + now->lru[1] > 0); /* the heap's and stack's pages */
	assert_int_equal(now->swap_total, 0);	     /* no --swap */
	/* Samples in order of time, faults never going back. */
	for (int i = 1; i < v->nr_hist; i++) {
		const struct counter_sample *a = &v->hist[(v->hist_pos + VIEWER_HISTORY - v->nr_hist + i - 1) % VIEWER_HISTORY];
		const struct counter_sample *b = &v->hist[(v->hist_pos + VIEWER_HISTORY - v->nr_hist + i) % VIEWER_HISTORY];
		assert_true(a->icount < b->icount);
		assert_true(a->pgfault <= b->pgfault);
	}
	SDL_Surface *s = render(v);
	SDL_FreeSurface(s);
}

static void test_viewer_history_samples_the_counters_once_per_move(void **state)
{
	struct machine *m = new_machine();
	struct history_run *h = calloc(1, sizeof(*h));
	start_viewer(&h->v, m);
	h->v.nr_hist = 0; /* start_viewer's update took one */
	h->v.hist_pos = 0;
	struct run_observer obs = {history_slice, history_end, h};
	int status;
	assert_int_equal(run_guest(m, "brk_malloc", &obs, &status), RUN_EXITED);
	assert_true(h->updates > 3);
	viewer_destroy(&h->v);
	free(h);
	free_machine(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_viewer_frames_known_owners_have_their_class_and_colour),
	    cmocka_unit_test(test_viewer_borders_mark_zone_and_node_starts),
	    cmocka_unit_test(test_viewer_vma_rows_list_the_tasks_vmas_with_resident_pages),
	    cmocka_unit_test(test_viewer_vma_rows_count_partly_resident_tables),
	    cmocka_unit_test(test_viewer_walk_matches_a_walk_by_hand),
	    cmocka_unit_test(test_png_write_reads_back_the_same_pixels),
	    cmocka_unit_test(test_png_write_bad_path_fails_cleanly),
	    cmocka_unit_test(test_viewer_screenshots_leave_the_run_unchanged),
	    cmocka_unit_test(test_viewer_zoom_and_pan_keep_cells_and_frames_in_step),
	    cmocka_unit_test(test_viewer_live_keys_step_run_to_a_fault_and_quit),
	    cmocka_unit_test(test_viewer_live_syscall_key_stops_after_the_call),
	    cmocka_unit_test(test_viewer_live_queued_run_and_quit_draw_no_picture),
	    cmocka_unit_test(test_viewer_live_running_first_picture_waits_one_interval),
	    cmocka_unit_test(test_viewer_live_mouse_and_keys_select_zoom_and_pan),
	    cmocka_unit_test(test_viewer_history_samples_the_counters_once_per_move),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
