/*
 * Host code for decoded blocks (cpu/jit.c): which entries test the loop's break flags
 * after them, and runs with blocks given host code against the same runs without it --
 * results, instruction counts, fault addresses, MMU statistics -- in 64-bit code, in
 * compatibility mode, entered in mid-block, with a fault in mid-block, and with a store
 * into the block being run.
 */
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"
#include "cpu/icache.h"
#include "cpu/jit.h"
#include "cpu/jit_mem.h"
#include "mmu/trace.h"
#include "tests/cpu/cpu_test_env.h"

/* Two machines: a[0] with host code for blocks, a[1] without. */
struct twins {
	struct cpu_env a[2];
};

static int setup(void **state)
{
	static struct twins t;
	env_init(&t.a[0]);
	env_init(&t.a[1]);
	assert_false(cpu_set_jit(&t.a[1].cpu, false));
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct twins *t = *state;
	env_destroy(&t->a[0]);
	env_destroy(&t->a[1]);
	return 0;
}

static bool may_break(const uint8_t *bytes, size_t len, enum x86_mode mode)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, bytes, len, mode), X86_DECODE_OK);
	return jit_may_break(&in);
}

/* The test after an entry is left out only where the instruction touches registers
 * alone (SDM operand forms): anything with a memory operand, a stack access, a string
 * instruction or a branch keeps it. */
static void test_jit_break_test_only_where_registers_alone(void **state)
{
	(void)state;
	static const struct {
		uint8_t bytes[6];
		uint8_t len;
		bool breaks;
	} cases[] = {
	    {{0x01, 0xd8}, 2, false},		      /* add eax, ebx */
	    {{0x01, 0x18}, 2, true},		      /* add [rax], ebx */
	    {{0x8b, 0x03}, 2, false},		      /* mov eax, [rbx]: a load */
	    {{0x39, 0x18}, 2, false},		      /* cmp [rax], ebx */
	    {{0x85, 0x18}, 2, false},		      /* test [rax], ebx */
	    {{0x83, 0x38, 0x01}, 3, false},	      /* cmp dword [rax], 1 */
	    {{0x83, 0x00, 0x01}, 3, true},	      /* add dword [rax], 1 */
	    {{0x0f, 0xaf, 0x03}, 3, false},	      /* imul eax, [rbx] */
	    {{0x0f, 0xb6, 0x03}, 3, false},	      /* movzx eax, byte [rbx] */
	    {{0x0f, 0x10, 0x00}, 3, false},	      /* movups xmm0, [rax] */
	    {{0xf2, 0x0f, 0x58, 0x00}, 4, false},     /* addsd xmm0, [rax] */
	    {{0x0f, 0x11, 0x00}, 3, true},	      /* movups [rax], xmm0 */
	    {{0x66, 0x0f, 0xd6, 0x00}, 4, true},      /* movq [rax], xmm0 */
	    {{0x66, 0x0f, 0x7e, 0x00}, 4, true},      /* movd [rax], xmm0 */
	    {{0x0f, 0xb1, 0x18}, 3, true},	      /* cmpxchg [rax], ebx */
	    {{0x0f, 0xab, 0x18}, 3, true},	      /* bts [rax], ebx */
	    {{0x0f, 0xba, 0x28, 0x01}, 4, true},      /* bts dword [rax], 1 */
	    {{0xd9, 0x00}, 2, true},		      /* fld dword [rax]: x87 kept tested */
	    {{0xf0, 0x0f, 0xc1, 0x18}, 4, true},      /* lock xadd [rax], ebx */
	    {{0x8d, 0x04, 0x18}, 3, false},	      /* lea eax, [rax + rbx] */
	    {{0xb8, 1, 2, 3, 4}, 5, false},	      /* mov eax, imm32 */
	    {{0x90}, 1, false},			      /* nop */
	    {{0x0f, 0xaf, 0xc3}, 3, false},	      /* imul eax, ebx */
	    {{0x0f, 0x28, 0xc1}, 3, false},	      /* movaps xmm0, xmm1 */
	    {{0xd8, 0xc1}, 2, false},		      /* fadd st, st(1) */
	    {{0x50}, 1, true},			      /* push rax */
	    {{0xff, 0xf0}, 2, true},		      /* push rax (FF /6) */
	    {{0xff, 0xd0}, 2, true},		      /* call rax */
	    {{0xc3}, 1, true},			      /* ret */
	    {{0x74, 0x00}, 2, true},		      /* je (a side exit in a grown block) */
	    {{0xf3, 0xab}, 2, true},		      /* rep stosd */
	    {{0xa4}, 1, true},			      /* movsb */
	    {{0x66, 0x0f, 0xf7, 0xc1}, 4, true},      /* maskmovdqu xmm0, xmm1: stores */
	    {{0x0f, 0x01, 0xf9}, 3, true},	      /* rdtscp */
	    {{0x0f, 0xc3, 0x03}, 3, true},	      /* movnti [rbx], eax */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(may_break(cases[i].bytes, cases[i].len, X86_MODE_64),
				 cases[i].breaks);
	/* 40-4F are INC/DEC outside 64-bit mode */
	static const uint8_t inc_eax = 0x40;
	assert_false(may_break(&inc_eax, 1, X86_MODE_32));
}

static bool jit_inline_test(const uint8_t *bytes, size_t len)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, bytes, len, X86_MODE_64), X86_DECODE_OK);
	return jit_inline(&in);
}

/* Loads the same code into both machines and sets both up with set (may be NULL). */
static void load_both(struct twins *t, const uint8_t *code, size_t len,
		      void (*set)(struct cpu_env *e))
{
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		env_load_code(e, code, len);
		mmu_stats_reset(&e->m);
		if (set)
			set(e);
	}
}

/* Both machines at ENV_CODE again, with code's bytes written there behind the CPU's back
 * (the blocks decoded before, whose bytes they are, are used again). */
static void restart_both(struct twins *t, const uint8_t *code, size_t len)
{
	for (int k = 0; k < 2; k++) {
		memcpy(t->a[k].bus.ram + ENV_CODE_PA, code, len);
		t->a[k].cpu.rip = ENV_CODE;
	}
}

/* Asserts that both machines are in the same state: registers, RIP, RFLAGS, instruction
 * count, the first data page, and every MMU statistic. */
static void assert_same(struct twins *t)
{
	char a[8192], b[8192];
	struct cpu *c0 = &t->a[0].cpu, *c1 = &t->a[1].cpu;
	for (int r = 0; r < 16; r++)
		assert_int_equal(c0->gpr[r], c1->gpr[r]);
	assert_int_equal(c0->rip, c1->rip);
	assert_int_equal(cpu_rflags(c0), cpu_rflags(c1));
	assert_int_equal(c0->icount, c1->icount);
	assert_memory_equal(t->a[0].bus.ram + ENV_DATA_PA, t->a[1].bus.ram + ENV_DATA_PA, 4096);
	assert_true(mmu_stats_json_buf(&t->a[0].m, a, sizeof(a)) < (int)sizeof(a));
	assert_true(mmu_stats_json_buf(&t->a[1].m, b, sizeof(b)) < (int)sizeof(b));
	assert_string_equal(a, b);
}

/* Runs both machines until they stop (at most max instructions each); returns the exit. */
static enum cpu_exit run_both(struct twins *t, uint64_t max)
{
	enum cpu_exit x0 = cpu_run(&t->a[0].cpu, max), x1 = cpu_run(&t->a[1].cpu, max);
	assert_int_equal(x0, x1);
	if (x0 == CPU_EXIT_FAULT)
		assert_int_equal(t->a[0].cpu.fault.vector, t->a[1].cpu.fault.vector);
	return x0;
}

/*
 * A loop over an array with loads, stores, a call and a return (blocks ending in each
 * kind of branch, entries with and without the break test):
 *   mov rsi, ENV_DATA; mov ecx, 200; xor eax, eax
 * top: mov edx, [rsi]; add edx, ecx; mov [rsi], edx; call f; add rsi, 4; dec ecx; jnz top
 *   int3
 * f: lea eax, [rax + rdx]; imul eax, eax, 3; ret
 */
static const uint8_t loop_code[] = {
    0x48, 0xbe, 0x00, 0x00, 0x10, 0x10, 0, 0, 0, 0, /* 0: mov rsi, ENV_DATA */
    0xb9, 0xc8, 0x00, 0x00, 0x00,		    /* 10: mov ecx, 200 */
    0x31, 0xc0,					    /* 15: xor eax, eax */
    0x8b, 0x16,					    /* 17: mov edx, [rsi] */
    0x01, 0xca,					    /* 19: add edx, ecx */
    0x89, 0x16,					    /* 21: mov [rsi], edx */
    0xe8, 0x0a, 0x00, 0x00, 0x00,		    /* 23: call 38 */
    0x48, 0x83, 0xc6, 0x04,			    /* 28: add rsi, 4 */
    0xff, 0xc9,					    /* 32: dec ecx */
    0x75, 0xed,					    /* 34: jnz 17 */
    0xcc,					    /* 36: int3 */
    0x90,					    /* 37: nop */
    0x8d, 0x04, 0x10,				    /* 38: lea eax, [rax + rdx] */
    0x6b, 0xc0, 0x03,				    /* 41: imul eax, eax, 3 */
    0xc3,					    /* 44: ret */
};

static void test_jit_loop_runs_like_loop_without_code(void **state)
{
	struct twins *t = *state;
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (int pass = 0; pass < 2; pass++) { /* the second pass: blocks and code reused */
		load_both(t, loop_code, sizeof(loop_code), NULL);
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 36);
		assert_same(t);
	}
	assert_true(t->a[0].cpu.icache->jit->built > built); /* the code did run */
	assert_null(t->a[1].cpu.icache->jit);
}

/* A page fault in the middle of a block: the state is as before the faulting
 * instruction (RIP, count, registers), in both machines; then the same block entered in
 * its middle after a run stopped there by the instruction limit.
 *   mov eax, 1; add eax, 2; mov rbx, [0x7000000000]; add eax, 4; int3 */
static void test_jit_fault_in_mid_block_exact(void **state)
{
	static const uint8_t code[] = {
	    0xb8, 0x01, 0x00, 0x00, 0x00,			  /* 0: mov eax, 1 */
	    0x83, 0xc0, 0x02,					  /* 5: add eax, 2 */
	    0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x70, /* 8: mov rbx, [0x70000000] */
	    0x83, 0xc0, 0x04,					  /* 16: add eax, 4 */
	    0xcc,						  /* 19: int3 */
	};
	struct twins *t = *state;
	uint64_t built = t->a[0].cpu.icache->jit->built;
	load_both(t, code, sizeof(code), NULL);
	for (int pass = 0; pass < 2 * JIT_HOT; pass++) { /* the later passes with code */
		restart_both(t, code, sizeof(code));
		uint64_t before = t->a[0].cpu.icount;
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_PF);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 8);
		assert_int_equal(t->a[0].cpu.gpr[RAX], 3);
		assert_int_equal(t->a[0].cpu.icount - before, 2);
		assert_same(t);
		/* one instruction, then the rest of the block from its second entry */
		restart_both(t, code, sizeof(code));
		assert_int_equal(run_both(t, 1), CPU_EXIT_LIMIT);
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 8);
		assert_int_equal(t->a[0].cpu.gpr[RAX], 3);
		assert_same(t);
	}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/* A store into a later instruction of the block being run, from the block's host code
 * (the first instruction runs on its own, so the store is an entry in mid-block; a
 * register-only entry between them): the new instruction runs, in both machines.
 *   inc edx; mov byte [rip + 3], 9; inc ecx; mov eax, 1; int3   (it becomes mov eax, 9) */
