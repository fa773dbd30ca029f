/*
 * read, write, readv, writev, pread64, pwrite64, lseek, _llseek (Linux's fs/read_write.c).
 *
 * Host files move through a bounce buffer of RW_CHUNK bytes: read() reads a chunk on the
 * host and copies it to the guest; when the guest buffer faults part way, the unread part
 * is given back with lseek (seekable files) and the call returns the bytes copied, or
 * -EFAULT when there were none, as Linux's copy loop does. A host read shorter than asked
 * (a terminal line, a pipe) ends the call, so a read never blocks twice.
 */
#define _GNU_SOURCE /* O_PATH, SEEK_DATA */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define RW_CHUNK 65536
#define MAX_RW_COUNT 0x7ffff000UL /* Linux's INT_MAX & PAGE_MASK */
#define UIO_MAXIOV 1024

static bool file_readable(const struct open_file *of)
{
	return (of->f_flags & G_O_ACCMODE) != G_O_WRONLY && !(of->f_flags & G_O_PATH);
}

static bool file_writable(const struct open_file *of)
{
	return (of->f_flags & G_O_ACCMODE) != G_O_RDONLY && !(of->f_flags & G_O_PATH);
}

/* One host read of up to len bytes at pos (-1: the file position). */
static ssize_t host_read(struct kernel *k, struct open_file *of, void *buf, size_t len, int64_t pos)
{
	int64_t at = pos >= 0 ? pos : (of->filp ? lseek(of->host_fd, 0, SEEK_CUR) : -1);
	ssize_t n = pos >= 0 ? pread(of->host_fd, buf, len, pos) : read(of->host_fd, buf, len);
	if (n > 0 && at >= 0)
		open_file_read_cache(k, of, (uint64_t)at, buf, (size_t)n);
	return n;
}

static long host_read_to_user(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count,
			      int64_t pos)
{
	uint8_t *bounce = malloc(count < RW_CHUNK ? count : RW_CHUNK);
	size_t total = 0;
	long ret = 0;
	if (!bounce)
		return -ENOMEM;
	while (total < count) {
		size_t chunk = count - total < RW_CHUNK ? count - total : RW_CHUNK;
		ssize_t n = host_read(k, of, bounce, chunk, pos < 0 ? -1 : pos + (int64_t)total);
		if (n < 0) {
			ret = -errno;
			break;
		}
		unsigned long left = copy_to_user(k, ubuf + total, bounce, (size_t)n);
		total += (size_t)n - left;
		if (left) {
			if (pos < 0)
				lseek(of->host_fd, -(off_t)left, SEEK_CUR);
			ret = -EFAULT;
			break;
		}
		if ((size_t)n < chunk)
			break;
	}
	free(bounce);
	return total ? (long)total : ret;
}

/* One host write at pos (-1: the file position), keeping the page cache coherent. */
static ssize_t host_write(struct kernel *k, struct open_file *of, const void *buf, size_t len,
			  int64_t pos)
{
	ssize_t n = pos >= 0 ? pwrite(of->host_fd, buf, len, pos) : write(of->host_fd, buf, len);
	if (n > 0 && of->filp) {
		int64_t at = pos >= 0 ? pos : lseek(of->host_fd, 0, SEEK_CUR) - n;
		if (at >= 0)
			open_file_sync_cache(k, of, (uint64_t)at, buf, (size_t)n);
	}
	return n;
}

static long host_write_from_user(struct kernel *k, struct open_file *of, uint64_t ubuf,
				 size_t count, int64_t pos)
{
	uint8_t *bounce = malloc(count < RW_CHUNK ? count : RW_CHUNK);
	size_t total = 0;
	long ret = 0;
	if (!bounce)
		return -ENOMEM;
	while (total < count) {
		size_t chunk = count - total < RW_CHUNK ? count - total : RW_CHUNK;
		size_t got = chunk - copy_from_user(k, bounce, ubuf + total, chunk);
		ssize_t n =
		    got ? host_write(k, of, bounce, got, pos < 0 ? -1 : pos + (int64_t)total) : 0;
		if (n < 0) {
			ret = -errno;
			break;
		}
		total += (size_t)n;
		if (got < chunk) {
			ret = -EFAULT;
			break;
		}
		if ((size_t)n < got)
			break;
	}
	free(bounce);
	if (ret == -EPIPE && !total)
		send_sig(k, SIGPIPE);
	return total ? (long)total : ret;
}

/* ---- /proc snapshots ---- */

static long proc_read_to_user(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count,
			      int64_t pos)
{
	uint64_t at = pos >= 0 ? (uint64_t)pos : of->f_pos;
	if (at == 0 || !of->text_valid)
		proc_fill(k, of);
	if (at >= of->text_len)
		return 0;
	size_t n = of->text_len - at < count ? of->text_len - (size_t)at : count;
	size_t done = n - copy_to_user(k, ubuf, of->text + at, n);
	if (!done && n)
		return -EFAULT;
	if (pos < 0)
		of->f_pos += done;
	return (long)done;
}

