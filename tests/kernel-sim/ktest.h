/*
 * Helpers for kernel-sim tests: boot a small machine, check the allocator's consistency.
 * Included by the test files (cmocka needs its headers first).
 */
#ifndef TESTS_KTEST_H
#define TESTS_KTEST_H

#include <stdio.h>
#include <stdlib.h>

#include "emu/machine.h"
#include "kernel-sim/debug_vm.h"
#include "kernel-sim/page_alloc.h"
#include "kernel-sim/proc.h"

/* Boots a machine of mb MiB with one node and one CPU, or fails the test. */
static inline struct machine *ktest_boot_params(const struct boot_params *p)
{
	struct machine *m = calloc(1, sizeof(*m));
	char err[256];
	struct boot_params q = *p;
	assert_non_null(m);
	if (boot_params_finish(&q, err, sizeof(err)) < 0 || machine_create(m, &q, NULL, err, sizeof(err)) < 0)
		fail_msg("boot failed: %s", err);
	return m;
}

static inline struct machine *ktest_boot(uint64_t mb)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = mb << 20;
	p.node[0].mem = p.ram_size;
	return ktest_boot_params(&p);
}

static inline void ktest_shutdown(struct machine *m)
{
	machine_destroy(m);
	free(m);
}

static inline void ktest_assert_consistent(struct kernel *k)
{
	char msg[256];
	if (debug_vm_check(k, msg, sizeof(msg)) != 0)
		fail_msg("debug_vm_check: %s", msg);
}

#endif /* TESTS_KTEST_H */
