/*
 * Machines that run the project's guest programs, for the emu tests: a machine from
 * command-line options (64 MiB by default), the path of a built guest
 * ($MMEMU_BUILD/guests/NAME, build/ by default), and a run of one with an observer.
 * Header-only: each test includes it.
 */
#ifndef TESTS_EMU_GUEST_MACHINE_H
#define TESTS_EMU_GUEST_MACHINE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "emu/machine.h"
#include "emu/options.h"
#include "emu/run.h"

static inline struct machine *new_machine_with(int argc, char **argv)
{
	struct machine_opts o;
	char err[256];
	int i = 0;
	machine_opts_init(&o);
	while (i < argc)
		assert_int_equal(machine_option(argc, argv, &i, &o, err, sizeof(err)), 1);
	assert_int_equal(machine_options_finish(&o, err, sizeof(err)), 0);
	struct machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(machine_create(m, &o.params, &o.tlb, err, sizeof(err)), 0);
	return m;
}

static inline struct machine *new_machine(void)
{
	char *argv[] = {"-m", "64M"};
	return new_machine_with(2, argv);
}

static inline void free_machine(struct machine *m)
{
	machine_destroy(m);
	free(m);
}

static inline const char *guest_path(const char *name)
{
	static char path[4096];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(path, sizeof(path), "%s/guests/%s", build ? build : "build", name);
	return path;
}

/* Runs guest name (no arguments, the environment A=1) on m with observer obs (or none). */
static inline enum run_result run_guest(struct machine *m, const char *name,
					const struct run_observer *obs, int *status)
{
	const char *path = guest_path(name);
	const char *argv[] = {path, NULL};
	const char *envp[] = {"A=1", NULL};
	struct run_options o = {.host_path = path,
				.filename = path,
				.argc = 1,
				.argv = argv,
				.envc = 1,
				.envp = envp,
				.observer = obs};
	return machine_run_program(m, &o, status);
}

#endif /* TESTS_EMU_GUEST_MACHINE_H */
