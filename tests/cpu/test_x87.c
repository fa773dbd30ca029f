/*
 * Directed tests of the x87 model with expected values worked out from the SDM: results,
 * stack bookkeeping, the environment layouts, and the exceptions the hardware raises
 * around the FPU (#NM by CR0.EM/TS/MP, #MF before a waiting instruction, precise #PF).
 */
#include "tests/cpu/cpu_test_env.h"
#include "cpu/fpu.h"

static int setup(void **state)
{
	static struct cpu_env env;
	struct x86_fault f;
	env_init(&env);
	assert_true(mmu_set_cr0(&env.m, env.m.cr0 | CR0_MP | CR0_NE, &f));
	assert_true(mmu_set_cr4(&env.m, env.m.cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT, &f));
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

static const struct x87_reg *st(struct cpu_env *e, unsigned i)
{
	return &e->cpu.fpu.st[x87_phys(&e->cpu.fpu, i)];
}

static unsigned top(struct cpu_env *e)
{
	return (e->cpu.fpu.fsw >> 11) & 7;
}

/* fld1; fld1; faddp -> 2.0 = 1.0 * 2^1: significand 8000..., exponent 3FFFh + 1. */
static void test_x87_fld1_faddp_gives_two(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1, 0xcc};
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(top(e), 7);
	assert_int_equal(st(e, 0)->mant, 1ULL << 63);
	assert_int_equal(st(e, 0)->sexp, 0x4000);
	assert_int_equal(e->cpu.fpu.ftw, 0x3fff); /* R7 valid, the rest empty */
	assert_int_equal(e->cpu.fpu.fsw & 0x3f, 0);
}

/* FLDPI under each rounding mode: pi's 66-bit value C90FDAA2 2168C234 C4 rounds to
 * ...C235 to nearest and up, ...C234 down and toward zero (SDM Vol. 1, 8.3.8). */
static void test_x87_fldpi_follows_rounding_control(void **state)
{
	struct cpu_env *e = *state;
	static const uint64_t want[4] = {0xc90fdaa22168c235ULL, 0xc90fdaa22168c234ULL,
					 0xc90fdaa22168c235ULL, 0xc90fdaa22168c234ULL};
	for (unsigned rc = 0; rc < 4; rc++) {
		uint16_t cw = (uint16_t)(0x037f | rc << 10);
		/* fldcw [rbx]; fldpi; int3 */
		static const uint8_t code[] = {0xd9, 0x2b, 0xd9, 0xeb, 0xcc};
		memcpy(e->bus.ram + ENV_DATA_PA, &cw, 2);
		e->cpu.gpr[RBX] = ENV_DATA;
		x87_init(&e->cpu.fpu);
		env_run_to_int3(e, code, sizeof(code));
		assert_int_equal(st(e, 0)->mant, want[rc]);
		assert_int_equal(st(e, 0)->sexp, 0x4000);
	}
}

/* 1/0 with ZE masked: +inf and ZE; with ZE unmasked: operands unchanged, ES and B set,
 * and the next waiting instruction (FWAIT) raises #MF at its own address. */
static void test_x87_divide_by_zero_masked_and_unmasked(void **state)
{
	struct cpu_env *e = *state;
	/* fldz; fld1; fdiv st, st(1); int3 */
	static const uint8_t code[] = {0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xcc};
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(st(e, 0)->sexp, 0x7fff);
	assert_int_equal(st(e, 0)->mant, 1ULL << 63);
	assert_int_equal(e->cpu.fpu.fsw & (FSW_ZE | FSW_ES), FSW_ZE);

	/* fldcw [rbx] (ZM clear); fldz; fld1; fdiv st, st(1); fwait; int3 */
	static const uint8_t code2[] = {0xd9, 0x2b, 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0x9b, 0xcc};
	uint16_t cw = 0x037b;
	memcpy(e->bus.ram + ENV_DATA_PA, &cw, 2);
	e->cpu.gpr[RBX] = ENV_DATA;
	x87_init(&e->cpu.fpu);
	env_load_code(e, code2, sizeof(code2));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_MF);
	assert_int_equal(e->cpu.rip, ENV_CODE + 8);
	assert_int_equal(e->cpu.fpu.fsw & (FSW_ZE | FSW_ES | FSW_B), FSW_ZE | FSW_ES | FSW_B);
	assert_int_equal(st(e, 0)->mant, 1ULL << 63); /* the dividend is still 1.0 */
	assert_int_equal(st(e, 0)->sexp, 0x3fff);
	assert_int_equal(e->cpu.fpu.fop, 0x0f1); /* D8 F1 */
	assert_int_equal(e->cpu.fpu.fip, ENV_CODE + 6);
}

