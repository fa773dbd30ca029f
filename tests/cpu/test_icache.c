/*
 * The decoded-instruction cache (cpu/icache.c): hits, physical keys shared by linear
 * aliases, entries refused when their bytes changed (CPU stores through any alias, bus
 * writes, long instructions, the end of a page, a store into the block being run),
 * cpu_icache_invalidate_phys, page-crossing instructions (cached, second half checked,
 * counted like a decoding), the mode being part of the key, REP chunks in mid-block, the
 * links between blocks, and blocks grown past the branches they saw fall through.
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

/* When the second half of a cached page-crossing instruction changed, the fetches made
 * to find out (up to the first changed byte) and to decode the new bytes count as those
 * of a decoding from scratch. */
static void test_icache_page_crossing_changed_counts_like_decoding(void **state)
{
	struct cpu_env *e = *state;
	uint64_t la = ENV_CODE + 5 * 4096 - 2, before[TLB_NR_LEVELS], mid[TLB_NR_LEVELS],
		 after[TLB_NR_LEVELS];
	uint8_t *second = e->bus.ram + ENV_CODE_PA + 5 * 4096;
	put_mov_eax(e, ENV_CODE_PA + 5 * 4096 - 2, 0x01020304);
	assert_int_equal(run_at(e, la), 0x01020304);
	assert_int_equal(run_at(e, la), 0x01020304); /* cached */
	second[1] = 0x55;			     /* byte 3 of the immediate */
	tlb_hits(e, before);
	assert_int_equal(run_at(e, la), 0x01550304); /* cached bytes differ: decoded */
	tlb_hits(e, mid);
	second[1] = 0x66;
	cpu_icache_flush(&e->cpu);
	assert_int_equal(run_at(e, la), 0x01660304); /* decoded from scratch */
	tlb_hits(e, after);
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++)
		assert_int_equal(after[lv] - mid[lv], mid[lv] - before[lv]);
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

/*
 * Block P (nop; jmp L) and block L (the store, then three nops, then mov eax, 0x11;
 * int3) at page 8 of the code: the store writes BL into the mov's immediate byte. The
 * store is mov byte [rip + d], bl (aligned: the MMU's fast path) or, with wide, mov word
 * [rip + d], bx at the mov's opcode byte (an odd address: the slow path), so BH lands on
 * the immediate.
 */
static void put_store_block(struct cpu_env *e, bool wide)
{
	static const uint8_t narrow[] = {0x90, 0xeb, 0x00,		     /* P: nop; jmp L */
					 0x88, 0x1d, 0x04, 0, 0, 0,	     /* L: mov [rip+4], bl */
					 0x90, 0x90, 0x90,		     /* nops */
					 0xb8, 0x11, 0x00, 0x00, 0x00, 0xcc}; /* mov eax, 0x11 */
	static const uint8_t word[] = {0x90, 0xeb, 0x00,		     /* P: nop; jmp L */
				       0x66, 0x89, 0x1d, 0x03, 0, 0, 0,	     /* L: mov [rip+3], bx */
				       0x90, 0x90, 0x90,		     /* nops */
				       0xb8, 0x11, 0x00, 0x00, 0x00, 0xcc};  /* mov eax, 0x11 */
	memset(e->bus.ram + ENV_CODE_PA + 8 * 4096, 0xcc, 4096);
	if (wide)
		memcpy(e->bus.ram + ENV_CODE_PA + 8 * 4096, word, sizeof(word));
	else
		memcpy(e->bus.ram + ENV_CODE_PA + 8 * 4096, narrow, sizeof(narrow));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 8 * 4096, 4096);
}

/*
 * A store into a later instruction of the block being run, when the loop entered that
 * block from another one (so it compared the block's bytes once, at its entry): the
 * changed instruction runs with its new bytes. A first run caches both blocks with a
 * store that changes nothing (BL = the immediate's byte); the second stores 0x22.
 */
static void test_icache_store_into_block_entered_whole_seen(void **state)
{
	struct cpu_env *e = *state;
	put_store_block(e, false);
	e->cpu.gpr[RBX] = 0x11;
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x11);
	uint64_t misses = e->cpu.icache->misses;
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x11); /* both blocks cached */
	assert_int_equal(e->cpu.icache->misses, misses);
	e->cpu.gpr[RBX] = 0x22;
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x22);
}

/* As above with a misaligned 2-byte store (through the MMU's slow path, not its fast
 * path), whose second byte is the immediate's first. */
