/*
 * mmemu traces (docs/trace-format.md): a file header with the machine's settings as
 * key=value text, then chunks of zlib-compressed, delta-encoded events, then an index of
 * the chunks and a trailer. Every chunk starts from a fresh delta state with a keyframe,
 * so a reader can start decoding at any chunk; a trace whose writer was stopped before it
 * wrote the index is still read, chunk by chunk, up to the last complete chunk.
 *
 * trace_writer writes one, trace_reader reads one (every length, count, checksum and field
 * checked: a damaged file is an error message, never a crash).
 */
#ifndef EMU_TRACE_H
#define EMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/trace.h"

#define TRACE_MAGIC "MMEMUTRC"	  /* first 8 bytes of a trace */
#define TRACE_END_MAGIC "MMTRCEND" /* last 8 bytes of a closed trace */
#define TRACE_VERSION_MAJOR 1	  /* readers refuse other majors */
#define TRACE_VERSION_MINOR 4	  /* additions a version-1 reader may skip */
#define TRACE_CHUNK_RAW 262144u	  /* a chunk is flushed once its events pass this */
#define TRACE_CHUNK_MAX (4u << 20) /* largest chunk (either form) a reader accepts */
#define TRACE_HEADER_MAX 65536u	  /* largest header text */
#define TRACE_TEXT_MAX 65536u	  /* largest STATS text */
#define TRACE_EXT_MAX 16383u	  /* largest EXT payload (a two-byte varint) */
#define TRACE_NAME_MAX 1024u	  /* longest file name an EXT file event keeps */

/* Event types: the low 4 bits of an event's first byte. */
enum trace_type {
	TEV_ACCESS = 0,	   /* translation: la, pa, access flags */
	TEV_FAULT = 1,	   /* translation that faulted: la, flags, vector, error code */
	TEV_WALK = 2,	   /* page walk: la and the entries it ended on */
	TEV_TLB_FILL = 3,  /* TLB fill: array, entry, evicted entry */
	TEV_CR = 4,	   /* control register write: reg (0, 3, 4, 8 = EFER), value */
	TEV_INVLPG = 5,	   /* INVLPG la */
	TEV_INVPCID = 6,   /* INVPCID type, pcid, la */
	TEV_FEATURES = 7,  /* maxphyaddr, page_1g */
	TEV_MODE = 8,	   /* CPL and RFLAGS.AC from now on */
	TEV_KEYFRAME = 9,  /* chunk start: CR0, CR3, CR4, EFER, CPL, AC */
	TEV_STATS = 10,	   /* the MMU statistics (mmu_stats_print text) */
	TEV_PF_DONE = 11,  /* the kernel handled a #PF: la, error code, outcome */
	TEV_SYSCALL = 12,  /* a system call returned: number, result */
	TEV_END = 13,	   /* the run ended: how, status */
	TEV_PAGE = 14,	   /* buddy allocator: a block allocated or freed (tag bit 0: freed) */
	TEV_EXT = 15,	   /* (1.1) a subtype byte and a sized payload: enum trace_ext */
	TEV_NR_TYPES = 16,
};

/* Subtypes of TEV_EXT (format 1.1). A reader skips subtypes it does not know, so later
 * minor versions may add some. Fields, in struct trace_event terms: */
enum trace_ext {
	TEXT_EXEC = 0,	  /* exec done: a start_code, b start_brk, c start_stack, d mmap_base,
			     la map_count */
	TEXT_MM_OP = 1,	  /* an address-space system call: a op (enum mm_op_kind), b result,
			     c file id (0: none), arg[] its arguments (nargs of them) */
	TEXT_FILE = 2,	  /* a file a later MM_OP maps: a id, b size, c kind (enum
			     trace_file_kind), text its name */
	TEXT_UACCESS = 3, /* the kernel reached a user page: la, flags MMU_READ/MMU_WRITE */
	TEXT_LRU = 4,	  /* a frame moved between LRU lists: a pfn, b from, c to (enum
			     lru_list; 5 = on no list) */
	TEXT_RECLAIM = 5, /* a reclaim run ended: a kind (0 kswapd, 1 direct), b node,
			     c scanned, d reclaimed */
	TEXT_SWAP = 6,	  /* swap: a pfn, b swap entry, evicted = swapped in (else out) */
	TEXT_SCHED = 7,	  /* context switch: a prev pid, b next pid */
	TEXT_KSTATS = 8,  /* the run's statistics (print_run_stats text) */
	TEXT_FETCH_RUN = 9, /* (1.2) a fetch translations of the 4K page la -> pa, each an L1
			       ITLB hit; flags MMU_FETCH */
	TEXT_EXCEPTION = 10, /* (1.2) an exception other than #PF reached the kernel: vector,
				error, la its RIP, a the signal the kernel queued (0: none) */
	TEXT_SYS_WORK = 11, /* (1.2) a 1: the PAGE allocations that follow are a system call's
			       own work (its kernel buffers), up to one with a 0 */
	TEXT_PAGE_REF = 12, /* (1.3) the counts of frames whose _refcount or _mapcount
			       changed, a of them: refs[] (writing); text/text_len the
			       entries' bytes (reading: trace_page_refs_next) */
	TEXT_NR = 13,
};

