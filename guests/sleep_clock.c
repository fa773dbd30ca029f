/*
 * Sleeping moves the clocks: CLOCK_MONOTONIC and CLOCK_REALTIME read before and after
 * nanosleep, clock_nanosleep (relative and TIMER_ABSTIME) and a system call in between
 * must differ by the time slept, and the CPU-time clock must not count it. Prints the
 * differences in whole tenths of a second, rounded down: a native run and a run on the
 * machine's virtual clock agree on that, even when a loaded host oversleeps by tens of
 * milliseconds.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long nanoseconds(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Nanoseconds as whole tenths of a second, rounded down: "0.2". */
static void print_tenths(const char *label, long long ns)
{
	long long tenths = ns / 100000000;
	printf("%s +%lld.%lld s", label, tenths / 10, tenths % 10);
}

static void report(const char *what, long long mono0, long long real0)
{
	printf("%s:", what);
	print_tenths(" monotonic", nanoseconds(CLOCK_MONOTONIC) - mono0);
	print_tenths(", realtime", nanoseconds(CLOCK_REALTIME) - real0);
	printf("\n");
}

int main(void)
{
	long long mono = nanoseconds(CLOCK_MONOTONIC), real = nanoseconds(CLOCK_REALTIME);
	struct timespec t = {0, 200000000};
	nanosleep(&t, NULL);
	getpid(); /* the clock must survive another entry into the kernel */
	report("nanosleep 0.2 s", mono, real);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
	report("then clock_nanosleep 0.2 s", mono, real);
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 300000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
	report("then until 0.3 s later", mono, real);
	usleep(100000);
	report("then usleep 0.1 s", mono, real);
	/* Sleeping is not running: the CPU-time clock has hardly moved. */
	printf("process CPU time under 0.1 s: %d\n",
	       nanoseconds(CLOCK_PROCESS_CPUTIME_ID) < 100000000);
	return 0;
}
