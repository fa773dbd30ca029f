/*
 * Starting a program: the address space exec builds is the one Linux builds. The guest
 * self_maps prints its own /proc/self/maps when run natively with ASLR off; after exec,
 * mmemu's /proc/PID/maps for the same executable must list the same segments, bss and
 * stack, at the same addresses, with the same permissions, offsets, device and inode.
 * What the program itself changes before it prints (glibc's RELRO mprotect splits the
 * data segment; malloc makes [heap] or an anonymous map) is folded out of the native side
 * first. The vDSO, its data pages and [vsyscall] are compared as they are.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/exec.h"
#include "kernel-sim/mm.h"
#include "tests/kernel-sim/ktest.h"

struct maps_line {
	unsigned long start, end, offset;
	char perms[5];
	char rest[256]; /* device, inode, name */
};

static int parse_maps(const char *text, struct maps_line *out, int max)
{
	int n = 0;
	while (*text && n < max) {
		struct maps_line *l = &out[n];
		int used = 0;
		if (sscanf(text, "%lx-%lx %4s %lx %n", &l->start, &l->end, l->perms, &l->offset, &used) < 4)
			break;
		const char *nl = strchr(text + used, '\n');
		size_t len = nl ? (size_t)(nl - text - used) : strlen(text + used);
		snprintf(l->rest, sizeof(l->rest), "%.*s", (int)len, text + used);
		n++;
		text = nl ? nl + 1 : text + strlen(text);
	}
	return n;
}

/* Drops what the program added (the heap, anonymous maps malloc made away from the
 * executable), and joins RELRO splits back. */
static int fold_native(struct maps_line *l, int n)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (strstr(l[i].rest, "[heap]"))
			continue;
		bool anon = !strchr(l[i].rest, '/') && !strchr(l[i].rest, '[');
		if (anon && !(m && l[m - 1].end == l[i].start && strchr(l[m - 1].rest, '/')))
			continue;
		if (m && l[m - 1].end == l[i].start && !strcmp(l[m - 1].rest, l[i].rest) &&
		    strchr(l[i].rest, '/') &&
		    l[m - 1].offset + (l[m - 1].end - l[m - 1].start) == l[i].offset &&
		    l[i].perms[1] == 'w') {
			l[m - 1].end = l[i].end; /* r--p RELRO part + rw-p rest: one rw-p segment */
			memcpy(l[m - 1].perms, l[i].perms, sizeof(l[i].perms));
			continue;
		}
		l[m++] = l[i];
	}
	return m;
}

static void compare_layout(const char *guest)
{
	char path[PATH_MAX], rel[PATH_MAX], cmd[PATH_MAX + 64];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(rel, sizeof(rel), "%s/guests/%s", build ? build : "build", guest);
	assert_non_null(realpath(rel, path));
	snprintf(cmd, sizeof(cmd), "setarch -R %s", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	static char native_text[16384];
	size_t got = fread(native_text, 1, sizeof(native_text) - 1, f);
	native_text[got] = '\0';
	assert_int_equal(pclose(f), 0);

	struct machine *m = ktest_boot(256);
	const char *argv[] = {path};
	struct exec_request req = {path, path, 1, argv, 0, NULL, 0, 0};
	struct pt_regs regs;
	char err[256];
	int e = 0;
	struct task_struct *t = exec_new_task(&m->kernel, &req, &regs, &e, err, sizeof(err));
	if (!t)
		fail_msg("exec %s: %s", guest, err);
	struct seq_file s;
	seq_init(&s);
	proc_pid_maps_show(&s, &m->kernel, t->mm);

	struct maps_line native[64], ours[64];
	int nn = fold_native(native, parse_maps(native_text, native, 64));
	int no = parse_maps(s.buf, ours, 64);
	if (nn != no)
		fail_msg("%s: %d native segments, %d under mmemu\nnative:\n%s\nmmemu:\n%s", guest, nn,
			 no, native_text, s.buf);
	for (int i = 0; i < no; i++) {
		if (ours[i].start != native[i].start || ours[i].end != native[i].end ||
		    strcmp(ours[i].perms, native[i].perms) || ours[i].offset != native[i].offset ||
		    strcmp(ours[i].rest, native[i].rest))
			fail_msg("%s: segment %d differs\nnative:\n%s\nmmemu:\n%s", guest, i, native_text,
				 s.buf);
	}
	assert_int_equal(regs.cs, t->abi32 ? __USER32_CS : __USER_CS);
	assert_int_equal(regs.sp & 15, 0);
	seq_release(&s);
	release_task(&m->kernel, t);
	ktest_shutdown(m);
}

static void test_exec_layout_matches_linux_glibc_static(void **state)
{
	compare_layout("self_maps");
}

static void test_exec_layout_matches_linux_musl_static(void **state)
{
	compare_layout("self_maps-musl");
}

static void test_exec_layout_matches_linux_i386(void **state)
{
	compare_layout("self_maps-i386");
}

/* Exec of what is not a runnable executable fails cleanly, and leaks nothing. */
static void test_exec_refuses_bad_files_without_leaks(void **state)
{
	struct machine *m = ktest_boot(128);
	struct kernel *k = &m->kernel;
	static const char *const bad[] = {"/nonexistent/program", "/etc/hostname", "/"};
	static const int errs[] = {-ENOENT, -ENOEXEC, -EACCES};
	for (int i = 0; i < 3; i++) {
		const char *argv[] = {bad[i]};
		struct exec_request req = {bad[i], bad[i], 1, argv, 0, NULL, 0, 0};
		struct pt_regs regs;
		char err[256] = "";
		int e = 0;
		assert_null(exec_new_task(k, &req, &regs, &e, err, sizeof(err)));
		assert_non_null(strstr(err, bad[i]));
		if (e != errs[i])
			fail_msg("%s: error %d, expected %d (%s)", bad[i], e, errs[i], err);
	}
	assert_null(k->current);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_layout_matches_linux_glibc_static),
		cmocka_unit_test(test_exec_layout_matches_linux_musl_static),
		cmocka_unit_test(test_exec_layout_matches_linux_i386),
		cmocka_unit_test(test_exec_refuses_bad_files_without_leaks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
