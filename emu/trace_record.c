/*
 * The recorder's recording-thread half (trace_record.h): the MMU's and the kernel's
 * tracepoints become records (trace_records.h) for the writer thread, as they happen;
 * trace_record_write.c makes the file's events of them. The records keep the order of
 * the tracepoints, and carry the MMU's mode state whenever it changed, so that the writer
 * writes the same events, keyframes and MODE events as if it were here.
 */
#include "emu/trace_record.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "emu/machine.h"
#include "emu/run.h"
#include "emu/stats.h"
#include "emu/trace_records.h"
#include "kernel-sim/bug.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"

/* Appends "key=value\n" to buf at *pos (which may pass len: the text is then cut). */
static void __attribute__((format(printf, 5, 6)))
add(char *buf, size_t len, size_t *pos, const char *key, const char *fmt, ...)
{
	if (*pos >= len)
		return;
	*pos += (size_t)snprintf(buf + *pos, len - *pos, "%s=", key);
	if (*pos >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	*pos += (size_t)vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (*pos < len)
		*pos += (size_t)snprintf(buf + *pos, len - *pos, "\n");
}

int trace_file_identity(const char *path, uint64_t *size, uint32_t *crc)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t buf[65536];
	size_t n;
	uLong c = crc32(0L, Z_NULL, 0);
	*size = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		c = crc32(c, buf, (uInt)n);
		*size += n;
	}
	int err = ferror(f);
	fclose(f);
	*crc = (uint32_t)c;
	return err ? -1 : 0;
}

void trace_header_format(char *buf, size_t len, const struct machine *m,
			 const struct run_options *o)
{
	const struct boot_params *p = &m->kernel.params;
	char tlb[512];
	size_t pos = 0;
	tlb_config_format(&m->tlb, tlb, sizeof(tlb));
	add(buf, len, &pos, "format", "mmemu-trace %d.%d", TRACE_VERSION_MAJOR, TRACE_VERSION_MINOR);
	add(buf, len, &pos, "ram", "%llu", (unsigned long long)p->ram_size);
	add(buf, len, &pos, "smp", "%d", p->nr_cpus);
	add(buf, len, &pos, "nodes", "%d", p->nr_nodes);
	for (int i = 0; i < p->nr_nodes; i++) {
		char key[32];
		snprintf(key, sizeof(key), "node%d.mem", i);
		add(buf, len, &pos, key, "%llu", (unsigned long long)p->node[i].mem);
	}
	add(buf, len, &pos, "arch", "%s", p->arch == KARCH_I386 ? "i386" : "x86_64");
	add(buf, len, &pos, "movablecore", "%llu", (unsigned long long)p->movablecore);
	add(buf, len, &pos, "min_free_kbytes", "%d", p->min_free_kbytes);
	add(buf, len, &pos, "seed", "%llu", (unsigned long long)p->seed);
	add(buf, len, &pos, "tlb", "%s", tlb);
	add(buf, len, &pos, "swap", "%llu", (unsigned long long)p->swap_size);
	add(buf, len, &pos, "zswap", "%d", p->zswap ? 1 : 0);
	add(buf, len, &pos, "program", "%s", o->host_path);
	uint64_t size;
	uint32_t crc;
	if (!strchr(o->host_path, '\n')) /* the writer thread reads it (resolve_program_id) */
		add(buf, len, &pos, "program_id", "%s", TRACE_PROGRAM_ID_PENDING);
	else if (trace_file_identity(o->host_path, &size, &crc) == 0)
		add(buf, len, &pos, "program_id", "%llu %08x", (unsigned long long)size, crc);
	const char *name = o->filename ? o->filename : o->host_path;
	add(buf, len, &pos, "filename", "%.*s", (int)strcspn(name, "\n"), name);
	add(buf, len, &pos, "argc", "%d", o->argc);
	for (int i = 0; i < o->argc && i < 64; i++) {
		char key[32];
		snprintf(key, sizeof(key), "arg%d", i);
		/* One line per argument: a newline inside one would start a new key. */
		add(buf, len, &pos, key, "%.*s", (int)strcspn(o->argv[i], "\n"), o->argv[i]);
	}
	/* The environment shapes the initial stack by its size alone: a replay through the
	 * kernel execs the program with strings of the same lengths. Only the lengths are
	 * kept, so that a trace does not carry the user's environment (tokens, paths). */
	char lens[256 * 8] = "";
	size_t lpos = 0;
	int envc = o->envc < 256 ? o->envc : 256;
	for (int i = 0; i < envc && lpos < sizeof(lens); i++)
		lpos += (size_t)snprintf(lens + lpos, sizeof(lens) - lpos, "%s%zu", i ? "," : "",
					 strlen(o->envp[i]));
	add(buf, len, &pos, "env_lengths", "%s", lens);
	if (pos >= len)
		buf[len - 1] = '\0';
}

