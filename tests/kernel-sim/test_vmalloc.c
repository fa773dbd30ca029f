/*
 * Tests of kernel-sim/vmalloc.c: areas of scattered frames mapped PAGE_KERNEL in the kernel's
 * page tables, guard pages, the host mirror, accounting, first-fit reuse and
 * /proc/vmallocinfo.
 *
 * Translations are checked with sdm_walk(), a 4-level walker written from the Intel SDM
 * (Vol. 3A, 4.5) that reads the tables through the physical bus, independently of
 * pgtable.c's walk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel-sim/debug_vm.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/pgtable.h"
#include "kernel-sim/proc.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/vmalloc.h"
#include "mmu/bus.h"
#include "tests/kernel-sim/sdm_walk.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define VSTART 0xffffc90000000000ULL

struct fixture {
	struct phys_bus bus;
	struct kernel k;
};

static struct fixture *boot_with(struct boot_params *p)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(bus_init(&f->bus, p->ram_size), 0);
	char err[256] = "";
	int rc = kernel_boot(&f->k, &f->bus, p, err, sizeof(err));
	if (rc)
		print_error("kernel_boot: %s\n", err);
	assert_int_equal(rc, 0);
	return f;
}

static struct fixture *boot_machine(uint64_t ram)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = ram;
	p.node[0].mem = ram;
	return boot_with(&p);
}

static int setup_64m(void **state)
{
	*state = boot_machine(64 * MiB);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kernel_shutdown(&f->k);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint64_t kernel_cr3(struct fixture *f)
{
	return __pa(&f->k, init_pgd(&f->k));
}

/* Frames the page allocator can hand out now: the buddy's free pages plus the pages parked
 * on per-cpu lists (which Linux does not count in NR_FREE_PAGES). */
static long free_frames(struct kernel *k)
{
	long n = global_zone_page_state(k, NR_FREE_PAGES);
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			if (!managed_zone(zone) || !zone->per_cpu_pageset)
				continue;
			for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
				n += zone->per_cpu_pageset[cpu].count;
		}
	}
	return n;
}

static long nr_pagetable(struct kernel *k)
{
	return global_node_page_state(k, NR_PAGETABLE);
}

/* True when the host can read the byte at p (write() reports EFAULT otherwise). */
static bool host_readable(const void *p)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	ssize_t n = write(fds[1], p, 1);
	int err = errno;
	close(fds[0]);
	close(fds[1]);
	if (n < 0)
		assert_int_equal(err, EFAULT);
	return n == 1;
}

/* ---- bad sizes ---- */

static void test_vmalloc_size_zero_and_huge_return_null(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	long free_before = free_frames(k);
	assert_null(vmalloc(k, 0));
	assert_null(vmalloc(k, (unsigned long)-1));
	assert_null(vmalloc(k, (unsigned long)-4096));
	assert_null(vmalloc(k, 2 * f->bus.ram_size));
	assert_null(__vmalloc_node(k, 4096, 3, GFP_KERNEL, NUMA_NO_NODE, "bad_align"));
	assert_null(__vmalloc_node(k, 4096, 1ULL << 62, GFP_KERNEL, NUMA_NO_NODE, "huge_align"));
	assert_null(vmalloc_node(k, 4096, 1));
	assert_null(vmalloc_node(k, 4096, -2));
	assert_int_equal(vmalloc_nr_pages(k), 0);
	assert_int_equal(free_frames(k), free_before);
	struct seq_file m;
	seq_init(&m);
	vmallocinfo_show(&m, k);
	assert_string_equal(m.buf, "");
	seq_release(&m);
}

/* Not enough free frames: the allocation fails cleanly and gives back every frame it took
 * (the page tables it built stay, as Linux keeps vmalloc tables). */
