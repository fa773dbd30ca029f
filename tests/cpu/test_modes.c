/*
 * Processor modes and mode changes: 32-bit protected mode with 32-bit paging and legacy
 * IDT delivery (SDM Vol. 3, 6.12: 32-bit gates, the TSS's SS0:ESP0, a 4-byte frame with
 * SS:ESP on a privilege change), far transfers between 64-bit and compatibility mode,
 * segment-register loads with their checks, and the -d in_asm log.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "cpu/fpu.h"
#include "tests/cpu/cpu_test_env.h"

/* ---- 32-bit protected mode ---- */

#define PM_GDT 0x1000
#define PM_TSS 0x2000
#define PM_IDT 0x3000
#define PM_PD 0x100000
#define PM_CODE 0x400000
#define PM_KSTACK 0x800000
#define PM_KTEXT 0xc1000000u
#define PM_UNMAPPED 0x1000000u /* 16 MiB: PDE 4, not present at first */

struct pm {
	struct phys_bus bus;
	struct mmu m;
	struct cpu cpu;
	int calls;
	uint32_t frame[6];
	uint32_t esp;
	uint16_t ss;
	uint8_t mode;
};

static void wr32(struct pm *p, uint64_t pa, uint32_t v)
{
	memcpy(p->bus.ram + pa, &v, 4);
}

static void pm_record(struct cpu *cpu, struct pm *p)
{
	p->calls++;
	p->esp = (uint32_t)cpu->gpr[RSP];
	p->ss = cpu->mmu->seg.sreg[SEG_SS].selector;
	p->mode = cpu->mode;
	for (int i = 0; i < 6; i++)
		memcpy(&p->frame[i], p->bus.ram + p->esp + 4 * i, 4); /* identity-mapped */
}

/* #PF: map the 4 MiB page, drop the error code, IRETD. */
static enum kentry_ret pm_pf(struct cpu *cpu, void *opaque)
{
	struct pm *p = opaque;
	pm_record(cpu, p);
	wr32(p, PM_PD + 4 * 4, 0xc00000 | 0x87); /* P RW US PS -> physical 12..16 MiB */
	mmu_invlpg(cpu->mmu, PM_UNMAPPED);
	cpu->gpr[RSP] += 4;
	return KENTRY_IRET;
}

static enum kentry_ret pm_stop(struct cpu *cpu, void *opaque)
{
	pm_record(cpu, opaque);
	return KENTRY_STOP;
}

static void pm_gate(struct pm *p, unsigned vec, unsigned dpl)
{
	uint32_t target = PM_KTEXT + 16 * vec;
	uint32_t lo = (target & 0xffff) | (uint32_t)(GDT32_ENTRY_KERNEL_CS * 8) << 16;
	uint32_t hi = (target & 0xffff0000u) | 0x8e00u | dpl << 13;
	wr32(p, PM_IDT + 8 * vec, lo);
	wr32(p, PM_IDT + 8 * vec + 4, hi);
}

static void pm_init(struct pm *p)
{
	struct x86_fault f;
	memset(p, 0, sizeof(*p));
	assert_int_equal(bus_init(&p->bus, 16u << 20), 0);
	assert_int_equal(mmu_init(&p->m, &p->bus, NULL), 0);
	assert_int_equal(cpu_init(&p->cpu, &p->m), 0);
	int limit = seg_write_linux_gdt32(&p->bus, PM_GDT, PM_TSS, 0x67);
	assert_true(limit > 0);
	p->m.seg.gdtr = (struct dtr){.base = PM_GDT, .limit = (uint16_t)limit};
	for (unsigned i = 0; i < 4; i++) /* 0..16 MiB identity, user, 4 MiB pages */
		wr32(p, PM_PD + 4 * i, i << 22 | 0x87);
	for (unsigned v = 0; v < 256; v++)
		pm_gate(p, v, v == 3 || v == 0x80 ? 3 : 0);
	p->m.seg.idtr = (struct dtr){.base = PM_IDT, .limit = 256 * 8 - 1};
	wr32(p, PM_TSS + 4, PM_KSTACK);
	wr32(p, PM_TSS + 8, GDT32_ENTRY_KERNEL_DS * 8);
	assert_true(mmu_set_cr4(&p->m, CR4_PSE, &f));
	assert_true(mmu_set_cr3(&p->m, PM_PD, &f));
	assert_true(mmu_set_cr0(&p->m, CR0_PE | CR0_PG | CR0_WP, &f));
	assert_true(seg_ltr(&p->m, GDT32_ENTRY_TSS * 8, &f));
	cpu_enter_protected_mode_flat(&p->cpu, 3);
	for (unsigned v = 0; v < 256; v++)
		assert_int_equal(cpu_register_kentry(&p->cpu, PM_KTEXT + 16 * v,
						     v == X86_VEC_PF ? pm_pf : pm_stop, p, "pm"),
				 0);
}

