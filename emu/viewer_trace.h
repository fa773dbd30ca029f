/*
 * The memory map of a recorded trace (`mmemu view FILE`): the owner of every physical frame
 * at any event number, rebuilt from the trace's `page` events over the machine as it booted
 * (the header's settings give that machine: a run is a function of them), and the heat of
 * the frames the last accesses touched.
 *
 * Opening reads the trace once, start to end, and keeps what a picture needs at any point:
 *
 *   - every allocation and free of a block (pfn, order, gfp, owner, migratetype, zone,
 *     node), with what the block was then used as: read by a page walk (a page table),
 *     accessed from user mode (user memory), written from user mode (anonymous);
 *   - the event numbers of every event that is neither a translation, a walk nor a TLB
 *     fill (faults, system calls, control registers, and kinds this version does not know),
 *     so the timeline can jump to the next one of a kind;
 *   - samples of the counters over time: free frames per zone, events per kind;
 *   - (format 1.3) every frame's reference and mapping counts each time a `page_ref`
 *     event wrote them, kept by frame, so the counts at any event are one binary search
 *     away (before its first `page_ref`, a frame has the counts of the booted machine);
 *   - checkpoints of the frame state every so many page events.
 *
 * Seeking to an event restores the checkpoint before it and applies the page events up to
 * it (forward moves apply only the new ones); the heat comes from decoding the window of
 * accesses before the event, from the chunk the trace's index names (a trace without an
 * index is decoded from its start). Frames changed by a seek are marked in a dirty bitmap
 * for whoever draws them.
 *
 * Free blocks are rebuilt as the buddy allocator keeps them: an allocation splits the free
 * block it comes from, a free merges with its free buddy of the same order in the same
 * zone. Frees into the per-cpu lists are not in the trace apart from other frees, so a
 * freed frame shows as free buddy memory.
 */
#ifndef EMU_VIEWER_TRACE_H
#define EMU_VIEWER_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/trace.h"
#include "emu/viewer_heat.h"
#include "emu/viewer_model.h"
#include "emu/viewer_trace_vmas.h"

struct machine;

#define TV_KINDS 32	      /* event kinds counted (types at or above are ignored) */
#define TV_ZONES 16	      /* zones whose free frames are sampled */
#define TV_HEAT_DEFAULT 50000 /* events over which an access's heat fades */

/* What a block was used for while allocated (tv_block.used). */
#define TVU_WALKED 0x01	    /* a page walk read an entry in it: a page table */
#define TVU_USER 0x02	    /* accessed from user mode */
#define TVU_USER_WRITE 0x04 /* written from user mode */

/* One `page` event. */
struct tv_block {
	uint64_t ev;	     /* event number */
	uint64_t la;	     /* linear address of the first frame, from a user access; 0: none */
	uint32_t pfn;	     /* first frame */
	uint32_t gfp;	     /* gfp flags (allocations) */
	int32_t owner;	     /* pid running at the allocation, 0: the kernel */
	uint8_t order;	     /* 2^order frames */
	uint8_t freed;	     /* 1: a free, 0: an allocation */
	uint8_t migratetype; /* allocations */
	uint8_t zone;	     /* zone index (allocations) */
	uint8_t node;	     /* node (allocations) */
	uint8_t used;	     /* TVU_* while allocated */
};

/* Counters at one point of the trace. */
struct tv_sample {
	uint64_t ev;		  /* event number */
	uint32_t free[TV_ZONES];  /* free frames per zone row (tv_zone) */
	uint64_t count[TV_KINDS]; /* events of each kind so far */
};

/* A zone as the timeline's counters show it (from the booted machine). */
struct tv_zone {
	int node;
	const char *name;
	unsigned long start, end;     /* [start, end) pfns */
	unsigned long min, low, high; /* watermarks */
	unsigned long managed;	      /* pages the buddy allocator manages */
};

/* A snapshot of the frame state after the first `blocks` page events. */
struct tv_checkpoint {
	size_t blocks;		 /* page events applied */
	struct frame_class *cls; /* [nr_frames] */
	uint32_t *owner;	 /* [nr_frames]: index + 1 of the allocating block, 0: boot */
	uint32_t free[TV_ZONES]; /* free frames per zone */
};

/* A frame's counts from one `page_ref` event. */
struct tv_ref {
	uint64_t ev;	  /* the event number */
	uint32_t pfn;	  /* the frame */
	int32_t refcount; /* page_count() from then on */
	int32_t mapcount; /* page_mapcount() */
};

/* One noteworthy event (not a translation, walk or TLB fill), for jumps. */
struct tv_mark {
	uint64_t ev;
	uint8_t type;
	uint8_t freed; /* PAGE: a free */
};

