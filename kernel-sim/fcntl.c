/*
 * dup, dup2, dup3, fcntl and ioctl (Linux's fs/file.c, fs/fcntl.c, fs/ioctl.c and the tty
 * layer's TCGETS/TIOCGWINSZ). Terminal ioctls on a host terminal are passed to the host;
 * on anything else they fail with -ENOTTY, which is how a C library learns that stdout is
 * not a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

/* fcntl commands and ioctl requests as the x86 guest ABI numbers them. */
#define G_F_DUPFD 0
#define G_F_GETFD 1
#define G_F_SETFD 2
#define G_F_GETFL 3
#define G_F_SETFL 4
#define G_F_GETLK 5
#define G_F_SETLK 6
#define G_F_SETLKW 7
#define G_F_GETLK64 12 /* i386 */
#define G_F_SETLK64 13
#define G_F_SETLKW64 14
#define G_F_DUPFD_CLOEXEC 1030
#define G_F_GETPIPE_SZ 1032
#define G_FD_CLOEXEC 1

#define G_TCGETS 0x5401
#define G_TCSETS 0x5402
#define G_TCSETSW 0x5403
#define G_TCSETSF 0x5404
#define G_TIOCGPGRP 0x540f
#define G_TIOCSPGRP 0x5410
#define G_TIOCGWINSZ 0x5413
#define G_FIONREAD 0x541b
#define G_FIONBIO 0x5421
#define G_FIOCLEX 0x5451
#define G_FIONCLEX 0x5450
#define KERNEL_TERMIOS_SIZE 36 /* struct termios as the kernel copies it */
#define WINSIZE_SIZE 8

/* Linux's do_dup2: puts file at newfd, closing what was there. */
static long do_dup2(struct kernel *k, struct open_file *of, int newfd, bool cloexec)
{
	struct files_struct *files = k->current->files;
	if (newfd < 0 || (uint64_t)newfd >= k->current->rlim[7].rlim_cur)
		return -EBADF;
	if (newfd >= files->max_fds) {
		of->f_count++;
		int fd = fd_install(k, of, newfd, cloexec);
		if (fd < 0)
			of->f_count--;
		return fd;
	}
	struct open_file *old = files->fd[newfd];
	of->f_count++;
	files->fd[newfd] = of;
	files->close_on_exec[newfd] = cloexec;
	if (old)
		open_file_put(k, old);
	return newfd;
}

long sys_dup(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (!of)
		return -EBADF;
	of->f_count++;
	int fd = fd_install(k, of, 0, false);
	if (fd < 0)
		of->f_count--;
	return fd;
}

long sys_dup2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (!of)
		return -EBADF;
	if ((int)a[0] == (int)a[1])
		return (int)a[1];
	return do_dup2(k, of, (int)a[1], false);
}

long sys_dup3(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct open_file *of = fget(k, (int)a[0]);
	if (a[2] & ~(uint64_t)G_O_CLOEXEC)
		return -EINVAL;
	if ((int)a[0] == (int)a[1])
		return -EINVAL;
	if (!of)
		return -EBADF;
	return do_dup2(k, of, (int)a[1], a[2] & G_O_CLOEXEC);
}

static long fcntl_dupfd(struct kernel *k, struct open_file *of, uint64_t minfd, bool cloexec)
{
	if (minfd >= k->current->rlim[7].rlim_cur)
		return -EINVAL;
	of->f_count++;
	int fd = fd_install(k, of, (int)minfd, cloexec);
	if (fd < 0)
		of->f_count--;
	return fd;
}

/* F_SETFL: O_APPEND and O_NONBLOCK change (O_APPEND on the host descriptor too). */
static long fcntl_setfl(struct open_file *of, unsigned int arg)
{
	const unsigned int settable =
	    G_O_APPEND | G_O_NONBLOCK | G_O_ASYNC | G_O_DIRECT | G_O_NOATIME;
	of->f_flags = (of->f_flags & ~settable) | (arg & settable);
	if (of->type == OFT_HOST && !of->is_tty) {
		int fl = fcntl(of->host_fd, F_GETFL);
		if (fl >= 0)
			fcntl(of->host_fd, F_SETFL,
			      (fl & ~O_APPEND) | (arg & G_O_APPEND ? O_APPEND : 0));
	}
	return 0;
}

