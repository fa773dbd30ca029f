/*
 * The guest's FPU state held by the host FPU while guest code runs (cpu/fpu_owner.c): it
 * must come back into struct cpu whenever someone else can look -- cpu_run and cpu_step
 * returning, a kernel entry (system call, page fault), FXSAVE/FNSAVE, STMXCSR -- with the
 * host's own FPU state given back, and faults in the middle of a sequence must stay
 * precise. Expected values are worked out from the SDM or taken from the host CPU itself.
 */
#include "tests/cpu/cpu_test_env.h"
#include "cpu/fpu.h"

/* 1.0, 2.0, 3.0 and pi (FLDPI to nearest) in the 80-bit format; 1.0 as a double. */
#define ONE_MANT (1ULL << 63)
#define ONE_SEXP 0x3fff
#define THREE_MANT (3ULL << 62)
#define PI_MANT 0xc90fdaa22168c235ULL
#define PI_SEXP 0x4000
#define DOUBLE_ONE 0x3ff0000000000000ULL
#define DOUBLE_PI 0x400921fb54442d18ULL

/* The first unmapped user page (outside the test machine's code/data/stack pages). */
#define UNMAPPED 0x20000000ULL

/* What a kernel entry saw of the FPU. */
struct seen {
	int calls;
	uint8_t held;	     /* cpu->fpu_held on entry */
	uint16_t fsw;	     /* the guest's FSW */
	struct x87_reg st0;  /* ST(0) */
	struct x87_reg st1;  /* ST(1) */
	uint64_t error;	     /* #PF: the error code */
	struct x87_reg put0; /* written into ST(0) when put is set */
	bool put;	     /* the entry changes ST(0) */
	uint64_t map_la;     /* #PF: maps this page, then IRET */
	uint64_t fip, fdp;   /* the guest's last-instruction pointers */
	uint16_t fop, fcs, fds;
};

struct fixture {
	struct cpu_env e;
	struct seen s;
};

static struct x87_reg *st(struct cpu *cpu, unsigned i)
{
	return &cpu->fpu.st[x87_phys(&cpu->fpu, i)];
}

static unsigned top(const struct cpu *cpu)
{
	return (cpu->fpu.fsw >> FSW_TOP_SHIFT) & 7;
}

/* Records what the kernel sees; the state must be in struct cpu. */
static void record(struct cpu *cpu, struct seen *s)
{
	s->calls++;
	s->held = cpu->fpu_held;
	s->fsw = cpu->fpu.fsw;
	s->st0 = *st(cpu, 0);
	s->st1 = *st(cpu, 1);
	s->fip = cpu->fpu.fip;
	s->fdp = cpu->fpu.fdp;
	s->fop = cpu->fpu.fop;
	s->fcs = cpu->fpu.fcs;
	s->fds = cpu->fpu.fds;
	if (s->put)
		*st(cpu, 0) = s->put0;
}

static enum kentry_ret syscall_entry(struct cpu *cpu, void *opaque)
{
	record(cpu, &((struct fixture *)opaque)->s);
	return KENTRY_SYSRET;
}

static enum kentry_ret pf_entry(struct cpu *cpu, void *opaque)
{
	struct fixture *fx = opaque;
	struct x86_fault f;
	record(cpu, &fx->s);
	mmu_read(cpu->mmu, cpu->gpr[RSP], 8, &fx->s.error, 0, &f);
	env_map(&fx->e, fx->s.map_la, ENV_DATA_PA + 15 * 4096, PTE_P | PTE_RW | PTE_US);
	mmu_invlpg(cpu->mmu, fx->s.map_la);
	cpu->gpr[RSP] += 8; /* the error code */
	return KENTRY_IRET;
}

static enum kentry_ret stop_entry(struct cpu *cpu, void *opaque)
{
	(void)cpu;
	(void)opaque;
	return KENTRY_STOP;
}

static int setup(void **state)
{
	static struct fixture fx;
	struct x86_fault f;
	memset(&fx, 0, sizeof(fx));
	env_init(&fx.e);
	assert_true(mmu_set_cr0(&fx.e.m, fx.e.m.cr0 | CR0_MP | CR0_NE, &f));
	assert_true(mmu_set_cr4(&fx.e.m, fx.e.m.cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT, &f));
	fx.e.cpu.gpr[RBX] = ENV_DATA;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	env_destroy(&fx->e);
	return 0;
}