static void test_vmalloc_out_of_memory_returns_null_and_frees_all(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	long free_before = free_frames(k);
	long pt_before = nr_pagetable(k);
	unsigned long size = (k->totalram_pages - 1) * PAGE_SIZE;
	assert_null(vmalloc(k, size));
	assert_int_equal(vmalloc_nr_pages(k), 0);
	assert_int_equal(free_frames(k) + (nr_pagetable(k) - pt_before), free_before);
	/* and the space is free again */
	void *p = vmalloc(k, PAGE_SIZE);
	assert_non_null(p);
	assert_int_equal(vmalloc_kva(k, p), VSTART);
	vfree(k, p);
}

/* ---- frames and page-table entries ---- */

static void test_vmalloc_pages_not_contiguous_when_free_lists_fragmented(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	enum { N = 256 };
	struct page *held[N];
	for (int i = 0; i < N; i++)
		assert_non_null(held[i] = alloc_page(k, GFP_KERNEL));
	/* free every other frame: the free frames now sit between allocated ones */
	for (int i = 0; i < N; i += 2)
		__free_page(k, held[i]);
	enum { PAGES = 32 };
	uint8_t *p = vmalloc(k, PAGES * PAGE_SIZE);
	assert_non_null(p);
	struct vm_struct *vm = find_vm_area(k, p);
	assert_non_null(vm);
	assert_int_equal(vm->nr_pages, PAGES);
	int consecutive = 0;
	for (int i = 0; i < PAGES; i++) {
		assert_true(PageVmalloc(vm->pages[i]));
		assert_ptr_equal(vmalloc_to_page(k, p + i * PAGE_SIZE), vm->pages[i]);
		if (i && page_to_pfn(k, vm->pages[i]) == page_to_pfn(k, vm->pages[i - 1]) + 1)
			consecutive++;
	}
	assert_true(consecutive < PAGES - 1);
	vfree(k, p);
	for (int i = 1; i < N; i += 2)
		__free_page(k, held[i]);
	assert_int_equal(debug_vm_leaked_pages(k), nr_pagetable(k));
	char msg[256];
	if (debug_vm_check(k, msg, sizeof(msg)))
		fail_msg("debug_vm_check: %s", msg);
}

static void test_vmalloc_every_pte_present_with_page_kernel_flags(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	enum { PAGES = 5 };
	uint8_t *p = vmalloc(k, PAGES * PAGE_SIZE - 100);
	assert_non_null(p);
	uint64_t kva = vmalloc_kva(k, p);
	for (int i = 0; i < PAGES; i++) {
		struct walk w = {0};
		assert_true(sdm_walk(&f->bus, kernel_cr3(f), kva + i * PAGE_SIZE + 7, &w));
		assert_int_equal(w.level, 1);
		assert_int_equal(w.pa, page_to_phys(k, vmalloc_to_page(k, p + i * PAGE_SIZE)) + 7);
		/* Linux's PAGE_KERNEL: P, RW, A, D, G, XD; not user, not uncached, not PAT */
		assert_int_equal(w.leaf & ~E_ADDR, E_P | E_RW | E_A | E_D | E_G | E_XD);
	}
	/* the guard page after the area is not mapped, in the guest nor in the host */
	struct walk w = {0};
	assert_false(sdm_walk(&f->bus, kernel_cr3(f), kva + PAGES * PAGE_SIZE, &w));
	assert_null(vmalloc_to_page(k, p + PAGES * PAGE_SIZE));
	assert_true(host_readable(p + PAGES * PAGE_SIZE - 1));
	assert_false(host_readable(p + PAGES * PAGE_SIZE));
	/* the area's size counts the guard page, as Linux's vm_struct does */
	assert_int_equal(find_vm_area(k, p)->size, (PAGES + 1) * PAGE_SIZE);
	assert_ptr_equal(find_vm_area(k, p + PAGES * PAGE_SIZE), find_vm_area(k, p));
	vfree(k, p);
}

