/*
 * Clocks and sleeping on the machine's virtual time (Linux's kernel/time/: time,
 * gettimeofday, clock_gettime, clock_getres, nanosleep, clock_nanosleep, times).
 *
 * k->now_ns is the time since boot: the instructions executed (one nanosecond each) plus
 * the time slept (k->slept_ns); the machine updates it (kernel_clock_update) whenever the
 * CPU has run.
 * G_CLOCK_MONOTONIC and G_CLOCK_BOOTTIME read it directly, the CPU-time clocks without the
 * time slept; G_CLOCK_REALTIME is MMEMU_EPOCH_SEC plus it, so a run sees the same dates
 * every time. Sleeping advances virtual time by the requested amount and returns at once.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define MMEMU_EPOCH_SEC 1704067200LL /* 2024-01-01 00:00:00 UTC: the machine's boot */
#define NSEC_PER_SEC 1000000000LL
#define TAI_OFFSET_SEC 37
#define USER_HZ 100
#define CLOCK_COARSE_RES_NS 4000000 /* HZ = 250 */

enum {
	G_CLOCK_REALTIME = 0,
	G_CLOCK_MONOTONIC = 1,
	G_CLOCK_PROCESS_CPUTIME_ID = 2,
	G_CLOCK_THREAD_CPUTIME_ID = 3,
	G_CLOCK_MONOTONIC_RAW = 4,
	G_CLOCK_REALTIME_COARSE = 5,
	G_CLOCK_MONOTONIC_COARSE = 6,
	G_CLOCK_BOOTTIME = 7,
	G_CLOCK_REALTIME_ALARM = 8,
	G_CLOCK_BOOTTIME_ALARM = 9,
	G_CLOCK_TAI = 11,
};
#define G_TIMER_ABSTIME 1

/* The value of clock id in nanoseconds: 0 or -EINVAL. */
int clock_now_ns(const struct kernel *k, int id, int64_t *ns)
{
	int64_t now = (int64_t)k->now_ns;
	switch (id) {
	case G_CLOCK_REALTIME:
	case G_CLOCK_REALTIME_COARSE:
	case G_CLOCK_REALTIME_ALARM:
		*ns = MMEMU_EPOCH_SEC * NSEC_PER_SEC + now;
		return 0;
	case G_CLOCK_TAI:
		*ns = (MMEMU_EPOCH_SEC + TAI_OFFSET_SEC) * NSEC_PER_SEC + now;
		return 0;
	case G_CLOCK_PROCESS_CPUTIME_ID:
	case G_CLOCK_THREAD_CPUTIME_ID:
		*ns = (int64_t)kernel_cpu_time_ns(k);
		return 0;
	case G_CLOCK_MONOTONIC:
	case G_CLOCK_MONOTONIC_RAW:
	case G_CLOCK_MONOTONIC_COARSE:
	case G_CLOCK_BOOTTIME:
	case G_CLOCK_BOOTTIME_ALARM:
		*ns = now;
		return 0;
	}
	return -EINVAL;
}

/* A struct timespec in the caller's layout: {long, long}, or {s64, s64} for the i386
 * *_time64 calls (time64 true). */
static int put_timespec(struct kernel *k, uint64_t uaddr, int64_t ns, bool time64)
{
	int64_t sec = ns / NSEC_PER_SEC, nsec = ns % NSEC_PER_SEC;
	if (in_compat_syscall(k) && !time64) {
		int32_t v[2] = {(int32_t)sec, (int32_t)nsec};
		return copy_to_user_ok(k, uaddr, v, sizeof(v));
	}
	int64_t v[2] = {sec, nsec};
	return copy_to_user_ok(k, uaddr, v, sizeof(v));
}

/* Reads a timespec: the nanoseconds, or -EFAULT / -EINVAL (bad fields). */
int get_timespec(struct kernel *k, uint64_t uaddr, bool time64, int64_t *ns)
{
	int64_t sec, nsec;
	if (in_compat_syscall(k) && !time64) {
		int32_t v[2];
		if (copy_from_user_ok(k, v, uaddr, sizeof(v)))
			return -EFAULT;
		sec = v[0], nsec = v[1];
	} else {
		int64_t v[2];
		if (copy_from_user_ok(k, v, uaddr, sizeof(v)))
			return -EFAULT;
		sec = v[0], nsec = v[1];
		if (in_compat_syscall(k)) /* the i386 time64 ABI ignores the upper nsec half */
			nsec = (int32_t)nsec;
	}
	if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC || sec > INT64_MAX / NSEC_PER_SEC - 1)
		return -EINVAL;
	*ns = sec * NSEC_PER_SEC + nsec;
	return 0;
}

