/*
 * The records a recording hands from its recording thread to its writer thread
 * (trace_record.h): what trace_record.c appends to the pipe and trace_record_write.c
 * turns into trace events. Private to those two files.
 *
 * Each record starts with a struct trace_rec and takes a multiple of 8 bytes, so that
 * the next one is aligned for its 64-bit fields:
 *
 *   STATE        head | struct trace_mode_state          the MMU's mode from now on
 *   BATCH        head (n) | struct trace_mode_state | n x struct mmu_trace_access
 *                                                        the MMU's batch and its mode
 *   TRANSLATION  head | la pa type flags size            one ACCESS or FAULT
 *   FETCH_RUN    head | la pa count                      one EXT FETCH_RUN
 *   EVENT        head | ev_len text_len refs | the event's first ev_len bytes | text |
 *                refs x struct trace_page_ref            any other event
 */
#ifndef EMU_TRACE_RECORDS_H
#define EMU_TRACE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "emu/trace_record.h"

enum trace_rec_kind {
	TREC_STATE,
	TREC_BATCH,
	TREC_TRANSLATION,
	TREC_FETCH_RUN,
	TREC_EVENT,
};

struct trace_rec {
	uint32_t len;  /* bytes of the whole record, a multiple of 8 */
	uint16_t kind; /* enum trace_rec_kind */
	uint16_t n;    /* BATCH: its entries (<= MMU_TRACE_BATCH) */
};

struct trace_rec_state {
	struct trace_rec h;
	struct trace_mode_state s;
};

struct trace_rec_batch {
	struct trace_rec h;
	struct trace_mode_state s; /* the mode the batch was made in */
	/* then h.n struct mmu_trace_access */
};

/* A batch record of MMU_TRACE_BATCH entries: the room the MMU is given for its next. */
#define TRACE_REC_BATCH_MAX \
	(sizeof(struct trace_rec_batch) + MMU_TRACE_BATCH * sizeof(struct mmu_trace_access))

struct trace_rec_translation {
	struct trace_rec h;
	uint64_t la, pa; /* as trace_writer_translation takes them */
	uint8_t type;	 /* TEV_ACCESS or TEV_FAULT */
	uint8_t flags;	 /* MMU_READ/WRITE/FETCH | MMU_IMPLICIT | MMU_STACK */
	uint8_t size;	 /* bytes on the page, 0 when not known */
};

struct trace_rec_fetch_run {
	struct trace_rec h;
	uint64_t la, pa, count;
};

struct trace_rec_event {
	struct trace_rec h;
	uint32_t ev_len;   /* bytes of the struct trace_event kept: the rest is zero */
	uint32_t text_len; /* bytes of ev->text that follow the event (0: none) */
	uint32_t nrefs;	   /* entries of ev->refs that follow the text (0: none) */
	uint32_t zero;
};

/* Rounds a record's length up to the next multiple of 8. */
static inline size_t trace_rec_align(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* The writer thread's half: consumes a block of records (a trace_pipe_consume_fn). */
void trace_record_write(void *ctx, const uint8_t *buf, size_t len);

#endif /* EMU_TRACE_RECORDS_H */
