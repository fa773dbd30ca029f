/*
 * Tests of reclaim and swap (kernel-sim/vmscan.c, swapfile.c, swap_state.c, zswap.c):
 * a mapped anonymous page reclaimed has its pte turned into a swap entry in x86-64 Linux's
 * encoding (checked bit by bit against the layout of arch/x86/include/asm/pgtable_64.h,
 * written out here) and its contents come back on the next access; clean file pages are
 * dropped and read again; direct reclaim and kswapd keep allocations going under pressure;
 * runs are deterministic; nothing leaks: frames, swap slots, swap-cache pages. Every test
 * ends with the DEBUG_VM checkers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/seq_file.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/zswap.h"
#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL

/* Swaps the fixture's machine for another one. */
static struct mmt *replace_machine(void **state, uint64_t ram_mb, uint64_t swap_mb, bool zswap)
{
	mmt_free(*state);
	*state = mmt_new_swap(ram_mb, swap_mb, zswap);
	return *state;
}

static int setup(void **state)
{
	*state = mmt_new_swap(64, 32, false);
	return 0;
}

static int teardown(void **state)
{
	struct mmt *t = *state;
	mmt_drop_mm_checked(t);
	mmt_free(t);
	return 0;
}

static uint64_t leaf_of(struct mmt *t, uint64_t va)
{
	return sdm_leaf(t->k, t->mm, va, NULL);
}

static struct page *leaf_page(struct mmt *t, uint64_t va)
{
	uint64_t leaf = leaf_of(t, va);
	assert_true(leaf & SDM_P);
	return pfn_to_page(t->k, (unsigned long)((leaf & SDM_ADDR) >> 12));
}

static uint8_t value_at(uint64_t i)
{
	return (uint8_t)(i * 37 + 11);
}

/* Maps n pages at BASE and writes value_at(i) into byte 100 of page i. */
static void fill(struct mmt *t, unsigned long n)
{
	assert_int_equal(anon_map(t, BASE, n * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (unsigned long i = 0; i < n; i++)
		uwrite8(t->k, t->mm, BASE + i * PG + 100, value_at(i));
}

/* Ages every present page of [BASE, BASE + n pages): clears the Accessed bits as two
 * passes of reclaim would. */
static void age(struct mmt *t, unsigned long n)
{
	unsigned long flags;
	for (unsigned long i = 0; i < n; i++)
		if (leaf_of(t, BASE + i * PG) & SDM_P)
			page_referenced(t->k, leaf_page(t, BASE + i * PG), &flags);
}

static long node_page_state_sum(struct mmt *t, enum node_stat_item item)
{
	return NODE_DATA(t->k, 0)->vm_stat[item];
}

/* ---- the swap pte ---- */

static void test_swap_pte_encoding_is_linux_x86_64(void **state)
{
	(void)state;
	/* TYPE in bits 59-63, the offset inverted in bits 9-58, every other bit 0. */
	const uint64_t off = 0x12345, type = 3, mask50 = (1ULL << 50) - 1;
	uint64_t want = (type << 59) | ((~off & mask50) << 9);
	pte_t pte = swp_entry_to_pte(swp_entry(3, off));
	assert_int_equal(pte_val(pte), want);
	assert_false(pte_val(pte) & (SDM_P | 0x100 | SDM_A | SDM_D));
	assert_true(is_swap_pte(pte));
	swp_entry_t back = pte_to_swp_entry(pte);
	assert_int_equal(swp_type(back), 3);
	assert_int_equal(swp_offset(back), off);
	/* Offset 1, type 0: all of bits 9-58 but bit 9 set. */
	assert_int_equal(pte_val(swp_entry_to_pte(swp_entry(0, 1))), (mask50 - 1) << 9);
}

/* ---- anonymous pages ---- */

static void test_reclaim_mapped_anon_page_pte_becomes_swap_entry(void **state)
{
	struct mmt *t = *state;
	const unsigned long n = 64;
	fill(t, n);
	unsigned long out = t->k->vm_events[PSWPOUT];
	age(t, n);
	assert_true(mmt_reclaim_all(t) >= n);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t leaf = leaf_of(t, BASE + i * PG);
		assert_false(leaf & SDM_P);
		assert_true(is_swap_pte(__pte(leaf)));
		swp_entry_t e = pte_to_swp_entry(__pte(leaf));
		assert_int_equal(swap_count(t->k, e), 1);
		assert_null(lookup_swap_cache(t->k, e)); /* written and freed */
	}
	assert_int_equal(t->k->vm_events[PSWPOUT] - out, n);
	assert_int_equal(get_mm_counter(t->mm, MM_SWAPENTS), n);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 0);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k) - n);
	/* /proc/PID/smaps and status show it: Swap and SwapPss of the VMA, VmSwap. */
	struct seq_file m;
	seq_init(&m);
	proc_pid_smaps_show(&m, t->k, t->mm);
	assert_non_null(
	    strstr(m.buf, "\nSwap:                256 kB\nSwapPss:             256 kB\n"));
	seq_release(&m);
	seq_init(&m);
	proc_pid_status_mem_show(&m, t->k, t->mm);
	assert_non_null(strstr(m.buf, "VmSwap:\t     256 kB\n"));
	seq_release(&m);
}

