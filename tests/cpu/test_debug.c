/*
 * Debug and alignment-check exceptions: the single-step trap of EFLAGS.TF (SDM Vol. 3,
 * 18.3.1.4), the debug registers (MOV DRn), and #AC (SDM Vol. 3, 6.15, interrupt 17) at
 * CPL 3 with CR0.AM and EFLAGS.AC. guests/debug_traps compares the same behaviour, as a
 * program sees it through Linux's signals, with the host CPU.
 */
#include "cpu/fpu.h"
#include "tests/cpu/cpu_test_env.h"

static int setup(void **state)
{
	static struct cpu_env e;
	env_init(&e);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

static void set_flags(struct cpu_env *e, uint64_t set)
{
	cpu_set_rflags(&e->cpu, cpu_rflags(&e->cpu) | set);
}

/* Runs from RIP until the next stop, which must be a fault of vector vec. */
static void run_to_fault(struct cpu_env *e, unsigned vec)
{
	assert_int_equal(cpu_run(&e->cpu, 1000), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, vec);
}

/* ---- single step ---- */

/* Under TF every instruction is followed by #DB, with RIP at the next instruction and
 * DR6.BS set; #DB has no error code. */
static void test_debug_tf_traps_after_each_instruction(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x90, 0xff, 0xc0, 0x48, 0x89, 0xc1, 0xcc}; /* nop; inc eax;
										      mov rcx, rax */
	env_load_code(e, code, sizeof(code));
	set_flags(e, RFLAGS_TF);
	e->cpu.gpr[RAX] = 41;
	static const uint64_t after[] = {1, 3, 6};
	for (unsigned i = 0; i < 3; i++) {
		run_to_fault(e, X86_VEC_DB);
		assert_false(e->cpu.fault.has_error_code);
		assert_int_equal(e->cpu.rip, ENV_CODE + after[i]);
		assert_int_equal(e->cpu.icount, i + 1);
		assert_true(e->cpu.dr6 & DR6_BS);
	}
	assert_int_equal(e->cpu.gpr[RCX], 42);
}

/* The POPF that sets TF is not followed by a trap, the next instruction is; the POPF that
 * clears it is. */
static void test_debug_popf_sets_tf_for_the_next_instruction(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {
	    0x9c,			      /* pushfq */
	    0x9c,			      /* pushfq */
	    0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, /* or qword [rsp], 0x100 */
	    0x9d,			      /* popfq: TF on */
	    0x90,			      /* nop: traps after */
	    0x9d,			      /* popfq: TF off, traps after */
	    0x90,			      /* nop: no trap */
	    0xcc};
	env_load_code(e, code, sizeof(code));
	run_to_fault(e, X86_VEC_DB);
	assert_int_equal(e->cpu.rip, ENV_CODE + 12);
	run_to_fault(e, X86_VEC_DB);
	assert_int_equal(e->cpu.rip, ENV_CODE + 13);
	assert_false(cpu_rflags(&e->cpu) & RFLAGS_TF);
	run_to_fault(e, X86_VEC_BP);
}

/* REP MOVSB under TF: a trap after every iteration, RIP at the instruction until RCX is 0. */
static void test_debug_tf_traps_after_every_rep_iteration(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0xf3, 0xa4, 0x90, 0xcc}; /* rep movsb; nop */
	env_load_code(e, code, sizeof(code));
	e->cpu.gpr[RSI] = ENV_DATA;
	e->cpu.gpr[RDI] = ENV_DATA + 0x100;
	e->cpu.gpr[RCX] = 3;
	set_flags(e, RFLAGS_TF);
	for (uint64_t left = 2; left > 0; left--) {
		run_to_fault(e, X86_VEC_DB);
		assert_int_equal(e->cpu.rip, ENV_CODE);
		assert_int_equal(e->cpu.gpr[RCX], left);
	}
	run_to_fault(e, X86_VEC_DB);
	assert_int_equal(e->cpu.rip, ENV_CODE + 2);
	assert_int_equal(e->cpu.gpr[RCX], 0);
	assert_int_equal(e->cpu.gpr[RDI], ENV_DATA + 0x103);
}

/* A faulting instruction completes nothing, so it raises its fault and no #DB. */
static void test_debug_fault_under_tf_is_not_a_trap(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x0f, 0x0b}; /* ud2 */
	env_load_code(e, code, sizeof(code));
	set_flags(e, RFLAGS_TF);
	run_to_fault(e, X86_VEC_UD);
	assert_int_equal(e->cpu.rip, ENV_CODE);
	assert_false(e->cpu.dr6 & DR6_BS);
}

/* Single stepping through a loop delivered through the IDT: the #DB handler (a kernel
 * entry that counts and returns with IRET, as Linux's does) sees every instruction the
 * loop runs, although the loop's blocks are cached and run without single stepping once
 * TF is clear. INT3 at the end enters the kernel and so gives no #DB of its own. */
struct step_count {
	unsigned db, bp;
	uint64_t last_rip;
};

