/*
 * The --tlb geometry string: presets, overrides, round trips, and clear refusals.
 */
#include <errno.h>

#include "tests/mmu/mmu_test_env.h"

static void test_tlb_config_default_is_skylake(void **state)
{
	struct tlb_config c;
	tlb_config_default(&c);
	/* Intel Optimization Reference Manual, "TLB Parameters of the Skylake
	 * Microarchitecture". */
	assert_int_equal(c.geom[TLB_L1I_4K].entries, 128);
	assert_int_equal(c.geom[TLB_L1I_4K].ways, 8);
	assert_int_equal(c.geom[TLB_L1I_2M].entries, 8);
	assert_int_equal(c.geom[TLB_L1D_4K].entries, 64);
	assert_int_equal(c.geom[TLB_L1D_4K].ways, 4);
	assert_int_equal(c.geom[TLB_L1D_2M].entries, 32);
	assert_int_equal(c.geom[TLB_L1D_1G].entries, 4);
	assert_int_equal(c.geom[TLB_L2].entries, 1536);
	assert_int_equal(c.geom[TLB_L2].ways, 12);
	assert_int_equal(c.geom[TLB_L2_1G].entries, 16);
}

static void test_tlb_config_parse_overrides_named_arrays(void **state)
{
	struct tlb_config c;
	char err[200];
	tlb_config_default(&c);
	assert_int_equal(
	    tlb_config_parse(&c, "l2=2048:16:fifo,l1d1g=off,pde=8,seed=7", err, sizeof(err)), 0);
	assert_int_equal(c.geom[TLB_L2].entries, 2048);
	assert_int_equal(c.geom[TLB_L2].ways, 16);
	assert_int_equal(c.geom[TLB_L2].repl, TLB_REPL_FIFO);
	assert_int_equal(c.geom[TLB_L1D_1G].entries, 0);
	assert_int_equal(c.geom[TLB_PWC_PDE].ways, 8); /* ways omitted: fully associative */
	assert_int_equal(c.seed, 7);
	assert_int_equal(c.geom[TLB_L1D_4K].entries, 64); /* untouched */
	assert_int_equal(tlb_config_parse(&c, "none,l1d4k=1536:full:random", err, sizeof(err)), 0);
	assert_int_equal(c.geom[TLB_L2].entries, 0);
	assert_int_equal(c.geom[TLB_L1D_4K].ways, 1536);
	assert_int_equal(c.geom[TLB_L1D_4K].repl, TLB_REPL_RANDOM);
}

static void test_tlb_config_format_round_trips(void **state)
{
	struct tlb_config a, b;
	char buf[512], err[200];
	tlb_config_default(&a);
	assert_int_equal(tlb_config_parse(&a, "l2=1536:8:random", err, sizeof(err)), 0);
	int n = tlb_config_format(&a, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	memset(&b, 0xaa, sizeof(b));
	assert_int_equal(tlb_config_parse(&b, buf, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_tlb_config_bad_strings_are_refused_with_message(void **state)
{
	static const struct {
		const char *s;
		const char *msg;
	} bad[] = {
	    {"", "empty"},
	    {"l2=1536:7", "not a multiple of 7 ways"},
	    {"l3=64:4", "unknown array \"l3\""},
	    {"l2=64:128", "ways must be"},
	    {"l2=abc", "entries must be"},
	    {"l2=64:4:mru", "policy must be"},
	    {"l2", "expected name="},
	    {"l2=64:4,,l1d4k=4", "empty item"},
	    {"l2=99999999", "entries must be"},
	    {"seed=x", "seed must be"},
	    {"l2=-4:4", "entries must be"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tlb_config c, before;
		char err[200] = "";
		tlb_config_default(&c);
		before = c;
		assert_int_equal(tlb_config_parse(&c, bad[i].s, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].msg))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].s, err, bad[i].msg);
		assert_memory_equal(&c, &before, sizeof(c)); /* unchanged on error */
	}
}

static void test_tlb_config_mmu_init_refuses_inconsistent_geometry(void **state)
{
	struct phys_bus bus;
	struct mmu m;
	struct tlb_config c;
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	tlb_config_default(&c);
	c.geom[TLB_L2].ways = 7;
	assert_int_equal(mmu_init(&m, &bus, &c), -EINVAL);
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlb_config_default_is_skylake),
	    cmocka_unit_test(test_tlb_config_parse_overrides_named_arrays),
	    cmocka_unit_test(test_tlb_config_format_round_trips),
	    cmocka_unit_test(test_tlb_config_bad_strings_are_refused_with_message),
	    cmocka_unit_test(test_tlb_config_mmu_init_refuses_inconsistent_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
