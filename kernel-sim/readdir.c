/*
 * getdents64 (Linux's fs/readdir.c). struct linux_dirent64 has one layout for both ABIs
 * (u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]), so the host's records
 * are passed through: read on the host into a bounce buffer as large as the guest's, then
 * copied out. The host directory's entries are listed as they are (with a root set, ".."
 * of the root names the host's parent directory's inode; its entries are never reached).
 *
 * d_off is the file system's position cookie, often a 64-bit hash. Linux gives 32-bit
 * callers 32-bit cookies (ext4's is_32bit_api) and 32-bit C libraries refuse larger ones
 * (glibc's readdir fails with EOVERFLOW), so for INT 0x80 calls the kernel numbers the
 * entries instead: d_off is the entry's index + 1, and lseek(SEEK_SET, n) on the
 * directory finds the host position after the n-th entry again (dir_seek_index).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define GETDENTS_MAX 65536 /* bytes read on the host per call */
#define D_OFF 8		   /* offsetof(struct linux_dirent64, d_off) */
#define D_RECLEN 16	   /* offsetof(struct linux_dirent64, d_reclen) */

static uint16_t dirent_reclen(const uint8_t *rec)
{
	uint16_t reclen;
	memcpy(&reclen, rec + D_RECLEN, 2);
	return reclen;
}

/* Replaces the d_off cookies of n bytes of records by entry indexes. */
static void number_entries(struct open_file *of, uint8_t *buf, long n)
{
	for (long off = 0; off + D_RECLEN + 2 <= n;) {
		uint64_t index = ++of->dir_index;
		memcpy(buf + off + D_OFF, &index, 8);
		uint16_t reclen = dirent_reclen(buf + off);
		if (!reclen)
			break;
		off += reclen;
	}
}

int64_t dir_seek_index(struct open_file *of, uint64_t index)
{
	uint8_t buf[4096];
	uint64_t seen = 0;
	if (lseek(of->host_fd, 0, SEEK_SET) < 0)
		return -errno;
	while (seen < index) {
		long n = syscall(SYS_getdents64, of->host_fd, buf, sizeof(buf));
		if (n <= 0)
			return n < 0 ? -errno : -EINVAL;
		for (long off = 0; off < n && seen < index; off += dirent_reclen(buf + off)) {
			if (++seen == index) {
				int64_t host_off;
				memcpy(&host_off, buf + off + D_OFF, 8);
				if (lseek(of->host_fd, host_off, SEEK_SET) < 0)
					return -errno;
			}
		}
	}
	of->dir_index = index;
	return (int64_t)index;
}

/* A /proc directory: whole records from its snapshot (made at position 0). */
static long proc_getdents(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count)
{
	if (of->f_pos == 0 || !of->text_valid)
		proc_fill(k, of);
	size_t n = 0;
	while (of->f_pos + n + D_RECLEN + 2 <= of->text_len) {
		uint16_t reclen = dirent_reclen((const uint8_t *)of->text + of->f_pos + n);
		if (!reclen || n + reclen > count)
			break;
		n += reclen;
	}
	if (!n)
		return of->f_pos < of->text_len ? -EINVAL : 0; /* the next record does not fit */
	if (copy_to_user_ok(k, ubuf, of->text + of->f_pos, n))
		return -EFAULT;
	of->f_pos += n;
	return (long)n;
}

long sys_getdents64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	size_t count = (size_t)(in_compat_syscall(k) ? (uint32_t)a[2] : a[2]);
	if (!of)
		return -EBADF;
	if (!of->is_dir)
		return -ENOTDIR;
	if (of->type == OFT_PROC)
		return proc_getdents(k, of, a[1], count);
	if (count > GETDENTS_MAX)
		count = GETDENTS_MAX;
	uint8_t *bounce = malloc(count ? count : 1);
	if (!bounce)
		return -ENOMEM;
	long n = syscall(SYS_getdents64, of->host_fd, bounce, count);
	if (n < 0)
		n = -errno;
	if (n > 0 && in_compat_syscall(k))
		number_entries(of, bounce, n);
	if (n > 0 && copy_to_user_ok(k, a[1], bounce, (size_t)n))
		n = -EFAULT;
	free(bounce);
	return n;
}
