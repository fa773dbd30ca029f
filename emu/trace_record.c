/*
 * The recorder: the MMU's events become trace events as they happen. A chunk always
 * starts with a KEYFRAME (the control registers, CPL and AC at that point) so that a
 * reader can start there; CPL and AC changes are written as MODE events before the first
 * translation they apply to, rather than in every access.
 */
#include "emu/trace_record.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "emu/machine.h"
#include "emu/run.h"
#include "emu/stats.h"
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
	if (trace_file_identity(o->host_path, &size, &crc) == 0)
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

/* Starts a chunk with the state a reader needs to begin there. */
static void keyframe(struct trace_recorder *rec)
{
	const struct mmu *m = rec->mmu;
	struct trace_event ev = {.type = TEV_KEYFRAME, .a = m->cr0, .b = m->cr3, .c = m->cr4,
				 .d = m->efer, .cpl = m->cpl, .ac = m->ac};
	rec->mode_known = false;
	trace_writer_event(&rec->w, &ev);
	rec->counts[TEV_KEYFRAME]++;
}

/* Writes ev, after a keyframe when it starts a chunk. */
static void put_raw(struct trace_recorder *rec, const struct trace_event *ev)
{
	if (rec->w.chunk_fresh)
		keyframe(rec);
	trace_writer_event(&rec->w, ev);
	rec->counts[ev->type]++;
}

/* Writes ev after the fetches and translations the MMU has not told yet: they came first. */
static void put(struct trace_recorder *rec, const struct trace_event *ev)
{
	mmu_trace_sync(rec->mmu);
	put_raw(rec, ev);
}

/* A MODE event when CPL or AC differ from the last one written. */
static void sync_mode(struct trace_recorder *rec, const struct mmu *m)
{
	if (rec->w.chunk_fresh)
		keyframe(rec);
	if (rec->mode_known && rec->cpl == m->cpl && rec->ac == m->ac)
		return;
	rec->cpl = m->cpl;
	rec->ac = m->ac;
	rec->mode_known = true;
	put_raw(rec, &(struct trace_event){.type = TEV_MODE, .cpl = m->cpl, .ac = m->ac});
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
		sync_mode(rec, m);
		trace_writer_translation(&rec->w, TEV_ACCESS, e->flags, e->size, e->la, e->pa);
		rec->counts[TEV_ACCESS]++;
		break;
	case MMU_EV_FAULT:
		sync_mode(rec, m);
		trace_writer_translation(&rec->w, TEV_FAULT, e->flags, 0, e->la,
					 (uint64_t)e->vector << 32 | e->error_code);
		rec->counts[TEV_FAULT]++;
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
	case MMU_EV_FETCH_RUN:
		sync_mode(rec, m);
		trace_writer_fetch_run(&rec->w, e->la, e->pa, e->a);
		rec->counts[TEV_EXT]++;
		break;
	}
}

/* The MMU's batches of translations and fetch runs (mmu/trace.h): the same events as
 * on_event writes, without a call and a switch for each. The CPL and AC are the batch's:
 * the MMU hands a batch over before they change. */
static void on_batch(void *ctx, const struct mmu *m, const struct mmu_trace_access *a,
		     unsigned n)
{
	struct trace_recorder *rec = ctx;
	for (unsigned i = 0; i < n;) {
		sync_mode(rec, m); /* the mode, and a keyframe first in a new chunk */
		unsigned runs = 0, done = trace_writer_batch(&rec->w, a + i, n - i, &runs);
		rec->counts[TEV_ACCESS] += done - runs;
		rec->counts[TEV_EXT] += runs;
		i += done;
	}
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
	for (unsigned long pfn = 0; pfn < n; pfn++) {
		const struct page *page = pfn_valid(k, pfn) ? pfn_to_page(k, pfn) : NULL;
		rec->ref_last[2 * pfn] = page ? page_count(page) : 0;
		rec->ref_last[2 * pfn + 1] = page ? page_mapcount(page) : 0;
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

int trace_record_start(struct trace_recorder *rec, struct machine *m, const char *path,
		       const char *header, char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	if (page_refs_start(rec, &m->kernel) < 0) {
		page_refs_free(rec);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (trace_writer_open(&rec->w, path, header, err, errlen) < 0) {
		page_refs_free(rec);
		return -1;
	}
	rec->mmu = &m->mmu;
	rec->tracer = (struct mmu_tracer){.event = on_event, .batch = on_batch, .ctx = rec};
	put(rec, &(struct trace_event){.type = TEV_FEATURES, .a = m->mmu.maxphyaddr,
				       .b = m->mmu.page_1g});
	mmu_set_tracer(&m->mmu, &rec->tracer);
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
	return trace_writer_close(&rec->w);
}
