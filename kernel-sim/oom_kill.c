/*
 * The OOM killer, as Linux's mm/oom_kill.c (out_of_memory, select_bad_process,
 * oom_badness, dump_header, __oom_kill_process): when an allocation cannot be satisfied
 * and reclaim made no progress, the task whose death frees the most memory is sent
 * SIGKILL, with Linux's kernel log lines:
 *
 *   prog invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0
 *   oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,...
 *   Out of memory: Killed process 1 (prog) total-vm:...kB, anon-rss:...kB, file-rss:...kB,
 *   shmem-rss:...kB, UID:0 pgtables:...kB oom_score_adj:0
 *
 * There is one process per machine until fork lands, so the candidates are the current
 * task; oom_score_adj is always 0. A victim already killed is not killed twice: its exit
 * frees the memory (Linux's task_will_free_mem).
 */
#include "kernel-sim/swap.h"

#include <stdio.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"

long oom_badness(struct kernel *k, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	if (!mm || t->exited)
		return -1;
	return (long)(get_mm_rss(mm) + get_mm_counter(mm, MM_SWAPENTS) +
		      mm_pgtables_bytes(k, mm) / PAGE_SIZE);
}

/* Linux's %pGg for the flag sets mmemu allocates with: the composite name, then the bits
 * it does not cover. */
static void format_gfp(gfp_t gfp, char *buf, size_t len)
{
	static const struct {
		gfp_t mask;
		const char *name;
	} names[] = {
	    {GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"},
	    {GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"},
	    {GFP_KERNEL, "GFP_KERNEL"},
	    {__GFP_ZERO, "__GFP_ZERO"},
	    {__GFP_COMP, "__GFP_COMP"},
	    {__GFP_NOWARN, "__GFP_NOWARN"},
	    {__GFP_HIGHMEM, "__GFP_HIGHMEM"},
	    {__GFP_MOVABLE, "__GFP_MOVABLE"},
	};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((gfp & names[i].mask) != names[i].mask)
			continue;
		gfp &= ~names[i].mask;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "|" : "", names[i].name);
		if (used >= len)
			return;
	}
}

static void oom_kill_process(struct kernel *k, struct task_struct *victim)
{
	struct mm_struct *mm = victim->mm;
	char *msg = k->swap->oom_message;
	snprintf(msg, sizeof(k->swap->oom_message),
		 "Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, "
		 "file-rss:%lukB, shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%d",
		 victim->pid, victim->comm, mm->total_vm << 2,
		 get_mm_counter(mm, MM_ANONPAGES) << 2, get_mm_counter(mm, MM_FILEPAGES) << 2,
		 get_mm_counter(mm, MM_SHMEMPAGES) << 2, victim->uid,
		 mm_pgtables_bytes(k, mm) >> 10, 0);
	printk(k, KERN_INFO,
	       "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
	       "global_oom,task_memcg=/,task=%s,pid=%d,uid=%u",
	       victim->comm, victim->pid, victim->uid);
	printk(k, KERN_ERR, "%s", msg);
	k->swap->oom_victim_pid = victim->pid;
	count_vm_event(k, OOM_KILL);
	send_sig(k, SIGKILL);
}

bool out_of_memory(struct kernel *k, gfp_t gfp, unsigned order)
{
	struct task_struct *t = k->current;
	if (!k->swap || !t || oom_badness(k, t) < 0)
		return false;
	if (k->swap->oom_victim_pid == t->pid)
		return true; /* already dying: its exit frees the memory */
	char flags[160];
	format_gfp(gfp, flags, sizeof(flags));
	printk(k, KERN_WARNING,
	       "%s invoked oom-killer: gfp_mask=%#x(%s), order=%u, "
	       "oom_score_adj=0",
	       t->comm, gfp, flags, order);
	oom_kill_process(k, t);
	return true;
}
