/*
 * The decoded-instruction cache (cpu/icache.c): hits, physical keys shared by linear
 * aliases, entries refused when their bytes changed (CPU stores through any alias, bus
 * writes, long instructions, the end of a page, a store into the block being run),
 * cpu_icache_invalidate_phys, page-crossing instructions (cached, second half checked,
 * counted like a decoding), and the mode being part of the key.
 */
#include "cpu/icache.h"
#include "tests/cpu/cpu_test_env.h"

static int setup(void **state)
{
	static struct cpu_env env;
	env_init(&env);
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

/* mov eax, imm32; int3 */
static void put_mov_eax(struct cpu_env *e, uint64_t pa, uint32_t imm)
{
	uint8_t code[] = {0xb8, 0, 0, 0, 0, 0xcc};
	memcpy(code + 1, &imm, 4);
	memcpy(e->bus.ram + pa, code, sizeof(code));
}

static uint64_t run_at(struct cpu_env *e, uint64_t la)
{
	e->cpu.rip = la;
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	return e->cpu.gpr[RAX];
}

/* A second run decodes nothing: both instructions come from the cache. */
static void test_icache_second_run_hits(void **state)
{
	struct cpu_env *e = *state;
	put_mov_eax(e, ENV_CODE_PA, 7);
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA, 4096);
	assert_int_equal(run_at(e, ENV_CODE), 7);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, ENV_CODE), 7);
	assert_int_equal(e->cpu.icache->misses, misses);
}

/* Writes behind the CPU's back (the kernel's bus writes, a reused frame) are seen at the
 * next fetch without any call: the entry's bytes no longer match. Invalidating a page
 * without code drops nothing; a page with code, its entries. */
static void test_icache_bus_write_seen_without_invalidate(void **state)
{
	struct cpu_env *e = *state;
	put_mov_eax(e, ENV_CODE_PA, 1);
	assert_int_equal(run_at(e, ENV_CODE), 1);
	uint64_t stale = e->cpu.icache->stale;
	put_mov_eax(e, ENV_CODE_PA, 2); /* a bus write */
	assert_int_equal(run_at(e, ENV_CODE), 2);
	assert_int_equal(e->cpu.icache->stale, stale + 1);
	uint64_t inval = e->cpu.icache->invalidations;
	cpu_icache_invalidate_phys(&e->cpu, ENV_DATA_PA, 4096); /* no code there */
	assert_int_equal(e->cpu.icache->invalidations, inval);
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 2, 1);
	assert_int_equal(e->cpu.icache->invalidations, inval + 1);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, ENV_CODE), 2);
	assert_int_equal(e->cpu.icache->misses, misses + 2); /* decoded again */
}

/* A change in the second 8 bytes of a long instruction, and near the end of a page
 * (where the check goes byte by byte), is seen too. */
static void test_icache_long_instruction_and_page_end_checked(void **state)
{
	struct cpu_env *e = *state;
	/* mov rax, imm64 (10 bytes); int3 -- at offset 4090 of a page */
	uint8_t code[] = {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0xcc};
	uint64_t pa = ENV_CODE_PA + 5 * 4096 - 11, la = ENV_CODE + 5 * 4096 - 11;
	memcpy(e->bus.ram + pa, code, sizeof(code));
	assert_int_equal(run_at(e, la), 0x0807060504030201ULL);
	e->bus.ram[pa + 9] = 0x80;
	assert_int_equal(run_at(e, la), 0x8007060504030201ULL);
	memcpy(e->bus.ram + ENV_CODE_PA + 6 * 4096, code, sizeof(code));
	assert_int_equal(run_at(e, ENV_CODE + 6 * 4096), 0x0807060504030201ULL);
	e->bus.ram[ENV_CODE_PA + 6 * 4096 + 9] = 0x70; /* byte 9: in the second word */
	assert_int_equal(run_at(e, ENV_CODE + 6 * 4096), 0x7007060504030201ULL);
}

/* Two linear aliases of one frame share decodings; a CPU store through one alias is seen
 * when the code runs through the other. */
static void test_icache_store_through_alias_invalidates(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t alias = 0x30000000;
	env_map(e, alias, ENV_CODE_PA + 4096, PTE_P | PTE_RW | PTE_US);
	put_mov_eax(e, ENV_CODE_PA + 4096, 10);
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 4096, 4096);
	assert_int_equal(run_at(e, ENV_CODE + 4096), 10);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, alias), 10); /* same physical code: no new decoding */
	assert_int_equal(e->cpu.icache->misses, misses);
	/* mov dword [alias + 1], 99; int3 -- run from the data page */
	static const uint8_t store[] = {0xc7, 0x04, 0x25, 0x01, 0x00, 0x00,
					0x30, 99,   0,	  0,	0,    0xcc};
	memcpy(e->bus.ram + ENV_DATA_PA, store, sizeof(store));
	cpu_icache_invalidate_phys(&e->cpu, ENV_DATA_PA, sizeof(store));
	run_at(e, ENV_DATA);
	assert_int_equal(run_at(e, ENV_CODE + 4096), 99);
}