static void test_icache_misaligned_store_into_block_entered_whole_seen(void **state)
{
	struct cpu_env *e = *state;
	put_store_block(e, true);
	e->cpu.gpr[RBX] = 0x11b8; /* the bytes already there: b8 11 */
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x11);
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x11);
	e->cpu.gpr[RBX] = 0x33b8;
	assert_int_equal(run_at(e, ENV_CODE + 8 * 4096), 0x33);
}

/* cpu_run runs its first instruction through step() and goes on in the fetch loop from
 * the middle of that instruction's block: a store of the first instruction into the
 * second is seen there too (both cached, the translation in the fast path). */
static void test_icache_store_before_loop_resumes_block_seen(void **state)
{
	struct cpu_env *e = *state;
	/* mov [rip + 1], bl; mov eax, 0x11; int3 */
	static const uint8_t code[] = {0x88, 0x1d, 0x01, 0, 0, 0, 0xb8, 0x11, 0, 0, 0, 0xcc};
	memcpy(e->bus.ram + ENV_CODE_PA + 10 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 10 * 4096, 4096);
	e->cpu.gpr[RBX] = 0x11;
	assert_int_equal(run_at(e, ENV_CODE + 10 * 4096), 0x11);
	assert_int_equal(run_at(e, ENV_CODE + 10 * 4096), 0x11);
	e->cpu.gpr[RBX] = 0x55;
	assert_int_equal(run_at(e, ENV_CODE + 10 * 4096), 0x55);
}

/* A block ends with its page: when an instruction ends exactly at a page boundary, the
 * next one is fetched from the frame the next linear page maps, not from the next frame.
 * Linear 0x30010000 maps frame 11 of the code, 0x30011000 frame 13; frame 12 holds other
 * code. The block at the end of frame 11 is entered by a jump, from the cache. */
static void test_icache_block_ends_at_page_end(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t la = 0x30010000ULL, f11 = ENV_CODE_PA + 11 * 4096;
	static const uint8_t jump[] = {0xe9, 0xf6, 0x0f, 0, 0};	       /* jmp 0xffb */
	static const uint8_t mov1[] = {0xb8, 0x01, 0, 0, 0};	       /* mov eax, 1 */
	static const uint8_t other[] = {0xb8, 0x66, 0, 0, 0, 0xcc};    /* mov eax, 0x66; int3 */
	env_map(e, la, f11, PTE_P | PTE_RW | PTE_US);
	env_map(e, la + 4096, f11 + 2 * 4096, PTE_P | PTE_RW | PTE_US);
	memset(e->bus.ram + f11, 0xcc, 3 * 4096);
	memcpy(e->bus.ram + f11, jump, sizeof(jump));
	memcpy(e->bus.ram + f11 + 4096 - 5, mov1, sizeof(mov1));
	memcpy(e->bus.ram + f11 + 4096, other, sizeof(other));
	cpu_icache_invalidate_phys(&e->cpu, f11, 3 * 4096);
	assert_int_equal(run_at(e, la), 1);
	assert_int_equal(run_at(e, la), 1);
	assert_int_equal(e->cpu.rip, la + 4096);
}

/* A store into another cached block (not the one being run) is seen when that block is
 * entered: block A stores into block B's immediate, then jumps to B. */
static void test_icache_store_into_other_block_seen_at_entry(void **state)
{
	struct cpu_env *e = *state;
	/* A: mov [rip + 2], bl; jmp B (rel8 0)   B: mov eax, 0x11; int3 */
	static const uint8_t code[] = {0x88, 0x1d, 0x03, 0, 0, 0, 0xeb, 0x00,
				       0xb8, 0x11, 0x00, 0x00, 0x00, 0xcc};
	memcpy(e->bus.ram + ENV_CODE_PA + 9 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 9 * 4096, 4096);
	e->cpu.gpr[RBX] = 0x11;
	assert_int_equal(run_at(e, ENV_CODE + 9 * 4096), 0x11);
	assert_int_equal(run_at(e, ENV_CODE + 9 * 4096), 0x11);
	e->cpu.gpr[RBX] = 0x44;
	assert_int_equal(run_at(e, ENV_CODE + 9 * 4096), 0x44);
}

/*
 * The fetch loop compares a block's bytes once per run of the loop and then trusts them
 * until a store of this CPU lands in a page with code. Here one run enters block B four
 * times, and between the entries block C stores table[ESI] into B's immediate:
 *   B: mov ecx, imm32 (1); jmp C
 *   C: add edx, ecx; mov ebx, [rdi + rsi*4]; mov [B + 1], ebx; dec esi; jnz B; int3
 * with ESI = 4, 3, 2, 1 and table[4] = table[3] = 1 (the same bytes: B is compared and
 * trusted), table[2] = 0x10 (new bytes, which the fourth entry must run): EDX = 0x13.
 */