static void pm_destroy(struct pm *p)
{
	cpu_destroy(&p->cpu);
	mmu_destroy(&p->m);
	bus_destroy(&p->bus);
}

/* A #PF at CPL 3 in 32-bit protected mode: the legacy frame on SS0:ESP0 with the old
 * SS:ESP, the handler maps the page and IRETD restarts the load; INT 0x80 then enters
 * through its DPL 3 gate with a 5-dword frame. */
static void test_modes_protected_mode_fault_and_int80(void **state)
{
	static struct pm p;
	/* mov eax, [0x1000000]; mov ebx, 7; int 0x80 */
	static const uint8_t code[] = {0xa1, 0x00, 0x00, 0x00, 0x01, 0xbb, 7, 0, 0, 0, 0xcd, 0x80};
	pm_init(&p);
	assert_int_equal(p.cpu.mode, X86_MODE_32);
	memcpy(p.bus.ram + PM_CODE, code, sizeof(code));
	memcpy(p.bus.ram + 0xc00000, "\x78\x56\x34\x12", 4); /* where the page will point */
	p.cpu.rip = PM_CODE;
	p.cpu.gpr[RSP] = 0x500000;
	cpu_set_rflags(&p.cpu, RFLAGS_IF);
	assert_int_equal(cpu_run(&p.cpu, 100), CPU_EXIT_STOP);
	assert_int_equal(p.calls, 2);
	/* The INT 0x80 frame: EIP after it, user CS, EFLAGS, user ESP and SS. */
	assert_int_equal(p.frame[0], PM_CODE + sizeof(code));
	assert_int_equal(p.frame[1], GDT32_ENTRY_DEFAULT_USER_CS * 8 + 3);
	assert_true(p.frame[2] & RFLAGS_IF);
	assert_int_equal(p.frame[3], 0x500000);
	assert_int_equal(p.frame[4], GDT32_ENTRY_DEFAULT_USER_DS * 8 + 3);
	assert_int_equal(p.esp, PM_KSTACK - 20);
	assert_int_equal(p.ss, GDT32_ENTRY_KERNEL_DS * 8);
	assert_int_equal(p.mode, X86_MODE_32);
	/* The load restarted after the fault and read the mapped page. */
	assert_int_equal(p.cpu.gpr[RAX], 0x12345678);
	assert_int_equal(p.cpu.cr2, PM_UNMAPPED);
	pm_destroy(&p);
}

/* A 32-bit call gate with two parameters in legacy protected mode: CALL FAR from CPL 3 to
 * the DPL 0 kernel code segment switches to SS0:ESP0 from the TSS, pushes the old SS and
 * ESP, copies the parameters in their order, then CS and EIP; RETF 8 returns to CPL 3 and
 * drops the parameters from the caller's stack. */
