/*
 * The floating-point differential harness: the host CPU is the oracle for x87 and SSE.
 *
 * A case is a code sequence ending in INT3, an initial state (the sixteen GPRs, RFLAGS and
 * a 512-byte FXSAVE image holding the x87 registers, control/status/tag words, MXCSR and
 * XMM0-15) and a data page (RBX points at it). The native side runs a batch of cases in a
 * forked child: code and data at the fixed addresses the guest uses (ENV_CODE, ENV_DATA);
 * a trampoline (raw bytes) does FXRSTOR64 of the image, POPFQ, loads the GPRs and jumps to
 * the code; the final INT3, or a fault (#MF and #XM arrive as SIGFPE), raises a signal
 * whose handler copies the registers and the FXSAVE-format FPU state from the ucontext and
 * the data page into shared memory. The mmemu side loads the same state into a cpu_env
 * machine (CR0.MP|NE, CR4.OSFXSR|OSXMMEXCPT as Linux sets them; DS holds the null
 * selector as in a Linux process, so FDS agrees) and runs the bytes.
 *
 * Compared: the signal, RIP, GPRs, the status flags, FCW, FSW, abridged FTW, FOP, FIP,
 * FDP, MXCSR, MXCSR_MASK, ST0-7 (80 bits each), XMM0-15 and every byte of the data
 * page.
 */
#ifndef TESTS_CPU_FP_DIFF_H
#define TESTS_CPU_FP_DIFF_H

#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/cpu/cpu_test_env.h"
#include "cpu/fpu.h"

#define FPD_CODE_MAX 96
#define FPD_DATA_SIZE 4096
#define FPD_CTRL 0x10300000ULL /* control block, image and trampoline (native side) */
#define FPD_FLAGS_MASK (STATUS_FLAGS | RFLAGS_DF)

struct fpd_case {
	uint8_t code[FPD_CODE_MAX]; /* ends with 0xcc */
	uint32_t code_len;
	uint64_t gpr[16];
	uint64_t rflags;
	struct fxsave_image fx; /* initial FPU/SSE state */
	uint8_t data[FPD_DATA_SIZE];
	char name[80];
};

struct fpd_result {
	int sig;
	uint64_t rip;
	uint64_t gpr[16];
	uint64_t rflags;
	struct fxsave_image fx;
	uint8_t data[FPD_DATA_SIZE];
};

/* ---- native side ---- */

static struct fpd_result *fpd_child_res;
static sigjmp_buf fpd_child_jb;

static void fpd_child_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
				    REG_RSI, REG_RDI, REG_R8,  REG_R9,	REG_R10, REG_R11,
				    REG_R12, REG_R13, REG_R14, REG_R15};
	struct fpd_result *r = fpd_child_res;
	(void)si;
	r->sig = sig;
	r->rip = (uint64_t)g[REG_RIP] - (sig == SIGTRAP ? 1 : 0);
	for (int i = 0; i < 16; i++)
		r->gpr[i] = (uint64_t)g[map[i]];
	r->rflags = (uint64_t)g[REG_EFL];
	memcpy(r->fx.b, uc->uc_mcontext.fpregs, 512);
	memcpy(r->data, (void *)(uintptr_t)ENV_DATA, FPD_DATA_SIZE);
	siglongjmp(fpd_child_jb, 1);
}

static size_t fpd_abs_modrm(uint8_t *p, size_t n, uint8_t modrm, uint32_t a)
{
	p[n++] = modrm;
	p[n++] = 0x25;
	memcpy(p + n, &a, 4);
	return n + 4;
}

