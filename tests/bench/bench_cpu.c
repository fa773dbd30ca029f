/*
 * bench_cpu - interpreter speed: guest loops run by mmemu at CPL 3 in 64-bit mode with
 * 4-level paging (TLBs, exact statistics, the decoded-instruction cache), against the
 * same bytes run natively in this process. Prints MIPS and the slowdown.
 *
 *   xorshift: register-only integer loop (12 instructions per iteration)
 *   memory:   load/add/store over a 4 KiB array (5 instructions per iteration)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"

#define RAM (16u << 20)
#define CODE_LA 0x400000ULL
#define DATA_LA 0x600000ULL

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* mov ecx, N; mov rdx, seed; xor eax, eax;
 * l: mov r8, rdx; shl r8, 13; xor rdx, r8; mov r8, rdx; shr r8, 7; xor rdx, r8;
 *    mov r8, rdx; shl r8, 17; xor rdx, r8; add rax, rdx; dec rcx; jnz l; ret/int3 */
static const uint8_t
    xorshift[] =
	{
	    0xb9, 0,	0,    0,    0,					/* mov ecx, N (patched) */
	    0x48, 0xba, 0x15, 0x7c, 0x4a, 0x7f, 0xb9, 0x79, 0x37, 0x9e, /* mov rdx, seed */
	    0x31, 0xc0,							/* xor eax, eax */
	    0x49, 0x89, 0xd0, 0x49, 0xc1, 0xe0, 0x0d, 0x4c, 0x31, 0xc2, /* l: */
	    0x49, 0x89, 0xd0, 0x49, 0xc1, 0xe8, 0x07, 0x4c, 0x31, 0xc2,
	    0x49, 0x89, 0xd0, 0x49, 0xc1, 0xe0, 0x11, 0x4c, 0x31, 0xc2,
	    0x48, 0x01, 0xd0, 0x48, 0xff, 0xc9, 0x75, 0xda, 0xc3, /* ret natively, int3 in the guest
								   */
};
#define XORSHIFT_PROLOGUE 3
#define XORSHIFT_BODY 12

/* mov ecx, N; xor eax, eax; mov rsi, DATA;
 * l: mov edx, ecx; and edx, 511; add rax, [rsi + rdx*8]; mov [rsi + rdx*8], rax;
 *    dec rcx; jnz l */
static const uint8_t memloop[] = {
    0xb9, 0,	0,    0,    0,			 /* mov ecx, N (patched) */
    0x31, 0xc0,					 /* xor eax, eax */
    0x48, 0xbe, 0,    0,    0,	  0, 0, 0, 0, 0, /* mov rsi, data (patched) */
    0x89, 0xca,					 /* l: mov edx, ecx */
    0x81, 0xe2, 0xff, 0x01, 0,	  0,		 /* and edx, 511 */
    0x48, 0x03, 0x04, 0xd6,			 /* add rax, [rsi+rdx*8] */
    0x48, 0x89, 0x04, 0xd6,			 /* mov [rsi+rdx*8], rax */
    0x48, 0xff, 0xc9, 0x75, 0xeb,		 /* dec rcx; jnz l */
    0xc3,
};
#define MEMLOOP_PROLOGUE 3
#define MEMLOOP_BODY 6

struct machine {
	struct phys_bus bus;
	struct mmu m;
	struct cpu cpu;
};

static void wr64(struct machine *mc, uint64_t pa, uint64_t v)
{
	memcpy(mc->bus.ram + pa, &v, 8);
}

/* 4-level tables mapping the first 8 MiB with 4K user pages, rooted at 0x100000. */
static int machine_init(struct machine *mc)
{
	struct x86_fault f;
	uint64_t pml4 = 0x100000, pdpt = 0x101000, pd = 0x102000, pt = 0x103000;
	if (bus_init(&mc->bus, RAM) || mmu_init(&mc->m, &mc->bus, NULL) ||
	    cpu_init(&mc->cpu, &mc->m))
		return -1;
	wr64(mc, pml4, pdpt | 7);
	wr64(mc, pdpt, pd | 7);
	for (uint64_t i = 0; i < 4; i++) {
		wr64(mc, pd + 8 * i, (pt + 4096 * i) | 7);
		for (uint64_t j = 0; j < 512; j++)
			wr64(mc, pt + 4096 * i + 8 * j, ((i * 512 + j) << 12) | 7);
	}
	if (!mmu_set_cr4(&mc->m, CR4_PAE, &f) || !mmu_set_efer(&mc->m, EFER_LME | EFER_NXE, &f) ||
	    !mmu_set_cr3(&mc->m, pml4, &f) || !mmu_set_cr0(&mc->m, CR0_PE | CR0_PG | CR0_WP, &f))
		return -1;
	cpu_enter_long_mode_flat(&mc->cpu, 3);
	mc->cpu.stop_on_fault = true;
	return 0;
}

