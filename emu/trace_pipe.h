/*
 * The hand-over between a recording and the thread that writes it: the recording thread
 * appends records to a block of bytes; a full block goes to a bounded ring of blocks
 * that a second thread (the consumer) empties in order, block by block, calling a
 * function on each. The recording never waits for zlib or the disk, only for a free
 * block when the consumer has fallen a whole ring behind.
 *
 *          recording thread                         consumer thread
 *   append ──> [ cur ] ──full──> [ b ][ b ][ b ] ──> consume(block) ──> encode, deflate,
 *              (head % n)          handed over         (tail % n)          write
 *
 * The blocks' order is the order of the records, so what the consumer makes of them
 * depends on the records alone, never on when a block was handed over. Without a thread
 * (it could not be started, or one was not asked for) a full block is consumed at once
 * in the recording thread, with the same result.
 */
#ifndef EMU_TRACE_PIPE_H
#define EMU_TRACE_PIPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_PIPE_BLOCK (96u << 10) /* bytes in a block (the default) */
#define TRACE_PIPE_BLOCKS 16u	      /* blocks in the ring (the default) */

/* Called by the consumer on each block's records, in order. */
typedef void trace_pipe_consume_fn(void *ctx, const uint8_t *buf, size_t len);
/* Called by the consumer once, before the first block: work of its own that the
 * recording need not wait for (the recorder's file header). */
typedef void trace_pipe_begin_fn(void *ctx);

struct trace_pipe {
	/* Recording side: only the recording thread touches these. */
	uint8_t *cur;		 /* the block being filled (blocks[head % nblocks]) */
	size_t len;		 /* its bytes used */
	size_t block_size;	 /* bytes in each block */
	/* Shared: under lock. */
	uint8_t **blocks;	 /* [nblocks] */
	size_t *fill;		 /* [nblocks]: bytes used of each block handed over */
	unsigned nblocks;	 /* blocks in the ring (>= 2) */
	uint64_t head;		 /* blocks handed over */
	uint64_t tail;		 /* blocks consumed (tail <= head) */
	bool stop;		 /* no more blocks: the consumer ends once tail == head */
	bool urgent;		 /* a drain waits: the consumer takes every block there is */
	unsigned wake;		 /* blocks waiting that wake the consumer (nblocks / 4) */
	pthread_mutex_t lock;	 /* guards head, tail, stop, urgent, fill */
	pthread_cond_t more;	 /* signalled when head or stop changes */
	pthread_cond_t room;	 /* signalled when tail changes */
	/* Set once at start. */
	bool threaded;		 /* a consumer thread runs (else blocks are consumed inline) */
	pthread_t thread;	 /* that thread */
	trace_pipe_begin_fn *begin;	/* what to do first (NULL: nothing) */
	trace_pipe_consume_fn *consume; /* what to do with each block */
	void *ctx;		 /* its first argument */
};

/*
 * Sets up a ring of nblocks (>= 2) blocks of block_size bytes and, when threaded, starts
 * the consumer thread (with every signal blocked in it: they are the recording thread's
 * to handle), which calls begin (when not NULL) at once, while the recording goes on. A
 * thread that cannot be started is no error: begin is then called here, and the blocks
 * are consumed inline. 0, or -1 when out of memory (nothing to undo, begin not called).
 */
int trace_pipe_start(struct trace_pipe *p, size_t block_size, unsigned nblocks, bool threaded,
		     trace_pipe_begin_fn *begin, trace_pipe_consume_fn *consume, void *ctx);

/* Hands the current block over (waiting for room when the ring is full) and takes the
 * next one. For trace_pipe_reserve. */
void trace_pipe_next_block(struct trace_pipe *p);

/* Room for n bytes (n <= block_size) at the end of the current block, handing it over
 * first when it has not that much left; trace_pipe_commit(n) then appends them. */
static inline uint8_t *trace_pipe_reserve(struct trace_pipe *p, size_t n)
{
	if (p->len + n > p->block_size)
		trace_pipe_next_block(p);
	return p->cur + p->len;
}

static inline void trace_pipe_commit(struct trace_pipe *p, size_t n)
{
	p->len += n;
}

/* Hands the current block over and waits until the consumer has consumed every block:
 * what it produced from them may then be read in this thread. */
void trace_pipe_drain(struct trace_pipe *p);

/* Drains, ends the consumer thread (joins it) and frees the ring. */
void trace_pipe_stop(struct trace_pipe *p);

#endif /* EMU_TRACE_PIPE_H */
