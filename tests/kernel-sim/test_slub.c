/*
 * Tests of the SLUB allocator (kernel-sim/slub.c, slab_common.c) on a booted 64 MiB machine.
 * Expected geometries and size classes are Linux's, written down from its rules and from a
 * Linux 6.18 host's /proc/slabinfo, not computed by the code under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel-sim/page_alloc.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/slab.h"

#define MIB (1ULL << 20)

struct machine_fixture {
	struct phys_bus bus;
	struct kernel k;
};

static struct machine_fixture *boot_machine(int nr_cpus, int nr_nodes)
{
	struct machine_fixture *f = calloc(1, sizeof(*f));
	struct boot_params p;
	char err[200];

	assert_non_null(f);
	boot_params_default(&p);
	p.ram_size = 64 * MIB;
	p.nr_nodes = nr_nodes;
	for (int n = 0; n < nr_nodes; n++)
		p.node[n] = (struct numa_node_params){p.ram_size / (uint64_t)nr_nodes, -1, -1};
	p.nr_cpus = nr_cpus;
	assert_int_equal(boot_params_finish(&p, err, sizeof(err)), 0);
	assert_int_equal(bus_init(&f->bus, p.ram_size), 0);
	if (kernel_boot(&f->k, &f->bus, &p, err, sizeof(err)) != 0)
		fail_msg("boot: %s", err);
	return f;
}

static int setup_1cpu(void **state)
{
	*state = boot_machine(1, 1);
	return 0;
}

static int setup_4cpu(void **state)
{
	*state = boot_machine(4, 1);
	return 0;
}

static int setup_2cpu_2node(void **state)
{
	*state = boot_machine(2, 2);
	return 0;
}

static int teardown(void **state)
{
	struct machine_fixture *f = *state;

	kernel_shutdown(&f->k);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static struct kernel *K(void **state)
{
	return &((struct machine_fixture *)*state)->k;
}

static void assert_slab_ok(struct kernel *k)
{
	char err[256] = "";

	if (slab_check(k, err, sizeof(err)) != 0)
		fail_msg("slab_check: %s", err);
}

/* Free pages with the pcp lists drained, so every free page is counted. */
static long free_pages_now(struct kernel *k)
{
	drain_all_pages(k);
	return global_zone_page_state(k, NR_FREE_PAGES);
}

static struct page *slab_of(struct kernel *k, const void *x)
{
	struct page *page = virt_to_slab(k, x);

	assert_non_null(page);
	return page;
}

static bool on_partial_list(struct kmem_cache_node *n, struct page *page)
{
	struct page *p;

	list_for_each_entry(p, &n->partial, slab_list)
		if (p == page)
			return true;
	return false;
}

/* Runs fn(k, arg) in a child process; true when the child died of SIGABRT (a BUG_ON). */
static bool dies_with_bug(struct kernel *k, void (*fn)(struct kernel *, void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* Guest RAM is (mostly) a shared mapping of a memfd: give the child a private
		 * copy so its allocations do not reach the parent's machine. */
		if (bus_unshare(k->bus) < 0)
			_exit(2);
		/* The expected BUG report would clutter the test log. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn(k, arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* ---- reuse and lists ---- */

static void test_kmem_cache_free_then_alloc_returns_same_object_lifo(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "reuse", 100, 0, 0, NULL);
	void *a, *b, *c;

	assert_non_null(s);
	a = kmem_cache_alloc(k, s, GFP_KERNEL);
	b = kmem_cache_alloc(k, s, GFP_KERNEL);
	c = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_true(a && b && c && a != b && b != c && a != c);
	kmem_cache_free(k, s, b);
	kmem_cache_free(k, s, c);
	assert_ptr_equal(kmem_cache_alloc(k, s, GFP_KERNEL), c);
	assert_ptr_equal(kmem_cache_alloc(k, s, GFP_KERNEL), b);
	kmem_cache_free(k, s, a);
	assert_ptr_equal(kmem_cache_alloc(k, s, GFP_KERNEL), a);
	assert_slab_ok(k);
	kmem_cache_free(k, s, a);
	kmem_cache_free(k, s, b);
	kmem_cache_free(k, s, c);
	kmem_cache_destroy(k, s);
	assert_slab_ok(k);
}

static void test_kmem_cache_free_into_full_slab_moves_it_to_partial_list(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "partial", 256, 0, 0, NULL);
	struct kmem_cache_node *n;
	void **objs;
	unsigned int per_slab, i;
	struct page *a, *b;
	unsigned long slabs;

	assert_non_null(s);
	n = s->node[0];
	objs = calloc(4096, sizeof(*objs));
	objs[0] = kmem_cache_alloc(k, s, GFP_KERNEL);
	a = slab_of(k, objs[0]);
	per_slab = a->objects;
	/* Fill slab A, then take one object more: it comes from a new slab B. */
	for (i = 1; i <= per_slab; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	b = slab_of(k, objs[per_slab]);
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->inuse, per_slab);
	assert_int_equal(n->nr_partial, 0);
	assert_false(on_partial_list(n, a));
	/* A is full and belongs to no CPU: a free moves it to the node partial list. */
	kmem_cache_free(k, s, objs[3]);
	assert_int_equal(n->nr_partial, 1);
	assert_true(on_partial_list(n, a));
	assert_int_equal(a->inuse, per_slab - 1);
	assert_slab_ok(k);
	/* Use up B; the next allocation takes A from the partial list, not a new slab. */
	slabs = n->nr_slabs;
	for (i = per_slab + 1; i < 2 * per_slab; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_int_equal(b->inuse, per_slab);
	assert_ptr_equal(kmem_cache_alloc(k, s, GFP_KERNEL), objs[3]);
	assert_int_equal(n->nr_partial, 0);
	assert_int_equal(n->nr_slabs, slabs);
	assert_ptr_equal(s->cpu_slab[0].page, a);
	assert_slab_ok(k);
	for (i = 0; i < 2 * per_slab; i++)
		kmem_cache_free(k, s, objs[i]);
	assert_slab_ok(k);
	kmem_cache_destroy(k, s);
	free(objs);
}

static void test_kmem_cache_empty_slabs_beyond_min_partial_return_to_buddy(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "minpartial", 2048, 0, 0, NULL);
	enum { N = 400 };
	void *objs[N];
	struct kmem_cache_node *n;

	assert_non_null(s);
	n = s->node[0];
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	for (int i = 0; i < N; i++)
		kmem_cache_free(k, s, objs[i]);
	/* min_partial is ilog2(2048)/2 = 5, raised to MIN_PARTIAL 5: at most 5 empty slabs
	 * stay on the partial list, plus the CPU slab. */
	assert_int_equal(s->min_partial, 5);
	assert_true(n->nr_partial <= 5);
	assert_true(n->nr_slabs <= 6);
	assert_slab_ok(k);
	kmem_cache_destroy(k, s);
}