/* The host's x87 control word, status word and tag word, left as they are. */
static void host_x87_env(uint16_t *fcw, uint16_t *fsw, uint16_t *ftw)
{
	uint8_t env[28];
	__asm__ volatile("fnstenv %0\n\tfldenv %0" : "=m"(env) : : "memory");
	memcpy(fcw, env, 2);
	memcpy(fsw, env + 4, 2);
	memcpy(ftw, env + 8, 2);
}

static uint64_t data64(struct fixture *fx, unsigned off)
{
	uint64_t v;
	memcpy(&v, fx->e.bus.ram + ENV_DATA_PA + off, 8);
	return v;
}

/* fld1; fldpi; int3: the state comes back with cpu_run, and the host has its own FPU
 * (control word, empty stack, no flags) and MXCSR again. */
static void test_fpu_owner_run_returns_state_synced_and_host_clean(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xeb, 0xcc};
	uint16_t fcw0, fsw0, ftw0, fcw, fsw, ftw;
	uint32_t mx0 = fpu_host_mxcsr();
	host_x87_env(&fcw0, &fsw0, &ftw0);
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(top(cpu), 6);
	assert_int_equal(st(cpu, 0)->mant, PI_MANT);
	assert_int_equal(st(cpu, 0)->sexp, PI_SEXP);
	assert_int_equal(st(cpu, 1)->mant, ONE_MANT);
	assert_int_equal(st(cpu, 1)->sexp, ONE_SEXP);
	assert_int_equal(cpu->fpu.ftw, 0x0fff); /* R6 and R7 valid */
	assert_int_equal(cpu->fpu.fip, ENV_CODE + 2);
	host_x87_env(&fcw, &fsw, &ftw);
	assert_int_equal(fcw, fcw0);
	assert_int_equal(ftw, 0xffff);
	assert_int_equal(fsw & 0x38ff, 0); /* TOP 0, no flags */
	assert_int_equal(fpu_host_mxcsr(), mx0);
}

/* fld1; fld1; faddp; fld1; faddp; int3, stopped after each instruction: each stop has
 * the state synced, and what is changed in struct cpu between two runs is what the next
 * instruction computes with (1 + 4 = 5 instead of 1 + 1). */
static void test_fpu_owner_insn_limit_mid_sequence_resumes_from_struct(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1,
				       0xd9, 0xe8, 0xde, 0xc1, 0xcc};
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 2), CPU_EXIT_LIMIT);
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(top(cpu), 6);
	*st(cpu, 1) = (struct x87_reg){ONE_MANT, ONE_SEXP + 2}; /* 4.0 */
	assert_int_equal(cpu_step(cpu), CPU_EXIT_LIMIT);	/* faddp: 1 + 4 */
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->mant, 5ULL << 61);
	assert_int_equal(st(cpu, 0)->sexp, ONE_SEXP + 2);
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT); /* fld1; faddp; int3 */
	assert_int_equal(cpu->fault.vector, X86_VEC_BP);
	assert_int_equal(st(cpu, 0)->mant, 3ULL << 62); /* 6.0 */
	assert_int_equal(st(cpu, 0)->sexp, ONE_SEXP + 2);
}

/* fld1; fldpi; syscall; faddp; int3: the system call's C code sees the state in struct
 * cpu (nothing held) and replaces ST(0) with 2.0, which the FADDP after SYSRET uses. */