static void test_swapin_restores_contents_and_frees_the_slot(void **state)
{
	struct mmt *t = *state;
	const unsigned long n = 64;
	fill(t, n);
	age(t, n);
	mmt_reclaim_all(t);
	unsigned long in = t->k->vm_events[PSWPIN], maj = t->mm->maj_flt;
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 100), value_at(i));
	assert_true(t->k->vm_events[PSWPIN] - in >= n);
	/* Readahead brings the neighbours in: fewer major faults than pages. */
	assert_true(t->mm->maj_flt - maj >= 1 && t->mm->maj_flt - maj < n);
	assert_true(t->k->vm_events[SWAP_RA] > 0);
	assert_int_equal(get_mm_counter(t->mm, MM_SWAPENTS), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), n);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
	/* A write after swap-in needs no copy: the page is the VMA's own again. */
	uwrite8(t->k, t->mm, BASE + 100, 0xee);
	assert_int_equal(uread8(t->k, t->mm, BASE + 100), 0xee);
}

static void test_referenced_anon_pages_are_activated_not_swapped(void **state)
{
	struct mmt *t = *state;
	const unsigned long n = 16;
	fill(t, n); /* fresh ptes have A set: recently used */
	unsigned long out = t->k->vm_events[PSWPOUT], act = t->k->vm_events[PGACTIVATE];
	assert_int_equal(shrink_node_pages(t->k, 0, ~0UL, 0, false), 0);
	assert_int_equal(t->k->vm_events[PSWPOUT], out);
	assert_true(t->k->vm_events[PGACTIVATE] > act);
	for (unsigned long i = 0; i < n; i++)
		assert_true(leaf_of(t, BASE + i * PG) & SDM_P);
}

static void test_munmap_of_swapped_range_frees_slots(void **state)
{
	struct mmt *t = *state;
	fill(t, 32);
	age(t, 32);
	mmt_reclaim_all(t);
	assert_true(nr_free_swap_pages(t->k) < total_swap_pages(t->k));
	assert_int_equal(do_munmap(t->k, t->mm, BASE, 32 * PG), 0);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
	assert_int_equal(get_mm_counter(t->mm, MM_SWAPENTS), 0);
}

static void test_munmap_of_mapped_swap_cache_page_frees_page_and_slot(void **state)
{
	struct mmt *t = *state;
	fill(t, 1);
	struct page *page = leaf_page(t, BASE);
	assert_true(add_to_swap(t->k, page)); /* in the swap cache, still mapped */
	assert_int_equal(page_count(page), 2);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k) - 1);
	assert_int_equal(do_munmap(t->k, t->mm, BASE, PG), 0);
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
	assert_int_equal(node_page_state_sum(t, NR_SWAPCACHE), 0);
}

