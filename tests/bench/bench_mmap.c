/*
 * Address-space operations: find_vma over many VMAs (the AVL tree against a walk of the
 * sorted list, the structure Linux had before its rbtree), and the anonymous page-fault
 * path (mmap, write-fault every page, munmap) against the host kernel doing the same with
 * real faults, both measured in the same run.
 *
 *   cmake --build build --target bench_mmap && ./build/tests/bench_mmap
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/uaccess.h"

#define NR_VMAS 10000
#define LOOKUPS 2000000L
#define FAULT_PAGES 4096
#define FAULT_ROUNDS 20

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void use(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static struct vm_area_struct *list_find(struct mm_struct *mm, unsigned long addr)
{
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		if (v->vm_end > addr)
			return v;
	return NULL;
}

/* NR_VMAS one-page VMAs with a one-page hole between each (nothing merges). */
static void build_vmas(struct kernel *k, struct mm_struct *mm, unsigned long base)
{
	for (unsigned long i = 0; i < NR_VMAS; i++)
		vm_mmap(k, mm, NULL, base + i * 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
}

static void bench_find_vma(struct kernel *k)
{
	struct mm_struct *mm = mm_alloc(k);
	const unsigned long base = 0x10000000UL, span = NR_VMAS * 2 * PAGE_SIZE;
	build_vmas(k, mm, base);
	unsigned seed = 1;
	double t = now_ns();
	for (long i = 0; i < LOOKUPS; i++)
		use(find_vma(mm, base + (unsigned long)rand_r(&seed) % span));
	double tree = (now_ns() - t) / LOOKUPS;
	long list_lookups = LOOKUPS / 200;
	seed = 1;
	t = now_ns();
	for (long i = 0; i < list_lookups; i++)
		use(list_find(mm, base + (unsigned long)rand_r(&seed) % span));
	double list = (now_ns() - t) / (double)list_lookups;
	printf("find_vma, %d VMAs, random addresses: tree %.1f ns, list walk %.1f ns (%.0fx)\n",
	       mm->map_count, tree, list, list / tree);
	mmput(k, mm);
}

static double sim_faults(struct kernel *k)
{
	struct mm_struct *mm = mm_alloc(k);
	static const char one = 1;
	double t = now_ns();
	for (int r = 0; r < FAULT_ROUNDS; r++) {
		long a = vm_mmap(k, mm, NULL, 0, FAULT_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
		for (unsigned long i = 0; i < FAULT_PAGES; i++) {
			struct fault_result f = do_user_addr_fault(
				k, mm, (unsigned long)a + i * PAGE_SIZE, X86_PF_USER | X86_PF_WRITE);
			use(&f);
		}
		copy_to_user_mm(k, mm, (unsigned long)a, &one, 1);
		do_munmap(k, mm, (unsigned long)a, FAULT_PAGES * PAGE_SIZE);
	}
	double ns = (now_ns() - t) / (FAULT_ROUNDS * FAULT_PAGES);
	mmput(k, mm);
	return ns;
}

static double host_faults(void)
{
	double t = now_ns();
	for (int r = 0; r < FAULT_ROUNDS; r++) {
		volatile char *p = mmap(NULL, FAULT_PAGES * 4096UL, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 0;
		for (unsigned long i = 0; i < FAULT_PAGES; i++)
			p[i * 4096] = 1;
		munmap((void *)p, FAULT_PAGES * 4096UL);
	}
	return (now_ns() - t) / (FAULT_ROUNDS * FAULT_PAGES);
}

int main(void)
{
	struct boot_params p;
	struct phys_bus bus;
	static struct kernel k;
	char err[200];
	boot_params_default(&p);
	p.ram_size = 256ULL << 20;
	p.node[0].mem = p.ram_size;
	if (boot_params_finish(&p, err, sizeof(err)) || bus_init(&bus, p.ram_size) ||
	    kernel_boot(&k, &bus, &p, err, sizeof(err))) {
		fprintf(stderr, "bench_mmap: boot failed: %s\n", err);
		return 1;
	}
	bench_find_vma(&k);
	double sim = sim_faults(&k), host = host_faults();
	printf("anonymous write fault (mmap, fault %d pages, munmap): mmemu %.0f ns/page, "
	       "host kernel %.0f ns/page (%.2fx)\n",
	       FAULT_PAGES, sim, host, host > 0 ? sim / host : 0);
	kernel_shutdown(&k);
	bus_destroy(&bus);
	return 0;
}