static void test_fpu_owner_syscall_mid_sequence_kernel_sees_and_changes_state(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xeb, 0x0f, 0x05, 0xde, 0xc1, 0xcc};
	assert_true(cpu_wrmsr(cpu, MSR_STAR,
			      ((uint64_t)(__USER32_CS - 3) << 48) | ((uint64_t)__KERNEL_CS << 32)));
	assert_true(cpu_wrmsr(cpu, MSR_LSTAR, ENV_KTEXT + 0x1000));
	assert_int_equal(cpu_register_kentry(cpu, ENV_KTEXT + 0x1000, syscall_entry, fx, "sys"), 0);
	fx->s.put = true;
	fx->s.put0 = (struct x87_reg){ONE_MANT, ONE_SEXP + 1};
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(fx->s.calls, 1);
	assert_int_equal(fx->s.held, 0);
	assert_int_equal((fx->s.fsw >> FSW_TOP_SHIFT) & 7, 6);
	assert_int_equal(fx->s.st0.mant, PI_MANT);
	assert_int_equal(fx->s.st1.mant, ONE_MANT);
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->mant, THREE_MANT); /* 2.0 + 1.0 */
	assert_int_equal(st(cpu, 0)->sexp, ONE_SEXP + 1);
}

/* fld1; fldpi; mov rax, UNMAPPED; fstp qword [rax]; int3, faults delivered to kernel
 * entries: the #PF handler sees the stack before the store (pi still on it, nothing
 * popped), maps the page and returns; the store restarts, pops, and writes pi. */
static void test_fpu_owner_page_fault_in_store_is_precise_and_restarts(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xeb, 0x48, 0xc7, 0xc0,
				       0x00, 0x00, 0x00, 0x20, 0xdd, 0x18, 0xcc};
	cpu->stop_on_fault = false;
	assert_int_equal(cpu_register_kentry(cpu, ENV_KTEXT + 16 * X86_VEC_PF, pf_entry, fx, "pf"),
			 0);
	assert_int_equal(
	    cpu_register_kentry(cpu, ENV_KTEXT + 16 * X86_VEC_BP, stop_entry, fx, "bp"), 0);
	fx->s.map_la = UNMAPPED;
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 1000), CPU_EXIT_STOP);
	assert_int_equal(fx->s.calls, 1);
	assert_int_equal(fx->s.held, 0);
	assert_int_equal(fx->s.error, PF_ERR_W | PF_ERR_U);
	assert_int_equal((fx->s.fsw >> FSW_TOP_SHIFT) & 7, 6);
	assert_int_equal(fx->s.st0.mant, PI_MANT);
	assert_int_equal(fx->s.st1.mant, ONE_MANT);
	assert_int_equal(data64(fx, 15 * 4096), DOUBLE_PI);
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->mant, ONE_MANT);
	assert_int_equal(cpu->fpu.fdp, UNMAPPED);
}

/* fld1; mov rax, UNMAPPED; fadd qword [rax]: the #PF leaves the held state as FLD1 left
 * it (TOP, ST(0), FIP of the FLD1), synced when cpu_run stops on the fault. */
static void test_fpu_owner_page_fault_in_load_leaves_state(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0x48, 0xc7, 0xc0, 0x00,
				       0x00, 0x00, 0x20, 0xdc, 0x00};
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(cpu->fault.vector, X86_VEC_PF);
	assert_int_equal(cpu->rip, ENV_CODE + 9);
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->mant, ONE_MANT);
	assert_int_equal(st(cpu, 0)->sexp, ONE_SEXP);
	assert_int_equal(cpu->fpu.fip, ENV_CODE);
	assert_int_equal(cpu->fpu.ftw, 0x3fff);
}

/* fld1; fldpi; fxsave [rbx]; int3: the image holds what the host held (SDM Vol. 1,
 * Table 10-2: FCW, FSW with TOP 6, abridged tags C0h, ST0 = pi, ST1 = 1.0). */
static void test_fpu_owner_fxsave_after_held_state_stores_it(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xeb, 0x0f, 0xae, 0x03, 0xcc};
	const uint8_t *img = fx->e.bus.ram + ENV_DATA_PA;
	uint16_t w;
	env_run_to_int3(&fx->e, code, sizeof(code));
	memcpy(&w, img + FX_FCW, 2);
	assert_int_equal(w, 0x037f);
	memcpy(&w, img + FX_FSW, 2);
	assert_int_equal(w, 6 << FSW_TOP_SHIFT);
	assert_int_equal(img[FX_FTW], 0xc0);
	assert_int_equal(data64(fx, FX_ST), PI_MANT);
	memcpy(&w, img + FX_ST + 8, 2);
	assert_int_equal(w, PI_SEXP);
	assert_int_equal(data64(fx, FX_ST + 16), ONE_MANT);
	memcpy(&w, img + FX_ST + 24, 2);
	assert_int_equal(w, ONE_SEXP);
}

