/*
 * The recorded program from a trace's header (see emu/replay_program.h).
 */
#include "emu/replay_program.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/trace.h"
#include "emu/trace_record.h"

static char *header_string(const struct trace_reader *tr, struct recorded_program *rp,
			   const char *key)
{
	char buf[4096];
	if (!trace_header_get(tr, key, buf, sizeof(buf)) ||
	    rp->nstrings == (int)(sizeof(rp->strings) / sizeof(rp->strings[0])))
		return NULL;
	char *s = strdup(buf);
	if (s)
		rp->strings[rp->nstrings++] = s;
	return s;
}

/* An environment of strings of the recorded lengths ("12,40,7"), the recorded one's stand-in
 * (the strings' bytes are not recorded; their sizes shape the stack). The number of
 * strings, or -1 when the list is malformed. */
static int stand_in_environment(struct recorded_program *rp, const char *lens)
{
	int n = 0;
	for (const char *p = lens; *p && n < 256;) {
		char *end;
		unsigned long len = strtoul(p, &end, 10);
		if (end == p || len > 131072 || (*end && *end != ',') ||
		    rp->nstrings == (int)(sizeof(rp->strings) / sizeof(rp->strings[0])))
			return -1;
		char *s = malloc(len + 1);
		if (!s)
			return -1;
		memset(s, 'x', len);
		s[len] = '\0';
		rp->strings[rp->nstrings++] = s;
		rp->envp[n++] = s;
		p = *end ? end + 1 : end;
	}
	return n;
}

int recorded_program_load(const struct trace_reader *tr, struct recorded_program *rp)
{
	char buf[32], key[32];
	rp->prog.host_path = header_string(tr, rp, "program");
	rp->prog.filename = header_string(tr, rp, "filename");
	int argc = trace_header_get(tr, "argc", buf, sizeof(buf)) ? atoi(buf) : -1;
	char *lens = header_string(tr, rp, "env_lengths");
	if (!rp->prog.host_path || !rp->prog.filename || argc < 1 || argc > 64 || !lens)
		return -1;
	for (int i = 0; i < argc; i++) {
		snprintf(key, sizeof(key), "arg%d", i);
		if (!(rp->argv[i] = header_string(tr, rp, key)))
			return -1;
	}
	int envc = stand_in_environment(rp, lens);
	if (envc < 0)
		return -1;
	rp->prog.argc = argc;
	rp->prog.envc = envc;
	rp->prog.argv = rp->argv;
	rp->prog.envp = rp->envp;
	return 0;
}

void recorded_program_free(struct recorded_program *rp)
{
	for (int i = 0; i < rp->nstrings; i++)
		free(rp->strings[i]);
	rp->nstrings = 0;
}

int recorded_program_check(const struct trace_reader *tr, const char *path, char *err,
			   size_t errlen)
{
	char want[64], got[64];
	uint64_t size;
	uint32_t crc;
	if (!trace_header_get(tr, "program_id", want, sizeof(want)))
		return 0; /* not recorded: the exec event's check remains */
	if (trace_file_identity(path, &size, &crc) < 0) {
		snprintf(err, errlen, "cannot exec the recorded program: %s cannot be read", path);
		return -1;
	}
	snprintf(got, sizeof(got), "%llu %08x", (unsigned long long)size, crc);
	if (strcmp(want, got)) {
		snprintf(err, errlen,
			 "the program at %s is not the one recorded (size and CRC-32 %s recorded, "
			 "%s now)",
			 path, want, got);
		return -1;
	}
	return 0;
}
