/*
 * MMU benchmarks: the cost of a translated read on a TLB hit through the fast path (with
 * and without exact statistics), through the modelled TLB alone, and of full 4- and
 * 5-level walks. Every figure is printed with its ratio to a reference measured in the
 * same run: a plain host read of the same bytes at the same offsets.
 *
 * Three working sets of 16 4K pages: "spread" (consecutive pages, one per L1 DTLB set),
 * "conflict" (four pages in each of four sets of the Skylake L1 DTLB, 16 sets of 4 ways, so
 * that consecutive reads often use different entries of one set) and "2M" (the spread
 * pages, mapped by one 2M page: its fast entries start out of line and become the inline
 * ones after the first few thousand hits).
 *
 * The machine may be shared: every variant runs many short passes interleaved with the
 * others. Each figure is the variant's fastest pass; the statistics overhead is also given
 * as the median and quartiles of the ratio of passes run back to back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu/mmu.h"

#define RAM (64u << 20)
#define PAGES 16   /* working set: fits the L1 DTLB and the fast path */
#define NADDR 4096 /* addresses per pass, precomputed */
#define LA_BASE 0x00007f0000000000ULL
#define PA_BASE 0x01000000ULL

static uint64_t next_table = 0x100000;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t new_table(struct phys_bus *bus)
{
	uint64_t pa = next_table;
	next_table += 4096;
	memset(bus->ram + pa, 0, 4096);
	return pa;
}

/* Maps la -> pa (4K) in tables of levels levels rooted at root. */
static void map4k(struct phys_bus *bus, uint64_t root, int levels, uint64_t la, uint64_t pa)
{
	uint64_t table = root;
	for (int lvl = levels - 1; lvl > 0; lvl--) {
		uint64_t *e = (uint64_t *)(bus->ram + table + ((la >> (12 + 9 * lvl)) & 511) * 8);
		if (!*e)
			*e = new_table(bus) | PTE_P | PTE_RW | PTE_US;
		table = *e & ~0xfffULL;
	}
	uint64_t *pte = (uint64_t *)(bus->ram + table + ((la >> 12) & 511) * 8);
	*pte = pa | PTE_P | PTE_RW | PTE_US;
}

enum layout { SPREAD, CONFLICT, LARGE };

/* Page number (from LA_BASE and PA_BASE) of working-set page i. */
static unsigned page_of(enum layout l, unsigned i)
{
	return l == CONFLICT ? (i % 4) + 16 * (i / 4) : i;
}

/* Maps the 2M page of la -> pa (2M-aligned) in 4-level tables rooted at root. */
static void map2m(struct phys_bus *bus, uint64_t root, uint64_t la, uint64_t pa)
{
	uint64_t table = root;
	for (int lvl = 3; lvl > 1; lvl--) {
		uint64_t *e = (uint64_t *)(bus->ram + table + ((la >> (12 + 9 * lvl)) & 511) * 8);
		if (!*e)
			*e = new_table(bus) | PTE_P | PTE_RW | PTE_US;
		table = *e & ~0xfffULL;
	}
	uint64_t *pde = (uint64_t *)(bus->ram + table + ((la >> 21) & 511) * 8);
	*pde = pa | PTE_P | PTE_RW | PTE_US | PTE_PS;
}

