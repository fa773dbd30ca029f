/*
 * The guest's /proc (Linux's fs/proc/: base.c, array.c, task_mmu.c and the meminfo,
 * buddyinfo, zoneinfo, vmstat, slabinfo, pagetypeinfo, vmallocinfo files), for the
 * current task only:
 *
 *   /proc/{self,PID}/maps smaps status statm stat auxv cmdline environ comm mounts
 *   /proc/{self,PID}/exe -> the executable, /proc/{self,PID}/fd/N -> the open file
 *   /proc/self -> PID
 *   /proc/meminfo buddyinfo zoneinfo vmstat slabinfo pagetypeinfo vmallocinfo version uptime
 *   swaps mounts
 *
 * A read at offset 0 (the first read, or one after lseek to 0 or a pread at 0) prints the
 * whole text with kernel-sim's show functions into a snapshot, which later reads, pread()
 * and lseek() serve: as with Linux's seq_file, a file opened early shows the state when it
 * is read, and a program reading it to the end in pieces sees one consistent text. The
 * directories /proc, /proc/PID and /proc/PID/fd list their entries the same way: the
 * snapshot is a run of struct linux_dirent64 records that getdents64 hands out. Other
 * /proc paths and other PIDs do not exist here (-ENOENT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/proc.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/vmalloc.h"

#define PROC_SUPER_MAGIC_DEV makedev(0, 22)
#define CAP_FULL_SET 0x000001ffffffffffULL /* the 41 capabilities of Linux 6.1 */

typedef void (*proc_show_fn)(struct seq_file *m, struct kernel *k, struct task_struct *t);

/* ---- per-process files ---- */

static void show_maps(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	if (t->mm)
		proc_pid_maps_show(m, k, t->mm);
}

static void show_smaps(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	if (t->mm)
		proc_pid_smaps_show(m, k, t->mm);
}

static void show_statm(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	if (t->mm)
		proc_pid_statm_show(m, k, t->mm);
}

/* A bitmap as Linux's "%*pb": 32-bit groups in hex, highest first, comma-separated. */
static void seq_bitmap(struct seq_file *m, const uint64_t *bits, int nbits)
{
	int groups = (nbits + 31) / 32;
	for (int g = groups - 1; g >= 0; g--) {
		uint32_t v = (uint32_t)(bits[g / 2] >> (32 * (g % 2)));
		int width = 8;
		if (g == groups - 1 && nbits % 32)
			width = (nbits % 32 + 3) / 4;
		if (g == groups - 1 && nbits % 32)
			v &= (uint32_t)((1ULL << (nbits % 32)) - 1);
		seq_printf(m, "%0*x%s", width, v, g ? "," : "");
	}
}

static void seq_range_list(struct seq_file *m, int n)
{
	if (n <= 1)
		seq_puts(m, "0");
	else
		seq_printf(m, "0-%d", n - 1);
}

