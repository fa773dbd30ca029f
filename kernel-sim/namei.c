/*
 * Path resolution (Linux's fs/namei.c, path_lookupat and its walk_component/pick_link),
 * done in the guest's namespace so that a root directory confines the guest:
 *
 *   "/a/../b/link/c"   components one at a time, on a guest path that starts at "/"
 *     "."  -> nothing
 *     ".." -> drop the last component; at the root, stay there
 *     name -> append; if it is a symlink on the host (lstat below the root) and it is not
 *             the last component or LOOKUP_FOLLOW is set: read it and resolve its target
 *             in place of the component (an absolute target restarts at the root)
 *
 * The host path is then root + guest path. Paths under /proc are never looked up on the
 * host: the kernel serves them (kernel-sim/proc_fs.c).
 */
#define _GNU_SOURCE /* O_PATH, SEEK_DATA */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

static bool is_proc_path(const char *guest)
{
	return !strncmp(guest, "/proc", 5) && (guest[5] == '\0' || guest[5] == '/');
}

static void host_path_of(const struct fs_struct *fs, const char *guest, char *host, size_t n)
{
	snprintf(host, n, "%s%s", fs->root, guest[0] ? guest : "/");
}

/* The guest directory a relative name starts from, without a trailing slash ("" is /). */
static int lookup_base(struct kernel *k, int dirfd, const char *name, char *guest)
{
	const char *base;
	guest[0] = '\0';
	if (name[0] == '/')
		return 0;
	if (dirfd == G_AT_FDCWD) {
		base = k->current->fs->pwd;
	} else {
		struct open_file *of = fget(k, dirfd);
		if (!of)
			return -EBADF;
		if (!of->is_dir)
			return -ENOTDIR;
		base = of->path;
	}
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	if (len >= G_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(guest, base, len);
	guest[len] = '\0';
	return 0;
}

static void drop_last_component(char *guest)
{
	char *slash = strrchr(guest, '/');
	if (slash)
		*slash = '\0';
}

/* Nothing but slashes from p on. */
static bool only_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/* Replaces the rest of the walk (rest, inside work) by target + "/" + rest. */
static int splice_link(char *work, size_t worklen, const char *target, const char *rest)
{
	char tmp[2 * G_PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s/%s", target, rest);
	if (n < 0 || (size_t)n >= worklen)
		return -ENAMETOOLONG;
	memcpy(work, tmp, (size_t)n + 1);
	return 0;
}

/*
 * Looks at the component just appended to nd->guest: a symlink to follow gives 1 with its
 * target in target, anything else 0; a missing or non-directory intermediate component
 * gives -ENOENT / -ENOTDIR.
 */
static int check_component(const struct fs_struct *fs, struct nameidata *nd, bool last,
			   char *target, size_t tlen)
{
	struct stat st;
	host_path_of(fs, nd->guest, nd->host, sizeof(nd->host));
	if (lstat(nd->host, &st) < 0)
		return last ? 0 : -errno;
	if (!S_ISLNK(st.st_mode))
		return !last && !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;
	ssize_t n = readlink(nd->host, target, tlen - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return 1;
}

/* The walk itself over work (modified in place when links are spliced in). */
static int walk_components(const struct fs_struct *fs, char *work, size_t worklen,
			   unsigned int flags, struct nameidata *nd)
{
	char target[G_PATH_MAX];
	int links = 0;
	char *p = work;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		size_t clen = (size_t)(end - p);
		size_t glen = strlen(nd->guest);
		bool last = only_slashes(end);
		if (clen == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			drop_last_component(nd->guest);
			p = end;
			continue;
		}
		if (glen + 1 + clen >= G_PATH_MAX)
			return -ENAMETOOLONG;
		nd->guest[glen] = '/';
		memcpy(nd->guest + glen + 1, p, clen);
		nd->guest[glen + 1 + clen] = '\0';
		p = end;
		if (is_proc_path(nd->guest) || (last && !(flags & LOOKUP_FOLLOW)))
			continue;
		int r = check_component(fs, nd, last, target, sizeof(target));
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		if (++links > G_MAXSYMLINKS)
			return -ELOOP;
		drop_last_component(nd->guest);
		if (target[0] == '/')
			nd->guest[0] = '\0';
		if (splice_link(work, worklen, target, p) < 0)
			return -ENAMETOOLONG;
		p = work;
	}
	return 0;
}

int path_lookup(struct kernel *k, int dirfd, const char *name, unsigned int flags,
		struct nameidata *nd)
{
	char work[2 * G_PATH_MAX];
	size_t len = strlen(name);
	if (!len)
		return -ENOENT;
	if (len >= G_PATH_MAX)
		return -ENAMETOOLONG;
	int err = lookup_base(k, dirfd, name, nd->guest);
	if (err)
		return err;
	memcpy(work, name, len + 1);
	err = walk_components(k->current->fs, work, sizeof(work), flags, nd);
	if (err)
		return err;
	if (!nd->guest[0])
		strcpy(nd->guest, "/");
	nd->proc = is_proc_path(nd->guest);
	host_path_of(k->current->fs, nd->guest, nd->host, sizeof(nd->host));
	/* A trailing slash asks for a directory: let the host check it. */
	if (name[len - 1] == '/' && strcmp(nd->guest, "/") &&
	    strlen(nd->host) + 1 < sizeof(nd->host))
		strcat(nd->host, "/");
	return 0;
}

int getname(struct kernel *k, uint64_t uaddr, char *buf, bool empty_ok)
{
	long n = strncpy_from_user(k, buf, uaddr, G_PATH_MAX);
	if (n < 0)
		return -EFAULT;
	if (n == G_PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0 && !empty_ok)
		return -ENOENT;
	return 0;
}

int host_open_flags(unsigned int g)
{
	static const struct {
		unsigned int guest;
		int host;
	} bits[] = {
	    {G_O_CREAT, O_CREAT}, {G_O_EXCL, O_EXCL},		{G_O_NOCTTY, O_NOCTTY},
	    {G_O_TRUNC, O_TRUNC}, {G_O_APPEND, O_APPEND},	{G_O_NONBLOCK, O_NONBLOCK},
	    {G_O_DSYNC, O_DSYNC}, {G_O_DIRECTORY, O_DIRECTORY}, {G_O_NOFOLLOW, O_NOFOLLOW},
	    {G_O_SYNC, O_SYNC},	  {G_O_PATH, O_PATH},
	};
	int h = (g & G_O_ACCMODE) == G_O_WRONLY ? O_WRONLY
		: (g & G_O_ACCMODE) == G_O_RDWR ? O_RDWR
						: O_RDONLY;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if ((g & bits[i].guest) == bits[i].guest)
			h |= bits[i].host;
	return h | O_CLOEXEC;
}

/* ---- unlink, mkdir, rmdir, rename, symlink, link (fs/namei.c's do_*at) ---- */

/* Resolves the path argument upath against dirfd without following a final symlink,
 * refusing /proc (read-only here). */
static int lookup_for_change(struct kernel *k, int dirfd, uint64_t upath, struct nameidata *nd)
{
	char name[G_PATH_MAX];
	int err = getname(k, upath, name, false);
	if (!err)
		err = path_lookup(k, dirfd, name, 0, nd);
	if (!err && nd->proc)
		err = -EACCES;
	return err;
}

static long host_result(int r)
{
	return r < 0 ? -errno : 0;
}

static long do_unlinkat(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags)
{
	struct nameidata nd;
	if (flags & ~(unsigned)G_AT_REMOVEDIR)
		return -EINVAL;
	int err = lookup_for_change(k, dirfd, upath, &nd);
	if (err)
		return err;
	return host_result(flags & G_AT_REMOVEDIR ? rmdir(nd.host) : unlink(nd.host));
}

long sys_unlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_unlinkat(k, G_AT_FDCWD, a[0], 0);
}

long sys_unlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_unlinkat(k, (int)a[0], a[1], (unsigned)a[2]);
}

