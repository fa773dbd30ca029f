/*
 * Tests of the page-fault path (kernel-sim/memory.c, filemap.c): every fault kind, driven by
 * simulated CPL-3 accesses (tests/kernel-sim/mmtest.h) that walk the page tables as the
 * hardware does and hand the architectural #PF error code to do_user_addr_fault(). The
 * expected outcomes are Linux's (mm/memory.c, arch/x86/mm/fault.c), and the PTE bits are
 * checked against the SDM's bit positions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL /* a 64 KiB-aligned address for fixed mappings */

static int setup(void **state)
{
	*state = mmt_new(64);
	return 0;
}

static int teardown(void **state)
{
	mmt_free(*state);
	return 0;
}

static uint64_t leaf_of(struct mmt *t, uint64_t va)
{
	return sdm_leaf(t->k, t->mm, va, NULL);
}

static uint64_t zero_pfn(struct mmt *t)
{
	return page_to_pfn(t->k, t->k->vm->zero_page);
}

static struct page *leaf_page(struct mmt *t, uint64_t va)
{
	uint64_t leaf = leaf_of(t, va);
	assert_true(leaf & SDM_P);
	return pfn_to_page(t->k, (unsigned long)((leaf & SDM_ADDR) >> 12));
}

static bool page_all(struct mmt *t, struct page *page, uint8_t v)
{
	const uint8_t *p = page_address(t->k, page);
	for (unsigned i = 0; i < PG; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* A file of npages whose page i is filled with byte i + 1. The buffer must outlive it. */
static struct file *pattern_file(struct mmt *t, unsigned npages, unsigned mode, uint8_t **buf)
{
	*buf = malloc(npages * PG);
	for (unsigned i = 0; i < npages; i++)
		memset(*buf + i * PG, (int)(i + 1), PG);
	struct file *f = file_from_buffer(t->k, "/data/pattern.bin", *buf, npages * PG, mode);
	assert_non_null(f);
	return f;
}

/* ---- anonymous memory ---- */

static void test_fault_anon_read_maps_zero_page_readonly(void **state)
{
	struct mmt *t = *state;
	unsigned long pgfault = t->k->vm_events[PGFAULT];
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(leaf_of(t, BASE + PG), 0);
	struct uacc r = uaccess(t->k, t->mm, BASE + PG + 5, false, false);
	assert_int_equal(r.signo, 0);
	assert_int_equal(r.faults, 1);
	uint64_t leaf = leaf_of(t, BASE + PG);
	assert_int_equal((leaf & SDM_ADDR) >> 12, zero_pfn(t));
	assert_true(leaf & SDM_P);
	assert_true(leaf & SDM_US);
	assert_false(leaf & SDM_RW);
	assert_true(leaf & SDM_XD);
	assert_int_equal(bus_load(t->k->bus, r.pa, 1), 0);
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(t->mm->min_flt, 1);
	assert_int_equal(t->mm->maj_flt, 0);
	assert_int_equal(t->k->vm_events[PGFAULT], pgfault + 1);
}

static void test_fault_anon_write_allocates_zeroed_writable_dirty_page(void **state)
{
	struct mmt *t = *state;
	long anon_before = global_node_page_state(t->k, NR_ANON_MAPPED);
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	struct uacc r = uaccess(t->k, t->mm, BASE + 2 * PG + 7, true, false);
	assert_int_equal(r.signo, 0);
	assert_int_equal(r.faults, 1);
	uint64_t leaf = leaf_of(t, BASE + 2 * PG);
	assert_int_not_equal((leaf & SDM_ADDR) >> 12, zero_pfn(t));
	assert_int_equal(leaf & (SDM_P | SDM_RW | SDM_US | SDM_D | SDM_XD),
			 SDM_P | SDM_RW | SDM_US | SDM_D | SDM_XD);
	struct page *page = leaf_page(t, BASE + 2 * PG);
	assert_true(page_all(t, page, 0));
	assert_true(PageAnon(page));
	assert_int_equal(page_mapcount(page), 1);
	assert_int_equal(page_count(page), 1);
	assert_int_equal(page->owner, (uint32_t)t->mm->pid);
	assert_int_equal(page->index, (BASE + 2 * PG) >> 12);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1);
	assert_int_equal(global_node_page_state(t->k, NR_ANON_MAPPED), anon_before + 1);
}

static void test_fault_write_after_zero_page_copies_to_new_page(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(uread8(t->k, t->mm, BASE), 0);
	assert_int_equal((leaf_of(t, BASE) & SDM_ADDR) >> 12, zero_pfn(t));
	struct uacc r = uaccess(t->k, t->mm, BASE, true, false);
	assert_int_equal(r.signo, 0);
	assert_int_equal(r.faults, 1); /* a write-protect fault on the zero page */
	bus_store(t->k->bus, r.pa, 0x5a, 1);
	uint64_t leaf = leaf_of(t, BASE);
	assert_int_not_equal((leaf & SDM_ADDR) >> 12, zero_pfn(t));
	assert_true(leaf & SDM_RW);
	assert_true(leaf & SDM_D);
	assert_true(page_all(t, t->k->vm->zero_page, 0));
	assert_int_equal(uread8(t->k, t->mm, BASE), 0x5a);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1);
	assert_int_equal(t->mm->min_flt, 2);
}

