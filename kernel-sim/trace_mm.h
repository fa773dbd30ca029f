/*
 * The address-space tracepoints, after Linux's sched_process_exec and the mm system
 * calls' entry/exit events: whoever records a run (emu/trace_record.c) attaches a struct
 * mm_tracer to the kernel and sees what it needs to rebuild a process's address space
 * somewhere else: the end of an exec, every address-space operation a system call made
 * (mmap, munmap, mprotect, mremap, madvise, mlock, munlock, brk, mlockall, munlockall) with its arguments and
 * result, and every user page the kernel itself touched (uaccess), which is how a read()
 * or a signal frame faults pages in without the MMU seeing an access. Also the memory
 * manager's own activity: LRU moves, reclaim runs, swap-out and swap-in, task switches.
 *
 * With none attached, a tracepoint is one pointer test.
 */
#ifndef KSIM_TRACE_MM_H
#define KSIM_TRACE_MM_H

#include <stdbool.h>
#include <stdint.h>

struct kernel;
struct file;
struct mm_struct;
struct page;
struct task_struct;

/* The address-space operations a system call can make (the first argument of mm_op). */
enum mm_op_kind {
	MM_OP_MMAP,	/* addr, len, prot, flags, offset in bytes; file or NULL */
	MM_OP_MUNMAP,	/* addr, len */
	MM_OP_MPROTECT, /* addr, len, prot */
	MM_OP_MREMAP,	/* addr, old_len, new_len, flags, new_addr */
	MM_OP_MADVISE,	/* addr, len, advice */
	MM_OP_MLOCK,	/* addr, len, flags */
	MM_OP_MUNLOCK,	/* addr, len */
	MM_OP_BRK,	/* brk */
	MM_OP_MLOCKALL,	  /* flags */
	MM_OP_MUNLOCKALL, /* (none) */
	MM_OP_NR,
};

#define MM_OP_MAX_ARGS 5

/* Reclaim runs (mm_vmscan_*_begin/end). */
enum reclaim_kind { RECLAIM_KSWAPD, RECLAIM_DIRECT };

struct mm_tracer {
	/* Task t's exec finished: its mm is built and it is about to enter user mode. */
	void (*exec)(void *ctx, const struct task_struct *t);
	/* A system call made address-space operation op with args (enum mm_op_kind says which
	 * are used), file for a file mapping, and returned ret. */
	void (*mm_op)(void *ctx, unsigned op, const uint64_t *args, const struct file *file,
		      int64_t ret);
	/* The kernel reached user page addr of mm for a read or a write (uaccess). */
	void (*uaccess)(void *ctx, const struct mm_struct *mm, uint64_t addr, bool write);
	/* Frame pfn moved from LRU list `from` to list `to` (enum lru_list; LRU_NR_LISTS
	 * stands for "on no list"). */
	void (*lru_move)(void *ctx, unsigned long pfn, unsigned from, unsigned to);
	/* A reclaim run on node nid ended having scanned and reclaimed this many pages. */
	void (*reclaim)(void *ctx, unsigned kind, int nid, unsigned long scanned,
			unsigned long reclaimed);
	/* Frame pfn was written to swap entry (swap_out) or read back from it. */
	void (*swap)(void *ctx, bool in, unsigned long pfn, uint64_t entry);
	/* The CPU switched from task prev to task next (pids; 0: none). */
	void (*sched_switch)(void *ctx, int prev, int next);
	/* A system call begins; mm_op: it is one of the address-space calls, whose work the
	 * mm_op tracepoint describes (sys_is_mm_op). Optional. */
	void (*sys_enter)(void *ctx, bool mm_op);
	/* The system call that began last has returned (before signals are delivered). */
	void (*sys_exit)(void *ctx);
	/* The user page of the last uaccess is reached, or found out of reach: the faults
	 * it took are over. Optional. */
	void (*uaccess_done)(void *ctx);
	void *ctx; /* the implementer's state */
};

void trace_sched_process_exec(struct kernel *k, const struct task_struct *t);
void trace_mm_op(struct kernel *k, unsigned op, const uint64_t *args, const struct file *file,
		 int64_t ret);
void trace_uaccess_slow(struct kernel *k, const struct mm_struct *mm, uint64_t addr, bool write);
void trace_mm_lru_move(struct kernel *k, struct page *page, unsigned from, unsigned to);
void trace_mm_vmscan_end(struct kernel *k, unsigned kind, int nid, unsigned long scanned,
			 unsigned long reclaimed);
void trace_mm_swap(struct kernel *k, bool in, struct page *page, uint64_t entry);
void trace_sched_switch(struct kernel *k, int prev, int next);
void trace_sys_enter(struct kernel *k, bool mm_op);
void trace_sys_exit(struct kernel *k);
void trace_uaccess_done_slow(struct kernel *k);

#endif /* KSIM_TRACE_MM_H */