static void test_jit_store_into_running_block_seen(void **state)
{
	static const uint8_t rip_code[] = {
	    0xff, 0xc2,				      /* 0: inc edx */
	    0xc6, 0x05, 0x03, 0x00, 0x00, 0x00, 0x09, /* 2: mov byte [rip + 3], 9 -> 12 */
	    0xff, 0xc1,				      /* 9: inc ecx */
	    0xb8, 0x01, 0x00, 0x00, 0x00,	      /* 11: mov eax, 1 (imm at 12) */
	    0xcc,				      /* 16: int3 */
	};
	/* the same through a register (an entry that needs no next RIP of its own) */
	static const uint8_t reg_code[] = {
	    0xff, 0xc2,		      /* 0: inc edx */
	    0xc6, 0x07, 0x09,	      /* 2: mov byte [rdi], 9 -> 8 */
	    0xff, 0xc1,		      /* 5: inc ecx */
	    0xb8, 0x01, 0x00, 0x00, 0x00, /* 7: mov eax, 1 (imm at 8) */
	    0xcc,		      /* 12: int3 */
	};
	const struct {
		const uint8_t *code;
		size_t len;
	} codes[] = {{rip_code, sizeof(rip_code)}, {reg_code, sizeof(reg_code)}};
	struct twins *t = *state;
	for (size_t c = 0; c < 2; c++) {
		uint64_t built = t->a[0].cpu.icache->jit->built;
		load_both(t, codes[c].code, codes[c].len, NULL);
		for (int pass = 0; pass < 2 * JIT_HOT; pass++) { /* the later passes with code */
			/* the old bytes: the block fits again */
			restart_both(t, codes[c].code, codes[c].len);
			t->a[0].cpu.gpr[RDI] = t->a[1].cpu.gpr[RDI] = ENV_CODE + 8;
			assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
			assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
			assert_int_equal(t->a[0].cpu.rip, ENV_CODE + codes[c].len - 1);
			assert_int_equal(t->a[0].cpu.gpr[RAX], 9);
			assert_same(t);
		}
		assert_true(t->a[0].cpu.icache->jit->built > built);
	}
}

static void enter_compat(struct cpu_env *e)
{
	cpu_enter_compat_mode_flat(&e->cpu);
	e->cpu.gpr[RSP] = ENV_DATA + 0x1000;
}

/* 32-bit code (compatibility mode, flat CS): the same loop without the 64-bit forms.
 *   mov esi, ENV_DATA; mov ecx, 100; xor eax, eax
 * top: mov edx, [esi]; add edx, ecx; mov [esi], edx; call f; add esi, 4; dec ecx; jnz top
 *   int3; f: lea eax, [eax + edx]; ret */
static void test_jit_compat_mode_runs_like_loop_without_code(void **state)
{
	static const uint8_t code[] = {
	    0xbe, 0x00, 0x00, 0x10, 0x10, /* 0: mov esi, ENV_DATA */
	    0xb9, 0x64, 0x00, 0x00, 0x00, /* 5: mov ecx, 100 */
	    0x31, 0xc0,			  /* 10: xor eax, eax */
	    0x8b, 0x16,			  /* 12: mov edx, [esi] */
	    0x01, 0xca,			  /* 14: add edx, ecx */
	    0x89, 0x16,			  /* 16: mov [esi], edx */
	    0xe8, 0x07, 0x00, 0x00, 0x00, /* 18: call 30 */
	    0x83, 0xc6, 0x04,		  /* 23: add esi, 4 */
	    0x49,			  /* 26: dec ecx */
	    0x75, 0xef,			  /* 27: jnz 12 */
	    0xcc,			  /* 29: int3 */
	    0x8d, 0x04, 0x10,		  /* 30: lea eax, [eax + edx] */
	    0xc3,			  /* 33: ret */
	};
	struct twins *t = *state;
	uint64_t built = t->a[0].cpu.icache->jit->built;
	load_both(t, code, sizeof(code), enter_compat);
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 29);
	assert_same(t);
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/* Turning the code off and on again: blocks built before run without stale code. */
static void test_jit_off_and_on_again_runs_like_loop_without_code(void **state)
{
	struct twins *t = *state;
	load_both(t, loop_code, sizeof(loop_code), NULL);
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_false(cpu_set_jit(&t->a[0].cpu, false));
	assert_true(cpu_set_jit(&t->a[0].cpu, true));
	assert_int_equal(t->a[0].cpu.icache->jit->built, 0);
	load_both(t, loop_code, sizeof(loop_code), NULL);
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_same(t);
	assert_true(t->a[0].cpu.icache->jit->built > 0);
}

/* A loop that is one block, chained to itself: add edx, ecx; dec ecx; jnz top; int3 */
static const uint8_t self_loop[] = {0x01, 0xca, 0xff, 0xc9, 0x75, 0xfa, 0xcc};

static void set_count_1000(struct cpu_env *e)
{
	e->cpu.gpr[RCX] = 1000;
	e->cpu.gpr[RDX] = 0;
}

/* Blocks chained to each other stop exactly at the instruction limit: every limit from 1
 * to 40 instructions, run again and again until the loop ends, in both machines. */
static void test_jit_chained_blocks_stop_at_limit(void **state)
{
	struct twins *t = *state;
	for (uint64_t k = 1; k <= 40; k++) {
		load_both(t, self_loop, sizeof(self_loop), set_count_1000);
		uint64_t before = t->a[0].cpu.icount;
		enum cpu_exit x;
		while ((x = run_both(t, k)) == CPU_EXIT_LIMIT) {
			assert_int_equal((t->a[0].cpu.icount - before) % k, 0);
			assert_same(t);
		}
		assert_int_equal(x, CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.gpr[RDX], 1000 * 1001 / 2);
		assert_int_equal(t->a[0].cpu.icount - before, 3000);
		assert_same(t);
	}
}

/* A chained block whose bytes change between runs (a bus write, nothing told): the next
 * run runs the new code. The loop's first block jumps to a second (its chain) that adds
 * 1, then 2 after the write. */
static void test_jit_chain_to_changed_block_not_followed(void **state)
{
	static const uint8_t code[] = {
	    0xff, 0xc9,			  /* 0: top: dec ecx */
	    0xeb, 0x00,			  /* 2: jmp 4 (a block of its own after) */
	    0x83, 0xc2, 0x01,		  /* 4: add edx, 1 */
	    0x85, 0xc9,			  /* 7: test ecx, ecx */
	    0x75, 0xf5,			  /* 9: jnz top */
	    0xcc,			  /* 11: int3 */
	};
	struct twins *t = *state;
	load_both(t, code, sizeof(code), set_count_1000);
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.gpr[RDX], 1000);
	assert_same(t);
	for (int k = 0; k < 2; k++) {
		t->a[k].bus.ram[ENV_CODE_PA + 6] = 2; /* add edx, 2 */
		t->a[k].cpu.rip = ENV_CODE;
		set_count_1000(&t->a[k]);
	}
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.gpr[RDX], 2000);
	assert_same(t);
}

/*
 * A chain into another page is followed only while that page's translation is the one
 * it was made with. A frame P is mapped at V1
 * and at V2; its block B (nop; jmp rax) run at V1 gets a chain to S (add edx, 1; jmp rcx)
 * at V1 + 0x100. Then V1 is mapped to another frame, whose code at + 0x100 is S' (add
 * edx, 2; int3), and in one run: a start block (a short loop) jumps to S through V2 (so S
 * is checked in this run), S to B through V2, and B to V1 + 0x100 -- another page than
 * B's, now S'. Following B's chain there would run S again (and loop). The run starts in
 * V1's new frame (its + 0x300: the same start block), so that V1's new fetch translation
 * is in the MMU's fast path when B's chain is looked at.
 */
static void test_jit_chain_followed_only_with_same_translation(void **state)
{
	static const uint8_t b[] = {0x90, 0xff, 0xe0};		      /* nop; jmp rax */
	static const uint8_t s1[] = {0x83, 0xc2, 0x01, 0xff, 0xe1};   /* add edx, 1; jmp rcx */
	static const uint8_t s2[] = {0x83, 0xc2, 0x02, 0xcc};	      /* add edx, 2; int3 */
	static const uint8_t start[] = {0xbe, 0x03, 0x00, 0x00, 0x00, /* mov esi, 3 */
					0xff, 0xce,		      /* l: dec esi */
					0x75, 0xfc,		      /* jnz l */
					0xff, 0xe7};		      /* jmp rdi */
	static const uint8_t int3 = 0xcc;
	const uint64_t v1 = ENV_CODE + 3 * 4096, v2 = 0x30000000;
	struct twins *t = *state;
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		uint8_t *p = e->bus.ram + ENV_CODE_PA + 3 * 4096, *q = e->bus.ram + ENV_CODE_PA + 4 * 4096;
		memcpy(p, b, sizeof(b));
		memcpy(p + 0x100, s1, sizeof(s1));
		p[0x200] = int3;
		memcpy(p + 0x300, start, sizeof(start));
		memcpy(q + 0x100, s2, sizeof(s2));
		memcpy(q + 0x300, start, sizeof(start));
		cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 3 * 4096, 2 * 4096);
		env_map(e, v2, ENV_CODE_PA + 3 * 4096, PTE_P | PTE_RW | PTE_US);
		mmu_stats_reset(&e->m);
	}
	for (int pass = 0; pass < 3; pass++) { /* at V1: B, S, the int3 */
		for (int k = 0; k < 2; k++) {
			t->a[k].cpu.rip = v1;
			t->a[k].cpu.gpr[RAX] = v1 + 0x100;
			t->a[k].cpu.gpr[RCX] = v1 + 0x200;
			t->a[k].cpu.gpr[RDX] = 0;
		}
		assert_int_equal(run_both(t, 1000), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.gpr[RDX], 1);
	}
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		env_map(e, v1, ENV_CODE_PA + 4 * 4096, PTE_P | PTE_RW | PTE_US);
		mmu_invlpg(&e->m, v1);
		e->cpu.rip = v1 + 0x300;
		e->cpu.gpr[RDI] = v2 + 0x100;
		e->cpu.gpr[RCX] = v2;
		e->cpu.gpr[RAX] = v1 + 0x100;
		e->cpu.gpr[RDX] = 0;
	}
	assert_int_equal(run_both(t, 1000), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(t->a[0].cpu.gpr[RDX], 3);
	assert_same(t);
}

/*
 * Blocks chained across pages: a loop in page 5 calls a function in page 6 and one in
 * page 7, every pass; the fetch hits of each page are counted on its fast entry as the
 * loop without host code counts them (the MMU statistics compare), and a change of a
 * page's translation between runs (page 6 mapped to another frame with other code) is
 * seen.
 *   page 5: top: call f6; call f7; dec ecx; jnz top; int3
 *   page 6: f6: add edx, 1; ret        page 7: f7: add edx, 0x100; ret
 *   frame of page 8: add edx, 0x10000; ret (page 6 mapped there at the end)
 */