static void test_fault_write_to_readonly_vma_sigsegv_accerr(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ, MAP_FIXED), BASE);
	unsigned long pgfault = t->k->vm_events[PGFAULT];
	struct uacc r = uaccess(t->k, t->mm, BASE, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_ACCERR);
	assert_int_equal(t->k->vm_events[PGFAULT], pgfault); /* refused before handle_mm_fault */
	/* Once the page is mapped read-only, the write faults with P set: still ACCERR. */
	assert_int_equal(uread8(t->k, t->mm, BASE), 0);
	r = uaccess(t->k, t->mm, BASE, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_ACCERR);
}

static void test_fault_outside_any_vma_sigsegv_maperr(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	struct uacc r = uaccess(t->k, t->mm, BASE + PG, false, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_MAPERR);
	r = uaccess(t->k, t->mm, BASE - PG, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_MAPERR);
	r = uaccess(t->k, t->mm, 0, false, false); /* NULL */
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_MAPERR);
}

static void test_fault_user_access_to_kernel_address_sigsegv(void **state)
{
	struct mmt *t = *state;
	/* The direct map is present in every pgd, but supervisor-only. */
	struct fault_result f =
		do_user_addr_fault(t->k, t->mm, 0xffff888000001000UL, PFEC_U | PFEC_P);
	assert_int_equal(f.signo, SIGSEGV);
	assert_int_equal(f.si_code, SEGV_MAPERR);
	struct uacc r = uaccess(t->k, t->mm, 0xffff888000200000UL, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	/* Non-canonical and the last user page (above TASK_SIZE) too. */
	f = do_user_addr_fault(t->k, t->mm, 0x7ffffffff000UL, PFEC_U);
	assert_int_equal(f.signo, SIGSEGV);
}

static void test_fault_exec_on_nx_vma_sigsegv_accerr(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	/* As on Linux: the first fetch maps the page (NX), the retried fetch faults with P|I. */
	struct uacc r = uaccess(t->k, t->mm, BASE, false, true);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_ACCERR);
	assert_int_equal(r.faults, 2);
	assert_true(leaf_of(t, BASE) & SDM_XD);
	/* An executable mapping runs. */
	assert_int_equal(anon_map(t, BASE + 16 * PG, PG, PROT_READ | PROT_EXEC, MAP_FIXED),
			 BASE + 16 * PG);
	r = uaccess(t->k, t->mm, BASE + 16 * PG, false, true);
	assert_int_equal(r.signo, 0);
	assert_false(leaf_of(t, BASE + 16 * PG) & SDM_XD);
}

static void test_fault_prot_none_sigsegv_accerr(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, PG, PROT_NONE, MAP_FIXED), BASE);
	struct uacc r = uaccess(t->k, t->mm, BASE, false, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_ACCERR);
}

/* ---- the stack ---- */