long sys_rmdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_unlinkat(k, G_AT_FDCWD, a[0], G_AT_REMOVEDIR);
}

static long do_mkdirat(struct kernel *k, int dirfd, uint64_t upath, unsigned int mode)
{
	struct nameidata nd;
	int err = lookup_for_change(k, dirfd, upath, &nd);
	if (err)
		return err;
	return host_result(mkdir(nd.host, mode & ~k->current->fs->umask & 07777));
}

long sys_mkdir(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_mkdirat(k, G_AT_FDCWD, a[0], (unsigned)a[1]);
}

long sys_mkdirat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_mkdirat(k, (int)a[0], a[1], (unsigned)a[2]);
}

static long do_renameat2(struct kernel *k, int olddfd, uint64_t oldpath, int newdfd,
			 uint64_t newpath, unsigned int flags)
{
	struct nameidata *from = malloc(2 * sizeof(*from));
	if (!from)
		return -ENOMEM;
	struct nameidata *to = from + 1;
	long err = flags ? -EINVAL : lookup_for_change(k, olddfd, oldpath, from);
	if (!err)
		err = lookup_for_change(k, newdfd, newpath, to);
	if (!err)
		err = host_result(rename(from->host, to->host));
	free(from);
	return err;
}

long sys_rename(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_renameat2(k, G_AT_FDCWD, a[0], G_AT_FDCWD, a[1], 0);
}