/* The line of text that starts with prefix (at the start of text or after a newline), or
 * NULL. */
static char *find_line(char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, n))
			return p;
	return NULL;
}

/* The longest "program_id=SIZE CRC\n" line. */
#define PROGRAM_ID_LINE_MAX 48

/*
 * Makes the header's pending "program_id" line the identity of the file its "program"
 * line names (its size and the CRC-32 of its bytes), or takes the line out when that
 * file cannot be read or the header would grow past TRACE_HEADER_MAX: in place, in a
 * buffer with room for PROGRAM_ID_LINE_MAX more bytes. Reading a whole program is about
 * a millisecond of a run of a few: the writer thread does it, before its first block,
 * while the run goes on (trace_record_start).
 */
static void resolve_program_id(char *header)
{
	char *line = find_line(header, "program_id=" TRACE_PROGRAM_ID_PENDING "\n");
	const char *prog = find_line(header, "program=");
	if (!line)
		return;
	char *rest = line + strlen("program_id=" TRACE_PROGRAM_ID_PENDING "\n");
	char id[PROGRAM_ID_LINE_MAX] = "", path[4096];
	uint64_t size;
	uint32_t crc;
	int plen = prog ? (int)strcspn(prog + 8, "\n") : 0;
	if (prog && plen < (int)sizeof(path)) {
		snprintf(path, sizeof(path), "%.*s", plen, prog + 8);
		if (trace_file_identity(path, &size, &crc) == 0)
			snprintf(id, sizeof(id), "program_id=%llu %08x\n", (unsigned long long)size,
				 crc);
	}
	size_t idlen = strlen(id), restlen = strlen(rest);
	if ((size_t)(line - header) + idlen + restlen > TRACE_HEADER_MAX)
		idlen = 0; /* the identity does not fit: no line rather than a cut header */
	memmove(line + idlen, rest, restlen + 1);
	memcpy(line, id, idlen);
}

/* The writer thread's first work (trace_pipe_begin_fn): the file header, with the
 * program's identity. */
static void write_header(void *ctx)
{
	struct trace_recorder *rec = ctx;
	resolve_program_id(rec->header);
	trace_writer_header(&rec->w, rec->header);
	free(rec->header);
	rec->header = NULL;
}

/* ---- records (trace_records.h) ---- */

/* Room for the MMU's next batch at the end of the pipe, where its record goes: the MMU
 * writes the entries in place. After every record, while the MMU's batch is empty. */
static void give_batch_buf(struct trace_recorder *rec)
{
	if (!rec->batch_live)
		return;
	rec->batch_at = trace_pipe_reserve(&rec->pipe, TRACE_REC_BATCH_MAX);
	mmu_trace_set_batch_buf(rec->mmu, (struct mmu_trace_access *)(rec->batch_at +
								 sizeof(struct trace_rec_batch)));
}