static void test_jit_chains_across_pages_count_like_loop(void **state)
{
	static const uint8_t top[] = {
	    0xe8, 0xfb, 0x0f, 0x00, 0x00, /* 0: call page 6 (5 + 0xffb = 0x1000) */
	    0xe8, 0xf6, 0x1f, 0x00, 0x00, /* 5: call page 7 (10 + 0x1ff6 = 0x2000) */
	    0xff, 0xc9,			  /* 10: dec ecx */
	    0x75, 0xf2,			  /* 12: jnz 0 */
	    0xcc,			  /* 14: int3 */
	};
	static const uint8_t f6[] = {0x83, 0xc2, 0x01, 0xc3};
	static const uint8_t f7[] = {0x81, 0xc2, 0x00, 0x01, 0x00, 0x00, 0xc3};
	static const uint8_t f8[] = {0x81, 0xc2, 0x00, 0x00, 0x01, 0x00, 0xc3};
	struct twins *t = *state;
	for (int k = 0; k < 2; k++) {
		uint8_t *p = t->a[k].bus.ram + ENV_CODE_PA + 5 * 4096;
		memcpy(p, top, sizeof(top));
		memcpy(p + 4096, f6, sizeof(f6));
		memcpy(p + 2 * 4096, f7, sizeof(f7));
		memcpy(p + 3 * 4096, f8, sizeof(f8));
		cpu_icache_invalidate_phys(&t->a[k].cpu, ENV_CODE_PA + 5 * 4096, 4 * 4096);
		mmu_stats_reset(&t->a[k].m);
	}
	for (int pass = 0; pass < 3; pass++) {
		for (int k = 0; k < 2; k++) {
			if (pass == 2) {
				env_map(&t->a[k], ENV_CODE + 6 * 4096, ENV_CODE_PA + 8 * 4096,
					PTE_P | PTE_RW | PTE_US);
				mmu_invlpg(&t->a[k].m, ENV_CODE + 6 * 4096);
			}
			t->a[k].cpu.rip = ENV_CODE + 5 * 4096;
			set_count_1000(&t->a[k]);
		}
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(t->a[0].cpu.gpr[RDX], pass < 2 ? 1000 * 0x101 : 1000 * 0x10100);
		assert_same(t);
	}
}

/* Chains across pages keep the ITLB's LRU order as the loop keeps it: a loop through eight
 * pages that share one L1 ITLB set of eight ways (16 pages apart), each page a jump to
 * the next, hits in that set; every eighth round a ninth page of the set evicts the
 * least recently used one, which is the right one only if the fetch hits of each page
 * left were stamped on the way as the loop stamps them.
 *   pages 0-6: jmp next; page 7: dec ecx; jz out; test ecx, 7; jnz page 0; jmp page 8;
 *   out: int3; page 8: jmp page 0 */
static void test_jit_chains_across_pages_keep_itlb_lru_like_loop(void **state)
{
	const uint64_t la = ENV_CODE + 0x200000, pa = 0x700000, stride = 16 * 4096;
	struct twins *t = *state;
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		for (uint64_t p = 0; p < 9; p++) {
			uint8_t *code = e->bus.ram + pa + p * 4096;
			int32_t rel = (int32_t)(stride - 5); /* jmp to the next page */
			env_map(e, la + p * stride, pa + p * 4096, PTE_P | PTE_RW | PTE_US);
			if (p == 8)
				rel = (int32_t)(-(int64_t)(8 * stride) - 5); /* to page 0 */
			if (p != 7) {
				code[0] = 0xe9;
				memcpy(code + 1, &rel, 4);
				continue;
			}
			static const uint8_t p7[] = {
			    0xff, 0xc9,				/* 0: dec ecx */
			    0x74, 0x11,				/* 2: jz 21 */
			    0xf7, 0xc1, 0x07, 0x00, 0x00, 0x00, /* 4: test ecx, 7 */
			    0x0f, 0x85, 0, 0, 0, 0,		/* 10: jnz page 0 */
			    0xe9, 0, 0, 0, 0,			/* 16: jmp page 8 */
			    0xcc,				/* 21: int3 */
			};
			memcpy(code, p7, sizeof(p7));
			rel = (int32_t)(-(int64_t)(7 * stride) - 16);
			memcpy(code + 12, &rel, 4);
			rel = (int32_t)(stride - 21);
			memcpy(code + 17, &rel, 4);
		}
		cpu_icache_invalidate_phys(&e->cpu, pa, 9 * 4096);
		mmu_stats_reset(&e->m);
		e->cpu.rip = la;
		e->cpu.gpr[RCX] = 400;
	}
	uint64_t built = t->a[0].cpu.icache->jit->built;
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(t->a[0].cpu.rip, la + 7 * stride + 21);
	assert_same(t);
	assert_true(t->a[0].cpu.icache->jit->built >= built + 8);
}

/*
 * A loop whose instruction crosses from page 9 into page 10 (a block of its own), chained
 * into and out of: the fetch counts of both pages as the loop counts them, and a change
 * of the instruction's bytes in the second page between runs seen.
 *   page 9 + 0xff8: top: inc edx; nop; nop; nop; mov eax, 0x01010101 (crosses at 3 bytes)
 *   page 10:        add edx, eax; dec ecx; jnz top; int3
 */
static void test_jit_chains_through_page_crossing_instruction(void **state)
{
	static const uint8_t first[] = {0xff, 0xc2, 0x90, 0x90, 0x90, 0xb8, 0x01, 0x01};
	static const uint8_t second[] = {0x01, 0x01, 0x01, 0xc2, 0xff, 0xc9, 0x75, 0xf0, 0xcc};
	struct twins *t = *state;
	for (int k = 0; k < 2; k++) {
		uint8_t *p = t->a[k].bus.ram + ENV_CODE_PA + 10 * 4096;
		memcpy(p - sizeof(first), first, sizeof(first));
		memcpy(p, second, sizeof(second));
		cpu_icache_invalidate_phys(&t->a[k].cpu, ENV_CODE_PA + 9 * 4096, 2 * 4096);
		mmu_stats_reset(&t->a[k].m);
	}
	for (int pass = 0; pass < 3; pass++) {
		for (int k = 0; k < 2; k++) {
			if (pass == 2) /* the imm32's high bytes, in the second page */
				t->a[k].bus.ram[ENV_CODE_PA + 10 * 4096] = 0x02;
			t->a[k].cpu.rip = ENV_CODE + 10 * 4096 - sizeof(first);
			set_count_1000(&t->a[k]);
		}
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(t->a[0].cpu.gpr[RDX],
				 (uint32_t)(1000 * (1 + (pass < 2 ? 0x01010101ULL : 0x01020101ULL))));
		assert_same(t);
	}
}

/* Appends one instruction on registers: REX (W for 64-bit, R and B for r8-r15), the
 * opcode, ModRM reg/rm (mod 3), and imm_len bytes of imm. */
static size_t put_insn(uint8_t *p, unsigned size, uint8_t op, unsigned reg, unsigned rm,
		       bool modrm, uint64_t imm, unsigned imm_len)
{
	size_t n = 0;
	uint8_t rex = (uint8_t)(0x40 | (size == 8 ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0));
	if (rex != 0x40)
		p[n++] = rex;
	p[n++] = op;
	if (modrm)
		p[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	memcpy(p + n, &imm, imm_len);
	return n + imm_len;
}

static const uint64_t edge_values[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
    0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x123456789abcdef0ULL,
};
#define NR_EDGES (sizeof(edge_values) / sizeof(edge_values[0]))

static uint64_t values_a, values_b; /* edge_values indices for set_values */

/* RAX..R15 from the edge values (RDX and R9 get the pair under test), RFLAGS all set. */
static void set_values(struct cpu_env *e)
{
	for (unsigned r = 0; r < 16; r++)
		e->cpu.gpr[r] = edge_values[(r * 5 + 3) % NR_EDGES] ^ r;
	e->cpu.gpr[RDX] = edge_values[values_a];
	e->cpu.gpr[R9] = edge_values[values_b];
	e->cpu.gpr[RSP] = ENV_DATA + ENV_PAGES * 4096 - 64;
	cpu_set_rflags(&e->cpu, RFLAGS_STATUS | 0x2);
}

/*
 * A block grown past a conditional branch taken every other pass (a side exit): taken,
 * its code goes on to the chained block of the branch's target instead of returning to
 * the loop; stopped by every instruction limit from 1 to 40 as the loop stops. A loop
 * of 1000 passes then costs the loop a few returns, not one per side exit taken.
 *   top: add edx, ecx; test ecx, 1; jnz odd; add edx, 3; dec ecx; jnz top; int3
 *   odd: add edx, 5; dec ecx; jnz top; int3
 */
static const uint8_t side_exit_loop[] = {
    0x01, 0xca,				/* 0: top: add edx, ecx */
    0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00, /* 2: test ecx, 1 */
    0x75, 0x08,				/* 8: jnz 18 */
    0x83, 0xc2, 0x03,			/* 10: add edx, 3 */
    0xff, 0xc9,				/* 13: dec ecx */
    0x75, 0xef,				/* 15: jnz 0 */
    0xcc,				/* 17: int3 */
    0x83, 0xc2, 0x05,			/* 18: odd: add edx, 5 */
    0xff, 0xc9,				/* 21: dec ecx */
    0x75, 0xe7,				/* 23: jnz 0 */
    0xcc,				/* 25: int3 */
};

/* The same loop with an inline AND before the side exit and a SUB before the last Jcc
 * (both branches on the host's flags: cpu/jit.c, cond_of):
 *   top: add edx, ecx; mov eax, ecx; and eax, 1; jnz odd; add edx, 3; sub ecx, 1; jnz top;
 *   int3; odd: add edx, 5; sub ecx, 1; jnz top; int3 */
static const uint8_t side_exit_fused_loop[] = {
    0x01, 0xca,	      /* 0: top: add edx, ecx */
    0x89, 0xc8,	      /* 2: mov eax, ecx */
    0x83, 0xe0, 0x01, /* 4: and eax, 1 */
    0x75, 0x09,	      /* 7: jnz 18 */
    0x83, 0xc2, 0x03, /* 9: add edx, 3 */
    0x83, 0xe9, 0x01, /* 12: sub ecx, 1 */
    0x75, 0xef,	      /* 15: jnz 0 */
    0xcc,	      /* 17: int3 */
    0x83, 0xc2, 0x05, /* 18: odd: add edx, 5 */
    0x83, 0xe9, 0x01, /* 21: sub ecx, 1 */
    0x75, 0xe6,	      /* 24: jnz 0 */
    0xcc,	      /* 26: int3 */
};

static uint64_t passes; /* for set_passes */

static void set_passes(struct cpu_env *e)
{
	e->cpu.gpr[RCX] = passes;
	e->cpu.gpr[RDX] = 0;
}

static void set_passes_compat(struct cpu_env *e)
{
	enter_compat(e);
	set_passes(e);
}

/* The sum the side-exit loops leave in EDX after an even number of passes. */
static uint64_t side_exit_sum(uint64_t n)
{
	return n * (n + 1) / 2 + n / 2 * 3 + n / 2 * 5;
}

static void test_jit_side_exits_go_on_like_loop(void **state)
{
	struct twins *t = *state;
	const struct {
		const uint8_t *code;
		size_t len;
		void (*set)(struct cpu_env *e);
	} runs[] = {
	    {side_exit_loop, sizeof(side_exit_loop), set_passes},
	    {side_exit_fused_loop, sizeof(side_exit_fused_loop), set_passes},
	    {side_exit_loop, sizeof(side_exit_loop), set_passes_compat},
	    {side_exit_fused_loop, sizeof(side_exit_fused_loop), set_passes_compat},
	};
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		passes = 1000;
		load_both(t, runs[r].code, runs[r].len, runs[r].set);
		uint64_t returns = t->a[0].cpu.icache->jit->runs;
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		/* the last pass, ECX 1, is odd: it ends at the second INT3 */
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + runs[r].len - 1);
		assert_int_equal(t->a[0].cpu.gpr[RDX], side_exit_sum(1000));
		assert_same(t);
		/* while blocks are watched (32 exits each, before and after growing) and
		 * before they have code, each exit is a return; after that, of the 500 side
		 * exits taken, none (577 returns without) */
		assert_true(t->a[0].cpu.icache->jit->runs - returns < 200);
		/* stopped by every limit up to 40 for the first, a spread for the others,
		 * in runs of 100 passes (with code for the last 50 or so) */
		passes = 100;
		for (uint64_t k = 1; k <= 40; k += r == 0 ? 1 : k) {
			load_both(t, runs[r].code, runs[r].len, runs[r].set);
			enum cpu_exit x;
			while ((x = run_both(t, k)) == CPU_EXIT_LIMIT)
				assert_same(t);
			assert_int_equal(x, CPU_EXIT_FAULT);
			assert_int_equal(t->a[0].cpu.gpr[RDX], side_exit_sum(100));
			assert_same(t);
		}
	}
}