#define STACK_TOP 0x7ffffffff000UL

static void test_fault_stack_growth_within_limit_extends_vma(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(setup_stack_vma(t->k, t->mm, STACK_TOP, 32 * PG), 0);
	struct vm_area_struct *stack = find_vma(t->mm, STACK_TOP - PG);
	assert_true(stack->vm_flags & VM_GROWSDOWN);
	assert_int_equal(t->mm->stack_vm, 32);
	uint64_t addr = STACK_TOP - 100 * PG + 8;
	uwrite8(t->k, t->mm, addr, 7);
	assert_int_equal(stack->vm_start, STACK_TOP - 100 * PG);
	assert_int_equal(t->mm->stack_vm, 100);
	assert_int_equal(t->mm->total_vm, 100);
	assert_int_equal(t->mm->map_count, 1);
	assert_int_equal(uread8(t->k, t->mm, addr), 7);
	/* Beyond RLIMIT_STACK (8 MiB) it does not grow. */
	struct uacc r = uaccess(t->k, t->mm, STACK_TOP - (8UL << 20) - PG, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_MAPERR);
	assert_int_equal(stack->vm_start, STACK_TOP - 100 * PG);
}

static void test_fault_stack_growth_into_guard_gap_fails(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(setup_stack_vma(t->k, t->mm, STACK_TOP, 32 * PG), 0);
	uint64_t stack_start = STACK_TOP - 32 * PG;
	/* A mapping 300 pages below the stack: its end is 299 pages below. */
	uint64_t below = stack_start - 300 * PG;
	assert_int_equal(anon_map(t, below, PG, PROT_READ | PROT_WRITE, MAP_FIXED), below);
	/* 199 pages above that mapping's end: inside the 256-page guard gap. */
	struct uacc r = uaccess(t->k, t->mm, stack_start - 100 * PG, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_MAPERR);
	/* 259 pages above it: allowed. */
	r = uaccess(t->k, t->mm, stack_start - 40 * PG, true, false);
	assert_int_equal(r.signo, 0);
	assert_int_equal(find_vma(t->mm, stack_start)->vm_start, stack_start - 40 * PG);
	/* The top-down search keeps the gap too: a hint inside it is not taken. */
	long a = anon_map(t, stack_start - 41 * PG - 16 * PG, 16 * PG, PROT_READ, 0);
	assert_true(a > 0);
	assert_true((uint64_t)a + 16 * PG <= stack_start - 40 * PG - 256 * PG);
}

/* ---- file mappings ---- */

static void test_fault_file_read_fault_around_maps_16_pages(void **state)
{
	struct mmt *t = *state;
	uint8_t *buf;
	struct file *f = pattern_file(t, 64, FMODE_READ, &buf);
	unsigned long majfault = t->k->vm_events[PGMAJFAULT];
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 64 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED,
				 0),
			 BASE);
	/* First touch: the page is read in (a major fault); nothing was cached to map around. */
	assert_int_equal(uread8(t->k, t->mm, BASE + 5 * PG), 6);
	assert_int_equal(t->mm->maj_flt, 1);
	assert_int_equal(t->k->vm_events[PGMAJFAULT], majfault + 1);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 1);
	assert_int_equal(leaf_of(t, BASE + 4 * PG), 0);
	assert_int_equal(leaf_of(t, BASE + 6 * PG), 0);
	/* Read-around cached a window around it: the next fault maps the 16 cached pages of
	 * its 64 KiB block at once, as a minor fault. */
	assert_int_equal(uread8(t->k, t->mm, BASE + 6 * PG), 7);
	assert_int_equal(t->mm->min_flt, 1);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 16);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t leaf = leaf_of(t, BASE + i * PG);
		assert_true(leaf & SDM_P);
		assert_false(leaf & SDM_RW);
		assert_true(leaf & SDM_XD);
		assert_ptr_equal(leaf_page(t, BASE + i * PG), find_get_page(f, i));
	}
	assert_int_equal(leaf_of(t, BASE + 16 * PG), 0);
	/* Touching them costs no fault. */
	struct uacc r = uaccess(t->k, t->mm, BASE + 15 * PG, false, false);
	assert_int_equal(r.faults, 0);
	assert_int_equal(bus_load(t->k->bus, r.pa, 1), 16);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
	free(buf);
}

