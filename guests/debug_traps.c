/*
 * Single-step traps (EFLAGS.TF) and alignment checks (EFLAGS.AC), as a program sees them:
 * which instructions trap, the signals, their si_code and where they point. Everything is
 * printed as offsets from the code under test, so the output is the same wherever it is
 * loaded; tests/cli/run_guests.sh compares it with the same program run natively.
 *
 * The code under test is top-level assembly that assembles for both x86-64 and i386.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* R(x): the register of the address size (rsp or esp...); XR(x) the same inside the
 * template of an extended asm statement. */
#ifdef __x86_64__
#define R(x) "%r" #x
#define XR(x) "%%r" #x
#define REG_PC REG_RIP
#define GETPID "mov $39, %eax\n syscall\n"
#else
#define R(x) "%e" #x
#define XR(x) "%%e" #x
#define REG_PC REG_EIP
#define GETPID "mov $20, %eax\n int $0x80\n"
#endif
#define REG_FL REG_EFL

/* i386 code built without SSE cannot name xmm0 as clobbered, and does not use it. */
#ifdef __SSE__
#define CLOBBER_XMM0 "xmm0"
#else
#define CLOBBER_XMM0 "memory"
#endif

#define TF 0x100u
#define AC 0x40000u

/* ---- the single-step cases: each starts at NAME and stops trapping at NAME_end ---- */

#define CASE(name, body)                                                                   \
	".globl " #name "\n" #name ":\n" body ".globl " #name "_end\n" #name "_end:\n ret\n"
#define SET_TF "pushf\n orl $0x100, (" R(sp) ")\n popf\n"

__asm__(".text\n"
	/* Straight-line code: a trap after every instruction that begins with TF set. */
	CASE(tf_line, SET_TF "nop\n inc %eax\n mov %eax, %ecx\n lea 1(" R(cx) "), %edx\n")
	/* A POPF that clears TF still traps; the one that set it does not. */
	CASE(tf_clear, "pushf\n" SET_TF "nop\n popf\n nop\n jmp 1f\n 1:\n")
	/* Jumps and calls trap at their target. */
	CASE(tf_branch, SET_TF "jmp 1f\n nop\n 1: call 2f\n 2: pop " R(ax) "\n xor %ecx, %ecx\n"
			   " 3: inc %ecx\n cmp $3, %ecx\n jne 3b\n")
	/* A REP string instruction traps after every iteration. */
	CASE(tf_rep, "push " R(si) "\n push " R(di) "\n" SET_TF "mov " R(sp) ", " R(si) "\n"
			"mov " R(sp) ", " R(di) "\n mov $3, %ecx\n rep movsb\n pop " R(di) "\n"
			"pop " R(si) "\n")
	/* A system call: the kernel returns with TF still set. */
	CASE(tf_syscall, SET_TF GETPID "nop\n")
	/* PUSHF under TF pushes TF set. */
	CASE(tf_pushf, SET_TF "pushf\n pop " R(ax) "\n nop\n")
	/* INT3 and UD2 under TF: their own signals, and single-stepping on after the handler. */
	CASE(tf_int3, SET_TF "int3\n nop\n")
	CASE(tf_ud2, SET_TF "ud2\n nop\n"));

#define DECL(name) extern void name(void), name##_end(void)
DECL(tf_line);
DECL(tf_clear);
DECL(tf_branch);
DECL(tf_rep);
DECL(tf_syscall);
DECL(tf_pushf);
DECL(tf_int3);
DECL(tf_ud2);

struct hit {
	int signo, code;
	long addr, pc; /* offsets from the case's start */
	int tf;        /* TF in the interrupted context */
};

static struct hit hits[64];
static volatile int nhits;
static uintptr_t base, end;

static void on_trap(int signo, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)g[REG_PC];
	if (nhits < 64)
		hits[nhits++] = (struct hit){signo, si->si_code,
					     si->si_addr ? (long)((uintptr_t)si->si_addr - base) : -1,
					     (long)(pc - base), (g[REG_FL] & TF) != 0};
	if (signo == SIGILL)
		g[REG_PC] += 2; /* over the UD2 */
	if ((uintptr_t)g[REG_PC] == end || nhits >= 64)
		g[REG_FL] &= ~(greg_t)TF;
}

static void run_case(const char *name, void (*fn)(void), void (*fn_end)(void))
{
	base = (uintptr_t)fn;
	end = (uintptr_t)fn_end;
	nhits = 0;
	fn();
	printf("%s: %d traps\n", name, nhits);
	for (int i = 0; i < nhits; i++)
		printf("  sig %d code %d addr %+ld pc %+ld tf %d\n", hits[i].signo, hits[i].code,
		       hits[i].addr, hits[i].pc, hits[i].tf);
}

/* ---- alignment checks ---- */

static sigjmp_buf jb;
static volatile int ac_sig, ac_code;
static char buf[64] __attribute__((aligned(64)));

static void on_bus(int signo, siginfo_t *si, void *uc)
{
	(void)uc;
	ac_sig = signo;
	ac_code = si->si_code;
	siglongjmp(jb, 1);
}

#define AC_ON() __asm__ volatile("pushf\n orl $0x40000, (" XR(sp) ")\n popf" ::: "memory", "cc")
#define AC_OFF() __asm__ volatile("pushf\n andl $~0x40000, (" XR(sp) ")\n popf" ::: "memory", "cc")