/* fld1; fnsave [rbx]; fldpi; int3: FNSAVE stores the held 1.0 after the 28-byte
 * environment and initialises the FPU, so FLDPI lands in R7 of an empty stack. */
static void test_fpu_owner_fnsave_after_held_state_stores_then_inits(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xdd, 0x33, 0xd9, 0xeb, 0xcc};
	uint16_t w;
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(data64(fx, 28), ONE_MANT);
	memcpy(&w, fx->e.bus.ram + ENV_DATA_PA + 36, 2);
	assert_int_equal(w, ONE_SEXP);
	memcpy(&w, fx->e.bus.ram + ENV_DATA_PA + 4, 2);
	assert_int_equal(w, 7 << FSW_TOP_SHIFT); /* the saved TOP */
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->mant, PI_MANT);
	assert_int_equal(cpu->fpu.ftw, 0x3fff);
}

/* The control word FLDCW leaves, as the host CPU itself stores it back after loading
 * FFFFh: fldcw [rbx]; fnstcw [rbx+8]; int3. */
static void test_fpu_owner_fldcw_word_matches_host(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0xd9, 0x2b, 0xd9, 0x7b, 0x08, 0xcc};
	uint16_t all = 0xffff, saved, want, got;
	__asm__ volatile("fnstcw %0\n\tfldcw %2\n\tfnstcw %1\n\tfldcw %0"
			 : "=m"(saved), "=m"(want)
			 : "m"(all));
	memcpy(fx->e.bus.ram + ENV_DATA_PA, &all, 2);
	env_run_to_int3(&fx->e, code, sizeof(code));
	memcpy(&got, fx->e.bus.ram + ENV_DATA_PA + 8, 2);
	assert_int_equal(got, want);
	assert_int_equal(fx->e.cpu.fpu.fcw, want);
}

/* fld1; fldz; fdivp st(1), st; fldcw [rbx] (ZM cleared); fnstsw ax; fld1: the masked
 * divide by zero sets ZE only; unmasking it makes the exception pending (ES, B: SDM Vol.
 * 1, 8.1.3), which FNSTSW sees and the next waiting instruction takes as #MF. */
static void test_fpu_owner_fldcw_uncovering_flag_makes_mf(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9,
				       0xd9, 0x2b, 0xdf, 0xe0, 0xd9, 0xe8};
	uint16_t cw = 0x037f & ~FSW_ZE;
	memcpy(fx->e.bus.ram + ENV_DATA_PA, &cw, 2);
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(cpu->fault.vector, X86_VEC_MF);
	assert_int_equal(cpu->rip, ENV_CODE + 10);
	assert_int_equal(cpu->gpr[RAX] & (FSW_ZE | FSW_ES | FSW_B), FSW_ZE | FSW_ES | FSW_B);
	assert_int_equal(cpu->fpu.fsw & (FSW_ZE | FSW_ES), FSW_ZE | FSW_ES);
	assert_int_equal(cpu->fpu.fcw, cw);
	assert_int_equal(top(cpu), 7);
	assert_int_equal(st(cpu, 0)->sexp, 0x7fff); /* +infinity */
}

/* fld1; fstp qword [rbx]; fldcw [rbx+8] (IM cleared); fstp qword [rbx+16]; fld1: the
 * first store runs on the held state; the second, from an empty stack with IM unmasked,
 * is a stack underflow that leaves its destination and TOP alone and sets ES (SDM Vol. 1,
 * 8.5.1.1), so the FLD1 after it raises #MF. */