static void test_modes_protected_mode_call_gate_copies_params(void **state)
{
	static struct pm p;
	(void)state;
	const unsigned gate_idx = 20, kernel_cs = GDT32_ENTRY_KERNEL_CS * 8;
	const uint32_t target = PM_CODE + 0x100, user_esp = 0x500000;
	static const uint8_t code[] = {0xff, 0x1d, 0x00, 0x01, 0x50, 0x00}; /* call far [0x500100] */
	static const uint8_t retf8[] = {0xca, 0x08, 0x00};
	pm_init(&p);
	p.m.seg.gdtr.limit = GDT32_ENTRIES * 8 - 1;
	/* the gate: 32-bit call gate (type 0xC), DPL 3, present, 2 parameters */
	wr32(&p, PM_GDT + gate_idx * 8, (target & 0xffff) | kernel_cs << 16);
	wr32(&p, PM_GDT + gate_idx * 8 + 4, (target & 0xffff0000u) | 0xec00u | 2);
	wr32(&p, 0x500100, 0xdeadbeef); /* the pointer's offset: ignored for a gate */
	wr32(&p, 0x500104, gate_idx * 8 | 3);
	wr32(&p, user_esp, 0xaaaa0001);
	wr32(&p, user_esp + 4, 0xbbbb0002);
	memcpy(p.bus.ram + PM_CODE, code, sizeof(code));
	memcpy(p.bus.ram + target, retf8, sizeof(retf8));
	p.cpu.rip = PM_CODE;
	p.cpu.gpr[RSP] = user_esp;
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(p.cpu.rip, target);
	assert_int_equal(p.m.cpl, 0);
	assert_int_equal(p.m.seg.sreg[SEG_CS].selector, kernel_cs);
	assert_int_equal(p.m.seg.sreg[SEG_SS].selector, GDT32_ENTRY_KERNEL_DS * 8);
	assert_int_equal(p.cpu.gpr[RSP], PM_KSTACK - 24);
	const uint32_t want[6] = {PM_CODE + sizeof(code), GDT32_ENTRY_DEFAULT_USER_CS * 8 + 3,
				  0xaaaa0001,		  0xbbbb0002,
				  user_esp,		  GDT32_ENTRY_DEFAULT_USER_DS * 8 + 3};
	for (unsigned i = 0; i < 6; i++) {
		uint32_t v;
		memcpy(&v, p.bus.ram + PM_KSTACK - 24 + 4 * i, 4);
		assert_int_equal(v, want[i]);
	}
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(p.cpu.rip, PM_CODE + sizeof(code));
	assert_int_equal(p.m.cpl, 3);
	assert_int_equal(p.m.seg.sreg[SEG_SS].selector, GDT32_ENTRY_DEFAULT_USER_DS * 8 + 3);
	assert_int_equal(p.cpu.gpr[RSP], user_esp + 8);
	pm_destroy(&p);
}

/* ---- task switches (legacy protected mode) ---- */

#define TASK_B_IDX 21	     /* TSS descriptor of task B */
#define TASK_GATE_IDX 22     /* a task gate to task B */
#define TASK_B_TSS 0x2100    /* physical = linear */
#define TASK_B_EIP (PM_CODE + 0x200)
#define TSS_A_SEL (GDT32_ENTRY_TSS * 8)
#define TSS_B_SEL (TASK_B_IDX * 8)

static uint32_t rd32(struct pm *p, uint64_t pa)
{
	uint32_t v;
	memcpy(&v, p->bus.ram + pa, 4);
	return v;
}

static bool tss_busy(struct pm *p, unsigned idx)
{
	return (p->bus.ram[PM_GDT + idx * 8 + 5] & 2) != 0;
}

/* Task A is the one pm_init starts (at CPL 0 here); task B's TSS holds a kernel-mode state
 * at TASK_B_EIP. The GDT gets B's TSS descriptor and a task gate to it. */
static void task_init(struct pm *p, uint32_t b_limit)
{
	pm_init(p);
	p->m.seg.gdtr.limit = GDT32_ENTRIES * 8 - 1;
	cpu_enter_protected_mode_flat(&p->cpu, 0);
	uint64_t d = seg_encode(TASK_B_TSS, b_limit, SEG_SYS_TSS_AVAIL, false, 0, true, false,
				false, false, false);
	memcpy(p->bus.ram + PM_GDT + TASK_B_IDX * 8, &d, 8);
	wr32(p, PM_GDT + TASK_GATE_IDX * 8, (uint32_t)TSS_B_SEL << 16);
	wr32(p, PM_GDT + TASK_GATE_IDX * 8 + 4, 0xe500); /* P, DPL 3, type 5 */
	wr32(p, PM_TSS + 0x1c, PM_PD); /* CR3 is static: a switch never writes it */
	memset(p->bus.ram + TASK_B_TSS, 0, 0x68);
	wr32(p, TASK_B_TSS + 0x1c, PM_PD);	 /* CR3 */
	wr32(p, TASK_B_TSS + 0x20, TASK_B_EIP); /* EIP */
	wr32(p, TASK_B_TSS + 0x24, 0x2);	 /* EFLAGS */
	wr32(p, TASK_B_TSS + 0x28, 0x1111);	 /* EAX */
	wr32(p, TASK_B_TSS + 0x38, 0x600000);	 /* ESP */
	for (unsigned s = 0; s < 6; s++)	 /* ES CS SS DS FS GS */
		wr32(p, TASK_B_TSS + 0x48 + 4 * s,
		     s == 1 ? GDT32_ENTRY_KERNEL_CS * 8 : GDT32_ENTRY_KERNEL_DS * 8);
	p->cpu.rip = PM_CODE;
	p->cpu.gpr[RAX] = 0xaaaa;
	p->cpu.gpr[RSP] = 0x500000;
}

