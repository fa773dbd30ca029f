/* What `mmemu run --stats` prints at exit: instructions, faults, TLB and memory counters. */
#ifndef EMU_STATS_H
#define EMU_STATS_H

#include <stdio.h>

struct machine;

enum stats_format { STATS_NONE, STATS_TEXT, STATS_JSON };

void print_run_stats(FILE *out, struct machine *m, enum stats_format fmt);

#endif /* EMU_STATS_H */
