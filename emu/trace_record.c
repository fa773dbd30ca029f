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

#include "emu/machine.h"
#include "emu/run.h"

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
	add(buf, len, &pos, "program", "%s", o->host_path);
	add(buf, len, &pos, "argc", "%d", o->argc);
	for (int i = 0; i < o->argc && i < 64; i++) {
		char key[32];
		snprintf(key, sizeof(key), "arg%d", i);
		/* One line per argument: a newline inside one would start a new key. */
		add(buf, len, &pos, key, "%.*s", (int)strcspn(o->argv[i], "\n"), o->argv[i]);
	}
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

static void put(struct trace_recorder *rec, const struct trace_event *ev)
{
	if (rec->w.chunk_fresh)
		keyframe(rec);
	trace_writer_event(&rec->w, ev);
	rec->counts[ev->type]++;
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
	put(rec, &(struct trace_event){.type = TEV_MODE, .cpl = m->cpl, .ac = m->ac});
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
		trace_writer_translation(&rec->w, TEV_ACCESS, e->flags, e->la, e->pa);
		rec->counts[TEV_ACCESS]++;
		break;
	case MMU_EV_FAULT:
		sync_mode(rec, m);
		trace_writer_translation(&rec->w, TEV_FAULT, e->flags, e->la,
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
	}
}

static void on_page_alloc(void *ctx, unsigned long pfn, unsigned order, gfp_t gfp,
			  int migratetype, int nid, int zone, int owner)
{
	put(ctx, &(struct trace_event){.type = TEV_PAGE, .a = pfn, .b = order, .c = gfp,
				       .d = (uint64_t)owner, .cpl = (uint8_t)migratetype,
				       .ac = (uint8_t)zone, .vector = (uint8_t)nid});
}

static void on_page_free(void *ctx, unsigned long pfn, unsigned order)
{
	put(ctx, &(struct trace_event){.type = TEV_PAGE, .a = pfn, .b = order, .evicted = true});
}

int trace_record_start(struct trace_recorder *rec, struct machine *m, const char *path,
		       const char *header, char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	if (trace_writer_open(&rec->w, path, header, err, errlen) < 0)
		return -1;
	rec->mmu = &m->mmu;
	rec->tracer = (struct mmu_tracer){on_event, rec};
	put(rec, &(struct trace_event){.type = TEV_FEATURES, .a = m->mmu.maxphyaddr,
				       .b = m->mmu.page_1g});
	mmu_set_tracer(&m->mmu, &rec->tracer);
	rec->kmem = (struct kmem_tracer){on_page_alloc, on_page_free, rec};
	rec->kernel = &m->kernel;
	m->kernel.kmem_tracer = &rec->kmem;
	return 0;
}

void trace_record_pf_done(struct trace_recorder *rec, uint64_t la, uint32_t error,
			  unsigned outcome)
{
	put(rec, &(struct trace_event){.type = TEV_PF_DONE, .la = la, .error = error, .a = outcome});
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

int trace_record_finish(struct trace_recorder *rec, int how, int status)
{
	mmu_set_tracer(rec->mmu, NULL);
	rec->kernel->kmem_tracer = NULL;
	record_stats(rec);
	put(rec, &(struct trace_event){.type = TEV_END, .a = (uint64_t)how, .b = (uint64_t)(int64_t)status});
	return trace_writer_close(&rec->w);
}
