/* NUMA: zonelists by distance, fallback to the nearest node, numa_* counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/ktest.h"

/* Three nodes of 256 MiB on a line: 0 - 1 - 2, so node 0's nearest other node is 1. The
 * distances are given so that node id order would be wrong for node 2. */
static struct machine *boot_three_nodes(void)
{
	struct boot_params p;
	boot_params_default(&p);
	p.nr_nodes = 3;
	p.nr_cpus = 3;
	p.ram_size = 768ULL << 20;
	for (int n = 0; n < 3; n++)
		p.node[n] = (struct numa_node_params){256ULL << 20, n, n};
	static const uint8_t d[3][3] = {{10, 20, 40}, {20, 10, 20}, {40, 20, 10}};
	memcpy(&p.distance[0][0], d[0], 3);
	memcpy(&p.distance[1][0], d[1], 3);
	memcpy(&p.distance[2][0], d[2], 3);
	return ktest_boot_params(&p);
}

static int zonelist_nodes(struct kernel *k, int nid, int list, int out[16])
{
	int n = 0;
	for (struct zoneref *z = NODE_DATA(k, nid)->node_zonelists[list]._zonerefs; z->zone; z++)
		out[n++] = z->zone->node * 10 + z->zone_idx;
	return n;
}

static void test_zonelist_orders_nodes_by_distance_then_zones_high_first(void **state)
{
	struct machine *m = boot_three_nodes();
	struct kernel *k = &m->kernel;
	int got[16];
	/* Node 0 has DMA and DMA32; nodes 1 and 2 have only DMA32 (all below 4 GiB). */
	int n = zonelist_nodes(k, 2, ZONELIST_FALLBACK, got);
	int expect2[] = {2 * 10 + ZONE_DMA32, 1 * 10 + ZONE_DMA32, 0 * 10 + ZONE_DMA32,
			 0 * 10 + ZONE_DMA};
	assert_int_equal(n, 4);
	assert_memory_equal(got, expect2, sizeof(expect2));
	n = zonelist_nodes(k, 0, ZONELIST_FALLBACK, got);
	int expect0[] = {ZONE_DMA32, ZONE_DMA, 10 + ZONE_DMA32, 20 + ZONE_DMA32};
	assert_int_equal(n, 4);
	assert_memory_equal(got, expect0, sizeof(expect0));
	n = zonelist_nodes(k, 1, ZONELIST_NOFALLBACK, got);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 10 + ZONE_DMA32);
	ktest_shutdown(m);
}

static void test_numa_local_allocation_counts_hit_and_local(void **state)
{
	struct machine *m = boot_three_nodes();
	struct kernel *k = &m->kernel;
	k->this_cpu = 1;
	struct zone *z1 = &NODE_DATA(k, 1)->node_zones[ZONE_DMA32];
	struct zone *z2 = &NODE_DATA(k, 2)->node_zones[ZONE_DMA32];
	unsigned long ev1[NR_VM_NUMA_EVENT_ITEMS], ev2[NR_VM_NUMA_EVENT_ITEMS];
	memcpy(ev1, z1->vm_numa_event, sizeof(ev1));
	memcpy(ev2, z2->vm_numa_event, sizeof(ev2));
	struct page *page = alloc_pages(k, GFP_KERNEL, 0);
	assert_int_equal(page_to_nid(page), 1);
	assert_int_equal(z1->vm_numa_event[NUMA_HIT] - ev1[NUMA_HIT], 1);
	assert_int_equal(z1->vm_numa_event[NUMA_LOCAL] - ev1[NUMA_LOCAL], 1);
	assert_int_equal(z1->vm_numa_event[NUMA_MISS] - ev1[NUMA_MISS], 0);
	/* Asking for node 2 from CPU 1: a hit on node 2, but not local to the CPU. */
	page = alloc_pages_node(k, 2, GFP_KERNEL, 0);
	assert_int_equal(page_to_nid(page), 2);
	assert_int_equal(z2->vm_numa_event[NUMA_HIT] - ev2[NUMA_HIT], 1);
	assert_int_equal(z2->vm_numa_event[NUMA_OTHER] - ev2[NUMA_OTHER], 1);
	assert_int_equal(z2->vm_numa_event[NUMA_LOCAL] - ev2[NUMA_LOCAL], 0);
	ktest_shutdown(m);
}

static void test_numa_exhausted_node_falls_back_to_nearest(void **state)
{
	struct machine *m = boot_three_nodes();
	struct kernel *k = &m->kernel;
	k->this_cpu = 2;
	struct zone *z2 = &NODE_DATA(k, 2)->node_zones[ZONE_DMA32];
	struct zone *z1 = &NODE_DATA(k, 1)->node_zones[ZONE_DMA32];
	unsigned long ev1[NR_VM_NUMA_EVENT_ITEMS], ev2[NR_VM_NUMA_EVENT_ITEMS];
	memcpy(ev1, z1->vm_numa_event, sizeof(ev1));
	memcpy(ev2, z2->vm_numa_event, sizeof(ev2));
	/* Drain node 2 to its low watermark with __GFP_THISNODE: no page may come from
	 * elsewhere, and the allocation fails once node 2 is at its watermark. */
	long n = 0;
	struct page *page;
	while ((page = alloc_pages_node(k, 2, GFP_KERNEL | __GFP_THISNODE, 0))) {
		assert_int_equal(page_to_nid(page), 2);
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(z1->vm_numa_event[NUMA_HIT] - ev1[NUMA_HIT], 0);
	assert_int_equal(z1->vm_numa_event[NUMA_MISS] - ev1[NUMA_MISS], 0);
	/* Without __GFP_THISNODE the next allocation comes from node 1, the nearest. */
	page = alloc_pages(k, GFP_KERNEL, 0);
	assert_int_equal(page_to_nid(page), 1);
	assert_int_equal(z1->vm_numa_event[NUMA_MISS] - ev1[NUMA_MISS], 1);
	assert_int_equal(z2->vm_numa_event[NUMA_FOREIGN] - ev2[NUMA_FOREIGN], 1);
	assert_int_equal(z1->vm_numa_event[NUMA_OTHER] - ev1[NUMA_OTHER], 1);
	ktest_assert_consistent(k);
	ktest_shutdown(m);
}

/* Unassigned CPUs go round robin over the nodes. */
static void test_cpu_to_node_defaults_round_robin(void **state)
{
	struct boot_params p;
	boot_params_default(&p);
	p.nr_nodes = 2;
	p.nr_cpus = 4;
	p.ram_size = 128ULL << 20;
	p.node[0] = (struct numa_node_params){64ULL << 20, -1, -1};
	p.node[1] = (struct numa_node_params){64ULL << 20, -1, -1};
	struct machine *m = ktest_boot_params(&p);
	for (int cpu = 0; cpu < 4; cpu++)
		assert_int_equal(m->kernel.cpu_to_node[cpu], cpu % 2);
	assert_int_equal(m->kernel.params.distance[0][1], 20);
	assert_int_equal(m->kernel.params.distance[1][1], 10);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zonelist_orders_nodes_by_distance_then_zones_high_first),
		cmocka_unit_test(test_numa_local_allocation_counts_hit_and_local),
		cmocka_unit_test(test_numa_exhausted_node_falls_back_to_nearest),
		cmocka_unit_test(test_cpu_to_node_defaults_round_robin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
