/*
 * Tasks, as Linux's <linux/sched.h>: a task_struct per process (threads come later), its
 * address space, its thread state (TLS bases and descriptors the CPU must see on return to
 * user mode), and what the system-call layer keeps for it. Allocated from the
 * "task_struct" slab cache; k->current is the task running on the CPU.
 *
 * What the entry glue must do around every trap (kernel-sim/syscall.h has the calls):
 *   - load the CPU's FS and GS bases from thread.fsbase / thread.gsbase (arch_prctl
 *     ARCH_SET_FS/ARCH_SET_GS change them; 64-bit tasks);
 *   - when thread.tls_dirty is set, write thread.tls_array[0..2] into GDT entries 12..14
 *     (GDT_ENTRY_TLS_MIN), reload any segment register holding one of those selectors,
 *     and clear tls_dirty (set_thread_area on i386 tasks);
 *   - stop running the task once exited is set.
 * tls_array holds 8-byte descriptors exactly as the GDT stores them (Linux's fill_ldt).
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
struct fs_struct;

#define TASK_COMM_LEN 16
#define NR_RLIMITS 16
/* Words of the auxiliary vector /proc/PID/auxv shows (pairs, AT_NULL included). */
#define AT_VECTOR_WORDS 68

/* One resource limit (getrlimit/prlimit64), RLIM_INFINITY for none. */
struct task_rlimit {
	uint64_t rlim_cur;
	uint64_t rlim_max;
};

/* Per-thread CPU state the kernel owns and the entry glue loads into the CPU. */
struct thread_struct {
	uint64_t fsbase;           /* FS base (arch_prctl ARCH_SET_FS, 64-bit TLS) */
	uint64_t gsbase;           /* GS base (ARCH_SET_GS) */
	uint64_t tls_array[GDT_ENTRY_TLS_ENTRIES]; /* GDT entries 12-14 (set_thread_area) */
	bool tls_dirty;            /* tls_array changed: the GDT must be rewritten */
	uint64_t cr2;              /* address of the last page fault (sigcontext's cr2) */
	uint64_t trap_nr;          /* vector of the last exception (sigcontext's trapno) */
	uint64_t error_code;       /* its error code (sigcontext's err) */
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
	char *exe_path;            /* the executable's path as the guest sees it, what
				    * readlink(/proc/self/exe) returns; host heap, freed by
				    * release_task (task_set_exe_path) */
	/* Added for the system-call layer. */
	bool exit_core;            /* killed by a signal whose default action is "core" */
	bool in_compat;            /* the system call in progress came through INT 0x80 */
	struct fs_struct *fs;      /* root, working directory, umask (kernel-sim/fs.h) */
	uint32_t uid, euid, suid;  /* credentials (the host's, read at task_create) */
	uint32_t gid, egid, sgid;
	struct task_rlimit rlim[NR_RLIMITS]; /* RLIMIT_*; STACK/DATA/AS/MEMLOCK mirror mm->rlim */
	uint64_t rseq;             /* registered struct rseq, 0: none */
	uint32_t rseq_len;
	uint32_t rseq_sig;
	uint32_t personality;      /* personality(2): PER_LINUX (0) or PER_LINUX32 plus flags */
	uint64_t saved_auxv[AT_VECTOR_WORDS]; /* auxv pairs as exec wrote them (/proc/PID/auxv) */
};

/* A zeroed task_struct from the "task_struct" cache with the next pid (kernel-sim/fork.c);
 * exec and task_create fill in the rest. NULL when out of memory. */
struct task_struct *alloc_task_struct(struct kernel *k);

#endif /* KSIM_SCHED_H */
