/*
 * poll and ppoll (Linux's fs/select.c do_sys_poll) for one task. Pipes and /proc files
 * answer from their state (a /proc file, like a regular file, is always readable and
 * writable: Linux's DEFAULT_POLLMASK); host descriptors are asked with the host's poll().
 * When nothing is ready and the call may wait:
 *   - if host descriptors are in the set, the host's poll() waits on them (a terminal or a
 *     host pipe can become ready from outside the machine) for the timeout;
 *   - a timeout that expires with nothing ready is spent on the virtual clock;
 *   - with nothing that can ever become ready and no timeout, the task would sleep forever:
 *     the call logs it and returns -EINTR.
 * ppoll's signal mask is checked and otherwise ignored: no call here sleeps waiting for a
 * signal.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

/* poll bits as the guest ABI numbers them. */
#define G_POLLIN 0x001
#define G_POLLPRI 0x002
#define G_POLLOUT 0x004
#define G_POLLERR 0x008
#define G_POLLHUP 0x010
#define G_POLLNVAL 0x020
#define G_POLLRDNORM 0x040
#define G_POLLWRNORM 0x100
#define DEFAULT_POLLMASK (G_POLLIN | G_POLLOUT | G_POLLRDNORM | G_POLLWRNORM)
#define NSEC_PER_MSEC 1000000LL

/* struct pollfd: int fd, short events, short revents (8 bytes, both ABIs). */
struct guest_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

/* Readiness of a pipe end or /proc file (Linux's pipe_poll). */
static unsigned int kernel_file_poll(const struct open_file *of)
{
	const struct pipe_inode_info *pipe = of->pipe;
	unsigned int mask = 0;
	if (of->type == OFT_PROC)
		return DEFAULT_POLLMASK;
	if (!of->pipe_writer) {
		mask |= pipe->len ? G_POLLIN | G_POLLRDNORM : 0;
		mask |= pipe->writers ? 0 : G_POLLHUP;
	} else {
		mask |= pipe->len < PIPE_BUF_SIZE ? G_POLLOUT | G_POLLWRNORM : 0;
		mask |= pipe->readers ? 0 : G_POLLERR;
	}
	return mask;
}

/* Guest events as host poll bits and back: the values are the same on x86 Linux. */
static short host_events(int16_t e)
{
	return (short)(((e & G_POLLIN) ? POLLIN : 0) | ((e & G_POLLPRI) ? POLLPRI : 0) |
		       ((e & G_POLLOUT) ? POLLOUT : 0) | ((e & G_POLLRDNORM) ? POLLRDNORM : 0) |
		       ((e & G_POLLWRNORM) ? POLLWRNORM : 0));
}

static int16_t guest_revents(short r)
{
	return (int16_t)(((r & POLLIN) ? G_POLLIN : 0) | ((r & POLLPRI) ? G_POLLPRI : 0) |
			 ((r & POLLOUT) ? G_POLLOUT : 0) | ((r & POLLERR) ? G_POLLERR : 0) |
			 ((r & POLLHUP) ? G_POLLHUP : 0) | ((r & POLLNVAL) ? G_POLLNVAL : 0) |
			 ((r & POLLRDNORM) ? G_POLLRDNORM : 0) |
			 ((r & POLLWRNORM) ? G_POLLWRNORM : 0));
}

/* One pass over the set: fills revents, asks the host with host_timeout_ms for the host
 * descriptors. Returns the ready entries; *nr_host gets how many were host descriptors. */
static int poll_once(struct kernel *k, struct guest_pollfd *pfd, struct pollfd *hfd,
		     unsigned long nfds, int host_timeout_ms, int *nr_host)
{
	int ready = 0, nh = 0;
	for (unsigned long i = 0; i < nfds; i++) {
		struct open_file *of = pfd[i].fd >= 0 ? fget(k, pfd[i].fd) : NULL;
		hfd[i].fd = -1; /* the host skips negative descriptors */
		pfd[i].revents = 0;
		if (pfd[i].fd < 0)
			continue;
		if (!of)
			pfd[i].revents = G_POLLNVAL;
		else if (of->type != OFT_HOST)
			pfd[i].revents = (int16_t)(kernel_file_poll(of) & ((uint16_t)pfd[i].events |
									   G_POLLERR | G_POLLHUP));
		else {
			hfd[i].fd = of->host_fd;
			hfd[i].events = host_events(pfd[i].events);
			nh++;
		}
	}
	if (nh && poll(hfd, nfds, host_timeout_ms) > 0)
		for (unsigned long i = 0; i < nfds; i++)
			if (hfd[i].fd >= 0)
				pfd[i].revents = guest_revents(hfd[i].revents);
	for (unsigned long i = 0; i < nfds; i++)
		ready += pfd[i].revents != 0;
	*nr_host = nh;
	return ready;
}

