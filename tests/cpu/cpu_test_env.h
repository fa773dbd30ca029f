/*
 * A tiny machine for CPU tests, without a kernel: 16 MiB of guest RAM, 4-level page tables
 * written by the test, Linux's 64-bit GDT, a 64-bit TSS, an IDT whose gates point at kernel
 * text addresses, and a CPU in 64-bit mode at CPL 3. Header-only: each test includes it.
 *
 * Physical layout:                   Linear layout (4K user pages unless stated):
 *   0x001000  GDT                      ENV_CODE  0x10000000  code (16 pages)
 *   0x002000  TSS                      ENV_DATA  0x10100000  data (16 pages)
 *   0x003000  IDT                      ENV_KSTACK 0x10200000 kernel stack (supervisor)
 *   0x100000+ page tables              0 .. 2 MiB: GDT/TSS/IDT identity-mapped (supervisor)
 *   0x400000  code frames
 *   0x500000  data frames
 *   0x600000  kernel stack frames
 */
#ifndef TESTS_CPU_CPU_TEST_ENV_H
#define TESTS_CPU_CPU_TEST_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"

#define ENV_RAM (16u << 20)
#define ENV_GDT_PA 0x1000ULL
#define ENV_TSS_PA 0x2000ULL
#define ENV_IDT_PA 0x3000ULL
#define ENV_TABLES_PA 0x100000ULL
#define ENV_CODE 0x10000000ULL
#define ENV_CODE_PA 0x400000ULL
#define ENV_DATA 0x10100000ULL
#define ENV_DATA_PA 0x500000ULL
#define ENV_KSTACK 0x10200000ULL
#define ENV_KSTACK_PA 0x600000ULL
#define ENV_PAGES 16
/* Kernel text: the IDT's gate for vector v points at ENV_KTEXT + 16 * v. */
#define ENV_KTEXT 0xffffffff81000000ULL

struct cpu_env {
	struct phys_bus bus;
	struct mmu m;
	struct cpu cpu;
	uint64_t pml4;	     /* physical address of the root table */
	uint64_t next_table; /* next free page-table frame */
};

/* xorshift64: the tests' small, seeded, deterministic generator (advances *s). */
static inline uint64_t env_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline uint64_t env_rd64(struct cpu_env *e, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, e->bus.ram + pa, 8);
	return v;
}

static inline void env_wr64(struct cpu_env *e, uint64_t pa, uint64_t v)
{
	memcpy(e->bus.ram + pa, &v, 8);
}

static inline uint64_t env_new_table(struct cpu_env *e)
{
	uint64_t pa = e->next_table;
	e->next_table += 4096;
	memset(e->bus.ram + pa, 0, 4096);
	return pa;
}

/* Maps the 4K page la -> pa with leaf flags (PTE_P etc.); upper levels get P|RW|US. */
static inline void env_map(struct cpu_env *e, uint64_t la, uint64_t pa, uint64_t flags)
{
	uint64_t table = e->pml4;
	for (int lvl = 3; lvl > 0; lvl--) {
		uint64_t ent_pa = table + ((la >> (12 + 9 * lvl)) & 511) * 8;
		uint64_t ent = env_rd64(e, ent_pa);
		if (!(ent & PTE_P)) {
			ent = env_new_table(e) | PTE_P | PTE_RW | PTE_US;
			env_wr64(e, ent_pa, ent);
		}
		table = ent & 0x000ffffffffff000ULL;
	}
	env_wr64(e, table + ((la >> 12) & 511) * 8, pa | flags);
}

/* The 16-byte IDT gate of vector vec: interrupt gate to __KERNEL_CS:target, DPL dpl. */
static inline void env_set_gate(struct cpu_env *e, unsigned vec, uint64_t target, unsigned dpl,
				unsigned ist)
{
	uint64_t lo = (target & 0xffff) | ((uint64_t)__KERNEL_CS << 16) | ((uint64_t)ist << 32) |
		      (0xeULL << 40) | ((uint64_t)dpl << 45) | (1ULL << 47) |
		      ((target & 0xffff0000ULL) << 32);
	env_wr64(e, ENV_IDT_PA + vec * 16, lo);
	env_wr64(e, ENV_IDT_PA + vec * 16 + 8, target >> 32);
}

