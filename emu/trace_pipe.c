/*
 * The recording's hand-over ring (trace_pipe.h): a bounded producer-consumer queue of
 * byte blocks under one mutex and two condition variables. The mutex is taken once per
 * block, not per record, so its cost is spread over a block's thousands of records.
 */
#include "emu/trace_pipe.h"

#include <signal.h>
#include <stdlib.h>

#include "kernel-sim/bug.h"

/* The consumer thread: blocks in order until stopped with none left. Once it has emptied
 * the ring it sleeps until `wake` blocks wait (or a drain or the stop asks for all),
 * rather than waking for each:
 * a wake-up costs the recording thread a system call and both a context switch, and the
 * consumer, faster than the recording, would otherwise sleep after every block. */
static void *consumer(void *arg)
{
	struct trace_pipe *p = arg;
	if (p->begin)
		p->begin(p->ctx);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->tail == p->head) { /* asleep until `wake` blocks wait, or all are asked for */
			if (p->stop)
				break;
			do
				pthread_cond_wait(&p->more, &p->lock);
			while (p->head - p->tail < p->wake && !p->stop && !p->urgent);
			continue;
		}
		unsigned i = (unsigned)(p->tail % p->nblocks);
		size_t n = p->fill[i];
		pthread_mutex_unlock(&p->lock);
		p->consume(p->ctx, p->blocks[i], n);
		pthread_mutex_lock(&p->lock);
		p->tail++;
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void free_ring(struct trace_pipe *p)
{
	for (unsigned i = 0; p->blocks && i < p->nblocks; i++)
		free(p->blocks[i]);
	free(p->blocks);
	free(p->fill);
	p->blocks = NULL;
	p->fill = NULL;
	p->cur = NULL;
}

/* Starts the consumer with every signal blocked: a SIGINT then reaches the recording
 * thread, and never interrupts the consumer's writes (EINTR). false when it could not. */
static bool start_thread(struct trace_pipe *p)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = pthread_create(&p->thread, NULL, consumer, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

int trace_pipe_start(struct trace_pipe *p, size_t block_size, unsigned nblocks, bool threaded,
		     trace_pipe_begin_fn *begin, trace_pipe_consume_fn *consume, void *ctx)
{
	BUG_ON(nblocks < 2 || block_size == 0);
	*p = (struct trace_pipe){.block_size = block_size, .nblocks = nblocks,
				 .wake = nblocks / 4 ? nblocks / 4 : 1, .begin = begin,
				 .consume = consume, .ctx = ctx};
	p->blocks = calloc(nblocks, sizeof(*p->blocks));
	p->fill = calloc(nblocks, sizeof(*p->fill));
	for (unsigned i = 0; p->blocks && i < nblocks; i++)
		if (!(p->blocks[i] = malloc(block_size)))
			break;
	if (!p->blocks || !p->fill || !p->blocks[nblocks - 1]) {
		free_ring(p);
		return -1;
	}
	p->cur = p->blocks[0];
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	p->threaded = threaded && start_thread(p);
	if (!p->threaded && begin)
		begin(ctx);
	return 0;
}

void trace_pipe_next_block(struct trace_pipe *p)
{
	if (!p->threaded) {
		p->consume(p->ctx, p->cur, p->len); /* consumed here; the block is free again */
		p->len = 0;
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fill[p->head % p->nblocks] = p->len;
	p->head++;
	if (p->head - p->tail >= p->wake)
		pthread_cond_signal(&p->more);
	/* The next block is free once the consumer is less than a ring behind. */
	while (p->head - p->tail >= p->nblocks)
		pthread_cond_wait(&p->room, &p->lock);
	pthread_mutex_unlock(&p->lock);
	p->cur = p->blocks[p->head % p->nblocks];
	p->len = 0;
}

void trace_pipe_drain(struct trace_pipe *p)
{
	if (p->len)
		trace_pipe_next_block(p);
	if (!p->threaded)
		return;
	pthread_mutex_lock(&p->lock);
	p->urgent = true;
	pthread_cond_signal(&p->more);
	while (p->tail != p->head)
		pthread_cond_wait(&p->room, &p->lock);
	p->urgent = false;
	pthread_mutex_unlock(&p->lock);
}

void trace_pipe_stop(struct trace_pipe *p)
{
	if (!p->blocks)
		return;
	trace_pipe_drain(p);
	if (p->threaded) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_signal(&p->more);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		p->threaded = false;
	}
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free_ring(p);
}
