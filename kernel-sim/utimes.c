/*
 * utimensat (Linux's fs/utimes.c): file times set on the host. "Now" (a NULL times
 * argument, or UTIME_NOW) is the machine's virtual CLOCK_REALTIME, not the host's clock,
 * so a run stays a function of its inputs; UTIME_OMIT leaves a time alone.
 */
#define _GNU_SOURCE /* UTIME_NOW, UTIME_OMIT */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define G_UTIME_NOW ((1L << 30) - 1L)
#define G_UTIME_OMIT ((1L << 30) - 2L)
#define NSEC_PER_SEC 1000000000LL

/* One guest timespec of the times argument into a host one. */
static int get_utime(struct kernel *k, uint64_t uaddr, bool time64, struct timespec *ts)
{
	int64_t v[2];
	if (in_compat_syscall(k) && !time64) {
		int32_t w[2];
		if (copy_from_user_ok(k, w, uaddr, sizeof(w)))
			return -EFAULT;
		v[0] = w[0], v[1] = w[1];
	} else if (copy_from_user_ok(k, v, uaddr, sizeof(v))) {
		return -EFAULT;
	}
	if (v[1] != G_UTIME_NOW && v[1] != G_UTIME_OMIT && (v[1] < 0 || v[1] >= NSEC_PER_SEC))
		return -EINVAL;
	ts->tv_sec = v[0];
	ts->tv_nsec = v[1];
	return 0;
}

static void virtual_now(struct kernel *k, struct timespec *ts)
{
	int64_t ns;
	clock_now_ns(k, 0 /* CLOCK_REALTIME */, &ns);
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

static long do_utimensat(struct kernel *k, const uint64_t *a, bool time64)
{
	int dirfd = (int)a[0];
	unsigned int flags = (unsigned)a[3];
	struct timespec ts[2];
	size_t size = in_compat_syscall(k) && !time64 ? 8 : 16;
	if (flags & ~(unsigned)(G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		int err = a[2] ? get_utime(k, a[2] + (uint64_t)i * size, time64, &ts[i]) : 0;
		if (err)
			return err;
		if (!a[2] || ts[i].tv_nsec == G_UTIME_NOW)
			virtual_now(k, &ts[i]);
		else if (ts[i].tv_nsec == G_UTIME_OMIT)
			ts[i].tv_nsec = UTIME_OMIT;
	}
	if (!a[1]) { /* futimens: the fd itself */
		int hfd = fd_host(k, dirfd, -EACCES);
		if (hfd < 0)
			return hfd;
		return futimens(hfd, ts) < 0 ? -errno : 0;
	}
	char name[G_PATH_MAX];
	struct nameidata nd;
	int err = getname(k, a[1], name, flags & G_AT_EMPTY_PATH);
	if (!err)
		err = path_lookup(k, dirfd, name, flags & G_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
				  &nd);
	if (err)
		return err;
	if (nd.proc)
		return -EACCES;
	return utimensat(AT_FDCWD, nd.host, ts,
			 flags & G_AT_SYMLINK_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0)
		   ? -errno
		   : 0;
}

/* utimensat(dirfd, path or NULL, times[2] or NULL, flags) */
long sys_utimensat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_utimensat(k, a, false);
}

long sys_utimensat_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_utimensat(k, a, true);
}
