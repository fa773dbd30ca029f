/*
 * Reclaim and swap throughput: a 64 MiB machine with a 256 MiB swap area writes 192 MiB of
 * anonymous memory through the fault path (direct reclaim and kswapd swap the excess out),
 * then reads it all back (swap-in with readahead). Printed per phase: pages scanned and
 * reclaimed per second of host time, pages swapped out / in per second, and those rates
 * against host memcpy of the same number of 4 KiB pages measured in the same run. Run once
 * with the swap area in host memory and once with zswap in front of it (with the
 * compression ratio the pool achieved). Times are the process's CPU time, so a busy
 * host does not skew them.
 *
 *   cmake --build build --target bench_reclaim && ./build/tests/bench_reclaim
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/zswap.h"

#define RAM_MB 64
#define SWAP_MB 256
#define USE_MB 192
#define BASE 0x10000000UL

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pages per second host memcpy moves, one 4 KiB page at a time over a large buffer. */
static double memcpy_pages_per_s(unsigned long pages)
{
	uint8_t *src = malloc(pages * PAGE_SIZE), *dst = malloc(pages * PAGE_SIZE);
	memset(src, 1, pages * PAGE_SIZE);
	memset(dst, 0, pages * PAGE_SIZE);
	double t = now_s();
	for (unsigned long i = 0; i < pages; i++)
		memcpy(dst + i * PAGE_SIZE, src + ((i * 7919) % pages) * PAGE_SIZE, PAGE_SIZE);
	t = now_s() - t;
	volatile uint8_t sink = dst[pages * PAGE_SIZE / 2];
	(void)sink;
	free(src);
	free(dst);
	return (double)pages / t;
}

struct phase {
	double seconds;
	unsigned long scanned, stolen, swapped;
};

static unsigned long scanned(const struct kernel *k)
{
	return k->vm_events[PGSCAN_KSWAPD] + k->vm_events[PGSCAN_DIRECT];
}
static unsigned long stolen(const struct kernel *k)
{
	return k->vm_events[PGSTEAL_KSWAPD] + k->vm_events[PGSTEAL_DIRECT];
}

/* Writes (or reads back) one 1 KiB run of text-like data per page: compressible, as most
 * anonymous memory is. */
static struct phase run_phase(struct kernel *k, struct mm_struct *mm, bool write)
{
	struct phase p = {0};
	unsigned long pages = (USE_MB << 20) / PAGE_SIZE, s0 = scanned(k), r0 = stolen(k);
	unsigned long w0 = k->vm_events[write ? PSWPOUT : PSWPIN];
	char buf[1024];
	double t = now_s();
	for (unsigned long i = 0; i < pages; i++) {
		unsigned long va = BASE + i * PAGE_SIZE;
		if (write) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = "the quick brown fox "[j % 20] + (char)(i & 3);
			copy_to_user_mm(k, mm, va, buf, sizeof(buf));
		} else {
			copy_from_user_mm(k, mm, buf, va, sizeof(buf));
			if (buf[0] != 't' + (char)(i & 3)) {
				fprintf(stderr, "bench_reclaim: page %lu corrupt\n", i);
				exit(1);
			}
		}
		kswapd_run_pending(k); /* the safe point a return to user mode would be */
	}
	p.seconds = now_s() - t;
	p.scanned = scanned(k) - s0;
	p.stolen = stolen(k) - r0;
	p.swapped = k->vm_events[write ? PSWPOUT : PSWPIN] - w0;
	return p;
}

static int bench(bool zswap, double ref)
{
	struct boot_params bp;
	struct phys_bus bus;
	static struct kernel k;
	char err[200];
	memset(&k, 0, sizeof(k));
	boot_params_default(&bp);
	bp.ram_size = (uint64_t)RAM_MB << 20;
	bp.node[0].mem = bp.ram_size;
	if (boot_params_finish(&bp, err, sizeof(err)) || bus_init(&bus, bp.ram_size) ||
	    kernel_boot(&k, &bus, &bp, err, sizeof(err)) ||
	    swapon(&k, (uint64_t)SWAP_MB << 20, NULL, err, sizeof(err)) ||
	    (zswap && zswap_init(&k, 20))) {
		fprintf(stderr, "bench_reclaim: setup failed: %s\n", err);
		return 1;
	}
	struct mm_struct *mm = mm_alloc(&k);
	vm_mmap(&k, mm, NULL, BASE, (unsigned long)USE_MB << 20, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	struct phase out = run_phase(&k, mm, true);
	struct zswap_stats zs = zswap_get_stats(&k);
	struct phase in = run_phase(&k, mm, false);
	const char *mode = zswap ? "zswap" : "memory swap";
	printf("%s, write %d MiB on %d MiB: %.0f pages scanned/s, %.0f reclaimed/s, "
	       "%.0f swapped out/s (%lu pages, %.3fx memcpy)\n",
	       mode, USE_MB, RAM_MB, out.scanned / out.seconds, out.stolen / out.seconds,
	       out.swapped / out.seconds, out.swapped, out.swapped / out.seconds / ref);
	printf("%s, read back: %.0f pages swapped in/s (%lu pages, %.3fx memcpy), %.0f scanned/s\n",
	       mode, in.swapped / in.seconds, in.swapped, in.swapped / in.seconds / ref,
	       in.scanned / in.seconds);
	if (zswap)
		printf("zswap: %lu pages stored in %lu pool pages, compression ratio %.1f:1, "
		       "%lu rejected, pool limit hit %lu times, %lu written back to the area\n",
		       zs.stored_pages, zs.pool_pages,
		       zs.compressed_bytes
			   ? (double)zs.stored_pages * PAGE_SIZE / zs.compressed_bytes
			   : 0,
		       zs.reject_compress_poor, zs.pool_limit_hit, zs.written_back_pages);
	mmput(&k, mm);
	kernel_shutdown(&k);
	bus_destroy(&bus);
	return 0;
}

int main(void)
{
	double ref = memcpy_pages_per_s((USE_MB << 20) / PAGE_SIZE);
	printf("reference: host memcpy %.0f pages/s\n", ref);
	return bench(false, ref) || bench(true, ref);
}