/* ---- geometry ---- */

struct geometry {
	const char *name;
	unsigned int objsize, objperslab, pagesperslab;
};

/* A Linux 6.18 host with 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12. */
static const struct geometry geometry_2cpu[] = {
	{"kmalloc-8", 8, 512, 1},      {"kmalloc-16", 16, 256, 1},   {"kmalloc-32", 32, 128, 1},
	{"kmalloc-64", 64, 64, 1},     {"kmalloc-96", 96, 42, 1},    {"kmalloc-128", 128, 32, 1},
	{"kmalloc-192", 192, 21, 1},   {"kmalloc-256", 256, 16, 1},  {"kmalloc-512", 512, 16, 2},
	{"kmalloc-1k", 1024, 16, 4},   {"kmalloc-2k", 2048, 16, 8},  {"kmalloc-4k", 4096, 8, 8},
	{"kmalloc-8k", 8192, 4, 8},
};

/* One CPU: min_objects = 4 * (fls(1) + 1) = 8, so 8 objects when no waste forces more:
 * 512 * 8 = 4 KiB (order 0), 1k * 8 = 8 KiB (order 1), 2k -> order 2, 4k -> order 3;
 * 8k: at most 4 fit in order 3, 4 * 8k = 32 KiB. */
static const struct geometry geometry_1cpu[] = {
	{"kmalloc-8", 8, 512, 1},     {"kmalloc-96", 96, 42, 1},   {"kmalloc-192", 192, 21, 1},
	{"kmalloc-256", 256, 16, 1},  {"kmalloc-512", 512, 8, 1},  {"kmalloc-1k", 1024, 8, 2},
	{"kmalloc-2k", 2048, 8, 4},   {"kmalloc-4k", 4096, 8, 8},  {"kmalloc-8k", 8192, 4, 8},
};

static void check_geometry(struct kernel *k, const struct geometry *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct kmem_cache *s;
		bool found = false;

		list_for_each_entry(s, &k->slab->slab_caches, list) {
			if (strcmp(s->name, g[i].name))
				continue;
			found = true;
			assert_int_equal(s->size, g[i].objsize);
			assert_int_equal(s->oo.x & OO_MASK, g[i].objperslab);
			assert_int_equal(1u << (s->oo.x >> OO_SHIFT), g[i].pagesperslab);
		}
		if (!found)
			fail_msg("no cache %s", g[i].name);
	}
}

static void test_slab_order_matches_linux_for_kmalloc_caches_1cpu(void **state)
{
	check_geometry(K(state), geometry_1cpu, sizeof(geometry_1cpu) / sizeof(geometry_1cpu[0]));
}

static void test_slab_order_matches_linux_host_2cpu(void **state)
{
	check_geometry(K(state), geometry_2cpu, sizeof(geometry_2cpu) / sizeof(geometry_2cpu[0]));
}

static void test_slab_order_accepts_waste_up_to_one_sixteenth(void **state)
{
	struct kernel *k = K(state);
	/* One CPU, so 8 objects wanted; the smallest order from there whose leftover is at
	 * most 1/16 of the slab, else 1/8, else 1/4:
	 *   704:  order 1 (8 objects fit) leaves 8192 % 704 = 448 <= 512: order 1, 11 objects
	 *   1000: order 1 leaves 192 <= 512: 8 objects
	 *   1504: order 2 leaves 1344 > 1024, order 3 leaves 1184 <= 2048: 21 objects
	 *   3000: order 3 (at most 10 fit) leaves 2768 > 2048 (1/16), <= 4096 (1/8): 10 objects
	 *   40000: above order 3 (slub_max_order): get_order(40000) = 4, one object */
	static const struct {
		unsigned int size, objs, order;
	} cases[] = {{704, 11, 1}, {1000, 8, 1}, {1504, 21, 3}, {3000, 10, 3}, {40000, 1, 4}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kmem_cache *s = kmem_cache_create(k, "geom", cases[i].size, 0, 0, NULL);

		assert_non_null(s);
		assert_int_equal(s->size, cases[i].size);
		assert_int_equal(s->oo.x & OO_MASK, cases[i].objs);
		assert_int_equal(s->oo.x >> OO_SHIFT, cases[i].order);
		kmem_cache_destroy(k, s);
	}
}

