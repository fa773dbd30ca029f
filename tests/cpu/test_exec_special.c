/*
 * The handlers specialised at decode time (cpu/exec_special.c) against the generic
 * handlers of the dispatch table, which the host differential tests check against the
 * CPU: for every specialised form, from many random register, flag and memory states, both
 * must leave the same registers, flags, next RIP, memory, fault and MMU counts.
 * (test_diff.c runs the same forms against the host through cpu_run, where the
 * specialised handlers are the ones used.)
 */
#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"
#include "tests/cpu/cpu_test_env.h"

/* The data pages after the first are read-only here: a random address that lands in them
 * reads the same bytes in both runs of a form and cannot write (its #PF is the same in
 * both); the first page is set afresh by random_state. */
static int setup(void **state)
{
	static struct cpu_env env;
	env_init(&env);
	for (uint64_t i = 1; i < ENV_PAGES; i++) {
		env_map(&env, ENV_DATA + i * 4096, ENV_DATA_PA + i * 4096, PTE_P | PTE_US);
		mmu_invlpg(&env.m, ENV_DATA + i * 4096);
	}
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

/* What a handler leaves behind. */
struct outcome {
	bool ok;
	uint8_t vector;
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t next_rip;
	uint8_t data[256];
};

#define DATA_OFF 0x100 /* RBX points here in the data page; [rbx + disp8] stays in it */

static void run_one(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in,
		    struct outcome *o)
{
	e->cpu.fault.vector = 0;
	o->ok = fn(&e->cpu, in);
	o->vector = o->ok ? 0 : e->cpu.fault.vector;
	memcpy(o->gpr, e->cpu.gpr, sizeof(o->gpr));
	o->rflags = cpu_rflags(&e->cpu);
	o->next_rip = e->cpu.next_rip;
	memcpy(o->data, e->bus.ram + ENV_DATA_PA + DATA_OFF - 128, sizeof(o->data));
}

/* When set, what random_state does last (a test's own pointers and flags). */
static void (*state_tweak)(struct cpu_env *e, uint64_t *seed);

/* Random registers (RBX the data pointer, RSP inside the data page, RDI a small index),
 * status flags and
 * memory around the pointer. Counts and operands hit the edges often. */
static void random_state(struct cpu_env *e, uint64_t *seed)
{
	static const uint64_t edge[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff,
					0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL};
	for (unsigned r = 0; r < 16; r++) {
		uint64_t v = env_rnd(seed);
		e->cpu.gpr[r] = v % 4 == 0 ? edge[(v >> 8) % 8] : env_rnd(seed);
	}
	e->cpu.gpr[RBX] = ENV_DATA + DATA_OFF;
	e->cpu.gpr[RSP] = ENV_DATA + DATA_OFF + 8 * (env_rnd(seed) % 8);
	e->cpu.gpr[RDI] = env_rnd(seed) % 16; /* an index: [rbx + rdi*4 + disp8] */
	cpu_set_rflags(&e->cpu, RFLAGS_FIXED1 | (env_rnd(seed) & RFLAGS_STATUS));
	memset(e->bus.ram + ENV_DATA_PA, 0xa5, 4096); /* what a store may have left */
	for (unsigned i = 0; i < 256; i += 8) {
		uint64_t v = env_rnd(seed);
		if (i == 128 + 0x10) /* a canonical return address at RSP sometimes */
			v = env_rnd(seed) % 2 ? ENV_CODE + (v & 0xfff) : v;
		memcpy(e->bus.ram + ENV_DATA_PA + DATA_OFF - 128 + i, &v, 8);
	}
	if (state_tweak)
		state_tweak(e, seed);
}

/* The MMU's statistics (JSON) of one run of fn from the random state of seed, with the
 * TLBs as the runs before left them. */
static void run_stats(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in,
		      uint64_t seed, char *buf, size_t size)
{
	struct outcome o;
	random_state(e, &seed);
	e->cpu.rip = ENV_CODE + 0x100;
	e->cpu.next_rip = e->cpu.rip + in->len;
	mmu_stats_reset(&e->m);
	run_one(e, fn, in, &o);
	assert_true(mmu_stats_json_buf(&e->m, buf, size) < (int)size);
}

/* Compares handler special for in with the table's from 300 random states: the outcome,
 * and for the first 20 the MMU's counts too (a specialised form counts the accesses the
 * general one makes, also when it hands the instruction over to it); a side-exit Jcc must
 * also set cpu->side_exit exactly when it branches. */
static void check_handler(struct cpu_env *e, const struct x86_instr *ip, cpu_exec_fn special,
			  uint64_t seed)
{
	struct x86_instr in = *ip;
	assert_non_null(special);
	unsigned reg = (in.flags & X86_INSN_MODRM) ? (in.modrm >> 3) & 7 : 0;
	cpu_exec_fn generic = e->cpu.ops->fn[in.map][in.opcode][0][reg];
	assert_non_null(generic);
	assert_ptr_not_equal(special, generic);
	for (unsigned round = 0; round < 300; round++) {
		struct outcome a, b;
		uint64_t s = seed + round * 7919;
		random_state(e, &s);
		uint64_t saved = s;
		e->cpu.rip = ENV_CODE + 0x100;
		e->cpu.next_rip = e->cpu.rip + in.len;
		run_one(e, generic, &in, &a);
		s = seed + round * 7919;
		random_state(e, &s);
		assert_int_equal(s, saved);
		e->cpu.rip = ENV_CODE + 0x100;
		e->cpu.next_rip = e->cpu.rip + in.len;
		e->cpu.side_exit = false;
		run_one(e, special, &in, &b);
		if (special == cpu_jcc_side_exit[in.opcode & 15]) /* set when taken */
			assert_int_equal(e->cpu.side_exit,
					 b.ok && b.next_rip != e->cpu.rip + in.len);
		assert_int_equal(a.ok, b.ok);
		assert_int_equal(a.vector, b.vector);
		for (unsigned r = 0; r < 16; r++)
			assert_int_equal(a.gpr[r], b.gpr[r]);
		assert_int_equal(a.rflags, b.rflags);
		assert_int_equal(a.next_rip, b.next_rip);
		assert_memory_equal(a.data, b.data, sizeof(a.data));
		if (round < 20) {
			static char sa[16384], sb[16384];
			run_stats(e, generic, &in, seed + round * 7919, sa, sizeof(sa));
			run_stats(e, special, &in, seed + round * 7919, sb, sizeof(sb));
			assert_string_equal(sa, sb);
		}
	}
}

/* Decodes bytes (in the CPU's mode) and checks the specialised handler made for them
 * (there must be one) as check_handler does. */
static void check_form(struct cpu_env *e, const uint8_t *bytes, size_t len, uint64_t seed)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, bytes, len, (enum x86_mode)e->cpu.mode), X86_DECODE_OK);
	check_handler(e, &in, cpu_specialise(&in, 0), seed);
}

/* ModRM with two registers from {RAX, RCX, RDX, RSI, RDI} (never RBX or RSP). */
static uint8_t modrm_rr(unsigned i)
{
	static const uint8_t regs[] = {0, 1, 2, 6, 7};
	return (uint8_t)(0xc0 | regs[i % 5] << 3 | regs[(i / 5) % 5]);
}