/* Runs code (NOP first, an INT3 to end) in both machines for a spread of edge value pairs in RDX and R9, until the block has its code
 * and after, and compares them. */
static void run_cond(struct twins *t, const uint8_t *code, size_t len, unsigned stride)
{
	load_both(t, code, len, NULL);
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (values_a = 0; values_a < NR_EDGES; values_a++)
		for (values_b = values_a % stride; values_b < NR_EDGES; values_b += stride) {
			for (int k = 0; k < 2; k++) {
				set_values(&t->a[k]);
				t->a[k].cpu.rip = ENV_CODE;
			}
			assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
			assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
			assert_same(t);
		}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/*
 * A conditional branch on the flags of the inline ALU operation before it (cpu/jit.c,
 * cond_of: COND_HOST) goes where its handler goes: every condition after every inline
 * operation at both sizes, with half the pairs of edge values (each in both orders).
 *   nop; OP rdx/edx, r9/r9d; jCC taken; mov eax, 1; int3; taken: mov eax, 2; int3
 */
static void test_jit_fused_jcc_like_handlers(void **state)
{
	static const uint8_t ops[] = {0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x85};
	static const uint8_t tail[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc,
				       0xb8, 0x02, 0x00, 0x00, 0x00, 0xcc};
	struct twins *t = *state;
	for (unsigned size = 4; size <= 8; size += 4)
		for (size_t o = 0; o < sizeof(ops); o++)
			for (uint8_t cc = 0; cc < 16; cc++) {
				uint8_t code[32] = {0x90};
				size_t n = 1 + put_insn(code + 1, size, ops[o], R9, RDX, true, 0, 0);
				code[n++] = (uint8_t)(0x70 | cc);
				code[n++] = 6;
				memcpy(code + n, tail, sizeof(tail));
				n += sizeof(tail);
				run_cond(t, code, n, 2);
			}
}

/* A fused branch whose target is not canonical (code in the last page below the hole)
 * faults as its handler makes it fault, once the block has its code:
 *   top: sub ecx, 1; jz +0x100 (non-canonical); jmp top */
static void test_jit_fused_jcc_to_non_canonical_target_like_handler(void **state)
{
	static const uint8_t code[] = {
	    0x83, 0xe9, 0x01,		    /* 0: top: sub ecx, 1 */
	    0x0f, 0x84, 0x00, 0x01, 0x00, 0x00, /* 3: jz 0x109 */
	    0xeb, 0xf5,			    /* 9: jmp 0 */
	};
	const uint64_t la = 0x7ffffffff000ULL, at = la + 0xff0, pa = ENV_CODE_PA + 8 * 4096;
	struct twins *t = *state;
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		env_map(e, la, pa, PTE_P | PTE_RW | PTE_US);
		memcpy(e->bus.ram + pa + 0xff0, code, sizeof(code));
		cpu_icache_invalidate_phys(&e->cpu, pa, 4096);
		mmu_stats_reset(&e->m);
		e->cpu.rip = at;
		e->cpu.gpr[RCX] = 40;
	}
	uint64_t built = t->a[0].cpu.icache->jit->built;
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.fault.vector, t->a[1].cpu.fault.vector);
	assert_int_equal(t->a[0].cpu.gpr[RCX], 0);
	assert_true(t->a[0].cpu.rip == at + 3 || t->a[0].cpu.rip >= 0x800000000000ULL);
	assert_same(t);
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/* Runs code (first instruction a NOP, which the loop runs on its own, so that the rest
 * runs from the block's code; INT3 last) in both machines for every pair of edge values,
 * twice (the block gets its code after JIT_HOT runs), and compares them; then the same
 * with the instruction under test as the last entry of a full block (32 entries: the
 * NOP, 30 more, the instruction), the INT3 a block after. */
static void run_form(struct twins *t, const uint8_t *insn, size_t len)
{
	uint8_t code[64];
	assert_true(len + 32 <= sizeof(code));
	for (int last = 0; last < 2; last++) {
		size_t n = last ? 31 : 1;
		memset(code, 0x90, n);
		memcpy(code + n, insn, len);
		n += len;
		code[n++] = 0xcc;
		load_both(t, code, n, NULL);
		uint64_t built = t->a[0].cpu.icache->jit->built;
		for (int pass = 0; pass < 2; pass++)
			for (values_a = 0; values_a < NR_EDGES; values_a++)
				for (values_b = 0; values_b < NR_EDGES; values_b += last ? 4 : 1) {
					for (int k = 0; k < 2; k++) {
						set_values(&t->a[k]);
						t->a[k].cpu.rip = ENV_CODE;
					}
					assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
					assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
					assert_int_equal(t->a[0].cpu.rip, ENV_CODE + n - 1);
					assert_same(t);
				}
		assert_true(t->a[0].cpu.icache->jit->built > built); /* the code ran */
	}
}

/* The inline forms (moves and ALU operations on registers, sizes 4 and 8, low and high
 * registers, every operation with each edge value pair) leave the registers and RFLAGS
 * exactly as their handlers do. */
static void test_jit_inline_forms_like_handlers(void **state)
{
	struct twins *t = *state;
	uint8_t insn[16];
	size_t n;
	for (unsigned size = 4; size <= 8; size += 4) {
		/* 89 and 8B: mov rdx, r9 and mov r9, rdx; mov with imm32, imm64, C7 */
		n = put_insn(insn, size, 0x89, R9, RDX, true, 0, 0);
		assert_true(jit_inline_test(insn, n));
		run_form(t, insn, n);
		n = put_insn(insn, size, 0x8b, RDX, R9, true, 0, 0);
		run_form(t, insn, n);
		n = put_insn(insn, size, 0xb8 + (R9 & 7), 0, R9, false, 0x8765432112345678ULL,
			     size);
		insn[0] |= 1; /* REX.B: r9 (the +r register) */
		run_form(t, insn, n);
		n = put_insn(insn, size, 0xc7, 0, RDX, true, 0x80000001, 4);
		run_form(t, insn, n);
		for (unsigned op = 0; op < 8; op++) {
			if (op == 2 || op == 3)
				continue; /* ADC, SBB: not inline (they read CF) */
			n = put_insn(insn, size, (uint8_t)(op << 3 | 1), R9, RDX, true, 0, 0);
			assert_true(jit_inline_test(insn, n));
			run_form(t, insn, n);
			n = put_insn(insn, size, (uint8_t)(op << 3 | 3), RDX, R9, true, 0, 0);
			run_form(t, insn, n);
			n = put_insn(insn, size, 0x81, op, RDX, true, 0x80000000, 4);
			run_form(t, insn, n);
			n = put_insn(insn, size, 0x83, op, R9, true, 0xff, 1);
			run_form(t, insn, n);
			n = put_insn(insn, size, 0x83, op, RDX, true, 0x7f, 1);
			run_form(t, insn, n);
		}
		n = put_insn(insn, size, 0x85, R9, RDX, true, 0, 0); /* test rdx, r9 */
		run_form(t, insn, n);
		n = put_insn(insn, size, 0x31, RDX, RDX, true, 0, 0); /* xor edx, edx */
		run_form(t, insn, n);
	}
}


/*
 * Jcc, SETcc and CMOVcc on flags the code makes itself (cpu/jit.c, cond_of): after an
 * inline ALU operation (the host's flags), after the records of memory, 8- and 16-bit
 * ALU operations, TEST, INC and DEC (the record's operation again on the host; INC/DEC
 * with the CF they keep), and where the record is not the one expected (a shift between,
 * SAHF's flags made at once: the handler's call) -- every condition, with edge values.
 */
static void test_jit_conditions_like_handlers(void **state)
{
	static const struct {
		uint8_t len, b[12];
	} setters[] = {
	    {3, {0x44, 0x21, 0xca}},				    /* and edx, r9d */
	    {9, {0x4c, 0x89, 0x4c, 0x24, 0x08, 0x39, 0x54, 0x24, 0x08}}, /* mov [rsp+8], r9;
									   cmp [rsp+8], edx */
	    {3, {0x44, 0x00, 0xca}},			    /* add dl, r9b */
	    {4, {0x66, 0x44, 0x29, 0xca}},		    /* sub dx, r9w */
	    {3, {0x44, 0x84, 0xca}},			    /* test dl, r9b */
	    {5, {0x44, 0x39, 0xca, 0xff, 0xc2}},	    /* cmp edx, r9d; inc edx */
	    {6, {0x44, 0x39, 0xca, 0x48, 0xff, 0xca}},	    /* cmp edx, r9d; dec rdx */
	    {5, {0x44, 0x39, 0xca, 0xd1, 0xe2}},	    /* cmp edx, r9d; shl edx, 1 */
	    {4, {0x44, 0x39, 0xca, 0x9e}},		    /* cmp edx, r9d; sahf */
	};
	static const uint8_t tail[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc,
				       0xb8, 0x02, 0x00, 0x00, 0x00, 0xcc};
	struct twins *t = *state;
	for (size_t k = 0; k < sizeof(setters) / sizeof(setters[0]); k++)
		for (uint8_t cc = 0; cc < 16; cc++)
			for (int form = 0; form < 5; form++) {
				uint8_t code[48] = {0x90};
				size_t n = 1;
				memcpy(code + n, setters[k].b, setters[k].len);
				n += setters[k].len;
				if (form == 0) { /* jcc +6 to mov eax, 2; else mov eax, 1 */
					code[n++] = (uint8_t)(0x70 | cc);
					code[n++] = 6;
				} else if (form <= 2) { /* setcc al; setcc ah */
					code[n++] = 0x0f;
					code[n++] = (uint8_t)(0x90 | cc);
					code[n++] = form == 1 ? 0xc0 : 0xc4;
				} else { /* cmovcc edx, r9d; cmovcc rdx, r9 */
					code[n++] = form == 4 ? 0x49 : 0x41;
					code[n++] = 0x0f;
					code[n++] = (uint8_t)(0x40 | cc);
					code[n++] = 0xd1;
				}
				if (form == 0) {
					memcpy(code + n, tail, sizeof(tail));
					n += sizeof(tail);
				} else {
					code[n++] = 0xcc;
				}
				run_cond(t, code, n, 3);
			}
}

/* The inline extensions from registers (MOVZX/MOVSX of bytes -- AH..BH without REX, SIL
 * with it -- and words, MOVSXD) and LEA (base, index and scale, no base, RIP-relative,
 * 32-bit addresses and results) leave the registers as their handlers do. */
