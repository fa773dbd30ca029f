/*
 * strace output against strace itself: the guests run natively under the host's strace
 * twice with ASLR off, once decoded and once with raw arguments (-e raw=all). Feeding the
 * raw arguments and results to mmemu's formatter must give the decoded lines strace
 * printed (up to the first string or structure, whose bytes live in a process that is
 * gone). Strings and structures are checked against strace's rules on memory of our own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel-sim/strace.h"
#include "kernel-sim/syscall_names.h"

static size_t no_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return 0;
}

/* Our own address space stands in for the guest's. */
static size_t host_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct {
		uint64_t base;
		size_t size;
	} *r = ctx;
	if (addr < r->base || addr >= r->base + r->size)
		return 0;
	size_t n = r->base + r->size - addr;
	n = n < len ? n : len;
	memcpy(buf, (const void *)(uintptr_t)addr, n);
	return n;
}

static long find_nr(const char *name, int abi32)
{
	unsigned long n = abi32 ? NR_SYSCALLS_32 : NR_SYSCALLS_64;
	for (unsigned long i = 0; i < n; i++) {
		const char *s = syscall_name(i, abi32);
		if (s && !strcmp(s, name))
			return (long)i;
	}
	return -1;
}

/* Parses "name(0x1, 0x2) = 0x3" or "... = -1 EEXIST (...)" or "... = ?". */
static int parse_raw(const char *line, char *name, uint64_t args[6], int64_t *ret, int *noret)
{
	const char *p = strchr(line, '(');
	if (!p || (size_t)(p - line) >= 64)
		return -1;
	memcpy(name, line, (size_t)(p - line));
	name[p - line] = '\0';
	memset(args, 0, 6 * sizeof(uint64_t));
	p++;
	for (int i = 0; i < 6 && *p != ')'; i++) {
		char *end;
		args[i] = strtoull(p, &end, 0);
		p = end;
		if (*p == ',')
			p += 2;
	}
	const char *eq = strstr(p, " = ");
	if (!eq)
		return -1;
	eq += 3;
	*noret = *eq == '?';
	if (!strncmp(eq, "-1 ", 3)) {
		static const struct {
			const char *name;
			int e;
		} errs[] = {{"ENOTTY", 25}, {"EEXIST", 17}, {"ENOENT", 2}, {"ENOMEM", 12},
			    {"EINVAL", 22}, {"EACCES", 13}, {"EBADF", 9}};
		*ret = -1;
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			if (!strncmp(eq + 3, errs[i].name, strlen(errs[i].name)))
				*ret = -errs[i].e;
	} else {
		*ret = (int64_t)strtoull(eq, NULL, 0);
	}
	return 0;
}

static size_t compare_len(const char *a, const char *b)
{
	size_t n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
	for (size_t i = 0; i < n; i++)
		if (a[i] == '"' || a[i] == '{' || a[i] == '[' || b[i] == '"' || b[i] == '{' || b[i] == '[')
			return i;
	return strlen(a) > strlen(b) ? strlen(a) : strlen(b);
}

static FILE *run_strace(const char *extra, const char *guest, char *path, size_t pathlen)
{
	char cmd[2048];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(path, pathlen, "/tmp/mmemu-strace-%d-%s.txt", (int)getpid(), extra[0] ? "raw" : "dec");
	snprintf(cmd, sizeof(cmd), "setarch -R strace %s -o %s %s/guests/%s >/dev/null 2>&1", extra,
		 path, build ? build : "build", guest);
	if (system(cmd) != 0)
		fail_msg("could not run: %s", cmd);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	return f;
}

static void compare_with_strace(const char *guest, int abi32)
{
	char raw_path[256], dec_path[256];
	FILE *raw = run_strace("-e raw=all", guest, raw_path, sizeof(raw_path));
	FILE *dec = run_strace("", guest, dec_path, sizeof(dec_path));
	char rl[4096], dl[4096];
	int compared = 0, full = 0;
	struct strace_user none = {no_memory, NULL};
	while (fgets(rl, sizeof(rl), raw) && fgets(dl, sizeof(dl), dec)) {
		char name[64];
		uint64_t args[6];
		int64_t ret = 0;
		int noret = 0;
		if (!strncmp(rl, "execve(", 7))
			continue;
		struct seq_file m;
		seq_init(&m);
		if (!strncmp(rl, "+++ exited with ", 16)) {
			strace_exit(&m, atoi(rl + 16));
		} else if (!strncmp(rl, "--- SIGSEGV ", 12)) {
			const char *addr = strstr(rl, "si_addr=");
			assert_non_null(addr);
			strace_signal(&m, 11, strstr(rl, "SEGV_MAPERR") ? 1 : 2,
				      strtoull(addr + 8, NULL, 0));
		} else {
			assert_int_equal(parse_raw(rl, name, args, &ret, &noret), 0);
			long nr = find_nr(name, abi32);
			assert_true(nr >= 0);
			strace_syscall(&m, &none, abi32, (unsigned long)nr, args, ret, noret);
		}
		size_t n = compare_len(m.buf, dl);
		/* Process ids differ between the two runs: compare those calls up to " = ". */
		if (!strncmp(dl, "set_tid_address(", 16) || !strncmp(dl, "getpid(", 7) ||
		    !strncmp(dl, "gettid(", 7))
			n = (size_t)(strstr(dl, " = ") - dl);
		if (strncmp(m.buf, dl, n))
			fail_msg("%s:\n  strace: %s  mmemu:  %s", guest, dl, m.buf);
		compared++;
		full += n == strlen(dl);
		seq_release(&m);
	}
	fclose(raw);
	fclose(dec);
	remove(raw_path);
	remove(dec_path);
	assert_true(compared >= 10);
	assert_true(full >= compared / 2);
}

