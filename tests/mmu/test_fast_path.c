/*
 * The softmmu-style fast path in front of the TLB: a lookup key is the page address plus
 * the low bits of a misaligned access, so no key may ever equal the marker of an empty
 * entry, whatever the address. (A marker of 1 once matched every read at an address
 * ending in binary 01 and used a stale host pointer.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "tests/mmu/mmu_test_env.h"

/* Misaligned reads at every low-bit pattern, at an unmapped address on a cold fast path:
 * each must fault (#PF), never be answered by an empty fast entry. */
static void test_fast_path_empty_entries_never_match_misaligned_keys(void **state)
{
	struct env e;
	env_init(&e);
	uint64_t root = env_table(&e);
	env_map64(&e, root, 4, 0x400000, 0x200000, 12, ENV_ALL, ENV_ALL, NULL);
	env_long_mode(&e, false, root, 0);
	mmu_set_cpl(&e.m, 3);
	for (uint64_t low = 0; low < 16; low++) {
		for (unsigned size = 1; size <= 8; size *= 2) {
			uint64_t v = 0;
			struct x86_fault f;
			memset(&f, 0, sizeof(f));
			bool ok = mmu_read(&e.m, low, size, &v, 0, &f);
			assert_false(ok);
			assert_int_equal(f.vector, 14);
			assert_int_equal(f.cr2, low);
		}
	}
	/* And a mapped page still reads through the fast path at every offset. */
	e.bus.ram[0x200000 + 5] = 0xab;
	uint64_t v = 0;
	struct x86_fault f;
	assert_true(mmu_read(&e.m, 0x400005, 1, &v, 0, &f));
	assert_int_equal(v, 0xab);
	assert_true(mmu_read(&e.m, 0x400005, 1, &v, 0, &f));
	assert_int_equal(v, 0xab);
	env_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path_empty_entries_never_match_misaligned_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
