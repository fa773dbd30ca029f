/*
 * Where a benchmark finds the guest programs of its own build: $MMEMU_BUILD/guests when
 * set, else guests/ beside the directory of the benchmark's executable (BUILD/tests/bench_x
 * -> BUILD/guests), whatever directory it is run from (the bench target runs them from the
 * build's top, a user perhaps from the source tree).
 */
#ifndef MMEMU_TESTS_BENCH_GUESTS_H
#define MMEMU_TESTS_BENCH_GUESTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *bench_guests_dir(void)
{
	static char dir[4096 + 16];
	char exe[4096];
	const char *build = getenv("MMEMU_BUILD");
	ssize_t n = build ? -1 : readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (build) {
		snprintf(dir, sizeof(dir), "%.4000s/guests", build);
	} else if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		snprintf(dir, sizeof(dir), "%s/../guests", exe);
	} else {
		snprintf(dir, sizeof(dir), "guests");
	}
	return dir;
}

#endif
