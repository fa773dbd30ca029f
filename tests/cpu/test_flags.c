/*
 * Lazy flags (cpu/flags.h): every way of reading the recorded flags must give what the
 * eager rules of cpu/alu.c (checked against the host by test_alu_host.c) give.
 *
 * - Unit level: after each recorded operation (ADD, SUB, CMP, AND, OR, XOR, INC, DEC, in
 *   every size, and SHL, SHR, SAR of 4 and 8 bytes by every count from 1 to the width - 1,
 *   from random incoming flags), optionally followed by a rotate that replaces
 *   CF and OF (LF_CFOF: given, or for 4 and 8 bytes left to the rotate's result,
 *   LF_ROT), and by ADC/SBB that read CF from the record: cpu_rflags, all
 *   sixteen conditions (cpu_cond_now), CF (cpu_cf) and the materialised RFLAGS
 *   (cpu_rflags_ptr) against the eager result.
 * - Instruction level, in a machine: the readers that are not handlers of Jcc/SETcc --
 *   PUSHF, LAHF, the RFLAGS image of an exception frame, SYSCALL's R11, the x87 handlers
 *   (FCMOVcc reads CF after a CMP; FCOMI writes CF, which SETB must then see) -- each after
 *   a CMP whose flags are only recorded, against values worked out from the SDM.
 */
#include "cpu/alu_fast.h"
#include "tests/cpu/cpu_test_env.h"

/* An operand: edge values half of the time. */
static uint64_t operand(uint64_t *s)
{
	static const uint64_t edges[] = {0,
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
	uint64_t r = env_rnd(s);
	if (r & 1)
		return edges[(r >> 1) % (sizeof(edges) / sizeof(edges[0]))];
	return env_rnd(s);
}

/* Every reader of a CPU whose flags may be recorded against the eager value want. */
static void check_readers(const struct cpu *lazy, uint64_t want, const char *what)
{
	struct cpu c = *lazy;
	if (cpu_rflags(&c) != want)
		fail_msg("%s: cpu_rflags %#llx, eager %#llx", what,
			 (unsigned long long)cpu_rflags(&c), (unsigned long long)want);
	if (cpu_cf(&c) != !!(want & RFLAGS_CF))
		fail_msg("%s: cpu_cf %d, eager flags %#llx", what, cpu_cf(&c),
			 (unsigned long long)want);
	for (unsigned cc = 0; cc < 16; cc++) {
		c = *lazy;
		if (cpu_cond_now(&c, cc) != cpu_cond(want, cc))
			fail_msg("%s: condition %u from the record %d, eager %d (flags %#llx)",
				 what, cc, !cpu_cond(want, cc), cpu_cond(want, cc),
				 (unsigned long long)want);
	}
	c = *lazy;
	if (*cpu_rflags_ptr(&c) != want || c.lf_op != LF_NONE)
		fail_msg("%s: materialised %#llx, eager %#llx", what, (unsigned long long)c.rflags,
			 (unsigned long long)want);
}

static void test_flags_recorded_operations_read_as_eager(void **state)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	static const unsigned binops[] = {ALU_ADD, ALU_OR, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP};
	uint64_t s = 0x2545f4914f6cdd1dULL;
	for (int n = 0; n < 100000; n++) {
		unsigned size = sizes[env_rnd(&s) % 4], kind = (unsigned)(env_rnd(&s) % 11);
		uint64_t a = operand(&s), b = operand(&s), fl = 0x202 | (env_rnd(&s) & 0x8d5);
		struct cpu cpu = {.rflags = fl};
		uint64_t eager = fl;
		if (kind < 6) {
			alu_op(&cpu, binops[kind], a, b, size);
			alu_binop((enum x86_alu_op)binops[kind], size, a, b, &eager);
		} else if (kind >= 8) { /* SHL, SHR, SAR of 4 or 8 bytes */
			static const unsigned lf[] = {LF_SHL, LF_SHR, LF_SAR};
			static const enum x86_shift_op sh[] = {SHIFT_SHL, SHIFT_SHR, SHIFT_SAR};
			size = size < 4 ? 4 : size;
			unsigned count = 1 + (unsigned)(env_rnd(&s) % (8 * size - 1));
			uint64_t r = alu_shift_lazy(&cpu, lf[kind - 8], a, count, size);
			assert_int_equal(r, alu_shift(sh[kind - 8], size, a, count, &eager));
		} else {
			alu_incdec(&cpu, a, kind == 7, size);
			alu_unary(kind == 7 ? UNARY_DEC : UNARY_INC, size, a, &eager);
		}
		check_readers(&cpu, eager, "recorded");
		if (env_rnd(&s) & 1) { /* a rotate by a count 1..width-1 replaces CF and OF */
			unsigned count = 1 + (unsigned)(env_rnd(&s) % (8 * size - 1));
			bool ror = env_rnd(&s) & 1;
			uint64_t rf = eager;
			uint64_t r = alu_shift(ror ? SHIFT_ROR : SHIFT_ROL, size, b, count, &rf);
			if (size >= 4 && (env_rnd(&s) & 1)) /* CF and OF left to the result */
				flags_set_rotate(&cpu, r, size, ror);
			else
				flags_set_cf_of(&cpu, rf & (RFLAGS_CF | RFLAGS_OF));
			eager = rf;
			check_readers(&cpu, eager, "rotated");
		}
		if (env_rnd(&s) & 1) { /* ADC or SBB takes CF from the record */
			bool sbb = env_rnd(&s) & 1;
			uint64_t c = operand(&s), d = operand(&s);
			uint64_t r = alu_op(&cpu, sbb ? ALU_SBB : ALU_ADC, c, d, size);
			uint64_t ref = alu_binop(sbb ? ALU_SBB : ALU_ADC, size, c, d, &eager);
			assert_int_equal(r, ref);
			check_readers(&cpu, eager, "adc/sbb");
		}
	}
}