static void test_fault_file_random_advice_reads_one_page(void **state)
{
	struct mmt *t = *state;
	uint8_t *buf;
	struct file *f = pattern_file(t, 64, FMODE_READ, &buf);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 64 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED,
				 0),
			 BASE);
	assert_int_equal(do_madvise(t->k, t->mm, BASE, 64 * PG, MADV_RANDOM), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE + 20 * PG), 21);
	assert_int_equal(f->f_inode->i_data.nrpages, 1);
	assert_int_equal(uread8(t->k, t->mm, BASE + 21 * PG), 22);
	assert_int_equal(t->mm->maj_flt, 2);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
	free(buf);
}

static void test_fault_private_file_write_copies_and_keeps_file_page(void **state)
{
	struct mmt *t = *state;
	uint8_t *buf;
	struct file *f = pattern_file(t, 4, FMODE_READ, &buf);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 4 * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_FIXED, 0),
			 BASE);
	/* Read first (maps the cache page read-only), then write (copy on write). */
	assert_int_equal(uread8(t->k, t->mm, BASE + 10), 1);
	struct page *cached = find_get_page(f, 0);
	assert_ptr_equal(leaf_page(t, BASE), cached);
	assert_false(leaf_of(t, BASE) & SDM_RW);
	uwrite8(t->k, t->mm, BASE + 10, 0xee);
	struct page *copy = leaf_page(t, BASE);
	assert_ptr_not_equal(copy, cached);
	assert_true(PageAnon(copy));
	assert_true(leaf_of(t, BASE) & SDM_RW);
	assert_int_equal(uread8(t->k, t->mm, BASE + 10), 0xee);
	assert_int_equal(uread8(t->k, t->mm, BASE + 11), 1);
	assert_true(page_all(t, cached, 1));
	assert_int_equal(page_mapcount(cached), 0);
	/* A write to a page never mapped goes straight to a private copy. */
	uwrite8(t->k, t->mm, BASE + 2 * PG, 0x11);
	assert_true(PageAnon(leaf_page(t, BASE + 2 * PG)));
	assert_true(page_all(t, find_get_page(f, 2), 3));
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	assert_int_equal(buf[10], 1);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
	free(buf);
}

static void test_fault_shared_file_write_dirties_page_cache(void **state)
{
	struct mmt *t = *state;
	uint8_t *buf;
	struct file *f = pattern_file(t, 4, FMODE_READ | FMODE_WRITE, &buf);
	long dirty = global_node_page_state(t->k, NR_FILE_DIRTY);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 4 * PG, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, 0),
			 BASE);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE + 64 * PG, 4 * PG, PROT_READ,
				 MAP_SHARED | MAP_FIXED, 0),
			 BASE + 64 * PG);
	/* A read maps the page read-only so that the first write is seen (dirty tracking). */
	assert_int_equal(uread8(t->k, t->mm, BASE + PG), 2);
	struct page *page = find_get_page(f, 1);
	assert_false(leaf_of(t, BASE + PG) & SDM_RW);
	assert_false(PageFlag(page, PG_dirty));
	uwrite8(t->k, t->mm, BASE + PG + 3, 0x77);
	assert_ptr_equal(leaf_page(t, BASE + PG), page);
	assert_true(leaf_of(t, BASE + PG) & SDM_RW);
	assert_true(PageFlag(page, PG_dirty));
	assert_int_equal(global_node_page_state(t->k, NR_FILE_DIRTY), dirty + 1);
	assert_int_equal(((uint8_t *)page_address(t->k, page))[3], 0x77);
	/* The other mapping of the file sees the write. */
	assert_int_equal(uread8(t->k, t->mm, BASE + 65 * PG + 3), 0x77);
	assert_int_equal(page_mapcount(page), 2);
	/* That read fault mapped the other 3 cached pages of the file around it too. */
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 5);
	/* A write fault on an unmapped page maps it writable and dirty at once. */
	uwrite8(t->k, t->mm, BASE + 3 * PG, 0x33);
	assert_true(PageFlag(find_get_page(f, 3), PG_dirty));
	assert_true(leaf_of(t, BASE + 3 * PG) & SDM_D);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 6);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 0);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
	assert_int_equal(global_node_page_state(t->k, NR_FILE_DIRTY), dirty);
	free(buf);
}