static void test_jit_inline_movx_and_lea_like_handlers(void **state)
{
	static const struct {
		uint8_t len, b[8];
	} forms[] = {
	    {3, {0x0f, 0xb6, 0xc2}},			      /* movzx eax, dl */
	    {3, {0x0f, 0xb6, 0xc6}},			      /* movzx eax, dh */
	    {4, {0x40, 0x0f, 0xb6, 0xc6}},		      /* movzx eax, sil */
	    {4, {0x48, 0x0f, 0xb6, 0xc6}},		      /* movzx rax, sil */
	    {3, {0x0f, 0xb7, 0xc2}},			      /* movzx eax, dx */
	    {4, {0x45, 0x0f, 0xb7, 0xc9}},		      /* movzx r9d, r9w */
	    {3, {0x0f, 0xbe, 0xc6}},			      /* movsx eax, dh */
	    {4, {0x48, 0x0f, 0xbe, 0xc2}},		      /* movsx rax, dl */
	    {3, {0x0f, 0xbf, 0xc2}},			      /* movsx eax, dx */
	    {4, {0x4c, 0x0f, 0xbf, 0xca}},		      /* movsx r9, dx */
	    {3, {0x49, 0x63, 0xc1}},			      /* movsxd rax, r9d */
	    {3, {0x48, 0x63, 0xd2}},			      /* movsxd rdx, edx */
	    {3, {0x8d, 0x04, 0x0a}},			      /* lea eax, [rdx + rcx] */
	    {5, {0x48, 0x8d, 0x44, 0x8a, 0x10}},	      /* lea rax, [rdx + rcx*4 + 0x10] */
	    {5, {0x42, 0x8d, 0x44, 0x4a, 0x07}},	      /* lea eax, [rdx + r9*2 + 7] */
	    {8, {0x4a, 0x8d, 0x84, 0xca, 0x78, 0x56, 0x34, 0x92}}, /* [rdx + r9*8 + disp32] */
	    {8, {0x48, 0x8d, 0x04, 0x8d, 0x00, 0x01, 0x00, 0x00}}, /* lea rax, [rcx*4 + 0x100] */
	    {7, {0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00}},	    /* lea rax, [rip + 0x10] */
	    {7, {0x48, 0x8d, 0x05, 0xf0, 0xff, 0xff, 0x7f}},	    /* lea rax, [rip + 0x7ffffff0] */
	    {6, {0x8d, 0x05, 0xf0, 0xff, 0xff, 0xff}},		    /* lea eax, [rip - 0x10] */
	    {5, {0x67, 0x48, 0x8d, 0x04, 0x0a}},		    /* lea rax, [edx + ecx] */
	    {4, {0x49, 0x8d, 0x41, 0xff}},			    /* lea rax, [r9 - 1] */
	    {3, {0x8d, 0x42, 0x80}},				    /* lea eax, [rdx - 0x80] */
	    {4, {0x48, 0x8d, 0x14, 0x12}},			    /* lea rdx, [rdx + rdx] */
	};
	struct twins *t = *state;
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		assert_true(jit_inline_test(forms[k].b, forms[k].len));
		run_form(t, forms[k].b, forms[k].len);
	}
}

/* Inline operations whose flags the next one writes over leave them out (cpu/jit.c,
 * flags_dead): a run of them between moves leaves the registers and RFLAGS of the last,
 * for every pair of edge values; and in a loop stopped by every limit from 1 to 12 (so
 * that the code is entered between them), the same state as without code at each stop.
 *   sub ebp, 1; add rbx, 4; mov eax, ecx; cmp esi, edi; setb cl; setl bl (they read the
 *   flags: those are kept); test rdx, r9; mov r10, r11; xor r8d, r9d; and edx, 0x70 */
static const uint8_t flags_run[] = {
    0x83, 0xed, 0x01,	    /* sub ebp, 1 */
    0x48, 0x83, 0xc3, 0x04, /* add rbx, 4 */
    0x89, 0xc8,		    /* mov eax, ecx */
    0x39, 0xfe,		    /* cmp esi, edi */
    0x0f, 0x92, 0xc1,	    /* setb cl */
    0x0f, 0x9c, 0xc3,	    /* setl bl */
    0x4c, 0x85, 0xca,	    /* test rdx, r9 */
    0x4d, 0x89, 0xda,	    /* mov r10, r11 */
    0x45, 0x31, 0xc8,	    /* xor r8d, r9d */
    0x83, 0xe2, 0x70,	    /* and edx, 0x70 */
};

static void set_loop_values(struct cpu_env *e)
{
	values_a = 3;
	values_b = 7;
	set_values(e);
	e->cpu.gpr[R15] = 50;
}

static void test_jit_flags_written_over_left_out(void **state)
{
	struct twins *t = *state;
	uint8_t code[64];
	size_t n = sizeof(flags_run);
	run_form(t, flags_run, n);
	memcpy(code, flags_run, n);
	static const uint8_t tail[] = {0x41, 0xff, 0xcf, 0x75, 0x00, 0xcc}; /* dec r15d; jnz top */
	memcpy(code + n, tail, sizeof(tail));
	code[n + 4] = (uint8_t)(-(int)(n + 5));
	n += sizeof(tail);
	for (uint64_t k = 1; k <= 12; k++) {
		load_both(t, code, n, set_loop_values);
		enum cpu_exit x;
		while ((x = run_both(t, k)) == CPU_EXIT_LIMIT)
			assert_same(t);
		assert_int_equal(x, CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + n - 1);
		assert_same(t);
	}
}

/* One random instruction of random_loop's pool at p (registers from regs[], memory at
 * [rsi + disp8] in the first data page); returns its length. */
static size_t put_random_insn(uint8_t *p, uint64_t *seed)
{
	static const unsigned regs[] = {RAX, RCX, RDX, RBX, RDI, R8, R9, R10, R11};
	static const uint8_t alu[] = {0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85};
	uint64_t r = env_rnd(seed);
	unsigned a = regs[r % 9], b = regs[(r >> 4) % 9], size = (r >> 8) & 1 ? 8 : 4;
	uint8_t rex = (uint8_t)(0x40 | (size == 8 ? 8 : 0) | (a >= 8 ? 4 : 0) | (b >= 8 ? 1 : 0));
	uint8_t d8 = (uint8_t)((r >> 16) % 120), cc = (uint8_t)((r >> 24) & 15);
	size_t n = 0;
	switch ((r >> 32) % 12) {
	case 0: /* ALU b, a */
		return put_insn(p, size, alu[(r >> 40) % 9], a, b, true, 0, 0);
	case 1: /* ALU b, imm8 */
		return put_insn(p, size, 0x83, (unsigned)((r >> 40) & 7), b, true, (r >> 48) & 0xff, 1);
	case 2: /* mov a, [rsi + d8] or mov [rsi + d8], a */
		p[n++] = (uint8_t)(rex & ~1);
		p[n++] = (r >> 40) & 1 ? 0x8b : 0x89;
		p[n++] = (uint8_t)(0x46 | (a & 7) << 3);
		p[n++] = d8;
		return n;
	case 3: /* add a, [rsi + d8] or cmp [rsi + d8], a */
		p[n++] = (uint8_t)(rex & ~1);
		p[n++] = (r >> 40) & 1 ? 0x03 : 0x39;
		p[n++] = (uint8_t)(0x46 | (a & 7) << 3);
		p[n++] = d8;
		return n;
	case 4: /* movzx/movsx a, b8 or b16 */
		p[n++] = rex;
		p[n++] = 0x0f;
		p[n++] = (uint8_t)(0xb6 | ((r >> 40) & 9));
		p[n++] = (uint8_t)(0xc0 | (a & 7) << 3 | (b & 7));
		return n;
	case 5: /* lea a, [b + rcx*4 + d8] */
		p[n++] = (uint8_t)(0x48 | (a >= 8 ? 4 : 0) | (b >= 8 ? 1 : 0));
		p[n++] = 0x8d;
		p[n++] = (uint8_t)(0x44 | (a & 7) << 3);
		p[n++] = (uint8_t)(0x88 | (b & 7));
		p[n++] = d8;
		return n;
	case 6: /* setcc b8 (with REX: never AH..BH) */
		p[n++] = (uint8_t)(0x40 | (b >= 8 ? 1 : 0));
		p[n++] = 0x0f;
		p[n++] = (uint8_t)(0x90 | cc);
		p[n++] = (uint8_t)(0xc0 | (b & 7));
		return n;
	case 7: /* cmovcc a, b */
		p[n++] = rex;
		p[n++] = 0x0f;
		p[n++] = (uint8_t)(0x40 | cc);
		p[n++] = (uint8_t)(0xc0 | (a & 7) << 3 | (b & 7));
		return n;
	case 8: /* inc/dec b */
		return put_insn(p, size, 0xff, (unsigned)((r >> 40) & 1), b, true, 0, 0);
	case 9: /* shl/shr/rol/ror b, imm8 */
		return put_insn(p, size, 0xc1, (unsigned)((r >> 40) & 1) | ((r >> 41) & 1 ? 4 : 0), b,
				true, 1 + (r >> 48) % 31, 1);
	case 10: /* push a; pop b */
		if (a >= 8)
			p[n++] = 0x41;
		p[n++] = (uint8_t)(0x50 | (a & 7));
		if (b >= 8)
			p[n++] = 0x41;
		p[n++] = (uint8_t)(0x58 | (b & 7));
		return n;
	default: /* mov b, imm32 (B8+r: REX.B from the r/m number) */
		return put_insn(p, 4, (uint8_t)(0xb8 | (b & 7)), 0, b, false, r >> 40, 4);
	}
}

/*
 * Random loops, the blocks' code against the loop without it: 40 passes over 12 random
 * instructions of a pool (ALU on registers and with immediates, loads, stores and ALU
 * with memory, MOVZX/MOVSX, LEA, SETcc, CMOVcc, INC/DEC, shifts and rotates, PUSH/POP,
 * MOV imm), some skipped by a random Jcc (side exits once the block grows), from random
 * edge-value registers: the same registers, flags, memory and MMU statistics.
 *   top: <random>; dec r15d; jnz top; int3
 */
static void test_jit_random_loops_like_loop(void **state)
{
	struct twins *t = *state;
	uint64_t seed = 0x5eed0fb10c5ULL, built = t->a[0].cpu.icache->jit->built;
	for (int prog = 0; prog < 150; prog++) {
		uint8_t code[512];
		size_t n = 0;
		for (int k = 0; k < 12; k++) {
			uint8_t insn[16];
			size_t len = put_random_insn(insn, &seed);
			if (env_rnd(&seed) % 4 == 0) { /* jcc over it */
				code[n++] = (uint8_t)(0x70 | (env_rnd(&seed) & 15));
				code[n++] = (uint8_t)len;
			}
			memcpy(code + n, insn, len);
			n += len;
		}
		static const uint8_t tail[] = {0x41, 0xff, 0xcf, 0x0f, 0x85, 0, 0, 0, 0, 0xcc};
		memcpy(code + n, tail, sizeof(tail));
		int32_t rel = -(int32_t)(n + 9);
		memcpy(code + n + 5, &rel, 4);
		n += sizeof(tail);
		values_a = env_rnd(&seed) % NR_EDGES;
		values_b = env_rnd(&seed) % NR_EDGES;
		for (int k = 0; k < 2; k++) {
			memset(t->a[k].bus.ram + ENV_DATA_PA, 0x5a, 256);
			env_load_code(&t->a[k], code, n);
			set_values(&t->a[k]);
			t->a[k].cpu.gpr[RSI] = ENV_DATA;
			t->a[k].cpu.gpr[R15] = 40;
			mmu_stats_reset(&t->a[k].m);
		}
		assert_int_equal(run_both(t, 100000), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + n - 1);
		assert_same(t);
	}
	assert_true(t->a[0].cpu.icache->jit->built >= built + 150);
}

/* The forms that stay calls: ADC/SBB (CF), 16-bit operands, LOCK, memory operands, MOVSXD
 * without REX.W. */
