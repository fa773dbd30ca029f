/*
 * Running a program on the machine: the CPU's user-mode setup (descriptor tables, MSRs,
 * paging), exec of the program, and the run loop with its stop conditions.
 */
#ifndef EMU_RUN_H
#define EMU_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct run_observer;

struct run_options {
	const char *host_path;     /* the executable on the host */
	const char *filename;      /* its name as the guest sees it */
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	uint64_t max_insns;        /* stop after this many instructions (0: no limit) */
	double timeout;            /* stop after this many host seconds (0: no limit) */
	FILE *strace;              /* --strace output, or NULL */
	FILE *in_asm;              /* -d in_asm output, or NULL */
	const char *root;          /* --root DIR, or NULL: the host's files */
	volatile sig_atomic_t *interrupted; /* set (by a signal handler) to stop the run, or NULL */
	const struct run_observer *observer; /* the viewer, or NULL */
	bool check;                /* --check: verify the kernel's state after the program */
	bool no_jit;               /* --no-jit: blocks without host code (cpu/jit.h) */
};

enum run_result {
	RUN_EXITED,       /* the program exited; status in *status */
	RUN_KILLED,       /* a signal killed it; the signal in *status */
	RUN_LIMIT,        /* --max-insns or --timeout stopped it */
	RUN_EXEC_FAILED,  /* the file could not be run; reason in m->stop_reason */
	RUN_MACHINE_STOP, /* the machine stopped (triple fault, mmemu bug); reason in stop_reason */
	RUN_INTERRUPTED,  /* *interrupted was set (Ctrl-C) */
};

/* Something that watches a run (the viewer): called between slices of instructions. */
struct run_observer {
	/* Before each slice of *slice instructions (>= 1): may lower *slice, to stop at an
	 * instruction count or to step, and may wait (a paused window). false ends the run
	 * with RUN_LIMIT and the reason it wrote into the machine's stop_reason. */
	bool (*before_slice)(void *ctx, struct machine *m, uint64_t *slice);
	/* The run has ended with r; the task and its address space still exist. */
	void (*at_end)(void *ctx, struct machine *m, enum run_result r);
	void *ctx;
};

/* Runs the program to its end or a stop condition. */
enum run_result machine_run_program(struct machine *m, const struct run_options *o, int *status);

#endif /* EMU_RUN_H */
