/*
 * Replaying a trace through the MMU model: the recorded translations are made again, in
 * order, by a fresh MMU with the recorded TLB geometry (exact replay) or another one (a
 * what-if study), and with --verify every TLB fill, eviction, fault and the final
 * statistics are checked against the recording.
 *
 * The replay has no kernel and no guest memory. It rebuilds, in a bus of its own, page
 * tables that hold what each recorded page walk read: before a translation, the entries the
 * recorded walk ended on are written into tables of the replay's own (non-leaf entries
 * pointing at the replay's tables, leaf entries verbatim), under a root that stands for the
 * recorded CR3. The MMU then walks real x86 tables, so its TLBs, page-walk caches, A/D
 * updates and faults behave exactly as in the run.
 */
#ifndef EMU_REPLAY_H
#define EMU_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/trace.h"
#include "mmu/bus.h"
#include "mmu/mmu.h"
#include "mmu/trace.h"

#define REPLAY_MAX_ROOTS 256	       /* distinct recorded CR3 values */
#define REPLAY_MAX_PENDING 64	       /* TLB fills one translation may make */
#define REPLAY_ARENA (256ULL << 20)    /* bytes for the replay's page tables */

struct replay_root {
	uint64_t rec; /* a recorded CR3's table address */
	uint64_t syn; /* the replay's root table standing for it */
};

struct replay {
	struct phys_bus bus;	   /* recorded RAM's range (leaf addresses) + table arena */
	struct mmu mmu;		   /* the MMU being driven */
	uint64_t arena_next;	   /* next free table frame */
	uint64_t arena_end;	   /* end of the arena */
	struct replay_root roots[REPLAY_MAX_ROOTS]; /* recorded CR3 -> replay root */
	unsigned nroots;			    /* roots used */
	bool verify;		   /* check every event against the recording */
	struct trace_event expect[REPLAY_MAX_PENDING]; /* recorded fills not yet matched */
	unsigned nexpect;			       /* their number */
	struct trace_event got[REPLAY_MAX_PENDING];    /* fills of the current translation */
	unsigned ngot;				       /* their number */
	struct mmu_tracer tracer;		       /* collects got[] when verifying */
	uint64_t event_no;	   /* events consumed */
	uint64_t accesses;	   /* translations replayed */
	uint64_t faults;	   /* of which faulted */
	uint64_t pf_done;	   /* page faults the recorded kernel handled */
	uint64_t syscalls;	   /* system calls recorded */
	uint64_t exceptions;	   /* exceptions other than #PF the recorded kernel handled */
	uint64_t signals;	   /* signals the recorded kernel queued for faults and
				      exceptions */
	uint64_t page_allocs;	   /* buddy blocks allocated, recorded */
	uint64_t page_frees;	   /* buddy blocks freed, recorded */
	char *recorded_stats;	   /* the recording's STATS text (malloc), or NULL */
	bool ended;		   /* the END event was seen */
	char err[512];		   /* why replay_event failed: the first mismatch or a bad trace */
};

/* Builds the replay machine: a bus of ram bytes plus the arena, an MMU with TLB geometry
 * cfg. 0 or -1 with r->err. */
int replay_init(struct replay *r, uint64_t ram, const struct tlb_config *cfg, bool verify);
void replay_destroy(struct replay *r);

/* Replays one event. 0, or -1 with r->err (a mismatch when verifying, or an event the
 * replay cannot apply). */
int replay_event(struct replay *r, const struct trace_event *ev);

/* At the end of the trace: with verify, checks that nothing recorded is left unmatched and
 * that the statistics equal the recorded ones. 0 or -1 with r->err. */
int replay_finish(struct replay *r);

/* Replays one translation at the current CPL (a lackey import's accesses). */
void replay_access(struct replay *r, uint64_t la, unsigned flags);

#endif /* EMU_REPLAY_H */
