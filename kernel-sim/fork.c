/*
 * Making and freeing tasks (Linux's kernel/fork.c: alloc_task_struct, copy_files,
 * copy_fs, copy_sighand, free_task). There is no fork() yet: the machine makes the first
 * task for the program it runs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/syscall.h"

#define RLIM_INF UINT64_MAX

/* Linux's INIT_RLIMITS with the usual distribution settings (ulimit -a on a desktop). */
static void init_rlimits(struct task_struct *t, const struct mm_struct *mm)
{
	static const struct rlimit64 defaults[RLIM_NLIMITS] = {
		[0] = {RLIM_INF, RLIM_INF},          /* CPU */
		[1] = {RLIM_INF, RLIM_INF},          /* FSIZE */
		[2] = {RLIM_INF, RLIM_INF},          /* DATA */
		[3] = {8 << 20, RLIM_INF},           /* STACK */
		[4] = {0, RLIM_INF},                 /* CORE */
		[5] = {RLIM_INF, RLIM_INF},          /* RSS */
		[6] = {63304, 63304},                /* NPROC */
		[7] = {1024, 1048576},               /* NOFILE */
		[8] = {8 << 20, 8 << 20},            /* MEMLOCK */
		[9] = {RLIM_INF, RLIM_INF},          /* AS */
		[10] = {RLIM_INF, RLIM_INF},         /* LOCKS */
		[11] = {63304, 63304},               /* SIGPENDING */
		[12] = {819200, 819200},             /* MSGQUEUE */
		[13] = {0, 0},                       /* NICE */
		[14] = {0, 0},                       /* RTPRIO */
		[15] = {RLIM_INF, RLIM_INF},         /* RTTIME */
	};
	memcpy(t->rlim, defaults, sizeof(defaults));
	if (!mm)
		return;
	/* The mm's limits are what mm_alloc() set; the task reports the same. */
	t->rlim[2].rlim_cur = mm->rlim.data;
	t->rlim[3].rlim_cur = mm->rlim.stack;
	t->rlim[8].rlim_cur = mm->rlim.memlock;
	t->rlim[9].rlim_cur = mm->rlim.as;
}

struct task_struct *task_create(struct kernel *k, struct mm_struct *mm, bool abi32,
				const int stdio[3])
{
	struct task_struct *t = kzalloc(k, sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->pid = t->tgid = mm ? mm->pid : 1;
	t->ppid = 1;
	t->abi32 = abi32;
	t->in_compat = abi32;
	t->mm = mm;
	t->uid = t->euid = t->suid = (uint32_t)getuid();
	t->gid = t->egid = t->sgid = (uint32_t)getgid();
	init_rlimits(t, mm);
	t->files = files_alloc(k, stdio);
	t->fs = fs_alloc(k, k->root, NULL);
	t->signal = signal_alloc(k);
	if (!t->files || !t->fs || !t->signal) {
		t->mm = NULL; /* the caller keeps its reference on failure */
		task_free(k, t);
		return NULL;
	}
	return t;
}

void task_free(struct kernel *k, struct task_struct *t)
{
	if (!t)
		return;
	if (k->current == t)
		k->current = NULL;
	files_free(k, t->files);
	fs_free(k, t->fs);
	signal_free(k, t->signal);
	kfree(k, t->exe_path);
	if (t->mm)
		mmput(k, t->mm);
	kfree(k, t);
}

int task_set_exe_path(struct kernel *k, struct task_struct *t, const char *path)
{
	char *p = kstrdup(k, path, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kfree(k, t->exe_path);
	t->exe_path = p;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	strncpy(t->comm, base, TASK_COMM_LEN - 1);
	t->comm[TASK_COMM_LEN - 1] = '\0';
	return 0;
}