static void test_no_swap_anon_pages_stay(void **state)
{
	struct mmt *t = replace_machine(state, 64, 0, false);
	fill(t, 16);
	age(t, 16);
	mmt_reclaim_all(t);
	for (unsigned long i = 0; i < 16; i++)
		assert_true(leaf_of(t, BASE + i * PG) & SDM_P);
}

/* ---- file pages ---- */

static void test_clean_file_page_dropped_then_read_again(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[8 * PG];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i / PG + 1);
	struct file *f = file_from_buffer(t->k, "/f", data, sizeof(data), FMODE_READ);
	assert_non_null(f);
	long a = vm_mmap(t->k, t->mm, f, BASE, sizeof(data), PROT_READ, MAP_PRIVATE | MAP_FIXED, 0);
	assert_int_equal(a, (long)BASE);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 1);
	assert_int_equal(f->f_inode->i_data.nrpages, 8);
	unsigned long steal = t->k->vm_events[PGSTEAL_FILE];
	/* A file page needs two references to be kept: age once and it goes. */
	age(t, 8);
	mmt_reclaim_all(t);
	assert_int_equal(t->k->vm_events[PGSTEAL_FILE] - steal, 8);
	assert_int_equal(f->f_inode->i_data.nrpages, 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(leaf_of(t, BASE + i * PG), 0);
	unsigned long maj = t->mm->maj_flt;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG), i + 1);
	assert_true(t->mm->maj_flt > maj);
	fput(t->k, f);
}

static void test_dirty_shared_file_page_is_kept(void **state)
{
	struct mmt *t = *state;
	static uint8_t data[PG];
	struct file *f = file_from_buffer(t->k, "/w", data, sizeof(data), FMODE_READ | FMODE_WRITE);
	assert_non_null(f);
	assert_int_equal(
	    vm_mmap(t->k, t->mm, f, BASE, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0),
	    (long)BASE);
	uwrite8(t->k, t->mm, BASE, 42);
	age(t, 1);
	mmt_reclaim_all(t);
	assert_int_equal(uread8(t->k, t->mm, BASE), 42); /* no writeback: not dropped */
	fput(t->k, f);
}

/* ---- pressure: direct reclaim and kswapd ---- */

/* Writes n pages of pattern through the fault path, then reads them all back. */
static void write_and_verify(struct mmt *t, unsigned long n)
{
	fill(t, n);
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 100), value_at(i));
}

static void test_pressure_twice_ram_fits_through_swap(void **state)
{
	struct mmt *t = replace_machine(state, 16, 32, false);
	const unsigned long n = (24UL << 20) / PG; /* 24 MiB on a 16 MiB machine */
	write_and_verify(t, n);
	assert_true(t->k->vm_events[PSWPOUT] > 0);
	assert_true(t->k->vm_events[PSWPIN] > 0);
	assert_true(t->k->vm_events[PGSCAN_DIRECT] + t->k->vm_events[PGSCAN_KSWAPD] > 0);
	mmt_assert_consistent(t);
}

