/*
 * Machine options shared by every command that builds a machine (info, run, replay):
 * QEMU's -m and -numa syntax, -smp, and the kernel settings that shape memory.
 */
#ifndef EMU_OPTIONS_H
#define EMU_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/boot.h"
#include "mmu/tlb.h"

/* Parses "512M", "4G", "65536K", "1048576" (bytes). K/M/G/T are binary units, as QEMU's.
 * Returns 0, or -1 when s is not a size or overflows. */
int parse_size(const char *s, uint64_t *out);

/* The machine as the command line describes it. */
struct machine_opts {
	struct boot_params params; /* what boot will be given */
	bool ram_given;            /* -m was given */
	bool numa_given;           /* at least one -numa node was given */
	struct tlb_config tlb;     /* TLB geometry (--tlb), Skylake by default */
};

void machine_opts_init(struct machine_opts *o);

/*
 * If argv[*i] is a machine option, consumes it (and its argument) into o, advances *i past
 * it and returns 1; returns 0 when argv[*i] is not a machine option; returns -1 with a
 * one-line message in err for a malformed one. Options:
 *   -m SIZE
 *   -smp N
 *   -numa node,mem=SIZE[,cpus=A[-B]][,nodeid=N]      (repeated, in nodeid order)
 *   -numa dist,src=A,dst=B,val=D
 *   --arch x86_64|i386                                 (the kernel's zone layout)
 *   --movablecore SIZE                                 (Linux's movablecore=)
 *   --min-free-kbytes N                                (vm.min_free_kbytes)
 *   --seed N
 *   --tlb SPEC                                         (TLB geometry, docs/mmu.md)
 *   --swap SIZE[,file=PATH]                            (a swap area; memory or host file)
 *   --zswap                                            (compressed cache before swap)
 */
int machine_option(int argc, char **argv, int *i, struct machine_opts *o, char *err,
		   unsigned errlen);

/* Completes p after all options: RAM from the nodes when -m was not given, a single node
 * when no -numa was given, the checks of boot_params_finish. 0 or -1 with err. */
int machine_options_finish(struct machine_opts *o, char *err, unsigned errlen);

/* The usage text of the machine options, for --help. */
extern const char machine_options_help[];

#endif /* EMU_OPTIONS_H */