/* An instruction crossing into the next page is cached, and a change of its second half
 * is seen without any invalidation: that half is fetched and compared at every run. */
static void test_icache_page_crossing_instruction_second_half_checked(void **state)
{
	struct cpu_env *e = *state;
	uint64_t pa = ENV_CODE_PA + 2 * 4096 - 3; /* mov eax, imm32 straddles the boundary */
	put_mov_eax(e, pa, 0x11223344);
	assert_int_equal(run_at(e, ENV_CODE + 2 * 4096 - 3), 0x11223344);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, ENV_CODE + 2 * 4096 - 3), 0x11223344);
	assert_int_equal(e->cpu.icache->misses, misses); /* cached */
	e->bus.ram[ENV_CODE_PA + 2 * 4096 + 1] = 0x55; /* byte 4 of the immediate */
	assert_int_equal(run_at(e, ENV_CODE + 2 * 4096 - 3), 0x55223344);
	e->bus.ram[ENV_CODE_PA + 2 * 4096 + 1] = 0x66;
	e->bus.ram[ENV_CODE_PA + 2 * 4096 - 1] = 0x77; /* byte 2: in the first page */
	assert_int_equal(run_at(e, ENV_CODE + 2 * 4096 - 3), 0x66227744);
}

/* The ITLB and STLB accesses a run makes, by level. */
static void tlb_hits(struct cpu_env *e, uint64_t out[TLB_NR_LEVELS])
{
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++)
		out[lv] = mmu_tlb_level_hits(&e->m, (enum tlb_level)lv);
}

/* A cached page-crossing instruction makes the same fetch accesses as its decoding did
 * (the statistics do not depend on what the decoded-instruction cache holds). */
static void test_icache_page_crossing_cached_counts_like_decoding(void **state)
{
	struct cpu_env *e = *state;
	uint64_t la = ENV_CODE + 4 * 4096 - 2, before[TLB_NR_LEVELS], mid[TLB_NR_LEVELS],
		 after[TLB_NR_LEVELS];
	put_mov_eax(e, ENV_CODE_PA + 4 * 4096 - 2, 0x01020304);
	assert_int_equal(run_at(e, la), 0x01020304); /* fills the TLBs */
	cpu_icache_flush(&e->cpu);
	tlb_hits(e, before);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, la), 0x01020304); /* decodes */
	assert_int_not_equal(e->cpu.icache->misses, misses);
	tlb_hits(e, mid);
	misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, la), 0x01020304); /* from the cache */
	assert_int_equal(e->cpu.icache->misses, misses);
	tlb_hits(e, after);
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++)
		assert_int_equal(after[lv] - mid[lv], mid[lv] - before[lv]);
	assert_true(mid[TLB_LEVEL_L1I] - before[TLB_LEVEL_L1I] >= 2); /* both pages fetched */
}

/* A store of a block's instruction into the next instruction of the same block (decoded
 * with it, before the store) is seen: that instruction runs with its new bytes. */
static void test_icache_store_into_same_block_seen(void **state)
{
	struct cpu_env *e = *state;
	/* 0: mov byte [rip + 1], 0x22 (the immediate of the next instruction)
	 * 7: mov eax, 1
	 * c: int3 */
	static const uint8_t code[] = {0xc6, 0x05, 1, 0, 0, 0, 0x22, 0xb8, 1, 0, 0, 0, 0xcc};
	memcpy(e->bus.ram + ENV_CODE_PA + 7 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 7 * 4096, 4096);
	uint64_t stale = e->cpu.icache->stale;
	assert_int_equal(run_at(e, ENV_CODE + 7 * 4096), 0x22);
	assert_int_equal(e->cpu.icache->stale, stale + 1); /* the block's decoding refused */
}

/* The same bytes in compatibility mode are a different instruction: 48 is DEC EAX there,
 * REX.W in 64-bit mode. The cache keys on the mode. */
static void test_icache_mode_is_part_of_key(void **state)
{
	struct cpu_env *e = *state;
	/* 64-bit: 48 ff c0 = inc rax; 32-bit: 48 = dec eax, ff c0 = inc eax */
	static const uint8_t code[] = {0x48, 0xff, 0xc0, 0xcc};
	memcpy(e->bus.ram + ENV_CODE_PA + 3 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 3 * 4096, 4096);
	e->cpu.gpr[RAX] = 5;
	assert_int_equal(run_at(e, ENV_CODE + 3 * 4096), 6);
	cpu_enter_compat_mode_flat(&e->cpu);
	e->cpu.gpr[RSP] = ENV_DATA + 0x1000;
	e->cpu.gpr[RAX] = 5;
	assert_int_equal(run_at(e, ENV_CODE + 3 * 4096), 5); /* dec, then inc */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_icache_second_run_hits),
	    T(test_icache_bus_write_seen_without_invalidate),
	    T(test_icache_long_instruction_and_page_end_checked),
	    T(test_icache_store_through_alias_invalidates),
	    T(test_icache_page_crossing_instruction_second_half_checked),
	    T(test_icache_page_crossing_cached_counts_like_decoding),
	    T(test_icache_store_into_same_block_seen),
	    T(test_icache_mode_is_part_of_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