/* ADD..CMP in the r/m,reg and reg,r/m register forms, reg,[rbx+disp8] and
 * [rbx+disp8],reg; 4 and 8 bytes. */
static void test_exec_special_alu_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned op = 0; op < 8; op++)
		for (unsigned w = 0; w < 2; w++) {
			uint8_t rr[] = {0x48, (uint8_t)(op << 3 | 1), modrm_rr(op * 3 + w)};
			uint8_t gr[] = {0x48, (uint8_t)(op << 3 | 3), modrm_rr(op * 7 + w)};
			uint8_t gm[] = {0x48, (uint8_t)(op << 3 | 3), 0x43 | (uint8_t)(op % 3) << 3,
					(uint8_t)(8 * op)};
			check_form(e, rr + !w, sizeof(rr) - !w, 1000 + op * 2 + w);
			check_form(e, gr + !w, sizeof(gr) - !w, 2000 + op * 2 + w);
			uint8_t mr[] = {0x48, (uint8_t)(op << 3 | 1), 0x4b | (uint8_t)(op % 4) << 3,
					(uint8_t)(0xf0 + op)};
			check_form(e, gm + !w, sizeof(gm) - !w, 3000 + op * 2 + w);
			check_form(e, mr + !w, sizeof(mr) - !w, 3500 + op * 2 + w);
		}
}

/* 81 /op imm32, 83 /op imm8, 85 TEST, F7 NOT and NEG with registers. */
static void test_exec_special_imm_and_test_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned op = 0; op < 8; op++)
		for (unsigned w = 0; w < 2; w++) {
			uint8_t m = (uint8_t)(0xc0 | op << 3 | (op % 2 ? 1 : 7));
			uint8_t i32[] = {0x48, 0x81, m, 0x78, 0x56, 0x34, (uint8_t)(op * 0x21)};
			uint8_t i8[] = {0x48, 0x83, m, (uint8_t)(0x7f + op * 0x11)};
			check_form(e, i32 + !w, sizeof(i32) - !w, 4000 + op * 2 + w);
			check_form(e, i8 + !w, sizeof(i8) - !w, 5000 + op * 2 + w);
		}
	for (unsigned w = 0; w < 2; w++) {
		uint8_t t[] = {0x48, 0x85, modrm_rr(4 + w)};
		check_form(e, t + !w, sizeof(t) - !w, 6000 + w);
	}
	for (unsigned r = 0; r < 16; r++) /* F7 /2 NOT, F7 /3 NEG of every register */
		for (unsigned w = 0; w < 2; w++) {
			uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (r >> 3));
			uint8_t not[] = {rex, 0xf7, (uint8_t)(0xd0 | (r & 7))};
			uint8_t neg[] = {rex, 0xf7, (uint8_t)(0xd8 | (r & 7))};
			check_form(e, not, sizeof(not), 6100 + r * 2 + w);
			check_form(e, neg, sizeof(neg), 6200 + r * 2 + w);
		}
}

/* C1 /k imm8 and D1 /k for ROL, ROR, SHL, SHR, SAL, SAR, counts 0..70. */
static void test_exec_special_shift_forms_match_generic(void **state)
{
	static const uint8_t kinds[] = {0, 1, 4, 5, 6, 7};
	struct cpu_env *e = *state;
	for (unsigned k = 0; k < sizeof(kinds); k++)
		for (unsigned w = 0; w < 2; w++) {
			uint8_t m = (uint8_t)(0xc0 | kinds[k] << 3 | 2);
			uint8_t one[] = {0x48, 0xd1, m};
			check_form(e, one + !w, sizeof(one) - !w, 7000 + k * 2 + w);
			for (unsigned c = 0; c <= 70; c += 3) {
				uint8_t imm[] = {0x48, 0xc1, m, (uint8_t)c};
				check_form(e, imm + !w, sizeof(imm) - !w, 8000 + c * 16 + k * 2 + w);
			}
		}
}

/* MOV between registers and to and from [rbx + disp8]. */
static void test_exec_special_mov_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned w = 0; w < 2; w++) {
		uint8_t f89[] = {0x48, 0x89, modrm_rr(8 + w)};
		uint8_t f8b[] = {0x48, 0x8b, modrm_rr(11 + w)};
		uint8_t st[] = {0x48, 0x89, 0x4b, 0x10};
		uint8_t ld[] = {0x48, 0x8b, 0x53, 0xf8};
		check_form(e, f89 + !w, sizeof(f89) - !w, 9000 + w);
		check_form(e, f8b + !w, sizeof(f8b) - !w, 9100 + w);
		check_form(e, st + !w, sizeof(st) - !w, 9200 + w);
		check_form(e, ld + !w, sizeof(ld) - !w, 9300 + w);
	}
}

/* The memory operand forms with their own handlers in 64-bit mode: [rip + disp32] (the
 * displacement reaching the data around RBX from check_form's RIP), [rsp + disp8], and
 * [rsi + disp8] and [rbp + disp8] with the register random (mostly faulting: #PF, or #GP
 * when not canonical, #SS through RBP, whose default segment is SS);
 * then an FS override and a 32-bit address, which take the general path. MOV loads and
 * stores and the ALU's reg,[mem] and [mem],reg forms, 4 and 8 bytes. */
static void test_exec_special_memory_operand_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned k = 0; k < 10; k++) {
		uint8_t op = k < 8 ? (uint8_t)(k << 3 | (k % 2 ? 1 : 3)) : k == 8 ? 0x8b : 0x89;
		for (unsigned w = 0; w < 2; w++) {
			uint8_t rx = w ? 0x48 : 0x40;
			/* check_form runs at ENV_CODE + 0x100; the instruction is 7 bytes */
			int32_t d = (int32_t)(ENV_DATA + DATA_OFF + 8 * k - (ENV_CODE + 0x100 + 7));
			uint8_t rip[] = {rx, op, 0x15, (uint8_t)d, (uint8_t)(d >> 8),
					 (uint8_t)(d >> 16), (uint8_t)(d >> 24)};
			uint8_t rsp[] = {rx, op, 0x4c, 0x24, (uint8_t)(8 * k)};
			uint8_t rbp[] = {rx, op, 0x4d, (uint8_t)(8 * k)};
			uint8_t rsi[] = {rx, op, 0x56, (uint8_t)(0x10 + k)};
			uint8_t fs[] = {0x64, rx, op, 0x43, (uint8_t)k};
			uint8_t a32[] = {0x67, rx, op, 0x43, (uint8_t)k};
			uint8_t sib[] = {rx, op, 0x4c, 0xbb, (uint8_t)k};   /* [rbx + rdi*4] */
			uint8_t sibr[] = {rx, op, 0x4c, 0xb3, (uint8_t)k};  /* [rbx + rsi*4] */
			uint8_t sibs[] = {rx, op, 0x4c, 0x3c, (uint8_t)k};  /* [rsp + rdi] */
			uint32_t seed = 16000 + k * 10 + w;
			check_form(e, sib, sizeof(sib), seed + 900);
			check_form(e, sibr, sizeof(sibr), seed + 1000);
			check_form(e, sibs, sizeof(sibs), seed + 1100);
			check_form(e, rip, sizeof(rip), seed);
			check_form(e, rsp, sizeof(rsp), seed + 200);
			check_form(e, rsi, sizeof(rsi), seed + 400);
			check_form(e, rbp, sizeof(rbp), seed + 500);
			check_form(e, fs, sizeof(fs), seed + 600);
			check_form(e, a32, sizeof(a32), seed + 800);
		}
	}
}