/* Pushing a ninth value: stack overflow, IE|SF with C1 = 1, the real indefinite loaded. */
static void test_x87_stack_overflow_loads_indefinite(void **state)
{
	struct cpu_env *e = *state;
	uint8_t code[19];
	for (int i = 0; i < 9; i++) {
		code[2 * i] = 0xd9;
		code[2 * i + 1] = 0xe8;
	}
	code[18] = 0xcc;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.fpu.fsw & (FSW_IE | FSW_SF | FSW_C1), FSW_IE | FSW_SF | FSW_C1);
	assert_int_equal(st(e, 0)->sexp, 0xffff);
	assert_int_equal(st(e, 0)->mant, 0xc000000000000000ULL);
}

/* CR0.TS: x87 instructions #NM; WAIT only with MP; CR0.EM: #NM too. */
static void test_x87_ts_em_raise_nm(void **state)
{
	struct cpu_env *e = *state;
	struct x86_fault f;
	static const uint8_t fld1[] = {0xd9, 0xe8, 0xcc};
	static const uint8_t fwait[] = {0x9b, 0xcc};
	uint64_t cr0 = e->m.cr0;
	assert_true(mmu_set_cr0(&e->m, cr0 | CR0_TS, &f));
	env_load_code(e, fld1, sizeof(fld1));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_NM);
	env_load_code(e, fwait, sizeof(fwait));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_NM);
	assert_true(mmu_set_cr0(&e->m, (cr0 | CR0_TS) & ~CR0_MP, &f));
	env_run_to_int3(e, fwait, sizeof(fwait)); /* TS without MP: WAIT runs */
	assert_true(mmu_set_cr0(&e->m, cr0 | CR0_EM, &f));
	env_load_code(e, fld1, sizeof(fld1));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_NM);
	assert_true(mmu_set_cr0(&e->m, cr0, &f));
}

/* A store to an unmapped page: #PF, and TOP, tags and ST(0) as before (precise). */
static void test_x87_fstp_page_fault_leaves_stack(void **state)
{
	struct cpu_env *e = *state;
	/* fld1; mov rax, 0x20000000; fstp qword [rax]; int3 */
	static const uint8_t code[] = {0xd9, 0xe8, 0x48, 0xc7, 0xc0, 0x00,
				       0x00, 0x00, 0x20, 0xdd, 0x18, 0xcc};
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_PF);
	assert_int_equal(e->cpu.rip, ENV_CODE + 9);
	assert_int_equal(top(e), 7);
	assert_int_equal(st(e, 0)->mant, 1ULL << 63);
}

/* FNSTENV, 32-bit format (SDM Figure 8-9): FCW, FSW, FTW, FIP, FCS|FOP<<16, FDP, FDS;
 * afterwards all exceptions are masked. */
