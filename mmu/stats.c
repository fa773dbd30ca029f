/*
 * Statistics of the MMU: per TLB level (lookups, hits, misses), per array (hits, fills,
 * evictions, invalidations; lookups and misses for page-walk caches), per paging level
 * (entries read by walks, A/D updates), faults and invalidation operations. One emitter
 * writes both the text form ("tlb.l1d.hits 42", one per line) and JSON.
 */
#define _GNU_SOURCE
#include "mmu/mmu_internal.h"

#include <stdlib.h>

#define EMIT_DEPTH 4

/* Writes nested name/value pairs as dotted text lines or as JSON. */
struct emit {
	FILE *f;
	bool json;
	char path[128];		     /* text: dotted prefix of the current object */
	size_t plen[EMIT_DEPTH + 1]; /* text: prefix length per depth */
	bool first[EMIT_DEPTH + 1];  /* json: no comma needed yet at this depth */
	int depth;
};

static void emit_key(struct emit *e, const char *name)
{
	if (e->json) {
		fprintf(e->f, "%s\"%s\":", e->first[e->depth] ? "" : ",", name);
		e->first[e->depth] = false;
	} else {
		fprintf(e->f, "%s%s ", e->path, name);
	}
}

static void emit_begin(struct emit *e, const char *name)
{
	if (e->json) {
		emit_key(e, name);
		fputc('{', e->f);
	} else {
		size_t n = e->plen[e->depth];
		snprintf(e->path + n, sizeof(e->path) - n, "%s.", name);
	}
	e->depth++;
	e->first[e->depth] = true;
	e->plen[e->depth] = strlen(e->path);
}

static void emit_end(struct emit *e)
{
	e->depth--;
	if (e->json)
		fputc('}', e->f);
	else
		e->path[e->plen[e->depth]] = 0;
}

static void emit_u64(struct emit *e, const char *name, uint64_t v)
{
	emit_key(e, name);
	fprintf(e->f, e->json ? "%llu" : "%llu\n", (unsigned long long)v);
}

static void emit_str(struct emit *e, const char *name, const char *v)
{
	emit_key(e, name);
	fprintf(e->f, e->json ? "\"%s\"" : "%s\n", v);
}

static const char *const level_names[TLB_NR_LEVELS] = {"l1i", "l1d", "l2"};
static const char *const pg_names[PG_NR_LEVELS] = {"pml5", "pml4", "pdpt", "pd", "pt"};
static const char *const repl_names[] = {"lru", "fifo", "random"};

static void emit_levels(struct emit *e, const struct tlb *t)
{
	emit_begin(e, "levels");
	for (int i = 0; i < TLB_NR_LEVELS; i++) {
		uint64_t hits = tlb_level_hits(t, (enum tlb_level)i);
		emit_begin(e, level_names[i]);
		emit_u64(e, "lookups", hits + t->lv[i].misses);
		emit_u64(e, "hits", hits);
		emit_u64(e, "misses", t->lv[i].misses);
		emit_end(e);
	}
	emit_end(e);
}

static void emit_array(struct emit *e, const struct tlb *t, const struct tlb_array *a, bool pwc)
{
	emit_begin(e, a->name);
	emit_u64(e, "entries", a->entries);
	emit_u64(e, "ways", a->ways);
	emit_str(e, "policy", repl_names[a->repl]);
	emit_u64(e, "occupancy", tlb_array_occupancy(a));
	if (pwc) {
		emit_u64(e, "lookups", tlb_array_hits(t, a) + a->st.misses);
		emit_u64(e, "misses", a->st.misses);
	}
	emit_u64(e, "hits", tlb_array_hits(t, a));
	emit_u64(e, "fills", a->st.fills);
	emit_u64(e, "evictions", a->st.evictions);
	emit_u64(e, "invalidations", a->st.invalidations);
	emit_end(e);
}

static void emit_walks(struct emit *e, const struct mmu_stats *st)
{
	emit_begin(e, "walk");
	emit_u64(e, "walks", st->walks);
	emit_begin(e, "refs");
	for (int i = 0; i < PG_NR_LEVELS; i++)
		emit_u64(e, pg_names[i], st->walk_refs[i]);
	emit_end(e);
	emit_begin(e, "ad_updates");
	for (int i = 0; i < PG_NR_LEVELS; i++)
		emit_u64(e, pg_names[i], st->ad_updates[i]);
	emit_end(e);
	emit_end(e);
}

static void emit_events(struct emit *e, const struct mmu *m)
{
	const struct mmu_stats *st = &m->st;
	emit_begin(e, "faults");
	emit_u64(e, "pf_not_present", st->pf_not_present);
	emit_u64(e, "pf_protection", st->pf_protection);
	emit_u64(e, "pf_rsvd", st->pf_rsvd);
	emit_u64(e, "gp_canonical", st->gp_canonical);
	emit_end(e);
	emit_begin(e, "ops");
	emit_u64(e, "unpaged", mmu_unpaged_accesses(m));
	emit_u64(e, "invlpg", st->invlpg);
	emit_u64(e, "invpcid0", st->invpcid[0]);
	emit_u64(e, "invpcid1", st->invpcid[1]);
	emit_u64(e, "invpcid2", st->invpcid[2]);
	emit_u64(e, "invpcid3", st->invpcid[3]);
	emit_u64(e, "cr3_flush", st->cr3_flush);
	emit_u64(e, "cr3_noflush", st->cr3_noflush);
	emit_u64(e, "cr_flush", st->cr_flush);
	emit_end(e);
}

static void emit_all(const struct mmu *m, FILE *f, bool json)
{
	struct emit e = {.f = f, .json = json, .first = {true}};
	if (json)
		fputc('{', f);
	emit_begin(&e, "tlb");
	emit_levels(&e, &m->tlb);
	emit_begin(&e, "arrays");
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		emit_array(&e, &m->tlb, &m->tlb.a[i], i >= TLB_FIRST_PWC);
	emit_end(&e);
	emit_end(&e);
	emit_walks(&e, &m->st);
	emit_events(&e, m);
	if (json)
		fputs("}\n", f);
}

void mmu_stats_print(const struct mmu *m, FILE *out)
{
	emit_all(m, out, false);
}

void mmu_stats_json(const struct mmu *m, FILE *out)
{
	emit_all(m, out, true);
}

int mmu_stats_json_buf(const struct mmu *m, char *buf, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return -1;
	emit_all(m, f, true);
	fclose(f);
	if (len) {
		size_t c = n < len - 1 ? n : len - 1;
		memcpy(buf, text, c);
		buf[c] = 0;
	}
	free(text);
	return (int)n;
}

void mmu_stats_reset(struct mmu *m)
{
	memset(&m->st, 0, sizeof(m->st));
	tlb_stats_reset(&m->tlb);
}

uint64_t mmu_tlb_level_hits(const struct mmu *m, enum tlb_level lv)
{
	return tlb_level_hits(&m->tlb, lv);
}

uint64_t mmu_unpaged_accesses(const struct mmu *m)
{
	return m->st.unpaged + tlb_unpaged_hits(&m->tlb);
}
