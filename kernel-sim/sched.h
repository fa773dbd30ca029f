/*
 * Tasks, as Linux's <linux/sched.h>: a task_struct per process (threads come later), its
 * address space, its thread state (TLS bases and descriptors the CPU must see on return to
 * user mode), and what the system-call layer keeps for it. Allocated from the
 * "task_struct" slab cache; k->current is the task running on the CPU.
 */
#ifndef KSIM_SCHED_H
#define KSIM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel-sim/ptrace.h"

struct kernel;
struct mm_struct;
struct files_struct;
struct signal_state;

#define TASK_COMM_LEN 16

/* Per-thread CPU state the kernel owns and the entry glue loads into the CPU. */
struct thread_struct {
	uint64_t fsbase;           /* FS base (arch_prctl ARCH_SET_FS, 64-bit TLS) */
	uint64_t gsbase;           /* GS base (ARCH_SET_GS) */
	uint64_t tls_array[GDT_ENTRY_TLS_ENTRIES]; /* GDT entries 12-14 (set_thread_area) */
	bool tls_dirty;            /* tls_array changed: the GDT must be rewritten */
};

struct task_struct {
	int pid;                   /* process id (= thread group id, one thread) */
	int tgid;
	int ppid;                  /* parent's pid (1: launched by the machine) */
	char comm[TASK_COMM_LEN];  /* executable name, truncated */
	bool abi32;                /* an i386 program: compatibility mode, INT 0x80 */
	struct mm_struct *mm;      /* address space */
	struct thread_struct thread;
	struct files_struct *files;     /* open files (kernel-sim/fs.h) */
	struct signal_state *signal;    /* handlers, masks, pending (kernel-sim/signal.h) */
	uint64_t set_child_tid;    /* set_tid_address */
	uint64_t clear_child_tid;
	uint64_t robust_list;      /* set_robust_list head and length */
	uint64_t robust_list_len;
	bool exited;               /* exit/exit_group ran or a fatal signal killed it */
	int exit_code;             /* wait status: (status << 8) or the killing signal */
	char *exe_path;            /* host path of the executable (/proc/self/exe) */
};

#endif /* KSIM_SCHED_H */