/* Appends the n bytes reserved, and gives the MMU room after them. */
static void commit(struct trace_recorder *rec, size_t n)
{
	trace_pipe_commit(&rec->pipe, n);
	give_batch_buf(rec);
}

static struct trace_mode_state mode_of(const struct mmu *m)
{
	return (struct trace_mode_state){m->cr0, m->cr3, m->cr4, m->efer, m->cpl, m->ac};
}

/* A STATE record when the MMU's mode state differs from the last one sent: before every
 * record, so that the writer's keyframes and MODE events see what the MMU had then. */
static void note_mode(struct trace_recorder *rec, const struct mmu *m)
{
	struct trace_mode_state *s = &rec->sent;
	if (rec->sent_valid && s->cpl == m->cpl && s->ac == m->ac && s->cr3 == m->cr3 &&
	    s->cr0 == m->cr0 && s->cr4 == m->cr4 && s->efer == m->efer)
		return;
	*s = mode_of(m);
	rec->sent_valid = true;
	struct trace_rec_state *r = (void *)trace_pipe_reserve(&rec->pipe, sizeof(*r));
	*r = (struct trace_rec_state){{sizeof(*r), TREC_STATE, 0}, *s};
	trace_pipe_commit(&rec->pipe, sizeof(*r)); /* the record that follows gives room */
}

/* The bytes of ev that can be other than zero (the rest of a struct built with an
 * initializer is), so that a record carries no more of it than it needs. */
static size_t event_len(const struct trace_event *ev)
{
	if (ev->type == TEV_WALK)
		return offsetof(struct trace_event, arg);
	if (ev->type == TEV_TLB_FILL)
		return offsetof(struct trace_event, step);
	if (ev->type == TEV_EXT && ev->sub == TEXT_MM_OP)
		return sizeof(*ev);
	return offsetof(struct trace_event, fill);
}

/* Appends ev with its text and PAGE_REF entries as an EVENT record. */
static void put_raw(struct trace_recorder *rec, const struct trace_event *ev)
{
	note_mode(rec, rec->mmu);
	size_t ev_len = event_len(ev);
	uint32_t text_len = ev->text ? ev->text_len : 0;
	uint32_t nrefs = ev->refs ? (uint32_t)ev->a : 0;
	size_t len = sizeof(struct trace_rec_event) + trace_rec_align(ev_len) +
		     trace_rec_align(text_len) + nrefs * sizeof(*ev->refs);
	BUG_ON(len > rec->pipe.block_size);
	uint8_t *p = trace_pipe_reserve(&rec->pipe, len);
	*(struct trace_rec_event *)p = (struct trace_rec_event){
	    {(uint32_t)len, TREC_EVENT, 0}, (uint32_t)ev_len, text_len, nrefs, 0};
	p += sizeof(struct trace_rec_event);
	memcpy(p, ev, ev_len);
	p += trace_rec_align(ev_len);
	if (text_len)
		memcpy(p, ev->text, text_len);
	p += trace_rec_align(text_len);
	if (nrefs)
		memcpy(p, ev->refs, nrefs * sizeof(*ev->refs));
	commit(rec, len);
}

/* Writes ev after the fetches and translations the MMU has not told yet: they came first. */
static void put(struct trace_recorder *rec, const struct trace_event *ev)
{
	mmu_trace_sync(rec->mmu);
	put_raw(rec, ev);
}

static void put_translation(struct trace_recorder *rec, const struct mmu *m, unsigned type,
			    unsigned flags, unsigned size, uint64_t la, uint64_t pa)
{
	note_mode(rec, m);
	struct trace_rec_translation *r = (void *)trace_pipe_reserve(&rec->pipe, sizeof(*r));
	*r = (struct trace_rec_translation){{sizeof(*r), TREC_TRANSLATION, 0}, la, pa,
					    (uint8_t)type, (uint8_t)flags, (uint8_t)size};
	commit(rec, sizeof(*r));
}

