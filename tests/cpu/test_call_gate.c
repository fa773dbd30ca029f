/*
 * Far CALL and JMP through call gates in IA-32e mode (SDM Vol. 2 CALL/JMP, "CALL-GATE";
 * Vol. 3, 5.8.3-5.8.6): the gate checks, the target checks, the inward stack switch from
 * TSS.RSP0 with a null SS, the 8-byte frame also from compatibility mode, RETF back, and
 * nothing changed when a step faults; task switches refused in IA-32e mode. (Legacy 32-bit
 * gates with their parameter copy, and task switches, are in test_modes.c.)
 */
#include "tests/cpu/cpu_test_env.h"

#define GATE_IDX 16 /* the gates go after Linux's 16 descriptors */
#define GATE_SEL (GATE_IDX * 8)
#define KTARGET (ENV_CODE + 0x100)
#define RSP0 (ENV_KSTACK + ENV_PAGES * 4096)

static int setup(void **state)
{
	static struct cpu_env e;
	env_init(&e);
	e.m.seg.gdtr.limit = (GATE_IDX + 8) * 8 - 1;
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

/* Writes a 64-bit call gate at GDT entry idx (two entries wide). */
static void put_gate(struct cpu_env *e, unsigned idx, uint16_t target, uint64_t off, unsigned dpl,
		     bool present, uint64_t hi_extra)
{
	uint64_t lo = (off & 0xffff) | (uint64_t)target << 16 | 0xcULL << 40 | (uint64_t)dpl << 45 |
		      (uint64_t)present << 47 | ((off >> 16) & 0xffff) << 48;
	env_wr64(e, ENV_GDT_PA + idx * 8, lo);
	env_wr64(e, ENV_GDT_PA + idx * 8 + 8, (off >> 32) | hi_extra);
}

/* call far [rdx] (m16:32; the offset is ignored for a gate), then INT3; RDX points at a
 * far pointer to sel. */
static void load_far_call(struct cpu_env *e, uint16_t sel, bool jmp)
{
	const uint8_t code[] = {0xff, jmp ? 0x2a : 0x1a, 0xcc};
	env_load_code(e, code, sizeof(code));
	env_wr64(e, ENV_DATA_PA + 0x800, (uint64_t)sel << 32 | 0x11223344);
	e->cpu.gpr[RDX] = ENV_DATA + 0x800;
}

static uint64_t kstack(struct cpu_env *e, unsigned slot)
{
	uint64_t v = 0;
	struct x86_fault f;
	assert_true(mmu_read(&e->m, e->cpu.gpr[RSP] + 8 * slot, 8, &v, MMU_IMPLICIT, &f));
	return v;
}

/* CPL 3 calls through a DPL 3 gate into the 64-bit kernel code segment: CPL 0, RSP from
 * TSS.RSP0 (not aligned), SS null with RPL 0, the frame SS, RSP, CS, RIP; RETF (REX.W)
 * comes back to CPL 3 with SS and RSP as they were. */
static void test_call_gate_inward_call_and_retf(void **state)
{
	struct cpu_env *e = *state;
	uint64_t user_rsp = e->cpu.gpr[RSP];
	put_gate(e, GATE_IDX, __KERNEL_CS, KTARGET, 3, true, 0);
	load_far_call(e, GATE_SEL | 3, false);
	static const uint8_t retfq[] = {0x48, 0xcb};
	memcpy(e->bus.ram + ENV_CODE_PA + 0x100, retfq, sizeof(retfq));
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA + 0x100, sizeof(retfq));
	assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(e->cpu.rip, KTARGET);
	assert_int_equal(e->m.cpl, 0);
	assert_int_equal(e->cpu.mode, X86_MODE_64);
	assert_int_equal(e->m.seg.sreg[SEG_CS].selector, __KERNEL_CS);
	assert_int_equal(e->m.seg.sreg[SEG_SS].selector, 0);
	assert_int_equal(e->cpu.gpr[RSP], RSP0 - 32);
	assert_int_equal(kstack(e, 0), ENV_CODE + 2);
	assert_int_equal(kstack(e, 1), __USER_CS);
	assert_int_equal(kstack(e, 2), user_rsp);
	assert_int_equal(kstack(e, 3), __USER_DS);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT); /* RETF, then INT3 */
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.rip, ENV_CODE + 2);
	assert_int_equal(e->m.cpl, 3);
	assert_int_equal(e->m.seg.sreg[SEG_SS].selector, __USER_DS);
	assert_int_equal(e->cpu.gpr[RSP], user_rsp);
}

/* The gate's checks: DPL below CPL or below RPL is #GP(gate), not present #NP(gate), a
 * non-zero type in the upper half #GP(gate). Nothing changes. */
static void test_call_gate_gate_checks(void **state)
{
	struct cpu_env *e = *state;
	uint64_t rsp = e->cpu.gpr[RSP];
	static const struct {
		unsigned dpl;
		bool p;
		uint64_t hi_extra;
		uint16_t rpl;
		unsigned vec;
	} cases[] = {
	    {0, true, 0, 3, X86_VEC_GP},
	    {2, true, 0, 3, X86_VEC_GP},
	    {3, false, 0, 3, X86_VEC_NP},
	    {3, true, 0x5ULL << 40, 3, X86_VEC_GP},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_gate(e, GATE_IDX, __KERNEL_CS, KTARGET, cases[i].dpl, cases[i].p,
			 cases[i].hi_extra);
		load_far_call(e, GATE_SEL | cases[i].rpl, false);
		assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, cases[i].vec);
		assert_int_equal(e->cpu.fault.error_code, GATE_SEL);
		assert_int_equal(e->cpu.rip, ENV_CODE);
		assert_int_equal(e->m.cpl, 3);
		assert_int_equal(e->cpu.gpr[RSP], rsp);
	}
}

