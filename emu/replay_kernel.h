/*
 * What-if replay through the simulated kernel: a recorded process is run again, access by
 * access, on a machine of other settings (RAM, NUMA nodes, swap, zswap, TLBs), so that its
 * page faults, reclaim, swap and OOM are those that machine would have had.
 *
 * The replay machine is a whole machine (emu/machine.h) without instructions: its kernel
 * execs the recorded program (the same ELF file, arguments and environment, so the same
 * initial address space), then applies, in recorded order,
 *
 *   - every address-space system call (EXT mm_op) through the kernel's own functions
 *     (vm_mmap, do_munmap, do_mprotect, do_mremap, do_madvise, do_mlock, do_munlock,
 *     do_brk, do_mlockall, do_munlockall), with the recorded arguments; a file mapping maps a replay file standing for
 *     the recorded one (EXT file): same size, zero bytes, page cache or shmem as recorded;
 *   - every user page the kernel touched (EXT uaccess) through its uaccess path;
 *   - every translation (ACCESS, FAULT) through the MMU at the recorded CPL, a #PF on a
 *     user address delivered to exc_page_fault as `mmemu run` delivers it. A recorded
 *     ACCESS that faults here is retried after the fault (the instruction restarting); a
 *     recorded FAULT is not (the recording holds the restarted access).
 *
 * Recorded MMU-side events (walks, fills, CR writes, INVLPG) are not applied: this
 * kernel writes its own page tables and flushes its own TLBs.
 */
#ifndef EMU_REPLAY_KERNEL_H
#define EMU_REPLAY_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/machine.h"
#include "emu/trace.h"

struct task_struct;
struct file;

/* What the replayed program runs as (from the trace's header). */
struct kreplay_program {
	const char *host_path; /* the ELF file, opened again */
	const char *filename;  /* the name the program was run by */
	int argc, envc;	       /* arguments and environment strings */
	const char *const *argv;
	const char *const *envp;
};

struct kreplay_file {
	struct file *file; /* the replay's file (one reference held) */
	void *buf;	   /* its bytes (a zero host mapping), or NULL */
	uint64_t size;	   /* bytes */
};

/* A block this replay allocated for a recorded system call's own (the recorded pfn). */
struct kreplay_block {
	uint64_t pfn;	   /* the recorded block's first frame */
	struct page *page; /* this machine's block */
	unsigned order;	   /* its order */
};

struct kreplay {
	struct machine m;	    /* the what-if machine */
	struct task_struct *task;   /* the replayed process, or NULL once it is gone */
	struct kreplay_file *files; /* recorded file id - 1 -> the replay's file */
	size_t nfiles;		    /* entries */
	uint64_t event_no;	    /* events consumed */
	uint64_t accesses;	    /* translations replayed */
	uint64_t user_faults;	    /* #PF delivered to the kernel */
	uint64_t retries;	    /* recorded accesses that faulted here and were retried */
	uint64_t signals;	    /* faults the kernel answered with a signal */
	uint64_t exceptions;	    /* recorded exceptions other than #PF (EXT exception) */
	uint64_t exc_signals;	    /* of which the recorded kernel answered with a signal */
	uint8_t fault_counted;	    /* vector of a FAULT just counted as delivered (its
				       EXT exception follows), or 0 */
	uint64_t uaccesses;	    /* user pages the kernel touched */
	uint64_t mm_ops;	    /* address-space system calls applied */
	uint64_t cr3;		    /* the process's recorded CR3 (0: not seen yet) */
	bool started;		    /* the recorded EXEC event was reached */
	bool killed;		    /* the process was killed here (OOM, SIGBUS...) */
	bool ended;		    /* the program is over (the recorded STATS, or the end) */
	char *recorded_kstats;	    /* the recording's EXT kstats text (malloc), or NULL */
	bool sys_own;		    /* recorded allocations are a system call's own work now */
	struct kreplay_block *blocks; /* the blocks standing for those still allocated */
	size_t nblocks, blocks_cap;   /* entries used and allocated */
	uint64_t own_allocs;	    /* blocks allocated for a system call's own work */
	uint64_t own_frees;	    /* of which freed again as recorded */
	bool verify_refs;	    /* check each EXT page_ref against this machine's frames
				       (the recorded settings: the same frames) */
	uint64_t refs_checked;	    /* frames' counts checked */
	uint64_t refs_events;	    /* EXT page_ref events checked */
	char err[512];		    /* why kreplay_event failed */
};

/* Builds the machine of boot params p and TLB geometry tlb, and execs the program. 0, or
 * -1 with r->err (kreplay_destroy is needed either way). */
int kreplay_init(struct kreplay *r, const struct boot_params *p, const struct tlb_config *tlb,
		 const struct kreplay_program *prog);
/* Applies one recorded event. 0; 1 when the replayed process has been killed (the rest
 * of the trace no longer applies); -1 with r->err when the trace and this replay disagree
 * (another program, an operation with another result) or the event is malformed. */
int kreplay_event(struct kreplay *r, const struct trace_event *ev);
/* At the end: the process exits as in the run (its memory freed) unless it was killed. */
void kreplay_finish(struct kreplay *r);
void kreplay_destroy(struct kreplay *r);

/* A recorded PAGE event (emu/replay_kernel_blocks.c): an allocation marked as a system
 * call's own work is made here too, and the free of such a block frees ours. */
void kreplay_page_event(struct kreplay *r, const struct trace_event *ev);
/* Forgets the blocks kept for recorded frees (the machine takes them with it). */
void kreplay_blocks_release(struct kreplay *r);

#endif /* EMU_REPLAY_KERNEL_H */