/* The lines of task_state() and the signal/capability/cpuset lines around task_mem(). */
static void show_status(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	const struct signal_state *s = t->signal;
	uint64_t ign = 0, cgt = 0, cpus[NR_CPUS / 64] = {0}, mems[MAX_NUMNODES / 64] = {0};
	for (int sig = 1; sig <= KERNEL_NSIG; sig++) {
		uint64_t h = s->action[sig - 1].handler;
		ign |= h == KSIG_IGN ? ksigmask(sig) : 0;
		cgt |= h != KSIG_IGN && h != KSIG_DFL ? ksigmask(sig) : 0;
	}
	seq_printf(m, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n", t->comm, t->fs->umask);
	seq_printf(m, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", t->tgid, t->pid,
		   t->ppid);
	seq_printf(m, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", t->uid, t->euid, t->suid,
		   t->euid, t->gid, t->egid, t->sgid, t->egid);
	seq_printf(m, "FDSize:\t%d\nGroups:\t \n", t->files->max_fds);
	seq_printf(m, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", t->tgid, t->pid, t->pid,
		   t->pid);
	if (t->mm)
		proc_pid_status_mem_show(m, k, t->mm);
	seq_printf(m, "HugetlbPages:\t%8d kB\nCoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t1\n", 0);
	seq_printf(m, "SigQ:\t%d/%llu\n", __builtin_popcountll(s->pending),
		   (unsigned long long)t->rlim[11].rlim_cur);
	seq_printf(m, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n",
		   (unsigned long long)s->pending, 0ULL, (unsigned long long)s->blocked);
	seq_printf(m, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", (unsigned long long)ign,
		   (unsigned long long)cgt);
	uint64_t caps = t->euid == 0 ? CAP_FULL_SET : 0;
	seq_printf(m, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n", 0ULL,
		   (unsigned long long)caps, (unsigned long long)caps);
	seq_printf(m, "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", CAP_FULL_SET, 0ULL);
	seq_puts(m, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		    "Speculation_Store_Bypass:\tnot vulnerable\n"
		    "SpeculationIndirectBranch:\tnot affected\n");
	for (int cpu = 0; cpu < k->nr_cpu_ids; cpu++)
		cpus[cpu / 64] |= 1ULL << (cpu % 64);
	for (int nid = 0; nid < k->nr_node_ids; nid++)
		mems[nid / 64] |= 1ULL << (nid % 64);
	seq_puts(m, "Cpus_allowed:\t");
	seq_bitmap(m, cpus, k->nr_cpu_ids);
	seq_puts(m, "\nCpus_allowed_list:\t");
	seq_range_list(m, k->nr_cpu_ids);
	seq_puts(m, "\nMems_allowed:\t");
	seq_bitmap(m, mems, MAX_NUMNODES);
	seq_puts(m, "\nMems_allowed_list:\t");
	seq_range_list(m, k->nr_node_ids);
	seq_puts(m, "\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

static void show_comm(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	seq_printf(m, "%s\n", t->comm);
}

/* The auxiliary vector exec saved, in the task's word size, AT_NULL included. */
static void show_auxv(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	size_t word = t->abi32 ? 4 : 8;
	for (int i = 0; i + 1 < AT_VECTOR_WORDS; i += 2) {
		for (int j = 0; j < 2; j++) {
			uint64_t v = t->saved_auxv[i + j];
			for (size_t b = 0; b < word; b++)
				seq_putc(m, (char)(v >> (8 * b)));
		}
		if (!t->saved_auxv[i])
			break;
	}
}

/* Bytes [start, end) of the task's memory (faulted in as access_remote_vm would). */
static void show_user_range(struct seq_file *m, struct kernel *k, struct task_struct *t,
			    uint64_t start, uint64_t end)
{
	uint8_t buf[256];
	while (t->mm && start < end) {
		size_t n = end - start < sizeof(buf) ? (size_t)(end - start) : sizeof(buf);
		size_t got = n - copy_from_user_mm(k, t->mm, buf, start, n);
		for (size_t i = 0; i < got; i++)
			seq_putc(m, (char)buf[i]);
		if (got < n)
			break;
		start += n;
	}
}

static void show_cmdline(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	if (t->mm)
		show_user_range(m, k, t, t->mm->arg_start, t->mm->arg_end);
}

static void show_environ(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	if (t->mm)
		show_user_range(m, k, t, t->mm->env_start, t->mm->env_end);
}

/* ---- system-wide files ---- */

static void show_version(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	seq_puts(m, "Linux version 6.1.0-mmemu (mmemu) #1 SMP PREEMPT_DYNAMIC mmemu\n");
}

static void show_uptime(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	uint64_t cs = k->now_ns / 10000000ULL;
	seq_printf(m, "%llu.%02llu 0.00\n", (unsigned long long)(cs / 100),
		   (unsigned long long)(cs % 100));
}

#define GLOBAL_SHOW(fn)                                                                            \
	static void show_##fn(struct seq_file *m, struct kernel *k, struct task_struct *t)         \
	{                                                                                          \
		fn##_show(m, k);                                                                   \
	}
GLOBAL_SHOW(meminfo)
GLOBAL_SHOW(buddyinfo)
GLOBAL_SHOW(zoneinfo)
GLOBAL_SHOW(vmstat)
GLOBAL_SHOW(slabinfo)
GLOBAL_SHOW(pagetypeinfo)
GLOBAL_SHOW(vmallocinfo)

static void show_swaps(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	(void)t;
	proc_swaps_show(m, k);
}

/*
 * /proc/PID/mounts (and /proc/mounts): the host's mount table as the guest's root sees it.
 * With the host's / as root every host mount is the guest's; under --root DIR only the
 * mounts at or below DIR remain, their mount points made relative to it, and the
 * machine's own /proc is added.
 */
static void show_mounts(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	const char *root = t->fs && t->fs->root ? t->fs->root : "";
	size_t rlen = strlen(root);
	char line[4096], dev[1024], dir[1024];
	FILE *f = fopen("/proc/self/mounts", "r");
	(void)k;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int rest = 0;
		if (!rlen) {
			seq_puts(m, line);
			continue;
		}
		if (sscanf(line, "%1023s %1023s %n", dev, dir, &rest) < 2 || !rest)
			continue;
		if (strncmp(dir, root, rlen) != 0 || (dir[rlen] && dir[rlen] != '/'))
			continue;
		seq_printf(m, "%s %s %s", dev, dir[rlen] ? dir + rlen : "/", line + rest);
	}
	fclose(f);
	if (rlen)
		seq_puts(m, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n");
}

struct proc_entry {
	const char *name;
	proc_show_fn show;
	unsigned int mode;
};

/* /proc/PID/stat (Linux's do_task_stat): 52 fields, times in USER_HZ ticks. */
static void show_stat(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	const struct mm_struct *mm = t->mm;
	const struct signal_state *s = t->signal;
	uint64_t ign = 0, cgt = 0;
	for (int sig = 1; sig <= KERNEL_NSIG; sig++) {
		uint64_t h = s->action[sig - 1].handler;
		ign |= h == KSIG_IGN ? ksigmask(sig) : 0;
		cgt |= h != KSIG_IGN && h != KSIG_DFL ? ksigmask(sig) : 0;
	}
	unsigned long long ticks = kernel_cpu_time_ns(k) / 10000000ULL; /* utime */
	seq_printf(m, "%d (%s) R %d %d %d 0 -1 4194304 %lu 0 %lu 0 %llu 0 0 0 20 0 1 0 0 ", t->pid,
		   t->comm, t->ppid, t->pid, t->pid, mm ? mm->min_flt : 0, mm ? mm->maj_flt : 0,
		   ticks);
	seq_printf(m, "%lu %lu %llu %lu %lu %lu 0 0 ", mm ? mm->total_vm << PAGE_SHIFT : 0,
		   mm ? get_mm_rss(mm) : 0, (unsigned long long)t->rlim[5].rlim_cur,
		   mm ? mm->start_code : 0, mm ? mm->end_code : 0, mm ? mm->start_stack : 0);
	seq_printf(m, "%llu %llu %llu %llu 0 0 0 17 %d 0 0 0 0 0 ", (unsigned long long)s->pending,
		   (unsigned long long)s->blocked, (unsigned long long)ign, (unsigned long long)cgt,
		   k->this_cpu);
	seq_printf(m, "%lu %lu %lu %lu %lu %lu %lu 0\n", mm ? mm->start_data : 0,
		   mm ? mm->end_data : 0, mm ? mm->start_brk : 0, mm ? mm->arg_start : 0,
		   mm ? mm->arg_end : 0, mm ? mm->env_start : 0, mm ? mm->env_end : 0);
}

static const struct proc_entry pid_entries[] = {
    {"maps", show_maps, 0444},	     {"smaps", show_smaps, 0444}, {"status", show_status, 0444},
    {"statm", show_statm, 0444},     {"auxv", show_auxv, 0400},	  {"cmdline", show_cmdline, 0444},
    {"environ", show_environ, 0400}, {"comm", show_comm, 0644},	  {"stat", show_stat, 0444},
    {"mounts", show_mounts, 0444},
};

static const struct proc_entry root_entries[] = {
    {"meminfo", show_meminfo, 0444},	     {"buddyinfo", show_buddyinfo, 0444},
    {"zoneinfo", show_zoneinfo, 0444},	     {"vmstat", show_vmstat, 0444},
    {"slabinfo", show_slabinfo, 0400},	     {"pagetypeinfo", show_pagetypeinfo, 0400},
    {"vmallocinfo", show_vmallocinfo, 0400}, {"version", show_version, 0444},
    {"uptime", show_uptime, 0444},	     {"swaps", show_swaps, 0444},
    {"mounts", show_mounts, 0444}, /* a symbolic link to self/mounts on Linux */
};

/* ---- directory listings: struct linux_dirent64 records ---- */

#define DT_DIR_ 4
#define DT_REG_ 8
#define DT_LNK_ 10

static uint64_t proc_ino(const char *guest);

/* One record; d_off is where the next one starts in the listing. */
static void seq_dirent(struct seq_file *m, const char *dir, const char *name, uint8_t type)
{
	char path[G_PATH_MAX];
	size_t namelen = strlen(name), reclen = (19 + namelen + 1 + 7) & ~(size_t)7;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	uint64_t ino = proc_ino(path), next = m->count + reclen;
	uint16_t r16 = (uint16_t)reclen;
	uint8_t head[19];
	memcpy(head, &ino, 8);
	memcpy(head + 8, &next, 8);
	memcpy(head + 16, &r16, 2);
	head[18] = type;
	for (size_t i = 0; i < reclen; i++)
		seq_putc(m, (char)(i < 19 ? head[i] : i - 19 < namelen ? name[i - 19] : 0));
}

static void show_dir_root(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", t->pid);
	seq_dirent(m, "/proc", ".", DT_DIR_);
	seq_dirent(m, "/proc", "..", DT_DIR_);
	seq_dirent(m, "/proc", pid, DT_DIR_);
	seq_dirent(m, "/proc", "self", DT_LNK_);
	for (size_t i = 0; i < sizeof(root_entries) / sizeof(root_entries[0]); i++)
		seq_dirent(m, "/proc", root_entries[i].name, DT_REG_);
}

static void show_dir_pid(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	char dir[32];
	snprintf(dir, sizeof(dir), "/proc/%d", t->pid);
	seq_dirent(m, dir, ".", DT_DIR_);
	seq_dirent(m, dir, "..", DT_DIR_);
	seq_dirent(m, dir, "exe", DT_LNK_);
	seq_dirent(m, dir, "fd", DT_DIR_);
	for (size_t i = 0; i < sizeof(pid_entries) / sizeof(pid_entries[0]); i++)
		seq_dirent(m, dir, pid_entries[i].name, DT_REG_);
}

static void show_dir_fd(struct seq_file *m, struct kernel *k, struct task_struct *t)
{
	char dir[32], name[16];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", t->pid);
	seq_dirent(m, dir, ".", DT_DIR_);
	seq_dirent(m, dir, "..", DT_DIR_);
	for (int fd = 0; fd < t->files->max_fds; fd++) {
		if (!t->files->fd[fd])
			continue;
		snprintf(name, sizeof(name), "%d", fd);
		seq_dirent(m, dir, name, DT_LNK_);
	}
}

static const struct proc_entry dir_root = {"", show_dir_root, 0555};
static const struct proc_entry dir_pid = {"", show_dir_pid, 0555};
static const struct proc_entry dir_fd = {"", show_dir_fd, 0500};

static const struct proc_entry *find_entry(const struct proc_entry *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* ---- parsing a /proc path ---- */

enum proc_kind {
	PK_NONE,    /* no such file */
	PK_ROOT,    /* /proc */
	PK_SELF,    /* /proc/self (a link) */
	PK_PID_DIR, /* /proc/PID */
	PK_FD_DIR,  /* /proc/PID/fd */
	PK_EXE,	    /* /proc/PID/exe (a link) */
	PK_FD_LINK, /* /proc/PID/fd/N (a link) */
	PK_FILE,    /* a file with a show function */
};

struct proc_path {
	enum proc_kind kind;
	const struct proc_entry *entry; /* PK_FILE */
	int fd;				/* PK_FD_LINK */
};

/* "self" or the current pid: the rest of the path after it, else NULL. */
static const char *match_pid(struct kernel *k, const char *p)
{
	char pid[16];
	int n = snprintf(pid, sizeof(pid), "%d", k->current->pid);
	if (!strncmp(p, "self", 4) && (p[4] == '\0' || p[4] == '/'))
		return p + 4;
	if (!strncmp(p, pid, (size_t)n) && (p[n] == '\0' || p[n] == '/'))
		return p + n;
	return NULL;
}

static struct proc_path parse_pid_path(struct kernel *k, const char *rest, bool self)
{
	struct proc_path pp = {PK_NONE, NULL, -1};
	if (!*rest)
		pp.kind = self ? PK_SELF : PK_PID_DIR;
	else if (!strcmp(rest, "/exe"))
		pp.kind = PK_EXE;
	else if (!strcmp(rest, "/fd"))
		pp.kind = PK_FD_DIR;
	else if (!strncmp(rest, "/fd/", 4)) {
		char *end;
		long fd = strtol(rest + 4, &end, 10);
		if (*end == '\0' && end != rest + 4 && fd >= 0 && fget(k, (int)fd)) {
			pp.kind = PK_FD_LINK;
			pp.fd = (int)fd;
		}
	} else if ((pp.entry = find_entry(pid_entries, sizeof(pid_entries) / sizeof(pid_entries[0]),
					  rest + 1))) {
		pp.kind = PK_FILE;
	}
	return pp;
}

static struct proc_path parse_proc_path(struct kernel *k, const char *guest)
{
	struct proc_path pp = {PK_NONE, NULL, -1};
	const char *p = guest + 5; /* after "/proc" */
	if (!*p) {
		pp.kind = PK_ROOT;
		return pp;
	}
	p++;
	const char *rest = match_pid(k, p);
	if (rest)
		return parse_pid_path(k, rest, !strncmp(p, "self", 4));
	if ((pp.entry =
		 find_entry(root_entries, sizeof(root_entries) / sizeof(root_entries[0]), p)))
		pp.kind = PK_FILE;
	return pp;
}

/* ---- the VFS side ---- */

long proc_readlink(struct kernel *k, const char *guest, char *buf, size_t size)
{
	struct proc_path pp = parse_proc_path(k, guest);
	struct task_struct *t = k->current;
	char tmp[G_PATH_MAX];
	switch (pp.kind) {
	case PK_SELF:
		snprintf(tmp, sizeof(tmp), "%d", t->pid);
		break;
	case PK_EXE:
		if (!t->exe_path)
			return -ENOENT;
		snprintf(tmp, sizeof(tmp), "%s", t->exe_path);
		break;
	case PK_FD_LINK: {
		struct open_file *of = fget(k, pp.fd);
		if (of->type == OFT_PIPE)
			snprintf(tmp, sizeof(tmp), "pipe:[%llu]",
				 (unsigned long long)(__pa(k, of->pipe) >> 4));
		else
			snprintf(tmp, sizeof(tmp), "%s", of->path);
		break;
	}
	case PK_NONE:
		return -ENOENT;
	default:
		return -EINVAL;
	}
	size_t n = strlen(tmp);
	if (n > size)
		n = size;
	memcpy(buf, tmp, n);
	return (long)n;
}

/* A stable inode number for a /proc path. */
static uint64_t proc_ino(const char *guest)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *c = guest; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	return (h & 0xffffff) + 2;
}

int proc_getattr(struct kernel *k, const char *guest, struct kstat *st)
{
	struct proc_path pp = parse_proc_path(k, guest);
	static const unsigned int modes[] = {
	    [PK_ROOT] = S_IFDIR | 0555,	  [PK_SELF] = S_IFLNK | 0777, [PK_PID_DIR] = S_IFDIR | 0555,
	    [PK_FD_DIR] = S_IFDIR | 0500, [PK_EXE] = S_IFLNK | 0777,  [PK_FD_LINK] = S_IFLNK | 0700,
	};
	if (pp.kind == PK_NONE)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->mode = pp.kind == PK_FILE ? S_IFREG | pp.entry->mode : modes[pp.kind];
	st->nlink = S_ISDIR(st->mode) ? 2 : 1;
	st->dev = PROC_SUPER_MAGIC_DEV;
	st->ino = proc_ino(guest);
	st->uid = k->current->uid;
	st->gid = k->current->gid;
	st->blksize = 1024;
	return 0;
}

/* Opens the executable /proc/PID/exe points at, as a host file. */
static int proc_open_exe(struct kernel *k, unsigned int flags, struct open_file **ofp)
{
	struct nameidata nd;
	int err;
	if (!k->current->exe_path)
		return -ENOENT;
	err = path_lookup(k, G_AT_FDCWD, k->current->exe_path, LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc)
		return -ENOENT;
	*ofp = open_host_file(k, &nd, flags, 0, &err);
	return *ofp ? 0 : err;
}

int proc_open(struct kernel *k, const struct nameidata *nd, unsigned int flags,
	      struct open_file **ofp)
{
	struct proc_path pp = parse_proc_path(k, nd->guest);
	if (pp.kind == PK_EXE)
		return proc_open_exe(k, flags, ofp);
	if (pp.kind == PK_FD_LINK || pp.kind == PK_NONE)
		return -ENOENT;
	const struct proc_entry *dir = pp.kind == PK_ROOT			     ? &dir_root
				       : pp.kind == PK_PID_DIR || pp.kind == PK_SELF ? &dir_pid
				       : pp.kind == PK_FD_DIR			     ? &dir_fd
										     : NULL;
	if ((flags & G_O_ACCMODE) != G_O_RDONLY)
		return dir ? -EISDIR : -EACCES;
	if ((flags & G_O_DIRECTORY) && !dir)
		return -ENOTDIR;
	struct open_file *of = open_file_alloc(k, OFT_PROC, flags, nd->guest);
	if (!of)
		return -ENOMEM;
	of->proc = dir ? dir : pp.entry; /* printed at the first read */
	of->is_dir = dir != NULL;
	*ofp = of;
	return 0;
}

void proc_fill(struct kernel *k, struct open_file *of)
{
	struct seq_file m;
	seq_init(&m);
	of->proc->show(&m, k, k->current);
	free(of->text);
	of->text = m.buf; /* the snapshot keeps the seq_file's buffer */
	of->text_len = m.count;
	of->text_valid = true;
}
