/* The end-of-run report of `mmemu run --stats`; see emu/stats.h. */
#include "emu/stats.h"

#include "cpu/cpu.h"
#include "emu/machine.h"
#include "kernel-sim/vmstat.h"

struct counter {
	const char *name;
	unsigned long long value;
};

/* The machine-wide counters a run is judged by, in report order. */
static int collect(struct machine *m, struct counter *c)
{
	struct kernel *k = &m->kernel;
	int n = 0;
	c[n++] = (struct counter){"instructions", m->cpu.icount};
	c[n++] = (struct counter){"exceptions", m->cpu.nr_faults};
	c[n++] = (struct counter){"pgfault", k->vm_events[PGFAULT]};
	c[n++] = (struct counter){"pgmajfault", k->vm_events[PGMAJFAULT]};
	c[n++] = (struct counter){"pgalloc_normal", k->vm_events[PGALLOC_NORMAL]};
	c[n++] = (struct counter){"pgalloc_dma32", k->vm_events[PGALLOC_DMA32]};
	c[n++] = (struct counter){"pgfree", k->vm_events[PGFREE]};
	c[n++] = (struct counter){"nr_free_pages",
				  (unsigned long long)global_zone_page_state(k, NR_FREE_PAGES)};
	c[n++] = (struct counter){"nr_page_table_pages",
				  (unsigned long long)global_node_page_state(k, NR_PAGETABLE)};
	c[n++] = (struct counter){"mem_total_kb", (unsigned long long)k->totalram_pages * 4};
	/* Reclaim and swap: what a smaller machine (a what-if replay) changes first. */
	c[n++] = (struct counter){"pgscan_kswapd", k->vm_events[PGSCAN_KSWAPD]};
	c[n++] = (struct counter){"pgscan_direct", k->vm_events[PGSCAN_DIRECT]};
	c[n++] = (struct counter){"pgsteal_kswapd", k->vm_events[PGSTEAL_KSWAPD]};
	c[n++] = (struct counter){"pgsteal_direct", k->vm_events[PGSTEAL_DIRECT]};
	c[n++] = (struct counter){"pswpin", k->vm_events[PSWPIN]};
	c[n++] = (struct counter){"pswpout", k->vm_events[PSWPOUT]};
	c[n++] = (struct counter){"oom_kill", k->vm_events[OOM_KILL]};
	return n;
}

void print_run_stats(FILE *out, struct machine *m, enum stats_format fmt)
{
	struct counter c[32];
	int n = collect(m, c);
	if (fmt == STATS_JSON) {
		fprintf(out, "{\"machine\": {");
		for (int i = 0; i < n; i++)
			fprintf(out, "%s\"%s\": %llu", i ? ", " : "", c[i].name, c[i].value);
		fprintf(out, "}, \"mmu\": ");
		mmu_stats_json(&m->mmu, out);
		fprintf(out, "}\n");
		return;
	}
	fprintf(out, "--- mmemu statistics ---\n");
	for (int i = 0; i < n; i++)
		fprintf(out, "%-24s %llu\n", c[i].name, c[i].value);
	mmu_stats_print(&m->mmu, out);
}