long sys_fcntl(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int fd = (int)a[0];
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	switch ((unsigned)a[1]) {
	case G_F_DUPFD:
		return fcntl_dupfd(k, of, a[2], false);
	case G_F_DUPFD_CLOEXEC:
		return fcntl_dupfd(k, of, a[2], true);
	case G_F_GETFD:
		return k->current->files->close_on_exec[fd] ? G_FD_CLOEXEC : 0;
	case G_F_SETFD:
		k->current->files->close_on_exec[fd] = a[2] & G_FD_CLOEXEC;
		return 0;
	case G_F_GETFL:
		return of->f_flags;
	case G_F_SETFL:
		return fcntl_setfl(of, (unsigned)a[2]);
	case G_F_GETPIPE_SZ:
		return of->type == OFT_PIPE ? PIPE_BUF_SIZE : -EBADF;
	case G_F_GETLK:
	case G_F_SETLK:
	case G_F_SETLKW:
	case G_F_GETLK64:
	case G_F_SETLK64:
	case G_F_SETLKW64:
		/* One process: every lock is granted (F_GETLK would report F_UNLCK; the
		 * struct is left as given). */
		return 0;
	}
	return -EINVAL;
}

/* ---- ioctl ---- */

/* A terminal request passed to the host: copies out (or in) size bytes. */
static long tty_ioctl(struct kernel *k, struct open_file *of, unsigned long req, uint64_t arg,
		      size_t size, bool out)
{
	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	if (of->type != OFT_HOST || !of->is_tty)
		return -ENOTTY;
	if (!out && copy_from_user_ok(k, buf, arg, size))
		return -EFAULT;
	if (ioctl(of->host_fd, req, buf) < 0)
		return -errno;
	return out && copy_to_user_ok(k, arg, buf, size) ? -EFAULT : 0;
}

static long fionread(struct kernel *k, struct open_file *of, uint64_t arg)
{
	int n = 0;
	if (of->type == OFT_PIPE)
		n = (int)of->pipe->len;
	else if (of->type == OFT_PROC && of->text_valid)
		n = of->f_pos < of->text_len ? (int)(of->text_len - of->f_pos) : 0;
	else if (of->type == OFT_PROC)
		n = 0;
	else if (ioctl(of->host_fd, FIONREAD, &n) < 0)
		return -errno;
	return put_user_u32(k, (uint32_t)n, arg);
}

long sys_ioctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int fd = (int)a[0];
	unsigned long req = (uint32_t)a[1];
	struct open_file *of = fget(k, fd);
	if (!of)
		return -EBADF;
	switch (req) {
	case G_FIOCLEX:
	case G_FIONCLEX:
		k->current->files->close_on_exec[fd] = req == G_FIOCLEX;
		return 0;
	case G_FIONBIO: {
		uint32_t on;
		if (get_user_u32(k, &on, a[2]))
			return -EFAULT;
		of->f_flags =
		    on ? of->f_flags | G_O_NONBLOCK : of->f_flags & ~(unsigned)G_O_NONBLOCK;
		return 0;
	}
	case G_FIONREAD:
		return fionread(k, of, a[2]);
	case G_TCGETS:
		return tty_ioctl(k, of, TCGETS, a[2], KERNEL_TERMIOS_SIZE, true);
	case G_TCSETS:
	case G_TCSETSW:
	case G_TCSETSF:
		return tty_ioctl(k, of,
				 req == G_TCSETS    ? TCSETS
				 : req == G_TCSETSW ? TCSETSW
						    : TCSETSF,
				 a[2], KERNEL_TERMIOS_SIZE, false);
	case G_TIOCGWINSZ:
		return tty_ioctl(k, of, TIOCGWINSZ, a[2], WINSIZE_SIZE, true);
	case G_TIOCGPGRP:
		if (of->type != OFT_HOST || !of->is_tty)
			return -ENOTTY;
		return put_user_u32(k, (uint32_t)k->current->pid, a[2]);
	}
	return -ENOTTY;
}
