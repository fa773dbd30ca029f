/* Loud stops for the simulator's own bugs; see kernel-sim/bug.h. */
#include "kernel-sim/bug.h"

#include <stdio.h>
#include <stdlib.h>

void ksim_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "mmemu: kernel BUG at %s:%d: %s\n", file, line, cond);
	abort();
}

void ksim_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "mmemu: WARNING at %s:%d: %s\n", file, line, cond);
}