/* ---- kmalloc ---- */

/* Linux's kmalloc classes, smallest first. */
static const unsigned int kmalloc_classes[] = {8,   16,  32,   64,   96,   128, 192,
					       256, 512, 1024, 2048, 4096, 8192};

static unsigned int expected_class(size_t size)
{
	for (size_t i = 0; i < sizeof(kmalloc_classes) / sizeof(kmalloc_classes[0]); i++)
		if (size <= kmalloc_classes[i])
			return kmalloc_classes[i];
	return 0;
}

static void test_kmalloc_every_size_to_8k_goes_to_linux_class(void **state)
{
	struct kernel *k = K(state);

	for (size_t size = 1; size <= 8192; size++) {
		unsigned int cls = expected_class(size);
		char name[32];
		void *p = kmalloc(k, size, GFP_KERNEL);
		struct page *page;

		if (cls >= 1024)
			snprintf(name, sizeof(name), "kmalloc-%uk", cls / 1024);
		else
			snprintf(name, sizeof(name), "kmalloc-%u", cls);
		assert_non_null(p);
		page = slab_of(k, p);
		if (strcmp(page->slab_cache->name, name))
			fail_msg("kmalloc(%zu) went to %s, Linux picks %s", size,
				 page->slab_cache->name, name);
		assert_int_equal(ksize(k, p), cls);
		memset(p, 0xa5, size);
		kfree(k, p);
	}
	/* kmalloc_index: 96 is index 1, 192 index 2, else log2 of the class. */
	assert_int_equal(kmalloc_index(65), 1);
	assert_int_equal(kmalloc_index(96), 1);
	assert_int_equal(kmalloc_index(97), 7);
	assert_int_equal(kmalloc_index(129), 2);
	assert_int_equal(kmalloc_index(193), 8);
	assert_int_equal(kmalloc_index(1), 3);
	assert_int_equal(kmalloc_index(8192), 13);
	assert_slab_ok(k);
}

static void test_kmalloc_above_8k_takes_compound_pages_from_buddy(void **state)
{
	struct kernel *k = K(state);
	static const struct {
		size_t size;
		unsigned int order;
	} cases[] = {{8193, 2}, {16384, 2}, {16385, 3}, {100000, 5}, {4 * MIB, 10}};
	long before = free_pages_now(k);
	long slab_before = global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *p = kmalloc(k, cases[i].size, GFP_KERNEL);
		struct page *page;

		assert_non_null(p);
		page = virt_to_page(k, p);
		assert_false(PageSlab(page));
		assert_true(PageHead(page));
		assert_int_equal(compound_order(page), cases[i].order);
		assert_int_equal(ksize(k, p), PAGE_SIZE << cases[i].order);
		assert_int_equal(global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B),
				 slab_before + (1L << cases[i].order));
		memset(p, 0x5a, cases[i].size);
		kfree(k, p);
		assert_int_equal(global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B), slab_before);
	}
	assert_int_equal(free_pages_now(k), before);
	assert_null(kmalloc(k, 4 * MIB + 1, GFP_KERNEL));
}