static void test_fpu_owner_unmasked_store_underflow_leaves_memory(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xdd, 0x1b, 0xd9, 0x6b,
				       0x08, 0xdd, 0x5b, 0x10, 0xd9, 0xe8};
	uint16_t cw = 0x037f & ~FSW_IE;
	uint64_t pattern = 0x5555aaaa5555aaaaULL;
	memcpy(fx->e.bus.ram + ENV_DATA_PA + 8, &cw, 2);
	memcpy(fx->e.bus.ram + ENV_DATA_PA + 16, &pattern, 8);
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(cpu->fault.vector, X86_VEC_MF);
	assert_int_equal(cpu->rip, ENV_CODE + 10);
	assert_int_equal(data64(fx, 0), DOUBLE_ONE);
	assert_int_equal(data64(fx, 16), pattern);
	assert_int_equal(cpu->fpu.fsw & (FSW_IE | FSW_SF | FSW_ES), FSW_IE | FSW_SF | FSW_ES);
	assert_int_equal(top(cpu), 0);
	assert_int_equal(cpu->fpu.ftw, 0xffff);
}

/* MXCSR with RC = up (4000h), all masked: addsd xmm0, xmm1 (1 + 2^-60) rounds up to the
 * next double and raises PE; stmxcsr [rbx] sees the flag mid-run; mulsd xmm1, xmm1
 * (2^-120, exact) raises nothing more; after the run cpu->mxcsr has PE and the host has
 * its own MXCSR back. */
static void test_fpu_owner_sse_flags_accumulate_under_guest_rounding(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xf2, 0x0f, 0x58, 0xc1, 0x0f, 0xae,
				       0x1b, 0xf2, 0x0f, 0x59, 0xc9, 0xcc};
	uint32_t mx0 = fpu_host_mxcsr(), seen;
	cpu->mxcsr = 0x1f80 | 0x4000;
	cpu->xmm[0] = (union xmm_reg){.q = {DOUBLE_ONE, 0}};
	cpu->xmm[1] = (union xmm_reg){.q = {0x3c30000000000000ULL, 0}}; /* 2^-60 */
	env_run_to_int3(&fx->e, code, sizeof(code));
	memcpy(&seen, fx->e.bus.ram + ENV_DATA_PA, 4);
	assert_int_equal(seen, 0x5f80 | MXCSR_PE);
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(cpu->mxcsr, 0x5f80 | MXCSR_PE);
	assert_int_equal(cpu->xmm[0].q[0], DOUBLE_ONE + 1);
	assert_int_equal(cpu->xmm[1].q[0], 0x3870000000000000ULL); /* 2^-120 */
	assert_int_equal(fpu_host_mxcsr(), mx0);
}

/* addsd xmm0, xmm1 (inexact, masked); ldmxcsr [rbx] (PM cleared); addsd xmm0, xmm1:
 * the first result stands and its PE is replaced by the load; the second raises #XM
 * with xmm0 unchanged and only PE set (SDM Vol. 1, 11.5.2). */
static void test_fpu_owner_sse_unmasked_after_held_mxcsr_faults_precisely(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xf2, 0x0f, 0x58, 0xc1, 0x0f, 0xae,
				       0x13, 0xf2, 0x0f, 0x58, 0xc1};
	uint32_t mx = 0x1f80 & ~0x1000u; /* PM (bit 12) cleared */
	uint32_t mx0 = fpu_host_mxcsr();
	memcpy(fx->e.bus.ram + ENV_DATA_PA, &mx, 4);
	cpu->xmm[0] = (union xmm_reg){.q = {DOUBLE_ONE, 0}};
	cpu->xmm[1] = (union xmm_reg){.q = {0x3c30000000000000ULL, 0}};
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(cpu->fault.vector, X86_VEC_XM);
	assert_int_equal(cpu->rip, ENV_CODE + 7);
	assert_int_equal(cpu->mxcsr, mx | MXCSR_PE);
	assert_int_equal(cpu->xmm[0].q[0], DOUBLE_ONE); /* 1 + 2^-60 to nearest */
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(fpu_host_mxcsr(), mx0);
}

/*
 * The last-instruction pointers of the fast forms (cpu/exec_x87.c: FIP and FOP noted
 * while the host holds the state, put into struct cpu when it gives the state back) seen
 * by every observer as the SDM defines them (Vol. 1, 8.1.8): FIP, FCS and FOP of the
 * last non-control x87 instruction, FDP and FDS of its memory operand if it had one,
 * whatever ran after it. Each sequence starts with a load run by the general form (which
 * takes the state and fills the inline TLB entry of the operand's page), so that the
 * instructions under test run on the held state, the fast way.
 */

