/*
 * Exception and system-call delivery to C kernel entry points: IDT gates, the TSS stack
 * switch, the frame and error code (SDM Vol. 3, 6.14), IRET back, SYSCALL/SYSRET through
 * their MSRs, INT 0x80 from compatibility mode, #DF and the triple fault, restartable REP
 * string instructions and self-modifying code.
 */
#include "cpu/icache.h"
#include "tests/cpu/cpu_test_env.h"

/* What a kernel entry saw. */
struct seen {
	int calls;
	uint64_t frame[6]; /* the 5 or 6 quadwords at RSP on entry */
	uint64_t rsp, cr2;
	unsigned cpl;
	uint16_t cs, ss;
	uint64_t rcx, r11, rax;
	bool has_err;
	uint64_t map_la; /* #PF handler: maps this page then returns */
};

struct fixture {
	struct cpu_env e;
	struct seen s;
};

static struct seen *g_seen_for(struct cpu *cpu, void *opaque)
{
	(void)cpu;
	return opaque;
}

static void record(struct cpu *cpu, struct seen *s)
{
	s->calls++;
	s->rsp = cpu->gpr[RSP];
	s->cpl = cpu->mmu->cpl;
	s->cs = cpu->mmu->seg.sreg[SEG_CS].selector;
	s->ss = cpu->mmu->seg.sreg[SEG_SS].selector;
	s->cr2 = cpu->cr2;
	s->rcx = cpu->gpr[RCX];
	s->r11 = cpu->gpr[R11];
	s->rax = cpu->gpr[RAX];
	for (int i = 0; i < 6; i++) {
		uint64_t v = 0;
		struct x86_fault f;
		if (mmu_read(cpu->mmu, cpu->gpr[RSP] + 8 * (unsigned)i, 8, &v, 0, &f))
			s->frame[i] = v;
	}
}

/* #PF entry: record, map the page the test named, drop the error code, IRET. */
static enum kentry_ret pf_entry(struct cpu *cpu, void *opaque)
{
	struct fixture *fx = opaque;
	record(cpu, &fx->s);
	if (fx->s.map_la) {
		env_map(&fx->e, fx->s.map_la, ENV_DATA_PA + 15 * 4096, PTE_P | PTE_RW | PTE_US);
		mmu_invlpg(cpu->mmu, fx->s.map_la);
	}
	cpu->gpr[RSP] += 8; /* the error code */
	return KENTRY_IRET;
}

/* An entry that records and stops the run. */
static enum kentry_ret stop_entry(struct cpu *cpu, void *opaque)
{
	record(cpu, g_seen_for(cpu, &((struct fixture *)opaque)->s));
	return KENTRY_STOP;
}

/* The system-call entry: RAX = RAX + 1000, SYSRET. */
static enum kentry_ret syscall_entry(struct cpu *cpu, void *opaque)
{
	struct fixture *fx = opaque;
	record(cpu, &fx->s);
	cpu->gpr[RAX] += 1000;
	return KENTRY_SYSRET;
}

/* INT 0x80 entry: EAX = EAX * 2, IRET. */
static enum kentry_ret int80_entry(struct cpu *cpu, void *opaque)
{
	struct fixture *fx = opaque;
	record(cpu, &fx->s);
	cpu->gpr[RAX] = (uint32_t)(cpu->gpr[RAX] * 2);
	return KENTRY_IRET;
}