/* Compatibility mode (32-bit code, flat segments): the memory forms through the segment
 * path kept inline -- [ebx + disp8], [esi + disp8] and [ebp + disp8] (SS) with the
 * register random (#PF, or #GP/#SS past the 4 GiB limit) (EA_BASE32), [ebx + esi*4 +
 * disp8] and a 16-bit address (67) (EA_LEGACY) -- for MOV loads and stores and the
 * ALU's memory forms. */
static void test_exec_special_legacy_memory_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	cpu_enter_compat_mode_flat(&e->cpu);
	for (unsigned k = 0; k < 10; k++) {
		uint8_t op = k < 8 ? (uint8_t)(k << 3 | (k % 2 ? 1 : 3)) : k == 8 ? 0x8b : 0x89;
		uint8_t ebx[] = {op, 0x4b, (uint8_t)(8 * k)};
		uint8_t esi[] = {op, 0x56, (uint8_t)(0x10 + k)};
		uint8_t ebp[] = {op, 0x4d, (uint8_t)(8 * k)};
		uint8_t sib[] = {op, 0x4c, 0xb3, (uint8_t)k};
		uint8_t a16[] = {0x67, op, 0x47, (uint8_t)k}; /* [bx + disp8] */
		uint32_t seed = 17000 + k * 10;
		check_form(e, ebx, sizeof(ebx), seed);
		check_form(e, esi, sizeof(esi), seed + 1);
		check_form(e, ebp, sizeof(ebp), seed + 2);
		check_form(e, sib, sizeof(sib), seed + 3);
		check_form(e, a16, sizeof(a16), seed + 4);
	}
}

/* 64-bit mode: Jcc rel8/rel32 for all 16 conditions, PUSH/POP r64 (RSP included), RET,
 * JMP rel8/rel32, CALL rel32. */
static void test_exec_special_flow_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned cc = 0; cc < 16; cc++) {
		uint8_t j8[] = {(uint8_t)(0x70 + cc), 0x80};
		uint8_t j32[] = {0x0f, (uint8_t)(0x80 + cc), 0x10, 0x20, 0, 0};
		check_form(e, j8, sizeof(j8), 10000 + cc);
		check_form(e, j32, sizeof(j32), 10100 + cc);
	}
	for (unsigned r = 0; r < 16; r++) {
		if (r == RBX)
			continue;
		uint8_t push[] = {0x41, (uint8_t)(0x50 + (r & 7))};
		uint8_t pop[] = {0x41, (uint8_t)(0x58 + (r & 7))};
		check_form(e, push + (r < 8), sizeof(push) - (r < 8), 11000 + r);
		check_form(e, pop + (r < 8), sizeof(pop) - (r < 8), 11100 + r);
	}
	static const uint8_t ret[] = {0xc3};
	check_form(e, ret, sizeof(ret), 12000);
	static const uint8_t jmp8[] = {0xeb, 0x85}, jmp32[] = {0xe9, 0x10, 0x20, 0, 0x80};
	static const uint8_t call[] = {0xe8, 0x10, 0x20, 0, 0};
	check_form(e, jmp8, sizeof(jmp8), 12100);
	check_form(e, jmp32, sizeof(jmp32), 12200); /* a non-canonical target: #GP */
	check_form(e, call, sizeof(call), 12300);
}

/* LEA of [rbx + disp8], [rip + disp32], [rsi + rdi*8 + disp8] into 4- and 8-byte
 * registers; in compatibility mode [esi + disp8]. */
static void test_exec_special_lea_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned w = 0; w < 2; w++) {
		uint8_t rx = w ? 0x48 : 0x40;
		uint8_t base[] = {rx, 0x8d, 0x4b, 0x85};		 /* rcx <- rbx - 0x7b */
		uint8_t rip[] = {rx, 0x8d, 0x15, 0x10, 0x20, 0x30, 0x80}; /* rdx <- rip + disp */
		uint8_t sib[] = {rx, 0x8d, 0x44, 0xfe, 0x7f};		 /* rax <- rsi+rdi*8+127 */
		check_form(e, base, sizeof(base), 19000 + w);
		check_form(e, rip, sizeof(rip), 19100 + w);
		check_form(e, sib, sizeof(sib), 19200 + w);
	}
	cpu_enter_compat_mode_flat(&e->cpu);
	static const uint8_t lea32[] = {0x8d, 0x46, 0xf0}; /* eax <- esi - 16 */
	check_form(e, lea32, sizeof(lea32), 19300);
}

/* 81/83 with a memory operand (ADD..CMP [mem], imm32/imm8; 4 and 8 bytes): [rbx + disp8],
 * [rip + disp32], [rbx + rdi*4 + disp8], [rsi + disp8] (random: faults), FS: (the
 * general form); in compatibility mode [ebx + disp8] and [ebx + esi*4 + disp8]. */
static void test_exec_special_alu_imm_memory_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned op = 0; op < 8; op++)
		for (unsigned v = 0; v < 4; v++) {
			uint8_t rx = (v & 1) ? 0x48 : 0x40, opc = (v & 2) ? 0x81 : 0x83;
			uint8_t m = (uint8_t)(op << 3);
			int32_t d = (int32_t)(ENV_DATA + DATA_OFF + 8 * op -
					      (ENV_CODE + 0x100 + ((v & 2) ? 11 : 8)));
			uint8_t base[] = {rx, opc, (uint8_t)(0x43 | m), (uint8_t)(8 * op), 0x85, 0x7f, 0x01, 0x80};
			uint8_t rip[] = {rx, opc, (uint8_t)(0x05 | m), (uint8_t)d, (uint8_t)(d >> 8),
					 (uint8_t)(d >> 16), (uint8_t)(d >> 24), 0x85, 0x7f, 0x01, 0x80};
			uint8_t sib[] = {rx, opc, (uint8_t)(0x44 | m), 0xbb, (uint8_t)op, 0xf0, 0, 0, 0};
			uint8_t rsi[] = {rx, opc, (uint8_t)(0x46 | m), 0x10, 0x01, 0, 0, 0};
			uint8_t fs[] = {0x64, rx, opc, (uint8_t)(0x43 | m), (uint8_t)op, 0x7f, 0, 0, 0};
			unsigned n = (v & 2) ? 4 : 1; /* imm bytes */
			uint32_t seed = 20000 + op * 10 + v;
			check_form(e, base, 4 + n, seed);
			check_form(e, rip, 7 + n, seed + 100);
			check_form(e, sib, 5 + n, seed + 200);
			check_form(e, rsi, 4 + n, seed + 300);
			check_form(e, fs, 5 + n, seed + 400);
		}
	cpu_enter_compat_mode_flat(&e->cpu);
	for (unsigned op = 0; op < 8; op++) {
		uint8_t m = (uint8_t)(op << 3);
		uint8_t ebx[] = {0x83, (uint8_t)(0x43 | m), (uint8_t)(4 * op), 0x85};
		uint8_t sib[] = {0x81, (uint8_t)(0x44 | m), 0xb3, (uint8_t)op, 0x10, 0x20, 0x30, 0x40};
		check_form(e, ebx, sizeof(ebx), 20500 + op);
		check_form(e, sib, sizeof(sib), 20600 + op);
	}
}