static void test_icache_store_into_block_entered_again_in_same_run_seen(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t pa = ENV_CODE_PA + 14 * 4096, la = ENV_CODE + 14 * 4096;
	static const uint8_t code[] = {
	    0xb9, 0x01, 0x00, 0x00, 0x00,	/* 0: mov ecx, 1 */
	    0xeb, 0x00,				/* 5: jmp 7 */
	    0x01, 0xca,				/* 7: add edx, ecx */
	    0x8b, 0x1c, 0xb7,			/* 9: mov ebx, [rdi + rsi*4] */
	    0x89, 0x1d, 0xef, 0xff, 0xff, 0xff, /* 12: mov [rip - 17], ebx (offset 1) */
	    0xff, 0xce,				/* 18: dec esi */
	    0x75, 0xea,				/* 20: jnz 0 */
	    0xcc};				/* 22: int3 */
	static const uint32_t table[5] = {0, 0x99, 0x10, 1, 1};
	memcpy(e->bus.ram + pa, code, sizeof(code));
	memcpy(e->bus.ram + ENV_DATA_PA + 0x400, table, sizeof(table));
	cpu_icache_invalidate_phys(&e->cpu, pa, 4096);
	e->cpu.gpr[RDI] = ENV_DATA + 0x400;
	e->cpu.gpr[RSI] = 4;
	e->cpu.gpr[RDX] = 0;
	run_at(e, la);
	assert_int_equal(e->cpu.gpr[RDX], 0x13);
	assert_int_equal(e->cpu.rip, la + 22);
}

/*
 * The fetch loop counts a run of ITLB hits at once; the statistics must be those of one
 * count per instruction, LRU order included. Ten code pages in one set of the 8-way L1
 * ITLB (16 pages apart), each "nop; nop; ret", visited in the order the stack gives:
 * 0..7 fill the set, 0 again (a hit that makes 1 the least recently used), 8 (evicts 1
 * under LRU, 0 if the hit on 0 were not stamped), 0, 9, and the int3 after page 9's ret.
 * cpu_run's statistics (every counter of every array) must equal those of the same run
 * made of cpu_step calls, which count each fetch as it happens.
 */
static void put_page_ring(struct cpu_env *e)
{
	static const unsigned order[] = {1, 2, 3, 4, 5, 6, 7, 0, 8, 0, 9};
	const uint64_t base = 0x20000000ULL, stack = ENV_DATA + 0x800;
	for (unsigned i = 0; i < 10; i++) {
		uint64_t pa = 0x700000ULL + i * 4096;
		env_map(e, base + i * 0x10000, pa, PTE_P | PTE_RW | PTE_US);
		memset(e->bus.ram + pa, 0xcc, 4096);
		memcpy(e->bus.ram + pa, "\x90\x90\xc3", 3); /* nop; nop; ret */
	}
	for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		env_wr64(e, ENV_DATA_PA + 0x800 + 8 * k, base + order[k] * 0x10000);
	env_wr64(e, ENV_DATA_PA + 0x800 + 8 * 11, base + 9 * 0x10000 + 3); /* the int3 */
	e->cpu.gpr[RSP] = stack;
	e->cpu.rip = base;
}

