/*
 * What the firmware tells the kernel about the machine's memory: RAM size, NUMA nodes with
 * their memory and CPUs, the node distance table (ACPI's SRAT and SLIT on a PC), and the
 * kernel command-line settings that shape physical memory management. The emulator's CLI
 * fills this in; kernel_boot() reads it.
 */
#ifndef KSIM_BOOT_H
#define KSIM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_NUMNODES 64
#define NR_CPUS 64

/* Which Linux configuration lays out the zones (and later the kernel address space). */
enum kernel_arch {
	KARCH_X86_64, /* ZONE_DMA < 16M, ZONE_DMA32 < 4G, ZONE_NORMAL above */
	KARCH_I386,   /* ZONE_DMA < 16M, ZONE_NORMAL < 896M, ZONE_HIGHMEM above */
};

struct numa_node_params {
	uint64_t mem;       /* bytes of RAM on this node, a multiple of 4 KiB */
	int cpu_first;      /* first CPU of the node, -1 if the node has none named */
	int cpu_last;       /* last CPU of the node, inclusive */
};

struct boot_params {
	uint64_t ram_size;                      /* bytes of RAM in all, sum of node mem */
	int nr_nodes;                           /* 1 .. MAX_NUMNODES */
	struct numa_node_params node[MAX_NUMNODES]; /* node i covers the next mem bytes */
	uint8_t distance[MAX_NUMNODES][MAX_NUMNODES]; /* SLIT: 10 local, larger is farther */
	int nr_cpus;                            /* -smp: 1 .. NR_CPUS */
	enum kernel_arch arch;                  /* zone layout */
	uint64_t movablecore;                   /* bytes for ZONE_MOVABLE (movablecore=) */
	int min_free_kbytes;                    /* 0: derive from lowmem as Linux does */
	uint64_t vmalloc_size;                  /* bytes of vmalloc space; 0: default */
	uint64_t seed;                          /* the run's random seed */
	uint64_t swap_size;                     /* --swap: bytes of swap area, 0: none */
	char swap_path[256];                    /* --swap ...,file=PATH: host file, "": memory */
	bool zswap;                             /* --zswap: compressed cache before swap */
};

/* Fills p with the defaults: one node, 512 MiB, one CPU, x86-64 layout. */
void boot_params_default(struct boot_params *p);

/* Gives each CPU not named by any node a node, round robin, and fills missing distances
 * with 10 (local) and 20 (remote). Returns 0, or -EINVAL with a message in err (errlen
 * bytes) when the settings describe no bootable machine. */
int boot_params_finish(struct boot_params *p, char *err, unsigned errlen);

/* Node of a CPU after boot_params_finish(). */
int boot_params_cpu_node(const struct boot_params *p, int cpu);

#endif /* KSIM_BOOT_H */