/* 32-bit FNSTENV image at off in the data page: FIP, FCS | FOP << 16, FDP, FDS. */
static void env32_pointers(struct fixture *fx, unsigned off, uint32_t *fip, uint32_t *csop,
			   uint32_t *fdp, uint32_t *fds)
{
	const uint8_t *p = fx->e.bus.ram + ENV_DATA_PA + off;
	memcpy(fip, p + 12, 4);
	memcpy(csop, p + 16, 4);
	memcpy(fdp, p + 20, 4);
	memcpy(fds, p + 24, 4);
}

/* xor eax, eax; mov fs, ax; fld qword fs:[rbx+8]; fld qword [rbx+16]; push __USER32_CS;
 * push target; retfq; target (compatibility mode): fnstenv [ebx+0x40]; int3. The far
 * return changes CS after the second FLD: FCS is still the CS the FLD ran in, FIP its
 * offset, FOP DD 43, FDP and FDS its operand's (not the first FLD's). */
static void test_fpu_owner_fnstenv_after_far_return_has_old_cs(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	const uint32_t target = (uint32_t)ENV_CODE + 20;
	const uint8_t code[] = {0x31, 0xc0, 0x8e, 0xe0, 0x64, 0xdd, 0x43, 0x08, 0xdd, 0x43,
				0x10, 0x6a, __USER32_CS,
				0x68, (uint8_t)target, (uint8_t)(target >> 8), (uint8_t)(target >> 16),
				(uint8_t)(target >> 24), 0x48, 0xcb, 0xd9, 0x73, 0x40, 0xcc};
	uint16_t ds = fx->e.m.seg.sreg[SEG_DS].selector;
	uint32_t fip, csop, fdp, fds;
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(cpu->mmu->seg.sreg[SEG_CS].selector, __USER32_CS);
	env32_pointers(fx, 0x40, &fip, &csop, &fdp, &fds);
	assert_int_equal(fip, (uint32_t)ENV_CODE + 8);
	assert_int_equal(csop, __USER_CS | 0x543u << 16);
	assert_int_equal(fdp, (uint32_t)ENV_DATA + 16);
	assert_int_equal(fds, 0xffff0000u | ds);
	assert_int_not_equal(ds, 0);
}

/* fld qword [rbx+8] twice; fnclex; fldcw [rbx+0x20]; mov eax, 5; fnstenv [rbx+0x40];
 * int3: neither the control instructions after the FLD nor the MOV change the pointers. */
static void test_fpu_owner_fnstenv_after_control_and_integer_insns_has_fld(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0xdd, 0x43, 0x08, 0xdd, 0x43, 0x08, 0xdb,
				       0xe2, 0xd9, 0x6b, 0x20, 0xb8, 0x05, 0x00,
				       0x00, 0x00, 0xd9, 0x73, 0x40, 0xcc};
	uint16_t cw = 0x037f, ds = fx->e.m.seg.sreg[SEG_DS].selector;
	uint32_t fip, csop, fdp, fds;
	memcpy(fx->e.bus.ram + ENV_DATA_PA + 0x20, &cw, 2);
	env_run_to_int3(&fx->e, code, sizeof(code));
	env32_pointers(fx, 0x40, &fip, &csop, &fdp, &fds);
	assert_int_equal(fip, (uint32_t)ENV_CODE + 3);
	assert_int_equal(csop, __USER_CS | 0x543u << 16);
	assert_int_equal(fdp, (uint32_t)ENV_DATA + 8);
	assert_int_equal(fds, 0xffff0000u | ds);
}

/* xor eax, eax; mov fs, ax; fld qword [rbx+8] twice (the second fast); fld qword
 * fs:[rbx+8] (the general form: FS); fnstenv [rbx+0x40]; fld1; fxch (fast, no operand);
 * fnstenv [rbx+0x60]; int3. The first image has the FS load (the general form's record
 * newer than the fast one's); the second the FXCH's FIP and FOP and still the FS load's
 * FDP and FDS (the null selector, where DS is not). */