static void test_strace_matches_host_strace_64(void **state)
{
	compare_with_strace("mmap_patterns", 0);
	compare_with_strace("brk_malloc", 0);
	compare_with_strace("guard_segv", 0);
}

static void test_strace_matches_host_strace_i386(void **state)
{
	compare_with_strace("mmap_patterns-i386", 1);
}

/* Strings: printable text with C escapes, binary as \x.., at most 32 bytes then "...". */
static void test_strace_quotes_strings_as_strace(void **state)
{
	static char text[] = "hello\tworld\n\"quoted\" back\\slash";
	static char binary[] = "\x01\x02" "AB";
	static char longtext[] = "0123456789abcdef0123456789abcdefXYZ";
	static char path[] = "/etc/hosts";
	struct {
		uint64_t base;
		size_t size;
	} region = {(uintptr_t)text, sizeof(text)};
	struct strace_user mem = {host_memory, &region};
	struct seq_file m;
	uint64_t args[6] = {1, (uintptr_t)text, sizeof(text) - 1};
	seq_init(&m);
	strace_syscall(&m, &mem, 0, 1, args, (int64_t)sizeof(text) - 1, 0);
	assert_string_equal(m.buf, "write(1, \"hello\\tworld\\n\\\"quoted\\\" back\\\\slash\", 31) = 31\n");
	seq_release(&m);
	region.base = (uintptr_t)binary;
	region.size = sizeof(binary);
	args[1] = (uintptr_t)binary;
	args[2] = 4;
	seq_init(&m);
	strace_syscall(&m, &mem, 0, 1, args, 4, 0);
	char expect[128];
	snprintf(expect, sizeof(expect), "%-40s= 4\n", "write(1, \"\\x01\\x02\\x41\\x42\", 4)");
	assert_string_equal(m.buf, expect);
	seq_release(&m);
	region.base = (uintptr_t)longtext;
	region.size = sizeof(longtext);
	args[1] = (uintptr_t)longtext;
	args[2] = 35;
	seq_init(&m);
	strace_syscall(&m, &mem, 0, 1, args, 35, 0);
	assert_string_equal(m.buf, "write(1, \"0123456789abcdef0123456789abcdef\"..., 35) = 35\n");
	seq_release(&m);
	region.base = (uintptr_t)path;
	region.size = sizeof(path);
	uint64_t open_args[6] = {(uint64_t)-100, (uintptr_t)path, 02000000, 0};
	seq_init(&m);
	strace_syscall(&m, &mem, 0, 257, open_args, -2, 0);
	assert_string_equal(m.buf, "openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)\n");
	seq_release(&m);
}

static void test_strace_signals_and_exits(void **state)
{
	struct seq_file m;
	seq_init(&m);
	strace_signal(&m, 11, 1, 0x10);
	strace_signal(&m, 11, 2, 0);
	strace_killed(&m, 11, true);
	strace_killed(&m, 9, false);
	strace_exit(&m, 3);
	assert_string_equal(m.buf,
			    "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---\n"
			    "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=NULL} ---\n"
			    "+++ killed by SIGSEGV (core dumped) +++\n"
			    "+++ killed by SIGKILL +++\n"
			    "+++ exited with 3 +++\n");
	seq_release(&m);
	/* An unknown number prints as strace prints it. */
	uint64_t args[6] = {1, 2, 3, 4, 5, 6};
	seq_init(&m);
	strace_syscall(&m, NULL, 0, 1000, args, -38, 0);
	assert_string_equal(m.buf, "syscall_0x3e8(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)\n");
	seq_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strace_matches_host_strace_64),
		cmocka_unit_test(test_strace_matches_host_strace_i386),
		cmocka_unit_test(test_strace_quotes_strings_as_strace),
		cmocka_unit_test(test_strace_signals_and_exits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
