/*
 * SLUB throughput: kmem_cache_alloc+kmem_cache_free pairs (the per-cpu fast path), a
 * batch pattern that also runs the slow paths, and kmalloc+kfree, each next to the host's
 * malloc+free of the same size measured in the same run.
 *
 *   cmake --build build --target bench_slab && ./build/tests/bench_slab
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel-sim/slab.h"

#define PAIRS 20000000L
#define BATCH 512
#define ROUNDS (PAIRS / BATCH)

/* Keeps the compiler from dropping an allocation whose result is unused. */
static inline void use(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double slab_pairs(struct kernel *k, struct kmem_cache *s)
{
	double t = now_ns();

	for (long i = 0; i < PAIRS; i++) {
		void *p = kmem_cache_alloc(k, s, GFP_KERNEL);

		use(p);
		kmem_cache_free(k, s, p);
	}
	return (now_ns() - t) / PAIRS;
}

static double host_pairs(size_t size)
{
	double t = now_ns();

	for (long i = 0; i < PAIRS; i++) {
		void *p = malloc(size);

		use(p);
		free(p);
	}
	return (now_ns() - t) / PAIRS;
}

/* BATCH allocations, then BATCH frees in allocation order: slabs fill up, go full, come
 * back through the partial list. */
static double slab_batches(struct kernel *k, struct kmem_cache *s)
{
	void *objs[BATCH];
	double t = now_ns();

	for (long r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < BATCH; i++) {
			objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
			use(objs[i]);
		}
		for (int i = 0; i < BATCH; i++)
			kmem_cache_free(k, s, objs[i]);
	}
	return (now_ns() - t) / (ROUNDS * BATCH);
}

static double host_batches(size_t size)
{
	void *objs[BATCH];
	double t = now_ns();

	for (long r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < BATCH; i++) {
			objs[i] = malloc(size);
			use(objs[i]);
		}
		for (int i = 0; i < BATCH; i++)
			free(objs[i]);
	}
	return (now_ns() - t) / (ROUNDS * BATCH);
}

static double kmalloc_pairs(struct kernel *k, size_t size)
{
	double t = now_ns();

	for (long i = 0; i < PAIRS; i++) {
		void *p = kmalloc(k, size, GFP_KERNEL);

		use(p);
		kfree(k, p);
	}
	return (now_ns() - t) / PAIRS;
}

static void report(const char *what, size_t size, double slab_ns, double host_ns)
{
	printf("%-28s %5zu B  slab %6.2f ns/pair (%6.1f M/s)  host malloc %6.2f ns/pair"
	       "  host/slab %5.2fx\n",
	       what, size, slab_ns, 1e3 / slab_ns, host_ns, host_ns / slab_ns);
}

int main(void)
{
	static const size_t sizes[] = {64, 256, 1024};
	struct phys_bus bus;
	struct boot_params p;
	struct kernel k;
	char err[200];

	boot_params_default(&p);
	p.ram_size = 64ULL << 20;
	p.node[0].mem = p.ram_size;
	if (boot_params_finish(&p, err, sizeof(err)) || bus_init(&bus, p.ram_size) ||
	    kernel_boot(&k, &bus, &p, err, sizeof(err))) {
		fprintf(stderr, "bench_slab: boot failed: %s\n", err);
		return 1;
	}
	printf("bench_slab: %ld pairs per figure\n", PAIRS);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kmem_cache *s = kmem_cache_create(&k, "bench", (unsigned int)sizes[i], 0,
							 0, NULL);

		report("kmem_cache alloc+free", sizes[i], slab_pairs(&k, s), host_pairs(sizes[i]));
		report("kmem_cache 512 alloc, 512 free", sizes[i], slab_batches(&k, s),
		       host_batches(sizes[i]));
		report("kmalloc+kfree", sizes[i], kmalloc_pairs(&k, sizes[i]),
		       host_pairs(sizes[i]));
		kmem_cache_destroy(&k, s);
	}
	kernel_shutdown(&k);
	bus_destroy(&bus);
	return 0;
}
