/*
 * The linear-address accessors (page-crossing accesses, MMIO, paging off), control
 * register rules, and the statistics' text and JSON forms.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "tests/mmu/mmu_test_env.h"

#define LA 0x00007f0000400000ULL

static uint64_t setup(struct env *e)
{
	env_init(e);
	uint64_t root = env_table(e);
	env_long_mode(e, false, root, 0);
	return root;
}

static uint64_t map(struct env *e, uint64_t root, uint64_t la, uint64_t pa, uint64_t flags)
{
	uint64_t epa[4];
	env_map64(e, root, 4, la, pa, 12, flags, ENV_ALL, epa);
	return epa[3];
}

static void test_mmu_page_crossing_read_joins_both_frames(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e);
	map(&e, root, LA, 0x200000, ENV_ALL);
	map(&e, root, LA + 0x1000, 0x300000, ENV_ALL); /* not contiguous physically */
	memcpy(e.bus.ram + 0x200ffd, "\x01\x02\x03", 3);
	memcpy(e.bus.ram + 0x300000, "\x04\x05\x06\x07\x08", 5);
	assert_true(mmu_read(&e.m, LA + 0xffd, 8, &v, 0, &f));
	assert_int_equal(v, 0x0807060504030201ULL);
	env_destroy(&e);
}

static void test_mmu_page_crossing_write_faults_before_writing(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t root = setup(&e);
	map(&e, root, LA, 0x200000, ENV_ALL);
	map(&e, root, LA + 0x1000, 0x300000, PTE_P | PTE_US); /* read-only */
	mmu_set_cpl(&e.m, 3);
	assert_false(mmu_write(&e.m, LA + 0xffc, 8, 0x1122334455667788ULL, 0, &f));
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_int_equal(f.cr2, LA + 0x1000); /* the first byte of the faulting page */
	assert_int_equal(f.error_code, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	for (int i = 0; i < 4; i++)
		assert_int_equal(e.bus.ram[0x200ffc + i], 0); /* nothing written */
	/* Second page not present at all. */
	map(&e, root, LA + 0x1000, 0x300000, 0);
	mmu_invlpg(&e.m, LA + 0x1000);
	assert_false(mmu_write(&e.m, LA + 0xfff, 2, 0xbeef, 0, &f));
	assert_int_equal(f.error_code, PF_ERR_W | PF_ERR_U);
	assert_int_equal(e.bus.ram[0x200fff], 0);
	env_destroy(&e);
}

static void test_mmu_odd_sizes_never_cross_pages_on_the_fast_path(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e);
	map(&e, root, LA, 0x200000, ENV_ALL);
	map(&e, root, LA + 0x1000, 0x300000, ENV_ALL);
	assert_true(mmu_read(&e.m, LA + 0x10, 8, &v, 0, &f)); /* fill the fast path */
	assert_true(mmu_read(&e.m, LA + 0x1000, 8, &v, 0, &f));
	for (unsigned size = 1; size <= 8; size++)
		for (unsigned off = 0xff0; off < 0x1000; off++) {
			memset(e.bus.ram + 0x200ff0, 0x11, 16);
			memset(e.bus.ram + 0x300000, 0x22, 16);
			assert_true(mmu_write(&e.m, LA + off, size, 0x3333333333333333ULL, 0, &f));
			unsigned first = 0x1000 - off < size ? 0x1000 - off : size;
			for (unsigned i = 0; i < 16; i++) {
				uint8_t want =
				    (0xff0 + i >= off && 0xff0 + i < off + first) ? 0x33 : 0x11;
				assert_int_equal(e.bus.ram[0x200ff0 + i], want);
				want = i < size - first ? 0x33 : 0x22;
				assert_int_equal(e.bus.ram[0x300000 + i], want);
			}
			assert_true(mmu_read(&e.m, LA + off, size, &v, 0, &f));
			assert_int_equal(v, 0x3333333333333333ULL >> (64 - 8 * size));
		}
	env_destroy(&e);
}

static void test_mmu_crossing_into_noncanonical_raises_gp(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e);
	uint64_t last = 0x00007ffffffff000ULL;
	map(&e, root, last, 0x200000, ENV_ALL);
	assert_true(mmu_read(&e.m, last + 0xff8, 8, &v, 0, &f));
	assert_false(mmu_read(&e.m, last + 0xffc, 8, &v, MMU_STACK, &f));
	assert_int_equal(f.vector, X86_VEC_SS);
	env_destroy(&e);
}

static uint64_t mmio_val;
static uint64_t mmio_read(void *o, uint64_t off, unsigned size)
{
	return 0xabcd0000 + off;
}
static void mmio_write(void *o, uint64_t off, uint64_t val, unsigned size)
{
	mmio_val = val;
}
static const struct mmio_ops ops = {mmio_read, mmio_write};

static void test_mmu_access_to_mmio_page_reaches_device(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e);
	assert_int_equal(bus_register_mmio(&e.bus, 0xfee00000, 0x1000, &ops, NULL, "dev"), 0);
	map(&e, root, LA, 0xfee00000, PTE_P | PTE_RW);
	for (int i = 0; i < 3; i++) { /* no fast path for MMIO: every access reaches it */
		assert_true(mmu_read(&e.m, LA + 0x30, 4, &v, 0, &f));
		assert_int_equal(v, 0xabcd0030);
	}
	assert_true(mmu_write(&e.m, LA + 0xb0, 4, 0x1234, 0, &f));
	assert_int_equal(mmio_val, 0x1234);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 3);
	env_destroy(&e);
}