/* A flag read by CMP's CF through each path a rotate can leave: none recorded (eager
 * write of CF and OF), recorded then rotated twice (the later rotate wins). */
static void test_flags_rotate_without_record_and_twice(void **state)
{
	struct cpu cpu = {.rflags = 0x202 | RFLAGS_ZF | RFLAGS_CF};
	flags_set_cf_of(&cpu, RFLAGS_OF);
	assert_int_equal(cpu.lf_op, LF_NONE);
	assert_int_equal(cpu_rflags(&cpu), 0x202 | RFLAGS_ZF | RFLAGS_OF);
	alu_op(&cpu, ALU_CMP, 1, 2, 4); /* CF SF AF PF: 1 - 2 = 0xffffffff */
	flags_set_cf_of(&cpu, RFLAGS_OF);
	flags_set_cf_of(&cpu, RFLAGS_CF);
	assert_int_equal(cpu_rflags(&cpu), 0x202 | RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
}

/* ---- instruction level ---- */

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

/* Runs code at ENV_CODE (with IF set and all status flags clear) until it stops. */
static enum cpu_exit run_code(struct cpu_env *e, const uint8_t *code, size_t len)
{
	memcpy(e->bus.ram + ENV_CODE_PA, code, len);
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA, 4096);
	cpu_set_rflags(&e->cpu, RFLAGS_IF);
	e->cpu.rip = ENV_CODE;
	e->cpu.gpr[RSP] = ENV_DATA + 0x800;
	return cpu_run(&e->cpu, 1000);
}

/* mov eax, 1; cmp eax, 2 (CF SF AF PF: 0xffffffff), then a reader, then int3. */
#define CMP_1_2 0xb8, 1, 0, 0, 0, 0x83, 0xf8, 2
static const uint64_t cmp_1_2_flags = RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF;

static void test_flags_pushf_and_lahf_after_cmp(void **state)
{
	struct cpu_env *e = *state;
	/* CMP_1_2; pushfq; lahf; int3 */
	static const uint8_t code[] = {CMP_1_2, 0x9c, 0x9f, 0xcc};
	assert_int_equal(run_code(e, code, sizeof(code)), CPU_EXIT_FAULT);
	assert_int_equal(env_rd64(e, ENV_DATA_PA + 0x800 - 8),
			 RFLAGS_FIXED1 | RFLAGS_IF | cmp_1_2_flags);
	assert_int_equal((e->cpu.gpr[RAX] >> 8) & 0xff, RFLAGS_FIXED1 | cmp_1_2_flags);
}

static uint64_t seen_flags;

static enum kentry_ret frame_entry(struct cpu *cpu, void *opaque)
{
	uint64_t v;
	struct x86_fault f;
	/* no error code: RIP CS RFLAGS RSP SS */
	assert_true(mmu_read(cpu->mmu, cpu->gpr[RSP] + 16, 8, &v, 0, &f));
	seen_flags = v;
	return KENTRY_STOP;
}