static int setup(void **state)
{
	static struct fixture fx;
	memset(&fx, 0, sizeof(fx));
	env_init(&fx.e);
	fx.e.cpu.stop_on_fault = false;
	for (unsigned v = 0; v < 32; v++)
		assert_int_equal(cpu_register_kentry(&fx.e.cpu, ENV_KTEXT + 16 * v,
						     v == X86_VEC_PF ? pf_entry : stop_entry, &fx,
						     "exc"),
				 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	env_destroy(&fx->e);
	return 0;
}

static void run(struct fixture *fx, const uint8_t *code, size_t len, enum cpu_exit want)
{
	env_load_code(&fx->e, code, len);
	assert_int_equal(cpu_run(&fx->e.cpu, 10000), want);
}

/* A #PF from CPL 3: the kernel stack from TSS.RSP0, the 64-bit frame with the error code,
 * CR2; the handler maps the page and IRET restarts the store, which then succeeds. */
static void test_exception_page_fault_frame_and_restart(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/* mov rax, 0x20000000; mov dword [rax], 0x1234; int3 */
	static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0,    0, 0, 0x20,
				       0xc7, 0x00, 0x34, 0x12, 0, 0, 0xcc};
	uint64_t user_rsp = cpu->gpr[RSP];
	fx->s.map_la = 0x20000000;
	cpu_set_rflags(cpu, RFLAGS_IF | RFLAGS_CF);
	run(fx, code, sizeof(code), CPU_EXIT_STOP); /* stops in the #BP entry */
	assert_int_equal(fx->s.calls, 2);	    /* #PF, then #BP */
	/* The #BP frame: RIP after INT3, user CS/SS, user RSP. */
	assert_int_equal(fx->s.frame[0], ENV_CODE + sizeof(code));
	assert_int_equal(fx->s.frame[1], __USER_CS);
	assert_int_equal(fx->s.frame[3], user_rsp);
	assert_int_equal(fx->s.frame[4], __USER_DS);
	assert_int_equal(fx->s.cpl, 0);
	assert_int_equal(fx->s.cs, __KERNEL_CS);
	assert_int_equal(fx->s.rsp, ENV_KSTACK + ENV_PAGES * 4096 - 40);
	/* The store happened after the restart. */
	uint32_t v;
	memcpy(&v, fx->e.bus.ram + ENV_DATA_PA + 15 * 4096, 4);
	assert_int_equal(v, 0x1234);
	assert_int_equal(cpu->cr2, 0x20000000);
}

/* The #PF frame itself: error code W|U, RIP of the faulting store, RFLAGS with IF. */
static void test_exception_page_fault_error_code_and_rip(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0, 0, 0, 0x20, 0x89, 0x08, 0xcc};
	assert_int_equal(
	    cpu_register_kentry(&fx->e.cpu, ENV_KTEXT + 16 * 14 + 1, stop_entry, fx, "x"), 0);
	env_set_gate(&fx->e, 14, ENV_KTEXT + 16 * 14 + 1, 0, 0);
	cpu_set_rflags(&fx->e.cpu, RFLAGS_IF);
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.frame[0], PF_ERR_W | PF_ERR_U);
	assert_int_equal(fx->s.frame[1], ENV_CODE + 7);
	assert_int_equal(fx->s.frame[2], __USER_CS);
	assert_true(fx->s.frame[3] & RFLAGS_IF);
	/* An interrupt gate clears IF in the handler. */
	assert_false(cpu_rflags(&fx->e.cpu) & RFLAGS_IF);
}

/* INT n to a DPL 0 gate from CPL 3: #GP with error code n*8+2. */
static void test_exception_int_to_dpl0_gate_is_gp(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0xcd, 0x40};
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.frame[0], 0x40 * 8 + 2);
	assert_int_equal(fx->s.frame[1], ENV_CODE);
	assert_int_equal(fx->e.cpu.rip, ENV_KTEXT + 16 * X86_VEC_GP);
}

/* #DE from DIV by zero: no error code; the frame's RIP is the DIV. */
static void test_exception_divide_error_no_error_code(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0x31, 0xc9, 0xf7, 0xf1};
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->e.cpu.rip, ENV_KTEXT + 16 * X86_VEC_DE);
	assert_int_equal(fx->s.frame[0], ENV_CODE + 2);
	assert_int_equal(fx->s.frame[1], __USER_CS);
}

/* A #PF whose gate is not present raises #NP during delivery: page fault + contributory
 * = #DF (error code 0), delivered on IST1 when the gate asks for it. */
