/*
 * mmemu replay [--verify] [--kernel] [machine options] [--stats[=json]] [--compare] FILE
 *
 * Replays a trace recorded with `mmemu run --trace` through the MMU model (emu/replay.h):
 * under the recorded TLB geometry, or with --tlb items applied over it (a what-if study),
 * printing the same MMU statistics as `mmemu run --stats`. --verify checks that the replay
 * reproduces every recorded TLB fill, eviction, physical address and fault, and the final
 * statistics; the first difference is reported and the exit status is 1.
 *
 * With --kernel, or any machine option other than --tlb (-m, -numa, --swap, --zswap, ...),
 * the recorded process is replayed through the simulated kernel instead
 * (emu/replay_kernel.h) on the recorded machine with those options applied over it, and
 * the statistics are those of `mmemu run --stats`. --kernel --verify (no other machine option)
 * checks every frame's reference and mapping counts the trace recorded (format 1.3).
 *
 * A FILE that is not an mmemu trace is read as a Valgrind lackey trace (text or gzip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/commands.h"
#include "emu/options.h"
#include "emu/replay.h"
#include "emu/replay_kernel.h"
#include "emu/replay_program.h"
#include "emu/stats.h"
#include "emu/trace.h"
#include "emu/trace_lackey.h"
#include "emu/trace_record.h"

#define MAX_MACHINE_ARGS 64 /* machine option words a replay command line may hold */

struct replay_cli {
	bool verify;		 /* --verify */
	bool kernel;		 /* replay through the kernel (--kernel or a machine option) */
	bool ram_given;		 /* -m given: the recorded RAM and nodes are not used */
	bool numa_given;	 /* -numa given: likewise */
	bool swap_given;	 /* --swap given: the recorded swap size is not used */
	int nmargs;		 /* words of margs */
	char *margs[MAX_MACHINE_ARGS]; /* the machine options, to apply over the recorded ones */
	bool compare;		 /* --compare */
	enum stats_format stats; /* --stats[=json] */
	const char *tlb;	 /* --tlb SPEC, applied over the recorded geometry */
	const char *ram;	 /* -m SIZE (lackey imports only) */
	const char *file;	 /* the trace */
};

static void replay_usage(FILE *f)
{
	fprintf(f, "usage: mmemu replay [options] FILE\n"
		   "Replays a trace (mmemu run --trace, or a Valgrind lackey trace) through the MMU,\n"
		   "or a recorded process through the simulated kernel (--kernel, machine options).\n\n"
		   "options:\n"
		   "  --verify                check that the replay reproduces every recorded event\n"
		   "                          (with --kernel: every recorded frame count)\n"
		   "  --tlb SPEC              TLB geometry items applied over the recorded one\n"
		   "  --kernel                replay the process through the simulated kernel\n"
		   "  --swap off              (through the kernel) no swap area (--swap replaces the\n"
		   "                          recorded swap size and --zswap)\n"
		   "  --stats[=text|json]     print the replay's statistics (stdout)\n"
		   "  --compare               print recorded and replayed figures side by side\n\n"
		   "Machine options (-m, -numa, --swap, --zswap, ... as for mmemu run) replay the\n"
		   "process through the kernel on the recorded machine with them applied over it;\n"
		   "for a lackey trace, -m is the RAM of the machine it runs on (default 512M).\n");
}

/* A machine option at argv[*i]: checked, kept for later, noted. 1, 0 (not one), -1. */
static int machine_arg(int argc, char **argv, int *i, struct replay_cli *c)
{
	struct machine_opts scratch;
	char err[256];
	int start = *i;
	machine_opts_init(&scratch);
	int r;
	if (!strcmp(argv[*i], "--swap") && *i + 1 < argc && !strcmp(argv[*i + 1], "off")) {
		/* No swap area, whatever the recording had. */
		c->kernel = c->swap_given = true;
		*i += 2;
		return 1;
	}
	r = machine_option(argc, argv, i, &scratch, err, sizeof(err));
	if (r < 0) {
		usage_error("replay: %s", err);
		return -1;
	}
	if (r == 0)
		return 0;
	const char *opt = argv[start];
	if (!strcmp(opt, "--tlb"))
		c->tlb = argv[start + 1];
	else
		c->kernel = true;
	if (!strcmp(opt, "-m"))
		c->ram = argv[start + 1];
	c->ram_given |= !strcmp(opt, "-m");
	c->numa_given |= !strcmp(opt, "-numa") && !strncmp(argv[start + 1], "node,", 5);
	c->swap_given |= !strcmp(opt, "--swap");
	for (int j = start; j < *i; j++) {
		if (c->nmargs == MAX_MACHINE_ARGS) {
			usage_error("replay: too many machine options");
			return -1;
		}
		c->margs[c->nmargs++] = argv[j];
	}
	return 1;
}

