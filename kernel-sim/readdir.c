/*
 * getdents64 (Linux's fs/readdir.c). struct linux_dirent64 has one layout for both ABIs
 * (u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]), so the host's records
 * are passed through: read on the host into a bounce buffer as large as the guest's, then
 * copied out. The host directory's entries are listed as they are (with a root set, ".."
 * of the root names the host's parent directory's inode; its entries are never reached).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define GETDENTS_MAX 65536 /* bytes read on the host per call */

long sys_getdents64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	size_t count = (size_t)(in_compat_syscall(k) ? (uint32_t)a[2] : a[2]);
	if (!of)
		return -EBADF;
	if (of->type != OFT_HOST || !of->is_dir)
		return -ENOTDIR;
	if (count > GETDENTS_MAX)
		count = GETDENTS_MAX;
	void *bounce = malloc(count ? count : 1);
	if (!bounce)
		return -ENOMEM;
	long n = syscall(SYS_getdents64, of->host_fd, bounce, count);
	if (n < 0)
		n = -errno;
	else if (copy_to_user_ok(k, a[1], bounce, (size_t)n))
		n = -EFAULT;
	free(bounce);
	return n;
}
