/*
 * The address space of a trace's process over time (see emu/viewer_trace_vmas.h): the
 * kernel replay of the exec and the address-space operations, and the sets of VMAs it
 * leaves.
 */
#include "emu/viewer_trace_vmas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/replay_kernel.h"
#include "emu/trace.h"
#include "kernel-sim/sched.h"

#define SET_MAX_VMAS 256       /* VMAs of one set kept at most */
#define VMAS_BUDGET (4u << 20) /* VMAs of all sets at most (128 MiB) */

/* No more sets: why (copied) says why; the replaying machine goes. */
static void stop(struct tv_vmas *tvv, const char *why)
{
	snprintf(tvv->why, sizeof(tvv->why), "%s", why);
	tvv->stopped = true;
	if (tvv->r) {
		kreplay_destroy(tvv->r);
		free(tvv->r);
		tvv->r = NULL;
	}
}

void tvv_start(struct tv_vmas *tvv, const struct trace_reader *tr, const struct boot_params *p,
	       const struct tlb_config *tlb)
{
	char why[512];
	memset(tvv, 0, sizeof(*tvv));
	if (recorded_program_load(tr, &tvv->rp) < 0) {
		stop(tvv, "the trace's header does not name the program (format 1.0)");
		return;
	}
	if (recorded_program_check(tr, tvv->rp.prog.host_path, why, sizeof(why)) < 0) {
		stop(tvv, why);
		return;
	}
	tvv->r = calloc(1, sizeof(*tvv->r));
	if (!tvv->r) {
		stop(tvv, "out of memory");
		return;
	}
	if (kreplay_init(tvv->r, p, tlb, &tvv->rp.prog) < 0) {
		snprintf(why, sizeof(why), "%s", tvv->r->err);
		stop(tvv, why);
	}
}

/* The offset of name in tvv->names, added if new; UINT32_MAX when out of memory. */
static uint32_t intern(struct tv_vmas *tvv, const char *name)
{
	for (size_t at = 0; at < tvv->names_len; at += strlen(tvv->names + at) + 1)
		if (!strcmp(tvv->names + at, name))
			return (uint32_t)at;
	size_t len = strlen(name) + 1;
	if (tvv->names_len + len > tvv->names_cap) {
		size_t cap = (tvv->names_cap + len) * 2;
		char *p = realloc(tvv->names, cap);
		if (!p)
			return UINT32_MAX;
		tvv->names = p;
		tvv->names_cap = cap;
	}
	memcpy(tvv->names + tvv->names_len, name, len);
	tvv->names_len += len;
	return (uint32_t)(tvv->names_len - len);
}

static bool same_vma(const struct tv_vma *a, const struct vma_row *r, const char *names)
{
	return a->start == r->start && a->end == r->end && a->offset == r->offset &&
	       !strcmp(a->perms, r->perms) && !strcmp(names + a->name, r->name);
}