long sys_renameat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_renameat2(k, (int)a[0], a[1], (int)a[2], a[3], 0);
}

long sys_renameat2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_renameat2(k, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

/* symlink(target, linkpath): the target string is stored as given (it is resolved later,
 * inside the root, when the link is followed). */
static long do_symlinkat(struct kernel *k, uint64_t utarget, int dirfd, uint64_t upath)
{
	char target[G_PATH_MAX];
	struct nameidata nd;
	int err = getname(k, utarget, target, false);
	if (!err)
		err = lookup_for_change(k, dirfd, upath, &nd);
	if (err)
		return err;
	return host_result(symlink(target, nd.host));
}

long sys_symlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_symlinkat(k, a[0], G_AT_FDCWD, a[1]);
}

long sys_symlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_symlinkat(k, a[0], (int)a[1], a[2]);
}

/* link(old, new) / linkat(olddfd, old, newdfd, new, flags): a hard link on the host. */
static long do_linkat(struct kernel *k, int olddfd, uint64_t oldpath, int newdfd, uint64_t newpath,
		      unsigned int flags)
{
	char name[G_PATH_MAX];
	if (flags & ~(unsigned)(G_AT_SYMLINK_FOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	struct nameidata *from = malloc(2 * sizeof(*from));
	if (!from)
		return -ENOMEM;
	struct nameidata *to = from + 1;
	long err = getname(k, oldpath, name, false);
	if (!err)
		err = path_lookup(k, olddfd, name, flags & G_AT_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0,
				  from);
	if (!err && from->proc)
		err = -EXDEV;
	if (!err)
		err = lookup_for_change(k, newdfd, newpath, to);
	if (!err)
		err = host_result(link(from->host, to->host));
	free(from);
	return err;
}

long sys_link(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_linkat(k, G_AT_FDCWD, a[0], G_AT_FDCWD, a[1], 0);
}

long sys_linkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_linkat(k, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

/* chown family: passed to the host, which decides (an unprivileged host process may only
 * "change" to its own ids). -1 leaves an id unchanged, as on Linux. */
static long do_fchownat(struct kernel *k, int dirfd, uint64_t upath, uint32_t uid, uint32_t gid,
			unsigned int flags)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	if (flags & ~(unsigned)(G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	int err = getname(k, upath, name, flags & G_AT_EMPTY_PATH);
	if (err)
		return err;
	if (!name[0]) {
		int hfd = fd_host(k, dirfd, -EPERM);
		return hfd < 0 ? hfd : host_result(fchown(hfd, uid, gid));
	}
	err = path_lookup(k, dirfd, name, flags & G_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc)
		return -EPERM;
	return host_result(flags & G_AT_SYMLINK_NOFOLLOW ? lchown(nd.host, uid, gid)
							 : chown(nd.host, uid, gid));
}

long sys_chown(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_fchownat(k, G_AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], 0);
}

long sys_lchown(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_fchownat(k, G_AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2],
			   G_AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_fchownat(k, (int)a[0], a[1], (uint32_t)a[2], (uint32_t)a[3], (unsigned)a[4]);
}

long sys_fchown(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int hfd = fd_host(k, (int)a[0], -EPERM);
	return hfd < 0 ? hfd : host_result(fchown(hfd, (uint32_t)a[1], (uint32_t)a[2]));
}

/* truncate(path, length) */
long sys_truncate(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	int64_t len = in_compat_syscall(k) ? (int32_t)a[1] : (int64_t)a[1];
	int err = getname(k, a[0], name, false);
	if (!err)
		err = path_lookup(k, G_AT_FDCWD, name, LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (nd.proc)
		return -EACCES;
	if (len < 0)
		return -EINVAL;
	return host_result(truncate(nd.host, len));
}
