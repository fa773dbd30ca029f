/*
 * open, openat, creat, close, access, chdir, fchdir, getcwd, umask, truncate and friends
 * (Linux's fs/open.c and fs/d_path.c). Host files are opened on the host path that
 * path_lookup() gives; /proc files are snapshots from proc_fs.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

/* Flags that only matter at open time (Linux drops them from f_flags). */
#define OPEN_ONLY_FLAGS (G_O_CREAT | G_O_EXCL | G_O_NOCTTY | G_O_TRUNC | G_O_CLOEXEC)

/* Opens nd's host path; the new description, or NULL with *err set. */
struct open_file *open_host_file(struct kernel *k, const struct nameidata *nd, unsigned int flags,
				 unsigned int mode, int *err)
{
	struct stat st;
	int hfd = open(nd->host, host_open_flags(flags), mode & ~k->current->fs->umask & 07777);
	if (hfd < 0) {
		*err = -errno;
		return NULL;
	}
	struct open_file *of = open_file_alloc(k, OFT_HOST, flags & ~OPEN_ONLY_FLAGS, nd->guest);
	if (of)
		of->host_path = kstrdup(k, nd->host, GFP_KERNEL);
	if (!of || !of->host_path) {
		if (of)
			open_file_put(k, of);
		close(hfd);
		*err = -ENOMEM;
		return NULL;
	}
	of->host_fd = hfd;
	of->is_dir = fstat(hfd, &st) == 0 && S_ISDIR(st.st_mode);
	of->is_tty = isatty(hfd);
	return of;
}

long do_sys_openat(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags,
		   unsigned int mode)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	struct open_file *of = NULL;
	int err = getname(k, upath, name, false);
	if (err)
		return err;
	/* x86-64 forces O_LARGEFILE (force_o_largefile). */
	if (!in_compat_syscall(k))
		flags |= G_O_LARGEFILE;
	bool nofollow = (flags & G_O_NOFOLLOW) || ((flags & G_O_CREAT) && (flags & G_O_EXCL));
	err = path_lookup(k, dirfd, name, nofollow ? 0 : LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc)
		err = proc_open(k, &nd, flags & ~OPEN_ONLY_FLAGS, &of);
	else
		of = open_host_file(k, &nd, flags, mode, &err);
	if (!of)
		return err;
	int fd = fd_install(k, of, 0, flags & G_O_CLOEXEC);
	if (fd < 0)
		open_file_put(k, of);
	return fd;
}

long sys_open(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_sys_openat(k, G_AT_FDCWD, a[0], (unsigned)a[1], (unsigned)a[2]);
}

long sys_openat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_sys_openat(k, (int)a[0], a[1], (unsigned)a[2], (unsigned)a[3]);
}

long sys_creat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_sys_openat(k, G_AT_FDCWD, a[0], G_O_CREAT | G_O_WRONLY | G_O_TRUNC,
			     (unsigned)a[1]);
}

long sys_close(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return close_fd(k, (int)a[0]);
}

/* ---- access ---- */

#define G_F_OK 0
#define G_X_OK 1
#define G_W_OK 2
#define G_R_OK 4

static long do_faccessat(struct kernel *k, int dirfd, uint64_t upath, unsigned int mode,
			 unsigned int flags)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	struct kstat st;
	if (mode & ~7u)
		return -EINVAL;
	if (flags & ~(unsigned)(G_AT_EACCESS | G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	int err = getname(k, upath, name, flags & G_AT_EMPTY_PATH);
	if (err)
		return err;
	if (!name[0]) /* AT_EMPTY_PATH: the fd itself */
		return fget(k, dirfd) ? 0 : -EBADF;
	err = path_lookup(k, dirfd, name, flags & G_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc) {
		err = proc_getattr(k, nd.guest, &st);
		return err ? err : (mode & (G_W_OK | G_X_OK)) ? -EACCES : 0;
	}
	int hmode =
	    (mode & G_R_OK ? R_OK : 0) | (mode & G_W_OK ? W_OK : 0) | (mode & G_X_OK ? X_OK : 0);
	return faccessat(AT_FDCWD, nd.host, hmode ? hmode : F_OK,
			 flags & G_AT_SYMLINK_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0) < 0
		   ? -errno
		   : 0;
}

long sys_access(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_faccessat(k, G_AT_FDCWD, a[0], (unsigned)a[1], 0);
}

long sys_faccessat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_faccessat(k, (int)a[0], a[1], (unsigned)a[2], 0);
}

long sys_faccessat2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_faccessat(k, (int)a[0], a[1], (unsigned)a[2], (unsigned)a[3]);
}

/* ---- working directory ---- */

static long set_pwd(struct kernel *k, const char *guest)
{
	char *pwd = kstrdup(k, guest, GFP_KERNEL);
	if (!pwd)
		return -ENOMEM;
	kfree(k, k->current->fs->pwd);
	k->current->fs->pwd = pwd;
	return 0;
}

long sys_chdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	struct stat st;
	int err = getname(k, a[0], name, false);
	if (!err)
		err = path_lookup(k, G_AT_FDCWD, name, LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc) /* no /proc directories */
		return -ENOENT;
	if (stat(nd.host, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(nd.host, X_OK) < 0)
		return -errno;
	return set_pwd(k, nd.guest);
}

long sys_fchdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (!of)
		return -EBADF;
	if (of->type != OFT_HOST || !of->is_dir)
		return -ENOTDIR;
	return set_pwd(k, of->path);
}

/* getcwd returns the length with the NUL, as Linux's system call does. */
long sys_getcwd(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	const char *pwd = k->current->fs->pwd;
	size_t len = strlen(pwd) + 1;
	if (len > a[1])
		return -ERANGE;
	return copy_to_user_ok(k, a[0], pwd, len) ? -EFAULT : (long)len;
}

long sys_umask(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	unsigned int old = k->current->fs->umask;
	k->current->fs->umask = (unsigned)a[0] & 0777;
	return old;
}

/* ---- on open files ---- */

/* The host descriptor of fd: >= 0, or -EBADF (also for pipes and /proc files, with
 * -EINVAL where Linux answers that). */
int fd_host(struct kernel *k, int fd, int not_host_err)
{
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	return of->type == OFT_HOST ? of->host_fd : not_host_err;
}

long sys_fsync(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int hfd = fd_host(k, (int)a[0], -EINVAL);
	if (hfd < 0)
		return hfd;
	return fsync(hfd) < 0 ? -errno : 0;
}

long do_ftruncate(struct kernel *k, int fd, int64_t len)
{
	int hfd = fd_host(k, fd, -EINVAL);
	if (hfd < 0)
		return hfd;
	if (len < 0)
		return -EINVAL;
	return ftruncate(hfd, len) < 0 ? -errno : 0;
}

long sys_ftruncate(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_ftruncate(k, (int)a[0], in_compat_syscall(k) ? (int32_t)a[1] : (int64_t)a[1]);
}

long sys_fchmod(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int hfd = fd_host(k, (int)a[0], -EINVAL);
	if (hfd < 0)
		return hfd;
	return fchmod(hfd, (mode_t)(a[1] & 07777)) < 0 ? -errno : 0;
}

long sys_fchmodat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	int err = getname(k, a[1], name, false);
	if (!err)
		err = path_lookup(k, (int)a[0], name, LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc)
		return -EPERM;
	return chmod(nd.host, (mode_t)(a[2] & 07777)) < 0 ? -errno : 0;
}

long sys_chmod(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	const uint64_t b[3] = {(uint64_t)(int64_t)G_AT_FDCWD, a[0], a[1]};
	return sys_fchmodat(k, regs, b);
}
