/*
 * mmemu run [machine options] [run options] PROG [ARGS...]: runs a static x86-64 or i386
 * ELF program on the machine. Its stdin, stdout and stderr are mmemu's; mmemu exits with
 * the program's status, or 128 + the signal that killed it, as a shell reports it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/commands.h"
#include "emu/load_viewer.h"
#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"
#include "emu/stats.h"
#include "emu/trace_record.h"
#include "emu/viewer_module.h"
#include "kernel-sim/swap.h"

extern char **environ;

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: mmemu run [machine options] [options] PROG [ARGS...]\n"
		"Runs a static ELF program (x86-64 or i386) on the modelled machine.\n\n"
		"options:\n"
		"  --strace                log every system call to stderr, as strace(1) does\n"
		"  --stats[=text|json]     print fault, TLB and memory counters at exit (stderr)\n"
		"  --root DIR              the program sees only DIR as its file system\n"
		"  --max-insns N           stop after N instructions\n"
		"  --timeout SECONDS       stop after SECONDS of host time\n"
		"  --trace FILE            record the run's memory events into FILE (mmemu trace info)\n"
		"  -d in_asm               log each new block of guest code, disassembled (stderr)\n"
		"  --no-jit                run every block in the interpreter's loop, without host\n"
		"                          code (the same run, slower)\n"
		"  --screenshot OUT.png    draw the memory-map viewer at the end of the run into a PNG\n"
		"  --screenshot-at N       ... after N instructions instead\n"
		"  --view                  open the memory-map viewer's window on the run\n"
		"  --check                 after the program, verify the kernel's memory state and\n"
		"                          that every frame and swap slot came back (exit 125 if not)\n\n%s",
		machine_options_help);
}

/* PROG as given, or found in $PATH when it has no slash, as a shell finds it. */
static const char *find_program(const char *prog, char *buf, size_t len)
{
	if (strchr(prog, '/'))
		return prog;
	const char *path = getenv("PATH");
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		snprintf(buf, len, "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return buf;
		path = colon ? colon + 1 : NULL;
	}
	return prog;
}

struct run_cli {
	struct machine_opts mopts;
	struct run_options run;
	enum stats_format stats;
	const char *trace;       /* --trace FILE, or NULL */
	const char *screenshot;  /* --screenshot OUT.png */
	uint64_t screenshot_at;  /* --screenshot-at N */
	bool view;               /* --view */
};

/* Set by SIGINT during a traced run, polled by the run loop between slices. A signal
 * handler can reach nothing else, which is why this one piece of state is global. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Parses one run option at argv[*i]; 1 consumed, 0 not one, -1 error (message printed). */
static int run_option(int argc, char **argv, int *i, struct run_cli *c)
{
	const char *opt = argv[*i];
	const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (!strcmp(opt, "--strace")) {
		c->run.strace = stderr;
	} else if (!strcmp(opt, "--stats") || !strcmp(opt, "--stats=text")) {
		c->stats = STATS_TEXT;
	} else if (!strcmp(opt, "--stats=json")) {
		c->stats = STATS_JSON;
	} else if (!strcmp(opt, "--no-jit")) {
		c->run.no_jit = true;
	} else if (!strcmp(opt, "-d") && val && !strcmp(val, "in_asm")) {
		c->run.in_asm = stderr;
		(*i)++;
	} else if (!strcmp(opt, "--trace") && val) {
		c->trace = val;
		(*i)++;
	} else if (!strcmp(opt, "--root") && val) {
		c->run.root = val;
		(*i)++;
	} else if (!strcmp(opt, "--max-insns") && val) {
		char *end;
		c->run.max_insns = strtoull(val, &end, 0);
		if (*end || !*val || !c->run.max_insns)
			return usage_error("run: --max-insns: invalid value '%s'", val), -1;
		(*i)++;
	} else if (!strcmp(opt, "--screenshot") && val) {
		c->screenshot = val;
		(*i)++;
	} else if (!strcmp(opt, "--screenshot-at") && val) {
		char *end;
		c->screenshot_at = strtoull(val, &end, 0);
		if (*end || !*val || !c->screenshot_at)
			return usage_error("run: --screenshot-at: invalid value '%s'", val), -1;
		(*i)++;
	} else if (!strcmp(opt, "--view")) {
		c->view = true;
	} else if (!strcmp(opt, "--check")) {
		c->run.check = true;
	} else if (!strcmp(opt, "--timeout") && val) {
		char *end;
		c->run.timeout = strtod(val, &end);
		if (*end || !*val || c->run.timeout <= 0)
			return usage_error("run: --timeout: invalid value '%s'", val), -1;
		(*i)++;
	} else {
		return 0;
	}
	(*i)++;
	return 1;
}

/* Starts recording into c->trace; Ctrl-C then ends the run cleanly, so the trace is
 * closed with its index. NULL with err on failure. */
