/*
 * The kernel side of an anonymous write fault: do_user_addr_fault (find_vma, the page-table
 * allocation, do_anonymous_page with a zeroed page from the pcp lists, rmap and counters)
 * called directly, one call per page of a fresh 16 MiB mapping, next to the host kernel
 * taking real write faults on a fresh 16 MiB mapping, measured in the same run. Only the
 * fault loops are timed; mmap and munmap are timed apart.
 *
 * The first simulated round is "cold": the guest RAM it hands out has never been touched by
 * the host, so each fault also pays for the host committing that frame of the memfd (a real
 * host fault inside the zeroing). Later rounds reuse frames the previous round freed, which
 * is the steady state of a long-running machine.
 *
 *   cmake --build build --target bench_fault && ./build/tests/bench_fault [rounds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

#define FAULT_PAGES 4096 /* pages per round: 16 MiB */

#define MAX_ROUNDS 200

/* Nanoseconds per fault of each round, in round order. */
struct round_times {
	double ns[MAX_ROUNDS]; /* ns per fault of round i */
	double setup_ns;       /* ns per page of mmap + munmap, over all rounds */
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of rounds [from, to) of t. */
static double median(const struct round_times *t, int from, int to)
{
	double v[MAX_ROUNDS];
	int n = to - from;
	for (int i = 0; i < n; i++)
		v[i] = t->ns[from + i];
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round on the simulated kernel: 0, or -1 if a fault did not map its page. */
static int sim_round(struct kernel *k, struct mm_struct *mm, struct round_times *t, int round,
		     int rounds)
{
	double t0 = now_ns();
	long a = vm_mmap(k, mm, NULL, 0, FAULT_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (a < 0)
		return -1;
	double t1 = now_ns();
	for (unsigned long i = 0; i < FAULT_PAGES; i++) {
		struct fault_result f = do_user_addr_fault(k, mm, (unsigned long)a + i * PAGE_SIZE,
							   X86_PF_USER | X86_PF_WRITE);
		if (f.signo)
			return -1;
	}
	double t2 = now_ns();
	do_munmap(k, mm, (unsigned long)a, FAULT_PAGES * PAGE_SIZE);
	double t3 = now_ns();
	t->ns[round] = (t2 - t1) / FAULT_PAGES;
	t->setup_ns += (t1 - t0 + t3 - t2) / FAULT_PAGES / rounds;
	return 0;
}

static int host_round(struct round_times *t, int round, int rounds)
{
	double t0 = now_ns();
	volatile char *p = mmap(NULL, FAULT_PAGES * 4096UL, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	double t1 = now_ns();
	for (unsigned long i = 0; i < FAULT_PAGES; i++)
		p[i * 4096] = 1;
	double t2 = now_ns();
	munmap((void *)p, FAULT_PAGES * 4096UL);
	double t3 = now_ns();
	t->ns[round] = (t2 - t1) / FAULT_PAGES;
	t->setup_ns += (t1 - t0 + t3 - t2) / FAULT_PAGES / rounds;
	return 0;
}

/* Round 1, then the steady state: the median of the second half of the rounds (by then
 * the simulated kernel recycles frames the host has committed; the median drops the rounds
 * a burst of load on the shared machine slowed down). */
static void print_row(const char *name, const struct round_times *t, int rounds, double ref)
{
	double steady = median(t, rounds / 2, rounds);
	printf("%-28s %10.0f %10.0f %8.2f %10.0f %7.2fx\n", name, t->ns[0], steady, 1e3 / steady,
	       t->setup_ns, steady / ref);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	struct boot_params p;
	struct phys_bus bus;
	static struct kernel k;
	static struct round_times sim, host;
	char err[200];
	if (rounds < 2 || rounds > MAX_ROUNDS)
		rounds = 20;
	boot_params_default(&p);
	p.ram_size = 256ULL << 20;
	p.node[0].mem = p.ram_size;
	if (boot_params_finish(&p, err, sizeof(err)) || bus_init(&bus, p.ram_size) ||
	    kernel_boot(&k, &bus, &p, err, sizeof(err))) {
		fprintf(stderr, "bench_fault: boot failed: %s\n", err);
		return 1;
	}
	struct mm_struct *mm = mm_alloc(&k);
	/* Interleaved, so that a burst of load on the shared machine hits both sides. */
	for (int r = 0; r < rounds; r++) {
		if (sim_round(&k, mm, &sim, r, rounds) || host_round(&host, r, rounds)) {
			fprintf(stderr, "bench_fault: round %d failed\n", r);
			return 1;
		}
	}
	printf("anonymous write faults, %d pages x %d rounds (ns per fault; steady = median of "
	       "the last half)\n",
	       FAULT_PAGES, rounds);
	printf("%-28s %10s %10s %8s %10s %8s\n", "path", "round 1", "steady", "M/s", "mmap+unmap",
	       "x host");
	double ref = median(&host, rounds / 2, rounds);
	print_row("host kernel (reference)", &host, rounds, ref);
	print_row("mmemu do_user_addr_fault", &sim, rounds, ref);
	mmput(&k, mm);
	kernel_shutdown(&k);
	bus_destroy(&bus);
	return 0;
}