/* JMP FAR to B's TSS: A's state goes into A's TSS (EIP after the JMP), A is no longer busy
 * and B is, TR and the registers are B's, CR0.TS is set, NT stays clear. */
static void test_modes_task_switch_by_jmp(void **state)
{
	static struct pm p;
	(void)state;
	static const uint8_t code[] = {0xea, 0, 0, 0, 0, TSS_B_SEL, 0}; /* jmp TSS_B_SEL:0 */
	task_init(&p, 0x67);
	memcpy(p.bus.ram + PM_CODE, code, sizeof(code));
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(p.cpu.rip, TASK_B_EIP);
	assert_int_equal(p.cpu.gpr[RAX], 0x1111);
	assert_int_equal(p.cpu.gpr[RSP], 0x600000);
	assert_int_equal(p.m.seg.tr.selector, TSS_B_SEL);
	assert_true(p.m.cr0 & CR0_TS);
	assert_false(cpu_rflags(&p.cpu) & RFLAGS_NT);
	assert_false(tss_busy(&p, GDT32_ENTRY_TSS));
	assert_true(tss_busy(&p, TASK_B_IDX));
	assert_int_equal(rd32(&p, PM_TSS + 0x20), PM_CODE + sizeof(code)); /* A's EIP */
	assert_int_equal(rd32(&p, PM_TSS + 0x28), 0xaaaa);		  /* A's EAX */
	assert_int_equal(rd32(&p, PM_TSS + 0x38), 0x500000);		  /* A's ESP */
	assert_int_equal(rd32(&p, PM_TSS + 0x4c), GDT32_ENTRY_KERNEL_CS * 8); /* A's CS */
	pm_destroy(&p);
}

/* CALL FAR through a task gate nests: B runs with NT set and A's selector in its link, A
 * stays busy; B's IRET returns to A after the CALL, saving B (EIP after the IRET, NT
 * clear) and leaving B available again. */
static void test_modes_task_switch_call_and_iret(void **state)
{
	static struct pm p;
	(void)state;
	static const uint8_t code[] = {0x9a, 0, 0, 0, 0, TASK_GATE_IDX * 8, 0}; /* call gate:0 */
	task_init(&p, 0x67);
	memcpy(p.bus.ram + PM_CODE, code, sizeof(code));
	p.bus.ram[TASK_B_EIP] = 0xcf; /* iretd */
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(p.cpu.rip, TASK_B_EIP);
	assert_true(cpu_rflags(&p.cpu) & RFLAGS_NT);
	assert_int_equal(rd32(&p, TASK_B_TSS) & 0xffff, TSS_A_SEL);
	assert_true(tss_busy(&p, GDT32_ENTRY_TSS));
	assert_true(tss_busy(&p, TASK_B_IDX));
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_LIMIT);
	assert_int_equal(p.cpu.rip, PM_CODE + sizeof(code));
	assert_int_equal(p.cpu.gpr[RAX], 0xaaaa);
	assert_int_equal(p.cpu.gpr[RSP], 0x500000);
	assert_int_equal(p.m.seg.tr.selector, TSS_A_SEL);
	assert_false(tss_busy(&p, TASK_B_IDX));
	assert_int_equal(rd32(&p, TASK_B_TSS + 0x20), TASK_B_EIP + 1);
	assert_false(rd32(&p, TASK_B_TSS + 0x24) & RFLAGS_NT);
	pm_destroy(&p);
}

/* An exception through a task gate in the IDT (how i386 Linux takes #DF): task B runs
 * with the error code on its stack; A's TSS holds the faulting instruction's EIP. */
