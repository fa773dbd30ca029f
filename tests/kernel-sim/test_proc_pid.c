/*
 * Tests of /proc/PID/maps, smaps, status and statm (kernel-sim/proc_pid.c): exact text for
 * a process laid out by hand (expected lines written from fs/proc/task_mmu.c's layout:
 * name at column 73, kB columns 8 wide), and the shape of each file against this Linux
 * host's own /proc/self files (labels, their order, column positions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/seq_file.h"
#include "tests/kernel-sim/mmtest.h"

#define STACK_TOP 0x7ffffffff000UL

struct proc_fixture {
	struct mmt *t;
	uint8_t *image;  /* the program file's bytes */
	struct file *prog;
};

/*
 * A static program's address space, as exec would leave it plus a few mappings:
 *   0x400000 text (2 pages r-x, file offset 0), 0x402000 data (1 page rw-p, offset 2 pages),
 *   heap from 0x403000 (3 pages), an anonymous mapping (4 pages), a shared anonymous page,
 *   the stack (32 pages). Touched: both text pages (read), data (write: COW), 2 heap pages,
 *   2 anonymous pages, the shared page and one stack page.
 */
static int setup(void **state)
{
	struct proc_fixture *pf = calloc(1, sizeof(*pf));
	struct mmt *t = pf->t = mmt_new(64);
	struct kernel *k = t->k;
	struct mm_struct *mm = t->mm;
	pf->image = calloc(3, PG);
	pf->prog = file_from_buffer(k, "/usr/bin/prog", pf->image, 3 * PG, FMODE_READ | FMODE_EXEC);
	pf->prog->f_inode->i_dev_major = 8;
	pf->prog->f_inode->i_dev_minor = 1;
	pf->prog->f_inode->i_ino = 1234;
	const unsigned long P = MAP_PRIVATE | MAP_FIXED;
	assert_int_equal(vm_mmap(k, mm, pf->prog, 0x400000, 2 * PG, PROT_READ | PROT_EXEC, P, 0),
			 0x400000);
	assert_int_equal(vm_mmap(k, mm, pf->prog, 0x402000, PG, PROT_READ | PROT_WRITE, P, 2 * PG),
			 0x402000);
	mm->start_code = 0x400000;
	mm->end_code = 0x401800;
	mm->start_data = 0x402000;
	mm->end_data = 0x402800;
	mm_set_brk_base(mm, 0x403000);
	assert_int_equal(do_brk(k, mm, 0x403000 + 2 * PG + 16), 0x403000 + 2 * PG + 16);
	long anon = anon_map(t, 0, 4 * PG, PROT_READ | PROT_WRITE, 0);
	assert_int_equal(anon, 0x7ffff7ffb000);
	long shm = vm_mmap(k, mm, NULL, 0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	assert_int_equal(shm, 0x7ffff7ffa000);
	assert_int_equal(setup_stack_vma(k, mm, STACK_TOP, 32 * PG), 0);
	uread8(k, mm, 0x400000);
	uread8(k, mm, 0x401000);
	uwrite8(k, mm, 0x402000, 1);
	uwrite8(k, mm, 0x403000, 1);
	uwrite8(k, mm, 0x404000, 1);
	uwrite8(k, mm, (uint64_t)anon, 1);
	uwrite8(k, mm, (uint64_t)anon + PG, 1);
	uwrite8(k, mm, (uint64_t)shm, 1);
	uwrite8(k, mm, STACK_TOP - 8, 1);
	*state = pf;
	return 0;
}

static int teardown(void **state)
{
	struct proc_fixture *pf = *state;
	mmput(pf->t->k, pf->t->mm);
	pf->t->mm = NULL;
	fput(pf->t->k, pf->prog);
	mmt_free(pf->t);
	free(pf->image);
	free(pf);
	return 0;
}

typedef void (*show_fn)(struct seq_file *, struct kernel *, struct mm_struct *);

static char *show(struct proc_fixture *pf, show_fn fn)
{
	struct seq_file m;
	seq_init(&m);
	fn(&m, pf->t->k, pf->t->mm);
	char *s = strdup(m.buf);
	seq_release(&m);
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The line of text starting with label (at a line start), or NULL. */
static const char *find_line(const char *text, const char *label)
{
	size_t n = strlen(label);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, label, n))
			return p;
	return NULL;
}