static void test_x87_fnstenv_layout_and_masking(void **state)
{
	struct cpu_env *e = *state;
	/* fld qword [rbx+8]; fnstenv [rbx+0x40]; int3 */
	static const uint8_t code[] = {0xdd, 0x43, 0x08, 0xd9, 0x73, 0x40, 0xcc};
	uint64_t one = 0x3ff0000000000000ULL;
	uint32_t env[7];
	memcpy(e->bus.ram + ENV_DATA_PA + 8, &one, 8);
	e->cpu.gpr[RBX] = ENV_DATA;
	e->cpu.fpu.fcw = 0x027b;
	env_run_to_int3(e, code, sizeof(code));
	memcpy(env, e->bus.ram + ENV_DATA_PA + 0x40, sizeof(env));
	assert_int_equal(env[0] & 0xffff, 0x027b);
	assert_int_equal(env[1] & 0xffff, 0x3800); /* TOP = 7 */
	assert_int_equal(env[2] & 0xffff, 0x3fff); /* R7 valid */
	assert_int_equal(env[3], (uint32_t)ENV_CODE);
	assert_int_equal(env[4], (uint32_t)__USER_CS | 0x543u << 16); /* DD 43 */
	assert_int_equal(env[5], (uint32_t)(ENV_DATA + 8));
	assert_int_equal(e->cpu.fpu.fcw, 0x027f);
}

/* Compatibility mode, 66 FNSTENV: the 14-byte 16-bit protected-mode format (SDM Figure
 * 8-10): FCW, FSW, FTW, FIP[15:0], FCS, FDP[15:0], FDS. */
static void test_x87_fnstenv_16bit_format_in_compat_mode(void **state)
{
	struct cpu_env *e = *state;
	/* fld dword [ebx+4]; fnstenv16 [ebx+0x40]; int3 */
	static const uint8_t code[] = {0xd9, 0x43, 0x04, 0x66, 0xd9, 0x73, 0x40, 0xcc};
	uint32_t one = 0x3f800000;
	uint16_t env[8];
	memset(e->bus.ram + ENV_DATA_PA + 0x40, 0xee, 16);
	memcpy(e->bus.ram + ENV_DATA_PA + 4, &one, 4);
	cpu_enter_compat_mode_flat(&e->cpu);
	e->cpu.gpr[RBX] = ENV_DATA;
	env_run_to_int3(e, code, sizeof(code));
	memcpy(env, e->bus.ram + ENV_DATA_PA + 0x40, sizeof(env));
	assert_int_equal(env[0], 0x037f);
	assert_int_equal(env[1], 0x3800);
	assert_int_equal(env[2], 0x3fff);
	assert_int_equal(env[3], (uint16_t)ENV_CODE);
	assert_int_equal(env[4], __USER32_CS);
	assert_int_equal(env[5], (uint16_t)(ENV_DATA + 4));
	assert_int_equal(env[6], __USER_DS);
	assert_int_equal(env[7], 0xeeee); /* 14 bytes only */
}

/* CPUID.1:EDX advertises FPU, FXSR, SSE and SSE2, not MMX; ECX SSE3 but not SSSE3 or
 * SSE4.1/4.2. */
static void test_x87_cpuid_advertises_what_is_implemented(void **state)
{
	struct cpu_env *e = *state;
	uint32_t r[4];
	cpu_cpuid(&e->cpu, 1, 0, r);
	assert_true(r[3] & 1u << 0);
	assert_true(r[3] & 1u << 24);
	assert_true(r[3] & 1u << 25);
	assert_true(r[3] & 1u << 26);
	assert_false(r[3] & 1u << 23);
	assert_true(r[2] & 1u << 0);
	assert_int_equal(r[2] & (1u << 9 | 1u << 19 | 1u << 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_x87_fld1_faddp_gives_two, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x87_fldpi_follows_rounding_control, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_x87_divide_by_zero_masked_and_unmasked, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_x87_stack_overflow_loads_indefinite, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_x87_ts_em_raise_nm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x87_fstp_page_fault_leaves_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x87_fnstenv_layout_and_masking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x87_fnstenv_16bit_format_in_compat_mode, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_x87_cpuid_advertises_what_is_implemented, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