static void test_fpu_owner_fnstenv_sees_newest_of_fast_and_general_forms(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0x31, 0xc0, 0x8e, 0xe0, 0xdd, 0x43, 0x08, 0xdd, 0x43,
				       0x08, 0x64, 0xdd, 0x43, 0x08, 0xd9, 0x73, 0x40, 0xd9,
				       0xe8, 0xd9, 0xc9, 0xd9, 0x73, 0x60, 0xcc};
	const uint16_t fs = 0;
	uint32_t fip, csop, fdp, fds;
	assert_int_not_equal(fx->e.m.seg.sreg[SEG_DS].selector, fs);
	env_run_to_int3(&fx->e, code, sizeof(code));
	env32_pointers(fx, 0x40, &fip, &csop, &fdp, &fds);
	assert_int_equal(fip, (uint32_t)ENV_CODE + 10);
	assert_int_equal(csop, __USER_CS | 0x543u << 16);
	assert_int_equal(fdp, (uint32_t)ENV_DATA + 8);
	assert_int_equal(fds, 0xffff0000u | fs);
	env32_pointers(fx, 0x60, &fip, &csop, &fdp, &fds);
	assert_int_equal(fip, (uint32_t)ENV_CODE + 19);
	assert_int_equal(csop, __USER_CS | 0x1c9u << 16); /* D9 C9 */
	assert_int_equal(fdp, (uint32_t)ENV_DATA + 8);
	assert_int_equal(fds, 0xffff0000u | fs);
}

/* fld qword [rbx+8] twice; mov rax, UNMAPPED; mov rax, [rax]: the #PF of the MOV stops
 * the run with the state synced, and the pointers are the second FLD's. */
static void test_fpu_owner_fault_after_fast_load_has_its_pointers(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xdd, 0x43, 0x08, 0xdd, 0x43, 0x08, 0x48, 0xc7,
				       0xc0, 0x00, 0x00, 0x00, 0x20, 0x48, 0x8b, 0x00};
	env_load_code(&fx->e, code, sizeof(code));
	assert_int_equal(cpu_run(cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(cpu->fault.vector, X86_VEC_PF);
	assert_int_equal(cpu->fpu_held, 0);
	assert_int_equal(cpu->fpu.fip, ENV_CODE + 3);
	assert_int_equal(cpu->fpu.fop, 0x543);
	assert_int_equal(cpu->fpu.fcs, __USER_CS);
	assert_int_equal(cpu->fpu.fdp, ENV_DATA + 8);
	assert_int_equal(cpu->fpu.fds, fx->e.m.seg.sreg[SEG_DS].selector);
}

/* fld qword [rbx+8] twice; faddp; syscall; fld1; int3: the system call's C code (which
 * builds signal frames from this state) sees the FADDP's FIP and FOP and the FLD's FDP;
 * after SYSRET the FLD1 (the general form, a register form) replaces FIP and FOP. */
static void test_fpu_owner_kernel_entry_sees_fast_forms_pointers(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xdd, 0x43, 0x08, 0xdd, 0x43, 0x08, 0xde,
				       0xc1, 0x0f, 0x05, 0xd9, 0xe8, 0xcc};
	assert_true(cpu_wrmsr(cpu, MSR_STAR,
			      ((uint64_t)(__USER32_CS - 3) << 48) | ((uint64_t)__KERNEL_CS << 32)));
	assert_true(cpu_wrmsr(cpu, MSR_LSTAR, ENV_KTEXT + 0x1000));
	assert_int_equal(cpu_register_kentry(cpu, ENV_KTEXT + 0x1000, syscall_entry, fx, "sys"), 0);
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(fx->s.calls, 1);
	assert_int_equal(fx->s.held, 0);
	assert_int_equal(fx->s.fip, ENV_CODE + 6);
	assert_int_equal(fx->s.fop, 0x6c1); /* DE C1 */
	assert_int_equal(fx->s.fcs, __USER_CS);
	assert_int_equal(fx->s.fdp, ENV_DATA + 8);
	assert_int_equal(cpu->fpu.fip, ENV_CODE + 10);
	assert_int_equal(cpu->fpu.fop, 0x1e8); /* D9 E8 */
	assert_int_equal(cpu->fpu.fdp, ENV_DATA + 8);
}