static void test_exception_fault_during_pf_delivery_is_double_fault(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0, 0, 0, 0x20, 0x89, 0x08};
	env_wr64(&fx->e, ENV_IDT_PA + 14 * 16,
		 env_rd64(&fx->e, ENV_IDT_PA + 14 * 16) & ~(1ULL << 47));
	env_set_gate(&fx->e, X86_VEC_DF, ENV_KTEXT + 16 * X86_VEC_DF, 0, 1);
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->e.cpu.rip, ENV_KTEXT + 16 * X86_VEC_DF);
	assert_int_equal(fx->s.frame[0], 0);
	assert_int_equal(fx->s.rsp, ENV_KSTACK + 8 * 4096 - 48);
}

/* No usable IDT: #PF -> #GP -> #DF -> shutdown. */
static void test_exception_triple_fault_shuts_down(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t code[] = {0x48, 0xc7, 0xc0, 0, 0, 0, 0x20, 0x89, 0x08};
	fx->e.m.seg.idtr.limit = 0;
	run(fx, code, sizeof(code), CPU_EXIT_SHUTDOWN);
	assert_true(fx->e.cpu.shutdown);
}

/* SYSCALL: RCX = return RIP, R11 = RFLAGS, CPL 0 with STAR's selectors, RFLAGS masked by
 * SFMASK; SYSRET back to CPL 3 with __USER_CS/__USER_DS (Linux's STAR layout). */
static void test_exception_syscall_sysret_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/* mov eax, 39; syscall; int3 */
	static const uint8_t code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xcc};
	assert_true(cpu_wrmsr(cpu, MSR_STAR,
			      ((uint64_t)(__USER32_CS - 3) << 48) | ((uint64_t)__KERNEL_CS << 32)));
	assert_true(cpu_wrmsr(cpu, MSR_LSTAR, ENV_KTEXT + 0x1000));
	assert_true(cpu_wrmsr(cpu, MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF));
	assert_int_equal(cpu_register_kentry(cpu, ENV_KTEXT + 0x1000, syscall_entry, fx, "sys"), 0);
	cpu_set_rflags(cpu, RFLAGS_IF | RFLAGS_DF | RFLAGS_ZF);
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.calls, 2); /* the system call, then #BP */
	assert_int_equal(cpu->gpr[RAX], 1039);
	assert_int_equal(cpu->gpr[RCX], ENV_CODE + 7);
	assert_int_equal(cpu->gpr[R11] & (RFLAGS_IF | RFLAGS_DF | RFLAGS_ZF),
			 RFLAGS_IF | RFLAGS_DF | RFLAGS_ZF);
	/* The #BP frame shows the state SYSRET restored. */
	assert_int_equal(fx->s.frame[1], __USER_CS);
	assert_int_equal(fx->s.frame[4], __USER_DS);
	assert_true(fx->s.frame[2] & RFLAGS_DF);
}

/* SYSCALL without EFER.SCE is #UD. */
static void test_exception_syscall_without_sce_is_ud(void **state)
{
	struct fixture *fx = *state;
	struct x86_fault f;
	static const uint8_t code[] = {0x0f, 0x05};
	assert_true(mmu_set_efer(&fx->e.m, EFER_LME | EFER_NXE, &f));
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->e.cpu.rip, ENV_KTEXT + 16 * X86_VEC_UD);
}

/* INT 0x80 from compatibility mode: the 64-bit gate, the frame holds __USER32_CS, and
 * IRETQ returns to 32-bit code. */
