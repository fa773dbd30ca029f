/*
 * Recording a run into a trace (`mmemu run --trace FILE`): the MMU's tracer callback
 * (mmu/trace.h) turned into trace events, plus the kernel-side events the entry code
 * reports (page faults handled, system calls), the final MMU statistics and the end.
 */
#ifndef EMU_TRACE_RECORD_H
#define EMU_TRACE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/trace.h"
#include "emu/trace_pipe.h"
#include "kernel-sim/trace_kmem.h"
#include "kernel-sim/trace_mm.h"
#include "mmu/trace.h"

struct machine;
struct run_options;

/* The MMU state a KEYFRAME carries and a MODE event follows. */
struct trace_mode_state {
	uint64_t cr0, cr3, cr4, efer; /* control registers */
	uint8_t cpl;		      /* CPL 0..3 */
	bool ac;		      /* RFLAGS.AC */
};

/* Recorder options (trace_record_start_with); zeroes are the defaults. */
struct trace_record_opts {
	bool inline_writer;  /* encode, compress and write in the recording thread (else a
				writer thread does, while the run goes on) */
	size_t block_size;   /* bytes of records handed over at once (0: TRACE_PIPE_BLOCK;
				at least TRACE_RECORD_BLOCK_MIN) */
	unsigned nblocks;    /* blocks in the hand-over ring (0: TRACE_PIPE_BLOCKS; >= 2) */
};

/* The smallest block: the largest record (a STATS text and its event) fits in one. */
#define TRACE_RECORD_BLOCK_MIN (TRACE_TEXT_MAX + 1024u)

/*
 * A recording runs in two halves. The recording thread (the machine's) turns each
 * tracepoint into a compact record, appended to the pipe: the MMU's batches as they are,
 * other events as a struct trace_event's used fields and their text; and before a record,
 * the MMU's mode state when it changed. The writer thread turns the records, in order,
 * into the file's events (trace_record_write.c): the delta coding, the keyframes that
 * start chunks and the MODE events, zlib and the disk. What it writes is a function of
 * the records alone, so the file is the same byte for byte with or without the thread.
 */
struct trace_recorder {
	/* ---- recording thread ---- */
	struct trace_pipe pipe;	   /* records to the writer */
	struct trace_mode_state sent; /* the mode state last put into a record */
	bool sent_valid;	   /* one was */
	bool batch_live;	   /* the MMU writes its batches into the pipe, at batch_at */
	uint8_t *batch_at;	   /* where the MMU's batch record goes: its entries follow the
				      record's head; nothing else is appended meanwhile (the
				      MMU's batch is empty whenever anything else is) */
	struct mmu_tracer tracer;  /* attached to the machine's MMU while recording */
	struct mmu *mmu;	   /* that MMU */
	struct kmem_tracer kmem;   /* attached to the machine's kernel while recording */
	struct kernel *kernel;	   /* that kernel */
	struct machine *machine;   /* the machine (its statistics at the end) */
	struct mm_tracer mm;	   /* address-space tracepoints, attached with kmem */
	bool user_started;	   /* the program's exec is done (its EXEC event written) */
	const void **files;	   /* inodes already described by a FILE event; id = index + 1 */
	size_t nfiles, files_cap;  /* entries used and allocated */
	bool sys_own;		   /* in a system call whose work no other event describes
				      (not an address-space call), after exec */
	unsigned uaccess_depth;	   /* inside a uaccess's faults (a replay repeats those) */
	bool own_marked;	   /* the last SYS_WORK event written said "begins" */
	/* Reference counts (PAGE_REF events): the frames whose counts the kernel touched
	 * since the last return to user mode, and the counts last written for each frame. */
	unsigned long nr_frames;   /* frames of RAM (max_pfn) */
	uint8_t *ref_dirty;	   /* [nr_frames / 8]: frame is in ref_list */
	uint32_t *ref_list;	   /* [nr_frames]: the frames touched, nref of them */
	size_t nref;
	int32_t *ref_last;	   /* [2 * nr_frames]: refcount, mapcount last written (at the
				      start: the machine's) */
	struct trace_page_ref *ref_out; /* [TRACE_PAGE_REF_MAX]: one event's entries */
	uint64_t page_ref_entries; /* frames' counts written */
	/* ---- writer thread (the recording thread's once the pipe is drained) ---- */
	char *header;		   /* the header text until the writer thread has written it
				      (write_header), then NULL */
	struct trace_writer w;	   /* the file */
	struct trace_mode_state mode; /* the MMU's mode state as of the record being written */
	uint8_t cpl;		   /* CPL of the last MODE event */
	bool ac;		   /* RFLAGS.AC of the last MODE event */
	bool mode_known;	   /* a MODE event was written in this chunk */
	uint64_t counts[TEV_NR_TYPES]; /* events written, per type */
};

/* The identity of a file a replay needs again: its size and the CRC-32 of its bytes.
 * 0, or -1 when it cannot be read. */
int trace_file_identity(const char *path, uint64_t *size, uint32_t *crc);

/* The value of the header's program_id line as trace_header_format leaves it: the writer
 * thread of trace_record_start reads the program and writes its size and CRC-32 there
 * (or leaves the line out when the program cannot be read), so that the run does not
 * wait for it. No file holds it. */
#define TRACE_PROGRAM_ID_PENDING "pending"

/* Writes the header (the machine's settings, the program and its arguments) into buf:
 * key=value lines, docs/trace-format.md, with program_id pending (above): for
 * trace_record_start. */
void trace_header_format(char *buf, size_t len, const struct machine *m,
			 const struct run_options *o);

/* Creates path with header text and attaches to m's MMU, with a writer thread. 0 or -1
 * with err. rec stays where it is until trace_record_finish: the writer thread uses it. */
int trace_record_start(struct trace_recorder *rec, struct machine *m, const char *path,
		       const char *header, char *err, size_t errlen);
/* The same with options o (NULL: the defaults). */
int trace_record_start_with(struct trace_recorder *rec, struct machine *m, const char *path,
			    const char *header, const struct trace_record_opts *o, char *err,
			    size_t errlen);
/* The events written into the trace so far (every record handed to the writer, which
 * this waits for): the event number the next one will have. Keyframes and MODE events
 * count, so this is a position in the file's stream of events. */
uint64_t trace_record_events(struct trace_recorder *rec);
/* The kernel's handling of a #PF at la with error, and its outcome (enum trace_pf_outcome). */
void trace_record_pf_done(struct trace_recorder *rec, uint64_t la, uint32_t error,
			  unsigned outcome);
/* A system call nr returned ret. */
/* An exception other than #PF (and INT 0x80) that the kernel handled: vector, error code
 * (0 when it has none), the RIP of its frame (the instruction's, or the next one's for a
 * trap such as #BP), and the signal the kernel queued (0). */
void trace_record_exception(struct trace_recorder *rec, unsigned vector, uint32_t error,
			    uint64_t rip, int sig);
void trace_record_syscall(struct trace_recorder *rec, uint64_t nr, uint64_t ret);
/* The kernel is about to return to user mode (after kswapd and signal delivery): the counts
 * of the frames whose _refcount or _mapcount changed since the last call, as PAGE_REF
 * events (none when nothing changed). */
void trace_record_page_refs(struct trace_recorder *rec);
/* Writes the statistics and the END event (how: enum run_result, status), detaches, closes.
 * 0 or -errno of the first write error. */
int trace_record_finish(struct trace_recorder *rec, int how, int status);

#endif /* EMU_TRACE_RECORD_H */