static size_t line_len(const char *line)
{
	const char *nl = strchr(line, '\n');
	return nl ? (size_t)(nl - line) : strlen(line);
}

/* ---- exact text ---- */

static void test_proc_maps_exact_layout(void **state)
{
	char *maps = show(*state, proc_pid_maps_show);
	assert_string_equal(
		maps,
		"00400000-00402000 r-xp 00000000 08:01 1234                               /usr/bin/prog\n"
		"00402000-00403000 rw-p 00002000 08:01 1234                               /usr/bin/prog\n"
		"00403000-00406000 rw-p 00000000 00:00 0                                  [heap]\n"
		"7ffff7ffa000-7ffff7ffb000 rw-s 00000000 00:01 2                          "
		"/dev/zero (deleted)\n"
		"7ffff7ffb000-7ffff7fff000 rw-p 00000000 00:00 0 \n"
		"7ffffffdf000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n");
	free(maps);
}

static void test_proc_smaps_text_and_data_values(void **state)
{
	char *s = show(*state, proc_pid_smaps_show);
	const char *text_block =
		"00400000-00402000 r-xp 00000000 08:01 1234                               /usr/bin/prog\n"
		"Size:                  8 kB\n"
		"KernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\n"
		"Rss:                   8 kB\n"
		"Pss:                   8 kB\n"
		"Pss_Dirty:             0 kB\n"
		"Shared_Clean:          0 kB\n"
		"Shared_Dirty:          0 kB\n"
		"Private_Clean:         8 kB\n"
		"Private_Dirty:         0 kB\n"
		"Referenced:            8 kB\n"
		"Anonymous:             0 kB\n"
		"KSM:                   0 kB\n"
		"LazyFree:              0 kB\n"
		"AnonHugePages:         0 kB\n"
		"ShmemPmdMapped:        0 kB\n"
		"FilePmdMapped:         0 kB\n"
		"Shared_Hugetlb:        0 kB\n"
		"Private_Hugetlb:       0 kB\n"
		"Swap:                  0 kB\n"
		"SwapPss:               0 kB\n"
		"Locked:                0 kB\n"
		"THPeligible:           0\n"
		"VmFlags: rd ex mr mw me \n";
	assert_int_equal(strncmp(s, text_block, strlen(text_block)), 0);
	const char *data = strstr(s, "00402000-00403000");
	assert_non_null(data);
	assert_non_null(strstr(data, "Rss:                   4 kB\n"
				     "Pss:                   4 kB\n"
				     "Pss_Dirty:             4 kB\n"
				     "Shared_Clean:          0 kB\n"
				     "Shared_Dirty:          0 kB\n"
				     "Private_Clean:         0 kB\n"
				     "Private_Dirty:         4 kB\n"
				     "Referenced:            4 kB\n"
				     "Anonymous:             4 kB\n"));
	assert_non_null(strstr(data, "VmFlags: rd wr mr mw me ac \n"));
	const char *stack = strstr(s, "7ffffffdf000-7ffffffff000");
	assert_non_null(strstr(stack, "Size:                128 kB\n"));
	assert_non_null(strstr(stack, "VmFlags: rd wr mr mw me gd ac \n"));
	const char *shm = strstr(s, "7ffff7ffa000-7ffff7ffb000");
	assert_non_null(strstr(shm, "VmFlags: rd wr sh mr mw me ms \n"));
	free(s);
}

