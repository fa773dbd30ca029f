/*
 * The per-task state of the system-call layer (Linux's kernel/fork.c: copy_files, copy_fs,
 * copy_sighand, copy_creds and the rlimits, and exit_files/exit_fs/exit_sighand on the way
 * out). exec_new_task (kernel-sim/exec.c) makes the task and its mm; task_setup_files gives
 * it open files, a root and working directory, signal handlers, credentials and resource
 * limits. There is no fork() yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-sim/exec.h"
#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/syscall.h"

#define RLIM_INF UINT64_MAX

/* Linux's INIT_RLIMITS with the usual distribution settings (ulimit -a on a desktop). */
static void init_rlimits(struct task_struct *t)
{
	static const struct task_rlimit defaults[NR_RLIMITS] = {
	    [0] = {RLIM_INF, RLIM_INF},	 /* CPU */
	    [1] = {RLIM_INF, RLIM_INF},	 /* FSIZE */
	    [2] = {RLIM_INF, RLIM_INF},	 /* DATA */
	    [3] = {8 << 20, RLIM_INF},	 /* STACK */
	    [4] = {0, RLIM_INF},	 /* CORE */
	    [5] = {RLIM_INF, RLIM_INF},	 /* RSS */
	    [6] = {63304, 63304},	 /* NPROC */
	    [7] = {1024, 1048576},	 /* NOFILE */
	    [8] = {8 << 20, 8 << 20},	 /* MEMLOCK */
	    [9] = {RLIM_INF, RLIM_INF},	 /* AS */
	    [10] = {RLIM_INF, RLIM_INF}, /* LOCKS */
	    [11] = {63304, 63304},	 /* SIGPENDING */
	    [12] = {819200, 819200},	 /* MSGQUEUE */
	    [13] = {0, 0},		 /* NICE */
	    [14] = {0, 0},		 /* RTPRIO */
	    [15] = {RLIM_INF, RLIM_INF}, /* RTTIME */
	};
	memcpy(t->rlim, defaults, sizeof(defaults));
	if (!t->mm)
		return;
	/* The mm's limits are what mm_alloc() set; the task reports the same. */
	t->rlim[2].rlim_cur = t->mm->rlim.data;
	t->rlim[3].rlim_cur = t->mm->rlim.stack;
	t->rlim[8].rlim_cur = t->mm->rlim.memlock;
	t->rlim[9].rlim_cur = t->mm->rlim.as;
}

int task_setup_files_stdio(struct kernel *k, struct task_struct *t, const char *root,
			   const int stdio[3])
{
	t->in_compat = t->abi32;
	t->uid = t->euid = t->suid = (uint32_t)getuid();
	t->gid = t->egid = t->sgid = (uint32_t)getgid();
	init_rlimits(t);
	t->files = files_alloc(k, stdio);
	t->fs = fs_alloc(k, root, NULL);
	t->signal = signal_alloc(k);
	if (t->files && t->fs && t->signal)
		return 0;
	exit_task_files(k, t);
	return -ENOMEM;
}

int task_setup_files(struct kernel *k, struct task_struct *t, const char *root)
{
	return task_setup_files_stdio(k, t, root, NULL);
}

int task_ensure_files(struct kernel *k, struct task_struct *t)
{
	if (t->files && t->fs && t->signal)
		return 0;
	exit_task_files(k, t);
	return task_setup_files(k, t, k->root);
}

void exit_task_files(struct kernel *k, struct task_struct *t)
{
	files_free(k, t->files);
	fs_free(k, t->fs);
	signal_free(k, t->signal);
	t->files = NULL;
	t->fs = NULL;
	t->signal = NULL;
}

struct task_struct *alloc_task_struct(struct kernel *k)
{
	if (!k->task_cachep)
		k->task_cachep =
		    kmem_cache_create(k, "task_struct", sizeof(struct task_struct), 64, 0, NULL);
	struct task_struct *t =
	    k->task_cachep ? kmem_cache_zalloc(k, k->task_cachep, GFP_KERNEL) : NULL;
	if (!t)
		return NULL;
	t->pid = t->tgid = k->next_pid ? k->next_pid : 1;
	k->next_pid = t->pid + 1;
	return t;
}

struct task_struct *task_create(struct kernel *k, struct mm_struct *mm, bool abi32,
				const int stdio[3])
{
	struct task_struct *t = alloc_task_struct(k);
	if (!t)
		return NULL;
	t->abi32 = abi32;
	if (task_setup_files_stdio(k, t, k->root, stdio) < 0) {
		kmem_cache_free(k, k->task_cachep, t);
		return NULL;
	}
	t->mm = mm;
	if (mm)
		mm->pid = t->pid;
	init_rlimits(t);
	return t;
}

int task_set_exe_path(struct kernel *k, struct task_struct *t, const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(t->exe_path);
	t->exe_path = p;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	strncpy(t->comm, base, TASK_COMM_LEN - 1);
	t->comm[TASK_COMM_LEN - 1] = '\0';
	return 0;
}