static void test_icache_fetch_counts_batched_equal_per_instruction(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	char a[8192], b[8192];
	env_init(&stepped);
	put_page_ring(e);
	put_page_ring(&stepped);
	mmu_stats_reset(&e->m);
	mmu_stats_reset(&stepped.m);
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
		;
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(stepped.cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.icount, 12 * 3);
	assert_int_equal(stepped.cpu.icount, e->cpu.icount);
	assert_true(mmu_stats_json_buf(&e->m, a, sizeof(a)) < (int)sizeof(a));
	assert_true(mmu_stats_json_buf(&stepped.m, b, sizeof(b)) < (int)sizeof(b));
	assert_string_equal(a, b);
	/* 10 pages, one eviction (page 1, never visited again): exactly 10 fill misses */
	assert_int_equal(mmu_tlb_level_hits(&e->m, TLB_LEVEL_L1I), 12 * 3 + 1 - 10);
	env_destroy(&stepped);
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

/*
 * A REP STOSB longer than one chunk in the middle of a block: the chunk ends with RIP
 * still at the instruction (exec_string.c), so the next instruction the loop runs is the
 * REP again, not the block's next entry. Block P (nop; jmp L) makes the second run enter
 * L whole. L: mov ecx, 70000; rep stosb; mov eax, ecx; add eax, 3; int3 -- EAX is 3 only
 * when every byte was stored before the mov ran.
 */
static void put_rep_program(struct cpu_env *e)
{
	static const uint8_t code[] = {0x90, 0xeb, 0x00,		/* P: nop; jmp L */
				       0xb9, 0x70, 0x11, 0x01, 0x00,	/* L: mov ecx, 70000 */
				       0xf3, 0xaa,			/* rep stosb */
				       0x89, 0xc8,			/* mov eax, ecx */
				       0x83, 0xc0, 0x03, 0xcc};		/* add eax, 3; int3 */
	for (unsigned i = ENV_PAGES; i < ENV_PAGES + 2; i++)
		env_map(e, ENV_DATA + i * 4096, ENV_DATA_PA + i * 4096, PTE_P | PTE_RW | PTE_US);
	memcpy(e->bus.ram + ENV_CODE_PA + 9 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 9 * 4096, 4096);
	e->cpu.gpr[RDI] = ENV_DATA;
	e->cpu.gpr[RAX] = 0x5a;
	e->cpu.rip = ENV_CODE + 9 * 4096;
}

/* Each chunk of the REP instruction counts as one instruction, as cpu_step counts it. */
static void test_icache_rep_chunk_resumes_same_instruction(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	env_init(&stepped);
	put_rep_program(&stepped);
	while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
		;
	assert_int_equal(stepped.cpu.fault.vector, X86_VEC_BP);
	for (int pass = 0; pass < 2; pass++) {
		put_rep_program(e);
		uint64_t before = e->cpu.icount;
		assert_int_equal(cpu_run(&e->cpu, 1000), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(e->cpu.gpr[RAX], 3);
		assert_int_equal(e->cpu.gpr[RDI], ENV_DATA + 70000);
		assert_int_equal(e->bus.ram[ENV_DATA_PA + 69999], 0x5a);
		assert_int_equal(e->cpu.icount - before, stepped.cpu.icount);
	}
	assert_true(stepped.cpu.icount > 6); /* more than one chunk */
	env_destroy(&stepped);
}

/* A link from one block to its successor stands only while the successor's slot holds the
 * same block: refilling the slot (another block hashed there) or dropping its page voids
 * it, even when the new block's bytes would compare equal. */
static void test_icache_link_void_after_slot_refilled_or_dropped(void **state)
{
	struct cpu_env *e = *state;
	struct icache *ic = e->cpu.icache;
	const uint64_t pa = ENV_CODE_PA + 10 * 4096, pb = pa + 0x40;
	const uint8_t *at = e->bus.ram + pb;
	struct icache_block *a = icache_block_new(ic, pa, X86_MODE_64);
	struct icache_block *b = icache_block_new(ic, pb, X86_MODE_64);
	icache_link_add(a, b, at);
	assert_ptr_equal(icache_link_follow(&a->link[0], at), b);
	assert_null(icache_link_follow(&a->link[0], at + 1));
	assert_ptr_equal(icache_block_new(ic, pb, X86_MODE_32), b); /* same slot, refilled */
	assert_null(icache_link_follow(&a->link[0], at));
	icache_link_add(a, b, at);
	assert_ptr_equal(icache_link_follow(&a->link[0], at), b);
	assert_null(icache_link_follow(&a->link[1], at)); /* the older link, to the old b */
	cpu_icache_invalidate_phys(&e->cpu, pb, 1);
	assert_null(icache_link_follow(&a->link[0], at));
	icache_link_add(a, icache_block_new(ic, pb, X86_MODE_64), at);
	cpu_icache_flush(&e->cpu);
	assert_null(icache_link_follow(&a->link[0], at));
}

/* A loop whose first instruction crosses from code page 11 into page 12:
 *   A+ffc: mov eax, 1 (4 bytes in A, 1 in B); B+1: add edx, eax; dec ecx; jnz A+ffc; int3 */
static void put_crossing_loop(struct cpu_env *e)
{
	static const uint8_t a[] = {0xb8, 0x01, 0x00, 0x00};
	static const uint8_t b[] = {0x00, 0x01, 0xc2, 0xff, 0xc9, 0x75, 0xf5, 0xcc};
	memcpy(e->bus.ram + ENV_CODE_PA + 12 * 4096 - sizeof(a), a, sizeof(a));
	memcpy(e->bus.ram + ENV_CODE_PA + 12 * 4096, b, sizeof(b));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 11 * 4096, 2 * 4096);
	e->cpu.rip = ENV_CODE + 12 * 4096 - sizeof(a);
	e->cpu.gpr[RCX] = 10;
	e->cpu.gpr[RDX] = 0;
}

/* The fetch loop runs the crossing instruction itself once both pages hit the fast path:
 * the same statistics as single steps (its first page's hit, one per byte on the second),
 * and a change of its second part is still seen. */
static void test_icache_page_crossing_in_loop_counts_like_steps(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	char a[8192], b[8192];
	env_init(&stepped);
	for (int pass = 0; pass < 2; pass++) {
		put_crossing_loop(e);
		put_crossing_loop(&stepped);
		if (pass == 1) { /* the immediate's last byte, on the second page: 0x01000001 */
			e->bus.ram[ENV_CODE_PA + 12 * 4096] = 1;
			stepped.bus.ram[ENV_CODE_PA + 12 * 4096] = 1;
		}
		mmu_stats_reset(&e->m);
		mmu_stats_reset(&stepped.m);
		assert_int_equal(cpu_run(&e->cpu, 1000), CPU_EXIT_FAULT);
		while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
			;
		assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(e->cpu.gpr[RDX], pass ? 10 * 0x01000001ULL : 10);
		assert_int_equal(stepped.cpu.gpr[RDX], e->cpu.gpr[RDX]);
		assert_true(mmu_stats_json_buf(&e->m, a, sizeof(a)) < (int)sizeof(a));
		assert_true(mmu_stats_json_buf(&stepped.m, b, sizeof(b)) < (int)sizeof(b));
		assert_string_equal(a, b);
	}
	/* both pages in the ITLB since the first pass: 10 times 4 instructions, the crossing
	 * one's fetch 1 + 1 hits, and the int3 */
	assert_int_equal(mmu_tlb_level_hits(&e->m, TLB_LEVEL_L1I), 10 * 5 + 1);
	env_destroy(&stepped);
}

/* Each byte of a crossing instruction's second part is compared when the fetch loop comes
 * to it again: after its first run (a step of its own), one byte at a time of the
 * immediate on the second page changes by a bus write (nothing told), and the loop,
 * going on from the next instruction, runs the new bytes on its way round.
 *   A+fff: mov eax, imm32 (1 byte in A, 4 in B); B+4: add edx, eax; dec ecx; jnz A+fff; int3 */
static void test_icache_page_crossing_in_loop_sees_every_byte_changed(void **state)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x01, 0xc2,
				    0xff, 0xc9, 0x75, 0xf5, 0xcc};
	struct cpu_env *e = *state;
	uint8_t *page_b = e->bus.ram + ENV_CODE_PA + 12 * 4096;
	uint32_t imm = 0x04030201;
	page_b[-1] = 0xb8;
	memcpy(page_b, b, sizeof(b));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 11 * 4096, 2 * 4096);
	for (int k = 0; k < 4; k++) {
		uint32_t old = imm;
		imm = (imm & ~(0xffu << (8 * k))) | (uint32_t)(0x50 + k) << (8 * k);
		e->cpu.rip = ENV_CODE + 12 * 4096 - 1;
		e->cpu.gpr[RCX] = 20;
		e->cpu.gpr[RDX] = 0;
		assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
		assert_int_equal(e->cpu.gpr[RAX], old);
		page_b[k] = (uint8_t)(0x50 + k);
		assert_int_equal(cpu_run(&e->cpu, 1000), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(e->cpu.gpr[RDX], (uint32_t)(old + 19 * imm));
	}
}