/* FXRSTOR64 [ctrl+0x200]; RSP = &ctrl.rflags; POPFQ; MOV each GPR; MOV RSP; JMP [ctrl+0x88]. */
static size_t fpd_trampoline(uint8_t *p)
{
	size_t n = 0;
	uint64_t flags_at = FPD_CTRL + 0x80;
	p[n++] = 0x48;
	p[n++] = 0x0f;
	p[n++] = 0xae;
	n = fpd_abs_modrm(p, n, 0x0c, (uint32_t)(FPD_CTRL + 0x200));
	p[n++] = 0x48;
	p[n++] = 0xbc;
	memcpy(p + n, &flags_at, 8);
	n += 8;
	p[n++] = 0x9d;
	for (int r = 0; r < 16; r++) {
		if (r == RSP)
			continue;
		p[n++] = r >= 8 ? 0x4c : 0x48;
		p[n++] = 0x8b;
		n = fpd_abs_modrm(p, n, (uint8_t)(((r & 7) << 3) | 4),
				  (uint32_t)(FPD_CTRL + 8 * (unsigned)r));
	}
	p[n++] = 0x48;
	p[n++] = 0x8b;
	n = fpd_abs_modrm(p, n, 0x24, (uint32_t)(FPD_CTRL + 8 * RSP));
	p[n++] = 0xff;
	n = fpd_abs_modrm(p, n, 0x24, (uint32_t)(FPD_CTRL + 0x88));
	return n;
}

static void *fpd_map_fixed(uint64_t addr, size_t len, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	return p == (void *)(uintptr_t)addr ? p : NULL;
}

