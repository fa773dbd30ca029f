/*
 * The differential harness: the host CPU is the oracle.
 *
 * A case is a code sequence ending in INT3, an initial register state (the sixteen GPRs
 * and RFLAGS, and optionally a 512-byte FXSAVE image of the x87/SSE state) and a data
 * page. The native side runs a batch of cases in a forked child: the code and data are
 * mapped at the same fixed linear addresses the guest uses (ENV_CODE, ENV_DATA), a
 * trampoline written as raw bytes loads the registers (FXRSTOR64 when the case has an
 * image, POPFQ, then MOVs from an absolute control block, RSP last) and jumps to the code;
 * the final INT3 (or a fault) raises a signal whose handler reads the registers and the
 * FXSAVE-format FPU state from the ucontext, copies the data page into shared memory and
 * siglongjmps to the next case. The mmemu side runs
 * the same bytes from the same state on a cpu_env machine with stop_on_fault. The results
 * are compared: the signal/exception, RIP, every GPR, the status flags and DF, and every
 * byte of the data page.
 *
 * The child needs a few statics (the signal handler cannot receive arguments); they live
 * only in the child's copy of this test process.
 */
#ifndef TESTS_CPU_DIFF_HARNESS_H
#define TESTS_CPU_DIFF_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "cpu/fpu.h"
#include "tests/cpu/cpu_test_env.h"

#define DIFF_CODE_MAX 512
#define DIFF_DATA_SIZE 4096
#define DIFF_CTRL 0x10300000ULL /* control block and trampoline (native side only) */
#define DIFF_FLAGS_MASK (STATUS_FLAGS | RFLAGS_DF | RFLAGS_NT | RFLAGS_ID | RFLAGS_IF | RFLAGS_IOPL)

struct diff_case {
	uint8_t code[DIFF_CODE_MAX]; /* ends with 0xcc */
	uint32_t code_len;
	uint64_t gpr[16];
	uint64_t rflags;
	uint8_t data[DIFF_DATA_SIZE];
	char name[80]; /* what the case is, for mismatch reports */
	bool compat;   /* run in compatibility mode (CS = __USER32_CS) */
	bool load_fx;  /* start from fx (64-bit mode only); else the FPU is as it comes */
	struct fxsave_image fx;
};

struct diff_result {
	int sig;      /* SIGTRAP for the final INT3, else the signal of a fault */
	uint64_t rip; /* for SIGTRAP: the INT3's address (normalised) */
	uint64_t gpr[16];
	uint64_t rflags;
	struct fxsave_image fx; /* the FPU/SSE state at the end */
	uint8_t data[DIFF_DATA_SIZE];
};

/* ---- native side ---- */

static struct diff_result *diff_child_res; /* shared results (child only) */
static sigjmp_buf diff_child_jb;

static void diff_child_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
				    REG_RSI, REG_RDI, REG_R8,  REG_R9,	REG_R10, REG_R11,
				    REG_R12, REG_R13, REG_R14, REG_R15};
	struct diff_result *r = diff_child_res;
	(void)si;
	r->sig = sig;
	r->rip = (uint64_t)g[REG_RIP] - (sig == SIGTRAP ? 1 : 0);
	for (int i = 0; i < 16; i++)
		r->gpr[i] = (uint64_t)g[map[i]];
	r->rflags = (uint64_t)g[REG_EFL];
	memcpy(r->fx.b, uc->uc_mcontext.fpregs, sizeof(r->fx.b));
	memcpy(r->data, (void *)(uintptr_t)ENV_DATA, DIFF_DATA_SIZE);
	siglongjmp(diff_child_jb, 1);
}

/* The control block: GPRs at +0, RFLAGS +0x80, the jump target +0x88, the far pointer for
 * compatibility mode +0x90, trampolines at +0x100 (64-bit), +0x200 (compat), +0x300
 * (64-bit with FXRSTOR), the FXSAVE image at +0x400. */
#define DIFF_TRAMP_64 0x100
#define DIFF_TRAMP_COMPAT 0x200
#define DIFF_TRAMP_FX 0x300
#define DIFF_CTRL_FX 0x400

/* The trampoline: [FXRSTOR64 [ctrl.fx];] RSP = &ctrl.rflags; POPFQ; MOV each GPR from
 * ctrl; MOV RSP; JMP [rip] (compat: JMP FAR [m16:32] to __USER32_CS:code). */