static void test_vmalloc_writes_through_pointer_land_in_guest_frames(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	enum { PAGES = 4 };
	uint32_t *p = vmalloc(k, PAGES * PAGE_SIZE);
	assert_non_null(p);
	size_t words = PAGES * PAGE_SIZE / sizeof(uint32_t);
	for (size_t i = 0; i < words; i++)
		p[i] = (uint32_t)(i * 2654435761u);
	uint64_t kva = vmalloc_kva(k, p);
	for (size_t i = 0; i < words; i += 97) {
		uint64_t off = i * sizeof(uint32_t);
		/* through the frame's direct-map address */
		struct page *page = vmalloc_to_page(k, (uint8_t *)p + off);
		uint32_t via_page;
		memcpy(&via_page, (uint8_t *)page_address(k, page) + (off & (PAGE_SIZE - 1)), 4);
		assert_int_equal(via_page, (uint32_t)(i * 2654435761u));
		/* through a hardware-style walk of the guest-visible address */
		struct walk w = {0};
		assert_true(sdm_walk(&f->bus, kernel_cr3(f), kva + off, &w));
		assert_int_equal(bus_load(&f->bus, w.pa, 4), (uint32_t)(i * 2654435761u));
	}
	/* a store through the physical frame is seen through the pointer */
	struct walk w = {0};
	assert_true(sdm_walk(&f->bus, kernel_cr3(f), kva + PAGE_SIZE + 8, &w));
	bus_store(&f->bus, w.pa, 0xfeedfaceu, 4);
	assert_int_equal(p[PAGE_SIZE / 4 + 2], 0xfeedfaceu);
	assert_ptr_equal(vmalloc_from_kva(k, kva + 12), (uint8_t *)p + 12);
	vfree(k, p);
}

static void test_vfree_unmaps_and_frees_every_page(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	long free_before = free_frames(k);
	long pt_before = nr_pagetable(k);
	enum { PAGES = 40 };
	uint8_t *p = vmalloc(k, PAGES * PAGE_SIZE);
	assert_non_null(p);
	struct page *pages[PAGES];
	memcpy(pages, find_vm_area(k, p)->pages, sizeof(pages));
	uint64_t kva = vmalloc_kva(k, p);
	assert_int_equal(vmalloc_nr_pages(k), PAGES);
	vfree(k, p);
	for (int i = 0; i < PAGES; i++) {
		struct walk w = {0};
		assert_false(sdm_walk(&f->bus, kernel_cr3(f), kva + i * PAGE_SIZE, &w));
		assert_false(PageVmalloc(pages[i]));
		assert_int_equal(page_count(pages[i]), 0);
	}
	assert_false(host_readable(p));
	assert_null(find_vm_area(k, p));
	assert_int_equal(vmalloc_nr_pages(k), 0);
	/* every frame is back; the tables built for the range stay allocated */
	assert_int_equal(free_frames(k) + (nr_pagetable(k) - pt_before), free_before);
	/* the only frames missing since boot are the vmalloc range's page tables */
	assert_int_equal(debug_vm_leaked_pages(k), nr_pagetable(k));
	char msg[256];
	if (debug_vm_check(k, msg, sizeof(msg)))
		fail_msg("debug_vm_check: %s", msg);
	vfree(k, NULL);
}

static void test_vzalloc_returns_zeroed_memory(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	uint8_t *dirty = vmalloc(k, 8 * PAGE_SIZE);
	assert_non_null(dirty);
	memset(dirty, 0xa5, 8 * PAGE_SIZE);
	vfree(k, dirty);
	uint8_t *z = vzalloc(k, 8 * PAGE_SIZE);
	assert_non_null(z);
	for (size_t i = 0; i < 8 * PAGE_SIZE; i++)
		assert_int_equal(z[i], 0);
	vfree(k, z);
}

/* ---- page tables ---- */

/* VMALLOC_START is 1 GiB aligned and its PDPT exists from boot: the first area needs one PD
 * and one PT, the next areas in the same 2 MiB none. */