static void test_modes_exception_through_task_gate(void **state)
{
	static struct pm p;
	(void)state;
	/* mov ax, 0x1238; mov ds, ax: #GP(0x1238) (beyond the GDT) */
	static const uint8_t code[] = {0x66, 0xb8, 0x38, 0x12, 0x8e, 0xd8};
	task_init(&p, 0x67);
	wr32(&p, PM_IDT + 8 * X86_VEC_GP, (uint32_t)TSS_B_SEL << 16);
	wr32(&p, PM_IDT + 8 * X86_VEC_GP + 4, 0x8500); /* P, DPL 0, task gate */
	memcpy(p.bus.ram + PM_CODE, code, sizeof(code));
	p.bus.ram[TASK_B_EIP] = 0xf4; /* hlt */
	assert_int_equal(cpu_run(&p.cpu, 100), CPU_EXIT_HLT);
	assert_int_equal(p.cpu.rip, TASK_B_EIP + 1);
	assert_int_equal(p.cpu.gpr[RSP], 0x600000 - 4);
	assert_int_equal(rd32(&p, 0x600000 - 4), 0x1238);
	assert_true(cpu_rflags(&p.cpu) & RFLAGS_NT);
	assert_int_equal(rd32(&p, PM_TSS + 0x20), PM_CODE + 4); /* the MOV DS */
	pm_destroy(&p);
}

/* A busy TSS as a JMP target is #GP(sel); a TSS whose limit is below 0x67 is #TS(sel);
 * neither changes anything. */
static void test_modes_task_switch_checks(void **state)
{
	static struct pm p;
	(void)state;
	static const uint8_t to_a[] = {0xea, 0, 0, 0, 0, TSS_A_SEL, 0};
	static const uint8_t to_b[] = {0xea, 0, 0, 0, 0, TSS_B_SEL, 0};
	task_init(&p, 0x2b);
	p.cpu.stop_on_fault = true;
	memcpy(p.bus.ram + PM_CODE, to_a, sizeof(to_a));
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_FAULT);
	assert_int_equal(p.cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(p.cpu.fault.error_code, TSS_A_SEL);
	memcpy(p.bus.ram + PM_CODE, to_b, sizeof(to_b));
	cpu_icache_invalidate_phys(&p.cpu, PM_CODE, sizeof(to_b));
	assert_int_equal(cpu_run(&p.cpu, 1), CPU_EXIT_FAULT);
	assert_int_equal(p.cpu.fault.vector, X86_VEC_TS);
	assert_int_equal(p.cpu.fault.error_code, TSS_B_SEL);
	assert_int_equal(p.m.seg.tr.selector, TSS_A_SEL);
	assert_int_equal(p.cpu.rip, PM_CODE);
	assert_true(tss_busy(&p, GDT32_ENTRY_TSS));
	pm_destroy(&p);
}

/* ---- 64-bit environment ---- */

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

/* JMP FAR m16:32 to __USER32_CS enters compatibility mode; JMP FAR ptr16:32 to __USER_CS
 * returns to 64-bit mode; the 32-bit code's INC EAX is opcode 40. */
static void test_modes_far_jumps_switch_64_and_compat(void **state)
{
	struct cpu_env *e = *state;
	uint8_t code[64] = {0};
	unsigned n = 0;
	/* 64-bit: jmp far [rip + 0x20] (FF 2D rel32) -> pointer at code + 6 + 0x20 */
	const uint8_t jmp64[] = {0xff, 0x2d, 0x20, 0, 0, 0};
	memcpy(code, jmp64, sizeof(jmp64));
	uint32_t off32 = (uint32_t)(ENV_CODE + 0x10);
	uint16_t sel32 = __USER32_CS;
	memcpy(code + 0x26, &off32, 4);
	memcpy(code + 0x2a, &sel32, 2);
	/* at +0x10, 32-bit: inc eax; jmp far __USER_CS:ENV_CODE+0x30 (EA ptr16:32) */
	n = 0x10;
	code[n++] = 0x40;
	code[n++] = 0xea;
	uint32_t back = (uint32_t)(ENV_CODE + 0x30);
	memcpy(code + n, &back, 4);
	n += 4;
	code[n++] = __USER_CS;
	code[n++] = 0;
	/* at +0x30, 64-bit: REX.W inc rax (48 ff c0); int3 */
	const uint8_t tail[] = {0x48, 0xff, 0xc0, 0xcc};
	memcpy(code + 0x30, tail, sizeof(tail));
	e->cpu.gpr[RAX] = 0xffffffff;
	env_load_code(e, code, sizeof(code));
	assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.rip, ENV_CODE + 0x33);
	assert_int_equal(e->cpu.mode, X86_MODE_64);
	/* inc eax in 32-bit code wrapped to 0 (zero-extended), then the 64-bit inc. */
	assert_int_equal(e->cpu.gpr[RAX], 1);
}