static size_t diff_trampoline(uint8_t *p, bool compat, bool fx)
{
	size_t n = 0;
	uint64_t flags_at = DIFF_CTRL + 0x80;
	if (fx) {
		uint32_t a = (uint32_t)(DIFF_CTRL + DIFF_CTRL_FX);
		static const uint8_t fxrstor64[] = {0x48, 0x0f, 0xae, 0x0c, 0x25};
		memcpy(p, fxrstor64, sizeof(fxrstor64));
		memcpy(p + sizeof(fxrstor64), &a, 4);
		n = sizeof(fxrstor64) + 4;
	}
	if (compat) {
		/* A 64-bit Linux process runs with null DS/ES, which 32-bit code cannot use:
		 * mov eax, __USER_DS; mov ds, eax; mov es, eax. */
		static const uint8_t ds[] = {0xb8, __USER_DS, 0, 0, 0, 0x8e, 0xd8, 0x8e, 0xc0};
		memcpy(p + n, ds, sizeof(ds));
		n += sizeof(ds);
	}
	p[n++] = 0x48;
	p[n++] = 0xbc;
	memcpy(p + n, &flags_at, 8);
	n += 8;
	p[n++] = 0x9d;
	for (int r = 0; r < 16; r++) {
		if (r == RSP)
			continue;
		uint32_t a = (uint32_t)(DIFF_CTRL + 8 * (unsigned)r);
		p[n++] = r >= 8 ? 0x4c : 0x48;
		p[n++] = 0x8b;
		p[n++] = (uint8_t)(((r & 7) << 3) | 4);
		p[n++] = 0x25;
		memcpy(p + n, &a, 4);
		n += 4;
	}
	uint32_t a = (uint32_t)(DIFF_CTRL + 8 * RSP), j = (uint32_t)(DIFF_CTRL + 0x88);
	p[n++] = 0x48;
	p[n++] = 0x8b;
	p[n++] = 0x24;
	p[n++] = 0x25;
	memcpy(p + n, &a, 4);
	n += 4;
	if (compat)
		j = (uint32_t)(DIFF_CTRL + 0x90);
	p[n++] = 0xff;
	p[n++] = compat ? 0x2c : 0x24;
	p[n++] = 0x25;
	memcpy(p + n, &j, 4);
	n += 4;
	return n;
}

static void *diff_map_fixed(uint64_t addr, size_t len, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	return p == (void *)(uintptr_t)addr ? p : NULL;
}

