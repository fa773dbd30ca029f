/*
 * MMU benchmarks: the cost of a translated read on a TLB hit through the fast path (with
 * and without exact statistics), through the modelled TLB alone, and of full 4- and
 * 5-level walks. Every figure is printed with its ratio to a reference measured in the
 * same run: a plain host read of the same bytes at the same offsets.
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
	clock_gettime(CLOCK_MONOTONIC, &ts);
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

static void setup(struct phys_bus *bus, struct mmu *m, const char *tlb, bool la57)
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
	for (int i = 0; i < PAGES; i++)
		map4k(bus, root, la57 ? 5 : 4, LA_BASE + i * 4096ULL, PA_BASE + i * 4096ULL);
	mmu_set_cr4(m, CR4_PAE | (la57 ? CR4_LA57 : 0), &f);
	mmu_set_efer(m, EFER_LME | EFER_NXE, &f);
	mmu_set_cr3(m, root, &f);
	mmu_set_cr0(m, CR0_PE | CR0_PG | CR0_WP, &f);
}

static uint32_t offs[NADDR];

static void make_offsets(void)
{
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < NADDR; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		offs[i] = (uint32_t)((x % PAGES) * 4096 + ((x >> 20) % 512) * 8);
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

int main(void)
{
	struct phys_bus bus;
	struct mmu m;
	long hit_iters = 1L << 23, walk_iters = 1L << 20;
	make_offsets();

	setup(&bus, &m, NULL, false);
	const uint8_t *host = bus.ram + PA_BASE;
	bench_fast(&m, NADDR); /* warm the TLB and the fast path */
	/* The machine may be shared: interleave the variants, keep each one's best run. */
	double ref = 1e9, exact = 1e9, approx = 1e9, tlb = 1e9;
	for (int rep = 0; rep < 7; rep++) {
		ref = min_d(ref, bench_reference(host, hit_iters));
		exact = min_d(exact, bench_fast(&m, hit_iters));
		m.exact_stats = false;
		approx = min_d(approx, bench_fast(&m, hit_iters));
		m.exact_stats = true;
		tlb = min_d(tlb, bench_tlb(&m, hit_iters / 8));
	}
	uint64_t l1d_hits = mmu_tlb_level_hits(&m, TLB_LEVEL_L1D);
	mmu_destroy(&m);
	bus_destroy(&bus);

	double walk[2];
	for (int la57 = 0; la57 < 2; la57++) {
		/* No TLB, no page-walk caches: every translation is a full walk. */
		setup(&bus, &m, "none", la57);
		walk[la57] = 1e9;
		for (int rep = 0; rep < 3; rep++)
			walk[la57] = min_d(walk[la57], bench_tlb(&m, walk_iters));
		mmu_destroy(&m);
		bus_destroy(&bus);
	}

	printf("bench_mmu: 8-byte reads over %d pages, %d addresses per pass\n", PAGES, NADDR);
	printf("  reference (host array read)          %6.2f ns/read\n", ref);
	printf("  fast-path hit, exact statistics      %6.2f ns/read  %5.2fx reference  "
	       "%.0f M/s\n",
	       exact, exact / ref, 1e3 / exact);
	printf("  fast-path hit, statistics off        %6.2f ns/read  %5.2fx reference  "
	       "%.0f M/s\n",
	       approx, approx / ref, 1e3 / approx);
	printf("  exact statistics overhead            %+5.1f %%\n", (exact / approx - 1) * 100);
	printf("  modelled L1 TLB hit (no fast path)   %6.2f ns/read  %5.2fx reference\n", tlb,
	       tlb / ref);
	printf("  full 4-level walk (no TLB, no PWC)   %6.2f ns/translation  %5.1fx reference\n",
	       walk[0], walk[0] / ref);
	printf("  full 5-level walk (no TLB, no PWC)   %6.2f ns/translation  %5.1fx reference\n",
	       walk[1], walk[1] / ref);
	printf("  (best of several interleaved runs; L1 DTLB hits counted: %llu)\n",
	       (unsigned long long)l1d_hits);
	return 0;
}