static enum kentry_ret r11_entry(struct cpu *cpu, void *opaque)
{
	seen_flags = cpu->gpr[R11];
	return KENTRY_STOP;
}

/* #UD delivered through the IDT after a recorded CMP: the frame holds its flags. */
static void test_flags_exception_frame_after_cmp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {CMP_1_2, 0x0f, 0x0b}; /* ud2 */
	e->cpu.stop_on_fault = false;
	assert_int_equal(
	    cpu_register_kentry(&e->cpu, ENV_KTEXT + 16 * X86_VEC_UD, frame_entry, NULL, "ud"), 0);
	seen_flags = 0;
	assert_int_equal(run_code(e, code, sizeof(code)), CPU_EXIT_STOP);
	assert_int_equal(seen_flags, RFLAGS_FIXED1 | RFLAGS_IF | cmp_1_2_flags);
}

/* SYSCALL after a recorded CMP: R11 holds its flags. */
static void test_flags_syscall_r11_after_cmp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {CMP_1_2, 0x0f, 0x05};
	assert_true(cpu_wrmsr(&e->cpu, MSR_STAR,
			      ((uint64_t)(__USER32_CS - 3) << 48) | ((uint64_t)__KERNEL_CS << 32)));
	assert_true(cpu_wrmsr(&e->cpu, MSR_LSTAR, ENV_KTEXT + 0x1000));
	assert_int_equal(cpu_register_kentry(&e->cpu, ENV_KTEXT + 0x1000, r11_entry, NULL, "sys"),
			 0);
	seen_flags = 0;
	assert_int_equal(run_code(e, code, sizeof(code)), CPU_EXIT_STOP);
	assert_int_equal(seen_flags, RFLAGS_FIXED1 | RFLAGS_IF | cmp_1_2_flags);
}

/*
 * The x87 handlers use RFLAGS in place: FCMOVB after a recorded CMP must see its CF, and
 * SETB after FCOMI must see FCOMI's CF, not the record of the CMP before it.
 *   fldz; fld1 (ST0 = 1, ST1 = 0); CMP_1_2 (CF = 1); fcmovb st0, st1 (ST0 = 0);
 *   fistp dword [ENV_DATA] (stores 0);
 *   CMP_1_2 (CF = 1); fld1; fldz; fxch (ST0 = 1, ST1 = 0); fcomi st0, st1 (1 > 0: CF = 0);
 *   setb bl (0); the same with fucomip (DF E9) and setb cl (0); int3
 */
static void test_flags_x87_reads_and_writes_after_cmp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {
	    0xd9,    0xee, 0xd9, 0xe8,			 /* fldz; fld1 */
	    CMP_1_2, 0xda, 0xc1,			 /* fcmovb st0, st1 */
	    0xdb,    0x1c, 0x25, 0x00, 0x00, 0x10, 0x10, /* fistp dword [0x10100000] */
	    CMP_1_2, 0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0xc9, /* fld1; fldz; fxch */
	    0xdb,    0xf1,				 /* fcomi st0, st1 */
	    0x0f,    0x92, 0xc3,			 /* setb bl */
	    CMP_1_2, 0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0xc9, /* fld1; fldz; fxch */
	    0xdf,    0xe9,				 /* fucomip st0, st1 */
	    0x0f,    0x92, 0xc1, 0xcc};			 /* setb cl; int3 */
	e->cpu.gpr[RBX] = 0x55;
	e->cpu.gpr[RCX] = 0x55;
	env_wr64(e, ENV_DATA_PA, 0x77);
	assert_int_equal(run_code(e, code, sizeof(code)), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(env_rd64(e, ENV_DATA_PA), 0); /* FCMOVB moved ST1 = 0 */
	assert_int_equal(e->cpu.gpr[RBX] & 0xff, 0);   /* FCOMI: 1 > 0, CF = 0 */
	assert_int_equal(e->cpu.gpr[RCX] & 0xff, 0);   /* FUCOMIP: the same through DF */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_recorded_operations_read_as_eager),
	    cmocka_unit_test(test_flags_rotate_without_record_and_twice),
	    T(test_flags_pushf_and_lahf_after_cmp),
	    T(test_flags_exception_frame_after_cmp),
	    T(test_flags_syscall_r11_after_cmp),
	    T(test_flags_x87_reads_and_writes_after_cmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