static void fpd_child(const struct fpd_case *cases, struct fpd_result *res, int n)
{
	static uint8_t altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	if (!fpd_map_fixed(ENV_CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    !fpd_map_fixed(ENV_DATA, FPD_DATA_SIZE, PROT_READ | PROT_WRITE) ||
	    !fpd_map_fixed(FPD_CTRL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		_exit(2);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fpd_child_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	int sigs[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	uint8_t *ctrl = (uint8_t *)(uintptr_t)FPD_CTRL;
	fpd_trampoline(ctrl + 0x400);
	for (volatile int i = 0; i < n; i++) {
		const struct fpd_case *c = &cases[i];
		fpd_child_res = &res[i];
		memcpy((void *)(uintptr_t)ENV_CODE, c->code, c->code_len);
		memcpy((void *)(uintptr_t)ENV_DATA, c->data, FPD_DATA_SIZE);
		memcpy(ctrl, c->gpr, sizeof(c->gpr));
		memcpy(ctrl + 0x80, &c->rflags, 8);
		uint64_t target = ENV_CODE;
		memcpy(ctrl + 0x88, &target, 8);
		memcpy(ctrl + 0x200, c->fx.b, 512);
		if (sigsetjmp(fpd_child_jb, 1) == 0)
			((void (*)(void))(uintptr_t)(FPD_CTRL + 0x400))();
	}
	_exit(0);
}

/* Runs n cases natively; 0, or -1 when the child failed. */
static int fpd_run_native(const struct fpd_case *cases, struct fpd_result *res, int n)
{
	size_t len = sizeof(*res) * (size_t)n;
	struct fpd_result *shared =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		fpd_child(cases, shared, n);
	int status = 0;
	waitpid(pid, &status, 0);
	memcpy(res, shared, len);
	munmap(shared, len);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- mmemu side ---- */

static void fpd_env_init(struct cpu_env *e)
{
	struct x86_fault f;
	env_init(e);
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 | CR0_MP | CR0_NE, &f));
	assert_true(mmu_set_cr4(&e->m, e->m.cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT, &f));
	e->m.seg.sreg[SEG_DS].selector = 0;
}

static int fpd_signal_of(uint8_t vec)
{
	switch (vec) {
	case X86_VEC_DE:
	case X86_VEC_MF:
	case X86_VEC_XM:
		return SIGFPE;
	case X86_VEC_BP:
		return SIGTRAP;
	case X86_VEC_UD:
		return SIGILL;
	case X86_VEC_AC:
		return SIGBUS;
	default:
		return SIGSEGV;
	}
}

static void fpd_run_mmemu(struct cpu_env *e, const struct fpd_case *c, struct fpd_result *r)
{
	struct cpu *cpu = &e->cpu;
	unsigned len;
	memcpy(e->bus.ram + ENV_DATA_PA, c->data, FPD_DATA_SIZE);
	env_load_code(e, c->code, c->code_len);
	memcpy(cpu->gpr, c->gpr, sizeof(c->gpr));
	cpu_set_rflags(cpu, c->rflags);
	assert_true(fxrstor_load(cpu, true, &c->fx));
	enum cpu_exit x = cpu_run(cpu, 1000);
	r->sig = x == CPU_EXIT_FAULT ? fpd_signal_of(cpu->fault.vector) : -1;
	r->rip = cpu->rip;
	memcpy(r->gpr, cpu->gpr, sizeof(r->gpr));
	r->rflags = cpu->rflags;
	fxsave_fill(cpu, true, &r->fx, &len);
	memcpy(r->data, e->bus.ram + ENV_DATA_PA, FPD_DATA_SIZE);
}

/* The compared byte ranges of the FXSAVE image. */
static bool fpd_fx_compared(unsigned off)
{
	if (off < 24)
		return off != 5;
	if (off < 32)
		return true; /* MXCSR, MXCSR_MASK */
	if (off < FX_XMM)
		return (off - 32) % 16 < 10;
	return off < FX_XMM + 256;
}

static void fpd_hex(const uint8_t *p, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[n - 1 - i]);
}

static void fpd_report_fx(const struct fpd_result *n, const struct fpd_result *m)
{
	char a[40], b[40];
	for (unsigned off = 0; off < 512; off++) {
		if (!fpd_fx_compared(off) || n->fx.b[off] == m->fx.b[off])
			continue;
		unsigned base = off, len = 1;
		if (off >= FX_XMM) {
			base = off & ~15u;
			len = 16;
		} else if (off >= FX_ST) {
			base = off & ~15u;
			len = 10;
		} else if (off < 24) {
			static const uint8_t starts[] = {0, 2, 4, 6, 8, 16, 24};
			static const uint8_t lens[] = {2, 2, 1, 2, 8, 8, 4};
			for (unsigned i = 0; i < 7; i++)
				if (off >= starts[i] && off < starts[i] + lens[i]) {
					base = starts[i];
					len = lens[i];
				}
		} else {
			base = 24;
			len = 4;
		}
		fpd_hex(n->fx.b + base, len, a);
		fpd_hex(m->fx.b + base, len, b);
		fprintf(stderr, "  fx[%u..]: native %s mmemu %s\n", base, a, b);
		return;
	}
}

/* Compares; prints the first difference and returns false on a mismatch. */
static bool fpd_compare(const struct fpd_case *c, const struct fpd_result *n,
			const struct fpd_result *m)
{
	const char *what = NULL;
	if (n->sig != m->sig && !(n->sig == SIGTRAP && m->sig == -1))
		what = "signal";
	else if (n->rip != m->rip)
		what = "rip";
	else if ((n->rflags & FPD_FLAGS_MASK) != (m->rflags & FPD_FLAGS_MASK))
		what = "rflags";
	for (int i = 0; !what && i < 16; i++)
		if (n->gpr[i] != m->gpr[i])
			what = "gpr";
	for (unsigned off = 0; !what && off < 512; off++)
		if (fpd_fx_compared(off) && n->fx.b[off] != m->fx.b[off])
			what = "fpu state";
	for (int i = 0; !what && i < FPD_DATA_SIZE; i++)
		if (n->data[i] != m->data[i])
			what = "memory";
	if (!what)
		return true;
	char hex[3 * FPD_CODE_MAX + 1];
	for (uint32_t i = 0; i < c->code_len; i++)
		sprintf(hex + 3 * i, "%02x ", c->code[i]);
	fprintf(stderr, "MISMATCH %s (%s)\n  code: %s\n", what, c->name, hex);
	fprintf(stderr,
		"  native sig %d rip %#llx flags %#llx | mmemu sig %d rip %#llx flags %#llx\n",
		n->sig, (unsigned long long)n->rip, (unsigned long long)n->rflags, m->sig,
		(unsigned long long)m->rip, (unsigned long long)m->rflags);
	for (int i = 0; i < 16; i++)
		if (n->gpr[i] != m->gpr[i])
			fprintf(stderr, "  gpr%d: native %#llx mmemu %#llx\n", i,
				(unsigned long long)n->gpr[i], (unsigned long long)m->gpr[i]);
	fpd_report_fx(n, m);
	if (getenv("FPD_VERBOSE")) {
		char h[40];
		for (unsigned i = 0; i < 16; i++) {
			fpd_hex(c->fx.b + FX_XMM + 16 * i, 16, h);
			fprintf(stderr, "  initial xmm%u %s\n", i, h);
		}
		fpd_hex(c->data + 0x40, 16, h);
		fprintf(stderr, "  initial [rbx+0x40] %s\n", h);
		fpd_hex(c->fx.b + FX_MXCSR, 4, h);
		fprintf(stderr, "  initial mxcsr %s\n", h);
	}
	for (int i = 0; i < FPD_DATA_SIZE; i++)
		if (n->data[i] != m->data[i]) {
			fprintf(stderr, "  data[%#x]: native %02x mmemu %02x\n", i, n->data[i],
				m->data[i]);
			break;
		}
	return false;
}

/* Runs cases natively and in mmemu; returns the number of mismatches (first few printed). */
static int fpd_run_all(const struct fpd_case *cases, int n)
{
	struct fpd_result *nat = calloc((size_t)n, sizeof(*nat));
	struct fpd_result *mm = calloc((size_t)n, sizeof(*mm));
	static struct cpu_env env;
	int bad = 0;
	assert_non_null(nat);
	assert_non_null(mm);
	assert_int_equal(fpd_run_native(cases, nat, n), 0);
	fpd_env_init(&env);
	for (int i = 0; i < n; i++) {
		fpd_run_mmemu(&env, &cases[i], &mm[i]);
		if (!fpd_compare(&cases[i], &nat[i], &mm[i]) && ++bad >= 20)
			break;
	}
	env_destroy(&env);
	free(nat);
	free(mm);
	printf("  %d cases compared with the host, %d mismatches\n", n, bad);
	return bad;
}

/* ---- case building ---- */

/* FPD_SCALE=n in the environment multiplies the random case counts (deeper runs by hand;
 * CI runs the default of 1). */
static inline int fpd_scale(void)
{
	const char *e = getenv("FPD_SCALE");
	int n = e ? atoi(e) : 1;
	return n < 1 ? 1 : n > 1000 ? 1000 : n;
}

/* A small deterministic generator (xorshift64*). */
static inline uint64_t fpd_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Sets physical x87 register i of the image of a case (whose FSW TOP is set). */
static inline void fpd_set_st(struct fpd_case *c, unsigned st, uint64_t mant, uint16_t sexp)
{
	memcpy(c->fx.b + FX_ST + 16 * st, &mant, 8);
	memcpy(c->fx.b + FX_ST + 16 * st + 8, &sexp, 2);
}

/* A case with the default state: FNINIT x87, MXCSR 1F80h, RBX = ENV_DATA, RSP inside the
 * data page, a patterned data page. */
static inline void fpd_case_init(struct fpd_case *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	uint16_t fcw = 0x037f;
	uint32_t mx = 0x1f80;
	memcpy(c->fx.b + FX_FCW, &fcw, 2);
	memcpy(c->fx.b + FX_MXCSR, &mx, 4);
	c->rflags = RFLAGS_FIXED1;
	c->gpr[RBX] = ENV_DATA;
	c->gpr[RSP] = ENV_DATA + FPD_DATA_SIZE - 256;
	for (int i = 0; i < FPD_DATA_SIZE; i++)
		c->data[i] = (uint8_t)(i * 7 + 3);
}

static inline void fpd_code(struct fpd_case *c, const uint8_t *bytes, unsigned n)
{
	assert_true(c->code_len + n + 1 <= FPD_CODE_MAX);
	memcpy(c->code + c->code_len, bytes, n);
	c->code_len += n;
}

static inline void fpd_end(struct fpd_case *c)
{
	c->code[c->code_len++] = 0xcc;
}

#endif /* TESTS_CPU_FP_DIFF_H */