/* The instruction limit of cpu_run ends a run in the middle of a cached block, entered
 * from another one through its link: after k instructions RIP is at the k-th. Page 13:
 * P: jmp L (2 bytes, L right after); L: 20 nops; int3. */
static void test_icache_limit_stops_in_mid_block(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t la = ENV_CODE + 13 * 4096;
	uint8_t code[23];
	code[0] = 0xeb;
	code[1] = 0x00;
	memset(code + 2, 0x90, 20);
	code[22] = 0xcc;
	memcpy(e->bus.ram + ENV_CODE_PA + 13 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 13 * 4096, 4096);
	assert_int_equal(run_at(e, la), e->cpu.gpr[RAX]); /* caches both blocks, links them */
	for (uint64_t k = 1; k <= 21; k++) {
		uint64_t before = e->cpu.icount;
		e->cpu.rip = la;
		assert_int_equal(cpu_run(&e->cpu, k), CPU_EXIT_LIMIT);
		assert_int_equal(e->cpu.icount - before, k);
		assert_int_equal(e->cpu.rip, la + 2 + (k - 1));
	}
}

/* Starts the loop of put_falling_loop (again: its blocks stay as they are). */
static void start_falling_loop(struct cpu_env *e, uint64_t passes, uint64_t taken_at)
{
	e->cpu.rip = ENV_CODE + 14 * 4096;
	e->cpu.gpr[RCX] = passes;
	e->cpu.gpr[RBX] = taken_at;
	e->cpu.gpr[RDX] = 0;
}