static void test_jit_inline_only_register_forms_without_cf(void **state)
{
	(void)state;
	static const uint8_t adc[] = {0x11, 0xd0}, add16[] = {0x66, 0x01, 0xd0},
			     add_mem[] = {0x01, 0x10}, mov_mem[] = {0x89, 0x10},
			     add8[] = {0x00, 0xd0}, add_rr[] = {0x01, 0xd0},
			     movzx_mem[] = {0x0f, 0xb6, 0x02}, movsxd32[] = {0x63, 0xc2},
			     lea16[] = {0x66, 0x8d, 0x04, 0x0a};
	assert_false(jit_inline_test(adc, sizeof(adc)));
	assert_false(jit_inline_test(add16, sizeof(add16)));
	assert_false(jit_inline_test(add_mem, sizeof(add_mem)));
	assert_false(jit_inline_test(mov_mem, sizeof(mov_mem)));
	assert_false(jit_inline_test(add8, sizeof(add8)));
	assert_false(jit_inline_test(movzx_mem, sizeof(movzx_mem)));
	assert_false(jit_inline_test(movsxd32, sizeof(movsxd32)));
	assert_false(jit_inline_test(lea16, sizeof(lea16)));
	assert_true(jit_inline_test(add_rr, sizeof(add_rr)));
}


/* ---- memory operands in the blocks' code (cpu/jit_mem.c) ---- */

/* The handler decoding gives bytes in 64-bit mode, col its mandatory-prefix column. */
static cpu_exec_fn special_fn(const uint8_t *bytes, size_t len, unsigned col)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, bytes, len, X86_MODE_64), X86_DECODE_OK);
	return cpu_specialise(&in, col);
}

/* Which handlers have their fast path written into the blocks' code: the SDM's forms of
 * MOV r <-> r/m (8B, 89), the ALU operations with a memory source (03 and its kin, not
 * ADC and SBB), CMP r/m, r (39), and MOVSS/MOVSD and the scalar arithmetic with a memory
 * source, and the 16-byte moves MOVUPS/MOVAPS/MOVDQU/MOVDQA, each with [base + disp],
 * [base + index * scale + disp] or [rip + disp] and the default segment; not
 * read-modify-write forms, byte or word operands, FS/GS, 32-bit addresses, an absolute
 * [disp32], nor packed arithmetic. */
static void test_jit_mem_inline_kinds_from_handlers(void **state)
{
	(void)state;
	static const struct {
		uint8_t bytes[10];
		uint8_t len, col, kind, shape, size, op;
	} cases[] = {
	    {{0x8b, 0x43, 0x08}, 3, 0, JM_LOAD, JM_BASE, 4, 0},		  /* mov eax, [rbx+8] */
	    {{0x48, 0x8b, 0x04, 0x8b}, 4, 0, JM_LOAD, JM_SIB, 8, 0},	  /* mov rax, [rbx+rcx*4] */
	    {{0x8b, 0x05, 1, 0, 0, 0}, 6, 0, JM_LOAD, JM_RIP, 4, 0},	  /* mov eax, [rip+1] */
	    {{0x4c, 0x89, 0x4d, 0xf8}, 4, 0, JM_STORE, JM_BASE, 8, 0},	  /* mov [rbp-8], r9 */
	    {{0x89, 0x04, 0x24}, 3, 0, JM_STORE, JM_BASE, 4, 0},	  /* mov [rsp], eax */
	    {{0x03, 0x03}, 2, 0, JM_ALU_RM, JM_BASE, 4, 0},		  /* add eax, [rbx] */
	    {{0x48, 0x2b, 0x04, 0x8b}, 4, 0, JM_ALU_RM, JM_SIB, 8, 5},	  /* sub rax, [rbx+rcx*4] */
	    {{0x3b, 0x03}, 2, 0, JM_ALU_RM, JM_BASE, 4, 7},		  /* cmp eax, [rbx] */
	    {{0x33, 0x05, 0, 0, 0, 0}, 6, 0, JM_ALU_RM, JM_RIP, 4, 6},	  /* xor eax, [rip] */
	    {{0x39, 0x03}, 2, 0, JM_CMP_MR, JM_BASE, 4, 0},		  /* cmp [rbx], eax */
	    {{0x13, 0x03}, 2, 0, JM_NONE, 0, 0, 0},			  /* adc eax, [rbx] */
	    {{0x1b, 0x03}, 2, 0, JM_NONE, 0, 0, 0},			  /* sbb eax, [rbx] */
	    {{0x01, 0x03}, 2, 0, JM_NONE, 0, 0, 0},			  /* add [rbx], eax */
	    {{0x8a, 0x03}, 2, 0, JM_NONE, 0, 0, 0},			  /* mov al, [rbx] */
	    {{0x66, 0x8b, 0x03}, 3, 0, JM_NONE, 0, 0, 0},		  /* mov ax, [rbx] */
	    {{0x64, 0x8b, 0x03}, 3, 0, JM_NONE, 0, 0, 0},		  /* mov eax, fs:[rbx] */
	    {{0x67, 0x8b, 0x03}, 3, 0, JM_NONE, 0, 0, 0},		  /* mov eax, [ebx] */
	    {{0x8b, 0x04, 0x25, 0, 0, 1, 0}, 7, 0, JM_NONE, 0, 0, 0},	  /* mov eax, [0x10000] */
	    {{0x8b, 0xc3}, 2, 0, JM_NONE, 0, 0, 0},			  /* mov eax, ebx */
	    {{0xf2, 0x0f, 0x10, 0x03}, 4, 3, JM_XMM_LOAD, JM_BASE, 8, 0},  /* movsd xmm0, [rbx] */
	    {{0xf3, 0x0f, 0x11, 0x04, 0x8b}, 5, 2, JM_XMM_STORE, JM_SIB, 4, 0}, /* movss */
	    {{0xf2, 0x0f, 0x58, 0x05, 0, 0, 0, 0}, 8, 3, JM_XMM_FP, JM_RIP, 8, 0x58}, /* addsd */
	    {{0xf3, 0x0f, 0x5e, 0x03}, 4, 2, JM_XMM_FP, JM_BASE, 4, 0x5e}, /* divss xmm0, [rbx] */
	    {{0x66, 0x0f, 0x58, 0x03}, 4, 1, JM_NONE, 0, 0, 0},		  /* addpd xmm0, [rbx] */
	    {{0x0f, 0x10, 0x03}, 3, 0, JM_XMM_LOAD16, JM_BASE, 16, 0},	  /* movups xmm0, [rbx] */
	    {{0x66, 0x0f, 0x7f, 0x04, 0x8b}, 5, 1, JM_XMM_STORE16, JM_SIB, 16, 0}, /* movdqa */
	    {{0x0f, 0x29, 0x05, 0, 0, 0, 0}, 7, 0, JM_XMM_STORE16, JM_RIP, 16, 0}, /* movaps */
	    {{0x0f, 0x12, 0x03}, 3, 0, JM_NONE, 0, 0, 0},		  /* movlps xmm0, [rbx] */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cpu_exec_fn fn = special_fn(cases[i].bytes, cases[i].len, cases[i].col);
		struct jit_mem_op op = {JM_NONE, 0, 0, 0};
		bool found = fn && (cpu_special_mem_op(fn, &op) || cpu_sse_mem_op(fn, &op));
		assert_int_equal(found, cases[i].kind != JM_NONE);
		if (!found)
			continue;
		assert_int_equal(op.kind, cases[i].kind);
		assert_int_equal(op.shape, cases[i].shape);
		assert_int_equal(op.size, cases[i].size);
		if (op.kind == JM_ALU_RM || op.kind == JM_XMM_FP)
			assert_int_equal(op.op, cases[i].op);
	}
}

enum { SH_BASE, SH_SIB, SH_RIP };

/* Appends an instruction with a memory operand: prefix pfx (0: none), REX (W when wide,
 * R for reg 8-15), the opcode bytes, ModRM with reg and the operand of shape: [rbx +
 * disp32], [rbx + rcx * 4 + disp32] or [rip + disp32]. */
static size_t put_mem_insn(uint8_t *p, uint8_t pfx, bool wide, const uint8_t *op, size_t oplen,
			   unsigned reg, unsigned shape, int32_t disp)
{
	size_t n = 0;
	uint8_t rex = (uint8_t)(0x40 | (wide ? 8 : 0) | (reg >= 8 ? 4 : 0));
	if (pfx)
		p[n++] = pfx;
	if (rex != 0x40)
		p[n++] = rex;
	memcpy(p + n, op, oplen);
	n += oplen;
	if (shape == SH_RIP) {
		p[n++] = (uint8_t)(0x05 | (reg & 7) << 3);
	} else if (shape == SH_BASE) {
		p[n++] = (uint8_t)(0x83 | (reg & 7) << 3);
	} else {
		p[n++] = (uint8_t)(0x84 | (reg & 7) << 3);
		p[n++] = 0x8b; /* scale 4, index RCX, base RBX */
	}
	memcpy(p + n, &disp, 4);
	return n + 4;
}

/* Asserts what assert_same does not look at: the XMM registers, MXCSR and the second data
 * page (a page-crossing operand's). */
static void assert_same_more(struct twins *t)
{
	for (int r = 0; r < 16; r++)
		assert_memory_equal(t->a[0].cpu.xmm[r].b, t->a[1].cpu.xmm[r].b, 16);
	assert_int_equal(t->a[0].cpu.mxcsr, t->a[1].cpu.mxcsr);
	assert_memory_equal(t->a[0].bus.ram + ENV_DATA_PA + 4096,
			    t->a[1].bus.ram + ENV_DATA_PA + 4096, 4096);
}

/* A linear address in no mapped page. */
#define UNMAPPED_LA 0x7000000000ULL

/* The operand addresses of each form: aligned (the fast path, from its second access),
 * misaligned in its page, 8- but not 16-byte aligned, crossing into the next page (the
 * slow path, but for an 8-byte operand at 8), and in an unmapped page (#PF); the aligned
 * one again with statistics not exact. */
static const struct {
	uint64_t la;
	bool exact;
} mem_cases[] = {
    {ENV_DATA + 0x100, true}, {ENV_DATA + 0x204, true}, {ENV_DATA + 0x1e1, true},
    {ENV_DATA + 0x208, true}, {ENV_DATA + 0xffe, true}, {UNMAPPED_LA, true},
    {ENV_DATA + 0x100, false},
};

/*
 * Runs the instruction (prefix, REX.W, opcode bytes, reg; its operand of each shape at
 * each of mem_cases' addresses) in both machines, JIT_HOT + 8 times each so that its
 * block gets code, with memory and registers from the edge values, as the second entry of
 * its block and as the last of a full one; compares them after every run: registers,
 * flags, XMM registers, memory, every MMU statistic; a fault's RIP and address.
 */