static void put_fetch_run(struct trace_recorder *rec, const struct mmu *m, uint64_t la,
			  uint64_t pa, uint64_t count)
{
	note_mode(rec, m);
	struct trace_rec_fetch_run *r = (void *)trace_pipe_reserve(&rec->pipe, sizeof(*r));
	*r = (struct trace_rec_fetch_run){{sizeof(*r), TREC_FETCH_RUN, 0}, la, pa, count};
	commit(rec, sizeof(*r));
}

static void on_walk(struct trace_recorder *rec, const struct mmu_event *e)
{
	struct trace_event ev = {.type = TEV_WALK, .la = e->la,
				 .nsteps = (uint8_t)e->walk->nr_steps};
	memcpy(ev.step, e->walk->step, sizeof(ev.step[0]) * ev.nsteps);
	put(rec, &ev);
}

static void on_fill(struct trace_recorder *rec, const struct mmu_event *e)
{
	struct trace_event ev = {.type = TEV_TLB_FILL, .array = e->array, .fill = *e->entry,
				 .evicted = e->evicted != NULL};
	if (e->evicted)
		ev.victim = *e->evicted;
	put(rec, &ev);
}

/* The MMU's tracer callback. */
static void on_event(void *ctx, const struct mmu *m, const struct mmu_event *e)
{
	struct trace_recorder *rec = ctx;
	switch (e->type) {
	case MMU_EV_ACCESS:
		put_translation(rec, m, TEV_ACCESS, e->flags, e->size, e->la, e->pa);
		break;
	case MMU_EV_FAULT:
		put_translation(rec, m, TEV_FAULT, e->flags, 0, e->la,
				(uint64_t)e->vector << 32 | e->error_code);
		break;
	case MMU_EV_WALK: on_walk(rec, e); break;
	case MMU_EV_TLB_FILL: on_fill(rec, e); break;
	case MMU_EV_CR: put(rec, &(struct trace_event){.type = TEV_CR, .a = e->a, .b = e->b}); break;
	case MMU_EV_INVLPG: put(rec, &(struct trace_event){.type = TEV_INVLPG, .la = e->la}); break;
	case MMU_EV_INVPCID:
		put(rec, &(struct trace_event){.type = TEV_INVPCID, .a = e->a, .b = e->b, .la = e->la});
		break;
	case MMU_EV_FEATURES:
		put(rec, &(struct trace_event){.type = TEV_FEATURES, .a = e->a, .b = e->b});
		break;
	case MMU_EV_FETCH_RUN: put_fetch_run(rec, m, e->la, e->pa, e->a); break;
	}
}

/* The MMU's batches of translations and fetch runs (mmu/trace.h), with the mode they
 * were made in (the MMU hands a batch over before CPL or AC change). The MMU wrote the
 * entries into the pipe already (give_batch_buf), unless the batch is its own buffer's
 * (the first, made before the recorder gave it room). */
static void on_batch(void *ctx, const struct mmu *m, const struct mmu_trace_access *a,
		     unsigned n)
{
	struct trace_recorder *rec = ctx;
	size_t len = sizeof(struct trace_rec_batch) + n * sizeof(*a);
	struct trace_rec_batch *r = (void *)rec->batch_at;
	if (!r || a != (const struct mmu_trace_access *)(r + 1)) {
		r = (void *)trace_pipe_reserve(&rec->pipe, len);
		memcpy(r + 1, a, n * sizeof(*a));
	}
	rec->sent = mode_of(m);
	rec->sent_valid = true;
	*r = (struct trace_rec_batch){{(uint32_t)len, TREC_BATCH, (uint16_t)n}, rec->sent};
	rec->batch_at = NULL;
	commit(rec, len);
}

/* A SYS_WORK event when whether page events are a system call's own work changed since the
 * last one: the blocks that call allocates for itself (a /proc file's text, a pipe's
 * buffer, its slab pages), which a replay through the kernel repeats as blocks alone. */
