/*
 * Replay through the kernel (emu/replay_kernel.h), event by event on guests/hello's
 * process: the expectations are Linux's demand paging (the first touch of each page of a
 * private mapping faults once, later touches do not; a failed munmap or a result that
 * differs is a disagreement with the recording), written from the man pages, not read
 * back from the replay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "emu/options.h"
#include "emu/replay_kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/vmstat.h"

#define BASE 0x10000000ULL /* a free user address for MAP_FIXED mappings */

static char prog[512];

static int setup(void **state)
{
	const char *build = getenv("MMEMU_BUILD");
	snprintf(prog, sizeof(prog), "%s/guests/hello", build ? build : ".");
	struct machine_opts mo;
	char err[256];
	machine_opts_init(&mo);
	if (machine_options_finish(&mo, err, sizeof(err)) < 0)
		return -1;
	static const char *argv[2];
	static const char *envp[1] = {"PATH=/bin"};
	argv[0] = prog;
	struct kreplay_program p = {prog, prog, 1, 1, argv, envp};
	struct kreplay *r = calloc(1, sizeof(*r));
	if (!r || kreplay_init(r, &mo.params, &mo.tlb, &p) < 0)
		return -1;
	/* Past the exec: the events below are the program's own. */
	r->started = true;
	mmu_set_cpl(&r->m.mmu, 3);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct kreplay *r = *state;
	kreplay_destroy(r);
	free(r);
	return 0;
}

static uint64_t pgfault(struct kreplay *r)
{
	return r->m.kernel.vm_events[PGFAULT];
}

static int mm_op(struct kreplay *r, unsigned op, int64_t ret, uint64_t file, unsigned n,
		 const uint64_t *args)
{
	struct trace_event ev = {.type = TEV_EXT,
				 .sub = TEXT_MM_OP,
				 .a = op,
				 .b = (uint64_t)ret,
				 .c = file,
				 .nsteps = (uint8_t)n};
	memcpy(ev.arg, args, n * sizeof(args[0]));
	return kreplay_event(r, &ev);
}

static int access(struct kreplay *r, uint64_t la, unsigned flags)
{
	struct trace_event ev = {.type = TEV_ACCESS, .flags = (uint8_t)flags, .la = la};
	return kreplay_event(r, &ev);
}

static void test_kreplay_anonymous_mapping_faults_once_per_page(void **state)
{
	struct kreplay *r = *state;
	uint64_t args[] = {BASE, 16 * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0};
	assert_int_equal(mm_op(r, MM_OP_MMAP, BASE, 0, 5, args), 0);
	uint64_t before = pgfault(r);
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 0; i < 16; i++)
			assert_int_equal(
			    access(r, BASE + i * 4096 + 8 * (uint64_t)round, MMU_WRITE), 0);
	assert_int_equal(pgfault(r) - before, 16);
	assert_int_equal(r->retries, 16); /* each first write faulted here and was retried */
}

static void test_kreplay_munmap_then_access_is_a_segv_not_a_crash(void **state)
{
	struct kreplay *r = *state;
	uint64_t map[] = {BASE, 4 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0};
	uint64_t unmap[] = {BASE, 4 * 4096};
	assert_int_equal(mm_op(r, MM_OP_MMAP, BASE, 0, 5, map), 0);
	assert_int_equal(mm_op(r, MM_OP_MUNMAP, 0, 0, 2, unmap), 0);
	uint64_t faults = r->user_faults;
	assert_int_equal(access(r, BASE, MMU_READ), 0);
	assert_int_equal(r->user_faults, faults + 1); /* delivered once: SIGSEGV, no retry */
	assert_true(r->task->signal->pending & ksigmask(SIGSEGV));
	assert_false(r->killed);
}

static void test_kreplay_result_that_differs_is_reported(void **state)
{
	struct kreplay *r = *state;
	/* munmap of an unaligned address is EINVAL on Linux; a recording that says 0 is not
	 * this program on this machine. */
	uint64_t args[] = {BASE + 1, 4096};
	assert_int_equal(mm_op(r, MM_OP_MUNMAP, 0, 0, 2, args), -1);
	assert_non_null(strstr(r->err, "returned"));
	/* A call that failed in the recording changed nothing and is not repeated. */
	assert_int_equal(mm_op(r, MM_OP_MUNMAP, -22, 0, 2, args), 0);
}

static void test_kreplay_kernel_write_faults_the_page_in(void **state)
{
	struct kreplay *r = *state;
	uint64_t args[] = {BASE, 2 * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0};
	assert_int_equal(mm_op(r, MM_OP_MMAP, BASE, 0, 5, args), 0);
	uint64_t before = pgfault(r);
	struct trace_event ev = {
	    .type = TEV_EXT, .sub = TEXT_UACCESS, .la = BASE + 4096, .flags = MMU_WRITE};
	assert_int_equal(kreplay_event(r, &ev), 0);
	assert_int_equal(pgfault(r) - before, 1); /* read() into a fresh buffer page */
	uint64_t faults = r->user_faults;
	assert_int_equal(access(r, BASE + 4096 + 100, MMU_WRITE), 0);
	assert_int_equal(r->user_faults, faults); /* already present and dirty */
	assert_int_equal(access(r, BASE, MMU_WRITE), 0);
	assert_int_equal(r->user_faults, faults + 1);
}

