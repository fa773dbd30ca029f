/*
 * stat and its family (Linux's fs/stat.c): the attributes of a host file, a pipe or a
 * /proc file, written in the layout of the caller's ABI:
 *
 *   struct stat (x86-64, 144 bytes)       stat, lstat, fstat, newfstatat
 *   struct stat64 (i386, 96 bytes, packed) stat64, lstat64, fstat64, fstatat64
 *   struct __old_kernel_stat-like compat_stat (i386, 64 bytes)  stat, lstat, fstat on i386
 *   struct statx (256 bytes, both ABIs)    statx
 *
 * Each layout is filled field by field at Linux's offsets (arch/x86/include/uapi/asm/
 * stat.h, include/uapi/linux/stat.h), never by copying a host struct.
 * readlink/readlinkat live here too, as in Linux.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/uapi_bytes.h"

#define STATX_BASIC_STATS 0x07ffU
#define STATX_ATTR_MASK_ALL 0

static void fill_kstat(const struct stat *st, struct kstat *ks)
{
	ks->dev = st->st_dev;
	ks->ino = st->st_ino;
	ks->rdev = st->st_rdev;
	ks->mode = st->st_mode;
	ks->nlink = (uint32_t)st->st_nlink;
	ks->uid = st->st_uid;
	ks->gid = st->st_gid;
	ks->size = st->st_size;
	ks->blksize = st->st_blksize;
	ks->blocks = st->st_blocks;
	ks->atime_sec = st->st_atim.tv_sec;
	ks->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
	ks->mtime_sec = st->st_mtim.tv_sec;
	ks->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	ks->ctime_sec = st->st_ctim.tv_sec;
	ks->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/* A pipe: a FIFO owned by the task, numbered by where its ring lives in guest RAM. */
static void pipe_kstat(struct kernel *k, const struct open_file *of, struct kstat *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->dev = makedev(0, 13); /* pipefs */
	ks->ino = __pa(k, of->pipe) >> 4;
	ks->mode = S_IFIFO | 0600;
	ks->nlink = 1;
	ks->uid = k->current->uid;
	ks->gid = k->current->gid;
	ks->blksize = 4096;
}

int vfs_fstat(struct kernel *k, struct open_file *of, struct kstat *ks)
{
	struct stat st;
	if (of->type == OFT_PIPE) {
		pipe_kstat(k, of, ks);
		return 0;
	}
	if (of->type == OFT_PROC)
		return proc_getattr(k, of->path, ks);
	if (fstat(of->host_fd, &st) < 0)
		return -errno;
	fill_kstat(&st, ks);
	return 0;
}

int vfs_fstatat(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags, struct kstat *ks)
{
	char name[G_PATH_MAX];
	struct nameidata nd;
	struct stat st;
	if (flags & ~(unsigned)(G_AT_SYMLINK_NOFOLLOW | G_AT_NO_AUTOMOUNT | G_AT_EMPTY_PATH |
				G_AT_STATX_SYNC_TYPE))
		return -EINVAL;
	int err = getname(k, upath, name, flags & G_AT_EMPTY_PATH);
	if (err)
		return err;
	if (!name[0]) {
		if (dirfd == G_AT_FDCWD)
			strcpy(name, ".");
		else {
			struct open_file *of = fget(k, dirfd);
			return of ? vfs_fstat(k, of, ks) : -EBADF;
		}
	}
	bool follow = !(flags & G_AT_SYMLINK_NOFOLLOW);
	err = path_lookup(k, dirfd, name, follow ? LOOKUP_FOLLOW : 0, &nd);
	if (err)
		return err;
	if (nd.proc)
		return proc_getattr(k, nd.guest, ks);
	if ((follow ? stat(nd.host, &st) : lstat(nd.host, &st)) < 0)
		return -errno;
	fill_kstat(&st, ks);
	return 0;
}

/* Linux's new_encode_dev: the 32-bit device number of struct stat. */
static uint64_t new_encode_dev(uint64_t dev)
{
	uint64_t ma = major(dev), mi = minor(dev);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffULL) << 12);
}

