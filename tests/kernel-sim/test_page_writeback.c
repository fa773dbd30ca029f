/*
 * Tests of the writeback of dirty shared file pages (kernel-sim/page_writeback.c and
 * vmscan.c's pageout): stores through a MAP_SHARED mapping of a host file reach the file
 * when reclaim takes the pages (written, then freed clean by a later pass), on msync's
 * writeback and at the last fput; the ptes are cleaned and write-protected so a later store
 * dirties the page again; private mappings never write to the file. The file is read back
 * with the host's pread, not through the kernel. Every test ends with the DEBUG_VM
 * checkers (which recount dirty and writeback pages against their counters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel-sim/swap.h"
#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL
#define NPAGES 8

struct wbt {
	struct mmt *t;
	char path[64]; /* the host file */
	int fd;	       /* the test's own descriptor on it, for pread */
};

static int setup(void **state)
{
	struct wbt *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->t = mmt_new(64);
	snprintf(w->path, sizeof(w->path), "/tmp/mmemu-wb-XXXXXX");
	w->fd = mkstemp(w->path);
	assert_true(w->fd >= 0);
	assert_int_equal(ftruncate(w->fd, NPAGES * PG), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct wbt *w = *state;
	struct mmt *t = w->t;
	mmt_drop_mm_checked(t);
	assert_int_equal(global_node_page_state(t->k, NR_FILE_DIRTY), 0);
	assert_int_equal(global_node_page_state(t->k, NR_WRITEBACK), 0);
	mmt_free(t);
	close(w->fd);
	unlink(w->path);
	free(w);
	return 0;
}

static uint8_t host_byte(struct wbt *w, uint64_t off)
{
	uint8_t b = 0xff;
	assert_int_equal(pread(w->fd, &b, 1, (off_t)off), 1);
	return b;
}

/* The host file opened for reading and writing, mapped at BASE with flags. */
static struct file *map_host_file(struct wbt *w, unsigned long flags)
{
	int err = 0;
	struct file *f = file_open_host(w->t->k, w->path, FMODE_READ | FMODE_WRITE, &err);
	assert_non_null(f);
	assert_int_equal(vm_mmap(w->t->k, w->t->mm, f, BASE, NPAGES * PG, PROT_READ | PROT_WRITE,
				 flags | MAP_FIXED, 0),
			 (long)BASE);
	return f;
}

static void write_pages(struct wbt *w, uint8_t salt)
{
	for (unsigned i = 0; i < NPAGES; i++)
		uwrite8(w->t->k, w->t->mm, BASE + i * PG + 5, (uint8_t)(i * 3 + salt));
}

static void age(struct mmt *t)
{
	unsigned long flags;
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t leaf = sdm_leaf(t->k, t->mm, BASE + i * PG, NULL);
		if (leaf & SDM_P)
			page_referenced(t->k, pfn_to_page(t->k, (leaf & SDM_ADDR) >> 12), &flags);
	}
}

static long node_stat(struct mmt *t, enum node_stat_item item)
{
	return global_node_page_state(t->k, item);
}

static void test_reclaim_writes_dirty_shared_page_then_frees_it_clean(void **state)
{
	struct wbt *w = *state;
	struct mmt *t = w->t;
	struct file *f = map_host_file(w, MAP_SHARED);
	write_pages(w, 1);
	assert_int_equal(node_stat(t, NR_FILE_DIRTY), NPAGES);
	assert_int_equal(host_byte(w, 5), 0); /* still only in memory */
	age(t);
	long written = node_stat(t, NR_WRITTEN);
	/* One pass: unmapped (Dirty bits to the pages), written, kept under writeback. */
	assert_int_equal(shrink_node_pages(t->k, 0, ~0UL, 0, false), 0);
	assert_int_equal(node_stat(t, NR_VMSCAN_WRITE), NPAGES);
	assert_int_equal(node_stat(t, NR_WRITTEN) - written, NPAGES);
	assert_int_equal(node_stat(t, NR_FILE_DIRTY), 0);
	assert_int_equal(f->f_inode->i_data.nrpages, NPAGES);
	for (unsigned i = 0; i < NPAGES; i++) {
		assert_int_equal(host_byte(w, i * PG + 5), i * 3 + 1);
		assert_int_equal(sdm_leaf(t->k, t->mm, BASE + i * PG, NULL), 0);
	}
	mmt_assert_consistent(t);
	/* The next pass finds them clean at the tail: freed. */
	assert_int_equal(shrink_node_pages(t->k, 0, ~0UL, 0, false), NPAGES);
	assert_int_equal(f->f_inode->i_data.nrpages, 0);
	assert_true(t->k->vm_events[PGROTATED] >= NPAGES);
	/* And read back from the file. */
	unsigned long maj = t->mm->maj_flt;
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 5), i * 3 + 1);
	assert_true(t->mm->maj_flt > maj);
	fput(t->k, f);
}

static void test_writeback_cleans_ptes_and_next_store_dirties_again(void **state)
{
	struct wbt *w = *state;
	struct mmt *t = w->t;
	struct file *f = map_host_file(w, MAP_SHARED);
	write_pages(w, 2);
	struct address_space *as = &f->f_inode->i_data;
	assert_int_equal(filemap_write_and_wait_range(t->k, as, 0, NPAGES - 1), 0);
	assert_int_equal(node_stat(t, NR_FILE_DIRTY), 0);
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t leaf = sdm_leaf(t->k, t->mm, BASE + i * PG, NULL);
		assert_true(leaf & SDM_P);
		assert_false(leaf & (SDM_RW | SDM_D)); /* write-protected and clean */
		assert_int_equal(host_byte(w, i * PG + 5), i * 3 + 2);
	}
	uwrite8(t->k, t->mm, BASE + 3 * PG + 5, 99); /* faults: the page is dirty again */
	assert_int_equal(node_stat(t, NR_FILE_DIRTY), 1);
	assert_true(sdm_leaf(t->k, t->mm, BASE + 3 * PG, NULL) & SDM_D);
	assert_int_equal(host_byte(w, 3 * PG + 5), 3 * 3 + 2);
	mmt_assert_consistent(t);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, NPAGES * PG), 0);
	fput(t->k, f);
	assert_int_equal(host_byte(w, 3 * PG + 5), 99); /* the last fput wrote it */
}

static void test_last_fput_writes_back_what_munmap_left_dirty(void **state)
{
	struct wbt *w = *state;
	struct mmt *t = w->t;
	struct file *f = map_host_file(w, MAP_SHARED);
	write_pages(w, 7);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, NPAGES * PG), 0);
	assert_int_equal(node_stat(t, NR_FILE_DIRTY), NPAGES); /* unmapped, still dirty */
	assert_int_equal(host_byte(w, 5), 0);
	fput(t->k, f);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(host_byte(w, i * PG + 5), i * 3 + 7);
}

static void test_private_mapping_stores_never_reach_the_file(void **state)
{
	struct wbt *w = *state;
	struct mmt *t = w->t;
	struct file *f = map_host_file(w, MAP_PRIVATE);
	write_pages(w, 9);
	age(t);
	shrink_node_pages(t->k, 0, ~0UL, 0, false);
	assert_int_equal(node_stat(t, NR_VMSCAN_WRITE), 0);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, NPAGES * PG), 0);
	fput(t->k, f);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(host_byte(w, i * PG + 5), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_reclaim_writes_dirty_shared_page_then_frees_it_clean),
	    T(test_writeback_cleans_ptes_and_next_store_dirties_again),
	    T(test_last_fput_writes_back_what_munmap_left_dirty),
	    T(test_private_mapping_stores_never_reach_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