/* Compatibility mode: Jcc rel8/rel32 for all 16 conditions (the target wraps at 4 GiB). */
static void test_exec_special_jcc32_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	cpu_enter_compat_mode_flat(&e->cpu);
	for (unsigned cc = 0; cc < 16; cc++) {
		uint8_t j8[] = {(uint8_t)(0x70 + cc), 0x80};
		uint8_t j32[] = {0x0f, (uint8_t)(0x80 + cc), 0x10, 0x20, 0, 0xf0};
		check_form(e, j8, sizeof(j8), 18000 + cc);
		check_form(e, j32, sizeof(j32), 18100 + cc);
	}
}

/* SETcc for all 16 conditions into a low byte register, a high one (AH..BH), one that
 * needs REX (SIL) and [rbx + disp8]. */
static void test_exec_special_setcc_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned cc = 0; cc < 16; cc++) {
		uint8_t lo[] = {0x0f, (uint8_t)(0x90 + cc), 0xc1};	    /* setcc cl */
		uint8_t hi[] = {0x0f, (uint8_t)(0x90 + cc), 0xc4};	    /* setcc ah */
		uint8_t rex[] = {0x40, 0x0f, (uint8_t)(0x90 + cc), 0xc6}; /* setcc sil */
		uint8_t mem[] = {0x0f, (uint8_t)(0x90 + cc), 0x43, 0x05}; /* setcc [rbx+5] */
		check_form(e, lo, sizeof(lo), 13000 + cc);
		check_form(e, hi, sizeof(hi), 13100 + cc);
		check_form(e, rex, sizeof(rex), 13200 + cc);
		check_form(e, mem, sizeof(mem), 13300 + cc);
	}
}

/* MOVZX and MOVSX from byte (low, high, REX) and word registers and memory, MOVSXD from a
 * register and memory; 4- and 8-byte destinations. */
static void test_exec_special_movx_forms_match_generic(void **state)
{
	static const uint8_t ops[] = {0xb6, 0xb7, 0xbe, 0xbf};
	struct cpu_env *e = *state;
	for (unsigned o = 0; o < 4; o++)
		for (unsigned w = 0; w < 2; w++) {
			uint8_t rx = w ? 0x48 : 0x40, op = ops[o];
			uint8_t lo[] = {0x0f, op, 0xd1};	    /* edx <- cl / cx */
			uint8_t hi[] = {0x0f, op, 0xc7};	    /* eax <- bh / di */
			uint8_t rex[] = {rx, 0x0f, op, 0xf6};	    /* esi <- sil / si */
			uint8_t mem[] = {rx, 0x0f, op, 0x4b, 0xfd}; /* ecx <- [rbx-3] */
			uint8_t sib[] = {rx, 0x0f, op, 0x4c, 0xbb, 0x03}; /* [rbx+rdi*4+3] */
			uint32_t seed = 14000 + o * 10 + w;
			check_form(e, sib, sizeof(sib), seed + 400);
			if (!w) {
				check_form(e, lo, sizeof(lo), seed);
				check_form(e, hi, sizeof(hi), seed + 100);
			}
			check_form(e, rex, sizeof(rex), seed + 200);
			check_form(e, mem, sizeof(mem), seed + 300);
		}
	for (unsigned w = 0; w < 2; w++) {
		uint8_t rr[] = {0x48, 0x63, 0xc7};	 /* movsxd rax, edi */
		uint8_t rm[] = {0x48, 0x63, 0x53, 0x09}; /* movsxd rdx, [rbx+9] */
		check_form(e, rr + !w, sizeof(rr) - !w, 14500 + w);
		check_form(e, rm + !w, sizeof(rm) - !w, 14600 + w);
	}
}

/* CALL r/m64 through a register (RSP included: read before the push) and through memory,
 * with targets canonical or not (random states). */
static void test_exec_special_call_indirect_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned r = 0; r < 8; r++) {
		uint8_t call[] = {0xff, (uint8_t)(0xd0 | r)};
		check_form(e, call, sizeof(call), 15000 + r);
	}
	static const uint8_t r9[] = {0x41, 0xff, 0xd1};
	static const uint8_t mem[] = {0xff, 0x53, 0x10}; /* call [rbx+0x10] */
	check_form(e, r9, sizeof(r9), 15100);
	check_form(e, mem, sizeof(mem), 15200);
}

/*
 * The segments of 32-bit code in which the flat forms must hand over to the general path
 * (SDM Vol. 3A, 5.3 limit checking, 3.4.5.1 data-segment types), set in the segment cache
 * after cpu_enter_compat_mode_flat: 0 flat; 1 DS with a base (the operand lands in the
 * read-only page after); 2 DS with its limit inside the data page (#GP past it); 3 DS
 * expand-down (offsets above the limit valid); 4 DS read-only (#GP on a store); 5 DS
 * unusable (a null selector); 6 SS with its limit inside the data page (#SS); 7 SS of 16
 * bits (SP wraps at 64 KiB); 8 SS with a base; 9 CS with its limit just past the code
 * (#GP for a branch beyond it); 10 ES with a base (no flat form uses ES); 11 DS
 * expand-down with the limit 4 GiB - 1 (no offset is valid); 12 DS a readable code
 * segment (reads as flat, #GP on a store); 13 CR0.PE clear (real-mode limit checks only).
 */
#define SEG_VARIANTS 14
static void set_segments(struct cpu_env *e, unsigned v)
{
	struct seg_cache *ds = &e->m.seg.sreg[SEG_DS], *ss = &e->m.seg.sreg[SEG_SS];
	e->m.cr0 |= CR0_PE;
	cpu_enter_compat_mode_flat(&e->cpu);
	switch (v) {
	case 1:
		ds->base = 0x1000;
		break;
	case 2:
		ds->limit = (uint32_t)(ENV_DATA + DATA_OFF + 0x20);
		break;
	case 3:
		ds->type |= SEG_TYPE_E;
		ds->limit = (uint32_t)(ENV_DATA + DATA_OFF + 0x10);
		break;
	case 4:
		ds->type &= (uint8_t)~SEG_TYPE_W;
		break;
	case 5:
		ds->usable = false;
		break;
	case 6:
		ss->limit = (uint32_t)(ENV_DATA + DATA_OFF + 0x18);
		break;
	case 7:
		ss->db = false;
		break;
	case 8:
		ss->base = 0x1000;
		break;
	case 9:
		e->m.seg.sreg[SEG_CS].limit = (uint32_t)(ENV_CODE + 0x400);
		break;
	case 10:
		e->m.seg.sreg[SEG_ES].base = 0x1000;
		break;
	case 11:
		ds->type |= SEG_TYPE_E;
		break;
	case 12:
		ds->type = SEG_TYPE_CODE | SEG_TYPE_R | SEG_TYPE_A;
		break;
	case 13:
		e->m.cr0 &= ~(uint64_t)CR0_PE;
		break;
	default:
		break;
	}
}