static void test_kmalloc_zero_and_null_edge_cases(void **state)
{
	struct kernel *k = K(state);
	unsigned char *z;

	assert_ptr_equal(kmalloc(k, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_int_equal(ksize(k, ZERO_SIZE_PTR), 0);
	kfree(k, NULL);
	kfree(k, ZERO_SIZE_PTR);
	/* kzalloc zeroes even a recycled object. */
	z = kmalloc(k, 200, GFP_KERNEL);
	memset(z, 0xff, 200);
	kfree(k, z);
	z = kzalloc(k, 200, GFP_KERNEL);
	for (int i = 0; i < 192; i++)
		assert_int_equal(z[i], 0);
	kfree(k, z);
	assert_slab_ok(k);
}

/* ---- constructor and alignment ---- */

static unsigned long ctor_calls;

static void count_ctor(void *obj)
{
	ctor_calls++;
	memset(obj, 0xc7, 48);
}

static void test_kmem_cache_ctor_runs_once_per_object_at_slab_creation(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "ctor", 48, 0, 0, count_ctor);
	unsigned char *a, *b;
	unsigned int per_slab;
	void **objs;

	assert_non_null(s);
	ctor_calls = 0;
	a = kmem_cache_alloc(k, s, GFP_KERNEL);
	per_slab = slab_of(k, a)->objects;
	assert_int_equal(ctor_calls, per_slab);
	for (int i = 0; i < 48; i++)
		assert_int_equal(a[i], 0xc7);
	/* The object keeps its state through free and reuse: no second constructor run, and
	 * the free pointer does not overlay the object. */
	a[0] = 0x11;
	kmem_cache_free(k, s, a);
	b = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_ptr_equal(a, b);
	assert_int_equal(b[0], 0x11);
	for (int i = 1; i < 48; i++)
		assert_int_equal(b[i], 0xc7);
	assert_int_equal(ctor_calls, per_slab);
	/* A second slab constructs its objects once more. */
	objs = calloc(per_slab, sizeof(*objs));
	for (unsigned int i = 0; i < per_slab; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_int_equal(ctor_calls, 2 * per_slab);
	for (unsigned int i = 0; i < per_slab; i++)
		kmem_cache_free(k, s, objs[i]);
	kmem_cache_free(k, s, b);
	kmem_cache_destroy(k, s);
	free(objs);
}

static void test_kmem_cache_alignment_respected(void **state)
{
	struct kernel *k = K(state);
	static const struct {
		unsigned int size, align;
		slab_flags_t flags;
		unsigned int want; /* alignment every object must have */
	} cases[] = {
		{24, 64, 0, 64},  {100, 16, 0, 16},  {13, 0, 0, 8},         {40, 0, SLAB_HWCACHE_ALIGN, 64},
		{20, 0, SLAB_HWCACHE_ALIGN, 32},  {1, 4096, 0, 4096}, {300, 256, 0, 256},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kmem_cache *s = kmem_cache_create(k, "align", cases[i].size, cases[i].align,
							 cases[i].flags, NULL);
		void *objs[100];

		assert_non_null(s);
		for (int j = 0; j < 100; j++) {
			objs[j] = kmem_cache_alloc(k, s, GFP_KERNEL);
			assert_non_null(objs[j]);
			if ((uintptr_t)objs[j] % cases[i].want)
				fail_msg("case %zu: object %p not %u-aligned", i, objs[j],
					 cases[i].want);
			memset(objs[j], 0x33, cases[i].size);
		}
		for (int j = 0; j < 100; j++)
			kmem_cache_free(k, s, objs[j]);
		assert_slab_ok(k);
		kmem_cache_destroy(k, s);
	}
}

/* ---- memory is real ---- */

static void test_kmem_cache_destroy_returns_every_page_to_buddy(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s;
	long before, slab_before;
	enum { N = 3000 };
	void **objs = calloc(N, sizeof(*objs));

	/* The first cache created may need fresh slabs for the kmem_cache objects and names;
	 * those stay with their caches. Warm up once so the second round starts level. */
	s = kmem_cache_create(k, "leak-warmup", 72, 0, 0, NULL);
	kmem_cache_destroy(k, s);
	before = free_pages_now(k);
	slab_before = global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B);

	s = kmem_cache_create(k, "leak-counted", 72, 0, 0, NULL);
	assert_non_null(s);
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_true(free_pages_now(k) < before - 40);
	assert_int_equal(global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B) - slab_before,
			 (long)slab_count_pages(k, s));
	for (int i = N - 1; i >= 0; i--)
		kmem_cache_free(k, s, objs[i]);
	assert_slab_ok(k);
	kmem_cache_destroy(k, s);
	assert_int_equal(slab_count_pages(k, s), 0);
	assert_int_equal(free_pages_now(k), before);
	assert_int_equal(global_node_page_state(k, NR_SLAB_UNRECLAIMABLE_B), slab_before);
	assert_slab_ok(k);
	free(objs);
}

static void test_kmem_cache_reclaim_account_counts_reclaimable(void **state)
{
	struct kernel *k = K(state);
	long r0 = global_node_page_state(k, NR_SLAB_RECLAIMABLE_B);
	struct kmem_cache *s = kmem_cache_create(k, "rcl", 500, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	void *p = kmem_cache_alloc(k, s, GFP_KERNEL);

	assert_int_equal(global_node_page_state(k, NR_SLAB_RECLAIMABLE_B) - r0,
			 1L << slab_of(k, p)->slab_order);
	kmem_cache_free(k, s, p);
	kmem_cache_destroy(k, s);
	assert_int_equal(global_node_page_state(k, NR_SLAB_RECLAIMABLE_B), r0);
}

static bool in_guest_ram(struct kernel *k, const void *p, size_t len)
{
	const uint8_t *b = p;

	return b >= k->bus->ram && b + len <= k->bus->ram + k->bus->ram_size;
}

static void test_objects_live_in_guest_ram_on_slab_pages(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "inram", 128, 0, 0, NULL);
	void *obj = kmem_cache_alloc(k, s, GFP_KERNEL);
	void *km = kmalloc(k, 700, GFP_KERNEL);
	struct page *page;

	assert_true(in_guest_ram(k, obj, 128));
	assert_true(in_guest_ram(k, km, 700));
	assert_true(PageSlab(compound_head(virt_to_page(k, obj))));
	assert_true(PageSlab(compound_head(virt_to_page(k, km))));
	/* The allocator's own structures are slab objects too. */
	assert_true(in_guest_ram(k, s, sizeof(*s)));
	page = compound_head(virt_to_page(k, s));
	assert_true(PageSlab(page));
	assert_string_equal(page->slab_cache->name, "kmem_cache");
	assert_ptr_equal(page->slab_cache, k->slab->kmem_cache);
	page = compound_head(virt_to_page(k, s->node[0]));
	assert_true(PageSlab(page));
	assert_string_equal(page->slab_cache->name, "kmem_cache_node");
	assert_true(in_guest_ram(k, s->cpu_slab, sizeof(struct kmem_cache_cpu)));
	assert_true(in_guest_ram(k, s->name, 6));
	/* The bootstrap caches describe themselves. */
	page = compound_head(virt_to_page(k, k->slab->kmem_cache));
	assert_ptr_equal(page->slab_cache, k->slab->kmem_cache);
	page = compound_head(virt_to_page(k, k->slab->kmem_cache_node));
	assert_ptr_equal(page->slab_cache, k->slab->kmem_cache);
	kfree(k, km);
	kmem_cache_free(k, s, obj);
	kmem_cache_destroy(k, s);
	assert_slab_ok(k);
}

