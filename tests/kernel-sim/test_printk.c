/* The kernel log: boot messages as Linux prints them, dmesg's format, a bounded buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/ktest.h"

static void test_printk_boot_log_lists_zones_like_linux(void **state)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = 6ULL << 30;
	p.node[0].mem = p.ram_size;
	struct machine *m = ktest_boot_params(&p);
	struct seq_file s;
	seq_init(&s);
	dmesg_show(&s, &m->kernel);
	assert_non_null(strstr(s.buf, "[    0.000000] Zone ranges:\n"));
	assert_non_null(strstr(s.buf, "[    0.000000]   DMA      [mem 0x0000000000000000-0x0000000000ffffff]\n"));
	assert_non_null(strstr(s.buf, "[    0.000000]   DMA32    [mem 0x0000000001000000-0x00000000ffffffff]\n"));
	assert_non_null(strstr(s.buf, "[    0.000000]   Normal   [mem 0x0000000100000000-0x000000017fffffff]\n"));
	char total[128];
	snprintf(total, sizeof(total), "Built 1 zonelists, mobility grouping on.  Total pages: %lu\n",
		 m->kernel.totalram_pages);
	assert_non_null(strstr(s.buf, total));
	seq_release(&s);
	ktest_shutdown(m);
}

static void test_printk_timestamps_and_levels(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	k->now_ns = 1234567891ULL;
	printk(k, KERN_WARNING, "something %d\n", 42);
	struct seq_file s;
	seq_init(&s);
	dmesg_show(&s, k);
	const char *last = strstr(s.buf, "[    1.234567] something 42\n");
	assert_non_null(last);
	assert_string_equal(last, "[    1.234567] something 42\n");
	assert_non_null(strstr(k->log.buf, "<4>[    1.234567] something 42\n"));
	seq_release(&s);
	ktest_shutdown(m);
}

static void test_printk_full_buffer_drops_oldest_lines(void **state)
{
	struct machine *m = ktest_boot(64);
	struct kernel *k = &m->kernel;
	for (int i = 0; i < 20000; i++)
		printk(k, KERN_INFO, "line %05d with some padding to fill the log buffer", i);
	assert_true(k->log.len <= LOG_BUF_LEN);
	assert_true(k->log.dropped > 0);
	struct seq_file s;
	seq_init(&s);
	dmesg_show(&s, k);
	assert_non_null(strstr(s.buf, "line 19999 "));
	assert_null(strstr(s.buf, "line 00000 "));
	assert_null(strstr(s.buf, "Zone ranges"));
	/* Every line is whole: it starts with a timestamp. */
	for (const char *p = s.buf; *p; p = strchr(p, '\n') + 1)
		assert_int_equal(p[0], '[');
	seq_release(&s);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printk_boot_log_lists_zones_like_linux),
		cmocka_unit_test(test_printk_timestamps_and_levels),
		cmocka_unit_test(test_printk_full_buffer_drops_oldest_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