/* ---- the calls ---- */

long vfs_read(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count, int64_t pos)
{
	if (!file_readable(of))
		return -EBADF;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	if (!count)
		return 0;
	switch (of->type) {
	case OFT_HOST:
		return of->is_dir ? -EISDIR : host_read_to_user(k, of, ubuf, count, pos);
	case OFT_PIPE:
		return pos >= 0 ? -ESPIPE : pipe_read(k, of, ubuf, count);
	case OFT_PROC:
		return of->is_dir ? -EISDIR : proc_read_to_user(k, of, ubuf, count, pos);
	}
	return -EINVAL;
}

long vfs_write(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count, int64_t pos)
{
	if (!file_writable(of))
		return -EBADF;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	if (!count)
		return 0;
	switch (of->type) {
	case OFT_HOST:
		return host_write_from_user(k, of, ubuf, count, pos);
	case OFT_PIPE:
		return pos >= 0 ? -ESPIPE : pipe_write(k, of, ubuf, count);
	case OFT_PROC:
		return -EINVAL;
	}
	return -EINVAL;
}

long sys_read(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	return of ? vfs_read(k, of, a[1], a[2], -1) : -EBADF;
}

long sys_write(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	return of ? vfs_write(k, of, a[1], a[2], -1) : -EBADF;
}

/* The 64-bit file offset argument at a[i]: one register, or a low/high pair on i386. */
static int64_t pos_arg(struct kernel *k, const uint64_t *a, int i)
{
	if (in_compat_syscall(k))
		return (int64_t)((a[i] & 0xffffffffu) | (a[i + 1] << 32));
	return (int64_t)a[i];
}

/* The checks pread64 and pwrite64 share: an open file that can seek, a position >= 0. */
static long positioned(struct kernel *k, const uint64_t *a, struct open_file **of, int64_t *pos)
{
	*of = fget(k, (int)a[0]);
	*pos = pos_arg(k, a, 3);
	if (!*of)
		return -EBADF;
	if (*pos < 0)
		return -EINVAL;
	if ((*of)->type == OFT_PIPE || (*of)->is_tty)
		return -ESPIPE;
	return 0;
}

long sys_pread64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of;
	int64_t pos;
	long err = positioned(k, a, &of, &pos);
	return err ? err : vfs_read(k, of, a[1], a[2], pos);
}

long sys_pwrite64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of;
	int64_t pos;
	long err = positioned(k, a, &of, &pos);
	return err ? err : vfs_write(k, of, a[1], a[2], pos);
}

/* Reads iovec i of the array at uiov (struct iovec or compat_iovec). */
static int get_iovec(struct kernel *k, uint64_t uiov, unsigned long i, uint64_t *base,
		     uint64_t *len)
{
	if (in_compat_syscall(k)) {
		uint32_t v[2];
		if (copy_from_user_ok(k, v, uiov + i * 8, sizeof(v)))
			return -EFAULT;
		*base = v[0];
		*len = v[1];
		return 0;
	}
	uint64_t v[2];
	if (copy_from_user_ok(k, v, uiov + i * 16, sizeof(v)))
		return -EFAULT;
	*base = v[0];
	*len = v[1];
	return (int64_t)v[1] < 0 ? -EINVAL : 0;
}

static long do_iter(struct kernel *k, const uint64_t *a, int64_t pos, bool write)
{
	struct open_file *of = fget(k, (int)a[0]);
	unsigned long nr = (unsigned long)a[2];
	long total = 0;
	if (!of)
		return -EBADF;
	if (nr > UIO_MAXIOV)
		return -EINVAL;
	for (unsigned long i = 0; i < nr; i++) {
		uint64_t base, len;
		int err = get_iovec(k, a[1], i, &base, &len);
		if (err)
			return total ? total : err;
		if (!len)
			continue;
		int64_t at = pos < 0 ? -1 : pos + total;
		long n = write ? vfs_write(k, of, base, len, at) : vfs_read(k, of, base, len, at);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < len)
			break;
	}
	return total;
}

long sys_readv(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_iter(k, a, -1, false);
}

long sys_writev(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_iter(k, a, -1, true);
}

long sys_preadv(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int64_t pos = pos_arg(k, a, 3);
	return pos < 0 ? -EINVAL : do_iter(k, a, pos, false);
}

long sys_pwritev(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int64_t pos = pos_arg(k, a, 3);
	return pos < 0 ? -EINVAL : do_iter(k, a, pos, true);
}

/* ---- seeking ---- */

#define G_SEEK_SET 0
#define G_SEEK_CUR 1
#define G_SEEK_END 2
#define G_SEEK_DATA 3
#define G_SEEK_HOLE 4