/* The target's checks: a null target #GP(0), a 32-bit code segment in IA-32e mode
 * #GP(target), a JMP to a more privileged non-conforming segment #GP(target). */
static void test_call_gate_target_checks(void **state)
{
	struct cpu_env *e = *state;
	put_gate(e, GATE_IDX, 0, KTARGET, 3, true, 0);
	load_far_call(e, GATE_SEL | 3, false);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, 0);
	put_gate(e, GATE_IDX, __USER32_CS, KTARGET, 3, true, 0);
	load_far_call(e, GATE_SEL | 3, false);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, __USER32_CS & ~3);
	put_gate(e, GATE_IDX, __KERNEL_CS, KTARGET, 3, true, 0);
	load_far_call(e, GATE_SEL | 3, true);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, __KERNEL_CS);
	assert_int_equal(e->m.cpl, 3);
}

/* JMP through a gate to the same privilege: no stack change, CS:RIP from the gate. */
static void test_call_gate_jmp_same_privilege(void **state)
{
	struct cpu_env *e = *state;
	uint64_t rsp = e->cpu.gpr[RSP];
	put_gate(e, GATE_IDX, __USER_CS, KTARGET, 3, true, 0);
	load_far_call(e, GATE_SEL | 3, true);
	assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(e->cpu.rip, KTARGET);
	assert_int_equal(e->m.seg.sreg[SEG_CS].selector, __USER_CS);
	assert_int_equal(e->cpu.gpr[RSP], rsp);
	assert_int_equal(e->m.cpl, 3);
}

/* From compatibility mode, the 64-bit gate enters 64-bit mode and pushes 8-byte entries. */
static void test_call_gate_from_compat_mode_pushes_quadwords(void **state)
{
	struct cpu_env *e = *state;
	put_gate(e, GATE_IDX, __KERNEL_CS, KTARGET, 3, true, 0);
	cpu_enter_compat_mode_flat(&e->cpu);
	uint64_t esp = e->cpu.gpr[RSP] = (uint32_t)(ENV_DATA + 0x1000);
	load_far_call(e, GATE_SEL | 3, false);
	assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(e->cpu.mode, X86_MODE_64);
	assert_int_equal(e->cpu.gpr[RSP], RSP0 - 32);
	assert_int_equal(kstack(e, 0), ENV_CODE + 2);
	assert_int_equal(kstack(e, 1), __USER32_CS);
	assert_int_equal(kstack(e, 2), esp);
	assert_int_equal(kstack(e, 3), __USER_DS);
}

/* A fault while pushing on the inner stack (TSS.RSP0 points at nothing): #PF, and CS, SS,
 * RSP, the CPL and the mode are the caller's again. */
static void test_call_gate_fault_on_inner_stack_restores_state(void **state)
{
	struct cpu_env *e = *state;
	uint64_t rsp = e->cpu.gpr[RSP];
	put_gate(e, GATE_IDX, __KERNEL_CS, KTARGET, 3, true, 0);
	env_wr64(e, ENV_TSS_PA + 4, 0x20000000ULL); /* not mapped */
	load_far_call(e, GATE_SEL | 3, false);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_PF);
	assert_int_equal(e->cpu.rip, ENV_CODE);
	assert_int_equal(e->m.cpl, 3);
	assert_int_equal(e->cpu.mode, X86_MODE_64);
	assert_int_equal(e->m.seg.sreg[SEG_CS].selector, __USER_CS);
	assert_int_equal(e->m.seg.sreg[SEG_SS].selector, __USER_DS);
	assert_int_equal(e->cpu.gpr[RSP], rsp);
}

/* A TSS descriptor as a far CALL's target would be a task switch: not modelled, #GP(sel). */
static void test_call_gate_tss_target_is_gp(void **state)
{
	struct cpu_env *e = *state;
	load_far_call(e, GDT_ENTRY_TSS * 8, false);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, GDT_ENTRY_TSS * 8);
}

/* IRET with EFLAGS.NT would be a task return, which IA-32e mode does not have: #GP(0). */
static void test_call_gate_iret_with_nt_in_ia32e_is_gp(void **state)
{
	struct cpu_env *e = *state;
	/* pushfq; or qword [rsp], 0x4000; popfq; iretq */
	static const uint8_t code[] = {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x40,
				       0x00, 0x00, 0x9d, 0x48, 0xcf};
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, 0);
	assert_int_equal(e->cpu.rip, ENV_CODE + 10);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_call_gate_inward_call_and_retf),
	    T(test_call_gate_gate_checks),
	    T(test_call_gate_target_checks),
	    T(test_call_gate_jmp_same_privilege),
	    T(test_call_gate_from_compat_mode_pushes_quadwords),
	    T(test_call_gate_fault_on_inner_stack_restores_state),
	    T(test_call_gate_tss_target_is_gp),
	    T(test_call_gate_iret_with_nt_in_ia32e_is_gp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
