/*
 * Sleeping moves the clocks: CLOCK_MONOTONIC and CLOCK_REALTIME read before and after
 * nanosleep, clock_nanosleep (relative and TIMER_ABSTIME) and a system call in between
 * must differ by the time slept, and the CPU-time clock must not count it. Prints the differences to a tenth of a second, which a
 * native run and a run on the machine's virtual clock agree on.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double seconds(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, double mono0, double real0)
{
	printf("%s: monotonic +%.1f s, realtime +%.1f s\n", what, seconds(CLOCK_MONOTONIC) - mono0,
	       seconds(CLOCK_REALTIME) - real0);
}

int main(void)
{
	double mono = seconds(CLOCK_MONOTONIC), real = seconds(CLOCK_REALTIME);
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
	printf("process CPU time under 0.1 s: %d\n", seconds(CLOCK_PROCESS_CPUTIME_ID) < 0.1);
	return 0;
}