static int64_t proc_llseek(struct kernel *k, struct open_file *of, int64_t off, unsigned int whence)
{
	if (whence == G_SEEK_END && !of->text_valid)
		proc_fill(k, of);
	int64_t base = whence == G_SEEK_SET   ? 0
		       : whence == G_SEEK_CUR ? (int64_t)of->f_pos
					      : (int64_t)of->text_len;
	if (whence > G_SEEK_END)
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	of->f_pos = (uint64_t)(base + off);
	return (int64_t)of->f_pos;
}

int64_t vfs_llseek(struct kernel *k, struct open_file *of, int64_t off, unsigned int whence)
{
	static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE};
	if (whence > G_SEEK_HOLE)
		return -EINVAL;
	if (of->type == OFT_PIPE || of->is_tty)
		return -ESPIPE;
	if (of->type == OFT_PROC)
		return proc_llseek(k, of, off, whence);
	/* i386 callers hold entry indexes as directory positions (kernel-sim/readdir.c). */
	if (of->is_dir && in_compat_syscall(k) && whence == G_SEEK_SET)
		return off < 0 ? -EINVAL : dir_seek_index(of, (uint64_t)off);
	off_t r = lseek(of->host_fd, off, host_whence[whence]);
	return r < 0 ? -errno : r;
}

long sys_lseek(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (!of)
		return -EBADF;
	if (!in_compat_syscall(k))
		return vfs_llseek(k, of, (int64_t)a[1], (unsigned)a[2]);
	int64_t cur = vfs_llseek(k, of, 0, G_SEEK_CUR);
	int64_t r = vfs_llseek(k, of, (int32_t)a[1], (unsigned)a[2]);
	if (r > INT32_MAX) { /* the 32-bit result cannot hold it: undo, as Linux does */
		vfs_llseek(k, of, cur, G_SEEK_SET);
		return -EOVERFLOW;
	}
	return r;
}

/* i386 _llseek(fd, offset_high, offset_low, loff_t *result, whence). */
long sys_llseek(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (!of)
		return -EBADF;
	int64_t off = (int64_t)(((a[1] & 0xffffffffu) << 32) | (a[2] & 0xffffffffu));
	int64_t r = vfs_llseek(k, of, off, (unsigned)a[4]);
	if (r < 0)
		return r;
	return put_user_u64(k, (uint64_t)r, a[3]);
}

/* ---- sendfile ---- */

/*
 * sendfile(out_fd, in_fd, offset or NULL, count) between host descriptors, through a
 * bounce buffer (Linux's do_sendfile through a pipe). Anything else is -EINVAL, which
 * tells a C library to fall back to read and write, as on Linux for unsupported files.
 * i386's sendfile takes a 32-bit offset, sendfile64 a 64-bit one.
 */
static long do_sendfile(struct kernel *k, const uint64_t *a, bool off64)
{
	struct open_file *out = fget(k, (int)a[0]), *in = fget(k, (int)a[1]);
	uint64_t pos = 0;
	size_t count = a[3] > MAX_RW_COUNT ? MAX_RW_COUNT : (size_t)a[3], total = 0;
	if (!in || !out || !file_readable(in) || !file_writable(out))
		return -EBADF;
	if (in->type != OFT_HOST || in->is_dir || out->type != OFT_HOST || out->is_dir)
		return -EINVAL;
	if (a[2]) {
		uint32_t p32;
		int err = off64 ? get_user_u64(k, &pos, a[2]) : get_user_u32(k, &p32, a[2]);
		if (err)
			return err;
		pos = off64 ? pos : p32;
	}
	uint8_t *bounce = malloc(count < RW_CHUNK ? count + 1 : RW_CHUNK);
	long ret = 0;
	if (!bounce)
		return -ENOMEM;
	while (total < count) {
		size_t chunk = count - total < RW_CHUNK ? count - total : RW_CHUNK;
		ssize_t n = host_read(k, in, bounce, chunk, a[2] ? (int64_t)(pos + total) : -1);
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		ssize_t m = host_write(k, out, bounce, (size_t)n, -1);
		if (m < 0) {
			ret = -errno;
			m = 0;
		}
		if (m < n && !a[2]) /* give back what was not sent */
			lseek(in->host_fd, -(off_t)(n - m), SEEK_CUR);
		total += (size_t)m;
		if (m < n || (size_t)n < chunk)
			break;
	}
	free(bounce);
	if (a[2] && total) {
		int err = off64 ? put_user_u64(k, pos + total, a[2])
				: put_user_u32(k, (uint32_t)(pos + total), a[2]);
		if (err)
			return err;
	}
	return total ? (long)total : ret;
}

long sys_sendfile(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_sendfile(k, a, !in_compat_syscall(k));
}

long sys_sendfile64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_sendfile(k, a, true);
}
