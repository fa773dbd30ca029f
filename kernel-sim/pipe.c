/*
 * In-kernel pipes (Linux's fs/pipe.c), one ring of PIPE_BUF_SIZE bytes per pipe.
 *
 * A single task cannot wait for itself: where Linux would sleep (reading an empty pipe
 * whose write end is open, writing a full pipe whose read end is open), the call returns
 * -EAGAIN whether or not O_NONBLOCK is set, which is what the task would see after
 * sleeping forever and being interrupted. Reading an empty pipe without writers returns 0
 * (end of file); writing without readers returns -EPIPE and raises SIGPIPE.
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

long pipe_read(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count)
{
	struct pipe_inode_info *pipe = of->pipe;
	size_t done = 0;
	if (!pipe->len)
		return pipe->writers ? -EAGAIN : 0;
	while (done < count && pipe->len) {
		size_t run = PIPE_BUF_SIZE - pipe->head;
		size_t n = pipe->len < run ? pipe->len : run;
		if (n > count - done)
			n = count - done;
		size_t left = copy_to_user(k, ubuf + done, pipe->buf + pipe->head, n);
		n -= left;
		pipe->head = (pipe->head + n) % PIPE_BUF_SIZE;
		pipe->len -= n;
		done += n;
		if (left)
			break;
	}
	return done ? (long)done : -EFAULT;
}

long pipe_write(struct kernel *k, struct open_file *of, uint64_t ubuf, size_t count)
{
	struct pipe_inode_info *pipe = of->pipe;
	size_t done = 0;
	if (!pipe->readers) {
		send_sig(k, SIGPIPE);
		return -EPIPE;
	}
	if (pipe->len == PIPE_BUF_SIZE)
		return -EAGAIN;
	while (done < count && pipe->len < PIPE_BUF_SIZE) {
		size_t tail = (pipe->head + pipe->len) % PIPE_BUF_SIZE;
		size_t room = PIPE_BUF_SIZE - pipe->len;
		size_t run = PIPE_BUF_SIZE - tail < room ? PIPE_BUF_SIZE - tail : room;
		size_t n = count - done < run ? count - done : run;
		size_t left = copy_from_user(k, pipe->buf + tail, ubuf + done, n);
		n -= left;
		pipe->len += n;
		done += n;
		if (left)
			break;
	}
	return done ? (long)done : -EFAULT;
}

/* Both ends of a new pipe. 0 or -ENOMEM. */
static int create_pipe_files(struct kernel *k, struct open_file *res[2], unsigned int flags)
{
	struct pipe_inode_info *pipe = kzalloc(k, sizeof(*pipe), GFP_KERNEL);
	if (pipe)
		pipe->buf = kmalloc(k, PIPE_BUF_SIZE, GFP_KERNEL);
	if (!pipe || !pipe->buf) {
		if (pipe)
			kfree(k, pipe);
		return -ENOMEM;
	}
	res[0] = open_file_alloc(k, OFT_PIPE, G_O_RDONLY | (flags & G_O_NONBLOCK), "pipe:");
	res[1] = open_file_alloc(k, OFT_PIPE, G_O_WRONLY | (flags & G_O_NONBLOCK), "pipe:");
	for (int i = 0; i < 2; i++) {
		if (!res[i])
			continue;
		res[i]->pipe = pipe;
		res[i]->pipe_writer = i == 1;
		if (i)
			pipe->writers++;
		else
			pipe->readers++;
	}
	if (res[0] && res[1])
		return 0;
	if (!res[0] && !res[1]) {
		kfree(k, pipe->buf);
		kfree(k, pipe);
	}
	/* The last end's release frees the pipe. */
	for (int i = 0; i < 2; i++)
		if (res[i])
			open_file_put(k, res[i]);
	return -ENOMEM;
}

static long do_pipe2(struct kernel *k, uint64_t ufds, unsigned int flags)
{
	struct open_file *res[2];
	int fds[2];
	if (flags & ~(unsigned)(G_O_CLOEXEC | G_O_NONBLOCK | G_O_DIRECT))
		return -EINVAL;
	int err = create_pipe_files(k, res, flags);
	if (err)
		return err;
	fds[0] = fd_install(k, res[0], 0, flags & G_O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -1 : fd_install(k, res[1], 0, flags & G_O_CLOEXEC);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			close_fd(k, fds[0]);
		else
			open_file_put(k, res[0]);
		open_file_put(k, res[1]);
		return fds[0] < 0 ? fds[0] : -EMFILE;
	}
	if (copy_to_user_ok(k, ufds, fds, sizeof(fds))) {
		close_fd(k, fds[0]);
		close_fd(k, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_pipe2(k, a[0], 0);
}

long sys_pipe2(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_pipe2(k, a[0], (unsigned)a[1]);
}