static void mark_own(struct trace_recorder *rec)
{
	bool own = rec->sys_own && rec->uaccess_depth == 0;
	if (own == rec->own_marked)
		return;
	rec->own_marked = own;
	put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_SYS_WORK, .a = own});
}

static void on_page_alloc(void *ctx, unsigned long pfn, unsigned order, gfp_t gfp,
			  int migratetype, int nid, int zone, int owner)
{
	mark_own(ctx);
	put(ctx, &(struct trace_event){.type = TEV_PAGE, .a = pfn, .b = order, .c = gfp,
				       .d = (uint64_t)owner, .cpl = (uint8_t)migratetype,
				       .ac = (uint8_t)zone, .vector = (uint8_t)nid});
}

static void on_page_free(void *ctx, unsigned long pfn, unsigned order)
{
	put(ctx, &(struct trace_event){.type = TEV_PAGE, .a = pfn, .b = order, .evicted = true});
}

/* ---- reference counts (PAGE_REF) ---- */

/* The page_ref tracepoint: pfn's counts changed; they are read and written, if they differ
 * from the last ones written, at the next return to user mode. */
static void on_page_ref(void *ctx, unsigned long pfn)
{
	struct trace_recorder *rec = ctx;
	if (pfn >= rec->nr_frames || (rec->ref_dirty[pfn >> 3] >> (pfn & 7) & 1))
		return;
	rec->ref_dirty[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
	rec->ref_list[rec->nref++] = (uint32_t)pfn;
}

/* The frames' counts as the recording starts: what the first PAGE_REF events change. */
static int page_refs_start(struct trace_recorder *rec, const struct kernel *k)
{
	unsigned long n = k->max_pfn;
	rec->nr_frames = n;
	rec->ref_dirty = calloc(n / 8 + 1, 1);
	rec->ref_list = malloc((n ? n : 1) * sizeof(*rec->ref_list));
	rec->ref_last = malloc((n ? n : 1) * 2 * sizeof(*rec->ref_last));
	rec->ref_out = malloc(TRACE_PAGE_REF_MAX * sizeof(*rec->ref_out));
	if (!rec->ref_dirty || !rec->ref_list || !rec->ref_last || !rec->ref_out)
		return -1;
	/* Section by section: inside one the struct pages follow each other (pfn_to_page),
	 * so each frame costs two loads and two stores, not a look-up (this is done before
	 * the run, which waits for it: 128 K frames for the default 512 MiB). */
	for (unsigned long pfn = 0; pfn < n;) {
		unsigned long end = (pfn | (PAGES_PER_SECTION - 1)) + 1;
		const struct page *page = pfn_to_page(k, pfn);
		for (end = end < n ? end : n; pfn < end; pfn++, page++) {
			rec->ref_last[2 * pfn] = page_count(page);
			rec->ref_last[2 * pfn + 1] = page_mapcount(page);
		}
	}
	return 0;
}

static void page_refs_free(struct trace_recorder *rec)
{
	free(rec->ref_dirty);
	free(rec->ref_list);
	free(rec->ref_last);
	free(rec->ref_out);
	rec->ref_dirty = NULL;
	rec->ref_list = NULL;
	rec->ref_last = NULL;
	rec->ref_out = NULL;
}

static int cmp_pfn(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void put_page_refs(struct trace_recorder *rec, size_t n)
{
	if (n)
		put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_PAGE_REF, .a = n,
					       .refs = rec->ref_out});
	rec->page_ref_entries += n;
}

