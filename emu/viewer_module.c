/*
 * The module's table (emu/viewer_module.h): run's viewer session and the view command's
 * body, over emu/viewer_session.h and emu/viewer_trace_session.h.
 */
#include "emu/viewer_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "emu/viewer_session.h"
#include "emu/viewer_trace_session.h"

static struct viewer_session *module_session_start(struct machine *m, const char *shot_path,
						   uint64_t shot_at, bool live, char *err,
						   size_t errlen)
{
	struct viewer_session *vs = calloc(1, sizeof(*vs));
	if (!vs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (viewer_session_start(vs, m, shot_path, shot_at, live, err, errlen) < 0) {
		free(vs);
		return NULL;
	}
	return vs;
}

static const struct run_observer *module_session_observer(struct viewer_session *vs)
{
	return &vs->obs;
}

static int module_session_end(struct viewer_session *vs, char *err, size_t errlen)
{
	int r = 0;
	if (vs->shot_path && vs->shot_result < 0) {
		snprintf(err, errlen, "%s", vs->err);
		r = -1;
	}
	viewer_session_end(vs);
	free(vs);
	return r;
}

/* The picture at r->at (default: the end) into r->shot: the exit status. */
static int view_screenshot(struct trace_session *ts, const struct view_request *r)
{
	char err[512];
	uint64_t at = r->at_given ? r->at : ts->tv.nr_events;
	if (at > ts->tv.nr_events) {
		fprintf(stderr, "mmemu: view: --at %llu: the trace has %llu events\n",
			(unsigned long long)at, (unsigned long long)ts->tv.nr_events);
		return 2;
	}
	if (trace_session_seek(ts, at) < 0) {
		fprintf(stderr, "mmemu: view: %s\n", ts->err);
		return 1;
	}
	if (trace_session_screenshot(ts, r->shot, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmemu: view: --screenshot: %s\n", err);
		return 2;
	}
	return 0;
}

static int module_view(const struct view_request *r)
{
	struct trace_session *ts = calloc(1, sizeof(*ts));
	char err[512];
	if (!ts) {
		fprintf(stderr, "mmemu: view: out of memory\n");
		return 1;
	}
	int code = 0;
	if (trace_session_start(ts, r->file, !r->shot, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmemu: view: %s\n", err);
		free(ts);
		/* no display is a usage matter, like run --view; a bad trace is status 1 */
		return strstr(err, "no display") || strstr(err, "font") ? 2 : 1;
	}
	if (r->heat && tv_set_heat_window(&ts->tv, r->heat, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmemu: view: --heat: %s\n", err);
		code = 1;
	} else if (r->shot) {
		code = view_screenshot(ts, r);
	} else if (trace_session_loop(ts) < 0) {
		fprintf(stderr, "mmemu: view: %s\n", ts->err);
		code = 1;
	}
	trace_session_end(ts);
	free(ts);
	return code;
}

__attribute__((visibility("default"))) const struct viewer_module mmemu_viewer_module = {
    .version = VIEWER_MODULE_VERSION,
    .machine_size = sizeof(struct machine),
    .session_start = module_session_start,
    .session_observer = module_session_observer,
    .session_end = module_session_end,
    .view = module_view,
};