/* ---- CPUs and nodes ---- */

/* After boot no slab points at the host-memory caches kmem_cache_init started from: each
 * names a cache on slab_caches, and the bootstrap caches' slabs (on every node) count. */
static void test_boot_every_slab_names_a_listed_cache(void **state)
{
	struct kernel *k = K(state);
	unsigned long boot_slabs = 0, seen = 0;

	for_each_online_node(k, nid)
		boot_slabs += k->slab->kmem_cache->node[nid]->nr_slabs +
			      k->slab->kmem_cache_node->node[nid]->nr_slabs;
	assert_true(boot_slabs >= 2);
	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++) {
		struct page *page = pfn_to_page(k, pfn);
		struct kmem_cache *c;
		bool listed = false;

		if (!PageSlab(page) || PageTail(page))
			continue;
		list_for_each_entry(c, &k->slab->slab_caches, list) listed |= c == page->slab_cache;
		assert_true(listed);
		seen += page->slab_cache == k->slab->kmem_cache ||
			page->slab_cache == k->slab->kmem_cache_node;
	}
	assert_int_equal(seen, boot_slabs);
}

static void test_kmem_cache_cpus_take_separate_slabs_and_remote_frees_go_slow(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "percpu", 64, 0, 0, NULL);
	void *a, *b, *x;
	unsigned int slow0;

	assert_non_null(s);
	k->this_cpu = 0;
	a = kmem_cache_alloc(k, s, GFP_KERNEL);
	slow0 = s->cpu_slab[0].stat[ALLOC_SLOWPATH];
	assert_int_equal(slow0, 1);
	/* Further allocations on CPU 0 are fast: no slow-path event. */
	for (int i = 0; i < 10; i++)
		kmem_cache_free(k, s, kmem_cache_alloc(k, s, GFP_KERNEL));
	assert_int_equal(s->cpu_slab[0].stat[ALLOC_SLOWPATH], slow0);
	assert_int_equal(s->cpu_slab[0].stat[FREE_SLOWPATH], 0);

	/* CPU 1 cannot use CPU 0's frozen slab: it takes its own. */
	k->this_cpu = 1;
	b = kmem_cache_alloc(k, s, GFP_KERNEL);
	assert_int_equal(s->cpu_slab[1].stat[ALLOC_SLOWPATH], 1);
	assert_int_equal(s->cpu_slab[1].stat[ALLOC_SLAB], 1);
	assert_ptr_not_equal(slab_of(k, a), slab_of(k, b));
	assert_ptr_equal(s->cpu_slab[1].page, slab_of(k, b));
	assert_true(slab_of(k, a)->frozen && slab_of(k, b)->frozen);
	assert_slab_ok(k);

	/* CPU 1 frees CPU 0's object: slow path, onto the frozen slab's own freelist. */
	kmem_cache_free(k, s, a);
	assert_int_equal(s->cpu_slab[1].stat[FREE_SLOWPATH], 1);
	assert_int_equal(s->cpu_slab[1].stat[FREE_FROZEN], 1);
	assert_ptr_equal(slab_of(k, a)->freelist, a);
	assert_slab_ok(k);

	/* CPU 0 drains its freelist, then refills from the remote free and gets a back. */
	k->this_cpu = 0;
	do {
		x = kmem_cache_alloc(k, s, GFP_KERNEL);
	} while (s->cpu_slab[0].stat[ALLOC_REFILL] == 0);
	assert_ptr_equal(x, a);
	assert_slab_ok(k);
	kmem_cache_shrink(k, s);
	assert_slab_ok(k);
	assert_null(s->cpu_slab[0].page);
	assert_null(s->cpu_slab[1].page);
}

static void test_kmem_cache_alloc_node_places_objects_on_that_node(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "numa", 512, 0, 0, NULL);
	void *objs[2][50];

	assert_non_null(s);
	assert_non_null(s->node[0]);
	assert_non_null(s->node[1]);
	for (int nid = 0; nid < 2; nid++)
		for (int i = 0; i < 50; i++) {
			objs[nid][i] = kmem_cache_alloc_node(k, s, GFP_KERNEL, nid);
			assert_non_null(objs[nid][i]);
			assert_int_equal(page_to_nid(slab_of(k, objs[nid][i])), nid);
			/* The node structure of a node lives on that node. */
			assert_int_equal(page_to_nid(virt_to_page(k, s->node[nid])), nid);
		}
	assert_true(s->node[0]->nr_slabs > 0 && s->node[1]->nr_slabs > 0);
	assert_int_equal(s->cpu_slab[0].stat[ALLOC_NODE_MISMATCH], 1);
	assert_slab_ok(k);
	for (int nid = 0; nid < 2; nid++)
		for (int i = 0; i < 50; i++)
			kmem_cache_free(k, s, objs[nid][i]);
	kmem_cache_destroy(k, s);
	assert_slab_ok(k);
}

/* ---- randomized stress against a reference model ---- */