/*
 * A loop whose first block ends in a branch that falls through in all but one pass, so
 * that the block grows past it; the branch is taken (a side exit) in pass 71. Page 14:
 *   top:   add edx, 1; cmp ecx, ebx; je taken
 *          add edx, 0x10; dec ecx; jnz top; int3
 *   taken: add edx, 0x100; dec ecx; jnz top; int3
 */
static void put_falling_loop(struct cpu_env *e, uint64_t passes, uint64_t taken_at)
{
	static const uint8_t code[] = {
	    0x83, 0xc2, 0x01,			/* 0: add edx, 1 */
	    0x39, 0xd9,				/* 3: cmp ecx, ebx */
	    0x74, 0x08,				/* 5: je 15 */
	    0x83, 0xc2, 0x10,			/* 7: add edx, 0x10 */
	    0xff, 0xc9,				/* 10: dec ecx */
	    0x75, 0xf2,				/* 12: jnz 0 */
	    0xcc,				/* 14: int3 */
	    0x81, 0xc2, 0x00, 0x01, 0x00, 0x00, /* 15: add edx, 0x100 */
	    0xff, 0xc9,				/* 21: dec ecx */
	    0x75, 0xe7,				/* 23: jnz 0 */
	    0xcc,				/* 25: int3 */
	};
	memcpy(e->bus.ram + ENV_CODE_PA + 14 * 4096, code, sizeof(code));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 14 * 4096, 4096);
	start_falling_loop(e, passes, taken_at);
}

/* The block grows past its branch once it has seen it fall through, and runs as single
 * steps do: the same result, instruction count and MMU statistics, the taken branch
 * inside the grown block leaving it; a second run uses the grown block as it is. */
static void test_icache_block_grows_past_falling_branch_and_runs_like_steps(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	char a[8192], b[8192];
	const uint64_t sum = 100 + 99 * 0x10 + 0x100;
	env_init(&stepped);
	uint64_t grown = e->cpu.icache->grown;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			put_falling_loop(e, 100, 30);
		else
			start_falling_loop(e, 100, 30);
		put_falling_loop(&stepped, 100, 30);
		mmu_stats_reset(&e->m);
		mmu_stats_reset(&stepped.m);
		uint64_t before = e->cpu.icount, sbefore = stepped.cpu.icount;
		assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
		while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
			;
		assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(e->cpu.gpr[RDX], sum);
		assert_int_equal(stepped.cpu.gpr[RDX], sum);
		assert_int_equal(e->cpu.rip, stepped.cpu.rip);
		assert_int_equal(e->cpu.icount - before, stepped.cpu.icount - sbefore);
		assert_int_equal(e->cpu.icount - before, 100 * 6); /* the int3 does not retire here */
		assert_true(mmu_stats_json_buf(&e->m, a, sizeof(a)) < (int)sizeof(a));
		assert_true(mmu_stats_json_buf(&stepped.m, b, sizeof(b)) < (int)sizeof(b));
		assert_string_equal(a, b);
		if (pass == 0) /* grown once, in the first run; the single steps grow nothing */
			assert_int_equal(e->cpu.icache->grown, grown + 1);
	}
	assert_int_equal(e->cpu.icache->grown, grown + 1);
	assert_int_equal(stepped.cpu.icache->grown, 0);
	env_destroy(&stepped);
}

/* The same in compatibility mode (32-bit code: the side exit's target wraps at 4 GiB and
 * is checked against the CS limit). */
static void test_icache_block_grows_in_compat_mode_like_steps(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	env_init(&stepped);
	struct cpu_env *envs[2] = {e, &stepped};
	for (int k = 0; k < 2; k++) {
		cpu_enter_compat_mode_flat(&envs[k]->cpu);
		envs[k]->cpu.gpr[RSP] = ENV_DATA + 0x1000;
		put_falling_loop(envs[k], 100, 30);
	}
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
		;
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.gpr[RDX], 100 + 99 * 0x10 + 0x100);
	assert_int_equal(stepped.cpu.gpr[RDX], e->cpu.gpr[RDX]);
	assert_int_equal(e->cpu.rip, stepped.cpu.rip);
	assert_int_equal(e->cpu.icount, stepped.cpu.icount);
	assert_int_equal(e->cpu.icache->grown, 1);
	env_destroy(&stepped);
}