static void test_vmalloc_new_tables_counted_in_nr_pagetable(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	long pt_before = nr_pagetable(k);
	void *a = vmalloc(k, PAGE_SIZE);
	assert_non_null(a);
	assert_int_equal(nr_pagetable(k), pt_before + 2);
	void *b = vmalloc(k, 3 * PAGE_SIZE);
	assert_non_null(b);
	assert_int_equal(nr_pagetable(k), pt_before + 2);
	uint64_t pde = 0;
	uint64_t table = kernel_cr3(f);
	for (int level = 4; level >= 2; level--) {
		unsigned idx = (VSTART >> (12 + 9 * (level - 1))) & 0x1ff;
		pde = bus_load(&f->bus, table + idx * 8, 8);
		table = pde & E_ADDR;
		assert_true(PageTable(pfn_to_page(k, table >> 12)));
	}
	vfree(k, a);
	vfree(k, b);
}

/* The vmalloc range's PML4 entry exists before any vmalloc, so an address space made before
 * an area sees it without any sync. */
static void test_vmalloc_visible_from_pgd_made_before_it(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	pgd_t *pgd = pgd_alloc(k);
	assert_non_null(pgd);
	uint8_t *p = vmalloc(k, 2 * PAGE_SIZE);
	assert_non_null(p);
	struct walk w = {0};
	assert_true(sdm_walk(&f->bus, __pa(k, pgd), vmalloc_kva(k, p) + PAGE_SIZE, &w));
	assert_int_equal(w.pa, page_to_phys(k, vmalloc_to_page(k, p + PAGE_SIZE)));
	vfree(k, p);
	assert_false(sdm_walk(&f->bus, __pa(k, pgd), vmalloc_kva(k, p) + PAGE_SIZE, &w));
	pgd_free(k, pgd);
}

/* ---- the space ---- */

static void test_vmalloc_reuses_freed_range_first_fit(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	uint8_t *a = vmalloc(k, 3 * PAGE_SIZE);
	uint8_t *b = vmalloc(k, PAGE_SIZE);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vmalloc_kva(k, a), VSTART);
	/* a's three pages and its guard page come first */
	assert_int_equal(vmalloc_kva(k, b), VSTART + 4 * PAGE_SIZE);
	vfree(k, a);
	/* two pages and a guard fit in a's four-page hole */
	uint8_t *c = vmalloc(k, 2 * PAGE_SIZE);
	assert_ptr_equal(c, a);
	/* four pages and a guard do not fit in what is left: they go after b */
	uint8_t *d = vmalloc(k, 4 * PAGE_SIZE);
	assert_int_equal(vmalloc_kva(k, d), VSTART + 6 * PAGE_SIZE);
	/* the one-page hole left before b cannot hold a page and its guard */
	uint8_t *e = vmalloc(k, PAGE_SIZE);
	assert_int_equal(vmalloc_kva(k, e), VSTART + 11 * PAGE_SIZE);
	vfree(k, b);
	vfree(k, c);
	vfree(k, d);
	vfree(k, e);
}

static void test_vmalloc_aligned_area_starts_on_boundary(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	void *a = vmalloc(k, PAGE_SIZE);
	void *b = __vmalloc_node(k, 3 * PAGE_SIZE, 2 * MiB, GFP_KERNEL, NUMA_NO_NODE, "aligned");
	assert_non_null(b);
	assert_int_equal(vmalloc_kva(k, b), VSTART + 2 * MiB);
	vfree(k, a);
	vfree(k, b);
}

static void test_vmalloc_space_exhausted_returns_null(void **state)
{
	(void)state;
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 64 * MiB;
	p.node[0].mem = 64 * MiB;
	p.vmalloc_size = 16 * PAGE_SIZE;
	struct fixture *f = boot_with(&p);
	struct kernel *k = &f->k;
	assert_int_equal(vmalloc_total_bytes(k), 16 * PAGE_SIZE);
	/* 15 pages and a guard fill the space exactly; 16 pages do not fit */
	assert_null(vmalloc(k, 16 * PAGE_SIZE));
	void *a = vmalloc(k, 15 * PAGE_SIZE);
	assert_non_null(a);
	assert_null(vmalloc(k, PAGE_SIZE));
	vfree(k, a);
	assert_non_null(a = vmalloc(k, PAGE_SIZE));
	vfree(k, a);
	*state = f;
	teardown(state);
}

