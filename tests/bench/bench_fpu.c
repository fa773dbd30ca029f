/*
 * CPU floating point: MFLOPS of an x87 kernel and an SSE2 kernel run by the interpreter,
 * next to the same instructions run natively in the same process.
 *
 *   x87:  loop { fmul st, st(1); fadd st, st(2) }         2 flops per iteration
 *   SSE2: loop { mulpd xmm0, xmm1; addpd xmm0, xmm2 }      4 flops per iteration
 *
 * The guest runs in 32-bit protected mode with paging (one identity-mapped 4 MiB page) at
 * CPL 0 with CR4.OSFXSR set, so that its fetches take the MMU's fast path as a program's
 * do; the loop counter is ECX. Times are this thread's CPU
 * time, the best of RUNS runs of each side (the machine is shared: CPU time moves far
 * less than wall time under load).
 *
 *   cmake --build build --target bench_fpu && ./build/tests/bench_fpu
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"

#define ITERS 2000000L
#define RUNS 3
#define CODE_PA 0x1000 /* the loop */
#define PD_PA 0x2000   /* the page directory */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* mov ecx, ITERS; <body>; dec ecx; jnz body; hlt (32-bit code). */
static size_t guest_loop(uint8_t *p, const uint8_t *body, size_t n)
{
	size_t k = 0;
	uint32_t it = ITERS;
	p[k++] = 0xb9;
	memcpy(p + k, &it, 4);
	k += 4;
	memcpy(p + k, body, n);
	k += n;
	p[k++] = 0x49;
	p[k++] = 0x75;
	p[k++] = (uint8_t) - (int)(n + 3);
	p[k++] = 0xf4;
	return k;
}

/* Runs the loop in the interpreter; returns the seconds taken. */
static double run_guest(const uint8_t *body, size_t n, void (*init)(struct cpu *))
{
	struct phys_bus bus;
	struct mmu m;
	struct cpu cpu;
	struct x86_fault f;
	uint8_t code[64];
	size_t len = guest_loop(code, body, n);
	if (bus_init(&bus, 1u << 20) || mmu_init(&m, &bus, NULL) || cpu_init(&cpu, &m))
		return -1;
	memcpy(bus.ram + CODE_PA, code, len);
	/* 32-bit paging, one 4 MiB page mapping [0, 4 MiB) onto itself: the fetches go through
	 * the MMU's fast path as a program's do (unpaged fetches never do). */
	uint32_t pde = (uint32_t)(PTE_P | PTE_RW | PTE_PS);
	memcpy(bus.ram + PD_PA, &pde, 4);
	if (!mmu_set_cr4(&m, CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT, &f) ||
	    !mmu_set_cr3(&m, PD_PA, &f) || !mmu_set_cr0(&m, m.cr0 | CR0_PE | CR0_PG, &f))
		return -1;
	cpu_enter_protected_mode_flat(&cpu, 0);
	cpu.rip = CODE_PA;
	init(&cpu);
	double t = now_ns();
	enum cpu_exit x = cpu_run(&cpu, 0);
	t = (now_ns() - t) / 1e9;
	if (x != CPU_EXIT_HLT)
		t = -1;
	cpu_destroy(&cpu);
	mmu_destroy(&m);
	bus_destroy(&bus);
	return t;
}

static void init_x87(struct cpu *cpu)
{
	/* ST(0) = 1.0, ST(1) = 0.5, ST(2) = 0.5: the value stays bounded. */
	struct x87_state *f = &cpu->fpu;
	f->fsw = 5u << 11;
	f->ftw = 0x03ff;
	f->st[5] = (struct x87_reg){1ULL << 63, 0x3fff};
	f->st[6] = (struct x87_reg){1ULL << 63, 0x3ffe};
	f->st[7] = (struct x87_reg){1ULL << 63, 0x3ffe};
}

static void init_sse(struct cpu *cpu)
{
	for (int i = 0; i < 2; i++) {
		cpu->xmm[0].q[i] = 0x3ff0000000000000ULL; /* 1.0 */
		cpu->xmm[1].q[i] = 0x3fe0000000000000ULL; /* 0.5 */
		cpu->xmm[2].q[i] = 0x3fe0000000000000ULL;
	}
}

static double native_x87(void)
{
	double t = now_ns();
	long n = ITERS;
	/* ST(2) = ST(1) = 0.5, ST(0) = 1.0 as in the guest */
	__asm__ volatile("fld1\n\tfchs\n\tfld1\n\tfscale\n\tfstp %%st(1)\n\t"
			 "fld %%st(0)\n\tfld1\n\t"
			 "1: fmul %%st(1), %%st\n\t"
			 "fadd %%st(2), %%st\n\t"
			 "dec %0\n\tjnz 1b\n\t"
			 "fstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)"
			 : "+r"(n)
			 :
			 : "cc", "st", "st(1)", "st(2)");
	return (now_ns() - t) / 1e9;
}

static double native_sse(void)
{
	static const double one[2] __attribute__((aligned(16))) = {1.0, 1.0};
	static const double half[2] __attribute__((aligned(16))) = {0.5, 0.5};
	double t = now_ns();
	long n = ITERS;
	__asm__ volatile("movapd %1, %%xmm0\n\t"
			 "movapd %2, %%xmm1\n\t"
			 "movapd %2, %%xmm2\n\t"
			 "1: mulpd %%xmm1, %%xmm0\n\t"
			 "addpd %%xmm2, %%xmm0\n\t"
			 "dec %0\n\tjnz 1b"
			 : "+r"(n)
			 : "m"(one), "m"(half)
			 : "cc", "xmm0", "xmm1", "xmm2");
	return (now_ns() - t) / 1e9;
}

/* ns per guest iteration: the two FP instructions, DEC and JNZ. */
static void report(const char *name, double guest, double native, double flops_per_iter)
{
	double mg = ITERS * flops_per_iter / guest / 1e6;
	double mn = ITERS * flops_per_iter / native / 1e6;
	printf("%-6s mmemu %8.2f MFLOPS (%6.1f ns/iteration)   native %9.1f MFLOPS   "
	       "native/mmemu %6.0fx\n",
	       name, mg, guest * 1e9 / ITERS, mn, mn / mg);
}

/* The best of RUNS guest runs; -1 if one did not reach HLT. */
static double best_guest(const uint8_t *body, size_t n, void (*init)(struct cpu *))
{
	double best = 0;
	for (int i = 0; i < RUNS; i++) {
		double t = run_guest(body, n, init);
		if (t <= 0)
			return -1;
		if (i == 0 || t < best)
			best = t;
	}
	return best;
}

static double best_native(double (*run)(void))
{
	double best = run();
	for (int i = 1; i < RUNS; i++) {
		double t = run();
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	static const uint8_t x87_body[] = {0xd8, 0xc9, 0xd8, 0xc2};
	static const uint8_t sse_body[] = {0x66, 0x0f, 0x59, 0xc1, 0x66, 0x0f, 0x58, 0xc2};
	double gx = best_guest(x87_body, sizeof(x87_body), init_x87);
	double gs = best_guest(sse_body, sizeof(sse_body), init_sse);
	if (gx <= 0 || gs <= 0) {
		fprintf(stderr, "bench_fpu: the guest loop did not run to HLT\n");
		return 1;
	}
	report("x87", gx, best_native(native_x87), 2);
	report("SSE2", gs, best_native(native_sse), 4);
	return 0;
}
