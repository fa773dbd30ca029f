/*
 * Valgrind lackey import: the line format (a table written from lackey's output as
 * Valgrind 3.x prints it), and a real host program traced by valgrind in the test and
 * replayed: each distinct page it touches (counted here independently, straight from the
 * file) is one not-present fault, whether the trace is plain or gzip-compressed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "emu/trace_lackey.h"

struct line_case {
	const char *line;
	int ret;
	unsigned kind;
	bool modify;
	uint64_t la;
	unsigned size;
};

static const struct line_case cases[] = {
    {"I  0023C790,2\n", 1, MMU_FETCH, false, 0x23c790, 2},
    {" L BE801950,4\n", 1, MMU_READ, false, 0xbe801950, 4},
    {" S 1fff0006e0,8\n", 1, MMU_WRITE, false, 0x1fff0006e0, 8},
    {" M 0025747C,1\n", 1, MMU_WRITE, true, 0x25747c, 1},
    {" L 04a8f0f0,16\n", 1, MMU_READ, false, 0x4a8f0f0, 16},
    {"==21591== Lackey, an example Valgrind tool\n", 0, 0, false, 0, 0},
    {"\n", 0, 0, false, 0, 0},
    {"I  0023C790\n", -1, 0, false, 0, 0},
    {" X 0023C790,2\n", -1, 0, false, 0, 0},
    {" L zz,4\n", -1, 0, false, 0, 0},
    {" L 10,0\n", -1, 0, false, 0, 0},
    {" L 10,4x\n", -1, 0, false, 0, 0},
    {"hello\n", -1, 0, false, 0, 0},
};

static void test_lackey_parse_line_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned kind = 99, size = 0;
		bool modify = false;
		uint64_t la = 0;
		int r = lackey_parse_line(cases[i].line, &kind, &modify, &la, &size);
		assert_int_equal(r, cases[i].ret);
		if (r != 1)
			continue;
		assert_int_equal(kind, cases[i].kind);
		assert_int_equal(modify, cases[i].modify);
		assert_int_equal(la, cases[i].la);
		assert_int_equal(size, cases[i].size);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Distinct 4K pages the accesses of a lackey file cover, counted with sscanf and a sort. */
static uint64_t distinct_pages(const char *file)
{
	FILE *f = fopen(file, "r");
	assert_non_null(f);
	size_t n = 0, cap = 1 << 16;
	uint64_t *pages = malloc(cap * sizeof(*pages));
	char line[256], op;
	unsigned long long a;
	unsigned size;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %c %llx,%u", &op, &a, &size) != 3 || !strchr("ILSM", op))
			continue;
		for (uint64_t p = a >> 12; p <= (a + size - 1) >> 12; p++) {
			if (n == cap)
				pages = realloc(pages, (cap *= 2) * sizeof(*pages));
			pages[n++] = p;
		}
	}
	fclose(f);
	qsort(pages, n, sizeof(*pages), cmp_u64);
	uint64_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || pages[i] != pages[i - 1];
	free(pages);
	return distinct;
}

static void gzip_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	gzFile out = gzopen(to, "wb");
	char buf[65536];
	size_t n;
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
	fclose(in);
	assert_int_equal(gzclose(out), Z_OK);
}

static void replay_file(const char *file, uint64_t *pages, uint64_t *faults, uint64_t *walks)
{
	struct lackey_replay *lr = calloc(1, sizeof(*lr));
	assert_int_equal(lackey_replay_init(lr, 512ULL << 20, NULL), 0);
	if (lackey_replay_file(lr, file) < 0)
		fail_msg("%s", lr->r.err);
	*pages = lr->pages;
	*faults = lr->page_faults;
	*walks = lr->r.mmu.st.walks;
	lackey_replay_destroy(lr);
	free(lr);
}

static void test_lackey_host_program_faults_once_per_page_touched(void **state)
{
	(void)state;
	char txt[64], gz[80], cmd[256];
	snprintf(txt, sizeof(txt), "/tmp/mmemu-lackey.%d", (int)getpid());
	snprintf(gz, sizeof(gz), "%s.gz", txt);
	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=lackey --trace-mem=yes --log-file=%s /bin/echo lackey >/dev/null",
		 txt);
	assert_int_equal(system(cmd), 0);
	uint64_t want = distinct_pages(txt);
	assert_true(want > 50); /* a real program: its code, libc, stack, data */
	uint64_t pages, faults, walks, gz_pages, gz_faults, gz_walks;
	replay_file(txt, &pages, &faults, &walks);
	assert_int_equal(pages, want);
	assert_int_equal(faults, want);
	gzip_file(txt, gz);
	replay_file(gz, &gz_pages, &gz_faults, &gz_walks);
	assert_int_equal(gz_pages, want);
	assert_int_equal(gz_faults, want);
	assert_int_equal(gz_walks, walks);
	unlink(txt);
	unlink(gz);
}

static void test_lackey_malformed_line_is_refused_with_its_number(void **state)
{
	(void)state;
	char txt[64];
	snprintf(txt, sizeof(txt), "/tmp/mmemu-lackey-bad.%d", (int)getpid());
	FILE *f = fopen(txt, "w");
	fputs("I  00401000,4\n L 7fff0000,8\n L nonsense\n", f);
	fclose(f);
	struct lackey_replay *lr = calloc(1, sizeof(*lr));
	assert_int_equal(lackey_replay_init(lr, 64ULL << 20, NULL), 0);
	assert_int_equal(lackey_replay_file(lr, txt), -1);
	assert_non_null(strstr(lr->r.err, ":3:"));
	assert_int_equal(lr->pages, 2);
	lackey_replay_destroy(lr);
	free(lr);
	unlink(txt);
}

static void test_lackey_more_pages_than_ram_is_an_error(void **state)
{
	(void)state;
	struct lackey_replay *lr = calloc(1, sizeof(*lr));
	assert_int_equal(lackey_replay_init(lr, 4ULL << 20, NULL), 0);
	int r = 0;
	for (uint64_t p = 0; p < 1024 && r == 0; p++)
		r = lackey_replay_access(lr, 0x10000000 + p * 4096, 8, MMU_WRITE);
	assert_int_equal(r, -1);
	assert_non_null(strstr(lr->r.err, "out of memory"));
	lackey_replay_destroy(lr);
	free(lr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lackey_parse_line_table),
	    cmocka_unit_test(test_lackey_host_program_faults_once_per_page_touched),
	    cmocka_unit_test(test_lackey_malformed_line_is_refused_with_its_number),
	    cmocka_unit_test(test_lackey_more_pages_than_ram_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
