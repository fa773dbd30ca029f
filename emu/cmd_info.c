/*
 * mmemu info [machine options] [--file NAME]...: boots the machine's memory and prints the
 * memory-management /proc files as Linux would show them right after boot.
 */
#include <stdio.h>
#include <string.h>

#include "emu/commands.h"
#include "emu/machine.h"
#include "emu/options.h"
#include "kernel-sim/proc.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/vmalloc.h"

struct proc_file {
	const char *name;
	void (*show)(struct seq_file *m, struct kernel *k);          /* a kernel /proc file */
	void (*show_machine)(struct seq_file *m, struct machine *mc); /* or a machine view */
};

/* The TLB geometry in --tlb syntax, then one line per array. */
static void tlb_show(struct seq_file *m, struct machine *mc)
{
	char spec[1024];
	tlb_config_format(&mc->tlb, spec, sizeof(spec));
	seq_printf(m, "--tlb %s\n", spec);
	seq_printf(m, "%-8s %8s %6s %6s\n", "array", "entries", "ways", "sets");
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		const struct tlb_array *a = &mc->mmu.tlb.a[i];
		if (a->entries)
			seq_printf(m, "%-8s %8u %6u %6u\n", a->name, a->entries, a->ways, a->sets);
	}
}

static const struct proc_file proc_files[] = {
	{"buddyinfo", buddyinfo_show, NULL},
	{"pagetypeinfo", pagetypeinfo_show, NULL},
	{"zoneinfo", zoneinfo_show, NULL},
	{"meminfo", meminfo_show, NULL},
	{"vmstat", vmstat_show, NULL},
	{"slabinfo", slabinfo_show, NULL},
	{"vmallocinfo", vmallocinfo_show, NULL},
	{"swaps", proc_swaps_show, NULL},
	{"dmesg", dmesg_show, NULL},
	{"tlb", NULL, tlb_show},
};

#define NR_PROC_FILES (sizeof(proc_files) / sizeof(proc_files[0]))

static void info_usage(FILE *f)
{
	fprintf(f, "usage: mmemu info [machine options] [--file NAME]...\n"
		   "Boots the machine's memory and prints /proc files (all of them, or each NAME:");
	for (size_t i = 0; i < NR_PROC_FILES; i++)
		fprintf(f, " %s", proc_files[i].name);
	fprintf(f, ").\n\n%s", machine_options_help);
}

static const struct proc_file *find_proc_file(const char *name)
{
	for (size_t i = 0; i < NR_PROC_FILES; i++)
		if (!strcmp(proc_files[i].name, name))
			return &proc_files[i];
	return NULL;
}

static void print_proc_file(struct machine *mc, const struct proc_file *f, bool heading)
{
	struct seq_file m;
	seq_init(&m);
	if (f->show)
		f->show(&m, &mc->kernel);
	else
		f->show_machine(&m, mc);
	if (heading)
		printf("==> %s%s <==\n", f->show ? "/proc/" : "", f->name);
	fputs(m.buf, stdout);
	if (heading)
		putchar('\n');
	seq_release(&m);
}

int cmd_info(int argc, char **argv)
{
	struct machine_opts opts;
	const struct proc_file *wanted[NR_PROC_FILES];
	size_t nr_wanted = 0;
	char err[256];
	machine_opts_init(&opts);
	for (int i = 0; i < argc;) {
		int r = machine_option(argc, argv, &i, &opts, err, sizeof(err));
		if (r < 0)
			return usage_error("info: %s", err);
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			info_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--file") && i + 1 < argc) {
			const struct proc_file *f = find_proc_file(argv[i + 1]);
			if (!f)
				return usage_error("info: no such /proc file: %s", argv[i + 1]);
			if (nr_wanted < NR_PROC_FILES)
				wanted[nr_wanted++] = f;
			i += 2;
			continue;
		}
		return usage_error("info: unknown option '%s' (try mmemu info --help)", argv[i]);
	}
	if (machine_options_finish(&opts, err, sizeof(err)) < 0)
		return usage_error("info: %s", err);
	struct machine m;
	if (machine_create(&m, &opts.params, &opts.tlb, err, sizeof(err)) < 0)
		return usage_error("info: %s", err);
	if (nr_wanted == 0) {
		for (size_t i = 0; i < NR_PROC_FILES; i++)
			print_proc_file(&m, &proc_files[i], true);
	} else {
		for (size_t i = 0; i < nr_wanted; i++)
			print_proc_file(&m, wanted[i], nr_wanted > 1);
	}
	machine_destroy(&m);
	return 0;
}
