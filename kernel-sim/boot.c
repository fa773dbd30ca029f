/* Machine memory settings as firmware reports them; see kernel-sim/boot.h. */
#include "kernel-sim/boot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel-sim/kernel.h"

void boot_params_default(struct boot_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ram_size = 512ULL << 20;
	p->nr_nodes = 1;
	p->node[0] = (struct numa_node_params){p->ram_size, -1, -1};
	p->nr_cpus = 1;
	p->arch = KARCH_X86_64;
}

int boot_params_cpu_node(const struct boot_params *p, int cpu)
{
	for (int n = 0; n < p->nr_nodes; n++)
		if (p->node[n].cpu_first >= 0 && cpu >= p->node[n].cpu_first &&
		    cpu <= p->node[n].cpu_last)
			return n;
	/* CPUs no node names go round robin over the nodes, as QEMU's legacy default did. */
	return cpu % p->nr_nodes;
}

static int check_nodes(const struct boot_params *p, char *err, unsigned errlen)
{
	uint64_t sum = 0;
	for (int n = 0; n < p->nr_nodes; n++) {
		const struct numa_node_params *nd = &p->node[n];
		if (nd->mem < MIN_NODE_MEM || (nd->mem & (PAGE_SIZE - 1))) {
			snprintf(err, errlen, "node %d: memory must be a multiple of 4K and at least %lluM",
				 n, MIN_NODE_MEM >> 20);
			return -EINVAL;
		}
		if (nd->cpu_first >= 0 && (nd->cpu_last < nd->cpu_first || nd->cpu_last >= p->nr_cpus)) {
			snprintf(err, errlen, "node %d: cpus=%d-%d outside 0-%d (-smp %d)", n,
				 nd->cpu_first, nd->cpu_last, p->nr_cpus - 1, p->nr_cpus);
			return -EINVAL;
		}
		sum += nd->mem;
	}
	if (sum != p->ram_size) {
		snprintf(err, errlen, "NUMA node memory adds up to %lluM, but -m is %lluM",
			 (unsigned long long)(sum >> 20), (unsigned long long)(p->ram_size >> 20));
		return -EINVAL;
	}
	return 0;
}

static int check_cpu_overlap(const struct boot_params *p, char *err, unsigned errlen)
{
	for (int a = 0; a < p->nr_nodes; a++)
		for (int b = a + 1; b < p->nr_nodes; b++) {
			const struct numa_node_params *x = &p->node[a], *y = &p->node[b];
			if (x->cpu_first < 0 || y->cpu_first < 0)
				continue;
			if (x->cpu_first <= y->cpu_last && y->cpu_first <= x->cpu_last) {
				snprintf(err, errlen, "nodes %d and %d both claim a CPU", a, b);
				return -EINVAL;
			}
		}
	return 0;
}

static void fill_distances(struct boot_params *p)
{
	for (int a = 0; a < p->nr_nodes; a++)
		for (int b = 0; b < p->nr_nodes; b++)
			if (p->distance[a][b] == 0)
				p->distance[a][b] = a == b ? 10 : 20;
}

int boot_params_finish(struct boot_params *p, char *err, unsigned errlen)
{
	if (p->nr_nodes < 1 || p->nr_nodes > MAX_NUMNODES) {
		snprintf(err, errlen, "between 1 and %d NUMA nodes are supported", MAX_NUMNODES);
		return -EINVAL;
	}
	if (p->nr_cpus < 1 || p->nr_cpus > NR_CPUS) {
		snprintf(err, errlen, "-smp: between 1 and %d CPUs are supported", NR_CPUS);
		return -EINVAL;
	}
	if (p->ram_size < MIN_RAM) {
		snprintf(err, errlen, "-m %lluM: too little memory to boot (at least %lluM)",
			 (unsigned long long)(p->ram_size >> 20), MIN_RAM >> 20);
		return -EINVAL;
	}
	if (check_nodes(p, err, errlen) || check_cpu_overlap(p, err, errlen))
		return -EINVAL;
	if (p->movablecore >= p->ram_size / 2) {
		snprintf(err, errlen, "movablecore must leave at least half of memory to the kernel");
		return -EINVAL;
	}
	fill_distances(p);
	for (int a = 0; a < p->nr_nodes; a++)
		if (p->distance[a][a] != 10) {
			snprintf(err, errlen, "-numa dist: a node's distance to itself must be 10");
			return -EINVAL;
		}
	return 0;
}