static void test_exception_int80_from_compat_mode_returns(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/* mov eax, 21; int 0x80; inc eax (0x40 in 32-bit code); int3 */
	static const uint8_t code[] = {0xb8, 21, 0, 0, 0, 0xcd, 0x80, 0x40, 0xcc};
	assert_int_equal(cpu_register_kentry(cpu, ENV_KTEXT + 16 * 0x80, int80_entry, fx, "i80"),
			 0);
	cpu_enter_compat_mode_flat(cpu);
	assert_int_equal(cpu->mode, X86_MODE_32);
	cpu->gpr[RSP] = ENV_DATA + 0x1000;
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.calls, 2);
	assert_int_equal(cpu->gpr[RAX], 43);
	assert_int_equal(fx->s.frame[1], __USER32_CS); /* in the #BP frame */
}

/* REP MOVSB into an unmapped page: the #PF leaves RCX/RSI/RDI after the bytes done, the
 * handler maps the page, and the restarted instruction finishes the copy. */
static void test_exception_rep_movs_restarts_after_fault(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/* rep movsb; int3 */
	static const uint8_t code[] = {0xf3, 0xa4, 0xcc};
	for (int i = 0; i < 64; i++)
		fx->e.bus.ram[ENV_DATA_PA + i] = (uint8_t)(i + 1);
	cpu->gpr[RSI] = ENV_DATA;
	cpu->gpr[RDI] = 0x20000000 - 16; /* 16 bytes before an unmapped page */
	cpu->gpr[RCX] = 64;
	env_map(&fx->e, 0x20000000 - 4096, ENV_DATA_PA + 14 * 4096, PTE_P | PTE_RW | PTE_US);
	fx->s.map_la = 0x20000000;
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.calls, 2);
	assert_int_equal(cpu->gpr[RCX], 0);
	assert_int_equal(cpu->gpr[RDI], 0x20000000 + 48);
	assert_int_equal(fx->e.bus.ram[ENV_DATA_PA + 15 * 4096 + 47], 64);
	assert_int_equal(fx->e.bus.ram[ENV_DATA_PA + 14 * 4096 + 4095], 16);
}

/* Self-modifying code: a store rewrites the immediate of an instruction that already ran
 * (and is cached, at the start of a decoded block); the loop's second pass executes the
 * new bytes. */
static void test_exception_self_modifying_code_takes_effect(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/*
	 * 0: mov ecx, 2
	 * 5: jmp 7               (so that the loop body is a block of its own from pass 1)
	 * 7: mov eax, 1          <- the store rewrites its immediate (offset 8)
	 * c: add edx, eax
	 * e: mov byte [rip - 13], 5   (c6 05 f3 ff ff ff 05 -> offset 8)
	 * 15: dec ecx
	 * 17: jnz 7
	 * 19: int3
	 */
	static const uint8_t code[] = {0xb9, 2,	   0,	 0,    0,    0xeb, 0,	 0xb8, 1,
				       0,    0,	   0,	 0x01, 0xc2, 0xc6, 0x05, 0xf3, 0xff,
				       0xff, 0xff, 5,	 0xff, 0xc9, 0x75, 0xee, 0xcc};
	cpu->gpr[RDX] = 0;
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.calls, 1);
	assert_int_equal(cpu->gpr[RDX], 1 + 5);
	assert_true(cpu->icache->stale > 0); /* the old decoding was refused */
}

/* RDTSC reads the virtual clock: instructions retired. */
static void test_exception_rdtsc_counts_instructions(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	/* nop; nop; nop; rdtsc; int3 */
	static const uint8_t code[] = {0x90, 0x90, 0x90, 0x0f, 0x31, 0xcc};
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(cpu->gpr[RAX], 3);
	assert_int_equal(cpu->gpr[RDX], 0);
}

/* CPUID: "AuthenticAMD", and leaf 1 advertises CMOV, CX8 and the TSC but no feature that
 * is not implemented (no SSE until cpu/exec_sse.c registers it, no x87, no AVX). */