/* The flat memory forms of 32-bit code ([base + disp] through DS and through SS,
 * [base + index*4 + disp] through both, [index*4 + disp32], [disp32]) for MOV, the ALU,
 * 81/83, MOVZX/MOVSX and LEA, in every segment variant: the specialised handler must do
 * what the general one does, faults and MMU counts included. */
static void test_exec_special_flat32_memory_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	uint32_t a = (uint32_t)(ENV_DATA + DATA_OFF + 4);
	uint8_t a0 = (uint8_t)a, a1 = (uint8_t)(a >> 8), a2 = (uint8_t)(a >> 16), a3 = (uint8_t)(a >> 24);
	const uint8_t forms[][9] = {
	    {3, 0x8b, 0x4b, 0x08},			 /* mov ecx, [ebx+8] */
	    {3, 0x89, 0x53, 0xf8},			 /* mov [ebx-8], edx */
	    {4, 0x8b, 0x4c, 0x24, 0x0c},		 /* mov ecx, [esp+12] */
	    {4, 0x89, 0x44, 0x24, 0x14},		 /* mov [esp+20], eax */
	    {3, 0x89, 0x45, 0x10},			 /* mov [ebp+16], eax */
	    {4, 0x03, 0x4c, 0xbb, 0x04},		 /* add ecx, [ebx+edi*4+4] */
	    {4, 0x29, 0x4c, 0xbb, 0xfc},		 /* sub [ebx+edi*4-4], ecx */
	    {4, 0x31, 0x4c, 0xbc, 0x08},		 /* xor [esp+edi*4+8], ecx */
	    {4, 0x3b, 0x54, 0xbc, 0x00},		 /* cmp edx, [esp+edi*4] */
	    {7, 0x8b, 0x0c, 0xbd, a0, a1, a2, a3},	 /* mov ecx, [edi*4+a] */
	    {6, 0x8b, 0x0d, a0, a1, a2, a3},		 /* mov ecx, [a] */
	    {6, 0x89, 0x15, a0, a1, a2, a3},		 /* mov [a], edx */
	    {6, 0x01, 0x05, a0, a1, a2, a3},		 /* add [a], eax */
	    {5, 0x83, 0x44, 0x24, 0x08, 0x85},		 /* add [esp+8], -123 */
	    {4, 0x83, 0x6b, 0x04, 0x01},		 /* sub [ebx+4], 1 */
	    {8, 0x81, 0x7c, 0xbb, 0x00, 0x10, 0x20, 0x30, 0x40}, /* cmp [ebx+edi*4], imm32 */
	    {4, 0x0f, 0xb6, 0x4b, 0x03},		 /* movzx ecx, byte [ebx+3] */
	    {5, 0x0f, 0xbf, 0x4c, 0x24, 0x02},		 /* movsx ecx, word [esp+2] */
	    {7, 0x0f, 0xb7, 0x0d, a0, a1, a2, a3},	 /* movzx ecx, word [a] */
	    {4, 0x8d, 0x4c, 0xbb, 0x85},		 /* lea ecx, [ebx+edi*4-123] */
	    {7, 0x8d, 0x0c, 0xbd, a0, a1, a2, a3},	 /* lea ecx, [edi*4+a] */
	    {3, 0x8d, 0x45, 0xf0},			 /* lea eax, [ebp-16] */
	};
	for (unsigned v = 0; v < SEG_VARIANTS; v++) {
		set_segments(e, v);
		for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
			check_form(e, forms[f] + 1, forms[f][0], 30000 + v * 100 + f);
	}
}

/* The stack and branch forms of 32-bit code -- PUSH/POP r32 (ESP included), PUSH imm8 and
 * imm32, PUSH [ebx+d8] and [esp+d8], CALL rel32, CALL r32 (ESP included), CALL [ebx+d8]
 * and [esp+d8], RET, RET imm16, JMP rel8/rel32 -- in every segment variant. */
/* The Jcc of a grown block (cpu_jcc_side_exit) against the table's Jcc, every condition,
 * rel8 and rel32 (backward, forward past a short CS limit, wrapping at 4 GiB), in every
 * segment setting of 32-bit code and in 64-bit mode; taken, it must also set
 * cpu->side_exit. */
static void test_exec_special_side_exit_jcc_matches_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned v = 0; v <= SEG_VARIANTS; v++) {
		if (v < SEG_VARIANTS) {
			set_segments(e, v);
		} else { /* 64-bit mode last (PE set again after variant 13) */
			e->m.cr0 |= CR0_PE;
			cpu_enter_long_mode_flat(&e->cpu, 3);
		}
		for (unsigned cc = 0; cc < 16; cc++) {
			uint8_t j8[] = {(uint8_t)(0x70 + cc), 0x80};
			uint8_t fwd[] = {0x0f, (uint8_t)(0x80 + cc), 0x10, 0x04, 0, 0};
			uint8_t wrap[] = {0x0f, (uint8_t)(0x80 + cc), 0x00, 0x00, 0, 0xf0};
			const uint8_t *code[] = {j8, fwd, wrap};
			const size_t len[] = {sizeof(j8), sizeof(fwd), sizeof(wrap)};
			for (unsigned k = 0; k < 3; k++) {
				struct x86_instr in;
				assert_int_equal(x86_decode(&in, code[k], len[k],
							    (enum x86_mode)e->cpu.mode),
						 X86_DECODE_OK);
				check_handler(e, &in, cpu_jcc_side_exit[cc],
					      43000 + v * 100 + cc * 3 + k);
			}
		}
	}
}

static void test_exec_special_flat32_stack_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	const uint8_t forms[][6] = {
	    {2, 0x6a, 0x85},			   /* push -123 */
	    {5, 0x68, 0x10, 0x20, 0x30, 0x80},	   /* push imm32 */
	    {3, 0xff, 0x73, 0x08},		   /* push [ebx+8] */
	    {4, 0xff, 0x74, 0x24, 0x04},	   /* push [esp+4] */
	    {5, 0xe8, 0x10, 0x20, 0, 0},	   /* call rel32 */
	    {5, 0xe8, 0x00, 0x00, 0, 0xf0},	   /* call rel32, wrapping at 4 GiB */
	    {3, 0xff, 0x53, 0x10},		   /* call [ebx+16] */
	    {4, 0xff, 0x54, 0x24, 0x10},	   /* call [esp+16] */
	    {1, 0xc3},				   /* ret */
	    {3, 0xc2, 0x08, 0x00},		   /* ret 8 */
	    {3, 0xc2, 0xfe, 0xff},		   /* ret 0xfffe */
	    {2, 0xeb, 0x85},			   /* jmp rel8 */
	    {5, 0xe9, 0x10, 0x20, 0, 0},	   /* jmp rel32 */
	};
	for (unsigned v = 0; v < SEG_VARIANTS; v++) {
		set_segments(e, v);
		for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
			check_form(e, forms[f] + 1, forms[f][0], 40000 + v * 100 + f);
		for (unsigned r = 0; r < 8; r++) {
			uint8_t push[] = {(uint8_t)(0x50 + r)}, pop[] = {(uint8_t)(0x58 + r)};
			uint8_t call[] = {0xff, (uint8_t)(0xd0 | r)};
			check_form(e, push, sizeof(push), 41000 + v * 100 + r);
			check_form(e, pop, sizeof(pop), 41000 + v * 100 + 10 + r);
			check_form(e, call, sizeof(call), 41000 + v * 100 + 20 + r);
		}
	}
}