static void run_mem_form_vec(struct twins *t, uint8_t pfx, bool wide, const uint8_t *op,
			     size_t oplen, unsigned reg, unsigned vec, bool align16)
{
	uint8_t code[64], insn[16];
	for (unsigned shape = SH_BASE; shape <= SH_RIP; shape++)
		for (size_t c = 0; c < sizeof(mem_cases) / sizeof(mem_cases[0]); c++)
			for (int last = 0; last < 2; last++) {
				uint64_t la = mem_cases[c].la;
				size_t at = last ? 31 : 1;
				int32_t disp = c & 1 ? -0x48 : 0x88;
				size_t len = put_mem_insn(insn, pfx, wide, op, oplen, reg, shape, 0);
				if (shape == SH_RIP) {
					if (la == UNMAPPED_LA)
						continue; /* out of reach of a disp32 */
					disp = (int32_t)(la - (ENV_CODE + at + len));
				}
				put_mem_insn(insn, pfx, wide, op, oplen, reg, shape, disp);
				memset(code, 0x90, at);
				memcpy(code + at, insn, len);
				code[at + len] = 0xcc;
				load_both(t, code, at + len + 1, NULL);
				uint64_t built = t->a[0].cpu.icache->jit->built;
				for (int pass = 0; pass < JIT_HOT + 8; pass++) {
					for (int k = 0; k < 2; k++) {
						struct cpu_env *e = &t->a[k];
						values_a = (uint64_t)pass % NR_EDGES;
						values_b = (uint64_t)(pass * 7 + 1) % NR_EDGES;
						set_values(e);
						e->cpu.gpr[RCX] = 3;
						e->cpu.gpr[RBX] = la - (uint64_t)(int64_t)disp -
								  (shape == SH_SIB ? 12 : 0);
						for (int r = 0; r < 16; r++) {
							e->cpu.xmm[r].q[0] = edge_values[(pass + r) % NR_EDGES];
							e->cpu.xmm[r].q[1] = edge_values[(pass + 3 * r) % NR_EDGES];
						}
						if (la != UNMAPPED_LA)
							env_wr64(e, la - ENV_DATA + ENV_DATA_PA,
								 edge_values[(pass * 3 + 2) % NR_EDGES]);
						e->m.exact_stats = mem_cases[c].exact;
						/* every other pass rounds toward zero (the
						 * host code must run under the guest's MXCSR) */
						assert_false(e->cpu.fpu_held & FPU_HELD_MXCSR);
						e->cpu.mxcsr = pass & 1 ? 0x7f80 : 0x1f80;
						e->cpu.rip = ENV_CODE;
					}
					enum cpu_exit x = run_both(t, 0);
					assert_int_equal(x, CPU_EXIT_FAULT);
					if (vec != X86_VEC_BP) { /* raised before any access */
						assert_int_equal(t->a[0].cpu.fault.vector, vec);
						assert_int_equal(t->a[0].cpu.rip, ENV_CODE + at);
					} else if (align16 && (la & 15)) { /* #GP(0) */
						assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_GP);
						assert_int_equal(t->a[0].cpu.rip, ENV_CODE + at);
					} else if (la == UNMAPPED_LA) {
						assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_PF);
						assert_int_equal(t->a[0].cpu.fault.cr2, la);
						assert_int_equal(t->a[0].cpu.rip, ENV_CODE + at);
					} else {
						assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
						assert_int_equal(t->a[0].cpu.rip, ENV_CODE + at + len);
					}
					assert_same(t);
					assert_same_more(t);
				}
				assert_true(t->a[0].cpu.icache->jit->built > built);
			}
	for (int k = 0; k < 2; k++)
		t->a[k].m.exact_stats = true;
}

static void run_mem_form(struct twins *t, uint8_t pfx, bool wide, const uint8_t *op,
			 size_t oplen, unsigned reg)
{
	run_mem_form_vec(t, pfx, wide, op, oplen, reg, X86_VEC_BP, false);
}

/* Both machines with CR4.OSFXSR as osfxsr and CR0.TS as ts (SSE usable: set, clear). */
static void set_sse(struct twins *t, bool osfxsr, bool ts)
{
	struct x86_fault f;
	for (int k = 0; k < 2; k++) {
		struct mmu *m = &t->a[k].m;
		assert_true(mmu_set_cr4(m, osfxsr ? m->cr4 | CR4_OSFXSR : m->cr4 & ~CR4_OSFXSR, &f));
		assert_true(mmu_set_cr0(m, ts ? m->cr0 | CR0_TS : m->cr0 & ~CR0_TS, &f));
	}
}

/* MOV r32/r64 <-> [m]: loads and stores of 4 and 8 bytes, low and high registers. */
static void test_jit_mem_moves_like_handlers(void **state)
{
	struct twins *t = *state;
	static const uint8_t load = 0x8b, store = 0x89;
	for (int wide = 0; wide < 2; wide++) {
		run_mem_form(t, 0, wide, &load, 1, RDX);
		run_mem_form(t, 0, wide, &load, 1, R9);
		run_mem_form(t, 0, wide, &store, 1, RDX);
		run_mem_form(t, 0, wide, &store, 1, R9);
	}
}

/* reg OP= [m] for every ALU operation (ADC and SBB too: they keep their call), and
 * CMP [m], reg, 4 and 8 bytes. */
static void test_jit_mem_alu_like_handlers(void **state)
{
	struct twins *t = *state;
	for (int wide = 0; wide < 2; wide++) {
		for (unsigned alu = 0; alu < 8; alu++) {
			uint8_t op = (uint8_t)(alu << 3 | 3);
			run_mem_form(t, 0, wide, &op, 1, alu & 1 ? R9 : RDX);
		}
		static const uint8_t cmp_mr = 0x39;
		run_mem_form(t, 0, wide, &cmp_mr, 1, RDX);
	}
}

/* MOVSS/MOVSD loads and stores, and scalar arithmetic with a memory source; the same
 * with SSE not usable (CR4.OSFXSR clear: #UD; CR0.TS set: #NM), before any access. */
static void test_jit_mem_sse_like_handlers(void **state)
{
	struct twins *t = *state;
	static const uint8_t movsd_load[2] = {0x0f, 0x10}, addsd[2] = {0x0f, 0x58};
	set_sse(t, false, false);
	run_mem_form_vec(t, 0xf2, false, movsd_load, 2, 2, X86_VEC_UD, false);
	run_mem_form_vec(t, 0xf2, false, addsd, 2, 2, X86_VEC_UD, false);
	run_mem_form_vec(t, 0, false, movsd_load, 2, 2, X86_VEC_UD, false); /* movups */
	set_sse(t, true, true);
	run_mem_form_vec(t, 0xf3, false, movsd_load, 2, 2, X86_VEC_NM, false);
	run_mem_form_vec(t, 0xf3, false, addsd, 2, 2, X86_VEC_NM, false);
	set_sse(t, true, false);
	static const uint8_t ops[][2] = {{0x0f, 0x10}, {0x0f, 0x11}, {0x0f, 0x58}, {0x0f, 0x59},
					 {0x0f, 0x5c}, {0x0f, 0x5d}, {0x0f, 0x5e}, {0x0f, 0x5f},
					 {0x0f, 0x51}};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		run_mem_form(t, 0xf2, false, ops[i], 2, i & 1 ? 10 : 2);
		run_mem_form(t, 0xf3, false, ops[i], 2, i & 1 ? 2 : 10);
	}
	/* the 16-byte moves: MOVUPS/MOVUPD, MOVDQU (any alignment; the aligned ones
	 * inline), MOVAPS/MOVAPD, MOVDQA (#GP(0) when misaligned) */
	static const struct {
		uint8_t pfx, op[2];
		bool aligned;
	} moves[] = {
	    {0, {0x0f, 0x10}, false},	 {0, {0x0f, 0x11}, false},    {0x66, {0x0f, 0x10}, false},
	    {0xf3, {0x0f, 0x6f}, false}, {0xf3, {0x0f, 0x7f}, false}, {0, {0x0f, 0x28}, true},
	    {0, {0x0f, 0x29}, true},	 {0x66, {0x0f, 0x6f}, true},  {0x66, {0x0f, 0x7f}, true},
	};
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		run_mem_form_vec(t, moves[i].pfx, false, moves[i].op, 2, i & 1 ? 9 : 3,
				 X86_VEC_BP, moves[i].aligned);
}

/* An operand in a page mapped read-only: the inline store misses (a write fast entry
 * is never made) and its handler raises #PF with the write bit; the load beside it in
 * the same block hits. mov eax, [rbx]; mov [rbx], eax; int3 */
static void test_jit_mem_store_to_read_only_page_faults(void **state)
{
	static const uint8_t code[] = {0x90, 0x8b, 0x03, 0x89, 0x03, 0xcc};
	struct twins *t = *state;
	load_both(t, code, sizeof(code), NULL);
	for (int k = 0; k < 2; k++) {
		env_map(&t->a[k], ENV_DATA + 2 * 4096, ENV_DATA_PA + 2 * 4096, PTE_P | PTE_US);
		mmu_invlpg(&t->a[k].m, ENV_DATA + 2 * 4096);
	}
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (int pass = 0; pass < 2 * JIT_HOT; pass++) {
		for (int k = 0; k < 2; k++) {
			t->a[k].cpu.rip = ENV_CODE;
			t->a[k].cpu.gpr[RBX] = ENV_DATA + 2 * 4096 + 8 * (unsigned)pass;
			t->a[k].cpu.gpr[RAX] = 0;
		}
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_PF);
		assert_true(t->a[0].cpu.fault.error_code & PF_ERR_W);
		assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 3);
		assert_same(t);
	}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/* A 4-byte store (89) into a later instruction of the block being run, from its code:
 * the instruction's new bytes run, in both machines.
 *   nop; mov [rip + 6], edx; inc ecx; mov eax, 1; int3   (mov eax, EDX's value) */