static long do_clock_gettime(struct kernel *k, const uint64_t *a, bool time64)
{
	int64_t ns;
	int err = clock_now_ns(k, (int)a[0], &ns);
	return err ? err : put_timespec(k, a[1], ns, time64);
}

long sys_clock_gettime(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_gettime(k, a, false);
}

long sys_clock_gettime64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_gettime(k, a, true);
}

static long do_clock_getres(struct kernel *k, const uint64_t *a, bool time64)
{
	int64_t ns;
	int id = (int)a[0];
	int err = clock_now_ns(k, id, &ns);
	if (err || !a[1])
		return err;
	bool coarse = id == G_CLOCK_REALTIME_COARSE || id == G_CLOCK_MONOTONIC_COARSE;
	return put_timespec(k, a[1], coarse ? CLOCK_COARSE_RES_NS : 1, time64);
}

long sys_clock_getres(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_getres(k, a, false);
}

long sys_clock_getres_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_getres(k, a, true);
}

long sys_gettimeofday(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int64_t ns;
	clock_now_ns(k, G_CLOCK_REALTIME, &ns);
	if (a[0]) {
		int64_t sec = ns / NSEC_PER_SEC, usec = ns % NSEC_PER_SEC / 1000;
		if (in_compat_syscall(k)) {
			int32_t v[2] = {(int32_t)sec, (int32_t)usec};
			if (copy_to_user_ok(k, a[0], v, sizeof(v)))
				return -EFAULT;
		} else {
			int64_t v[2] = {sec, usec};
			if (copy_to_user_ok(k, a[0], v, sizeof(v)))
				return -EFAULT;
		}
	}
	if (a[1]) {
		const int32_t tz[2] = {0, 0}; /* UTC, no DST */
		if (copy_to_user_ok(k, a[1], tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

long sys_time(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	int64_t ns;
	clock_now_ns(k, G_CLOCK_REALTIME, &ns);
	int64_t sec = ns / NSEC_PER_SEC;
	if (a[0] && put_user_long(k, (uint64_t)sec, a[0]))
		return -EFAULT;
	return (long)sec;
}

static long do_nanosleep(struct kernel *k, uint64_t ureq, bool time64)
{
	int64_t ns;
	int err = get_timespec(k, ureq, time64, &ns);
	if (err)
		return err;
	kernel_sleep_ns(k, ns);
	return 0;
}

long sys_nanosleep(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_nanosleep(k, a[0], false);
}

static long do_clock_nanosleep(struct kernel *k, const uint64_t *a, bool time64)
{
	int id = (int)a[0];
	int64_t now, ns;
	if (id == G_CLOCK_THREAD_CPUTIME_ID || clock_now_ns(k, id, &now) < 0)
		return -EINVAL;
	int err = get_timespec(k, a[2], time64, &ns);
	if (err)
		return err;
	kernel_sleep_ns(k, (a[1] & G_TIMER_ABSTIME) ? ns - now : ns);
	return 0;
}

long sys_clock_nanosleep(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_nanosleep(k, a, false);
}

long sys_clock_nanosleep_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_clock_nanosleep(k, a, true);
}

/* times: user time is the time the task ran, in USER_HZ ticks; the result is the ticks
 * since boot. */
long sys_times(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint64_t ticks = k->now_ns / (NSEC_PER_SEC / USER_HZ);
	if (a[0]) {
		const uint64_t v[4] = {kernel_cpu_time_ns(k) / (NSEC_PER_SEC / USER_HZ), 0, 0, 0};
		for (int i = 0; i < 4; i++)
			if (put_user_long(k, v[i],
					  a[0] + (uint64_t)i * (in_compat_syscall(k) ? 4 : 8)))
				return -EFAULT;
	}
	return in_compat_syscall(k) ? (long)(int32_t)ticks : (long)ticks;
}
