/*
 * The system-call layer's own cost, without a CPU: a struct pt_regs handed to
 * do_syscall_64 as the entry glue hands it, against the host kernel making the same call,
 * both measured in the same run:
 *   getpid        dispatch alone
 *   write 4 KiB   copy_from_user through the page tables, then the host write (/dev/null)
 *   /proc maps    open + read + close of /proc/self/maps (the snapshot is printed at open)
 *
 *   cmake --build build --target bench_syscall && ./build/tests/bench_syscall
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel-sim/exec.h"
#include "kernel-sim/fs.h"
#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/ptrace.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/unistd.h"

#define ROUNDS 200000L
#define PROC_ROUNDS 20000L

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long sim_call(struct kernel *k, unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct pt_regs r;
	memset(&r, 0, sizeof(r));
	r.orig_ax = r.ax = nr;
	r.di = a0, r.si = a1, r.dx = a2;
	r.cs = __USER_CS;
	do_syscall_64(k, &r);
	return (long)r.ax;
}

/* ns per call of fn over rounds. */
#define TIME(rounds, stmt)                                                                         \
	({                                                                                         \
		double t0 = now_ns();                                                              \
		for (long i_ = 0; i_ < (rounds); i_++)                                             \
			stmt;                                                                      \
		(now_ns() - t0) / (rounds);                                                        \
	})

static void report(const char *what, double sim, double host)
{
	printf("%-28s mmemu %8.0f ns/call, host kernel %8.0f ns/call (%.2fx)\n", what, sim, host,
	       host > 0 ? sim / host : 0);
}

int main(void)
{
	struct boot_params p;
	struct phys_bus bus;
	static struct kernel k;
	char err[200];
	boot_params_default(&p);
	p.ram_size = 256ULL << 20;
	p.node[0].mem = p.ram_size;
	if (boot_params_finish(&p, err, sizeof(err)) || bus_init(&bus, p.ram_size) ||
	    kernel_boot(&k, &bus, &p, err, sizeof(err))) {
		fprintf(stderr, "bench_syscall: boot failed: %s\n", err);
		return 1;
	}
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	const int stdio[3] = {nul, nul, nul};
	struct task_struct *t = task_create(&k, mm_alloc(&k), false, stdio);
	k.current = t;
	long buf = vm_mmap(&k, t->mm, NULL, 0, 1 << 16, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, 0);
	static char data[4096];
	copy_to_user(&k, (uint64_t)buf, data, sizeof(data));
	copy_to_user(&k, (uint64_t)buf + 8192, "/proc/self/maps", 16);

	double sim = TIME(ROUNDS, sim_call(&k, __NR_getpid, 0, 0, 0));
	double host = TIME(ROUNDS, syscall(SYS_getpid));
	report("getpid", sim, host);

	sim = TIME(ROUNDS, sim_call(&k, __NR_write, 1, (uint64_t)buf, 4096));
	host = TIME(ROUNDS, (void)!write(nul, data, sizeof(data)));
	report("write 4 KiB to /dev/null", sim, host);

	char text[8192];
	sim = TIME(PROC_ROUNDS, {
		long fd = sim_call(&k, __NR_open, (uint64_t)buf + 8192, 0, 0);
		sim_call(&k, __NR_read, (uint64_t)fd, (uint64_t)buf + 16384, 8192);
		sim_call(&k, __NR_close, (uint64_t)fd, 0, 0);
	});
	host = TIME(PROC_ROUNDS, {
		int fd = open("/proc/self/maps", O_RDONLY);
		(void)!read(fd, text, sizeof(text));
		close(fd);
	});
	report("open+read+close maps", sim, host);

	release_task(&k, t);
	close(nul);
	kernel_shutdown(&k);
	bus_destroy(&bus);
	return 0;
}