/* SHLD/SHRD of 4-byte registers by an immediate: counts 0, 1, 7, 31 and 32..63 (masked
 * to 5 bits), ECX..EDI as destination and source. */
static void test_exec_special_double_shift_forms_match_generic(void **state)
{
	static const uint8_t counts[] = {0, 1, 7, 13, 31, 32, 33, 0xff};
	struct cpu_env *e = *state;
	for (unsigned k = 0; k < sizeof(counts); k++)
		for (unsigned r = 0; r < 4; r++) {
			uint8_t modrm = modrm_rr(r + k);
			uint8_t shld[] = {0x0f, 0xa4, modrm, counts[k]};
			uint8_t shrd[] = {0x0f, 0xac, modrm, counts[k]};
			check_form(e, shld, sizeof(shld), 16000 + k * 10 + r);
			check_form(e, shrd, sizeof(shrd), 16500 + k * 10 + r);
		}
}

/* ---- conditions read from every kind of lazy record ---- */

/* Operands at the edges of every size: the sign boundaries, 0, 1, -1. */
static const uint64_t cond_edges[] = {0,
				      1,
				      0x7f,
				      0x80,
				      0xff,
				      0x7fff,
				      0x8000,
				      0xffff,
				      0x7fffffff,
				      0x80000000,
				      0xffffffff,
				      0x7fffffffffffffffULL,
				      0x8000000000000000ULL,
				      ~0ULL};
#define N_EDGES (sizeof(cond_edges) / sizeof(cond_edges[0]))

/* The producers of a record: the eight ALU operations but ADC/SBB (0..7 without 2, 3),
 * INC (8), DEC (9), SHL (10), SHR (11), SAR (12); the shifts at 4 and 8 bytes only. */
#define N_PRODUCERS 13

/*
 * Leaves on cpu the record of producer p of a and b at size (the lazy path the handlers
 * set) and returns, in *eager, the flags cpu/alu.c's eager rules give from flags fl (the
 * reference: test_alu_host.c checks them against the host). false: p does not apply.
 */
static bool make_record(struct cpu *cpu, unsigned p, unsigned size, uint64_t a, uint64_t b,
			uint64_t fl, uint64_t *eager)
{
	static const unsigned lf[] = {LF_SHL, LF_SHR, LF_SAR};
	static const enum x86_shift_op sh[] = {SHIFT_SHL, SHIFT_SHR, SHIFT_SAR};
	cpu_set_rflags(cpu, fl);
	*eager = fl;
	if (p < 8) {
		if (p == ALU_ADC || p == ALU_SBB)
			return false;
		alu_op(cpu, p, a, b, size);
		alu_binop((enum x86_alu_op)p, size, a, b, eager);
		return true;
	}
	if (p < 10) {
		alu_incdec(cpu, a, p == 9, size);
		alu_unary(p == 9 ? UNARY_DEC : UNARY_INC, size, a, eager);
		return true;
	}
	if (size < 4)
		return false;
	unsigned count = 1 + (unsigned)(b % (8 * size - 1));
	alu_shift_lazy(cpu, lf[p - 10], a, count, size);
	alu_shift(sh[p - 10], size, a, count, eager);
	return true;
}

/* The record of cpu (flags and lazy fields) copied into dst. */
static void copy_flags(struct cpu *dst, const struct cpu *src)
{
	dst->rflags = src->rflags;
	dst->lf_op = src->lf_op;
	dst->lf_a = src->lf_a;
	dst->lf_b = src->lf_b;
	dst->lf_r = src->lf_r;
	dst->lf_cfof = src->lf_cfof;
}

/* The handlers that read condition cc -- SETcc CL, Jcc rel8 and rel32 (specialised) and
 * the Jcc of a grown block (cpu_jcc_side_exit) -- each run from the record of rec, and
 * each must do what cc of the eager flags says (SDM Vol. 1, Table B-1), leaving RFLAGS at
 * the eager value. */
static void check_conditions(struct cpu_env *e, const struct cpu *rec, uint64_t eager,
			     unsigned cc)
{
	bool want = cpu_cond(eager, cc);
	uint8_t set[] = {0x0f, (uint8_t)(0x90 + cc), 0xc1};
	uint8_t j8[] = {(uint8_t)(0x70 + cc), 0x10};
	uint8_t j32[] = {0x0f, (uint8_t)(0x80 + cc), 0x10, 0x02, 0, 0};
	const uint8_t *code[] = {set, j8, j32, j8, j32};
	const size_t len[] = {sizeof(set), sizeof(j8), sizeof(j32), sizeof(j8), sizeof(j32)};
	for (unsigned h = 0; h < 5; h++) {
		struct x86_instr in;
		assert_int_equal(x86_decode(&in, code[h], len[h], (enum x86_mode)e->cpu.mode),
				 X86_DECODE_OK);
		cpu_exec_fn fn = h < 3 ? cpu_specialise(&in, 0) : cpu_jcc_side_exit[cc];
		assert_non_null(fn);
		copy_flags(&e->cpu, rec);
		e->cpu.gpr[RCX] = 0x1234567890abcdefULL;
		e->cpu.rip = ENV_CODE + 0x100;
		e->cpu.next_rip = e->cpu.rip + in.len;
		e->cpu.side_exit = false;
		assert_true(fn(&e->cpu, &in));
		uint64_t disp = h == 1 || h == 3 ? 0x10 : 0x210;
		if (h == 0) {
			if (e->cpu.gpr[RCX] != (0x1234567890abcd00ULL | want))
				fail_msg("setcc %u: rcx %#llx, eager flags %#llx", cc,
					 (unsigned long long)e->cpu.gpr[RCX],
					 (unsigned long long)eager);
		} else if (e->cpu.next_rip != e->cpu.rip + in.len + (want ? disp : 0)) {
			fail_msg("jcc %u (handler %u): next rip %#llx, eager flags %#llx", cc, h,
				 (unsigned long long)e->cpu.next_rip, (unsigned long long)eager);
		}
		assert_int_equal(e->cpu.side_exit, h >= 3 && want);
		assert_int_equal(cpu_rflags(&e->cpu), eager);
	}
}

/* IMUL (specialised: 0F AF with registers, 6B with a register) after the record of rec:
 * the product, CF and OF its own, the other status flags those of the record (as the
 * host leaves them), read lazily or materialised. */