/* x86-64 struct stat. */
static int cp_new_stat(struct kernel *k, const struct kstat *ks, uint64_t ubuf)
{
	uint8_t b[144] = {0};
	put64(b, 0, new_encode_dev(ks->dev));
	put64(b, 8, ks->ino);
	put64(b, 16, ks->nlink);
	put32(b, 24, ks->mode);
	put32(b, 28, ks->uid);
	put32(b, 32, ks->gid);
	put64(b, 40, new_encode_dev(ks->rdev));
	put64(b, 48, (uint64_t)ks->size);
	put64(b, 56, (uint64_t)ks->blksize);
	put64(b, 64, (uint64_t)ks->blocks);
	put64(b, 72, (uint64_t)ks->atime_sec);
	put64(b, 80, ks->atime_nsec);
	put64(b, 88, (uint64_t)ks->mtime_sec);
	put64(b, 96, ks->mtime_nsec);
	put64(b, 104, (uint64_t)ks->ctime_sec);
	put64(b, 112, ks->ctime_nsec);
	return copy_to_user_ok(k, ubuf, b, sizeof(b));
}

/* i386 struct stat64 (packed; the inode twice, truncated and whole). */
static int cp_stat64(struct kernel *k, const struct kstat *ks, uint64_t ubuf)
{
	uint8_t b[96] = {0};
	put64(b, 0, new_encode_dev(ks->dev));
	put32(b, 12, ks->ino);
	put32(b, 16, ks->mode);
	put32(b, 20, ks->nlink);
	put32(b, 24, ks->uid);
	put32(b, 28, ks->gid);
	put64(b, 32, new_encode_dev(ks->rdev));
	put64(b, 44, (uint64_t)ks->size);
	put32(b, 52, (uint64_t)ks->blksize);
	put64(b, 56, (uint64_t)ks->blocks);
	put32(b, 64, (uint64_t)ks->atime_sec);
	put32(b, 68, ks->atime_nsec);
	put32(b, 72, (uint64_t)ks->mtime_sec);
	put32(b, 76, ks->mtime_nsec);
	put32(b, 80, (uint64_t)ks->ctime_sec);
	put32(b, 84, ks->ctime_nsec);
	put64(b, 88, ks->ino);
	return copy_to_user_ok(k, ubuf, b, sizeof(b));
}

/* i386 struct stat (compat_stat): 16-bit ids and mode, 32-bit sizes; -EOVERFLOW when a
 * value does not fit, as cp_compat_stat answers. */
static int cp_compat_stat(struct kernel *k, const struct kstat *ks, uint64_t ubuf)
{
	uint8_t b[64] = {0};
	if (ks->ino > 0xffffffffu || ks->size > 0x7fffffff || major(ks->dev) > 255 ||
	    minor(ks->dev) > 255 || major(ks->rdev) > 255 || minor(ks->rdev) > 255)
		return -EOVERFLOW;
	put32(b, 0, (major(ks->dev) << 8) | minor(ks->dev));
	put32(b, 4, ks->ino);
	put16(b, 8, ks->mode);
	put16(b, 10, ks->nlink > 0xffff ? 0xffff : ks->nlink);
	put16(b, 12, ks->uid > 0xffff ? 65534 : ks->uid);
	put16(b, 14, ks->gid > 0xffff ? 65534 : ks->gid);
	put32(b, 16, (major(ks->rdev) << 8) | minor(ks->rdev));
	put32(b, 20, (uint64_t)ks->size);
	put32(b, 24, (uint64_t)ks->blksize);
	put32(b, 28, (uint64_t)ks->blocks);
	put32(b, 32, (uint64_t)ks->atime_sec);
	put32(b, 36, ks->atime_nsec);
	put32(b, 40, (uint64_t)ks->mtime_sec);
	put32(b, 44, ks->mtime_nsec);
	put32(b, 48, (uint64_t)ks->ctime_sec);
	put32(b, 52, ks->ctime_nsec);
	return copy_to_user_ok(k, ubuf, b, sizeof(b));
}

static void put_statx_time(uint8_t *b, size_t off, int64_t sec, uint32_t nsec)
{
	put64(b, off, (uint64_t)sec);
	put32(b, off + 8, nsec);
}