static inline void env_init(struct cpu_env *e)
{
	struct x86_fault f;
	memset(e, 0, sizeof(*e));
	assert_int_equal(bus_init(&e->bus, ENV_RAM), 0);
	assert_int_equal(mmu_init(&e->m, &e->bus, NULL), 0);
	assert_int_equal(cpu_init(&e->cpu, &e->m), 0);
	e->next_table = ENV_TABLES_PA;
	e->pml4 = env_new_table(e);
	for (uint64_t pa = 0; pa < 0x200000; pa += 4096)
		env_map(e, pa, pa, PTE_P | PTE_RW);
	for (uint64_t i = 0; i < ENV_PAGES; i++) {
		env_map(e, ENV_CODE + i * 4096, ENV_CODE_PA + i * 4096, PTE_P | PTE_RW | PTE_US);
		env_map(e, ENV_DATA + i * 4096, ENV_DATA_PA + i * 4096, PTE_P | PTE_RW | PTE_US);
		env_map(e, ENV_KSTACK + i * 4096, ENV_KSTACK_PA + i * 4096, PTE_P | PTE_RW);
	}
	int limit = seg_write_linux_gdt64(&e->bus, ENV_GDT_PA, ENV_TSS_PA, 0x67);
	assert_true(limit > 0);
	e->m.seg.gdtr = (struct dtr){.base = ENV_GDT_PA, .limit = (uint16_t)limit};
	/* TSS: RSP0 at +4, IST1 at +0x24. */
	env_wr64(e, ENV_TSS_PA + 4, ENV_KSTACK + ENV_PAGES * 4096);
	env_wr64(e, ENV_TSS_PA + 0x24, ENV_KSTACK + 8 * 4096);
	for (unsigned v = 0; v < 256; v++)
		env_set_gate(e, v, ENV_KTEXT + 16 * v, v == 3 || v == 4 || v == 0x80 ? 3 : 0, 0);
	e->m.seg.idtr = (struct dtr){.base = ENV_IDT_PA, .limit = 256 * 16 - 1};
	assert_true(mmu_set_cr4(&e->m, CR4_PAE, &f));
	assert_true(mmu_set_efer(&e->m, EFER_LME | EFER_NXE | EFER_SCE, &f));
	assert_true(mmu_set_cr3(&e->m, e->pml4, &f));
	assert_true(mmu_set_cr0(&e->m, CR0_PE | CR0_PG | CR0_WP, &f));
	assert_true(seg_ltr(&e->m, __TSS_SEL, &f));
	cpu_enter_long_mode_flat(&e->cpu, 3);
	e->cpu.stop_on_fault = true;
	e->cpu.rip = ENV_CODE;
	e->cpu.gpr[RSP] = ENV_DATA + ENV_PAGES * 4096 - 64;
}

static inline void env_destroy(struct cpu_env *e)
{
	cpu_destroy(&e->cpu);
	mmu_destroy(&e->m);
	bus_destroy(&e->bus);
}

/* Copies code to ENV_CODE (physical writes: the decoded-instruction cache is told). */
static inline void env_load_code(struct cpu_env *e, const void *code, size_t len)
{
	assert_true(len <= ENV_PAGES * 4096);
	memcpy(e->bus.ram + ENV_CODE_PA, code, len);
	cpu_icache_invalidate_phys(&e->cpu, ENV_CODE_PA, len);
	e->cpu.rip = ENV_CODE;
}

/* Runs code that ends in INT3 (0xcc): asserts the CPU stops there with #BP and returns
 * nothing; the registers are the result. */
static inline void env_run_to_int3(struct cpu_env *e, const void *code, size_t len)
{
	env_load_code(e, code, len);
	assert_int_equal(cpu_run(&e->cpu, 100000), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
	assert_int_equal(e->cpu.rip, ENV_CODE + len - 1);
}

#define STATUS_FLAGS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

#endif /* TESTS_CPU_CPU_TEST_ENV_H */