static void check_imul_after(struct cpu_env *e, const struct cpu *rec, uint64_t eager,
			     unsigned size, uint64_t a, uint64_t b)
{
	uint8_t rr[] = {0x48, 0x0f, 0xaf, 0xc1}; /* imul rax, rcx */
	uint8_t ri[] = {0x48, 0x6b, 0xc1, 0x80}; /* imul rax, rcx, -128 */
	for (unsigned f = 0; f < 2; f++) {
		struct x86_instr in;
		uint8_t *code = f ? ri : rr;
		size_t n = f ? sizeof(ri) : sizeof(rr);
		bool w = size == 8;
		assert_int_equal(x86_decode(&in, code + !w, n - !w, (enum x86_mode)e->cpu.mode),
				 X86_DECODE_OK);
		cpu_exec_fn fn = cpu_specialise(&in, 0);
		assert_non_null(fn);
		copy_flags(&e->cpu, rec);
		e->cpu.gpr[RAX] = a;
		e->cpu.gpr[RCX] = b;
		uint64_t want_f = eager;
		uint64_t want = alu_imul_trunc(size, f ? b : a, f ? (uint64_t)-128 : b, &want_f);
		assert_true(fn(&e->cpu, &in));
		assert_int_equal(e->cpu.gpr[RAX], want);
		for (unsigned cc = 0; cc < 16; cc++) {
			struct cpu c = e->cpu;
			assert_int_equal(cpu_cond_now(&c, cc), cpu_cond(want_f, cc));
		}
		assert_int_equal(cpu_rflags(&e->cpu), want_f);
		if (f == 0) { /* the conditions from the record IMUL left (CF, OF its own) */
			struct cpu after = e->cpu;
			for (unsigned cc = 0; cc < 16; cc++)
				check_conditions(e, &after, want_f, cc);
		}
	}
}

/* ROL/ROR of a register (specialised: by 1 and by an immediate) after the record of rec:
 * the result, CF and OF the rotate's (cpu/alu.c's alu_shift), the other status flags the
 * record's; then every condition through each handler that reads one. */
static void check_rotate_after(struct cpu_env *e, const struct cpu *rec, uint64_t eager,
			       unsigned size, uint64_t a, uint64_t b)
{
	unsigned count = 1 + (unsigned)(b % (8 * size - 1));
	for (unsigned f = 0; f < 4; f++) {
		bool ror = f & 1, one = f & 2;
		uint8_t ri[] = {0x48, 0xc1, (uint8_t)(ror ? 0xc9 : 0xc1), (uint8_t)count};
		uint8_t r1[] = {0x48, 0xd1, (uint8_t)(ror ? 0xc9 : 0xc1)}; /* rol/ror rcx, 1 */
		uint8_t *code = one ? r1 : ri;
		size_t n = one ? sizeof(r1) : sizeof(ri);
		bool w = size == 8;
		struct x86_instr in;
		assert_int_equal(x86_decode(&in, code + !w, n - !w, (enum x86_mode)e->cpu.mode),
				 X86_DECODE_OK);
		cpu_exec_fn fn = cpu_specialise(&in, 0);
		assert_non_null(fn);
		copy_flags(&e->cpu, rec);
		e->cpu.gpr[RCX] = a;
		uint64_t want_f = eager;
		uint64_t want = alu_shift(ror ? SHIFT_ROR : SHIFT_ROL, size, a, one ? 1 : count,
					  &want_f);
		assert_true(fn(&e->cpu, &in));
		assert_int_equal(e->cpu.gpr[RCX], want);
		assert_int_equal(cpu_rflags(&e->cpu), want_f);
		struct cpu after = e->cpu;
		for (unsigned cc = 0; cc < 16; cc++)
			check_conditions(e, &after, want_f, cc);
	}
}

/* Every producer of a record, every operand size, every pair of edge operands (equal ones
 * included), then every condition through each handler that reads one, and IMUL, ROL and
 * ROR after the record (32-bit operands only in compatibility mode). */
static void check_conditions_after_records(struct cpu_env *e, bool imul8)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	struct cpu rec = e->cpu;
	uint64_t eager;
	for (unsigned p = 0; p < N_PRODUCERS; p++)
		for (unsigned z = 0; z < 4; z++)
			for (unsigned i = 0; i < N_EDGES; i++)
				for (unsigned j = 0; j < N_EDGES; j++) {
					uint64_t a = cond_edges[i], b = cond_edges[j];
					uint64_t fl = RFLAGS_FIXED1 | ((i * 31 + j) & 1 ? 0x8d5 : 0);
					if (!make_record(&rec, p, sizes[z], a, b, fl, &eager))
						continue;
					for (unsigned cc = 0; cc < 16; cc++)
						check_conditions(e, &rec, eager, cc);
					if (sizes[z] == 4 || (sizes[z] == 8 && imul8)) {
						check_imul_after(e, &rec, eager, sizes[z], a, b);
						if (j % 4 == i % 4) /* a quarter of the pairs */
							check_rotate_after(e, &rec, eager,
									   sizes[z], a, b);
					}
				}
}

static void test_exec_special_conditions_after_every_record_match_eager_flags(void **state)
{
	check_conditions_after_records(*state, true);
}

static void test_exec_special_conditions32_after_every_record_match_eager_flags(void **state)
{
	struct cpu_env *e = *state;
	cpu_enter_compat_mode_flat(&e->cpu);
	check_conditions_after_records(e, false);
}

/* IMUL with registers, with [rbx+disp8] and [rbx+rdi*4+disp8], and the three-operand
 * forms with a register; JMP r/m64 through registers (canonical targets or not) and
 * memory (base, SIB, RIP-relative). */
static void test_exec_special_imul_and_jmp_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned w = 0; w < 2; w++) {
		uint8_t rr[] = {0x48, 0x0f, 0xaf, 0xd1};	     /* imul rdx, rcx */
		uint8_t rm[] = {0x48, 0x0f, 0xaf, 0x53, 0x09};	     /* imul rdx, [rbx+9] */
		uint8_t sib[] = {0x48, 0x0f, 0xaf, 0x54, 0xbb, 0x03}; /* [rbx+rdi*4+3] */
		uint8_t i8[] = {0x48, 0x6b, 0xd1, 0x85};	     /* imul rdx, rcx, -123 */
		uint8_t i32[] = {0x48, 0x69, 0xd1, 0x00, 0x00, 0x00, 0x80};
		check_form(e, rr + !w, sizeof(rr) - !w, 16000 + w);
		check_form(e, rm + !w, sizeof(rm) - !w, 16010 + w);
		check_form(e, sib + !w, sizeof(sib) - !w, 16020 + w);
		check_form(e, i8 + !w, sizeof(i8) - !w, 16030 + w);
		check_form(e, i32 + !w, sizeof(i32) - !w, 16040 + w);
	}
	for (unsigned r = 0; r < 8; r++) {
		uint8_t jmp[] = {0xff, (uint8_t)(0xe0 | r)};
		check_form(e, jmp, sizeof(jmp), 16100 + r);
	}
	static const uint8_t mem[] = {0xff, 0x63, 0x10};	      /* jmp [rbx+0x10] */
	static const uint8_t sib[] = {0xff, 0x64, 0xbb, 0x08};	      /* jmp [rbx+rdi*4+8] */
	static const uint8_t rip[] = {0xff, 0x25, 0x00, 0x01, 0, 0}; /* jmp [rip+0x100] */
	check_form(e, mem, sizeof(mem), 16200);
	check_form(e, sib, sizeof(sib), 16210);
	check_form(e, rip, sizeof(rip), 16220);
}