static void test_kreplay_file_mapping_uses_a_file_of_the_recorded_size(void **state)
{
	struct kreplay *r = *state;
	struct trace_event file = {.type = TEV_EXT,
				   .sub = TEXT_FILE,
				   .a = 1,
				   .b = 3 * 4096,
				   .c = TRACE_FILE_REGULAR,
				   .text = "/data/x",
				   .text_len = 7};
	assert_int_equal(kreplay_event(r, &file), 0);
	uint64_t args[] = {BASE, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0};
	assert_int_equal(mm_op(r, MM_OP_MMAP, BASE, 1, 5, args), 0);
	uint64_t file_pages = global_node_page_state(&r->m.kernel, NR_FILE_PAGES);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(access(r, BASE + i * 4096, MMU_READ), 0);
	/* Three pages of the file came into the page cache (readahead may bring no more: the
	 * file has three). */
	assert_int_equal(global_node_page_state(&r->m.kernel, NR_FILE_PAGES) - file_pages, 3);
	/* Past its end a private file mapping is SIGBUS, not a page. */
	uint64_t args2[] = {BASE + 3 * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, 4096 * 3};
	assert_int_equal(mm_op(r, MM_OP_MMAP, BASE + 3 * 4096, 1, 5, args2), 0);
	uint64_t faults = r->user_faults;
	file_pages = global_node_page_state(&r->m.kernel, NR_FILE_PAGES);
	assert_int_equal(access(r, BASE + 3 * 4096, MMU_READ), 0);
	assert_int_equal(r->user_faults, faults + 1);
	assert_int_equal(global_node_page_state(&r->m.kernel, NR_FILE_PAGES), file_pages);
	assert_true(r->task->signal->pending & ksigmask(SIGBUS));
	assert_int_equal(r->signals, 1); /* and the access was not retried */
	/* An id out of order is a malformed trace. */
	file.a = 5;
	assert_int_equal(kreplay_event(r, &file), -1);
}

/* A trace is user input: random address-space calls, kernel touches, files and accesses,
 * with values from the edges of every range, give errors or results, never a crash (the
 * test runs under ASan and UBSan in the sanitizer build). */
static void test_kreplay_random_events_never_crash(void **state)
{
	struct kreplay *r = *state;
	static const uint64_t vals[] = {0,
					1,
					4096,
					BASE,
					BASE + 4096,
					0x7ffffffff000,
					0x800000000000,
					~0ULL,
					1ULL << 40,
					PROT_READ | PROT_WRITE | PROT_EXEC,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					MAP_SHARED | MAP_ANONYMOUS,
					65536,
					3};
	const unsigned nv = sizeof(vals) / sizeof(vals[0]);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 3000 && !r->killed; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct trace_event ev = {.type = TEV_EXT};
		switch (x % 5) {
		case 0:
		case 1:
			ev.sub = TEXT_MM_OP;
			ev.a = (x >> 8) % MM_OP_NR;
			ev.b = vals[(x >> 16) % nv];
			ev.c = (x >> 24) % 3 ? 0 : (x >> 28) % (r->nfiles + 2);
			ev.nsteps = (uint8_t)((x >> 32) % 6);
			for (int j = 0; j < 5; j++)
				ev.arg[j] = vals[(x >> (36 + 5 * j)) % nv];
			break;
		case 2:
			ev.sub = TEXT_UACCESS;
			ev.la = vals[(x >> 8) % nv] + (x >> 40) % 8192;
			ev.flags = (x >> 20) & 1;
			break;
		case 3:
			ev.sub = TEXT_FILE;
			ev.a = r->nfiles + 1 + ((x >> 8) % 8 == 0);
			ev.b = (x >> 12) % 65536;
			ev.c = (x >> 30) & 1;
			ev.text = "f";
			ev.text_len = 1;
			break;
		default:
			ev = (struct trace_event){.type = (x >> 8) & 1 ? TEV_ACCESS : TEV_FAULT,
						  .flags = (uint8_t)((x >> 9) % 3),
						  .la = vals[(x >> 12) % nv] + (x >> 40) % 16384};
		}
		int ret = kreplay_event(r, &ev);
		assert_true(ret >= -1 && ret <= 1);
	}
	kreplay_finish(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kreplay_anonymous_mapping_faults_once_per_page,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kreplay_munmap_then_access_is_a_segv_not_a_crash,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kreplay_result_that_differs_is_reported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_kreplay_kernel_write_faults_the_page_in, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_kreplay_file_mapping_uses_a_file_of_the_recorded_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kreplay_random_events_never_crash, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