static int parse_args(int argc, char **argv, struct replay_cli *c)
{
	for (int i = 0; i < argc;) {
		const char *a = argv[i];
		int r = machine_arg(argc, argv, &i, c);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		i++;
		if (!strcmp(a, "--verify"))
			c->verify = true;
		else if (!strcmp(a, "--kernel"))
			c->kernel = true;
		else if (!strcmp(a, "--compare"))
			c->compare = true;
		else if (!strcmp(a, "--stats") || !strcmp(a, "--stats=text"))
			c->stats = STATS_TEXT;
		else if (!strcmp(a, "--stats=json"))
			c->stats = STATS_JSON;
		else if (a[0] == '-' && a[1])
			return usage_error("replay: unknown or incomplete option '%s'", a);
		else if (c->file)
			return usage_error("replay: more than one trace given");
		else
			c->file = a;
	}
	if (!c->file)
		return usage_error("replay: no trace given (try mmemu replay --help)");
	if (c->verify && (c->tlb || c->nmargs || c->swap_given))
		return usage_error("replay: --verify replays under the recorded settings; drop the "
				   "machine options");
	return 0;
}

/* The recorded geometry with the --tlb items over it. */
static int replay_geometry(const struct trace_reader *tr, const struct replay_cli *c,
			   struct tlb_config *cfg)
{
	char buf[1024], err[256];
	tlb_config_default(cfg);
	if (trace_header_get(tr, "tlb", buf, sizeof(buf)) &&
	    tlb_config_parse(cfg, buf, err, sizeof(err)) < 0)
		return usage_error("replay: the trace's TLB geometry: %s", err);
	if (c->tlb && tlb_config_parse(cfg, c->tlb, err, sizeof(err)) < 0)
		return usage_error("replay: %s", err);
	return 0;
}

static void print_counters(FILE *out, const struct replay *r, enum stats_format fmt)
{
	const char *names[] = {"accesses",	    "faults",		 "pgfault_recorded",
			       "syscalls_recorded",  "pgalloc_recorded",	 "pgfree_recorded",
			       "exceptions_recorded", "signals_recorded"};
	unsigned long long v[] = {r->accesses,	 r->faults,	 r->pf_done,
				  r->syscalls,	 r->page_allocs, r->page_frees,
				  r->exceptions, r->signals};
	enum { NR = sizeof(names) / sizeof(names[0]) };
	if (fmt == STATS_JSON) {
		fprintf(out, "{\"replay\": {");
		for (int i = 0; i < NR; i++)
			fprintf(out, "%s\"%s\": %llu", i ? ", " : "", names[i], v[i]);
		fprintf(out, "}, \"mmu\": ");
		mmu_stats_json(&r->mmu, out);
		fprintf(out, "}\n");
		return;
	}
	fprintf(out, "--- mmemu replay statistics ---\n");
	for (int i = 0; i < NR; i++)
		fprintf(out, "%-24s %llu\n", names[i], v[i]);
	mmu_stats_print(&r->mmu, out);
}