/* TEST r, imm (F6 /0 into low byte registers and one needing REX, F7 /0 of 4 and 8 bytes
 * with a positive and a negative imm32), TEST AL/eAX/RAX, imm; CLD and STD, after a
 * recorded CMP and after none, in 64-bit and compatibility mode. */
static void test_exec_special_test_imm_and_df_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned mode = 0; mode < 2; mode++) {
		static const uint8_t b[] = {0xf6, 0xc1, 0x81};		      /* test cl, 0x81 */
		static const uint8_t bx[] = {0x40, 0xf6, 0xc6, 0x80};	      /* test sil, 0x80 */
		static const uint8_t d[] = {0xf7, 0xc2, 0x03, 0, 0, 0};	      /* test edx, 3 */
		static const uint8_t q[] = {0x48, 0xf7, 0xc6, 0, 0, 0, 0x80}; /* test rsi, imm */
		static const uint8_t al[] = {0xa8, 0x80};
		static const uint8_t eax[] = {0xa9, 0xff, 0xff, 0, 0x80};
		static const uint8_t rax[] = {0x48, 0xa9, 0x01, 0, 0, 0};
		static const uint8_t cld_std[][1] = {{0xfc}, {0xfd}};
		unsigned seed = 17000 + mode * 100;
		check_form(e, b, sizeof(b), seed);
		check_form(e, d, sizeof(d), seed + 2);
		check_form(e, al, sizeof(al), seed + 4);
		check_form(e, eax, sizeof(eax), seed + 5);
		if (mode == 0) {
			check_form(e, bx, sizeof(bx), seed + 1);
			check_form(e, q, sizeof(q), seed + 3);
			check_form(e, rax, sizeof(rax), seed + 6);
		}
		for (unsigned k = 0; k < 2; k++) {
			struct x86_instr in;
			check_form(e, cld_std[k], 1, seed + 7 + k);
			assert_int_equal(x86_decode(&in, cld_std[k], 1, (enum x86_mode)e->cpu.mode),
					 X86_DECODE_OK);
			alu_op(&e->cpu, ALU_CMP, 0x80000000, 1, 4); /* recorded */
			uint64_t want = (cpu_rflags(&e->cpu) & ~RFLAGS_DF) | (k ? RFLAGS_DF : 0);
			assert_true(cpu_specialise(&in, 0)(&e->cpu, &in));
			assert_int_equal(cpu_rflags(&e->cpu), want);
			assert_int_equal(cpu_cond_now(&e->cpu, 0xc), 1); /* JL: SF 0 != OF 1 */
		}
		cpu_enter_compat_mode_flat(&e->cpu);
	}
}

/* RSI and RDI for MOVS: around the pointer of the data page at any alignment, or where an
 * access crosses into the read-only page after it (#PF on a store there, nothing
 * written), or unmapped; DF set half the time. */
static void movs_pointers(struct cpu_env *e, uint64_t *seed)
{
	uint64_t r = env_rnd(seed);
	const uint64_t near = ENV_DATA + DATA_OFF - 64, end = ENV_DATA + 4096 - 4;
	e->cpu.gpr[RSI] = r % 5 == 0 ? end + (r >> 8) % 8 : near + (r >> 8) % 128;
	e->cpu.gpr[RDI] = (r >> 16) % 5 == 0 ? end + (r >> 24) % 8
			  : (r >> 16) % 7 == 0 ? 0x7000000000ULL
					       : near + (r >> 24) % 128;
	if ((r >> 32) & 1)
		cpu_set_rflags(&e->cpu, cpu_rflags(&e->cpu) | RFLAGS_DF);
}

/* MOVS without REP (cpu/exec_string.c, movs_fast) against the general string handler:
 * bytes, words, doublewords and quadwords, a CS override, an FS one (the general path's),
 * in 64-bit mode and in every segment variant of 32-bit code (ES with a base among them). */
static void test_exec_special_movs_forms_match_generic(void **state)
{
	static const uint8_t forms64[][4] = {
	    {1, 0xa4}, {2, 0x66, 0xa5}, {1, 0xa5}, {2, 0x48, 0xa5}, {2, 0x2e, 0xa5}, {2, 0x64, 0xa5},
	};
	static const uint8_t forms32[][4] = {{1, 0xa4}, {2, 0x66, 0xa5}, {1, 0xa5}, {2, 0x2e, 0xa5}};
	struct cpu_env *e = *state;
	state_tweak = movs_pointers;
	e->m.cr0 |= CR0_PE;
	cpu_enter_long_mode_flat(&e->cpu, 3);
	for (unsigned f = 0; f < sizeof(forms64) / sizeof(forms64[0]); f++) {
		struct x86_instr in;
		assert_int_equal(x86_decode(&in, forms64[f] + 1, forms64[f][0], X86_MODE_64),
				 X86_DECODE_OK);
		check_handler(e, &in, cpu_specialise(&in, 0), 47000 + f);
	}
	for (unsigned v = 0; v < SEG_VARIANTS; v++) {
		set_segments(e, v);
		for (unsigned f = 0; f < sizeof(forms32) / sizeof(forms32[0]); f++)
			check_form(e, forms32[f] + 1, forms32[f][0], 48000 + v * 100 + f);
	}
	state_tweak = NULL;
	e->m.cr0 |= CR0_PE;
	cpu_enter_long_mode_flat(&e->cpu, 3);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_exec_special_alu_forms_match_generic),
	    T(test_exec_special_setcc_forms_match_generic),
	    T(test_exec_special_jcc32_forms_match_generic),
	    T(test_exec_special_lea_forms_match_generic),
	    T(test_exec_special_alu_imm_memory_forms_match_generic),
	    T(test_exec_special_movx_forms_match_generic),
	    T(test_exec_special_call_indirect_forms_match_generic),
	    T(test_exec_special_memory_operand_forms_match_generic),
	    T(test_exec_special_legacy_memory_forms_match_generic),
	    T(test_exec_special_imm_and_test_forms_match_generic),
	    T(test_exec_special_shift_forms_match_generic),
	    T(test_exec_special_mov_forms_match_generic),
	    T(test_exec_special_flow_forms_match_generic),
	    T(test_exec_special_flat32_memory_forms_match_generic),
	    T(test_exec_special_double_shift_forms_match_generic),
	    T(test_exec_special_flat32_stack_forms_match_generic),
	    T(test_exec_special_conditions_after_every_record_match_eager_flags),
	    T(test_exec_special_conditions32_after_every_record_match_eager_flags),
	    T(test_exec_special_imul_and_jmp_forms_match_generic),
	    T(test_exec_special_test_imm_and_df_forms_match_generic),
	    T(test_exec_special_movs_forms_match_generic),
	    T(test_exec_special_side_exit_jcc_matches_generic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
#undef T
}