static void diff_child(const struct diff_case *cases, struct diff_result *res, int n)
{
	static uint8_t altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	if (!diff_map_fixed(ENV_CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    !diff_map_fixed(ENV_DATA, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE) ||
	    !diff_map_fixed(DIFF_CTRL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		_exit(2);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = diff_child_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	int sigs[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	uint8_t *ctrl = (uint8_t *)(uintptr_t)DIFF_CTRL;
	diff_trampoline(ctrl + DIFF_TRAMP_64, false, false);
	diff_trampoline(ctrl + DIFF_TRAMP_COMPAT, true, false);
	diff_trampoline(ctrl + DIFF_TRAMP_FX, false, true);
	uint32_t far_off = (uint32_t)ENV_CODE;
	uint16_t far_sel = __USER32_CS;
	memcpy(ctrl + 0x90, &far_off, 4);
	memcpy(ctrl + 0x94, &far_sel, 2);
	for (volatile int i = 0; i < n; i++) {
		const struct diff_case *c = &cases[i];
		unsigned tramp = c->load_fx ? DIFF_TRAMP_FX : c->compat ? DIFF_TRAMP_COMPAT : DIFF_TRAMP_64;
		diff_child_res = &res[i];
		memcpy((void *)(uintptr_t)ENV_CODE, c->code, c->code_len);
		memcpy((void *)(uintptr_t)ENV_DATA, c->data, DIFF_DATA_SIZE);
		memcpy(ctrl, c->gpr, sizeof(c->gpr));
		memcpy(ctrl + 0x80, &c->rflags, 8);
		uint64_t target = ENV_CODE;
		memcpy(ctrl + 0x88, &target, 8);
		memcpy(ctrl + DIFF_CTRL_FX, c->fx.b, sizeof(c->fx.b));
		if (sigsetjmp(diff_child_jb, 1) == 0)
			((void (*)(void))(uintptr_t)(DIFF_CTRL + tramp))();
	}
	_exit(0);
}

/* Runs n cases natively; 0 or -1 when the child failed. */
static int diff_run_native(const struct diff_case *cases, struct diff_result *res, int n)
{
	size_t len = sizeof(*res) * (size_t)n;
	struct diff_result *shared =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		diff_child(cases, shared, n);
	int status = 0;
	waitpid(pid, &status, 0);
	memcpy(res, shared, len);
	munmap(shared, len);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- mmemu side ---- */

/* The signal Linux sends for an exception vector. */
static int diff_signal_of(uint8_t vec)
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

static inline void diff_run_mmemu(struct cpu_env *e, const struct diff_case *c, struct diff_result *r)
{
	struct cpu *cpu = &e->cpu;
	memcpy(e->bus.ram + ENV_DATA_PA, c->data, DIFF_DATA_SIZE);
	env_load_code(e, c->code, c->code_len);
	memcpy(cpu->gpr, c->gpr, sizeof(c->gpr));
	cpu_set_rflags(cpu, c->rflags);
	if (c->compat)
		cpu_enter_compat_mode_flat(cpu);
	else
		cpu_enter_long_mode_flat(cpu, 3);
	enum cpu_exit x = cpu_run(cpu, 100000);
	r->sig = x == CPU_EXIT_FAULT ? diff_signal_of(cpu->fault.vector) : -1;
	r->rip = cpu->rip;
	memcpy(r->gpr, cpu->gpr, sizeof(r->gpr));
	r->rflags = cpu_rflags(cpu);
	memcpy(r->data, e->bus.ram + ENV_DATA_PA, DIFF_DATA_SIZE);
}

static const char *const diff_reg_names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
					       "rsi", "rdi", "r8",  "r9",  "r10", "r11",
					       "r12", "r13", "r14", "r15"};

/* Compares; prints the first difference and returns false on a mismatch. */
static inline bool diff_compare(const struct diff_case *c, const struct diff_result *n,
			 const struct diff_result *m, bool quiet)
{
	char hex[3 * DIFF_CODE_MAX + 1];
	const char *what = NULL;
	int reg = -1, byte = -1;
	if (n->sig != m->sig)
		what = "signal";
	else if (n->rip != m->rip)
		what = "rip";
	else if ((n->rflags & DIFF_FLAGS_MASK) != (m->rflags & DIFF_FLAGS_MASK))
		what = "rflags";
	/* Compatibility mode: only the low halves are architecturally visible. */
	uint64_t gmask = c->compat ? 0xffffffffULL : ~0ULL;
	for (int i = 0; !what && i < (c->compat ? 8 : 16); i++)
		if ((n->gpr[i] ^ m->gpr[i]) & gmask) {
			what = "register";
			reg = i;
		}
	for (int i = 0; !what && i < DIFF_DATA_SIZE; i++)
		if (n->data[i] != m->data[i]) {
			what = "memory";
			byte = i;
		}
	if (!what)
		return true;
	if (quiet)
		return false;
	for (uint32_t i = 0; i < c->code_len; i++)
		sprintf(hex + 3 * i, "%02x ", c->code[i]);
	fprintf(stderr, "MISMATCH %s (%s): %s\n  code: %s\n", what, c->name, what, hex);
	fprintf(stderr,
		"  native sig %d rip %#llx flags %#llx | mmemu sig %d rip %#llx flags %#llx\n",
		n->sig, (unsigned long long)n->rip, (unsigned long long)n->rflags, m->sig,
		(unsigned long long)m->rip, (unsigned long long)m->rflags);
	fprintf(stderr, "  initial flags %#llx\n", (unsigned long long)c->rflags);
	for (int i = 0; i < 16; i++)
		if (n->gpr[i] != m->gpr[i] || c->gpr[i] != n->gpr[i] || i == reg)
			fprintf(stderr, "  %s: initial %#llx native %#llx mmemu %#llx\n",
				diff_reg_names[i], (unsigned long long)c->gpr[i],
				(unsigned long long)n->gpr[i], (unsigned long long)m->gpr[i]);
	if (byte >= 0)
		fprintf(stderr, "  data[%#x]: native %02x mmemu %02x\n", byte, n->data[byte],
			m->data[byte]);
	return false;
}

#endif /* TESTS_CPU_DIFF_HARNESS_H */