static struct trace_recorder *start_trace(struct machine *m, struct run_cli *c, char *err,
					  size_t errlen)
{
	struct trace_recorder *rec = calloc(1, sizeof(*rec));
	char *header = malloc(TRACE_HEADER_MAX);
	int r = -1;
	if (rec && header) {
		trace_header_format(header, TRACE_HEADER_MAX, m, &c->run);
		r = trace_record_start(rec, m, c->trace, header, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free(header);
	if (r < 0) {
		free(rec);
		return NULL;
	}
	m->trace = rec;
	interrupted = 0;
	c->run.interrupted = &interrupted;
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	return rec;
}

/* Closes the trace; -1 (message printed) when it could not be written completely. */
static int finish_trace(struct machine *m, struct trace_recorder *rec, enum run_result r,
			int status)
{
	int err = trace_record_finish(rec, (int)r, status);
	m->trace = NULL;
	free(rec);
	signal(SIGINT, SIG_DFL);
	if (err < 0) {
		snprintf(m->stop_reason, sizeof(m->stop_reason), "--trace: %s", strerror(-err));
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_cli c = {.stats = STATS_NONE};
	char err[256], pathbuf[4096];
	machine_opts_init(&c.mopts);
	int i = 0;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			run_usage(stdout);
			return 0;
		}
		int r = machine_option(argc, argv, &i, &c.mopts, err, sizeof(err));
		if (r < 0)
			return usage_error("run: %s", err);
		if (r > 0)
			continue;
		r = run_option(argc, argv, &i, &c);
		if (r < 0)
			return 2;
		if (r == 0)
			return usage_error("run: unknown option '%s' (try mmemu run --help)", argv[i]);
	}
	if (i >= argc)
		return usage_error("run: no program given (try mmemu run --help)");
	if (machine_options_finish(&c.mopts, err, sizeof(err)) < 0)
		return usage_error("run: %s", err);
	c.run.filename = argv[i];
	c.run.host_path = find_program(argv[i], pathbuf, sizeof(pathbuf));
	c.run.argc = argc - i;
	c.run.argv = (const char *const *)argv + i;
	int envc = 0;
	while (environ[envc])
		envc++;
	c.run.envc = envc;
	c.run.envp = (const char *const *)environ;

	struct machine *m = calloc(1, sizeof(*m));
	if (!m || machine_create(m, &c.mopts.params, &c.mopts.tlb, err, sizeof(err)) < 0) {
		free(m);
		return usage_error("run: %s", m ? err : "out of memory");
	}
	struct viewer_session *vs = NULL;
	if (c.screenshot_at && !c.screenshot) {
		machine_destroy(m);
		free(m);
		return usage_error("run: --screenshot-at needs --screenshot OUT.png");
	}
	struct trace_recorder *rec = NULL;
	if (c.trace && !(rec = start_trace(m, &c, err, sizeof(err)))) {
		machine_destroy(m);
		free(m);
		return usage_error("run: --trace: %s", err);
	}
	const struct viewer_module *viewer = NULL;
	if (c.screenshot || c.view) {
		viewer = viewer_module_load(err, sizeof(err));
		if (viewer)
			vs = viewer->session_start(m, c.screenshot, c.screenshot_at, c.view, err,
						   sizeof(err));
		if (!vs) {
			if (rec)
				finish_trace(m, rec, RUN_MACHINE_STOP, 0);
			machine_destroy(m);
			free(m);
			return usage_error("run: %s", err);
		}
		c.run.observer = viewer->session_observer(vs);
	}
	int status = 0;
	enum run_result r = machine_run_program(m, &c.run, &status);
	fflush(stdout);
	if (rec && finish_trace(m, rec, r, status) < 0)
		r = RUN_MACHINE_STOP;
	int code;
	switch (r) {
	case RUN_EXITED: code = status; break;
	case RUN_KILLED:
		code = 128 + status;
		if (m->kernel.swap && m->kernel.swap->oom_message[0])
			fprintf(stderr, "mmemu: %s\n", m->kernel.swap->oom_message);
		break;
	case RUN_EXEC_FAILED:
		fprintf(stderr, "mmemu: %s\n", m->stop_reason);
		code = 2;
		break;
	case RUN_LIMIT:
		fprintf(stderr, "mmemu: %s\n", m->stop_reason);
		code = 124;
		break;
	case RUN_INTERRUPTED:
		fprintf(stderr, "mmemu: %s\n", m->stop_reason);
		code = 128 + SIGINT;
		break;
	default:
		fprintf(stderr, "mmemu: %s\n", m->stop_reason);
		code = 125;
		break;
	}
	if (c.stats != STATS_NONE)
		print_run_stats(stderr, m, c.stats);
	if (m->check_failure[0]) {
		fprintf(stderr, "mmemu: --check: %s\n", m->check_failure);
		code = 125;
	}
	if (vs && viewer->session_end(vs, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmemu: --screenshot: %s\n", err);
		code = code ? code : 2;
	}
	machine_destroy(m);
	free(m);
	return code;
}
