/*
 * Bad input: random byte strings executed as code, at CPL 3 in 64-bit and compatibility
 * mode and at CPL 0 (where they may rewrite control registers, descriptor tables and
 * MSRs). The only acceptable outcomes are architectural: the budget runs out, HLT, an
 * exception with a vector the SDM defines, or a shutdown. Under the sanitizer build
 * (MMEMU_SANITIZE) any access outside guest RAM or undefined behaviour stops the test.
 */
#include "tests/cpu/cpu_test_env.h"

#define CASES_USER 4000
#define CASES_KERNEL 400
#define CODE_BYTES 256
#define BUDGET 400

/* Vectors an instruction can raise by itself (no NMI, no #MC, no interrupts). */
static bool architectural(uint8_t v)
{
	switch (v) {
	case X86_VEC_DE:
	case X86_VEC_DB:
	case X86_VEC_BP:
	case X86_VEC_OF:
	case X86_VEC_BR:
	case X86_VEC_UD:
	case X86_VEC_NM:
	case X86_VEC_TS:
	case X86_VEC_NP:
	case X86_VEC_SS:
	case X86_VEC_GP:
	case X86_VEC_PF:
	case X86_VEC_MF:
	case X86_VEC_AC:
	case X86_VEC_XM:
		return true;
	default:
		return v >= 32; /* INT n */
	}
}

static void fill_random(struct cpu_env *e, uint64_t *s)
{
	uint8_t code[CODE_BYTES];
	for (int i = 0; i < CODE_BYTES; i++)
		code[i] = (uint8_t)env_rnd(s);
	env_load_code(e, code, sizeof(code));
	for (int i = 0; i < 16; i++)
		e->cpu.gpr[i] = env_rnd(s) % 4 ? ENV_DATA + (env_rnd(s) & 0xfff) : env_rnd(s);
}

/* True when the instruction at RIP is INT imm8 with imm8 == vec (which may name any
 * vector, reported as such with stop_on_fault). */
static bool int_n_at_rip(struct cpu_env *e, uint8_t vec)
{
	uint64_t a, b;
	struct x86_fault f;
	uint64_t la = e->cpu.rip + (e->cpu.mode == X86_MODE_64 ? 0 : e->m.seg.sreg[SEG_CS].base);
	return mmu_read(&e->m, la, 1, &a, 0, &f) && mmu_read(&e->m, la + 1, 1, &b, 0, &f) &&
	       a == 0xcd && b == vec;
}

static void check_outcome(struct cpu_env *e, enum cpu_exit x, unsigned *stats)
{
	stats[x]++;
	if (x == CPU_EXIT_FAULT) {
		if (!architectural(e->cpu.fault.vector) && !int_n_at_rip(e, e->cpu.fault.vector))
			fail_msg("vector %u at %#llx", e->cpu.fault.vector,
				 (unsigned long long)e->cpu.rip);
	} else {
		assert_true(x == CPU_EXIT_LIMIT || x == CPU_EXIT_HLT || x == CPU_EXIT_SHUTDOWN ||
			    x == CPU_EXIT_STOP);
	}
}

static void run_user(bool compat, uint64_t seed)
{
	static struct cpu_env e;
	unsigned stats[8] = {0};
	uint64_t s = seed;
	env_init(&e);
	for (int i = 0; i < CASES_USER; i++) {
		if (compat)
			cpu_enter_compat_mode_flat(&e.cpu);
		else
			cpu_enter_long_mode_flat(&e.cpu, 3);
		e.m.seg.sreg[SEG_FS].base = 0;
		e.m.seg.sreg[SEG_GS].base = 0;
		fill_random(&e, &s);
		cpu_set_rflags(&e.cpu, env_rnd(&s) & (RFLAGS_STATUS | RFLAGS_DF));
		check_outcome(&e, cpu_run(&e.cpu, BUDGET), stats);
		assert_int_equal(e.m.cpl, 3); /* nothing a user program runs raises its privilege */
	}
	fprintf(stderr, "robust %s: %u faults, %u budget, %u other\n", compat ? "compat" : "64-bit",
		stats[CPU_EXIT_FAULT], stats[CPU_EXIT_LIMIT],
		CASES_USER - stats[CPU_EXIT_FAULT] - stats[CPU_EXIT_LIMIT]);
	env_destroy(&e);
}

static void test_robust_random_code_user_64_only_architectural_faults(void **state)
{
	run_user(false, 0x1234567887654321ULL);
}

static void test_robust_random_code_user_compat_only_architectural_faults(void **state)
{
	run_user(true, 0x0badc0ffee0ddf00ULL);
}

/* CPL 0 with exceptions delivered through the IDT to unregistered kernel text: delivery
 * itself then faults (#PF on the unmapped text), so runs end in a shutdown, a HLT, a
 * fault the stop_on_fault setting reports, or the budget. */
