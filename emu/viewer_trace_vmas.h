/*
 * The address space of a trace's process at any event (`mmemu view FILE`, the VMA panel):
 * rebuilt while the trace is read once, by the kernel itself. A second machine of the
 * trace's settings execs the recorded program again (its path, arguments and environment
 * lengths from the header, checked against program_id) and applies every recorded
 * address-space system call (EXT mm_op: mmap, munmap, mprotect, mremap, madvise, mlock,
 * munlock, brk, mlockall, munlockall) through the kernel's own functions, with the
 * recorded files' stand-ins (EXT file), as `mmemu replay --kernel` does -- but no
 * accesses, so that it costs little. After the exec and after each operation that
 * changed the maps, the maps are kept as a set of VMAs; the panel at event `at` shows the
 * last set taken before it. Replaying the calls, rather than computing their ranges here,
 * keeps the kernel's own splitting and merging, so the rows are /proc/PID/maps's.
 *
 * When that cannot be done (a 1.0 trace, the program missing or changed, a second exec,
 * an operation whose result differs), the sets end there and `why` says so.
 */
#ifndef EMU_VIEWER_TRACE_VMAS_H
#define EMU_VIEWER_TRACE_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/replay_program.h"
#include "emu/viewer_model.h"

struct boot_params;
struct kreplay;
struct tlb_config;
struct trace_event;
struct trace_reader;

/* One VMA of a set. */
struct tv_vma {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* file offset */
	uint32_t name;	     /* offset of its name in names */
	char perms[5];	     /* "r-xp" */
};

/* The maps after event `ev`: vmas[first, first + count). */
struct tv_vma_set {
	uint64_t ev;
	uint32_t first, count;
};

struct tv_vmas {
	struct kreplay *r;	      /* the replaying machine while the trace is read, or NULL */
	struct recorded_program rp;   /* what it execs */
	struct tv_vma *vmas;	      /* every set's VMAs, set after set */
	size_t nr_vmas, vmas_cap;
	struct tv_vma_set *sets;      /* in event order */
	size_t nr_sets, sets_cap;
	char *names;		      /* NUL-terminated names, one copy each */
	size_t names_len, names_cap;
	uint64_t exec_ev;	      /* the exec event (valid when nr_sets) */
	bool stopped;		      /* sets end early: why says where and why */
	char why[700];		      /* why there are no (more) sets, or "" */
};

/* Prepares the rebuild for the trace read by tr (its header), on a machine of boot params
 * p and TLB geometry tlb. Never fails: a trace whose address space cannot be rebuilt
 * gets `why` and no sets. tvv_destroy is needed either way. */
void tvv_start(struct tv_vmas *tvv, const struct trace_reader *tr, const struct boot_params *p,
	       const struct tlb_config *tlb);
/* Event n of the pass over the trace (only EXT exec, file and mm_op events matter). 0, or
 * -1 when out of memory. */
int tvv_event(struct tv_vmas *tvv, const struct trace_event *ev, uint64_t n);
/* The pass is over: the replaying machine goes. */
void tvv_finish(struct tv_vmas *tvv);
void tvv_destroy(struct tv_vmas *tvv);

/* The set in force at event at (events [0, at) happened), or NULL (before the exec, or
 * no sets). */
const struct tv_vma_set *tvv_set_at(const struct tv_vmas *tvv, uint64_t at);
/* The rows of set s (at most max; residency not filled). Returns s->count. */
int tvv_rows(const struct tv_vmas *tvv, const struct tv_vma_set *s, struct vma_row *rows,
	     int max);

#endif /* EMU_VIEWER_TRACE_VMAS_H */