/* The host's FSW after fld1; fld1; fldz; fdivp st(1), st (a masked divide by zero: ZE,
 * TOP 6 on an empty stack), its own state given back afterwards. */
static uint16_t host_fsw_after_fdivp_by_zero(void)
{
	uint8_t env[108];
	uint16_t fsw;
	__asm__ volatile("fnsave %1\n\t"
			 "fld1\n\tfld1\n\tfldz\n\t.byte 0xde, 0xf9\n\t"
			 "fnstsw %0\n\t"
			 "frstor %1"
			 : "=a"(fsw), "+m"(env)
			 :
			 : "memory");
	return fsw;
}

/* fld1; fld1; fldz; fdivp st(1), st (fast: the FSW stays on the host); fwait; fnstsw ax;
 * fnstsw [rbx]; int3: both see the FSW the host CPU makes, and so does struct cpu. */
static void test_fpu_owner_fnstsw_after_fast_forms_sees_host_fsw(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9,
				       0x9b, 0xdf, 0xe0, 0xdd, 0x3b, 0xcc};
	uint16_t want = host_fsw_after_fdivp_by_zero(), w;
	assert_int_equal(want & (FSW_ZE | FSW_ES | 0x3800), FSW_ZE | 6 << FSW_TOP_SHIFT);
	cpu->gpr[RAX] = 0;
	env_run_to_int3(&fx->e, code, sizeof(code));
	memcpy(&w, fx->e.bus.ram + ENV_DATA_PA, 2);
	assert_int_equal(cpu->gpr[RAX], want);
	assert_int_equal(w, want);
	assert_int_equal(cpu->fpu.fsw, want);
}

/* fld1; fldcw [rbx] (ZM cleared); fldcw [rbx+2] (all masked again); fldz; fdivp st(1),
 * st; fnstsw ax; fld1; int3: masking every exception again lets the divide by zero set
 * ZE alone, so nothing is pending for the FLD1 after it. */
static void test_fpu_owner_fldcw_masking_again_leaves_nothing_pending(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xd9, 0xe8, 0xd9, 0x2b, 0xd9, 0x6b, 0x02, 0xd9, 0xee,
				       0xde, 0xf9, 0xdf, 0xe0, 0xd9, 0xe8, 0xcc};
	uint16_t cw[2] = {0x037f & ~FSW_ZE, 0x037f};
	memcpy(fx->e.bus.ram + ENV_DATA_PA, cw, sizeof(cw));
	env_run_to_int3(&fx->e, code, sizeof(code));
	assert_int_equal(cpu->gpr[RAX] & (FSW_ZE | FSW_ES | FSW_B | 0x3800),
			 FSW_ZE | 7 << FSW_TOP_SHIFT);
	assert_int_equal(cpu->fpu.fsw & (FSW_ZE | FSW_ES | 0x3800), FSW_ZE | 6 << FSW_TOP_SHIFT);
	assert_int_equal(cpu->fpu.fip, ENV_CODE + 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fpu_owner_run_returns_state_synced_and_host_clean,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_insn_limit_mid_sequence_resumes_from_struct, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_syscall_mid_sequence_kernel_sees_and_changes_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_page_fault_in_store_is_precise_and_restarts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_page_fault_in_load_leaves_state, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fxsave_after_held_state_stores_it, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_fnsave_after_held_state_stores_then_inits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fldcw_word_matches_host, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fldcw_uncovering_flag_makes_mf, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_unmasked_store_underflow_leaves_memory,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_sse_flags_accumulate_under_guest_rounding, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_sse_unmasked_after_held_mxcsr_faults_precisely, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fnstenv_after_far_return_has_old_cs,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_fnstenv_after_control_and_integer_insns_has_fld, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_fnstenv_sees_newest_of_fast_and_general_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fault_after_fast_load_has_its_pointers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_kernel_entry_sees_fast_forms_pointers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fpu_owner_fnstsw_after_fast_forms_sees_host_fsw,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_fpu_owner_fldcw_masking_again_leaves_nothing_pending, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