static void test_exception_cpuid_advertises_only_implemented(void **state)
{
	struct fixture *fx = *state;
	uint32_t r[4];
	char vendor[13] = {0};
	cpu_cpuid(&fx->e.cpu, 0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	assert_string_equal(vendor, "AuthenticAMD");
	cpu_cpuid(&fx->e.cpu, 1, 0, r);
	assert_true(r[3] & (1u << 15));	 /* CMOV */
	assert_true(r[3] & (1u << 8));	 /* CX8 */
	assert_true(r[3] & (1u << 4));	 /* TSC */
	assert_false(r[2] & (1u << 28)); /* AVX */
	assert_false(r[2] & (1u << 30)); /* RDRAND */
	cpu_cpuid(&fx->e.cpu, 7, 0, r);
	assert_false(r[1] & (1u << 3)); /* BMI1: TZCNT executes as BSF */
}

/* Privileged instructions at CPL 3: #GP(0). */
static void test_exception_privileged_at_cpl3_is_gp(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t insns[][3] = {
	    {0x0f, 0x22, 0xd8}, /* mov cr3, rax */
	    {0x0f, 0x20, 0xc0}, /* mov rax, cr0 */
	    {0x0f, 0x32, 0x90}, /* rdmsr */
	    {0x0f, 0x01, 0xf8}, /* swapgs */
	    {0xfa, 0x90, 0x90}, /* cli */
	    {0xe4, 0x60, 0x90}, /* in al, 0x60 */
	    {0x6c, 0x90, 0x90}, /* insb */
	};
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		fx->s.calls = 0;
		fx->e.cpu.gpr[RSP] = ENV_DATA + 0x1000;
		cpu_enter_long_mode_flat(&fx->e.cpu, 3);
		run(fx, insns[i], 3, CPU_EXIT_STOP);
		assert_int_equal(fx->e.cpu.rip, ENV_KTEXT + 16 * X86_VEC_GP);
		assert_int_equal(fx->s.frame[0], 0);
		assert_int_equal(fx->s.frame[1], ENV_CODE);
	}
}

/* At CPL 0 (CPL <= IOPL) I/O is allowed; no device answers: REP INSB stores all ones. */
static void test_exception_rep_ins_at_cpl0_reads_open_bus(void **state)
{
	struct fixture *fx = *state;
	struct cpu *cpu = &fx->e.cpu;
	static const uint8_t code[] = {0xf3, 0x6c, 0xcc}; /* rep insb; int3 */
	cpu_enter_long_mode_flat(cpu, 0);
	cpu->gpr[RSP] = ENV_KSTACK + 4096;
	cpu->gpr[RDI] = ENV_DATA + 0x100;
	cpu->gpr[RCX] = 3;
	memset(fx->e.bus.ram + ENV_DATA_PA + 0x100, 0, 4);
	run(fx, code, sizeof(code), CPU_EXIT_STOP);
	assert_int_equal(fx->s.frame[0], ENV_CODE + 3); /* the #BP after the INSB */
	assert_int_equal(cpu->gpr[RCX], 0);
	assert_int_equal(cpu->gpr[RDI], ENV_DATA + 0x103);
	assert_memory_equal(fx->e.bus.ram + ENV_DATA_PA + 0x100, "\xff\xff\xff\x00", 4);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_exception_page_fault_frame_and_restart),
	    T(test_exception_page_fault_error_code_and_rip),
	    T(test_exception_int_to_dpl0_gate_is_gp),
	    T(test_exception_divide_error_no_error_code),
	    T(test_exception_fault_during_pf_delivery_is_double_fault),
	    T(test_exception_triple_fault_shuts_down),
	    T(test_exception_syscall_sysret_round_trip),
	    T(test_exception_syscall_without_sce_is_ud),
	    T(test_exception_int80_from_compat_mode_returns),
	    T(test_exception_rep_movs_restarts_after_fault),
	    T(test_exception_self_modifying_code_takes_effect),
	    T(test_exception_rdtsc_counts_instructions),
	    T(test_exception_cpuid_advertises_only_implemented),
	    T(test_exception_privileged_at_cpl3_is_gp),
	    T(test_exception_rep_ins_at_cpl0_reads_open_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