/* Polls the kernel-side set pfd[0..nfds) (hfd: scratch of the same length), waiting as
 * described above; timeout_ns < 0: no timeout. The ready entries, or -EINTR. */
static long poll_kernel(struct kernel *k, struct guest_pollfd *pfd, struct pollfd *hfd,
			unsigned long nfds, int64_t timeout_ns)
{
	int nh;
	long ret = poll_once(k, pfd, hfd, nfds, 0, &nh);
	if (!ret && timeout_ns != 0 && nh) {
		int ms =
		    timeout_ns < 0 ? -1 : (int)((timeout_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		ret = poll_once(k, pfd, hfd, nfds, ms, &nh);
	}
	if (!ret)
		kernel_sleep_ns(k, timeout_ns);
	if (!ret && timeout_ns < 0 && !nh) {
		printk(k, KERN_WARNING, "mmemu: %s[%d] polls with nothing that can become ready",
		       k->current->comm, k->current->pid);
		return -EINTR;
	}
	return ret;
}

/* timeout_ns < 0: no timeout. */
static long do_sys_poll(struct kernel *k, uint64_t ufds, unsigned long nfds, int64_t timeout_ns)
{
	if (nfds > k->current->rlim[7].rlim_cur)
		return -EINVAL;
	struct guest_pollfd *pfd = malloc(nfds ? nfds * sizeof(*pfd) : 1);
	struct pollfd *hfd = malloc(nfds ? nfds * sizeof(*hfd) : 1);
	long ret;
	if (!pfd || !hfd) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user_ok(k, pfd, ufds, nfds * sizeof(*pfd))) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = poll_kernel(k, pfd, hfd, nfds, timeout_ns);
	for (unsigned long i = 0; ret >= 0 && i < nfds; i++)
		if (copy_to_user_ok(k, ufds + i * sizeof(*pfd) + 6, &pfd[i].revents, 2))
			ret = -EFAULT;
out_free:
	free(pfd);
	free(hfd);
	return ret;
}

/* poll(fds, nfds, timeout in ms; negative: none) */
long sys_poll(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int ms = (int)a[2];
	return do_sys_poll(k, a[0], (uint32_t)a[1], ms < 0 ? -1 : ms * NSEC_PER_MSEC);
}

static long do_ppoll(struct kernel *k, const uint64_t *a, bool time64)
{
	int64_t ns = -1;
	if (a[3] && a[4] != 8)
		return -EINVAL;
	if (a[2]) {
		int err = get_timespec(k, a[2], time64, &ns);
		if (err)
			return err;
	}
	return do_sys_poll(k, a[0], (uint32_t)a[1], ns);
}

/* ppoll(fds, nfds, timeout timespec or NULL, sigmask, sigsetsize) */
long sys_ppoll(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_ppoll(k, a, false);
}

long sys_ppoll_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_ppoll(k, a, true);
}

/* ---- select ---- */

/* What each of select's three sets asks for, and which poll bits answer it (Linux's
 * POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
static const int16_t select_asks[3] = {G_POLLIN | G_POLLRDNORM, G_POLLOUT | G_POLLWRNORM,
				       G_POLLPRI};
static const int16_t select_answers[3] = {G_POLLIN | G_POLLRDNORM | G_POLLHUP | G_POLLERR,
					  G_POLLOUT | G_POLLWRNORM | G_POLLERR, G_POLLPRI};

static bool fd_isset(const uint8_t *set, int fd)
{
	return set[fd / 8] & (1u << (fd % 8));
}

/* The pollfd array for select's sets (bits: the three sets, bytes each). The entries, or
 * -EBADF for a set bit on a closed fd. */