static void test_robust_random_code_kernel_only_architectural_outcomes(void **state)
{
	static struct cpu_env e;
	unsigned stats[8] = {0};
	uint64_t s = 0xfeedfacecafebeefULL;
	for (int i = 0; i < CASES_KERNEL; i++) {
		env_init(&e);
		cpu_enter_long_mode_flat(&e.cpu, 0);
		e.cpu.stop_on_fault = (i & 1) != 0;
		e.cpu.msg_out = NULL;
		fill_random(&e, &s);
		check_outcome(&e, cpu_run(&e.cpu, BUDGET), stats);
		env_destroy(&e);
	}
	fprintf(stderr, "robust kernel: %u faults, %u budget, %u halts, %u shutdowns\n",
		stats[CPU_EXIT_FAULT], stats[CPU_EXIT_LIMIT], stats[CPU_EXIT_HLT],
		stats[CPU_EXIT_SHUTDOWN]);
}

/* A kernel that survives anything: skips the faulting byte and returns with IRET (or
 * SYSRET for system calls). */
static bool has_error_code(unsigned vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 ||
	       vec == 30;
}

static enum kentry_ret skip_byte_entry(struct cpu *cpu, void *opaque)
{
	unsigned vec = (unsigned)(uintptr_t)opaque;
	struct x86_fault f;
	uint64_t rip;
	if (has_error_code(vec))
		cpu->gpr[RSP] += 8;
	if (!mmu_read(cpu->mmu, cpu->gpr[RSP], 8, &rip, 0, &f) ||
	    !mmu_write(cpu->mmu, cpu->gpr[RSP], 8, rip + 1, 0, &f))
		return KENTRY_STOP;
	return KENTRY_IRET;
}

static enum kentry_ret syscall_entry(struct cpu *cpu, void *opaque)
{
	return KENTRY_SYSRET;
}

/* Random code at CPL 3 with exceptions delivered through the IDT to entries that skip a
 * byte and IRET: thousands of deliveries and returns from arbitrary user states (null
 * data segments, odd stacks, flags) must stay architectural, and the CPU is only ever in
 * user code or at a kernel entry. */
static void test_robust_random_code_with_delivery_and_iret(void **state)
{
	static struct cpu_env e;
	unsigned stats[8] = {0};
	uint64_t s = 0x5eed5eed5eed5eedULL;
	env_init(&e);
	e.cpu.stop_on_fault = false;
	e.cpu.msg_out = NULL;
	for (unsigned v = 0; v < 256; v++)
		assert_int_equal(cpu_register_kentry(&e.cpu, ENV_KTEXT + 16 * v, skip_byte_entry,
						     (void *)(uintptr_t)v, "skip"),
				 0);
	assert_true(cpu_wrmsr(&e.cpu, MSR_STAR,
			      ((uint64_t)(__USER32_CS - 3) << 48) | ((uint64_t)__KERNEL_CS << 32)));
	assert_true(cpu_wrmsr(&e.cpu, MSR_LSTAR, ENV_KTEXT + 0x1000));
	assert_true(cpu_wrmsr(&e.cpu, MSR_CSTAR, ENV_KTEXT + 0x1000));
	assert_int_equal(
	    cpu_register_kentry(&e.cpu, ENV_KTEXT + 0x1000, syscall_entry, NULL, "sys"), 0);
	for (int i = 0; i < CASES_USER / 4; i++) {
		if (i & 1)
			cpu_enter_compat_mode_flat(&e.cpu);
		else
			cpu_enter_long_mode_flat(&e.cpu, 3);
		e.m.seg.sreg[SEG_FS].base = 0;
		e.m.seg.sreg[SEG_GS].base = 0;
		fill_random(&e, &s);
		e.cpu.gpr[RSP] = ENV_DATA + 0x800 + (env_rnd(&s) & 0x7f8);
		cpu_set_rflags(&e.cpu, env_rnd(&s) & (RFLAGS_STATUS | RFLAGS_DF));
		enum cpu_exit x = cpu_run(&e.cpu, BUDGET);
		stats[x]++;
		assert_true(x == CPU_EXIT_LIMIT || x == CPU_EXIT_STOP || x == CPU_EXIT_SHUTDOWN);
		/* The budget ends in user code, or at a kernel entry about to run. */
		bool at_entry =
		    e.m.cpl == 0 && e.cpu.rip >= ENV_KTEXT && e.cpu.rip <= ENV_KTEXT + 0x1000;
		if (x == CPU_EXIT_LIMIT && e.m.cpl != 3 && !at_entry)
			fail_msg("budget ran out at CPL %u, RIP %#llx", e.m.cpl,
				 (unsigned long long)e.cpu.rip);
		if (x == CPU_EXIT_SHUTDOWN) { /* a fresh machine for the next case */
			env_destroy(&e);
			env_init(&e);
		}
	}
	fprintf(stderr, "robust delivery: %u budget, %u stops, %u shutdowns, %llu deliveries\n",
		stats[CPU_EXIT_LIMIT], stats[CPU_EXIT_STOP], stats[CPU_EXIT_SHUTDOWN],
		(unsigned long long)e.cpu.nr_faults);
	env_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_robust_random_code_user_64_only_architectural_faults),
	    cmocka_unit_test(test_robust_random_code_user_compat_only_architectural_faults),
	    cmocka_unit_test(test_robust_random_code_kernel_only_architectural_outcomes),
	    cmocka_unit_test(test_robust_random_code_with_delivery_and_iret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