static void test_proc_status_memory_lines(void **state)
{
	char *s = show(*state, proc_pid_status_mem_show);
	assert_string_equal(s, "VmPeak:\t     172 kB\n"
			       "VmSize:\t     172 kB\n"
			       "VmLck:\t       0 kB\n"
			       "VmPin:\t       0 kB\n"
			       "VmHWM:\t      36 kB\n"
			       "VmRSS:\t      36 kB\n"
			       "RssAnon:\t      24 kB\n"
			       "RssFile:\t       8 kB\n"
			       "RssShmem:\t       4 kB\n"
			       "VmData:\t      32 kB\n"
			       "VmStk:\t     128 kB\n"
			       "VmExe:\t       8 kB\n"
			       "VmLib:\t       0 kB\n"
			       "VmPTE:\t      28 kB\n"
			       "VmSwap:\t       0 kB\n");
	free(s);
}

static void test_proc_statm_fields(void **state)
{
	char *s = show(*state, proc_pid_statm_show);
	assert_string_equal(s, "43 9 3 2 0 40 0\n");
	free(s);
}

static void test_proc_peaks_stay_after_unmap(void **state)
{
	struct proc_fixture *pf = *state;
	assert_int_equal(do_munmap(pf->t->k, pf->t->mm, 0x7ffff7ffb000, 4 * PG), 0);
	char *s = show(pf, proc_pid_status_mem_show);
	assert_non_null(strstr(s, "VmPeak:\t     172 kB\nVmSize:\t     156 kB\n"));
	assert_non_null(strstr(s, "VmHWM:\t      36 kB\nVmRSS:\t      28 kB\n"));
	free(s);
}

static void test_proc_smaps_shared_page_splits_pss(void **state)
{
	struct proc_fixture *pf = *state;
	struct mmt *t = pf->t;
	/* Map the program's text page a second time: each mapping's Pss is half the page. */
	assert_int_equal(vm_mmap(t->k, t->mm, pf->prog, 0x500000, PG, PROT_READ,
				 MAP_PRIVATE | MAP_FIXED, 0),
			 0x500000);
	uread8(t->k, t->mm, 0x500000);
	char *s = show(pf, proc_pid_smaps_show);
	const char *b = strstr(s, "00500000-00501000");
	assert_non_null(b);
	assert_non_null(strstr(b, "Rss:                   4 kB\n"
				  "Pss:                   2 kB\n"
				  "Pss_Dirty:             0 kB\n"
				  "Shared_Clean:          4 kB\n"));
	assert_non_null(strstr(s, "Rss:                   8 kB\n"
				  "Pss:                   6 kB\n"));
	free(s);
}

/* ---- shape against this host ---- */

/* Every maps line with a name has it at column 73 when the prefix is shorter, on the host
 * and here; the prefix is "start-end perms offset major:minor inode ". */
static void check_maps_shape(const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = line_len(p);
		char line[512];
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		unsigned long s, e, ino;
		unsigned long long off;
		char perms[5];
		unsigned maj, min;
		int used = 0;
		assert_int_equal(sscanf(line, "%lx-%lx %4s %llx %x:%x %lu %n", &s, &e, perms, &off,
					&maj, &min, &ino, &used),
				 7);
		assert_true(strchr("-r", perms[0]) && strchr("-w", perms[1]) &&
			    strchr("-x", perms[2]) && strchr("ps", perms[3]));
		if (used < 73 && (size_t)used < n)
			assert_int_equal(strspn(line + used, " ") + (size_t)used, 73);
		p += n + (p[n] ? 1 : 0);
	}
}

static void test_proc_maps_shape_matches_host(void **state)
{
	char *host = slurp("/proc/self/maps");
	assert_non_null(host);
	check_maps_shape(host);
	char *ours = show(*state, proc_pid_maps_show);
	check_maps_shape(ours);
	free(ours);
	free(host);
}

/* The labels of the first smaps block, in order, and where each line's value ends. */
static int smaps_labels(const char *text, char labels[][32], size_t ends[], int max)
{
	int n = 0;
	const char *p = strchr(text, '\n') + 1;
	while (*p && n < max) {
		size_t len = line_len(p);
		const char *colon = memchr(p, ':', len);
		if (!colon || memchr(p, ' ', (size_t)(colon - p))) /* the next block's header */
			break;
		size_t l = (size_t)(colon - p);
		memcpy(labels[n], p, l);
		labels[n][l] = '\0';
		ends[n] = len;
		n++;
		if (!strcmp(labels[n - 1], "VmFlags"))
			break;
		p += len + 1;
	}
	return n;
}