#define AC_CASE(name, stmt)                                                                \
	do {                                                                               \
		ac_sig = 0;                                                                \
		ac_code = 0;                                                               \
		if (!sigsetjmp(jb, 1)) {                                                   \
			AC_ON();                                                           \
			stmt;                                                              \
			AC_OFF();                                                          \
		} else {                                                                   \
			AC_OFF();                                                          \
		}                                                                          \
		printf("ac %-22s sig %d code %d\n", name, ac_sig, ac_code);                \
	} while (0)

static void alignment_checks(void)
{
	char *none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t v;
	uintptr_t sv;
	AC_CASE("load4 aligned", __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(buf + 4)));
	AC_CASE("load4 +1", __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(buf + 1)));
	AC_CASE("load2 +1", __asm__ volatile("movw (%1), %w0" : "=r"(v) : "r"(buf + 1)));
	AC_CASE("load2 +2", __asm__ volatile("movw (%1), %w0" : "=r"(v) : "r"(buf + 2)));
	AC_CASE("load1 +3", __asm__ volatile("movb (%1), %b0" : "=q"(v) : "r"(buf + 3)));
	AC_CASE("store4 +2", __asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(buf + 2) : "memory"));
	AC_CASE("movq xmm +4", __asm__ volatile("movq (%0), %%xmm0" ::"r"(buf + 4) : CLOBBER_XMM0));
	AC_CASE("movq xmm +8", __asm__ volatile("movq (%0), %%xmm0" ::"r"(buf + 8) : CLOBBER_XMM0));
	AC_CASE("movups +1", __asm__ volatile("movups (%0), %%xmm0" ::"r"(buf + 1) : CLOBBER_XMM0));
	AC_CASE("movdqu +8", __asm__ volatile("movdqu (%0), %%xmm0" ::"r"(buf + 8) : CLOBBER_XMM0));
	AC_CASE("movdqu store +8",
		__asm__ volatile("movdqu %%xmm0, (%0)" ::"r"(buf + 8) : "memory"));
	AC_CASE("movdqu +16", __asm__ volatile("movdqu (%0), %%xmm0" ::"r"(buf + 16) : CLOBBER_XMM0));
	AC_CASE("fldl +4", __asm__ volatile("fldl (%0)\n fstp %%st(0)" ::"r"(buf + 4)));
	AC_CASE("fldt +8", __asm__ volatile("fldt (%0)\n fstp %%st(0)" ::"r"(buf + 8)));
	AC_CASE("fldt +4", __asm__ volatile("fldt (%0)\n fstp %%st(0)" ::"r"(buf + 4)));
	AC_CASE("push, odd sp",
		__asm__ volatile("mov " XR(sp) ", %0\n sub $3, " XR(sp) "\n push $1\n"
				 "mov %0, " XR(sp)
				 : "=&r"(sv)::"memory"));
	AC_CASE("movsl +1", __asm__ volatile("movsl" ::"S"(buf + 1), "D"(buf + 9) : "memory"));
	AC_CASE("movsb +1", __asm__ volatile("movsb" ::"S"(buf + 1), "D"(buf + 9) : "memory"));
	AC_CASE("unmapped +1", __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(none + 1)));
	AC_CASE("unmapped +0", __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(none)));
	/* Debug registers are for CPL 0: #GP, SIGSEGV (SI_KERNEL). */
	AC_CASE("mov from dr7", __asm__ volatile("mov %%db7, %0" : "=r"(sv)));
	AC_CASE("mov to dr0", __asm__ volatile("mov %0, %%db0" ::"r"(sv)));
	munmap(none, 8192);
}

/* IRET with EFLAGS.NT set would return to another task; under Linux (IA-32e mode, also for
 * i386 programs) there are no task switches, so it is #GP(0): SIGSEGV (SI_KERNEL). */
#ifdef __x86_64__
#define IRET_FRAME "mov %%ss, %%eax\n push %%rax\n push %%rsp\n addq $8, (%%rsp)\n"
#define IRET "iretq\n"
#else
#define IRET_FRAME ""
#define IRET "iret\n"
#endif

static void iret_with_nt(void)
{
	ac_sig = ac_code = 0;
	if (!sigsetjmp(jb, 1))
		__asm__ volatile(IRET_FRAME "pushf\n mov %%cs, %%eax\n push " XR(ax) "\n"
					    "call 1f\n jmp 2f\n"
					    "1: pushf\n orl $0x4000, (" XR(sp) ")\n popf\n" IRET
					    "2:\n" ::
						: "eax", "memory", "cc");
	__asm__ volatile("pushf\n andl $~0x4000, (" XR(sp) ")\n popf" ::: "memory", "cc");
	printf("iret with NT set          sig %d code %d\n", ac_sig, ac_code);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	run_case("line", tf_line, tf_line_end);
	run_case("clear", tf_clear, tf_clear_end);
	run_case("branch", tf_branch, tf_branch_end);
	run_case("rep", tf_rep, tf_rep_end);
	run_case("syscall", tf_syscall, tf_syscall_end);
	run_case("pushf", tf_pushf, tf_pushf_end);
	run_case("int3", tf_int3, tf_int3_end);
	run_case("ud2", tf_ud2, tf_ud2_end);

	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	alignment_checks();
	iret_with_nt();
	return 0;
}
