/*
 * The address-space tracepoints (kernel-sim/trace_mm.h): each passes its event to the
 * attached tracer, if any, in the tracer's own terms (pfns and pids, not kernel pointers).
 */
#include "kernel-sim/trace_mm.h"

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

void trace_sched_process_exec(struct kernel *k, const struct task_struct *t)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->exec)
		tr->exec(tr->ctx, t);
}

void trace_mm_op(struct kernel *k, unsigned op, const uint64_t *args, const struct file *file,
		 int64_t ret)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->mm_op)
		tr->mm_op(tr->ctx, op, args, file, ret);
}

void trace_uaccess_slow(struct kernel *k, const struct mm_struct *mm, uint64_t addr, bool write)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr->uaccess)
		tr->uaccess(tr->ctx, mm, addr, write);
}

void trace_mm_lru_move(struct kernel *k, struct page *page, unsigned from, unsigned to)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->lru_move)
		tr->lru_move(tr->ctx, page_to_pfn(k, page), from, to);
}

void trace_mm_vmscan_end(struct kernel *k, unsigned kind, int nid, unsigned long scanned,
			 unsigned long reclaimed)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->reclaim)
		tr->reclaim(tr->ctx, kind, nid, scanned, reclaimed);
}

void trace_mm_swap(struct kernel *k, bool in, struct page *page, uint64_t entry)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->swap)
		tr->swap(tr->ctx, in, page_to_pfn(k, page), entry);
}

void trace_sched_switch(struct kernel *k, int prev, int next)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->sched_switch)
		tr->sched_switch(tr->ctx, prev, next);
}

void trace_sys_enter(struct kernel *k, bool mm_op)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->sys_enter)
		tr->sys_enter(tr->ctx, mm_op);
}

void trace_sys_exit(struct kernel *k)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr && tr->sys_exit)
		tr->sys_exit(tr->ctx);
}

void trace_uaccess_done_slow(struct kernel *k)
{
	const struct mm_tracer *tr = k->mm_tracer;
	if (tr->uaccess_done)
		tr->uaccess_done(tr->ctx);
}