/* MOV DS with a DPL 0 selector at CPL 3: #GP(selector), DS unchanged; a null selector
 * loads fine in 64-bit mode; MOV to CS does not exist (#UD). */
static void test_modes_mov_sreg_checks(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t load_kernel_ds[] = {0x8e, 0xd8}; /* mov ds, eax */
	static const uint8_t load_null[] = {0x8e, 0xd8, 0xcc};
	static const uint8_t load_cs[] = {0x8e, 0xc8};
	uint16_t ds = e->m.seg.sreg[SEG_DS].selector;
	e->cpu.gpr[RAX] = __KERNEL_DS;
	env_load_code(e, load_kernel_ds, sizeof(load_kernel_ds));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_GP);
	assert_int_equal(e->cpu.fault.error_code, __KERNEL_DS);
	assert_int_equal(e->m.seg.sreg[SEG_DS].selector, ds);
	e->cpu.gpr[RAX] = 0;
	env_run_to_int3(e, load_null, sizeof(load_null));
	assert_int_equal(e->m.seg.sreg[SEG_DS].selector, 0);
	env_load_code(e, load_cs, sizeof(load_cs));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_UD);
}

/* FS-relative addressing uses FS.base (the TLS of 64-bit Linux programs). */
static void test_modes_fs_base_addressing(void **state)
{
	struct cpu_env *e = *state;
	/* mov rax, fs:[8]; int3 */
	static const uint8_t code[] = {0x64, 0x48, 0x8b, 0x04, 0x25, 8, 0, 0, 0, 0xcc};
	uint64_t v = 0x1122334455667788ULL;
	memcpy(e->bus.ram + ENV_DATA_PA + 0x108, &v, 8);
	assert_true(cpu_wrmsr(&e->cpu, MSR_FS_BASE, ENV_DATA + 0x100));
	env_run_to_int3(e, code, sizeof(code));
	assert_int_equal(e->cpu.gpr[RAX], v);
}

/* -d in_asm: each instruction at its first decoding, blocks (ended by a control transfer
 * or a jump elsewhere) under "IN:", QEMU's layout. */
static void test_modes_in_asm_log_lists_new_code_once(void **state)
{
	struct cpu_env *e = *state;
	/* mov ecx, 2; l: dec ecx; jnz l; int3 */
	static const uint8_t code[] = {0xb9, 2, 0, 0, 0, 0xff, 0xc9, 0x75, 0xfc, 0xcc};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cpu_set_log_in_asm(&e->cpu, f);
	env_run_to_int3(e, code, sizeof(code));
	cpu_set_log_in_asm(&e->cpu, NULL);
	fclose(f);
	assert_string_equal(buf, "----------------\n"
				 "IN: \n"
				 "0x0000000010000000:  mov ecx, 2\n"
				 "0x0000000010000005:  dec ecx\n"
				 "0x0000000010000007:  jne 0x10000005\n"
				 "----------------\n"
				 "IN: \n"
				 "0x0000000010000009:  int3\n");
	free(buf);
}

/* cpu_disas_one reads guest memory without touching the TLB statistics. */
static void test_modes_disas_one_reads_guest_code(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {0x48, 0x01, 0xd8};
	char text[64];
	env_load_code(e, code, sizeof(code));
	uint64_t walks = e->m.st.walks;
	assert_int_equal(cpu_disas_one(&e->cpu, ENV_CODE, text, sizeof(text)), 3);
	assert_string_equal(text, "add rax, rbx");
	assert_int_equal(e->m.st.walks, walks);
	assert_int_equal(cpu_disas_one(&e->cpu, 0x7000000000ULL, text, sizeof(text)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modes_protected_mode_fault_and_int80),
	    cmocka_unit_test(test_modes_protected_mode_call_gate_copies_params),
	    cmocka_unit_test(test_modes_task_switch_by_jmp),
	    cmocka_unit_test(test_modes_task_switch_call_and_iret),
	    cmocka_unit_test(test_modes_exception_through_task_gate),
	    cmocka_unit_test(test_modes_task_switch_checks),
	    cmocka_unit_test_setup_teardown(test_modes_far_jumps_switch_64_and_compat, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_modes_mov_sreg_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes_fs_base_addressing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes_in_asm_log_lists_new_code_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_modes_disas_one_reads_guest_code, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