struct live {
	uint8_t *p;
	size_t size;
	struct kmem_cache *s; /* NULL: kmalloc */
	int ci;               /* index of s in the test's caches, -1 for kmalloc */
	uint8_t fill;
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int cmp_live(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static void check_live_model(struct kernel *k, struct live *live, size_t n)
{
	struct live *sorted = malloc(n * sizeof(*sorted) + 1);

	memcpy(sorted, live, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_live);
	for (size_t i = 0; i + 1 < n; i++)
		if (sorted[i].p + sorted[i].size > sorted[i + 1].p)
			fail_msg("objects %p (+%zu) and %p overlap", sorted[i].p, sorted[i].size,
				 sorted[i + 1].p);
	for (size_t i = 0; i < n; i++) {
		assert_true(in_guest_ram(k, sorted[i].p, sorted[i].size));
		for (size_t b = 0; b < sorted[i].size; b++)
			if (sorted[i].p[b] != sorted[i].fill)
				fail_msg("object %p byte %zu changed", sorted[i].p, b);
	}
	free(sorted);
}

/* Objects of s in use: the slabs' inuse minus what the CPU freelists hold. */
static unsigned long objects_in_use(struct kernel *k, struct kmem_cache *s)
{
	unsigned long used = 0;

	for (unsigned long pfn = 0; pfn < k->max_pfn; pfn++) {
		struct page *page = pfn_to_page(k, pfn);

		if (PageSlab(page) && page->slab_cache == s)
			used += page->inuse;
	}
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		for (void *fp = s->cpu_slab[cpu].freelist; fp; fp = get_freepointer(s, fp))
			used--;
	return used;
}

static void test_slab_random_stress_matches_reference_model(void **state)
{
	struct kernel *k = K(state);
	static const unsigned int sizes[] = {8, 40, 200, 1000, 3000};
	struct kmem_cache *caches[5];
	enum { MAX_LIVE = 3000, OPS = 40000 };
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	unsigned long per_cache[5] = {0};
	size_t n = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	long before, slab_before;

	for (int i = 0; i < 5; i++)
		caches[i] = kmem_cache_create(k, "stress", sizes[i], 0, 0, NULL);
	before = free_pages_now(k);
	slab_before = (long)slab_count_pages(k, NULL);
	for (int op = 0; op < OPS; op++) {
		uint64_t r = xorshift(&rng);

		k->this_cpu = (int)(r % 4);
		if (n < MAX_LIVE && (n == 0 || (r >> 8) % 100 < 55)) {
			struct live *l = &live[n];
			int c = (int)((r >> 16) % 6);

			if (c < 5) {
				l->s = caches[c];
				l->ci = c;
				l->size = sizes[c];
				l->p = kmem_cache_alloc(k, l->s, GFP_KERNEL);
				per_cache[c]++;
			} else {
				l->s = NULL;
				l->ci = -1;
				l->size = 1 + (r >> 24) % 20000;
				l->p = kmalloc(k, l->size, GFP_KERNEL);
			}
			assert_non_null(l->p);
			l->fill = (uint8_t)(r >> 40);
			memset(l->p, l->fill, l->size);
			n++;
		} else {
			size_t i = (r >> 16) % n;
			struct live *l = &live[i];

			for (size_t b = 0; b < l->size; b++)
				if (l->p[b] != l->fill)
					fail_msg("op %d: object %p byte %zu changed", op, l->p, b);
			if (l->s) {
				kmem_cache_free(k, l->s, l->p);
				per_cache[l->ci]--;
			} else {
				kfree(k, l->p);
			}
			live[i] = live[--n];
		}
		if (op % 5000 == 4999) {
			check_live_model(k, live, n);
			for (int c = 0; c < 5; c++)
				assert_int_equal(objects_in_use(k, caches[c]), per_cache[c]);
			assert_slab_ok(k);
		}
	}
	check_live_model(k, live, n);
	while (n) {
		struct live *l = &live[--n];

		if (l->s)
			kmem_cache_free(k, l->s, l->p);
		else
			kfree(k, l->p);
	}
	k->this_cpu = 0;
	assert_slab_ok(k);
	for (int c = 0; c < 5; c++) {
		assert_int_equal(objects_in_use(k, caches[c]), 0);
		kmem_cache_shrink(k, caches[c]);
		assert_int_equal(slab_count_pages(k, caches[c]), 0);
		kmem_cache_destroy(k, caches[c]);
	}
	/* Every page is free again but what the kmalloc caches keep as empty slabs. */
	assert_int_equal(free_pages_now(k) + ((long)slab_count_pages(k, NULL) - slab_before),
			 before);
	assert_slab_ok(k);
	free(live);
}

/* ---- /proc/slabinfo ---- */

/* Lines from a Linux 6.18 host's /proc/slabinfo. */
static const char host_header[] =
	"slabinfo - version: 2.1\n"
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	" : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs>"
	" <sharedavail>\n";
static const char host_line[] =
	"kmalloc-8k            36     36   8192    4    8 : tunables    0    0    0 : slabdata "
	"     9      9      0";

static const char *find_line(const char *text, const char *name, char *line, size_t len)
{
	const char *p = text;
	size_t nl = strlen(name);

	while (p && *p) {
		const char *end = strchr(p, '\n');

		if (!strncmp(p, name, nl) && p[nl] == ' ') {
			size_t l = (size_t)(end - p);

			assert_true(l < len);
			memcpy(line, p, l);
			line[l] = '\0';
			return line;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void test_slabinfo_has_linux_header_and_column_layout(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "info_cache", 200, 0, 0, NULL);
	struct seq_file m;
	char line[256];
	void *objs[3];
	unsigned long active, num, as, ns, sh;
	unsigned int objsize, per, pages, t1, t2, t3;
	char name[64];

	for (int i = 0; i < 3; i++)
		objs[i] = kmem_cache_alloc(k, s, GFP_KERNEL);
	/* Flushed to the partial list, the slab shows exactly its 3 objects in use. */
	kmem_cache_shrink(k, s);
	seq_init(&m);
	slabinfo_show(&m, k);
	assert_memory_equal(m.buf, host_header, strlen(host_header));

	assert_non_null(find_line(m.buf, "kmalloc-8k", line, sizeof(line)));
	assert_int_equal(strlen(line), strlen(host_line));
	for (size_t i = 0; i < strlen(host_line); i++)
		if ((host_line[i] == ':') != (line[i] == ':'))
			fail_msg("column layout differs at %zu: '%s'", i, line);

	assert_non_null(find_line(m.buf, "info_cache", line, sizeof(line)));
	assert_int_equal(sscanf(line, "%63s %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %lu",
				name, &active, &num, &objsize, &per, &pages, &t1, &t2, &t3, &as, &ns, &sh),
			 12);
	assert_int_equal(active, 3);
	assert_int_equal(num, per);
	assert_int_equal(objsize, 200);
	assert_int_equal(per, 20); /* 8 wanted, order 0 holds 20 with 96 bytes left */
	assert_int_equal(pages, 1);
	assert_int_equal(t1 + t2 + t3 + sh, 0);
	assert_int_equal(as, 1);
	assert_int_equal(ns, 1);
	/* Newest first: the new cache leads, the bootstrap caches close the list. */
	assert_memory_equal(m.buf + strlen(host_header), "info_cache ", 11);
	assert_non_null(strstr(m.buf, "\nkmalloc-8 "));
	assert_true(strstr(m.buf, "\nkmalloc-8 ") < strstr(m.buf, "\nkmalloc-192 "));
	assert_true(strstr(m.buf, "\nkmalloc-192 ") < strstr(m.buf, "\nkmalloc-96 "));
	assert_true(strstr(m.buf, "\nkmalloc-96 ") < strstr(m.buf, "\nkmem_cache_node "));
	assert_true(strstr(m.buf, "\nkmem_cache_node ") < strstr(m.buf, "\nkmem_cache "));
	assert_int_equal(strlen(strstr(m.buf, "\nkmem_cache ")) - 1, strlen(host_line) + 1);
	seq_release(&m);
	for (int i = 0; i < 3; i++)
		kmem_cache_free(k, s, objs[i]);
	kmem_cache_destroy(k, s);
}

/* Every kmalloc-N line of the stored Linux 6.18 host's /proc/slabinfo (2 CPUs) has its
 * counterpart in ours with the same objsize, objperslab and pagesperslab, and with the
 * separators at the same columns. */
static void test_slabinfo_kmalloc_lines_match_stored_linux_host(void **state)
{
	struct kernel *k = K(state);
	const char *src = getenv("MMEMU_SRC");
	char path[512], host[512], ours[256];
	struct seq_file m;
	int matched = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/kernel-sim/data/linux-6.18-slabinfo.txt",
		 src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	seq_init(&m);
	slabinfo_show(&m, k);
	while (fgets(host, sizeof(host), f)) {
		char name[64];
		unsigned int hsize, hper, hpages, size, per, pages;
		unsigned long a, n;

		host[strcspn(host, "\n")] = '\0';
		if (strncmp(host, "kmalloc-", 8) || host[8] < '0' || host[8] > '9')
			continue;
		assert_int_equal(sscanf(host, "%63s %lu %lu %u %u %u", name, &a, &n, &hsize, &hper,
					&hpages), 6);
		if (!find_line(m.buf, name, ours, sizeof(ours)))
			fail_msg("no %s in our slabinfo", name);
		assert_int_equal(sscanf(ours, "%*s %lu %lu %u %u %u", &a, &n, &size, &per, &pages), 5);
		assert_int_equal(size, hsize);
		assert_int_equal(per, hper);
		assert_int_equal(pages, hpages);
		assert_int_equal(strlen(ours), strlen(host));
		for (size_t i = 0; i < strlen(host); i++)
			assert_int_equal(host[i] == ':', ours[i] == ':');
		matched++;
	}
	fclose(f);
	seq_release(&m);
	assert_int_equal(matched, 13);
}

/* ---- bad input and kernel bugs ---- */

static void test_kmem_cache_create_absurd_arguments_return_null(void **state)
{
	struct kernel *k = K(state);

	assert_null(kmem_cache_create(k, NULL, 64, 0, 0, NULL));
	assert_null(kmem_cache_create(k, "zero", 0, 0, 0, NULL));
	assert_null(kmem_cache_create(k, "huge", (unsigned int)KMALLOC_MAX_SIZE + 1, 0, 0, NULL));
	assert_null(kmem_cache_create(k, "max", UINT32_MAX, 0, 0, NULL));
	assert_null(kmem_cache_create(k, "align3", 64, 3, 0, NULL));
	assert_null(kmem_cache_create(k, "align8k", 64, 8192, 0, NULL));
	assert_slab_ok(k);
}

static void do_double_free_fast(struct kernel *k, void *arg)
{
	struct kmem_cache *s = arg;
	void *p = kmem_cache_alloc(k, s, GFP_KERNEL);

	kmem_cache_free(k, s, p);
	kmem_cache_free(k, s, p);
}

static void do_double_free_slow(struct kernel *k, void *arg)
{
	struct kmem_cache *s = arg;
	void *first = kmem_cache_alloc(k, s, GFP_KERNEL);
	unsigned int per = slab_of(k, first)->objects;

	/* Fill the first slab so first's slab is no longer the CPU's. */
	for (unsigned int i = 0; i < per; i++)
		kmem_cache_alloc(k, s, GFP_KERNEL);
	kmem_cache_free(k, s, first);
	kmem_cache_free(k, s, first);
}

static void do_free_interior_pointer(struct kernel *k, void *arg)
{
	struct kmem_cache *s = arg;
	char *p = kmem_cache_alloc(k, s, GFP_KERNEL);

	kmem_cache_free(k, s, p + 8);
}

static void do_kfree_page_pointer(struct kernel *k, void *arg)
{
	kfree(k, page_address(k, alloc_page(k, GFP_KERNEL)));
}

static void do_kfree_host_pointer(struct kernel *k, void *arg)
{
	int local = 0;

	kfree(k, &local);
}

static void do_free_to_wrong_cache(struct kernel *k, void *arg)
{
	kmem_cache_free(k, arg, kmalloc(k, 64, GFP_KERNEL));
}

static void test_slab_double_free_and_bad_pointers_are_bugs(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "bugs", 64, 0, 0, NULL);

	assert_true(dies_with_bug(k, do_double_free_fast, s));
	assert_true(dies_with_bug(k, do_double_free_slow, s));
	assert_true(dies_with_bug(k, do_free_interior_pointer, s));
	assert_true(dies_with_bug(k, do_kfree_page_pointer, NULL));
	assert_true(dies_with_bug(k, do_kfree_host_pointer, NULL));
	assert_true(dies_with_bug(k, do_free_to_wrong_cache, s));
	/* The parent's allocator is untouched. */
	assert_slab_ok(k);
	assert_int_equal(s->node[0]->nr_slabs, 0);
	kmem_cache_destroy(k, s);
	assert_int_equal(slab_count_pages(k, s), 0);
}

static void test_slab_check_reports_corrupted_freelist(void **state)
{
	struct kernel *k = K(state);
	struct kmem_cache *s = kmem_cache_create(k, "corrupt", 64, 0, 0, NULL);
	void *a = kmem_cache_alloc(k, s, GFP_KERNEL);
	void *b = kmem_cache_alloc(k, s, GFP_KERNEL);
	struct kmem_cache_cpu *c = &s->cpu_slab[0];
	void *saved = get_freepointer(s, c->freelist);
	char err[256] = "";

	assert_int_equal(slab_check(k, err, sizeof(err)), 0);
	/* A cycle in the CPU freelist. */
	*(void **)((char *)c->freelist + s->offset) = c->freelist;
	assert_int_equal(slab_check(k, err, sizeof(err)), -EUCLEAN);
	assert_non_null(strstr(err, "corrupt"));
	*(void **)((char *)c->freelist + s->offset) = saved;
	/* A wrong inuse count. */
	slab_of(k, a)->inuse--;
	assert_int_equal(slab_check(k, err, sizeof(err)), -EUCLEAN);
	slab_of(k, a)->inuse++;
	assert_int_equal(slab_check(k, err, sizeof(err)), 0);
	kmem_cache_free(k, s, a);
	kmem_cache_free(k, s, b);
	kmem_cache_destroy(k, s);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kmem_cache_free_then_alloc_returns_same_object_lifo, setup_1cpu),
		T(test_kmem_cache_free_into_full_slab_moves_it_to_partial_list, setup_1cpu),
		T(test_kmem_cache_empty_slabs_beyond_min_partial_return_to_buddy, setup_1cpu),
		T(test_slab_order_matches_linux_for_kmalloc_caches_1cpu, setup_1cpu),
		T(test_slab_order_accepts_waste_up_to_one_sixteenth, setup_1cpu),
		T(test_kmalloc_every_size_to_8k_goes_to_linux_class, setup_1cpu),
		T(test_kmalloc_above_8k_takes_compound_pages_from_buddy, setup_1cpu),
		T(test_kmalloc_zero_and_null_edge_cases, setup_1cpu),
		T(test_kmem_cache_ctor_runs_once_per_object_at_slab_creation, setup_1cpu),
		T(test_kmem_cache_alignment_respected, setup_1cpu),
		T(test_kmem_cache_destroy_returns_every_page_to_buddy, setup_1cpu),
		T(test_kmem_cache_reclaim_account_counts_reclaimable, setup_1cpu),
		T(test_objects_live_in_guest_ram_on_slab_pages, setup_1cpu),
		T(test_boot_every_slab_names_a_listed_cache, setup_1cpu),
		T(test_boot_every_slab_names_a_listed_cache, setup_2cpu_2node),
		T(test_slabinfo_has_linux_header_and_column_layout, setup_1cpu),
		T(test_kmem_cache_create_absurd_arguments_return_null, setup_1cpu),
		T(test_slab_double_free_and_bad_pointers_are_bugs, setup_1cpu),
		T(test_slab_check_reports_corrupted_freelist, setup_1cpu),
		T(test_kmem_cache_cpus_take_separate_slabs_and_remote_frees_go_slow, setup_4cpu),
		T(test_slab_random_stress_matches_reference_model, setup_4cpu),
		T(test_slab_order_matches_linux_host_2cpu, setup_2cpu_2node),
		T(test_kmem_cache_alloc_node_places_objects_on_that_node, setup_2cpu_2node),
		T(test_slabinfo_kmalloc_lines_match_stored_linux_host, setup_2cpu_2node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