static void setup(struct phys_bus *bus, struct mmu *m, const char *tlb, bool la57,
		  enum layout layout)
{
	struct tlb_config cfg;
	struct x86_fault f;
	char err[128];
	tlb_config_default(&cfg);
	if (tlb && tlb_config_parse(&cfg, tlb, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	next_table = 0x100000;
	if (bus_init(bus, RAM) || mmu_init(m, bus, &cfg)) {
		fprintf(stderr, "bench_mmu: setup failed\n");
		exit(1);
	}
	uint64_t root = new_table(bus);
	for (unsigned i = 0; i < PAGES && layout != LARGE; i++) {
		uint64_t off = page_of(layout, i) * 4096ULL;
		map4k(bus, root, la57 ? 5 : 4, LA_BASE + off, PA_BASE + off);
	}
	if (layout == LARGE)
		map2m(bus, root, LA_BASE, PA_BASE);
	mmu_set_cr4(m, CR4_PAE | (la57 ? CR4_LA57 : 0), &f);
	mmu_set_efer(m, EFER_LME | EFER_NXE, &f);
	mmu_set_cr3(m, root, &f);
	mmu_set_cr0(m, CR0_PE | CR0_PG | CR0_WP, &f);
}

static uint32_t offs[NADDR];

static void make_offsets(enum layout layout)
{
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < NADDR; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		offs[i] = (uint32_t)(page_of(layout, x % PAGES) * 4096 + ((x >> 20) % 512) * 8);
	}
}

static volatile uint64_t sink;

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* ns per read of a plain host array read of the same bytes. */
static double bench_reference(const uint8_t *host, long iters)
{
	uint64_t sum = 0;
	double t0 = now_ns();
	for (long n = 0; n < iters; n += NADDR)
		for (int i = 0; i < NADDR; i++) {
			uint64_t v;
			memcpy(&v, host + offs[i], 8);
			sum += v;
		}
	double t = now_ns() - t0;
	sink = sum;
	return t / iters;
}

static double bench_fast(struct mmu *m, long iters)
{
	struct x86_fault f;
	uint64_t sum = 0;
	double t0 = now_ns();
	for (long n = 0; n < iters; n += NADDR)
		for (int i = 0; i < NADDR; i++) {
			uint64_t v;
			if (!mmu_read(m, LA_BASE + offs[i], 8, &v, 0, &f))
				abort();
			sum += v;
		}
	double t = now_ns() - t0;
	sink = sum;
	return t / iters;
}

/* The modelled TLB without the fast path: mmu_translate + a bus read. */
static double bench_tlb(struct mmu *m, long iters)
{
	struct x86_fault f;
	uint64_t sum = 0;
	double t0 = now_ns();
	for (long n = 0; n < iters; n += NADDR)
		for (int i = 0; i < NADDR; i++) {
			uint64_t pa;
			if (!mmu_translate(m, LA_BASE + offs[i], MMU_READ, &pa, &f))
				abort();
			sum += bus_load(m->bus, pa, 8);
		}
	double t = now_ns() - t0;
	sink = sum;
	return t / iters;
}

#define REPS 201

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Fast-path figures of one working set. */
struct hit_figures {
	double ref, exact, off;		      /* fastest pass, ns per read */
	double ratio_q1, ratio_med, ratio_q3; /* exact/off of passes run back to back */
};

static void bench_hits(enum layout layout, long iters, struct hit_figures *h, uint64_t *l1d_hits)
{
	struct phys_bus bus;
	struct mmu m;
	static double ratio[REPS];
	make_offsets(layout);
	setup(&bus, &m, NULL, false, layout);
	const uint8_t *host = bus.ram + PA_BASE;
	bench_fast(&m, NADDR); /* warm the TLB and the fast path */
	h->ref = h->exact = h->off = 1e9;
	for (int rep = 0; rep < REPS; rep++) {
		h->ref = min_d(h->ref, bench_reference(host, iters));
		double e = bench_fast(&m, iters);
		m.exact_stats = false;
		double o = bench_fast(&m, iters);
		m.exact_stats = true;
		h->exact = min_d(h->exact, e);
		h->off = min_d(h->off, o);
		ratio[rep] = e / o;
	}
	qsort(ratio, REPS, sizeof(*ratio), cmp_double);
	h->ratio_q1 = ratio[REPS / 4];
	h->ratio_med = ratio[REPS / 2];
	h->ratio_q3 = ratio[3 * REPS / 4];
	*l1d_hits = mmu_tlb_level_hits(&m, TLB_LEVEL_L1D);
	mmu_destroy(&m);
	bus_destroy(&bus);
}

static void print_hits(const char *name, const struct hit_figures *h)
{
	printf("  %-8s reference (host array read)     %6.2f ns/read\n", name, h->ref);
	printf("  %-8s fast-path hit, exact statistics %6.2f ns/read  %5.2fx reference  "
	       "%.0f M/s\n",
	       name, h->exact, h->exact / h->ref, 1e3 / h->exact);
	printf("  %-8s fast-path hit, statistics off   %6.2f ns/read  %5.2fx reference  "
	       "%.0f M/s\n",
	       name, h->off, h->off / h->ref, 1e3 / h->off);
	printf("  %-8s exact statistics overhead       %+5.1f %% (fastest passes), "
	       "%+5.1f %% median of %d pairs (quartiles %+.1f %+.1f)\n",
	       name, (h->exact / h->off - 1) * 100, (h->ratio_med - 1) * 100, REPS,
	       (h->ratio_q1 - 1) * 100, (h->ratio_q3 - 1) * 100);
}

int main(void)
{
	struct phys_bus bus;
	struct mmu m;
	long hit_iters = 1L << 18, walk_iters = 1L << 20;
	struct hit_figures spread, conflict, large;
	uint64_t l1d_hits, l1d_hits_conflict, l1d_hits_large;

	bench_hits(SPREAD, hit_iters, &spread, &l1d_hits);
	bench_hits(CONFLICT, hit_iters / 4, &conflict, &l1d_hits_conflict);
	bench_hits(LARGE, hit_iters / 4, &large, &l1d_hits_large);

	make_offsets(SPREAD);
	setup(&bus, &m, NULL, false, SPREAD);
	bench_fast(&m, NADDR);
	double tlb = 1e9;
	for (int rep = 0; rep < 7; rep++)
		tlb = min_d(tlb, bench_tlb(&m, hit_iters));
	mmu_destroy(&m);
	bus_destroy(&bus);

	double walk[2];
	for (int la57 = 0; la57 < 2; la57++) {
		/* No TLB, no page-walk caches: every translation is a full walk. */
		setup(&bus, &m, "none", la57, SPREAD);
		walk[la57] = 1e9;
		for (int rep = 0; rep < 3; rep++)
			walk[la57] = min_d(walk[la57], bench_tlb(&m, walk_iters));
		mmu_destroy(&m);
		bus_destroy(&bus);
	}

	printf("bench_mmu: 8-byte reads over %d pages, %d addresses per pass\n", PAGES, NADDR);
	print_hits("spread", &spread);
	print_hits("conflict", &conflict);
	print_hits("2M", &large);
	printf("  modelled L1 TLB hit (no fast path)   %6.2f ns/read  %5.2fx reference\n", tlb,
	       tlb / spread.ref);
	printf("  full 4-level walk (no TLB, no PWC)   %6.2f ns/translation  %5.1fx reference\n",
	       walk[0], walk[0] / spread.ref);
	printf("  full 5-level walk (no TLB, no PWC)   %6.2f ns/translation  %5.1fx reference\n",
	       walk[1], walk[1] / spread.ref);
	printf("  (L1 DTLB hits counted: spread %llu, conflict %llu, 2M %llu)\n",
	       (unsigned long long)l1d_hits, (unsigned long long)l1d_hits_conflict,
	       (unsigned long long)l1d_hits_large);
	return 0;
}