static void test_vmalloc_bad_vmalloc_size_fails_boot(void **state)
{
	(void)state;
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 64 * MiB;
	p.node[0].mem = 64 * MiB;
	const uint64_t bad[] = {100, 4096 + 1, 64ULL << 40};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct phys_bus bus;
		struct kernel *k = calloc(1, sizeof(*k));
		assert_non_null(k);
		assert_int_equal(bus_init(&bus, p.ram_size), 0);
		p.vmalloc_size = bad[i];
		char err[256];
		assert_int_not_equal(kernel_boot(k, &bus, &p, err, sizeof(err)), 0);
		free(k);
		bus_destroy(&bus);
	}
}

/* ---- accounting and /proc ---- */

static void test_vmalloc_total_and_used_for_meminfo(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	/* 64 MiB of RAM: the default, 1 GiB */
	assert_int_equal(vmalloc_total_bytes(k), GiB);
	void *a = vmalloc(k, 3 * PAGE_SIZE);
	void *b = vmalloc(k, 10 * PAGE_SIZE + 1);
	assert_int_equal(vmalloc_nr_pages(k), 14);
	struct seq_file m;
	seq_init(&m);
	meminfo_show(&m, k);
	assert_non_null(
		strstr(m.buf, "\nVmallocTotal:    1048576 kB\nVmallocUsed:          56 kB\n"));
	seq_release(&m);
	/* vmap maps the caller's frames: they are not vmalloc's */
	struct page *pg = alloc_page(k, GFP_KERNEL);
	void *c = vmap(k, &pg, 1, VM_MAP, PAGE_KERNEL);
	assert_non_null(c);
	assert_int_equal(vmalloc_nr_pages(k), 14);
	vunmap(k, c);
	__free_page(k, pg);
	vfree(k, a);
	assert_int_equal(vmalloc_nr_pages(k), 11);
	vfree(k, b);
	assert_int_equal(vmalloc_nr_pages(k), 0);
}

static void test_vmallocinfo_lines_in_linux_format(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	void *a = vmalloc(k, 4 * PAGE_SIZE);
	void *b = vzalloc(k, PAGE_SIZE);
	struct seq_file m;
	seq_init(&m);
	vmallocinfo_show(&m, k);
	const char *expect =
		"0xffffc90000000000-0xffffc90000005000   20480 "
		"test_vmallocinfo_lines_in_linux_format+0x0/0x0 pages=4 vmalloc N0=4\n"
		"0xffffc90000005000-0xffffc90000007000    8192 "
		"test_vmallocinfo_lines_in_linux_format+0x0/0x0 pages=1 vmalloc N0=1\n";
	assert_string_equal(m.buf, expect);
	seq_release(&m);
	vfree(k, a);
	vfree(k, b);
}

/* A vmap area lists no pages; an area with more than a page of page pointers keeps them in
 * a nested vmalloc area ("vpages"), listed after it, as Linux does. */
