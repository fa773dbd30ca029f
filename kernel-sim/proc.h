/*
 * The /proc files of memory management, printed in Linux's exact formats from the
 * kernel's real state. Each writes the whole file into m.
 */
#ifndef KSIM_PROC_H
#define KSIM_PROC_H

#include "kernel-sim/seq_file.h"

struct kernel;

void buddyinfo_show(struct seq_file *m, struct kernel *k);
void pagetypeinfo_show(struct seq_file *m, struct kernel *k);
void zoneinfo_show(struct seq_file *m, struct kernel *k);
void vmstat_show(struct seq_file *m, struct kernel *k);
void meminfo_show(struct seq_file *m, struct kernel *k);

#endif /* KSIM_PROC_H */