void trace_record_page_refs(struct trace_recorder *rec)
{
	if (!rec->nref)
		return;
	const struct kernel *k = rec->kernel;
	size_t out = 0;
	qsort(rec->ref_list, rec->nref, sizeof(*rec->ref_list), cmp_pfn);
	for (size_t i = 0; i < rec->nref; i++) {
		uint32_t pfn = rec->ref_list[i];
		rec->ref_dirty[pfn >> 3] &= (uint8_t)~(1u << (pfn & 7));
		const struct page *page = pfn_to_page(k, pfn);
		int32_t ref = page_count(page), map = page_mapcount(page);
		int32_t *last = &rec->ref_last[2 * (size_t)pfn];
		if (ref == last[0] && map == last[1])
			continue; /* back where it was (a get_page and a put_page) */
		last[0] = ref;
		last[1] = map;
		rec->ref_out[out++] = (struct trace_page_ref){pfn, ref, map};
		if (out == TRACE_PAGE_REF_MAX) {
			put_page_refs(rec, out);
			out = 0;
		}
	}
	rec->nref = 0;
	put_page_refs(rec, out);
}

/* ---- address-space events (kernel-sim/trace_mm.h) ---- */

static void on_exec(void *ctx, const struct task_struct *t)
{
	struct trace_recorder *rec = ctx;
	const struct mm_struct *mm = t->mm;
	rec->user_started = true;
	put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_EXEC, .a = mm->start_code,
				       .b = mm->start_brk, .c = mm->start_stack,
				       .d = mm->mmap_base, .la = (uint64_t)mm->map_count});
	trace_record_page_refs(rec); /* the exec's: it enters user mode next */
}

/* The id of file's inode, describing it in a FILE event the first time. 0 when out of
 * memory (the MM_OP then names no file). */
static uint64_t file_id(struct trace_recorder *rec, const struct file *file)
{
	const struct inode *inode = file->f_inode;
	for (size_t i = 0; i < rec->nfiles; i++)
		if (rec->files[i] == inode)
			return i + 1;
	if (rec->nfiles == rec->files_cap) {
		size_t cap = rec->files_cap ? rec->files_cap * 2 : 16;
		const void **f = realloc(rec->files, cap * sizeof(*f));
		if (!f)
			return 0;
		rec->files = f;
		rec->files_cap = cap;
	}
	rec->files[rec->nfiles++] = inode;
	const char *name = file->f_path ? file->f_path : "";
	size_t n = strlen(name);
	put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_FILE, .a = rec->nfiles,
				       .b = inode->i_size,
				       .c = file_is_shmem(file) ? TRACE_FILE_SHMEM : TRACE_FILE_REGULAR,
				       .text = name,
				       .text_len = (uint32_t)(n < TRACE_NAME_MAX ? n : TRACE_NAME_MAX)});
	return rec->nfiles;
}

static const uint8_t mm_op_nargs[MM_OP_NR] = {
	[MM_OP_MMAP] = 5,    [MM_OP_MUNMAP] = 2, [MM_OP_MPROTECT] = 3, [MM_OP_MREMAP] = 5,
	[MM_OP_MADVISE] = 3, [MM_OP_MLOCK] = 3,	 [MM_OP_MUNLOCK] = 2,  [MM_OP_BRK] = 1,
	[MM_OP_MLOCKALL] = 1, [MM_OP_MUNLOCKALL] = 0,
};

static void on_mm_op(void *ctx, unsigned op, const uint64_t *args, const struct file *file,
		     int64_t ret)
{
	struct trace_recorder *rec = ctx;
	if (!rec->user_started || op >= MM_OP_NR)
		return;
	struct trace_event ev = {.type = TEV_EXT, .sub = TEXT_MM_OP, .a = op, .b = (uint64_t)ret,
				 .c = file ? file_id(rec, file) : 0, .nsteps = mm_op_nargs[op]};
	if (ev.nsteps)
		memcpy(ev.arg, args, sizeof(ev.arg[0]) * ev.nsteps);
	put(rec, &ev);
}

static void on_uaccess(void *ctx, const struct mm_struct *mm, uint64_t addr, bool write)
{
	struct trace_recorder *rec = ctx;
	(void)mm;
	rec->uaccess_depth++;
	if (rec->user_started)
		put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_UACCESS, .la = addr,
					       .flags = write ? MMU_WRITE : MMU_READ});
}