static int cp_statx(struct kernel *k, const struct kstat *ks, uint64_t ubuf)
{
	uint8_t b[256] = {0};
	put32(b, 0, STATX_BASIC_STATS);
	put32(b, 4, (uint64_t)ks->blksize);
	put32(b, 16, ks->nlink);
	put32(b, 20, ks->uid);
	put32(b, 24, ks->gid);
	put16(b, 28, ks->mode);
	put64(b, 32, ks->ino);
	put64(b, 40, (uint64_t)ks->size);
	put64(b, 48, (uint64_t)ks->blocks);
	put_statx_time(b, 64, ks->atime_sec, ks->atime_nsec);
	put_statx_time(b, 96, ks->ctime_sec, ks->ctime_nsec);
	put_statx_time(b, 112, ks->mtime_sec, ks->mtime_nsec);
	put32(b, 128, major(ks->rdev));
	put32(b, 132, minor(ks->rdev));
	put32(b, 136, major(ks->dev));
	put32(b, 140, minor(ks->dev));
	return copy_to_user_ok(k, ubuf, b, sizeof(b));
}

/* The stat layout of the caller: x86-64 struct stat, or i386 compat_stat. */
static int cp_stat_native(struct kernel *k, const struct kstat *ks, uint64_t ubuf)
{
	return in_compat_syscall(k) ? cp_compat_stat(k, ks, ubuf) : cp_new_stat(k, ks, ubuf);
}

static long stat_path(struct kernel *k, int dirfd, uint64_t upath, unsigned int flags,
		      uint64_t ubuf, int (*cp)(struct kernel *, const struct kstat *, uint64_t))
{
	struct kstat ks;
	int err = vfs_fstatat(k, dirfd, upath, flags, &ks);
	return err ? err : cp(k, &ks, ubuf);
}

static long stat_fd(struct kernel *k, int fd, uint64_t ubuf,
		    int (*cp)(struct kernel *, const struct kstat *, uint64_t))
{
	struct kstat ks;
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	int err = vfs_fstat(k, of, &ks);
	return err ? err : cp(k, &ks, ubuf);
}

long sys_stat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, G_AT_FDCWD, a[0], 0, a[1], cp_stat_native);
}

long sys_lstat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, G_AT_FDCWD, a[0], G_AT_SYMLINK_NOFOLLOW, a[1], cp_stat_native);
}

long sys_fstat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_fd(k, (int)a[0], a[1], cp_stat_native);
}

long sys_newfstatat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, (int)a[0], a[1], (unsigned)a[3], a[2], cp_new_stat);
}

long sys_stat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, G_AT_FDCWD, a[0], 0, a[1], cp_stat64);
}

long sys_lstat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, G_AT_FDCWD, a[0], G_AT_SYMLINK_NOFOLLOW, a[1], cp_stat64);
}

long sys_fstat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_fd(k, (int)a[0], a[1], cp_stat64);
}

long sys_fstatat64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return stat_path(k, (int)a[0], a[1], (unsigned)a[3], a[2], cp_stat64);
}

/* statx(dirfd, path, flags, mask, buf): every basic field, whatever the mask asks. */
long sys_statx(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	if ((a[2] & G_AT_STATX_SYNC_TYPE) == G_AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if ((uint32_t)a[3] & 0x80000000u) /* STATX__RESERVED */
		return -EINVAL;
	return stat_path(k, (int)a[0], a[1], (unsigned)a[2], a[4], cp_statx);
}

/* ---- readlink ---- */

static long do_readlinkat(struct kernel *k, int dirfd, uint64_t upath, uint64_t ubuf, int64_t size)
{
	char name[G_PATH_MAX], target[G_PATH_MAX];
	struct nameidata nd;
	long n;
	if (size <= 0)
		return -EINVAL;
	int err = getname(k, upath, name, false);
	if (!err)
		err = path_lookup(k, dirfd, name, 0, &nd);
	if (err)
		return err;
	if (nd.proc) {
		n = proc_readlink(k, nd.guest, target, sizeof(target));
	} else {
		n = readlink(nd.host, target, sizeof(target));
		if (n < 0)
			n = -errno;
	}
	if (n < 0)
		return n;
	if (n > size)
		n = size;
	return copy_to_user_ok(k, ubuf, target, (size_t)n) ? -EFAULT : n;
}

long sys_readlink(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_readlinkat(k, G_AT_FDCWD, a[0], a[1], (int32_t)a[2]);
}

long sys_readlinkat(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_readlinkat(k, (int)a[0], a[1], a[2], (int32_t)a[3]);
}
