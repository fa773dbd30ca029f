/* Replaying Valgrind lackey traces (emu/trace_lackey.c). */
#ifndef EMU_TRACE_LACKEY_H
#define EMU_TRACE_LACKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/replay.h"

struct lackey_replay {
	struct replay r;	/* the MMU replay it drives (no verify) */
	uint64_t ram;		/* bytes of RAM frames are given from */
	uint64_t next_frame;	/* next frame to give a touched page */
	uint64_t lines;		/* lackey access lines read */
	uint64_t pages;		/* distinct pages touched */
	uint64_t page_faults;	/* not-present faults taken (one per page touched) */
};

/* Parses one lackey line; 1 for an access (kind, modify, la, size), 0 for a line to skip
 * (Valgrind's messages), -1 for a malformed one. */
int lackey_parse_line(const char *line, unsigned *kind, bool *modify, uint64_t *la,
		      unsigned *size);

/* A fresh MMU with geometry cfg, RAM of ram bytes, a user process with nothing mapped.
 * 0 or -1 with lr->r.err. */
int lackey_replay_init(struct lackey_replay *lr, uint64_t ram, const struct tlb_config *cfg);
/* One access of size bytes (any size: each page it covers is translated). 0 or -1. */
int lackey_replay_access(struct lackey_replay *lr, uint64_t la, unsigned size, unsigned kind);
/* Reads and replays a lackey file (plain or gzip). 0 or -1 with lr->r.err. */
int lackey_replay_file(struct lackey_replay *lr, const char *path);
void lackey_replay_destroy(struct lackey_replay *lr);

#endif /* EMU_TRACE_LACKEY_H */
