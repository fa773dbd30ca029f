/*
 * Tests of the execution loop and basic instructions in 64-bit mode, with expected values
 * worked out by hand from the SDM's instruction pages.
 */
#include <errno.h>

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

/* mov eax, 0xffffffff; add eax, 1 -> 0, CF ZF AF PF set, OF SF clear. */
static void test_exec_add_wraps_sets_cf_zf_af_pf(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xb8, 0xff, 0xff, 0xff, 0xff, 0x83, 0xc0, 0x01, 0xcc};
	e->cpu.gpr[RAX] = 0x1234567800000000ULL;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RAX], 0); /* 32-bit writes zero-extend */
	assert_int_equal(cpu_rflags(&e->cpu) & STATUS_FLAGS,
			 RFLAGS_CF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF);
}

/* mov al, 0x7f; add al, 1 -> 0x80: OF SF AF set. */
static void test_exec_add_byte_signed_overflow_sets_of(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xb0, 0x7f, 0x04, 0x01, 0xcc};
	e->cpu.gpr[RAX] = 0xaaaa;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RAX], 0xaa80);
	assert_int_equal(cpu_rflags(&e->cpu) & STATUS_FLAGS, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF);
}

/* push 5; push 7; pop rax; pop rcx; sub rax, rcx -> 2, RSP back. */
static void test_exec_push_pop_restore_rsp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x6a, 0x05, 0x6a, 0x07, 0x58, 0x59, 0x48, 0x29, 0xc8, 0xcc};
	uint64_t sp = e->cpu.gpr[RSP];
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RAX], 2);
	assert_int_equal(e->cpu.gpr[RCX], 5);
	assert_int_equal(e->cpu.gpr[RSP], sp);
}

/* A loop: ecx = 10; eax = 0; l: add eax, ecx; dec ecx; jnz l -> 55. */
static void test_exec_loop_sums_to_55(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xb9, 0x0a, 0,	 0,    0,    0x31, 0xc0,
				       0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xcc};
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RAX], 55);
	assert_int_equal(e->cpu.icount, 2 + 3 * 10);
}

/* call f; int3; f: mov eax, 42; ret. */
static void test_exec_call_ret_returns_after_call(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xe8, 0x01, 0, 0, 0, 0xcc, 0xb8, 42, 0, 0, 0, 0xc3};
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.rip, ENV_CODE + 5);
	assert_int_equal(e->cpu.gpr[RAX], 42);
}

/* A store to an unmapped address faults precisely: #PF with W|U, CR2, RIP unchanged. */
static void test_exec_store_unmapped_page_faults_precisely(void **state)
{
	struct cpu_env *e = *state;
	/* mov rax, 0x20000000; mov [rax], ecx */
	static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x20, 0x89, 0x08, 0xcc};
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_PF);
	assert_int_equal(e->cpu.fault.error_code, PF_ERR_W | PF_ERR_U);
	assert_int_equal(e->cpu.fault.cr2, 0x20000000);
	assert_int_equal(e->cpu.rip, ENV_CODE + 7);
}

/* Undefined opcode and a privileged instruction at CPL 3. */
static void test_exec_ud2_and_hlt_fault_at_cpl3(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t ud2[] = {0x0f, 0x0b};
	static const uint8_t hlt[] = {0xf4};
	env_load_code(e, ud2, sizeof(ud2));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_UD);
	env_load_code(e, hlt, sizeof(hlt));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, 0);
}

/* cpu_step executes exactly one instruction; cpu_run(n) at most n. */
static void test_exec_step_and_budget(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x90, 0x90, 0x90, 0x90, 0xcc};
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_step(&e->cpu), CPU_EXIT_LIMIT);
	assert_int_equal(e->cpu.rip, ENV_CODE + 1);
	assert_int_equal(cpu_run(&e->cpu, 2), CPU_EXIT_LIMIT);
	assert_int_equal(e->cpu.rip, ENV_CODE + 3);
	assert_int_equal(e->cpu.icount, 3);
}

/* HLT at CPL 0 leaves cpu_run with CPU_EXIT_HLT, RIP after the HLT. */
static void test_exec_hlt_at_cpl0_exits(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x90, 0xf4, 0x90};
	cpu_enter_long_mode_flat(&e->cpu, 0);
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_HLT);
	assert_int_equal(e->cpu.rip, ENV_CODE + 2);
	assert_true(e->cpu.halted);
}

static enum kentry_ret jump_entry(struct cpu *cpu, void *opaque)
{
	cpu->rip = *(uint64_t *)opaque;
	cpu_request_stop(cpu);
	return KENTRY_CONTINUE;
}

/* A kernel entry that sets RIP itself (KENTRY_CONTINUE) and asks to stop: cpu_run returns
 * CPU_EXIT_STOP with RIP where the entry put it. */
static void test_exec_kentry_continue_and_request_stop(void **state)
{
	struct cpu_env *e = *state;
	static uint64_t target = ENV_CODE + 1;
	static const uint8_t code[] = {0x90, 0x90};
	assert_int_equal(cpu_register_kentry(&e->cpu, ENV_CODE, jump_entry, &target, "j"), 0);
	assert_int_equal(cpu_register_kentry(&e->cpu, ENV_CODE, jump_entry, &target, "j"), -EEXIST);
	cpu_enter_long_mode_flat(&e->cpu, 0);
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_STOP);
	assert_int_equal(e->cpu.rip, ENV_CODE + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_add_wraps_sets_cf_zf_af_pf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_add_byte_signed_overflow_sets_of, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_push_pop_restore_rsp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_loop_sums_to_55, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_call_ret_returns_after_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_store_unmapped_page_faults_precisely, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_ud2_and_hlt_fault_at_cpl3, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_step_and_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_hlt_at_cpl0_exits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_kentry_continue_and_request_stop, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