/* The value of a "name value" line of text, by name; false when absent or not a number. */
static bool stat_value(const char *text, const char *name, size_t nlen, double *v)
{
	for (const char *l = text; l && *l;) {
		if (!strncmp(l, name, nlen) && l[nlen] == ' ') {
			char *end;
			*v = strtod(l + nlen + 1, &end);
			return end != l + nlen + 1;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return false;
}

/* --compare: every numeric statistic of the replayed text that the recorded one also has,
 * side by side, with replayed/recorded. */
static void print_compare_texts(const char *recorded, const char *replayed)
{
	printf("%-40s %14s %14s %8s\n", "statistic", "recorded", "replayed", "ratio");
	for (const char *l = replayed; l && *l;) {
		size_t nlen = strcspn(l, " \n");
		double rec, rep;
		if (stat_value(l, l, nlen, &rep) && stat_value(recorded, l, nlen, &rec)) {
			printf("%-40.*s %14.0f %14.0f ", (int)nlen, l, rec, rep);
			if (rec != 0)
				printf("%8.3f\n", rep / rec);
			else
				printf("%8s\n", rep == 0 ? "=" : "inf");
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
}

static void print_compare(const struct replay *r)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	mmu_stats_print(&r->mmu, f);
	fclose(f);
	print_compare_texts(r->recorded_stats, text);
	free(text);
}

/* Replays every event; a progress line on a terminal for long traces. */
static int replay_all(struct trace_reader *tr, struct replay *r)
{
	struct trace_event ev;
	int n;
	bool tty = isatty(2);
	while ((n = trace_reader_next(tr, &ev)) > 0) {
		if (replay_event(r, &ev) < 0) {
			fprintf(stderr, "%smmemu: replay: %s\n", tty ? "\n" : "", r->err);
			return 1;
		}
		if (tty && !(r->event_no & 0xfffff))
			fprintf(stderr, "\rreplay: %llu M events", (unsigned long long)(r->event_no >> 20));
	}
	if (tty && r->event_no > 0xfffff)
		fprintf(stderr, "\n");
	if (n < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", tr->err);
		return 1;
	}
	return 0;
}

/* ---- replay through the kernel ---- */

/* Header values and the option words made of them, alive while the options are parsed. */
struct recorded_opts {
	char *words[MAX_MACHINE_ARGS]; /* option words (malloc) */
	int n;			       /* words used */
};

static void add_word(struct recorded_opts *ro, const char *fmt, const char *val)
{
	if (ro->n == MAX_MACHINE_ARGS)
		return;
	size_t len = strlen(fmt) + strlen(val) + 1;
	char *w = malloc(len);
	if (!w)
		return;
	snprintf(w, len, fmt, val);
	ro->words[ro->n++] = w;
}

/* The recorded value of key as the argument of opt (skipped when absent, or "0" and
 * skip_zero). */
static void add_recorded(struct recorded_opts *ro, const struct trace_reader *tr, const char *key,
			 const char *opt, bool skip_zero)
{
	char buf[1024];
	if (!trace_header_get(tr, key, buf, sizeof(buf)) || (skip_zero && !strcmp(buf, "0")))
		return;
	add_word(ro, "%s", opt);
	add_word(ro, "%s", buf);
}

/* The recorded machine as option words, leaving out what the command line replaces. */
static void recorded_machine(const struct trace_reader *tr, const struct replay_cli *c,
			     struct recorded_opts *ro)
{
	char buf[64];
	if (!c->ram_given && !c->numa_given) {
		add_recorded(ro, tr, "ram", "-m", false);
		int nodes = trace_header_get(tr, "nodes", buf, sizeof(buf)) ? atoi(buf) : 1;
		for (int i = 0; nodes > 1 && i < nodes && i < MAX_NUMNODES; i++) {
			char key[32], mem[64];
			snprintf(key, sizeof(key), "node%d.mem", i);
			if (!trace_header_get(tr, key, mem, sizeof(mem)))
				continue;
			add_word(ro, "%s", "-numa");
			add_word(ro, "node,mem=%s", mem);
		}
	}
	add_recorded(ro, tr, "smp", "-smp", false);
	add_recorded(ro, tr, "arch", "--arch", false);
	add_recorded(ro, tr, "movablecore", "--movablecore", true);
	add_recorded(ro, tr, "min_free_kbytes", "--min-free-kbytes", true);
	add_recorded(ro, tr, "seed", "--seed", false);
	add_recorded(ro, tr, "tlb", "--tlb", false);
	if (!c->swap_given)
		add_recorded(ro, tr, "swap", "--swap", true);
	/* --swap replaces the recorded swap settings, zswap included. */
	if (!c->swap_given && trace_header_get(tr, "zswap", buf, sizeof(buf)) && !strcmp(buf, "1"))
		add_word(ro, "%s", "--zswap");
}

/* The machine a replay through the kernel runs on: the recorded one with the command
 * line's machine options over it. 0, or 2 with a message printed. */
static int kernel_machine(const struct trace_reader *tr, const struct replay_cli *c,
			  struct machine_opts *o)
{
	struct recorded_opts ro = {{0}, 0};
	char err[256] = "";
	int status = 0;
	machine_opts_init(o);
	recorded_machine(tr, c, &ro);
	for (int i = 0; i < ro.n && !status;)
		if (machine_option(ro.n, ro.words, &i, o, err, sizeof(err)) <= 0)
			status = usage_error("replay: the trace's machine settings: %s", err);
	for (int i = 0; i < c->nmargs && !status;)
		if (machine_option(c->nmargs, (char **)c->margs, &i, o, err, sizeof(err)) <= 0)
			status = usage_error("replay: %s", err);
	if (!status && machine_options_finish(o, err, sizeof(err)) < 0)
		status = usage_error("replay: %s", err);
	for (int i = 0; i < ro.n; i++)
		free(ro.words[i]);
	return status ? 2 : 0;
}

/* Every event through the kernel replay; a progress line on a terminal. */
static int kernel_replay_all(struct trace_reader *tr, struct kreplay *r)
{
	struct trace_event ev;
	int n, k = 0;
	bool tty = isatty(2);
	while (k == 0 && (n = trace_reader_next(tr, &ev)) > 0) {
		k = kreplay_event(r, &ev);
		if (tty && !(r->event_no & 0xfffff))
			fprintf(stderr, "\rreplay: %llu M events", (unsigned long long)(r->event_no >> 20));
	}
	if (tty && r->event_no > 0xfffff)
		fprintf(stderr, "\n");
	if (k < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", r->err);
		return 1;
	}
	if (k == 0 && n < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", tr->err);
		return 1;
	}
	if (!r->started) {
		fprintf(stderr, "mmemu: replay: the trace holds no exec event (format %u.%u, or the "
				"exec failed): nothing to replay through the kernel\n",
			tr->major, tr->minor);
		return 1;
	}
	if (r->killed)
		fprintf(stderr, "mmemu: replay: the process was killed (out of memory) after %llu "
				"of its accesses\n",
			(unsigned long long)r->accesses);
	return 0;
}

static void print_kernel_results(struct kreplay *r, const struct replay_cli *c)
{
	if (c->stats != STATS_NONE)
		print_run_stats(stdout, &r->m, c->stats);
	if (!c->compare)
		return;
	if (!r->recorded_kstats) {
		fprintf(stderr, "mmemu: replay: the trace holds no run statistics to compare with\n");
		return;
	}
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	print_run_stats(f, &r->m, STATS_TEXT);
	fclose(f);
	print_compare_texts(r->recorded_kstats, text);
	free(text);
}

/* --kernel --verify: what was checked. */
static void print_refs_verified(const struct trace_reader *tr, const struct kreplay *r)
{
	if (tr->minor < 3)
		printf("verified: nothing (format %u.%u records no frame counts)\n", tr->major,
		       tr->minor);
	else
		printf("verified: %llu frame counts in %llu page_ref events as recorded\n",
		       (unsigned long long)r->refs_checked, (unsigned long long)r->refs_events);
}

/* The replay through the kernel proper, on r as kreplay_init left it; its exit status. */
static int replay_kernel_run(struct trace_reader *tr, const struct replay_cli *c,
			     struct kreplay *r)
{
	r->verify_refs = c->verify && tr->minor >= 3; /* 1.3 added page_ref */
	int status = kernel_replay_all(tr, r);
	if (status)
		return status;
	kreplay_finish(r);
	if (c->verify)
		print_refs_verified(tr, r);
	print_kernel_results(r, c);
	return 0;
}

static int replay_kernel(struct trace_reader *tr, const struct replay_cli *c)
{
	struct machine_opts o;
	struct recorded_program rp = {0};
	if (kernel_machine(tr, c, &o))
		return 2;
	char why[512];
	if (recorded_program_load(tr, &rp) < 0) {
		recorded_program_free(&rp);
		fprintf(stderr, "mmemu: replay: the trace's header does not name the program, its "
				"arguments and environment (recorded by format 1.0?)\n");
		return 1;
	}
	if (recorded_program_check(tr, rp.prog.host_path, why, sizeof(why)) < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", why);
		recorded_program_free(&rp);
		return 1;
	}
	struct kreplay *r = calloc(1, sizeof(*r));
	int status = 1;
	if (!r)
		fprintf(stderr, "mmemu: replay: out of memory\n");
	else if (kreplay_init(r, &o.params, &o.tlb, &rp.prog) < 0)
		fprintf(stderr, "mmemu: replay: %s\n", r->err);
	else
		status = replay_kernel_run(tr, c, r);
	if (r)
		kreplay_destroy(r);
	free(r);
	recorded_program_free(&rp);
	return status;
}

static int replay_trace(struct trace_reader *tr, const struct replay_cli *c)
{
	struct tlb_config cfg;
	struct replay *r = calloc(1, sizeof(*r));
	char buf[64];
	uint64_t ram = 512ULL << 20;
	if (trace_header_get(tr, "ram", buf, sizeof(buf)))
		ram = strtoull(buf, NULL, 10);
	if (!r || replay_geometry(tr, c, &cfg) || replay_init(r, ram, &cfg, c->verify) < 0) {
		if (r && r->err[0])
			fprintf(stderr, "mmemu: replay: %s\n", r->err);
		free(r);
		return 2;
	}
	int status = replay_all(tr, r);
	if (!status && replay_finish(r) < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", r->err);
		status = 1;
	}
	if (!status && c->verify)
		printf("verified: %llu events, %llu translations, every TLB fill, fault and "
		       "statistic as recorded\n",
		       (unsigned long long)r->event_no, (unsigned long long)r->accesses);
	if (!status && c->stats != STATS_NONE)
		print_counters(stdout, r, c->stats);
	if (!status && c->compare && r->recorded_stats)
		print_compare(r);
	replay_destroy(r);
	free(r);
	return status;
}

static int replay_lackey(const struct replay_cli *c)
{
	struct tlb_config cfg;
	char err[256];
	uint64_t ram = 512ULL << 20;
	if (c->verify || c->compare)
		return usage_error("replay: a lackey trace has nothing recorded to verify or compare");
	if (c->ram && parse_size(c->ram, &ram) < 0)
		return usage_error("replay: -m: invalid size '%s'", c->ram);
	tlb_config_default(&cfg);
	if (c->tlb && tlb_config_parse(&cfg, c->tlb, err, sizeof(err)) < 0)
		return usage_error("replay: %s", err);
	struct lackey_replay *lr = calloc(1, sizeof(*lr));
	if (!lr || lackey_replay_init(lr, ram, &cfg) < 0 || lackey_replay_file(lr, c->file) < 0) {
		fprintf(stderr, "mmemu: replay: %s\n", lr ? lr->r.err : "out of memory");
		if (lr)
			lackey_replay_destroy(lr);
		free(lr);
		return 1;
	}
	printf("lackey: %llu accesses, %llu pages touched, %llu page faults\n",
	       (unsigned long long)lr->lines, (unsigned long long)lr->pages,
	       (unsigned long long)lr->page_faults);
	if (c->stats != STATS_NONE)
		print_counters(stdout, &lr->r, c->stats);
	lackey_replay_destroy(lr);
	free(lr);
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_cli c = {.stats = STATS_NONE};
	if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		replay_usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, &c))
		return 2;
	struct trace_reader tr;
	if (trace_reader_open(&tr, c.file) < 0) {
		bool not_trace = tr.foreign;
		if (!not_trace)
			fprintf(stderr, "mmemu: replay: %s: %s\n", c.file, tr.err);
		trace_reader_close(&tr); /* (clears tr.err) */
		return not_trace ? replay_lackey(&c) : 1;
	}
	int status = c.kernel ? replay_kernel(&tr, &c) : replay_trace(&tr, &c);
	trace_reader_close(&tr);
	return status;
}