struct trace_view {
	char path[512];		 /* the file */
	struct trace_reader r;	 /* the cursor's reader */
	struct machine *m;	 /* the machine as it booted */
	unsigned long nr_frames; /* frames of RAM */
	uint64_t nr_events;	 /* events in the trace */
	bool indexed;		 /* the trace has an index (seeks decode from a chunk) */
	/* Read once at open. */
	struct tv_block *blocks; /* page events in order */
	size_t nr_blocks;
	struct tv_mark *marks; /* noteworthy events in order */
	size_t nr_marks;
	struct tv_sample *samples; /* counters, every sample_every events */
	size_t nr_samples;
	uint64_t sample_every;
	struct tv_checkpoint *ckpt; /* snapshots, every ckpt_every page events */
	size_t nr_ckpt;
	size_t ckpt_every;
	struct tv_zone zone[TV_ZONES];
	int nr_zones;
	uint64_t count[TV_KINDS];   /* events of each kind in the whole trace */
	uint64_t nr_page_events[2]; /* allocations, frees */
	struct tv_vmas vmas;	    /* the process's maps over time */
	bool refs_known;	    /* the trace records frames' counts (format 1.3 on) */
	struct tv_ref *refs;	    /* every frame's counts from page_ref events, by frame
				       and then event number */
	size_t nr_refs;
	/* The state at event `at` (page events before it applied). */
	uint64_t at;		 /* the cursor: events [0, at) have happened */
	size_t applied;		 /* page events applied */
	struct frame_class *cls; /* [nr_frames] */
	uint32_t *owner;	 /* [nr_frames]: allocating block + 1, 0: from boot */
	uint32_t free[TV_ZONES]; /* free frames per zone now */
	uint8_t *dirty;		 /* [nr_frames / 8]: frames changed since tv_clear_dirty */
	bool all_dirty;		 /* every frame changed (a restore) */
	/* Heat: the last access of each kind (read, write, fetch) to each frame, in event
	 * numbers, and the frames of the last accesses decoded (what the overlay draws). */
	struct heat_map heat;
	uint64_t cursor;	/* events the cursor's reader has decoded */
	struct trace_event cur; /* the last event decoded (the one before `at`) */
	bool have_walk;		/* walk holds the last page walk before `at` */
	struct trace_event walk;
	uint64_t walk_ev; /* its event number */
	uint8_t cpl;	  /* CPL at the cursor */
	uint64_t cr3;	  /* CR3 at the cursor (keyframes and CR writes) */
};

/*
 * Opens path, boots the machine its header describes, and reads the trace once. 0, or -1
 * with a one-line reason in err (missing, not a trace, damaged, a header that describes no
 * machine). tv_close is needed either way.
 */
int tv_open(struct trace_view *tv, const char *path, char *err, size_t errlen);
void tv_close(struct trace_view *tv);

/* Moves the cursor to event at (clamped to the trace): the frame state with the page
 * events before it applied, and the heat of the accesses before it. 0 or -1 with err
 * (the file changed or became unreadable since it was opened). */
int tv_seek(struct trace_view *tv, uint64_t at, char *err, size_t errlen);

/* Sets the events over which heat fades, and recomputes the heat at the cursor. 0 or -1
 * with err. */
int tv_set_heat_window(struct trace_view *tv, uint64_t events, char *err, size_t errlen);

/* The event number of the first mark of type (and, for PAGE, freed == want_freed unless
 * want_freed < 0) at or after event at (dir > 0), or the last one before at (dir < 0);
 * UINT64_MAX when there is none. */
uint64_t tv_find_mark(const struct trace_view *tv, uint64_t at, int dir, int type, int want_freed);

/* The heat of frame pfn's accesses of kind (0 read, 1 write, 2 fetch) at the cursor,
 * 0..255 (255: the last event). */
unsigned tv_heat(const struct trace_view *tv, unsigned long pfn, int kind);

/* The last page walk before the cursor, if one lies within the heat window (which both a
 * forward move and a seek decode), else NULL. */
const struct trace_event *tv_last_walk(const struct trace_view *tv);

/* The sample at or before event ev. */
const struct tv_sample *tv_sample_at(const struct trace_view *tv, uint64_t ev);

/* The block that holds frame pfn at the cursor, or NULL (free, or allocated before the trace
 * began). */
const struct tv_block *tv_block_of(const struct trace_view *tv, unsigned long pfn);

/* Frame pfn's reference count (page_count) and mapping count (page_mapcount) at the
 * cursor, as the kernel had them at the last return to user mode before it; *since is
 * the event that wrote them (UINT64_MAX: the booted machine's). false when the trace
 * does not record them (formats before 1.3) or pfn is beyond RAM. */
bool tv_frame_counts(const struct trace_view *tv, unsigned long pfn, int *refcount, int *mapcount,
		     uint64_t *since);

/* One line about frame pfn at the cursor: node, zone, kind, order, its reference and
 * mapping counts, owner, gfp, migratetype, where it was allocated and its linear address,
 * and its last accesses. */
void tv_frame_info(const struct trace_view *tv, unsigned long pfn, char *buf, size_t len);

/* The rows of the VMA panel at the cursor (at most max): the maps in force then, each
 * with the frames allocated during the trace that user code reached inside it as its
 * resident pages. Returns the number of VMAs (0 before the exec or when unknown). */
int tv_vma_rows(const struct trace_view *tv, struct vma_row *rows, int max);
/* The VMA panel's title at the cursor: where its maps come from, or why there are none. */
void tv_vma_title(const struct trace_view *tv, char *buf, size_t len);

/* One line about the event just before the cursor. */
void tv_event_text(const struct trace_view *tv, char *buf, size_t len);

/* Frame dirty bits: whether pfn changed since the last tv_clear_dirty. */
bool tv_dirty(const struct trace_view *tv, unsigned long pfn);
void tv_clear_dirty(struct trace_view *tv);

/* The frame kind a block gets from its gfp flags and its use (exposed for the tests). */
enum frame_kind tv_block_kind(const struct tv_block *b);

#endif /* EMU_VIEWER_TRACE_H */