static void test_kswapd_balances_node_to_high_watermark(void **state)
{
	struct mmt *t = replace_machine(state, 16, 32, false);
	pg_data_t *pgdat = NODE_DATA(t->k, 0);
	unsigned long i = 0;
	assert_int_equal(anon_map(t, BASE, 32UL << 20, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	while (!pgdat->kswapd_pending && i < (32UL << 20) / PG)
		uwrite8(t->k, t->mm, BASE + i++ * PG, 1);
	assert_true(pgdat->kswapd_pending);
	unsigned long scanned = t->k->vm_events[PGSCAN_KSWAPD];
	kswapd_run_pending(t->k);
	assert_false(pgdat->kswapd_pending);
	assert_true(t->k->vm_events[PGSCAN_KSWAPD] > scanned);
	bool balanced = false;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		if (managed_zone(zone) &&
		    zone_page_state(zone, NR_FREE_PAGES) >= high_wmark_pages(zone))
			balanced = true;
	}
	assert_true(balanced);
}

static void test_oom_without_swap_fault_gets_sigkill(void **state)
{
	struct mmt *t = replace_machine(state, 16, 0, false);
	const unsigned long n = (24UL << 20) / PG;
	assert_int_equal(anon_map(t, BASE, n * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	int signo = 0;
	for (unsigned long i = 0; i < n && !signo; i++)
		signo = uaccess(t->k, t->mm, BASE + i * PG, true, false).signo;
	assert_int_equal(signo, SIGKILL);
}

/* The counters of one pressure run, for the determinism test. */
static void pressure_run(unsigned long *events)
{
	struct mmt *t = mmt_new_swap(16, 32, false);
	write_and_verify(t, (20UL << 20) / PG);
	memcpy(events, t->k->vm_events, sizeof(t->k->vm_events));
	mmt_free(t);
}

static void test_pressure_run_is_deterministic(void **state)
{
	(void)state;
	unsigned long a[NR_VM_EVENT_ITEMS], b[NR_VM_EVENT_ITEMS];
	pressure_run(a);
	pressure_run(b);
	assert_true(a[PSWPOUT] > 0);
	assert_memory_equal(a, b, sizeof(a));
}

static void test_zswap_round_trip_keeps_data_in_pool(void **state)
{
	struct mmt *t = replace_machine(state, 64, 32, true);
	const unsigned long n = 32;
	fill(t, n); /* one byte per page: compresses well */
	age(t, n);
	unsigned long out = t->k->vm_events[PSWPOUT];
	mmt_reclaim_all(t);
	struct zswap_stats s = zswap_get_stats(t->k);
	assert_int_equal(s.stored_pages, n);
	assert_int_equal(t->k->vm_events[PSWPOUT], out); /* nothing reached the area */
	assert_true(s.pool_pages <= n / 2);		 /* zbud: two objects per page */
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 100), value_at(i));
	s = zswap_get_stats(t->k);
	assert_int_equal(s.stored_pages, 0); /* slots freed on swap-in: entries dropped */
	assert_int_equal(s.pool_pages, 0);
}

static void test_zswap_full_pool_writes_oldest_objects_back_to_area(void **state)
{
	struct mmt *t = replace_machine(state, 16, 64, true);
	const unsigned long n = (24UL << 20) / PG; /* far more than a 20 % pool holds */
	fill(t, n);
	struct zswap_stats s = zswap_get_stats(t->k);
	assert_true(s.pool_limit_hit > 0);
	assert_true(s.written_back_pages > 0);
	assert_int_equal(s.reject_reclaim_fail, 0);
	/* Written back: in the area now (counted as swap-outs), no longer in the pool. */
	assert_true(t->k->vm_events[PSWPOUT] >= s.written_back_pages);
	assert_true(s.pool_pages <= t->k->totalram_pages / 5);
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(uread8(t->k, t->mm, BASE + i * PG + 100), value_at(i));
	assert_true(t->k->vm_events[PSWPIN] > 0); /* some came back from the area */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_swap_pte_encoding_is_linux_x86_64),
	    T(test_reclaim_mapped_anon_page_pte_becomes_swap_entry),
	    T(test_swapin_restores_contents_and_frees_the_slot),
	    T(test_referenced_anon_pages_are_activated_not_swapped),
	    T(test_munmap_of_swapped_range_frees_slots),
	    T(test_munmap_of_mapped_swap_cache_page_frees_page_and_slot),
	    T(test_no_swap_anon_pages_stay),
	    T(test_clean_file_page_dropped_then_read_again),
	    T(test_dirty_shared_file_page_is_kept),
	    T(test_pressure_twice_ram_fits_through_swap),
	    T(test_kswapd_balances_node_to_high_watermark),
	    T(test_oom_without_swap_fault_gets_sigkill),
	    T(test_pressure_run_is_deterministic),
	    T(test_zswap_round_trip_keeps_data_in_pool),
	    T(test_zswap_full_pool_writes_oldest_objects_back_to_area),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
