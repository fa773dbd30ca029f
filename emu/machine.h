/*
 * The machine: guest RAM on its bus and the simulated kernel that manages it. The CPU and
 * the MMU join here as they land. Every command that runs or inspects a machine builds one
 * with machine_create().
 */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stddef.h>
#include <stdio.h>

#include "kernel-sim/fpu_signal.h"
#include "kernel-sim/kernel.h"
#include "mmu/bus.h"
#include "cpu/cpu.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/x86_tables.h"
#include "mmu/mmu.h"

/* An IDT vector's entry point: which machine, which vector (emu/entry.c). */
struct trace_recorder;

struct vector_entry {
	struct machine *m;
	int vec;
};

struct machine {
	struct phys_bus bus;   /* guest RAM and MMIO */
	struct kernel kernel;  /* the simulated kernel */
	struct tlb_config tlb; /* the TLB geometry every CPU's MMU is built with */
	struct mmu mmu;        /* CPU 0's MMU */
	struct cpu cpu;        /* CPU 0 */
	struct x86_cpu_tables tables;     /* CPU 0's GDT, IDT, TSS and kernel stack */
	struct vector_entry vectors[33];  /* entry points: vectors 0-31 and INT 0x80 */
	char stop_reason[256];            /* why a run stopped, for the user */
	struct seq_file strace_buf;       /* --strace: lines not yet written out */
	FILE *strace_out;                 /* --strace: where they go */
	struct trace_recorder *trace;     /* --trace: the recorder, or NULL */
	struct fpu_ops fpu_ops;           /* the kernel's access to CPU 0's FPU state */
	char check_failure[256];          /* --check: what was wrong after the program, or "" */
	unsigned programs_run;            /* machine_run_program calls so far */
};

/* Maps RAM, boots the kernel as p says and builds CPU 0's MMU with TLB geometry tlb (NULL:
 * the default). 0, or -1 with a one-line reason in err. */
int machine_create(struct machine *m, const struct boot_params *p, const struct tlb_config *tlb,
		   char *err, size_t errlen);
void machine_destroy(struct machine *m);

#endif /* EMU_MACHINE_H */