static void test_jit_mem_store_into_running_block_seen(void **state)
{
	static const uint8_t code[] = {
	    0x90,			  /* 0: nop */
	    0x89, 0x15, 0x03, 0, 0, 0,	  /* 1: mov [rip + 3], edx -> 11 */
	    0xff, 0xc1,			  /* 7: inc ecx */
	    0xb8, 0x01, 0x00, 0x00, 0x00, /* 9: mov eax, 1 (imm at 10) */
	    0xcc,			  /* 14: int3 */
	};
	struct twins *t = *state;
	uint64_t built = t->a[0].cpu.icache->jit->built;
	load_both(t, code, sizeof(code), NULL);
	for (int pass = 0; pass < 2 * JIT_HOT; pass++) {
		restart_both(t, code, sizeof(code));
		for (int k = 0; k < 2; k++)
			t->a[k].cpu.gpr[RDX] = 0x1000u + (unsigned)pass;
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(t->a[0].cpu.gpr[RAX], 0x1000u + (unsigned)pass);
		assert_same(t);
	}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

/*
 * Stores (89, 4 and 8 bytes) into code of another page that has run, from a hot loop:
 * every new value is what the function returns next (its page's frame is kept off the
 * write fast path, so the store is seen).
 *   page 0: mov esi, 20; top: call f; mov [rbx], ecx; mov [rdi], r8; inc ecx; call f;
 *           add edx, eax; dec esi; jnz top; int3
 *   page 3: f: mov eax, imm32; ret; then 8 bytes of data in code (written by mov [rdi])
 */
static void test_jit_mem_store_into_other_code_seen(void **state)
{
	static const uint8_t top[] = {
	    0xbe, 0x14, 0x00, 0x00, 0x00, /* 0: mov esi, 20 */
	    0xe8, 0xf6, 0x2f, 0x00, 0x00, /* 5: call page 3 (10 + 0x2ff6 = 0x3000) */
	    0x89, 0x0b,			  /* 10: mov [rbx], ecx */
	    0x4c, 0x89, 0x07,		  /* 12: mov [rdi], r8 */
	    0xff, 0xc1,			  /* 15: inc ecx */
	    0xe8, 0xea, 0x2f, 0x00, 0x00, /* 17: call page 3 (22 + 0x2fea = 0x3000) */
	    0x01, 0xc2,			  /* 22: add edx, eax */
	    0xff, 0xce,			  /* 24: dec esi */
	    0x75, 0xe9,			  /* 26: jnz 5 */
	    0xcc,			  /* 28: int3 */
	};
	static const uint8_t f[] = {0xb8, 0x05, 0x00, 0x00, 0x00, 0xc3};
	struct twins *t = *state;
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (int k = 0; k < 2; k++) {
		struct cpu_env *e = &t->a[k];
		memcpy(e->bus.ram + ENV_CODE_PA, top, sizeof(top));
		memcpy(e->bus.ram + ENV_CODE_PA + 3 * 4096, f, sizeof(f));
		cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA, 4 * 4096);
		mmu_stats_reset(&e->m);
		e->cpu.rip = ENV_CODE;
		e->cpu.gpr[RBX] = ENV_CODE + 3 * 4096 + 1; /* f's imm32 */
		e->cpu.gpr[RDI] = ENV_CODE + 3 * 4096 + 8;
		e->cpu.gpr[R8] = 0x1122334455667788ULL;
		e->cpu.gpr[RCX] = 7;
		e->cpu.gpr[RDX] = 0;
	}
	assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
	assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
	/* the first call returns 5, each later one the ECX stored before it: 7 .. 26 */
	assert_int_equal(t->a[0].cpu.gpr[RDX], (7 + 26) * 20 / 2);
	assert_int_equal(env_rd64(&t->a[0], ENV_CODE_PA + 3 * 4096 + 8), 0x1122334455667788ULL);
	assert_same(t);
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

struct trace_count {
	uint64_t events, sum;
};

static void count_event(void *ctx, const struct mmu *m, const struct mmu_event *ev)
{
	(void)m;
	struct trace_count *c = ctx;
	c->events++;
	c->sum = c->sum * 31 + ev->type + ev->la;
}

/* A hot loop of loads, stores and a compare run with code, then with a tracer attached
 * (it must see every access: the code reads the MMU's fast tables, which the tracer
 * swaps, at each access), then detached again: both machines alike, and both tracers
 * told the same events.
 *   top: mov eax, [rbx + rcx * 4]; add eax, [rbx]; mov [rbx + rcx * 4 + 4], eax;
 *        cmp [rbx], ecx; dec ecx; jnz top; int3 */
static void test_jit_mem_tracer_sees_accesses(void **state)
{
	static const uint8_t code[] = {
	    0x8b, 0x04, 0x8b,	    /* 0: mov eax, [rbx + rcx*4] */
	    0x03, 0x03,		    /* 3: add eax, [rbx] */
	    0x89, 0x44, 0x8b, 0x04, /* 5: mov [rbx + rcx*4 + 4], eax */
	    0x39, 0x0b,		    /* 9: cmp [rbx], ecx */
	    0xff, 0xc9,		    /* 11: dec ecx */
	    0x75, 0xf1,		    /* 13: jnz 0 */
	    0xcc,		    /* 15: int3 */
	};
	struct twins *t = *state;
	struct trace_count cnt[2];
	struct mmu_tracer tr[2];
	load_both(t, code, sizeof(code), NULL);
	for (int pass = 0; pass < 3; pass++) {
		for (int k = 0; k < 2; k++) {
			cnt[k] = (struct trace_count){0, 0};
			tr[k] = (struct mmu_tracer){.event = count_event, .ctx = &cnt[k]};
			if (pass == 1)
				mmu_set_tracer(&t->a[k].m, &tr[k]);
			t->a[k].cpu.rip = ENV_CODE;
			t->a[k].cpu.gpr[RBX] = ENV_DATA + 0x800;
			t->a[k].cpu.gpr[RCX] = 200;
		}
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		for (int k = 0; k < 2; k++)
			mmu_set_tracer(&t->a[k].m, NULL);
		assert_same(t);
		if (pass == 1) {
			assert_true(cnt[0].events >= 200 * 4); /* every data access */
			assert_int_equal(cnt[0].events, cnt[1].events);
			assert_int_equal(cnt[0].sum, cnt[1].sum);
		}
	}
}


/*
 * The hits of the code's loads stamp their TLB entry for LRU as the handler's do: pages
 * P1..P5 share a set of the 4-way L1 DTLB (their page numbers 16 apart); P1 is touched
 * first, then P2..P4, then a loop of loads from P1 (with code from the start of the
 * second run), then P5, whose fill evicts the least recently used of the set -- P2, not
 * P1, if the loop's hits were stamped -- then P1 again: a hit, not a fill. The TLBs are
 * flushed before each run.
 *   mov eax, [rsi]; mov eax, [rdi]; mov eax, [r8]; mov eax, [r9]; mov ecx, 50; jmp top
 *   top: mov eax, [rsi]; dec ecx; jnz top   (a block of its own: all its loads in code)
 *   mov eax, [r10]; mov eax, [rsi]; int3
 */
static void test_jit_mem_hits_stamp_lru_order(void **state)
{
	static const uint8_t code[] = {
	    0x8b, 0x06, 0x8b, 0x07, 0x41, 0x8b, 0x00, 0x41, 0x8b, 0x01, /* P1 .. P4 */
	    0xb9, 0x32, 0x00, 0x00, 0x00,			       /* mov ecx, 50 */
	    0xeb, 0x00,						       /* jmp top */
	    0x8b, 0x06, 0xff, 0xc9, 0x75, 0xfa,			       /* the loop */
	    0x41, 0x8b, 0x02, 0x8b, 0x06,			       /* P5, P1 */
	    0xcc,
	};
	struct twins *t = *state;
	struct x86_fault f;
	const uint64_t page[5] = {ENV_DATA, ENV_DATA + 0x10000, ENV_DATA + 0x20000,
				  ENV_DATA + 0x30000, ENV_DATA + 0x40000};
	load_both(t, code, sizeof(code), NULL);
	for (int k = 0; k < 2; k++)
		for (int p = 1; p < 5; p++)
			env_map(&t->a[k], page[p], ENV_DATA_PA + 4096 * (unsigned)p,
				PTE_P | PTE_RW | PTE_US);
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (int pass = 0; pass < 3; pass++) {
		for (int k = 0; k < 2; k++) {
			struct cpu *c = &t->a[k].cpu;
			assert_true(mmu_set_cr3(&t->a[k].m, t->a[k].m.cr3, &f)); /* flush */
			c->rip = ENV_CODE;
			c->gpr[RSI] = page[0];
			c->gpr[RDI] = page[1];
			c->gpr[R8] = page[2];
			c->gpr[R9] = page[3];
			c->gpr[R10] = page[4];
		}
		assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
		assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
		assert_same(t);
		/* P1..P5 filled; P1 still there at the end */
		assert_int_equal(t->a[0].m.tlb.a[TLB_L1D_4K].st.fills, 5 * (pass + 1));
	}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}


/* PUSH and POP of registers (RSP too: PUSH RSP pushes the value before the decrement, POP
 * RSP loads the value read) with RSP aligned, misaligned, with the pushes crossing a page
 * boundary, in an unmapped page (#PF at the first push, nothing changed), and in a
 * read-only page whose read fast entry is there (#PF for the write).
 *   nop; push rdx; push r9; push rsp; pop r11; pop r10; pop rsp; int3 */
static void test_jit_mem_push_pop_like_handlers(void **state)
{
	static const uint8_t code[] = {0x90, 0x52, 0x41, 0x51, 0x54, 0x41,
				       0x5b, 0x41, 0x5a, 0x5c, 0xcc};
	const uint64_t ro = ENV_DATA + 3 * 4096; /* a read-only page, read before each run */
	const uint64_t rsp[] = {ENV_DATA + 0x800, ENV_DATA + 0x803, ENV_DATA + 0x1004,
				ENV_DATA + 0x1010, UNMAPPED_LA, ro + 0x800};
	struct twins *t = *state;
	struct jit_mem_op op;
	static const uint8_t push_rdx = 0x52, pop_r10[2] = {0x41, 0x5a};
	assert_true(cpu_special_mem_op(special_fn(&push_rdx, 1, 0), &op));
	assert_int_equal(op.kind, JM_PUSH);
	assert_true(cpu_special_mem_op(special_fn(pop_r10, 2, 0), &op));
	assert_int_equal(op.kind, JM_POP);
	load_both(t, code, sizeof(code), NULL);
	for (int k = 0; k < 2; k++) {
		env_map(&t->a[k], ro, ENV_DATA_PA + 3 * 4096, PTE_P | PTE_US);
		mmu_invlpg(&t->a[k].m, ro);
	}
	uint64_t built = t->a[0].cpu.icache->jit->built;
	for (size_t c = 0; c < sizeof(rsp) / sizeof(rsp[0]); c++)
		for (int pass = 0; pass < JIT_HOT + 4; pass++) {
			for (int k = 0; k < 2; k++) {
				uint64_t v;
				struct x86_fault f;
				values_a = (uint64_t)pass % NR_EDGES;
				values_b = (uint64_t)(pass * 5 + 2) % NR_EDGES;
				set_values(&t->a[k]);
				t->a[k].cpu.gpr[RSP] = rsp[c];
				t->a[k].cpu.rip = ENV_CODE;
				assert_true(mmu_read(&t->a[k].m, ro, 8, &v, 0, &f));
			}
			assert_int_equal(run_both(t, 0), CPU_EXIT_FAULT);
			if (rsp[c] == ro + 0x800) { /* a write: #PF, not a push through a read */
				assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_PF);
				assert_true(t->a[0].cpu.fault.error_code & PF_ERR_W);
				assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 1);
			} else if (rsp[c] == UNMAPPED_LA) {
				assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_PF);
				assert_int_equal(t->a[0].cpu.rip, ENV_CODE + 1);
				assert_int_equal(t->a[0].cpu.gpr[RSP], UNMAPPED_LA);
			} else {
				assert_int_equal(t->a[0].cpu.fault.vector, X86_VEC_BP);
				assert_int_equal(t->a[0].cpu.gpr[RSP], t->a[0].cpu.gpr[RDX]);
				assert_int_equal(t->a[0].cpu.gpr[R10], t->a[0].cpu.gpr[R9]);
				assert_int_equal(t->a[0].cpu.gpr[R11], rsp[c] - 16);
			}
			assert_same(t);
			assert_same_more(t);
		}
	assert_true(t->a[0].cpu.icache->jit->built > built);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jit_break_test_only_where_registers_alone),
	    T(test_jit_loop_runs_like_loop_without_code),
	    T(test_jit_fault_in_mid_block_exact),
	    T(test_jit_store_into_running_block_seen),
	    T(test_jit_compat_mode_runs_like_loop_without_code),
	    T(test_jit_off_and_on_again_runs_like_loop_without_code),
	    T(test_jit_inline_forms_like_handlers),
	    T(test_jit_conditions_like_handlers),
	    T(test_jit_inline_movx_and_lea_like_handlers),
	    T(test_jit_flags_written_over_left_out),
	    T(test_jit_chained_blocks_stop_at_limit),
	    T(test_jit_chain_to_changed_block_not_followed),
	    T(test_jit_chain_followed_only_with_same_translation),
	    T(test_jit_chains_across_pages_count_like_loop),
	    T(test_jit_chains_through_page_crossing_instruction),
	    T(test_jit_chains_across_pages_keep_itlb_lru_like_loop),
	    T(test_jit_side_exits_go_on_like_loop),
	    T(test_jit_fused_jcc_like_handlers),
	    T(test_jit_fused_jcc_to_non_canonical_target_like_handler),
	    T(test_jit_random_loops_like_loop),
	    cmocka_unit_test(test_jit_inline_only_register_forms_without_cf),
	    cmocka_unit_test(test_jit_mem_inline_kinds_from_handlers),
	    T(test_jit_mem_moves_like_handlers),
	    T(test_jit_mem_alu_like_handlers),
	    T(test_jit_mem_sse_like_handlers),
	    T(test_jit_mem_store_to_read_only_page_faults),
	    T(test_jit_mem_store_into_running_block_seen),
	    T(test_jit_mem_store_into_other_code_seen),
	    T(test_jit_mem_tracer_sees_accesses),
	    T(test_jit_mem_hits_stamp_lru_order),
	    T(test_jit_mem_push_pop_like_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
