/*
 * The program a trace recorded, as its header names it (docs/trace-format.md: program,
 * program_id, filename, arg<i>, env_lengths), made ready for an exec through the kernel
 * (emu/replay_kernel.h): `mmemu replay --kernel` and the trace viewer's address space
 * both exec it again.
 */
#ifndef EMU_REPLAY_PROGRAM_H
#define EMU_REPLAY_PROGRAM_H

#include <stddef.h>

#include "emu/replay_kernel.h"

struct trace_reader;

/* The recorded program, arguments and environment (header strings, malloc'd). */
struct recorded_program {
	struct kreplay_program prog; /* what kreplay_init execs */
	char *strings[2 + 2 * 256];  /* every string allocated */
	int nstrings;
	const char *argv[256], *envp[256];
};

/* Fills rp (zeroed by the caller) from the header of tr: the path, the name it was run by,
 * the arguments, and an environment of strings of the recorded lengths (the strings' bytes
 * are not recorded; their sizes shape the stack). -1 when the header lacks what an exec
 * needs (format 1.0). recorded_program_free is needed either way. */
int recorded_program_load(const struct trace_reader *tr, struct recorded_program *rp);
void recorded_program_free(struct recorded_program *rp);

/* The program at path must be the recorded one (size and CRC-32 of program_id), else its
 * exec would lay out another address space. 0 (also when the header has no program_id),
 * or -1 with a reason in err. */
int recorded_program_check(const struct trace_reader *tr, const char *path, char *err,
			   size_t errlen);

#endif /* EMU_REPLAY_PROGRAM_H */
