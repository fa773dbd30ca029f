/*
 * The /proc files against Linux's own: each file mmemu prints is compared, line by line,
 * with the same file of the Linux host the tests run on (or, where /proc cannot be read,
 * with a copy taken from a Linux 6.18 host, in tests/kernel-sim/data/). The comparison is
 * about shape: labels, padding and column widths, order of fields; the values differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/kernel-sim/ktest.h"

struct lines {
	char **line;
	int n;
};

static void split_lines(const char *text, struct lines *out)
{
	out->n = 0;
	out->line = NULL;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		out->line = realloc(out->line, sizeof(char *) * (size_t)(out->n + 1));
		out->line[out->n++] = strndup(p, len);
		p += len + (nl ? 1 : 0);
	}
}

static void free_lines(struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The host's /proc/NAME, or the stored copy of a Linux 6.18 host's. */
static void host_file(const char *name, struct lines *out)
{
	char path[512];
	snprintf(path, sizeof(path), "/proc/%s", name);
	char *text = slurp(path);
	if (!text || !*text) {
		free(text);
		const char *src = getenv("MMEMU_SRC");
		snprintf(path, sizeof(path), "%s/tests/kernel-sim/data/linux-6.18-%s.txt",
			 src ? src : ".", name);
		text = slurp(path);
	}
	if (!text)
		fail_msg("cannot read the host's %s", name);
	split_lines(text, out);
	free(text);
}

static void mmemu_file(struct kernel *k, void (*show)(struct seq_file *, struct kernel *),
		       struct lines *out)
{
	struct seq_file m;
	seq_init(&m);
	show(&m, k);
	assert_true(m.count > 0);
	assert_int_equal(m.buf[m.count - 1], '\n');
	split_lines(m.buf, out);
	seq_release(&m);
}

/* The text before the last number of the line: the label with its padding. */
static size_t value_start(const char *line)
{
	size_t end = strlen(line);
	while (end && line[end - 1] == ' ')
		end--;
	size_t s = end;
	while (s && line[s - 1] >= '0' && line[s - 1] <= '9')
		s--;
	return s;
}

static int find_prefix(const struct lines *host, const char *line, size_t len)
{
	for (int i = 0; i < host->n; i++)
		if (value_start(host->line[i]) == len && !strncmp(host->line[i], line, len))
			return i;
	return -1;
}

static int find_label(const struct lines *host, const char *label)
{
	size_t n = strlen(label);
	for (int i = 0; i < host->n; i++)
		if (!strncmp(host->line[i], label, n))
			return i;
	return -1;
}

static struct machine *boot_default(void)
{
	return ktest_boot(512);
}

/* buddyinfo: same "Node N, zone NAME" heading and 11 columns of %6lu as the host. */
static void test_proc_buddyinfo_matches_linux_columns(void **state)
{
	struct machine *m = boot_default();
	struct lines ours, host;
	host_file("buddyinfo", &host);
	mmemu_file(&m->kernel, buddyinfo_show, &ours);
	assert_true(ours.n >= 2);
	for (int i = 0; i < ours.n; i++) {
		const char *zone = strstr(ours.line[i], "zone");
		assert_non_null(zone);
		int h = find_label(&host, "Node 0, ");
		for (int j = 0; j < host.n; j++)
			if (!strncmp(host.line[j] + (zone - ours.line[i]), zone, 13))
				h = j;
		assert_true(h >= 0);
		assert_int_equal(strlen(ours.line[i]), strlen(host.line[h]));
		assert_memory_equal(ours.line[i], host.line[h], (size_t)(zone - ours.line[i]) + 13);
	}
	free_lines(&ours);
	free_lines(&host);
	ktest_shutdown(m);
}

/* zoneinfo: every line's label and padding is one the host prints, and the per-zone
 * sections come in the host's order. */
static void test_proc_zoneinfo_labels_and_padding_match_linux(void **state)
{
	struct machine *m = boot_default();
	struct lines ours, host;
	host_file("zoneinfo", &host);
	mmemu_file(&m->kernel, zoneinfo_show, &ours);
	int last_section = -1;
	for (int i = 0; i < ours.n; i++) {
		const char *l = ours.line[i];
		if (!strncmp(l, "Node ", 5)) {
			/* "Node 0, zone      DMA": the zone heading, %8s like the host's. */
			int h = find_label(&host, l);
			assert_true(h >= 0);
			assert_string_equal(host.line[h], l);
			assert_true(h > last_section);
			last_section = h;
			continue;
		}
		size_t vs = value_start(l);
		if (strchr(l, '(') || vs == strlen(l)) {
			/* "protection: (0, 1, ...)" and "pagesets" have no trailing number. */
			char label[64];
			snprintf(label, sizeof(label), "%.*s", (int)(strcspn(l, "(:") + 1), l);
			if (find_label(&host, label) < 0)
				fail_msg("line %d '%s': no such label in Linux's zoneinfo", i, l);
			continue;
		}
		if (find_prefix(&host, l, vs) < 0)
			fail_msg("line %d '%s': label or padding differs from Linux's", i, l);
	}
	free_lines(&ours);
	free_lines(&host);
	ktest_shutdown(m);
}