static enum kentry_ret count_db(struct cpu *cpu, void *opaque)
{
	struct step_count *c = opaque;
	uint64_t rip = 0;
	struct x86_fault f;
	assert_true(mmu_read(cpu->mmu, cpu->gpr[RSP], 8, &rip, 0, &f));
	c->db++;
	c->last_rip = rip;
	return KENTRY_IRET;
}

static enum kentry_ret stop_bp(struct cpu *cpu, void *opaque)
{
	(void)cpu;
	((struct step_count *)opaque)->bp++;
	return KENTRY_STOP;
}

static void test_debug_idt_delivery_counts_every_instruction(void **state)
{
	struct cpu_env *e = *state;
	struct step_count c = {0};
	static const uint8_t code[] = {
	    0xb9, 0x32, 0x00, 0x00, 0x00, /* mov ecx, 50 */
	    0xff, 0xc9,		      /* L: dec ecx */
	    0x75, 0xfc,		      /* jnz L */
	    0xcc};
	e->cpu.stop_on_fault = false;
	assert_int_equal(cpu_register_kentry(&e->cpu, ENV_KTEXT + 16 * X86_VEC_DB, count_db, &c, "db"),
			 0);
	assert_int_equal(cpu_register_kentry(&e->cpu, ENV_KTEXT + 16 * X86_VEC_BP, stop_bp, &c, "bp"),
			 0);
	/* the loop runs once without TF, so that its blocks are in the cache */
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100000), CPU_EXIT_STOP);
	assert_int_equal(c.db, 0);
	assert_int_equal(c.bp, 1);
	e->cpu.rip = ENV_CODE;
	cpu_enter_long_mode_flat(&e->cpu, 3);
	e->cpu.gpr[RSP] = ENV_DATA + ENV_PAGES * 4096 - 64;
	set_flags(e, RFLAGS_TF);
	assert_int_equal(cpu_run(&e->cpu, 100000), CPU_EXIT_STOP);
	assert_int_equal(c.db, 1 + 50 * 2);
	assert_int_equal(c.last_rip, ENV_CODE + 9); /* after the last jnz */
	assert_int_equal(c.bp, 2);
}

/* ---- debug registers ---- */

static void test_debug_mov_dr_at_cpl3_is_gp(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x0f, 0x21, 0xf8}; /* mov rax, dr7 */
	env_load_code(e, code, sizeof(code));
	run_to_fault(e, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, 0);
}

static void test_debug_mov_dr_reads_and_writes_at_cpl0(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {
	    0x0f, 0x21, 0xf0, /* mov rax, dr6 */
	    0x48, 0x89, 0xc3, /* mov rbx, rax */
	    0x0f, 0x23, 0xf9, /* mov dr7, rcx */
	    0x0f, 0x21, 0xea, /* mov rdx, dr5 (DR7: CR4.DE is clear) */
	    0x0f, 0x23, 0xc6, /* mov dr0, rsi */
	    0x0f, 0x21, 0xc7, /* mov rdi, dr0 */
	    0xcc};
	cpu_enter_long_mode_flat(&e->cpu, 0);
	e->cpu.gpr[RCX] = 0xffffffffULL;
	e->cpu.gpr[RSI] = 0x123456789abcULL;
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RBX], 0xffff0ff0ULL);
	/* bits 11, 12, 14 and 15 of DR7 read as 0, bit 10 as 1 */
	assert_int_equal(e->cpu.gpr[RDX], 0xffff27ffULL);
	assert_int_equal(e->cpu.gpr[RDI], 0x123456789abcULL);
}

static void test_debug_mov_dr_faults(void **state)
{
	struct cpu_env *e = *state;
	struct x86_fault f;
	static const uint8_t upper[] = {0x0f, 0x23, 0xf0}; /* mov dr6, rax: upper half set */
	static const uint8_t dr4[] = {0x0f, 0x21, 0xe0};   /* mov rax, dr4 */
	static const uint8_t dr8[] = {0x44, 0x0f, 0x21, 0xc0}; /* mov rax, dr8 */
	cpu_enter_long_mode_flat(&e->cpu, 0);
	e->cpu.gpr[RAX] = 1ULL << 32;
	env_load_code(e, upper, sizeof(upper));
	run_to_fault(e, X86_VEC_GP);
	env_load_code(e, dr8, sizeof(dr8));
	run_to_fault(e, X86_VEC_UD);
	assert_true(mmu_set_cr4(&e->m, e->m.cr4 | CR4_DE, &f));
	env_load_code(e, dr4, sizeof(dr4));
	run_to_fault(e, X86_VEC_UD);
}

/* ---- alignment check ---- */

static void enable_ac(struct cpu_env *e)
{
	struct x86_fault f;
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 | CR0_AM, &f));
	set_flags(e, RFLAGS_AC);
}