static void test_vmallocinfo_shows_vmap_and_vpages(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	struct page *pages[2] = {alloc_page(k, GFP_KERNEL), alloc_page(k, GFP_KERNEL)};
	void *v = vmap_pages(k, pages, 2, VM_MAP, PAGE_KERNEL, "map_it");
	assert_non_null(v);
	assert_ptr_equal(vmalloc_to_page(k, (uint8_t *)v + PAGE_SIZE), pages[1]);
	void *big = __vmalloc_node(k, 1024 * PAGE_SIZE, 1, GFP_KERNEL, NUMA_NO_NODE, "big");
	assert_non_null(big);
	struct seq_file m;
	seq_init(&m);
	vmallocinfo_show(&m, k);
	/* 1024 pointers of 8 bytes: two pages, plus a guard */
	assert_string_equal(m.buf,
			    "0xffffc90000000000-0xffffc90000003000   12288 map_it+0x0/0x0 vmap\n"
			    "0xffffc90000003000-0xffffc90000404000 4198400 big+0x0/0x0 pages=1024 "
			    "vmalloc vpages N0=1024\n"
			    "0xffffc90000404000-0xffffc90000407000   12288 big+0x0/0x0 pages=2 "
			    "vmalloc N0=2\n");
	seq_release(&m);
	assert_int_equal(vmalloc_nr_pages(k), 1026);
	vfree(k, big);
	assert_int_equal(vmalloc_nr_pages(k), 0);
	vunmap(k, v);
	assert_int_equal(page_count(pages[0]), 1);
	__free_page(k, pages[0]);
	__free_page(k, pages[1]);
}

static void test_vmalloc_node_takes_frames_from_that_node(void **state)
{
	(void)state;
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 64 * MiB;
	p.nr_nodes = 2;
	p.node[0].mem = 32 * MiB;
	p.node[1].mem = 32 * MiB;
	p.node[1].cpu_first = -1;
	p.node[1].cpu_last = -1;
	struct fixture *f = boot_with(&p);
	struct kernel *k = &f->k;
	void *a = vmalloc_node(k, 6 * PAGE_SIZE, 1);
	assert_non_null(a);
	struct vm_struct *vm = find_vm_area(k, a);
	for (unsigned i = 0; i < vm->nr_pages; i++)
		assert_int_equal(page_to_nid(vm->pages[i]), 1);
	struct seq_file m;
	seq_init(&m);
	vmallocinfo_show(&m, k);
	assert_non_null(strstr(m.buf, " pages=6 vmalloc N1=6\n"));
	seq_release(&m);
	vfree(k, a);
	*state = f;
	teardown(state);
}

static void test_vmalloc_addr_predicates(void **state)
{
	struct fixture *f = *state;
	struct kernel *k = &f->k;
	int local;
	void *p = vmalloc(k, PAGE_SIZE);
	assert_true(is_vmalloc_addr(k, p));
	assert_false(is_vmalloc_addr(k, &local));
	assert_false(is_vmalloc_addr(k, f->bus.ram));
	assert_null(vmalloc_to_page(k, &local));
	assert_true(is_vmalloc_kva(k, VSTART));
	assert_true(is_vmalloc_kva(k, VSTART + GiB - 1));
	assert_false(is_vmalloc_kva(k, VSTART + GiB));
	assert_false(is_vmalloc_kva(k, 0xffff888000000000ULL));
	vfree(k, p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_64m, teardown)
	const struct CMUnitTest tests[] = {
		T(test_vmalloc_size_zero_and_huge_return_null),
		T(test_vmalloc_out_of_memory_returns_null_and_frees_all),
		T(test_vmalloc_pages_not_contiguous_when_free_lists_fragmented),
		T(test_vmalloc_every_pte_present_with_page_kernel_flags),
		T(test_vmalloc_writes_through_pointer_land_in_guest_frames),
		T(test_vfree_unmaps_and_frees_every_page),
		T(test_vzalloc_returns_zeroed_memory),
		T(test_vmalloc_new_tables_counted_in_nr_pagetable),
		T(test_vmalloc_visible_from_pgd_made_before_it),
		T(test_vmalloc_reuses_freed_range_first_fit),
		T(test_vmalloc_aligned_area_starts_on_boundary),
		cmocka_unit_test(test_vmalloc_space_exhausted_returns_null),
		cmocka_unit_test(test_vmalloc_bad_vmalloc_size_fails_boot),
		T(test_vmalloc_total_and_used_for_meminfo),
		T(test_vmallocinfo_lines_in_linux_format),
		T(test_vmallocinfo_shows_vmap_and_vpages),
		cmocka_unit_test(test_vmalloc_node_takes_frames_from_that_node),
		T(test_vmalloc_addr_predicates),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