static void test_fault_host_file_pages_read_with_pread(void **state)
{
	struct mmt *t = *state;
	char path[] = "/tmp/mmemu-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t page[PG];
	for (unsigned i = 0; i < 3; i++) {
		memset(page, (int)(0x30 + i), sizeof(page));
		assert_int_equal(write(fd, page, i < 2 ? PG : 10), i < 2 ? (ssize_t)PG : 10);
	}
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	int err = 0;
	struct file *f = file_open_host(t->k, path, FMODE_READ, &err);
	unlink(path);
	assert_non_null(f);
	assert_int_equal(err, 0);
	assert_int_equal(f->f_inode->i_size, 2 * PG + 10);
	assert_int_equal(f->f_inode->i_ino, st.st_ino);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED,
				 0),
			 BASE);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG + 7), 0x31);
	assert_int_equal(uread8(t->k, t->mm, BASE + 2 * PG + 9), 0x32);
	assert_int_equal(uread8(t->k, t->mm, BASE + 2 * PG + 10), 0);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
	assert_null(file_open_host(t->k, "/nonexistent/mmemu", FMODE_READ, &err));
	assert_int_equal(err, -ENOENT);
	assert_null(file_open_host(t->k, "/tmp", FMODE_READ, &err));
	assert_int_equal(err, -EACCES);
}

static void test_fault_file_beyond_eof_sigbus(void **state)
{
	struct mmt *t = *state;
	uint8_t data[PG + 100];
	memset(data, 0x42, sizeof(data));
	struct file *f = file_from_buffer(t->k, "/short", data, sizeof(data), FMODE_READ);
	assert_int_equal(vm_mmap(t->k, t->mm, f, BASE, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED,
				 0),
			 BASE);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG + 99), 0x42);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG + 100), 0); /* the tail reads as zero */
	struct uacc r = uaccess(t->k, t->mm, BASE + 2 * PG, false, false);
	assert_int_equal(r.signo, SIGBUS);
	assert_int_equal(r.si_code, BUS_ADRERR);
	mmput(t->k, t->mm);
	t->mm = NULL;
	fput(t->k, f);
}

static void test_fault_shared_anonymous_visible_through_both_mappings(void **state)
{
	struct mmt *t = *state;
	long a = vm_mmap(t->k, t->mm, NULL, 0, 2 * PG, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, 0);
	assert_true(a > 0);
	uwrite8(t->k, t->mm, (uint64_t)a + 5, 9);
	/* mremap-free check: the page is a shmem page cache page, counted as RssShmem. */
	struct page *page = leaf_page(t, (uint64_t)a);
	assert_false(PageAnon(page));
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 1);
	assert_true(leaf_of(t, (uint64_t)a) & SDM_RW);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)a + 5), 9);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)a + PG), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 2);
}

/* ---- counters, populate, zap, leaks ---- */

static void test_fault_populate_maps_every_page_writable(void **state)
{
	struct mmt *t = *state;
	long a = anon_map(t, 0, 8 * PG, PROT_READ | PROT_WRITE, MAP_POPULATE);
	assert_true(a > 0);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t leaf = leaf_of(t, (uint64_t)a + i * PG);
		assert_true(leaf & SDM_P);
		assert_true(leaf & SDM_RW);
	}
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 8);
	assert_int_equal(t->mm->min_flt, 8);
	assert_int_equal(uaccess(t->k, t->mm, (uint64_t)a + 3 * PG, true, false).faults, 0);
}