/* A misaligned load: #AC with error code 0, nothing loaded, RIP at the instruction. */
static void test_debug_ac_on_misaligned_load(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x8b, 0x02, 0xcc}; /* mov eax, [rdx] */
	enable_ac(e);
	e->cpu.gpr[RDX] = ENV_DATA + 2;
	e->cpu.gpr[RAX] = 7;
	env_load_code(e, code, sizeof(code));
	run_to_fault(e, X86_VEC_AC);
	assert_true(e->cpu.fault.has_error_code);
	assert_int_equal(e->cpu.fault.error_code, 0);
	assert_int_equal(e->cpu.rip, ENV_CODE);
	assert_int_equal(e->cpu.gpr[RAX], 7);
	e->cpu.gpr[RDX] = ENV_DATA + 4; /* aligned: loads */
	env_run_to_int3(e, code, sizeof(code));
}

/* #AC needs all three of CPL 3, CR0.AM and EFLAGS.AC. */
static void test_debug_ac_needs_cpl3_am_and_ac(void **state)
{
	struct cpu_env *e = *state;
	struct x86_fault f;
	static const uint8_t code[] = {0x89, 0x02, 0xcc}; /* mov [rdx], eax */
	e->cpu.gpr[RDX] = ENV_DATA + 1;
	set_flags(e, RFLAGS_AC); /* CR0.AM clear */
	env_run_to_int3(e, code, sizeof(code));
	enable_ac(e);
	cpu_set_rflags(&e->cpu, cpu_rflags(&e->cpu) & ~RFLAGS_AC);
	env_run_to_int3(e, code, sizeof(code));
	set_flags(e, RFLAGS_AC);
	env_load_code(e, code, sizeof(code));
	run_to_fault(e, X86_VEC_AC);
	cpu_enter_long_mode_flat(&e->cpu, 0); /* CPL 0 */
	env_run_to_int3(e, code, sizeof(code));
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 & ~CR0_AM, &f));
	cpu_enter_long_mode_flat(&e->cpu, 3);
	env_run_to_int3(e, code, sizeof(code));
}

/* Every kind of data access is checked at its own width: a push onto a misaligned stack, a
 * 16-byte SSE operand on an 8-byte boundary (checked for 16 although it is read as two
 * 8-byte halves), a misaligned access to a page that is not present (#AC first, as on the
 * reference AMD CPU); byte accesses and 8-byte-aligned x87 tbytes pass. */
static void test_debug_ac_widths_and_priority(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t push[] = {0x6a, 0x01, 0xcc};		/* push 1 */
	static const uint8_t movdqu[] = {0xf3, 0x0f, 0x6f, 0x02, 0xcc}; /* movdqu xmm0, [rdx] */
	static const uint8_t movb[] = {0x8a, 0x02, 0xcc};		/* mov al, [rdx] */
	static const uint8_t fldt[] = {0xdb, 0x2a, 0xdd, 0xd8, 0xcc};	/* fld tbyte [rdx]; fstp st0 */
	static const uint8_t load[] = {0x8b, 0x02, 0xcc};		/* mov eax, [rdx] */
	struct x86_fault f;
	assert_true(mmu_set_cr4(&e->m, e->m.cr4 | CR4_OSFXSR, &f));
	enable_ac(e);
	e->cpu.gpr[RSP] = ENV_DATA + 0x803;
	env_load_code(e, push, sizeof(push));
	run_to_fault(e, X86_VEC_AC);
	assert_int_equal(e->cpu.gpr[RSP], ENV_DATA + 0x803);
	e->cpu.gpr[RSP] = ENV_DATA + 0x800;
	e->cpu.gpr[RDX] = ENV_DATA + 8;
	env_load_code(e, movdqu, sizeof(movdqu));
	run_to_fault(e, X86_VEC_AC);
	e->cpu.gpr[RDX] = ENV_DATA + 16;
	env_run_to_int3(e, movdqu, sizeof(movdqu));
	e->cpu.gpr[RDX] = ENV_DATA + 3;
	env_run_to_int3(e, movb, sizeof(movb));
	e->cpu.gpr[RDX] = ENV_DATA + 8;
	env_run_to_int3(e, fldt, sizeof(fldt));
	e->cpu.gpr[RDX] = ENV_DATA + 4;
	env_load_code(e, fldt, sizeof(fldt));
	run_to_fault(e, X86_VEC_AC);
	e->cpu.gpr[RDX] = ENV_DATA + 0x200000 + 1; /* not mapped */
	env_load_code(e, load, sizeof(load));
	run_to_fault(e, X86_VEC_AC);
	e->cpu.gpr[RDX] = ENV_DATA + 0x200000;
	env_load_code(e, load, sizeof(load));
	run_to_fault(e, X86_VEC_PF);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_debug_tf_traps_after_each_instruction),
	    T(test_debug_popf_sets_tf_for_the_next_instruction),
	    T(test_debug_tf_traps_after_every_rep_iteration),
	    T(test_debug_fault_under_tf_is_not_a_trap),
	    T(test_debug_idt_delivery_counts_every_instruction),
	    T(test_debug_mov_dr_at_cpl3_is_gp),
	    T(test_debug_mov_dr_reads_and_writes_at_cpl0),
	    T(test_debug_mov_dr_faults),
	    T(test_debug_ac_on_misaligned_load),
	    T(test_debug_ac_needs_cpl3_am_and_ac),
	    T(test_debug_ac_widths_and_priority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