static void on_uaccess_done(void *ctx)
{
	struct trace_recorder *rec = ctx;
	if (rec->uaccess_depth)
		rec->uaccess_depth--;
}

static void on_sys_enter(void *ctx, bool mm_op)
{
	struct trace_recorder *rec = ctx;
	rec->sys_own = rec->user_started && !mm_op;
}

static void on_sys_exit(void *ctx)
{
	struct trace_recorder *rec = ctx;
	rec->sys_own = false;
}

static void on_lru_move(void *ctx, unsigned long pfn, unsigned from, unsigned to)
{
	put(ctx, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_LRU, .a = pfn, .b = from, .c = to});
}

static void on_reclaim(void *ctx, unsigned kind, int nid, unsigned long scanned,
		       unsigned long reclaimed)
{
	put(ctx, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_RECLAIM, .a = kind,
				       .b = (uint64_t)nid, .c = scanned, .d = reclaimed});
}

static void on_swap(void *ctx, bool in, unsigned long pfn, uint64_t entry)
{
	put(ctx, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_SWAP, .a = pfn, .b = entry,
				       .evicted = in});
}

static void on_sched_switch(void *ctx, int prev, int next)
{
	put(ctx, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_SCHED, .a = (uint64_t)prev,
				       .b = (uint64_t)next});
}

/* The file, then the pipe to the writer thread, whose first work is the file's header
 * (write_header). 0 or -1 with err (and nothing to undo). */
static int open_output(struct trace_recorder *rec, const char *path, const char *header,
		       const struct trace_record_opts *o, char *err, size_t errlen)
{
	size_t block = o->block_size ? o->block_size : TRACE_PIPE_BLOCK;
	unsigned nblocks = o->nblocks ? o->nblocks : TRACE_PIPE_BLOCKS;
	size_t hlen = strlen(header);
	if (block < TRACE_RECORD_BLOCK_MIN)
		block = TRACE_RECORD_BLOCK_MIN;
	if (nblocks < 2)
		nblocks = 2;
	if (hlen > TRACE_HEADER_MAX) {
		snprintf(err, errlen, "%s: trace header too long", path);
		return -1;
	}
	if (!(rec->header = malloc(hlen + PROGRAM_ID_LINE_MAX + 1))) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	memcpy(rec->header, header, hlen + 1);
	if (trace_writer_create(&rec->w, path, err, errlen) < 0)
		goto out_header;
	if (trace_pipe_start(&rec->pipe, block, nblocks, !o->inline_writer, write_header,
			     trace_record_write, rec) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out_file;
	}
	return 0;
out_file:
	trace_writer_abandon(&rec->w); /* an empty file stays: path may be a device */
out_header:
	free(rec->header);
	rec->header = NULL;
	return -1;
}

int trace_record_start(struct trace_recorder *rec, struct machine *m, const char *path,
		       const char *header, char *err, size_t errlen)
{
	return trace_record_start_with(rec, m, path, header, NULL, err, errlen);
}