static void test_fault_madvise_dontneed_zaps_pages(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (unsigned i = 0; i < 4; i++)
		uwrite8(t->k, t->mm, BASE + i * PG, (uint8_t)(0x10 + i));
	assert_int_equal(get_mm_rss(t->mm), 4);
	assert_int_equal(do_madvise(t->k, t->mm, BASE + PG, 2 * PG, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_rss(t->mm), 2);
	assert_int_equal(t->mm->hiwater_rss, 4);
	assert_int_equal(leaf_of(t, BASE + PG), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE + PG), 0);
	assert_int_equal(uread8(t->k, t->mm, BASE), 0x10);
	assert_int_equal(uread8(t->k, t->mm, BASE + 3 * PG), 0x13);
	assert_int_equal(t->mm->map_count, 1);
}

static void test_fault_mprotect_rewrites_ptes(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uwrite8(t->k, t->mm, BASE, 1);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE, 2 * PG, PROT_READ), 0);
	assert_false(leaf_of(t, BASE) & SDM_RW);
	struct uacc r = uaccess(t->k, t->mm, BASE, true, false);
	assert_int_equal(r.signo, SIGSEGV);
	assert_int_equal(r.si_code, SEGV_ACCERR);
	assert_int_equal(do_mprotect(t->k, t->mm, BASE, 2 * PG, PROT_NONE), 0);
	assert_false(leaf_of(t, BASE) & SDM_P);
	assert_int_equal(uaccess(t->k, t->mm, BASE, false, false).si_code, SEGV_ACCERR);
	/* Back to writable: the exclusive dirty page is writable at once, no fault. */
	assert_int_equal(do_mprotect(t->k, t->mm, BASE, 2 * PG, PROT_READ | PROT_WRITE), 0);
	assert_true(leaf_of(t, BASE) & SDM_RW);
	r = uaccess(t->k, t->mm, BASE, true, false);
	assert_int_equal(r.faults, 0);
	assert_int_equal(bus_load(t->k->bus, r.pa, 1), 1);
	assert_int_equal(t->mm->map_count, 1);
}

