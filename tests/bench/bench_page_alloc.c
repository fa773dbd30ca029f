/*
 * Page allocator throughput: order-0 alloc+free pairs through the per-cpu lists and
 * straight from the buddy free lists, next to the host's malloc/free of 4 KiB measured in
 * the same run. Two patterns: a pair at a time (the pcp hot path) and bursts of 256
 * allocations then 256 frees (refill and drain in batches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "emu/machine.h"
#include "kernel-sim/page_alloc.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum { PAIRS = 20 * 1000 * 1000, BURST = 256 };

static double bench_pairs(struct kernel *k)
{
	double t0 = now_ns();
	for (int i = 0; i < PAIRS; i++) {
		struct page *page = alloc_pages(k, GFP_KERNEL, 0);
		__free_pages(k, page, 0);
	}
	return (now_ns() - t0) / PAIRS;
}

static double bench_bursts(struct kernel *k)
{
	static struct page *pages[BURST];
	double t0 = now_ns();
	for (int r = 0; r < PAIRS / BURST; r++) {
		for (int i = 0; i < BURST; i++)
			pages[i] = alloc_pages(k, GFP_KERNEL, 0);
		for (int i = 0; i < BURST; i++)
			__free_pages(k, pages[i], 0);
	}
	return (now_ns() - t0) / ((double)(PAIRS / BURST) * BURST);
}

static double bench_malloc_pairs(void)
{
	double t0 = now_ns();
	for (int i = 0; i < PAIRS; i++) {
		void *volatile p = malloc(4096);
		free(p);
	}
	return (now_ns() - t0) / PAIRS;
}

static double bench_malloc_bursts(void)
{
	static void *volatile ptrs[BURST];
	double t0 = now_ns();
	for (int r = 0; r < PAIRS / BURST; r++) {
		for (int i = 0; i < BURST; i++)
			ptrs[i] = malloc(4096);
		for (int i = 0; i < BURST; i++)
			free(ptrs[i]);
	}
	return (now_ns() - t0) / ((double)(PAIRS / BURST) * BURST);
}

int main(void)
{
	struct boot_params p;
	struct machine m;
	char err[256];
	boot_params_default(&p);
	if (boot_params_finish(&p, err, sizeof(err)) < 0 || machine_create(&m, &p, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_page_alloc: %s\n", err);
		return 1;
	}
	struct kernel *k = &m.kernel;
	double pcp_pair = bench_pairs(k), pcp_burst = bench_bursts(k);
	drain_all_pages(k);
	k->pcp_disabled = true;
	double buddy_pair = bench_pairs(k), buddy_burst = bench_bursts(k);
	double host_pair = bench_malloc_pairs(), host_burst = bench_malloc_bursts();
	printf("page allocator, order-0 alloc+free (512M machine, %d pairs each):\n", PAIRS);
	printf("  %-34s %8.1f ns/pair  %6.1f M pairs/s\n", "pcp lists, one at a time", pcp_pair,
	       1e3 / pcp_pair);
	printf("  %-34s %8.1f ns/pair  %6.1f M pairs/s\n", "pcp lists, bursts of 256", pcp_burst,
	       1e3 / pcp_burst);
	printf("  %-34s %8.1f ns/pair  %6.1f M pairs/s\n", "buddy lists only, one at a time",
	       buddy_pair, 1e3 / buddy_pair);
	printf("  %-34s %8.1f ns/pair  %6.1f M pairs/s\n", "buddy lists only, bursts of 256",
	       buddy_burst, 1e3 / buddy_burst);
	printf("  %-34s %8.1f ns/pair\n", "host malloc/free 4K, one at a time", host_pair);
	printf("  %-34s %8.1f ns/pair\n", "host malloc/free 4K, bursts of 256", host_burst);
	printf("  ratio pcp/host: %.2f (pairs), %.2f (bursts)\n", pcp_pair / host_pair,
	       pcp_burst / host_burst);
	machine_destroy(&m);
	return 0;
}