int trace_record_start_with(struct trace_recorder *rec, struct machine *m, const char *path,
			    const char *header, const struct trace_record_opts *o, char *err,
			    size_t errlen)
{
	static const struct trace_record_opts defaults;
	memset(rec, 0, sizeof(*rec));
	if (page_refs_start(rec, &m->kernel) < 0) {
		page_refs_free(rec);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (open_output(rec, path, header, o ? o : &defaults, err, errlen) < 0) {
		page_refs_free(rec);
		return -1;
	}
	rec->mmu = &m->mmu;
	rec->tracer = (struct mmu_tracer){.event = on_event, .batch = on_batch, .ctx = rec};
	put(rec, &(struct trace_event){.type = TEV_FEATURES, .a = m->mmu.maxphyaddr,
				       .b = m->mmu.page_1g});
	mmu_set_tracer(&m->mmu, &rec->tracer);
	rec->batch_live = true;
	give_batch_buf(rec);
	rec->kmem = (struct kmem_tracer){.page_alloc = on_page_alloc,
					 .page_free = on_page_free,
					 .page_ref = on_page_ref,
					 .ctx = rec};
	rec->kernel = &m->kernel;
	rec->machine = m;
	m->kernel.kmem_tracer = &rec->kmem;
	rec->mm = (struct mm_tracer){.exec = on_exec,
				     .mm_op = on_mm_op,
				     .uaccess = on_uaccess,
				     .lru_move = on_lru_move,
				     .reclaim = on_reclaim,
				     .swap = on_swap,
				     .sched_switch = on_sched_switch,
				     .sys_enter = on_sys_enter,
				     .sys_exit = on_sys_exit,
				     .uaccess_done = on_uaccess_done,
				     .ctx = rec};
	m->kernel.mm_tracer = &rec->mm;
	return 0;
}

void trace_record_pf_done(struct trace_recorder *rec, uint64_t la, uint32_t error,
			  unsigned outcome)
{
	put(rec, &(struct trace_event){.type = TEV_PF_DONE, .la = la, .error = error, .a = outcome});
}

void trace_record_exception(struct trace_recorder *rec, unsigned vector, uint32_t error,
			    uint64_t rip, int sig)
{
	put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_EXCEPTION,
				       .vector = (uint8_t)vector, .error = error, .la = rip,
				       .a = (uint64_t)sig});
}

void trace_record_syscall(struct trace_recorder *rec, uint64_t nr, uint64_t ret)
{
	put(rec, &(struct trace_event){.type = TEV_SYSCALL, .a = nr, .b = ret});
}

/* The MMU statistics in mmu_stats_print's text, as a STATS event. */
static void record_stats(struct trace_recorder *rec)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	mmu_stats_print(rec->mmu, f);
	fclose(f);
	if (n <= TRACE_TEXT_MAX)
		put(rec, &(struct trace_event){.type = TEV_STATS, .text = text, .text_len = (uint32_t)n});
	free(text);
}

/* The run's statistics in print_run_stats's text, as an EXT KSTATS event: what --compare
 * sets a replay through the kernel against. */
static void record_kstats(struct trace_recorder *rec)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	print_run_stats(f, rec->machine, STATS_TEXT);
	fclose(f);
	if (n <= TRACE_EXT_MAX - 8)
		put(rec, &(struct trace_event){.type = TEV_EXT, .sub = TEXT_KSTATS, .text = text,
					       .text_len = (uint32_t)n});
	free(text);
}

int trace_record_finish(struct trace_recorder *rec, int how, int status)
{
	mmu_trace_sync(rec->mmu);
	rec->batch_live = false; /* the last batch stays where it is; no room for another */
	mmu_set_tracer(rec->mmu, NULL);
	rec->kernel->kmem_tracer = NULL;
	rec->kernel->mm_tracer = NULL;
	record_stats(rec);
	/* After STATS, which a replay through the kernel takes for the program's end: the
	 * counts its release left, which that replay then has too. */
	trace_record_page_refs(rec);
	record_kstats(rec);
	free(rec->files);
	rec->files = NULL;
	page_refs_free(rec);
	put(rec, &(struct trace_event){.type = TEV_END, .a = (uint64_t)how, .b = (uint64_t)(int64_t)status});
	trace_pipe_stop(&rec->pipe); /* every record written; the writer thread joined */
	free(rec->header);	     /* (written and freed by write_header already) */
	rec->header = NULL;
	return trace_writer_close(&rec->w);
}

uint64_t trace_record_events(struct trace_recorder *rec)
{
	if (rec->batch_live)
		mmu_trace_sync(rec->mmu); /* the MMU's batch empty: nothing in the pipe's room */
	trace_pipe_drain(&rec->pipe);
	give_batch_buf(rec);	   /* in the next block */
	return rec->w.total + rec->w.nevents;
}
