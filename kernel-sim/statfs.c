/*
 * statfs and its family (Linux's fs/statfs.c): the file system a path or a descriptor is
 * on, written in the layout of the caller's ABI:
 *
 *   struct statfs (x86-64, 120 bytes)            statfs, fstatfs
 *   struct compat_statfs (i386, 64 bytes)        statfs, fstatfs on i386
 *   struct compat_statfs64 (i386, 84, packed)    statfs64, fstatfs64 (size argument 84)
 *
 * Host files report the host file system they live on. /proc and pipes are the machine's
 * own, but their file systems are described as the host kernel describes its own procfs and
 * pipefs (asked once per call), so that what a guest reads equals a native run.
 */
#include <errno.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/uapi_bytes.h"

#define COMPAT_STATFS_SIZE 64
#define COMPAT_STATFS64_SIZE 84
#define STATFS_SIZE 120

/* Linux's struct kstatfs. */
struct kstatfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree;
	uint32_t fsid[2];
	uint64_t namelen, frsize, flags;
};

static void fill_kstatfs(const struct statfs *st, struct kstatfs *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->type = (uint64_t)st->f_type;
	ks->bsize = (uint64_t)st->f_bsize;
	ks->blocks = st->f_blocks;
	ks->bfree = st->f_bfree;
	ks->bavail = st->f_bavail;
	ks->files = st->f_files;
	ks->ffree = st->f_ffree;
	memcpy(ks->fsid, &st->f_fsid, sizeof(ks->fsid));
	ks->namelen = (uint64_t)st->f_namelen;
	ks->frsize = (uint64_t)st->f_frsize;
	ks->flags = (uint64_t)st->f_flags;
}

/* The host kernel's description of its pipefs. */
static int host_pipefs(struct statfs *st)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -errno;
	int r = fstatfs(fds[0], st) < 0 ? -errno : 0;
	close(fds[0]);
	close(fds[1]);
	return r;
}

static int vfs_fstatfs(struct open_file *of, struct kstatfs *ks)
{
	struct statfs st;
	int r;
	if (of->type == OFT_PIPE)
		r = host_pipefs(&st);
	else if (of->type == OFT_PROC)
		r = statfs("/proc", &st) < 0 ? -errno : 0;
	else
		r = fstatfs(of->host_fd, &st) < 0 ? -errno : 0;
	if (r == 0)
		fill_kstatfs(&st, ks);
	return r;
}

static int vfs_statfs_path(struct kernel *k, uint64_t upath, struct kstatfs *ks)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	struct statfs st;
	int err = getname(k, upath, name, false);
	if (err)
		return err;
	err = path_lookup(k, G_AT_FDCWD, name, LOOKUP_FOLLOW, &nd);
	if (err)
		return err;
	if (statfs(nd.proc ? "/proc" : nd.host, &st) < 0)
		return -errno;
	fill_kstatfs(&st, ks);
	return 0;
}

/* struct statfs and compat_statfs are the same fields in 8- or 4-byte words: seven counts
 * and sizes, the 8-byte fsid, then namelen, frsize and flags. */
static void put_statfs_words(uint8_t *b, const struct kstatfs *ks, size_t w)
{
	const uint64_t head[7] = {ks->type,   ks->bsize, ks->blocks, ks->bfree,
				  ks->bavail, ks->files, ks->ffree};
	const uint64_t tail[3] = {ks->namelen, ks->frsize, ks->flags};
	void (*put)(uint8_t *, size_t, uint64_t) = w == 8 ? put64 : put32;
	for (size_t i = 0; i < 7; i++)
		put(b, i * w, head[i]);
	memcpy(b + 7 * w, ks->fsid, 8);
	for (size_t i = 0; i < 3; i++)
		put(b, 7 * w + 8 + i * w, tail[i]);
}

static int cp_statfs(struct kernel *k, const struct kstatfs *ks, uint64_t ubuf)
{
	uint8_t b[STATFS_SIZE] = {0};
	put_statfs_words(b, ks, 8);
	return copy_to_user(k, ubuf, b, sizeof(b)) ? -EFAULT : 0;
}

/* Linux's put_compat_statfs: 32-bit fields, -EOVERFLOW for what does not fit (file counts
 * of -1 excepted). */
static int cp_compat_statfs(struct kernel *k, const struct kstatfs *ks, uint64_t ubuf)
{
	const uint64_t hi = 0xffffffff00000000ULL;
	if ((ks->blocks | ks->bfree | ks->bavail | ks->bsize | ks->frsize) & hi)
		return -EOVERFLOW;
	if ((ks->files != ~0ULL && (ks->files & hi)) || (ks->ffree != ~0ULL && (ks->ffree & hi)))
		return -EOVERFLOW;
	uint8_t b[COMPAT_STATFS_SIZE] = {0};
	put_statfs_words(b, ks, 4);
	return copy_to_user(k, ubuf, b, sizeof(b)) ? -EFAULT : 0;
}

/* Linux's put_compat_statfs64: 64-bit counts, 32-bit sizes. */
static int cp_compat_statfs64(struct kernel *k, const struct kstatfs *ks, uint64_t ubuf)
{
	if ((ks->bsize | ks->frsize) & 0xffffffff00000000ULL)
		return -EOVERFLOW;
	uint8_t b[COMPAT_STATFS64_SIZE] = {0};
	put32(b, 0, ks->type);
	put32(b, 4, ks->bsize);
	const uint64_t counts[5] = {ks->blocks, ks->bfree, ks->bavail, ks->files, ks->ffree};
	for (int i = 0; i < 5; i++)
		put64(b, 8 + (size_t)i * 8, counts[i]);
	memcpy(b + 48, ks->fsid, 8);
	put32(b, 56, ks->namelen);
	put32(b, 60, ks->frsize);
	put32(b, 64, ks->flags);
	return copy_to_user(k, ubuf, b, sizeof(b)) ? -EFAULT : 0;
}

typedef int (*cp_statfs_fn)(struct kernel *k, const struct kstatfs *ks, uint64_t ubuf);

static long statfs_path(struct kernel *k, uint64_t upath, uint64_t ubuf, cp_statfs_fn cp)
{
	struct kstatfs ks;
	int err = vfs_statfs_path(k, upath, &ks);
	return err ? err : cp(k, &ks, ubuf);
}

static long statfs_fd(struct kernel *k, int fd, uint64_t ubuf, cp_statfs_fn cp)
{
	struct kstatfs ks;
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	int err = vfs_fstatfs(of, &ks);
	return err ? err : cp(k, &ks, ubuf);
}

/* statfs and fstatfs: struct statfs for 64-bit callers, compat_statfs through INT 0x80. */
static cp_statfs_fn cp_statfs_native(struct kernel *k)
{
	return in_compat_syscall(k) ? cp_compat_statfs : cp_statfs;
}

long sys_statfs(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return statfs_path(k, a[0], a[1], cp_statfs_native(k));
}

long sys_fstatfs(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return statfs_fd(k, (int)a[0], a[1], cp_statfs_native(k));
}

long sys_statfs64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if ((uint32_t)a[1] != COMPAT_STATFS64_SIZE)
		return -EINVAL;
	return statfs_path(k, a[0], a[2], cp_compat_statfs64);
}

long sys_fstatfs64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if ((uint32_t)a[1] != COMPAT_STATFS64_SIZE)
		return -EINVAL;
	return statfs_fd(k, (int)a[0], a[2], cp_compat_statfs64);
}