static long select_to_poll(struct kernel *k, int nfds, const uint8_t *bits, size_t bytes,
			   struct guest_pollfd *pfd)
{
	long n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		int16_t ev = 0;
		for (int s = 0; s < 3; s++)
			ev |= fd_isset(bits + s * bytes, fd) ? select_asks[s] : 0;
		if (!ev)
			continue;
		if (!fget(k, fd))
			return -EBADF;
		pfd[n].fd = fd;
		pfd[n].events = ev;
		n++;
	}
	return n;
}

/* select(nfds, readfds, writefds, exceptfds, timeout) through the poll machinery (Linux's
 * core_sys_select). fd_set bitmaps are the same bytes for both ABIs on little-endian x86.
 * The time left is not written back. Returns the bits set, or -errno. */
static long do_select(struct kernel *k, int nfds, const uint64_t sets[3], int64_t timeout_ns)
{
	if (nfds < 0 || (uint64_t)nfds > k->current->rlim[7].rlim_cur)
		return -EINVAL;
	size_t bytes = ((size_t)nfds + 63) / 64 * 8;
	uint8_t *bits = calloc(3, bytes ? bytes : 1);
	struct guest_pollfd *pfd = malloc((size_t)nfds * sizeof(*pfd) + 1);
	struct pollfd *hfd = malloc((size_t)nfds * sizeof(*hfd) + 1);
	long ret = -ENOMEM;
	if (!bits || !pfd || !hfd)
		goto out_free;
	ret = -EFAULT;
	for (int s = 0; s < 3; s++)
		if (sets[s] && copy_from_user_ok(k, bits + s * bytes, sets[s], bytes))
			goto out_free;
	long n = select_to_poll(k, nfds, bits, bytes, pfd);
	ret = n < 0 ? n : poll_kernel(k, pfd, hfd, (unsigned long)n, timeout_ns);
	if (ret < 0)
		goto out_free;
	memset(bits, 0, 3 * bytes);
	ret = 0;
	for (long i = 0; i < n; i++)
		for (int s = 0; s < 3; s++)
			if ((pfd[i].events & select_asks[s]) &&
			    (pfd[i].revents & select_answers[s])) {
				bits[s * bytes + pfd[i].fd / 8] |= (uint8_t)(1u << (pfd[i].fd % 8));
				ret++;
			}
	for (int s = 0; s < 3; s++)
		if (sets[s] && copy_to_user_ok(k, sets[s], bits + s * bytes, bytes))
			ret = -EFAULT;
out_free:
	free(bits);
	free(pfd);
	free(hfd);
	return ret;
}

/* select's struct timeval: {long sec, long usec}. */
static int get_timeval(struct kernel *k, uint64_t uaddr, int64_t *ns)
{
	int64_t sec, usec;
	if (in_compat_syscall(k)) {
		int32_t v[2];
		if (copy_from_user_ok(k, v, uaddr, sizeof(v)))
			return -EFAULT;
		sec = v[0], usec = v[1];
	} else {
		int64_t v[2];
		if (copy_from_user_ok(k, v, uaddr, sizeof(v)))
			return -EFAULT;
		sec = v[0], usec = v[1];
	}
	if (sec < 0 || usec < 0 || usec >= 1000000 || sec > INT32_MAX)
		return -EINVAL;
	*ns = sec * 1000000000LL + usec * 1000;
	return 0;
}

long sys_select(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	const uint64_t sets[3] = {a[1], a[2], a[3]};
	int64_t ns = -1;
	if (a[4]) {
		int err = get_timeval(k, a[4], &ns);
		if (err)
			return err;
	}
	return do_select(k, (int)a[0], sets, ns);
}

static long do_pselect6(struct kernel *k, const uint64_t *a, bool time64)
{
	const uint64_t sets[3] = {a[1], a[2], a[3]};
	int64_t ns = -1;
	if (a[4]) {
		int err = get_timespec(k, a[4], time64, &ns);
		if (err)
			return err;
	}
	return do_select(k, (int)a[0], sets, ns);
}

/* pselect6(nfds, r, w, e, timespec, {sigmask, size}): the mask is not applied. */
long sys_pselect6(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_pselect6(k, a, false);
}

long sys_pselect6_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_pselect6(k, a, true);
}
