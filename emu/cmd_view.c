/*
 * mmemu view [--screenshot OUT.png] [--at EVENT] [--heat EVENTS] FILE
 *
 * Shows a trace recorded with `mmemu run --trace` in the memory-map viewer
 * (emu/viewer_trace_session.h): the window with its timeline, or with --screenshot the
 * picture at event EVENT (default: the end) in a PNG, without a display. The arguments are
 * read here; the rest runs in the viewer module (emu/viewer_module.h), loaded once they
 * are known to be right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/commands.h"
#include "emu/load_viewer.h"
#include "emu/viewer_module.h"
#include "emu/viewer_trace.h"

static void view_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: mmemu view [options] FILE\n"
	    "Shows a trace (mmemu run --trace) in the memory-map viewer, with a timeline.\n\n"
	    "options:\n"
	    "  --screenshot OUT.png    write the picture at --at into a PNG (no display needed)\n"
	    "  --at EVENT              the event number to show (default: the end)\n"
	    "  --heat EVENTS           events over which an access's heat fades (default %d)\n"
	    "\nKeys in the window: ? shows them (docs/user-guide.md).\n",
	    TV_HEAT_DEFAULT);
}

static int parse_count(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s || *s == '-')
		return usage_error("view: %s: invalid number '%s'", opt, s);
	*out = v;
	return 0;
}

/* 0, 1 for --help, or 2 after a usage message. */
static int parse_args(int argc, char **argv, struct view_request *c)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			view_usage(stdout);
			return 1;
		} else if (!strcmp(a, "--screenshot") && val) {
			c->shot = argv[++i];
		} else if (!strcmp(a, "--at") && val) {
			if (parse_count(a, argv[++i], &c->at))
				return 2;
			c->at_given = true;
		} else if (!strcmp(a, "--heat") && val) {
			if (parse_count(a, argv[++i], &c->heat))
				return 2;
			if (!c->heat)
				return usage_error("view: --heat must be at least 1");
		} else if (a[0] == '-' && a[1]) {
			return usage_error(
			    "view: unknown or incomplete option '%s' (try mmemu view "
			    "--help)",
			    a);
		} else if (c->file) {
			return usage_error("view: more than one trace given");
		} else {
			c->file = a;
		}
	}
	if (!c->file)
		return usage_error("view: no trace given (try mmemu view --help)");
	if (c->at_given && !c->shot)
		return usage_error(
		    "view: --at needs --screenshot OUT.png (the window starts at 0)");
	return 0;
}

int cmd_view(int argc, char **argv)
{
	struct view_request c = {0};
	int r = parse_args(argc, argv, &c);
	if (r)
		return r == 1 ? 0 : r;
	char err[512];
	const struct viewer_module *viewer = viewer_module_load(err, sizeof(err));
	if (!viewer) {
		/* like a missing display: this mmemu cannot show anything */
		fprintf(stderr, "mmemu: view: %s\n", err);
		return 2;
	}
	return viewer->view(&c);
}