static void test_proc_smaps_shape_matches_host(void **state)
{
	char *host = slurp("/proc/self/smaps");
	assert_non_null(host);
	char *ours = show(*state, proc_pid_smaps_show);
	char hl[64][32], ol[64][32];
	size_t he[64], oe[64];
	int hn = smaps_labels(host, hl, he, 64), on = smaps_labels(ours, ol, oe, 64);
	assert_int_equal(on, 24); /* Size .. VmFlags */
	int j = 0;
	for (int i = 0; i < hn; i++) {
		if (!strcmp(hl[i], "ProtectionKey")) /* only with memory protection keys */
			continue;
		assert_true(j < on);
		assert_string_equal(hl[i], ol[j]);
		if (strcmp(hl[i], "VmFlags"))
			assert_int_equal(he[i], oe[j]);
		j++;
	}
	assert_int_equal(j, on);
	free(ours);
	free(host);
}

/* line[start, len) is a number right-aligned in at least 8 columns, then " kB". (The
 * host's own values can be wider: a sanitizer build maps terabytes.) */
static void check_kb_field(const char *line, size_t start, size_t len)
{
	assert_true(len >= start + 8 + 3);
	assert_memory_equal(line + len - 3, " kB", 3);
	size_t field = len - 3 - start;
	size_t spaces = strspn(line + start, " ");
	size_t digits = strspn(line + start + spaces, "0123456789");
	assert_int_equal(spaces + digits, field);
	assert_true(digits >= 1);
	assert_true(field == 8 || spaces == 0);
}

static void test_proc_status_shape_matches_host(void **state)
{
	char *host = slurp("/proc/self/status");
	assert_non_null(host);
	char *ours = show(*state, proc_pid_status_mem_show);
	int lines = 0;
	for (const char *p = ours; *p; lines++) {
		size_t n = line_len(p);
		const char *tab = memchr(p, '\t', n);
		assert_non_null(tab);
		char label[32];
		memcpy(label, p, (size_t)(tab - p) + 1);
		label[tab - p + 1] = '\0';
		const char *h = find_line(host, label);
		assert_non_null(h);
		/* Same label, a tab, the value right-aligned in 8 columns, " kB". */
		check_kb_field(h, strlen(label), line_len(h));
		check_kb_field(p, strlen(label), n);
		p += n + 1;
	}
	assert_int_equal(lines, 15);
	/* And in the host's order. */
	assert_true(find_line(host, "VmPeak:") < find_line(host, "VmSize:"));
	assert_true(find_line(host, "RssShmem:") < find_line(host, "VmData:"));
	assert_true(find_line(host, "VmPTE:") < find_line(host, "VmSwap:"));
	free(ours);
	free(host);
}

static void test_proc_statm_shape_matches_host(void **state)
{
	char *host = slurp("/proc/self/statm");
	char *ours = show(*state, proc_pid_statm_show);
	unsigned long v[7];
	char end;
	assert_non_null(host);
	assert_int_equal(sscanf(host, "%lu %lu %lu %lu %lu %lu %lu%c", &v[0], &v[1], &v[2],
					&v[3], &v[4], &v[5], &v[6], &end),
				 8);
	assert_int_equal(sscanf(ours, "%lu %lu %lu %lu %lu %lu %lu%c", &v[0], &v[1], &v[2], &v[3],
				&v[4], &v[5], &v[6], &end),
			 8);
	assert_int_equal(end, '\n');
	free(ours);
	free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_proc_maps_exact_layout),
		T(test_proc_smaps_text_and_data_values),
		T(test_proc_status_memory_lines),
		T(test_proc_statm_fields),
		T(test_proc_peaks_stay_after_unmap),
		T(test_proc_smaps_shared_page_splits_pss),
		T(test_proc_maps_shape_matches_host),
		T(test_proc_smaps_shape_matches_host),
		T(test_proc_status_shape_matches_host),
		T(test_proc_statm_shape_matches_host),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