static void test_mmu_paging_off_maps_identity(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	env_init(&e);
	e.bus.ram[0x1234] = 0x5a;
	assert_true(mmu_read(&e.m, 0x1234, 1, &v, 0, &f));
	assert_int_equal(v, 0x5a);
	assert_true(mmu_read(&e.m, 0x1234, 1, &v, 0, &f));
	assert_int_equal(mmu_unpaged_accesses(&e.m), 2);
	assert_int_equal(e.m.st.walks, 0);
	env_destroy(&e);
}

static void test_mmu_control_register_rules_raise_gp(void **state)
{
	struct env e;
	struct x86_fault f;
	env_init(&e);
	assert_false(mmu_set_cr0(&e.m, CR0_PG, &f)); /* PG without PE */
	assert_int_equal(f.vector, X86_VEC_GP);
	assert_false(mmu_set_cr4(&e.m, CR4_PCIDE, &f)); /* PCIDE outside IA-32e mode */
	env_ok(mmu_set_efer(&e.m, EFER_LME, &f));
	assert_false(mmu_set_cr0(&e.m, CR0_PE | CR0_PG, &f)); /* LME without PAE */
	env_ok(mmu_set_cr4(&e.m, CR4_PAE, &f));
	env_ok(mmu_set_cr3(&e.m, 0x100000, &f));
	env_ok(mmu_set_cr0(&e.m, CR0_PE | CR0_PG, &f));
	assert_true(e.m.efer & EFER_LMA);
	assert_false(mmu_set_efer(&e.m, 0, &f));		 /* LME change with paging on */
	assert_false(mmu_set_cr4(&e.m, 0, &f));			 /* PAE off in IA-32e mode */
	assert_false(mmu_set_cr4(&e.m, CR4_PAE | CR4_LA57, &f)); /* LA57 change in IA-32e */
	env_destroy(&e);
}

static void test_mmu_one_access_counts_once_per_level(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e);
	map(&e, root, LA, 0x200000, ENV_ALL);
	mmu_stats_reset(&e.m);
	assert_true(mmu_read(&e.m, LA, 8, &v, 0, &f));
	assert_int_equal(e.m.tlb.lv[TLB_LEVEL_L1D].misses, 1);
	assert_int_equal(e.m.tlb.lv[TLB_LEVEL_L2].misses, 1);
	assert_int_equal(e.m.st.walks, 1);
	assert_int_equal(e.m.tlb.a[TLB_L1D_4K].st.fills, 1);
	assert_int_equal(e.m.tlb.a[TLB_L2].st.fills, 1);
	assert_int_equal(e.m.st.ad_updates[PG_PT], 1);
	assert_true(mmu_read(&e.m, LA + 8, 8, &v, 0, &f));
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 1);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L2), 0);
	assert_int_equal(e.m.st.walks, 1);
	env_destroy(&e);
}

static void test_mmu_stats_print_text_and_json(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	char buf[8192], *text = NULL;
	size_t n = 0;
	uint64_t root = setup(&e);
	map(&e, root, LA, 0x200000, ENV_ALL);
	for (int i = 0; i < 5; i++)
		assert_true(mmu_read(&e.m, LA, 8, &v, 0, &f));
	int len = mmu_stats_json_buf(&e.m, buf, sizeof(buf));
	assert_true(len > 0 && (size_t)len < sizeof(buf));
	assert_non_null(strstr(buf, "\"l1d\":{\"lookups\":5,\"hits\":4,\"misses\":1}"));
	assert_non_null(strstr(buf, "\"l2\":{\"entries\":1536,\"ways\":12,\"policy\":\"lru\""));
	assert_int_equal(buf[0], '{');
	assert_int_equal(buf[len - 2], '}');
	char small[16];
	assert_int_equal(mmu_stats_json_buf(&e.m, small, sizeof(small)), len);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	FILE *out = open_memstream(&text, &n);
	mmu_stats_print(&e.m, out);
	fclose(out);
	assert_non_null(strstr(text, "tlb.levels.l1d.hits 4\n"));
	assert_non_null(strstr(text, "tlb.arrays.l1d4k.fills 1\n"));
	assert_non_null(strstr(text, "walk.refs.pml4 1\n"));
	free(text);
	env_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mmu_page_crossing_read_joins_both_frames),
	    cmocka_unit_test(test_mmu_page_crossing_write_faults_before_writing),
	    cmocka_unit_test(test_mmu_odd_sizes_never_cross_pages_on_the_fast_path),
	    cmocka_unit_test(test_mmu_crossing_into_noncanonical_raises_gp),
	    cmocka_unit_test(test_mmu_access_to_mmio_page_reaches_device),
	    cmocka_unit_test(test_mmu_paging_off_maps_identity),
	    cmocka_unit_test(test_mmu_control_register_rules_raise_gp),
	    cmocka_unit_test(test_mmu_one_access_counts_once_per_level),
	    cmocka_unit_test(test_mmu_stats_print_text_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