/* meminfo: labels in the host's order, each line as wide as the host's (%8lu kB). */
static void test_proc_meminfo_labels_order_and_width_match_linux(void **state)
{
	struct machine *m = boot_default();
	struct lines ours, host;
	host_file("meminfo", &host);
	mmemu_file(&m->kernel, meminfo_show, &ours);
	int last = -1;
	for (int i = 0; i < ours.n; i++) {
		char label[64];
		snprintf(label, sizeof(label), "%.*s", (int)(strchr(ours.line[i], ':') - ours.line[i] + 1),
			 ours.line[i]);
		int h = find_label(&host, label);
		if (h < 0)
			fail_msg("'%s' is not in Linux's meminfo", label);
		assert_true(h > last);
		last = h;
		/* Values are %8lu: widths agree whenever both values fit in 8 digits. */
		if (strlen(host.line[h]) <= 27 || strlen(ours.line[i]) > 27)
			assert_int_equal(strlen(ours.line[i]), strlen(host.line[h]));
	}
	/* Internal consistency: MemFree is the free page count, MemTotal the managed pages. */
	char expect[64];
	snprintf(expect, sizeof(expect), "MemTotal:       %8lu kB", m->kernel.totalram_pages * 4);
	assert_string_equal(ours.line[0], expect);
	snprintf(expect, sizeof(expect), "MemFree:        %8lu kB",
		 (unsigned long)global_zone_page_state(&m->kernel, NR_FREE_PAGES) * 4);
	assert_string_equal(ours.line[1], expect);
	free_lines(&ours);
	free_lines(&host);
	ktest_shutdown(m);
}

/* vmstat: "name value" lines, every name one Linux prints, in Linux's order. */
static void test_proc_vmstat_names_and_order_match_linux(void **state)
{
	struct machine *m = boot_default();
	struct lines ours, host;
	host_file("vmstat", &host);
	mmemu_file(&m->kernel, vmstat_show, &ours);
	int last = -1;
	for (int i = 0; i < ours.n; i++) {
		size_t vs = value_start(ours.line[i]);
		assert_true(vs > 1 && ours.line[i][vs - 1] == ' ');
		assert_true(vs < strlen(ours.line[i]));
		int h = find_prefix(&host, ours.line[i], vs);
		if (h < 0)
			fail_msg("'%s' is not in Linux's vmstat", ours.line[i]);
		if (h < last)
			fail_msg("'%s' comes before '%s' in Linux's vmstat", ours.line[i], host.line[last]);
		last = h;
	}
	free_lines(&ours);
	free_lines(&host);
	ktest_shutdown(m);
}

/* pagetypeinfo: the same header, order row and per-type rows as the host's. */
static void test_proc_pagetypeinfo_matches_linux_layout(void **state)
{
	struct machine *m = boot_default();
	struct lines ours, host;
	host_file("pagetypeinfo", &host);
	mmemu_file(&m->kernel, pagetypeinfo_show, &ours);
	for (int i = 0; i < 4; i++)
		assert_string_equal(ours.line[i], host.line[i]);
	for (int i = 4; i < ours.n; i++) {
		const char *l = ours.line[i];
		if (!*l) {
			assert_int_not_equal(find_label(&host, ""), -1);
			continue;
		}
		if (!strncmp(l, "Number of blocks type", 21)) {
			int h = find_label(&host, "Number of blocks type");
			assert_string_equal(l, host.line[h]);
			continue;
		}
		/* Rows: same heading up to the first count, and the same width. */
		const char *type = strstr(l, "type");
		size_t head = type ? (size_t)(type - l) + 17 : 22;
		int h = -1;
		for (int j = 0; j < host.n && h < 0; j++)
			if (!strncmp(host.line[j] + 16, l + 16, head - 16) && !strncmp(host.line[j], l, 6))
				h = j;
		if (h < 0)
			fail_msg("row '%s' has no counterpart in Linux's pagetypeinfo", l);
		assert_int_equal(strlen(l), strlen(host.line[h]));
	}
	free_lines(&ours);
	free_lines(&host);
	ktest_shutdown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_buddyinfo_matches_linux_columns),
		cmocka_unit_test(test_proc_zoneinfo_labels_and_padding_match_linux),
		cmocka_unit_test(test_proc_meminfo_labels_order_and_width_match_linux),
		cmocka_unit_test(test_proc_vmstat_names_and_order_match_linux),
		cmocka_unit_test(test_proc_pagetypeinfo_matches_linux_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