static void patch(uint8_t *code, uint32_t n, size_t len, bool guest)
{
	memcpy(code + 1, &n, 4);
	if (guest)
		code[len - 1] = 0xcc;
}

/* Runs code natively; returns seconds and the result in *rax. */
static double run_native(const uint8_t *code, size_t len, uint64_t *rax)
{
	uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memcpy(p, code, len);
	double t = now();
	*rax = ((uint64_t(*)(void))(uintptr_t)p)();
	t = now() - t;
	munmap(p, 4096);
	return t;
}

static double run_guest(struct machine *mc, const uint8_t *code, size_t len, uint64_t *rax,
			uint64_t *insns)
{
	memcpy(mc->bus.ram + CODE_LA, code, len);
	cpu_icache_invalidate_phys(&mc->cpu, CODE_LA, len);
	mc->cpu.rip = CODE_LA;
	mc->cpu.gpr[RSP] = DATA_LA + 0x10000;
	uint64_t start = mc->cpu.icount;
	double t = now();
	enum cpu_exit x = cpu_run(&mc->cpu, 0);
	t = now() - t;
	*insns = mc->cpu.icount - start;
	*rax = mc->cpu.gpr[RAX];
	if (x != CPU_EXIT_FAULT || mc->cpu.fault.vector != 3)
		fprintf(stderr, "bench_cpu: guest stopped unexpectedly (%d)\n", x);
	return t;
}

static void bench(struct machine *mc, const char *name, const uint8_t *tmpl, size_t len,
		  uint32_t iters, unsigned prologue, unsigned body)
{
	uint8_t native[128], guest[128];
	uint64_t rn, rg, insns;
	memcpy(native, tmpl, len);
	memcpy(guest, tmpl, len);
	patch(native, iters, len, false);
	patch(guest, iters, len, true);
	if (tmpl == memloop) {
		void *buf = calloc(512, 8);
		uint64_t a = (uint64_t)(uintptr_t)buf, g = DATA_LA;
		memcpy(native + 9, &a, 8);
		memcpy(guest + 9, &g, 8);
		double tn = run_native(native, len, &rn);
		free(buf);
		memset(mc->bus.ram + DATA_LA, 0, 4096);
		double tg = run_guest(mc, guest, len, &rg, &insns);
		uint64_t n = prologue + (uint64_t)iters * body;
		printf("%-10s guest %8.1f MIPS (%.3f s)  native %8.1f MIPS  slowdown %5.1fx  %s\n",
		       name, (double)insns / tg / 1e6, tg, (double)n / tn / 1e6, tg / tn,
		       rn == rg ? "results equal" : "RESULTS DIFFER");
		return;
	}
	double tn = run_native(native, len, &rn);
	double tg = run_guest(mc, guest, len, &rg, &insns);
	uint64_t n = prologue + (uint64_t)iters * body;
	printf("%-10s guest %8.1f MIPS (%.3f s)  native %8.1f MIPS  slowdown %5.1fx  %s\n", name,
	       (double)insns / tg / 1e6, tg, (double)n / tn / 1e6, tg / tn,
	       rn == rg ? "results equal" : "RESULTS DIFFER");
}

/* argv[1]: iterations of the xorshift loop (default 20 M; the memory loop runs twice as
 * many), to run short under valgrind --tool=callgrind. */
int main(int argc, char **argv)
{
	static struct machine mc;
	uint32_t iters = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 20000000;
	if (machine_init(&mc)) {
		fprintf(stderr, "bench_cpu: machine setup failed\n");
		return 1;
	}
	printf("bench_cpu: 64-bit mode, CPL 3, 4-level paging, exact TLB statistics\n");
	bench(&mc, "xorshift", xorshift, sizeof(xorshift), iters, XORSHIFT_PROLOGUE, XORSHIFT_BODY);
	bench(&mc, "memory", memloop, sizeof(memloop), 2 * iters, MEMLOOP_PROLOGUE, MEMLOOP_BODY);
	printf("the same without exact TLB statistics (fast-path hits not counted):\n");
	mc.m.exact_stats = false;
	bench(&mc, "xorshift", xorshift, sizeof(xorshift), iters, XORSHIFT_PROLOGUE, XORSHIFT_BODY);
	bench(&mc, "memory", memloop, sizeof(memloop), 2 * iters, MEMLOOP_PROLOGUE, MEMLOOP_BODY);
	cpu_destroy(&mc.cpu);
	mmu_destroy(&mc.m);
	bus_destroy(&mc.bus);
	return 0;
}