/* rows[0..n) differ from the last set? */
static bool changed(const struct tv_vmas *tvv, const struct vma_row *rows, int n)
{
	if (!tvv->nr_sets)
		return true;
	const struct tv_vma_set *last = &tvv->sets[tvv->nr_sets - 1];
	if (last->count != (uint32_t)n)
		return true;
	for (int i = 0; i < n; i++)
		if (!same_vma(&tvv->vmas[last->first + (uint32_t)i], &rows[i], tvv->names))
			return true;
	return false;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 256;
	while (c < need)
		c *= 2;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/* The replaying process's maps after event n, as a new set when they changed. */
static int take_set(struct tv_vmas *tvv, uint64_t n)
{
	struct vma_row *rows = malloc(SET_MAX_VMAS * sizeof(*rows));
	if (!rows)
		return -1;
	int total = viewer_maps_rows(&tvv->r->m.kernel, tvv->r->task->mm, rows, SET_MAX_VMAS);
	int count = total < SET_MAX_VMAS ? total : SET_MAX_VMAS;
	int rc = 0;
	if (!changed(tvv, rows, count))
		goto out;
	if (tvv->nr_vmas + (size_t)count > VMAS_BUDGET) {
		char why[128];
		snprintf(why, sizeof(why), "known up to event %llu: too many changes to keep",
			 (unsigned long long)n);
		stop(tvv, why);
		goto out;
	}
	if (grow((void **)&tvv->vmas, &tvv->vmas_cap, tvv->nr_vmas + (size_t)count,
		 sizeof(*tvv->vmas)) < 0 ||
	    grow((void **)&tvv->sets, &tvv->sets_cap, tvv->nr_sets + 1, sizeof(*tvv->sets)) < 0) {
		rc = -1;
		goto out;
	}
	tvv->sets[tvv->nr_sets] = (struct tv_vma_set){n, (uint32_t)tvv->nr_vmas, (uint32_t)count};
	for (int i = 0; i < count; i++) {
		struct tv_vma *a = &tvv->vmas[tvv->nr_vmas + (size_t)i];
		*a = (struct tv_vma){rows[i].start, rows[i].end, rows[i].offset, intern(tvv, rows[i].name),
				     ""};
		if (a->name == UINT32_MAX) {
			rc = -1;
			goto out;
		}
		memcpy(a->perms, rows[i].perms, sizeof(a->perms));
	}
	tvv->nr_vmas += (size_t)count;
	tvv->nr_sets++;
out:
	free(rows);
	return rc;
}

int tvv_event(struct tv_vmas *tvv, const struct trace_event *ev, uint64_t n)
{
	if (!tvv->r || ev->type != TEV_EXT ||
	    (ev->sub != TEXT_EXEC && ev->sub != TEXT_FILE && ev->sub != TEXT_MM_OP))
		return 0;
	tvv->r->event_no = n - 1; /* its messages name event n */
	int rc = kreplay_event(tvv->r, ev);
	if (rc != 0) { /* -1: the replay disagrees (r->err names the event); 1: killed */
		char why[640];
		if (rc < 0)
			snprintf(why, sizeof(why), "known up to %s", tvv->r->err);
		else
			snprintf(why, sizeof(why), "known up to event %llu: the process was killed",
				 (unsigned long long)n);
		stop(tvv, why);
		return 0;
	}
	if (ev->sub == TEXT_FILE || !tvv->r->started)
		return 0;
	if (ev->sub == TEXT_EXEC)
		tvv->exec_ev = n;
	return take_set(tvv, n);
}

void tvv_finish(struct tv_vmas *tvv)
{
	if (tvv->r && !tvv->r->started && !tvv->stopped)
		snprintf(tvv->why, sizeof(tvv->why), "the trace holds no exec event");
	if (tvv->r) {
		kreplay_destroy(tvv->r);
		free(tvv->r);
		tvv->r = NULL;
	}
}

void tvv_destroy(struct tv_vmas *tvv)
{
	tvv_finish(tvv);
	recorded_program_free(&tvv->rp);
	free(tvv->vmas);
	free(tvv->sets);
	free(tvv->names);
	memset(tvv, 0, sizeof(*tvv));
}

const struct tv_vma_set *tvv_set_at(const struct tv_vmas *tvv, uint64_t at)
{
	/* the last set whose event is before at */
	size_t lo = TRACE_FIRST_AT_OR_AFTER(tvv->sets, tvv->nr_sets, at);
	return lo ? &tvv->sets[lo - 1] : NULL;
}

int tvv_rows(const struct tv_vmas *tvv, const struct tv_vma_set *s, struct vma_row *rows,
	     int max)
{
	for (uint32_t i = 0; i < s->count && (int)i < max; i++) {
		const struct tv_vma *a = &tvv->vmas[s->first + i];
		struct vma_row *r = &rows[i];
		memset(r, 0, sizeof(*r));
		r->start = a->start;
		r->end = a->end;
		r->offset = a->offset;
		memcpy(r->perms, a->perms, sizeof(r->perms));
		snprintf(r->name, sizeof(r->name), "%s", tvv->names + a->name);
		r->pages = (unsigned long)((a->end - a->start) >> 12);
	}
	return (int)s->count;
}