/* A grown block whose inner branch goes back to its own start: the next pass runs the
 * whole block again, not only up to the branch. Page 14 at 0x100:
 *   top: dec ecx; test cl, 1; jnz top; add edx, 1; test ecx, ecx; jnz top; int3 */
static void test_icache_side_exit_to_own_start_runs_whole_block(void **state)
{
	static struct cpu_env stepped;
	static const uint8_t code[] = {
	    0xff, 0xc9,	      /* 0: dec ecx */
	    0xf6, 0xc1, 0x01, /* 2: test cl, 1 */
	    0x75, 0xf9,	      /* 5: jnz 0 */
	    0x83, 0xc2, 0x01, /* 7: add edx, 1 */
	    0x85, 0xc9,	      /* 10: test ecx, ecx */
	    0x75, 0xf2,	      /* 12: jnz 0 */
	    0xcc,	      /* 14: int3 */
	};
	struct cpu_env *e = *state;
	env_init(&stepped);
	struct cpu_env *envs[2] = {e, &stepped};
	for (int k = 0; k < 2; k++) {
		memcpy(envs[k]->bus.ram + ENV_CODE_PA + 14 * 4096 + 0x100, code, sizeof(code));
		cpu_icache_invalidate_phys(&envs[k]->cpu, ENV_CODE_PA + 14 * 4096, 4096);
		envs[k]->cpu.rip = ENV_CODE + 14 * 4096 + 0x100;
		envs[k]->cpu.gpr[RCX] = 1001;
		envs[k]->cpu.gpr[RDX] = 0;
	}
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
		;
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.gpr[RDX], 501); /* the even counts 1000, 998, ..., 0 */
	assert_int_equal(stepped.cpu.gpr[RDX], 501);
	assert_int_equal(e->cpu.icount, stepped.cpu.icount);
	assert_int_equal(e->cpu.icache->grown, 1);
	env_destroy(&stepped);
}

/* 32-bit code whose CS has a base and a limit (the fetch loop's general copy, which adds
 * the base and checks the limit; a flat CS has a copy of its own) runs like single steps,
 * up to the #GP of the first instruction past the limit. CS.base is 0x1000, so that EIP
 * as a linear address would be the decoy in page 13, whose block and fetch translation a
 * first run with a flat CS leaves cached: a loop that took EIP for the linear address
 * would run it.
 *   page 13 + 0x300: mov edx, 0xdead; int3                      (the decoy)
 *   page 14 + 0x300: inc edx; dec ecx; jnz top; nop x 7; int3    (EIP page 13 + 0x300..)
 *   CS.limit: EIP of the fifth nop */
static void test_icache_compat_mode_cs_base_and_limit_like_steps(void **state)
{
	static struct cpu_env stepped;
	static const uint8_t decoy[] = {0xba, 0xad, 0xde, 0x00, 0x00, 0xcc};
	static const uint8_t code[] = {0x42, 0x49, 0x75, 0xfc, 0x90, 0x90, 0x90,
				       0x90, 0x90, 0x90, 0x90, 0xcc};
	const uint64_t eip = ENV_CODE + 13 * 4096 + 0x300;
	struct cpu_env *e = *state;
	env_init(&stepped);
	struct cpu_env *envs[2] = {e, &stepped};
	for (int k = 0; k < 2; k++) {
		struct cpu *c = &envs[k]->cpu;
		memcpy(envs[k]->bus.ram + ENV_CODE_PA + 13 * 4096 + 0x300, decoy, sizeof(decoy));
		memcpy(envs[k]->bus.ram + ENV_CODE_PA + 14 * 4096 + 0x300, code, sizeof(code));
		cpu_icache_invalidate_phys(c, ENV_CODE_PA + 13 * 4096, 2 * 4096);
		cpu_enter_compat_mode_flat(c);
		c->gpr[RSP] = ENV_DATA + 0x1000;
		c->rip = eip;
		assert_int_equal(cpu_run(c, 0), CPU_EXIT_FAULT); /* the decoy, cached */
		assert_int_equal(c->gpr[RDX], 0xdead);
		c->mmu->seg.sreg[SEG_CS].base = 0x1000;
		c->mmu->seg.sreg[SEG_CS].limit = (uint32_t)(eip + 8);
		c->rip = eip;
		c->gpr[RCX] = 50;
		c->gpr[RDX] = 0;
	}
	uint64_t before = e->cpu.icount;
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	while (cpu_step(&stepped.cpu) == CPU_EXIT_LIMIT)
		;
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(stepped.cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.rip, eip + 9);
	assert_int_equal(stepped.cpu.rip, eip + 9);
	assert_int_equal(e->cpu.gpr[RDX], 50);
	assert_int_equal(e->cpu.icount, stepped.cpu.icount);
	assert_int_equal(e->cpu.icount - before, 50 * 3 + 5);
	env_destroy(&stepped);
}