/* One frame's counts in an EXT PAGE_REF event. */
struct trace_page_ref {
	uint64_t pfn;	  /* the frame */
	int32_t refcount; /* page_count(): its _refcount */
	int32_t mapcount; /* page_mapcount(): its _mapcount + 1, the page-table mappings */
};

#define TRACE_PAGE_REF_MAX 1000u /* entries in one PAGE_REF event (its payload < 16 KiB) */

/* TEXT_FILE kinds: where a replay gets the file's pages. */
enum trace_file_kind { TRACE_FILE_REGULAR, TRACE_FILE_SHMEM };

#define TRACE_MAX_ARGS 5 /* TEXT_MM_OP arguments */

/* TEV_PF_DONE outcomes. */
enum trace_pf_outcome { TRACE_PF_FIXED, TRACE_PF_SIGNAL };

/* A decoded event; which fields mean something depends on the type. The small fields come
 * first: the decoder clears only those (up to `fill`), the others are written before use. */
struct trace_event {
	uint8_t type;	    /* enum trace_type */
	uint8_t flags;	    /* ACCESS/FAULT: MMU_READ/WRITE/FETCH | MMU_IMPLICIT | MMU_STACK */
	uint8_t vector;	    /* FAULT: vector */
	uint8_t cpl;	    /* MODE, KEYFRAME: CPL 0..3 */
	uint8_t ac;	    /* MODE, KEYFRAME: RFLAGS.AC */
	uint8_t array;	    /* TLB_FILL: enum tlb_array_id */
	uint8_t nsteps;	    /* WALK: entries in step[]. EXT MM_OP: entries in arg[] */
	uint8_t sub;	    /* EXT: enum trace_ext (or a later one this reader skips) */
	uint8_t size;	    /* ACCESS: bytes on this page, 0 when not known (or format 1.0) */
	bool evicted;	    /* TLB_FILL: a valid entry was replaced. PAGE: the block was freed */
	uint32_t error;	    /* FAULT, PF_DONE: error code */
	uint32_t text_len;  /* STATS: its length */
	uint64_t la;	    /* ACCESS, FAULT, WALK, INVLPG, INVPCID, PF_DONE */
	uint64_t pa;	    /* ACCESS */
	uint64_t a, b, c, d; /* CR: reg, value. INVPCID: type, pcid. FEATURES: maxphyaddr,
			       page_1g. KEYFRAME: cr0, cr3, cr4, efer. PF_DONE: outcome.
			       SYSCALL: nr, result. END: how (enum run_result), status.
			       PAGE: pfn, order, gfp (alloc), owner pid (alloc); then
			       cpl = migratetype, ac = zone index, vector = node */
	const char *text;	    /* STATS: the text (valid until the next event); EXT PAGE_REF:
				       the entries' bytes */
	const struct trace_page_ref *refs; /* EXT PAGE_REF, writing: the a entries, ascending
					      by pfn */
	struct tlb_entry fill;	    /* TLB_FILL: the entry written (vpn, pcid, shift,
				       page_shift, flags; pa) */
	struct tlb_entry victim;    /* TLB_FILL: the entry replaced, when evicted */
	struct mmu_walk_step step[PG_NR_LEVELS]; /* WALK */
	uint64_t arg[TRACE_MAX_ARGS];		 /* EXT MM_OP: the arguments */
};

/* The delta state of one access kind (fetch, read, write). */
struct trace_kind_delta {
	uint64_t la;	    /* last ACCESS/FAULT la */
	uint64_t la2;	    /* the one before it (1.2) */
	uint64_t off;	    /* last ACCESS pa - la */
	uint64_t rep_delta; /* (1.2) la delta of the last ACCESS */
	/* (1.2) What a repeated ACCESS repeats besides its la (trace_codec.c): the last
	 * ACCESS's flags | size << 8 | 1 << 16; 0 when a FAULT of the kind came since, or
	 * none yet in this chunk: nothing to repeat. */
	uint32_t rep_key;
};

