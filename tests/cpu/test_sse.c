/*
 * Directed tests of the SSE model with expected values worked out from the SDM: results
 * of a few operations, and the gating the hardware applies (#UD without CR4.OSFXSR or
 * with CR0.EM, #NM with CR0.TS, #XM or #UD by CR4.OSXMMEXCPT, #GP for misaligned
 * operands and reserved MXCSR bits).
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
	env.cpu.gpr[RBX] = ENV_DATA;
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

static void set_cr4(struct cpu_env *e, uint64_t cr4)
{
	struct x86_fault f;
	assert_true(mmu_set_cr4(&e->m, cr4, &f));
}

/* addsd xmm0, xmm1: 1.5 + 2.25 = 3.75 (400E000000000000h); the upper lane is kept. */
static void test_sse_addsd_adds_low_lane(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xf2, 0x0f, 0x58, 0xc1, 0xcc};
	e->cpu.xmm[0].q[0] = 0x3ff8000000000000ULL;
	e->cpu.xmm[0].q[1] = 0x1122334455667788ULL;
	e->cpu.xmm[1].q[0] = 0x4002000000000000ULL;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.xmm[0].q[0], 0x400e000000000000ULL);
	assert_int_equal(e->cpu.xmm[0].q[1], 0x1122334455667788ULL);
	assert_int_equal(e->cpu.mxcsr, 0x1f80);
}

/* cvtsi2sd xmm0, rax with REX.W: 2^53 + 1 rounds to nearest even 2^53 and sets PE. */
static void test_sse_cvtsi2sd_rexw_rounds_and_sets_pe(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xf2, 0x48, 0x0f, 0x2a, 0xc0, 0xcc};
	e->cpu.gpr[RAX] = (1ULL << 53) + 1;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.xmm[0].q[0], 0x4340000000000000ULL);
	assert_int_equal(e->cpu.mxcsr, 0x1f80 | MXCSR_PE);
}

/* ucomisd with a NaN: unordered, ZF PF CF = 111, OF SF AF cleared. */
static void test_sse_ucomisd_unordered_sets_zf_pf_cf(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x66, 0x0f, 0x2e, 0xc1, 0xcc};
	e->cpu.xmm[0].q[0] = 0x7ff8000000000000ULL;
	e->cpu.xmm[1].q[0] = 0x3ff0000000000000ULL;
	cpu_set_rflags(&e->cpu, RFLAGS_FIXED1 | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF);
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(cpu_rflags(&e->cpu) & STATUS_FLAGS, RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF);
	assert_int_equal(e->cpu.mxcsr & MXCSR_IE, 0); /* QNaN: no IE for UCOMISD */
}

/* divss by zero with ZM clear: #XM, the destination unchanged, ZE set; with
 * CR4.OSXMMEXCPT clear the same is #UD. */
static void test_sse_unmasked_divide_by_zero_raises_xm_or_ud(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xf3, 0x0f, 0x5e, 0xc1, 0xcc};
	uint64_t cr4 = e->m.cr4;
	for (int k = 0; k < 2; k++) {
		e->cpu.xmm[0].d[0] = 0x3f800000;
		e->cpu.xmm[1].d[0] = 0;
		e->cpu.mxcsr = 0x1f80 & ~0x200u;
		if (k)
			set_cr4(e, cr4 & ~CR4_OSXMMEXCPT);
		env_load_code(e, code, sizeof(code));
		assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, k ? X86_VEC_UD : X86_VEC_XM);
		assert_int_equal(e->cpu.rip, ENV_CODE);
		assert_int_equal(e->cpu.xmm[0].d[0], 0x3f800000);
		assert_int_equal(e->cpu.mxcsr & MXCSR_FLAGS, MXCSR_ZE);
	}
	set_cr4(e, cr4);
}

/* Without CR4.OSFXSR SSE is #UD; CR0.EM is #UD; CR0.TS is #NM. */
static void test_sse_gating_by_cr0_cr4(void **state)
{
	struct cpu_env *e = *state;
	struct x86_fault f;
	static const uint8_t code[] = {0x0f, 0x58, 0xc1, 0xcc};
	uint64_t cr0 = e->m.cr0, cr4 = e->m.cr4;
	set_cr4(e, cr4 & ~CR4_OSFXSR);
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_UD);
	set_cr4(e, cr4);
	assert_true(mmu_set_cr0(&e->m, cr0 | CR0_EM, &f));
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_UD);
	assert_true(mmu_set_cr0(&e->m, cr0 | CR0_TS, &f));
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_NM);
	assert_true(mmu_set_cr0(&e->m, cr0, &f));
}

/* addps xmm0, [rbx+4]: misaligned -> #GP(0); with MXCSR.MM (AMD misaligned SSE) it runs,
 * but movaps [rbx+4] still faults. */
static void test_sse_misaligned_operands(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t addps[] = {0x0f, 0x58, 0x43, 0x04, 0xcc};
	static const uint8_t movaps[] = {0x0f, 0x28, 0x43, 0x04, 0xcc};
	env_load_code(e, addps, sizeof(addps));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	e->cpu.mxcsr |= MXCSR_MM;
	env_run_to_int3(e, addps, sizeof(addps));
	env_load_code(e, movaps, sizeof(movaps));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	e->cpu.mxcsr = 0x1f80;
}

/* ldmxcsr with a reserved bit (bit 16) -> #GP(0), MXCSR unchanged. */
static void test_sse_ldmxcsr_reserved_bit_gp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x0f, 0xae, 0x13, 0xcc};
	uint32_t v = 0x10000 | 0x1f80;
	memcpy(e->bus.ram + ENV_DATA_PA, &v, 4);
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.mxcsr, 0x1f80);
}

/* fxsave64 [rbx]: FCW, MXCSR, MXCSR_MASK and XMM15 at their SDM offsets; misaligned #GP. */
static void test_sse_fxsave_layout(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x48, 0x0f, 0xae, 0x03, 0xcc};
	static const uint8_t bad[] = {0x48, 0x0f, 0xae, 0x43, 0x08, 0xcc};
	uint8_t *p = e->bus.ram + ENV_DATA_PA;
	uint16_t fcw;
	uint32_t mx, mask;
	uint64_t x15;
	e->cpu.xmm[15].q[1] = 0xabcdef0123456789ULL;
	env_run_to_int3(e, code, sizeof(code));
	memcpy(&fcw, p, 2);
	memcpy(&mx, p + 24, 4);
	memcpy(&mask, p + 28, 4);
	memcpy(&x15, p + 160 + 15 * 16 + 8, 8);
	assert_int_equal(fcw, 0x037f);
	assert_int_equal(mx, 0x1f80);
	assert_int_equal(mask, 0x2ffff);
	assert_int_equal(x15, 0xabcdef0123456789ULL);
	env_load_code(e, bad, sizeof(bad));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sse_addsd_adds_low_lane, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_cvtsi2sd_rexw_rounds_and_sets_pe, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sse_ucomisd_unordered_sets_zf_pf_cf, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sse_unmasked_divide_by_zero_raises_xm_or_ud, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sse_gating_by_cr0_cr4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_misaligned_operands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_ldmxcsr_reserved_bit_gp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_fxsave_layout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
