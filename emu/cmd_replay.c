/*
 * mmemu replay [--verify] [--tlb SPEC] [--stats[=json]] [--compare] FILE
 *
 * Replays a trace recorded with `mmemu run --trace` through the MMU model (emu/replay.h):
 * under the recorded TLB geometry, or with --tlb items applied over it (a what-if study),
 * printing the same MMU statistics as `mmemu run --stats`. --verify checks that the replay
 * reproduces every recorded TLB fill, eviction, physical address and fault, and the final
 * statistics; the first difference is reported and the exit status is 1.
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
#include "emu/stats.h"
#include "emu/trace.h"
#include "emu/trace_lackey.h"

struct replay_cli {
	bool verify;		 /* --verify */
	bool compare;		 /* --compare */
	enum stats_format stats; /* --stats[=json] */
	const char *tlb;	 /* --tlb SPEC, applied over the recorded geometry */
	const char *ram;	 /* -m SIZE (lackey imports only) */
	const char *file;	 /* the trace */
};

static void replay_usage(FILE *f)
{
	fprintf(f, "usage: mmemu replay [options] FILE\n"
		   "Replays a trace (mmemu run --trace, or a Valgrind lackey trace) through the MMU.\n\n"
		   "options:\n"
		   "  --verify                check that the replay reproduces every recorded event\n"
		   "  --tlb SPEC              TLB geometry items applied over the recorded one\n"
		   "  -m SIZE                 RAM of the machine a lackey trace runs on (default 512M)\n"
		   "  --stats[=text|json]     print the replay's statistics (stdout)\n"
		   "  --compare               print recorded and replayed figures side by side\n");
}

static int parse_args(int argc, char **argv, struct replay_cli *c)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--verify"))
			c->verify = true;
		else if (!strcmp(a, "--compare"))
			c->compare = true;
		else if (!strcmp(a, "--stats") || !strcmp(a, "--stats=text"))
			c->stats = STATS_TEXT;
		else if (!strcmp(a, "--stats=json"))
			c->stats = STATS_JSON;
		else if (!strcmp(a, "--tlb") && val)
			c->tlb = argv[++i];
		else if (!strcmp(a, "-m") && val)
			c->ram = argv[++i];
		else if (a[0] == '-' && a[1])
			return usage_error("replay: unknown or incomplete option '%s' (replay models "
					   "the MMU: -m applies to lackey imports, --tlb to all)", a);
		else if (c->file)
			return usage_error("replay: more than one trace given");
		else
			c->file = a;
	}
	if (!c->file)
		return usage_error("replay: no trace given (try mmemu replay --help)");
	if (c->verify && c->tlb)
		return usage_error("replay: --verify replays under the recorded settings; drop --tlb");
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
	const char *names[] = {"accesses",	   "faults",	      "pgfault_recorded",
			       "syscalls_recorded", "pgalloc_recorded", "pgfree_recorded"};
	unsigned long long v[] = {r->accesses, r->faults,      r->pf_done,
				  r->syscalls, r->page_allocs, r->page_frees};
	if (fmt == STATS_JSON) {
		fprintf(out, "{\"replay\": {");
		for (int i = 0; i < 6; i++)
			fprintf(out, "%s\"%s\": %llu", i ? ", " : "", names[i], v[i]);
		fprintf(out, "}, \"mmu\": ");
		mmu_stats_json(&r->mmu, out);
		fprintf(out, "}\n");
		return;
	}
	fprintf(out, "--- mmemu replay statistics ---\n");
	for (int i = 0; i < 6; i++)
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

/* --compare: every numeric statistic, recorded and replayed, with replayed/recorded. */
static void print_compare(const struct replay *r)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	mmu_stats_print(&r->mmu, f);
	fclose(f);
	printf("%-40s %14s %14s %8s\n", "statistic", "recorded", "replayed", "ratio");
	for (const char *l = text; l && *l;) {
		size_t nlen = strcspn(l, " \n");
		double rec, rep;
		if (stat_value(l, l, nlen, &rep) && stat_value(r->recorded_stats, l, nlen, &rec)) {
			printf("%-40.*s %14.0f %14.0f ", (int)nlen, l, rec, rep);
			if (rec != 0)
				printf("%8.3f\n", rep / rec);
			else
				printf("%8s\n", rep == 0 ? "=" : "inf");
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
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

static int replay_trace(struct trace_reader *tr, const struct replay_cli *c)
{
	struct tlb_config cfg;
	struct replay *r = calloc(1, sizeof(*r));
	char buf[64];
	uint64_t ram = 512ULL << 20;
	if (c->ram) {
		free(r);
		return usage_error("replay: -m: replay does not drive the kernel yet, so RAM size "
				   "applies to lackey traces only");
	}
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
		trace_reader_close(&tr);
		if (not_trace)
			return replay_lackey(&c);
		fprintf(stderr, "mmemu: replay: %s: %s\n", c.file, tr.err);
		return 1;
	}
	int status = replay_trace(&tr, &c);
	trace_reader_close(&tr);
	return status;
}