/* The per-chunk delta state (both sides keep one; reset at each chunk). */
struct trace_delta {
	struct trace_kind_delta k[3]; /* per access kind */
	uint64_t walk_la;	      /* last WALK la */
	uint64_t run_page, run_frame; /* last EXT FETCH_RUN la >> 12 and pa >> 12 (1.2) */
	uint64_t run_count;	      /* and its count (1.4) */
	bool run_valid;		      /* there was one in this chunk */
	bool sized;		      /* the stream codes ACCESS sizes (format 1.1): kept across
					 resets */
	uint8_t pair_next;	      /* (1.4) decoding: the repeat tag whose second event of a
					 pair comes next, or 0 */
};

/* Resets d for a new chunk or a keyframe; keeps d->sized. */
void trace_delta_reset(struct trace_delta *d);

/* Encodes ev at p (room for TRACE_EVENT_MAX bytes, STATS: plus its text); returns the
 * bytes written. */
#define TRACE_EVENT_MAX 160
size_t trace_encode(struct trace_delta *d, const struct trace_event *ev, uint8_t *p);
/* Encodes an ACCESS (type TEV_ACCESS) or FAULT (TEV_FAULT, pa = vector << 32 | error code)
 * without building a struct trace_event: the recorder's hot path. */
size_t trace_encode_translation(struct trace_delta *d, unsigned type, unsigned flags,
				unsigned size, uint64_t la, uint64_t pa, uint8_t *p);
/* Encodes an EXT FETCH_RUN of count fetches of the page at la -> pa (the short form when
 * it is on the last run's page and frame) without building a struct trace_event. */
size_t trace_encode_fetch_run(struct trace_delta *d, uint64_t la, uint64_t pa, uint64_t count,
			      uint8_t *p);
/* Encodes the MMU's batch a[0..n) (ACCESSes and FETCH_RUNs) at p + *len, advancing *len,
 * until *len reaches limit; returns the entries encoded and adds the FETCH_RUNs to *runs.
 * Room for TRACE_EVENT_MAX bytes past limit is needed. */
unsigned trace_encode_batch(struct trace_delta *d, const struct mmu_trace_access *a, unsigned n,
			    uint8_t *p, size_t *len, size_t limit, unsigned *runs);
/* Decodes one event from [*p, end); advances *p. 0, or -1 when the bytes are not an event
 * (bad type, field out of range, running past end). */
int trace_decode(struct trace_delta *d, const uint8_t **p, const uint8_t *end,
		 struct trace_event *ev);

/* The entries of a decoded EXT PAGE_REF event, one by one (the decoder has checked them). */
struct trace_page_refs_iter {
	const uint8_t *p, *end; /* the entries not read yet */
	uint64_t pfn;		/* the last entry's frame */
	bool first;		/* no entry read yet (the first pfn is absolute) */
};
void trace_page_refs_begin(struct trace_page_refs_iter *it, const struct trace_event *ev);
/* The next entry into *out; false after the last. */
bool trace_page_refs_next(struct trace_page_refs_iter *it, struct trace_page_ref *out);

/* Name of an event type ("access", "tlb_fill", ...). */
const char *trace_type_name(unsigned type);
/* Name of an EXT subtype ("mm_op", "uaccess", ...). */
const char *trace_ext_name(unsigned sub);
/* A NUL-terminated copy of a STATS/KSTATS event's text (malloc), or NULL when out of memory;
 * the event's own text lasts only until the next event. */
char *trace_event_text_dup(const struct trace_event *ev);

/* ---- writer ---- */

struct trace_chunk_info {
	uint64_t offset;      /* file offset of the chunk's header */
	uint64_t first_event; /* number of the chunk's first event in the trace */
	uint32_t nevents;     /* events in the chunk */
	uint32_t raw_len;     /* bytes before compression */
	uint32_t comp_len;    /* bytes after */
};

struct trace_writer {
	FILE *f;			/* the file, or NULL when closed */
	uint8_t *raw;			/* the chunk being built */
	size_t raw_len;			/* its bytes */
	size_t deflated;		/* of them, the ones in the chunk's zlib stream so far */
	uint8_t *comp;			/* the chunk's zlib stream so far (comp_room bytes) */
	size_t comp_len;		/* its bytes */
	size_t comp_room;		/* comp's size: deflateBound of the largest chunk */
	void *zs;			/* the deflate stream (a z_stream), reset for each chunk */
	uint32_t nevents;		/* events in the chunk being built */
	uint64_t total;			/* events written before it */
	uint64_t offset;		/* file offset where the next chunk goes */
	struct trace_delta delta;	/* delta state of the chunk being built */
	bool chunk_fresh;		/* no event yet in this chunk: a keyframe is due */
	struct trace_chunk_info *index; /* every chunk written */
	size_t nchunks, index_cap;	/* index entries used and allocated */
	int error;			/* first write error (errno), or 0 */
};

