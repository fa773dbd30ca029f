/*
 * mmemu trace info FILE: the header of a trace, its events counted by type, and its chunk
 * index (docs/trace-format.md). Reading the whole trace also checks it: a damaged file
 * ends with one line saying where, and exit status 1.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "emu/commands.h"
#include "emu/trace.h"

static void trace_usage(FILE *f)
{
	fprintf(f, "usage: mmemu trace info FILE\n"
		   "Prints a trace's header, its events counted by type and its chunk index.\n");
}

static void print_index(const struct trace_reader *r)
{
	uint64_t raw = 0, comp = 0;
	for (size_t i = 0; i < r->index_len; i++) {
		raw += r->index[i].raw_len;
		comp += r->index[i].comp_len;
	}
	printf("index: %zu chunks, %llu bytes of events, %llu compressed", r->index_len,
	       (unsigned long long)raw, (unsigned long long)comp);
	if (r->index_len)
		printf(" (ratio %.2f); first chunk at offset %llu, last at %llu, %llu events in the last",
		       comp ? (double)raw / (double)comp : 0.0,
		       (unsigned long long)r->index[0].offset,
		       (unsigned long long)r->index[r->index_len - 1].offset,
		       (unsigned long long)r->index[r->index_len - 1].nevents);
	printf("\n");
}

static int trace_info(const char *path)
{
	struct trace_reader r;
	struct trace_event ev;
	uint64_t counts[TEV_NR_TYPES] = {0}, ext[256] = {0}, run_fetches = 0, refs = 0;
	int status = 0, n;
	if (trace_reader_open(&r, path) < 0) {
		fprintf(stderr, "mmemu: %s: %s\n", path, r.err);
		trace_reader_close(&r);
		return 1;
	}
	printf("format version %u.%u\n%s", r.major, r.minor, r.header);
	while ((n = trace_reader_next(&r, &ev)) > 0) {
		counts[ev.type]++;
		if (ev.type == TEV_EXT)
			ext[ev.sub]++;
		if (ev.type == TEV_EXT && ev.sub == TEXT_FETCH_RUN)
			run_fetches += ev.a;
		if (ev.type == TEV_EXT && ev.sub == TEXT_PAGE_REF)
			refs += ev.a;
	}
	printf("events: %llu in %llu chunks\n", (unsigned long long)r.nevents,
	       (unsigned long long)r.nchunks);
	for (unsigned t = 0; t < TEV_EXT; t++)
		if (counts[t])
			printf("  %-10s %llu\n", trace_type_name(t), (unsigned long long)counts[t]);
	for (unsigned t = 0; t < 256; t++) /* EXT events by subtype */
		if (ext[t])
			printf("  %-10s %llu\n", trace_ext_name(t), (unsigned long long)ext[t]);
	if (run_fetches)
		printf("fetches in fetch runs: %llu\n", (unsigned long long)run_fetches);
	if (r.minor < 3) /* what the viewer and replay --kernel --verify go by */
		printf("frame counts: not recorded (format 1.%u; 1.3 added page_ref)\n", r.minor);
	else if (refs)
		printf("frame counts in page_ref events: %llu\n", (unsigned long long)refs);
	/* Per translation: every ACCESS, and every fetch a FETCH_RUN stands for. */
	uint64_t acc = counts[TEV_ACCESS] + run_fetches;
	struct stat st;
	if (acc && stat(path, &st) == 0)
		printf("bytes per access: %.2f\n", (double)st.st_size / (double)acc);
	if (n < 0) {
		fprintf(stderr, "mmemu: %s: %s\n", path, r.err);
		status = 1;
	} else if (r.closed) {
		print_index(&r);
	} else {
		printf("index: none (the trace was not closed; read up to its last complete chunk)\n");
	}
	trace_reader_close(&r);
	return status;
}

int cmd_trace(int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		trace_usage(stdout);
		return 0;
	}
	if (argc != 2 || strcmp(argv[0], "info")) {
		trace_usage(stderr);
		return 2;
	}
	return trace_info(argv[1]);
}