/* A branch that is almost always taken (the loop's own jnz) is not grown past. */
static void test_icache_block_not_grown_past_taken_branch(void **state)
{
	struct cpu_env *e = *state;
	put_falling_loop(e, 100, 1000); /* je never taken: the block grows, its jnz never */
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.gpr[RDX], 100 + 100 * 0x10);
	assert_int_equal(e->cpu.icache->grown, 1);
	put_falling_loop(e, 100, 100); /* je taken in the first pass: falls 31 of 32 */
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.icache->grown, 2);
	const uint8_t loop[] = {0xff, 0xc9, 0x75, 0xfc, 0xcc}; /* l: dec ecx; jnz l; int3 */
	memcpy(e->bus.ram + ENV_CODE_PA + 15 * 4096, loop, sizeof(loop));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 15 * 4096, 4096);
	e->cpu.rip = ENV_CODE + 15 * 4096;
	e->cpu.gpr[RCX] = 1000;
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.gpr[RCX], 0);
	assert_int_equal(e->cpu.icache->grown, 2);
}

/* The instruction limit stops a run anywhere in a grown block, before and after its
 * inner branch, at the instruction single steps reach. */
static void test_icache_limit_stops_in_grown_block(void **state)
{
	static struct cpu_env stepped;
	struct cpu_env *e = *state;
	env_init(&stepped);
	put_falling_loop(e, 100, 1000);
	assert_int_equal(cpu_run(&e->cpu, 0), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.icache->grown, 1);
	for (uint64_t k = 1; k <= 13; k++) {
		start_falling_loop(e, 3, 2);
		put_falling_loop(&stepped, 3, 2);
		uint64_t before = e->cpu.icount;
		assert_int_equal(cpu_run(&e->cpu, k), CPU_EXIT_LIMIT);
		for (uint64_t i = 0; i < k; i++)
			assert_int_equal(cpu_step(&stepped.cpu), CPU_EXIT_LIMIT);
		assert_int_equal(e->cpu.icount - before, k);
		assert_int_equal(e->cpu.rip, stepped.cpu.rip);
		assert_int_equal(e->cpu.gpr[RDX], stepped.cpu.gpr[RDX]);
		assert_int_equal(e->cpu.gpr[RCX], stepped.cpu.gpr[RCX]);
	}
	assert_int_equal(e->cpu.icache->grown, 1); /* all of them in the grown block */
	env_destroy(&stepped);
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
	    T(test_icache_page_crossing_changed_counts_like_decoding),
	    T(test_icache_store_into_same_block_seen),
	    T(test_icache_mode_is_part_of_key),
	    T(test_icache_store_into_block_entered_whole_seen),
	    T(test_icache_misaligned_store_into_block_entered_whole_seen),
	    T(test_icache_store_before_loop_resumes_block_seen),
	    T(test_icache_store_into_other_block_seen_at_entry),
	    T(test_icache_store_into_block_entered_again_in_same_run_seen),
	    T(test_icache_block_ends_at_page_end),
	    T(test_icache_fetch_counts_batched_equal_per_instruction),
	    T(test_icache_rep_chunk_resumes_same_instruction),
	    T(test_icache_link_void_after_slot_refilled_or_dropped),
	    T(test_icache_page_crossing_in_loop_counts_like_steps),
	    T(test_icache_page_crossing_in_loop_sees_every_byte_changed),
	    T(test_icache_limit_stops_in_mid_block),
	    T(test_icache_block_grows_past_falling_branch_and_runs_like_steps),
	    T(test_icache_block_grows_in_compat_mode_like_steps),
	    T(test_icache_side_exit_to_own_start_runs_whole_block),
	    T(test_icache_compat_mode_cs_base_and_limit_like_steps),
	    T(test_icache_block_not_grown_past_taken_branch),
	    T(test_icache_limit_stops_in_grown_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