/* Raw bytes of a chunk compressed at a time while it grows (trace_writer.c, deflate_more). */
#define TRACE_DEFLATE_STEP 8192u

/* Creates path and writes the file header with text (key=value lines). 0 or -1 with err. */
int trace_writer_open(struct trace_writer *w, const char *path, const char *header, char *err,
		      size_t errlen);
/* trace_writer_open in two steps: creates path (0 or -1 with err, nothing to undo) ... */
int trace_writer_create(struct trace_writer *w, const char *path, char *err, size_t errlen);
/* ... and writes the file header with text (at most TRACE_HEADER_MAX bytes), before any
 * event: later, in another thread, when the text takes time to make. */
void trace_writer_header(struct trace_writer *w, const char *header);
/* Appends an event. After a chunk is flushed, chunk_fresh is set: the caller writes a
 * TEV_KEYFRAME first, so each chunk starts with the state a reader needs. */
void trace_writer_event(struct trace_writer *w, const struct trace_event *ev);
/* Appends an ACCESS or FAULT, as trace_encode_translation codes it. */
void trace_writer_translation(struct trace_writer *w, unsigned type, unsigned flags,
			      unsigned size, uint64_t la, uint64_t pa);
/* Appends events of the MMU's batch a[0..n) (trace_encode_batch) up to the end of the
 * chunk; returns how many (the caller goes on after the keyframe a new chunk needs), and
 * adds the FETCH_RUNs among them to *runs. */
unsigned trace_writer_batch(struct trace_writer *w, const struct mmu_trace_access *a, unsigned n,
			    unsigned *runs);
/* Appends an EXT FETCH_RUN, as trace_encode_fetch_run codes it. */
void trace_writer_fetch_run(struct trace_writer *w, uint64_t la, uint64_t pa, uint64_t count);
/* Compresses and writes the chunk being built (a no-op when it is empty). */
void trace_writer_flush(struct trace_writer *w);
/* Flushes, writes the index and trailer, closes. 0, or -errno of the first failure. */
int trace_writer_close(struct trace_writer *w);
/* Closes the file as it is, without the chunk being built, the index or the trailer (what
 * a writer that dies leaves behind), and frees the writer's memory. */
void trace_writer_abandon(struct trace_writer *w);

/* ---- reader ---- */

struct trace_reader {
	FILE *f;			/* the file */
	char *header;			/* the header text, NUL-terminated */
	uint16_t major, minor;		/* format version */
	uint8_t *comp, *raw;		/* chunk buffers */
	const uint8_t *pos, *end;	/* undecoded bytes of the current chunk */
	uint32_t left;			/* events the current chunk still holds */
	struct trace_delta delta;	/* delta state of the current chunk */
	uint64_t nevents;		/* events read */
	uint64_t nchunks;		/* chunks read */
	bool foreign;			/* the file does not start with TRACE_MAGIC */
	bool closed;			/* the index and trailer were found */
	bool done;			/* no more events */
	struct trace_chunk_info *index; /* the index (closed traces), else NULL */
	size_t index_len;		/* its entries */
	char err[256];			/* the error when a call returned -1 */
};

/* Opens path and reads its header (and the index of a closed trace). 0, or -1 with
 * r->err. trace_reader_close is needed either way. */
int trace_reader_open(struct trace_reader *r, const char *path);
/* The next event: 1, 0 at the end of the trace, -1 with r->err. */
int trace_reader_next(struct trace_reader *r, struct trace_event *ev);
/* Positions the reader at the start of chunk i of the index (closed traces). 0 or -1. */
int trace_reader_seek_chunk(struct trace_reader *r, size_t i);
/* The value of key in the header (copied to buf), or NULL. */
const char *trace_header_get(const struct trace_reader *r, const char *key, char *buf,
			     size_t len);
void trace_reader_close(struct trace_reader *r);

/* ---- tables kept in event order ---- */

/* Of n records of size bytes, ascending by the uint64_t event number at byte offset ev_off,
 * the index of the first whose event number is at or after at (n when there is none). */
static inline size_t trace_first_at_or_after(const void *base, size_t n, size_t size,
					     size_t ev_off, uint64_t at)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t ev;
		memcpy(&ev, (const char *)base + mid * size + ev_off, sizeof(ev));
		if (ev < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The same for an array of structs with a field `ev`. */
#define TRACE_FIRST_AT_OR_AFTER(arr, n, at)                                                      \
	trace_first_at_or_after((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), ev), (at))

#endif /* EMU_TRACE_H */