static void test_fault_mremap_move_keeps_contents(void **state)
{
	struct mmt *t = *state;
	assert_int_equal(anon_map(t, BASE, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(anon_map(t, BASE + 4 * PG, PG, PROT_READ, MAP_FIXED), BASE + 4 * PG);
	for (unsigned i = 0; i < 4; i++)
		uwrite8(t->k, t->mm, BASE + i * PG + i, (uint8_t)(0xa0 + i));
	struct page *p0 = leaf_page(t, BASE);
	long n = do_mremap(t->k, t->mm, BASE, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	assert_true(n > 0);
	assert_int_not_equal(n, BASE);
	assert_int_equal(leaf_of(t, BASE), 0);
	assert_ptr_equal(leaf_page(t, (uint64_t)n), p0); /* the page moved, not copied */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(uread8(t->k, t->mm, (uint64_t)n + i * PG + i), 0xa0 + i);
	assert_int_equal(uread8(t->k, t->mm, (uint64_t)n + 6 * PG), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);
	assert_int_equal(uaccess(t->k, t->mm, BASE, false, false).si_code, SEGV_MAPERR);
}

static void test_fault_mmput_returns_every_frame(void **state)
{
	struct mmt *t = *state;
	long anon = global_node_page_state(t->k, NR_ANON_MAPPED);
	long mapped = global_node_page_state(t->k, NR_FILE_MAPPED);
	long tables = global_node_page_state(t->k, NR_PAGETABLE);
	uint8_t *buf;
	struct file *f = pattern_file(t, 40, FMODE_READ | FMODE_WRITE, &buf);
	assert_int_equal(setup_stack_vma(t->k, t->mm, STACK_TOP, 8 * PG), 0);
	mm_set_brk_base(t->mm, 0x600000);
	assert_int_equal(do_brk(t->k, t->mm, 0x600000 + 20 * PG), 0x600000 + 20 * PG);
	long a = anon_map(t, 0, 300 * PG, PROT_READ | PROT_WRITE, 0);
	long s = vm_mmap(t->k, t->mm, f, 0, 40 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	long p = vm_mmap(t->k, t->mm, f, 0, 40 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	long shm = vm_mmap(t->k, t->mm, NULL, 0x40000000, 4 * PG, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, 0);
	assert_true(a > 0 && s > 0 && p > 0 && shm > 0);
	for (unsigned i = 0; i < 300; i += 3)
		uwrite8(t->k, t->mm, (uint64_t)a + i * PG, 1);
	for (unsigned i = 0; i < 40; i += 2) {
		uwrite8(t->k, t->mm, (uint64_t)s + i * PG, 2);
		uread8(t->k, t->mm, (uint64_t)p + i * PG);
		uwrite8(t->k, t->mm, (uint64_t)p + (i + 1) * PG, 3);
	}
	for (unsigned i = 0; i < 20; i++)
		uwrite8(t->k, t->mm, 0x600000 + i * PG, 4);
	uwrite8(t->k, t->mm, STACK_TOP - 50 * PG, 5);
	uwrite8(t->k, t->mm, (uint64_t)shm, 6);
	assert_true(get_mm_rss(t->mm) > 150);
	assert_true(global_node_page_state(t->k, NR_PAGETABLE) > tables);
	mmput(t->k, t->mm);
	t->mm = NULL;
	assert_int_equal(global_node_page_state(t->k, NR_ANON_MAPPED), anon);
	assert_int_equal(global_node_page_state(t->k, NR_FILE_MAPPED), mapped);
	assert_int_equal(global_node_page_state(t->k, NR_PAGETABLE), tables - 1); /* and the pgd */
	/* The open file keeps its 40 cached pages (and its slab objects). */
	assert_true(mmt_leaked_pages(t->k) >= t->baseline_leak + 40);
	fput(t->k, f);
	free(buf);
	assert_int_equal(mmt_leaked_pages(t->k), t->baseline_leak);
	ktest_assert_consistent(t->k);
}

static void test_fault_munmap_frees_page_tables(void **state)
{
	struct mmt *t = *state;
	long tables = global_node_page_state(t->k, NR_PAGETABLE);
	uint64_t far = 0x200000000000UL; /* its own pgd entry: pud, pmd and pte tables */
	assert_int_equal(anon_map(t, far, 4 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), far);
	uwrite8(t->k, t->mm, far, 1);
	assert_int_equal(global_node_page_state(t->k, NR_PAGETABLE), tables + 3);
	assert_int_equal(do_munmap(t->k, t->mm, far, 4 * PG), 0);
	assert_int_equal(global_node_page_state(t->k, NR_PAGETABLE), tables);
	assert_int_equal(get_mm_rss(t->mm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_fault_anon_read_maps_zero_page_readonly),
		T(test_fault_anon_write_allocates_zeroed_writable_dirty_page),
		T(test_fault_write_after_zero_page_copies_to_new_page),
		T(test_fault_write_to_readonly_vma_sigsegv_accerr),
		T(test_fault_outside_any_vma_sigsegv_maperr),
		T(test_fault_user_access_to_kernel_address_sigsegv),
		T(test_fault_exec_on_nx_vma_sigsegv_accerr),
		T(test_fault_prot_none_sigsegv_accerr),
		T(test_fault_stack_growth_within_limit_extends_vma),
		T(test_fault_stack_growth_into_guard_gap_fails),
		T(test_fault_file_read_fault_around_maps_16_pages),
		T(test_fault_file_random_advice_reads_one_page),
		T(test_fault_private_file_write_copies_and_keeps_file_page),
		T(test_fault_shared_file_write_dirties_page_cache),
		T(test_fault_host_file_pages_read_with_pread),
		T(test_fault_file_beyond_eof_sigbus),
		T(test_fault_shared_anonymous_visible_through_both_mappings),
		T(test_fault_populate_maps_every_page_writable),
		T(test_fault_madvise_dontneed_zaps_pages),
		T(test_fault_mprotect_rewrites_ptes),
		T(test_fault_mremap_move_keeps_contents),
		T(test_fault_mmput_returns_every_frame),
		T(test_fault_munmap_frees_page_tables),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
