/*
 * FPU and SSE state across a signal handler. The interrupted code holds a non-default x87
 * control word, MXCSR, two x87 registers and a pattern in XMM0 when it sends itself a
 * signal (from inside one asm block, so no compiled code can touch those registers); the
 * handler prints what the signal frame recorded, checks that it starts with a clean FPU,
 * clobbers every register with floating-point work of its own, and returns. The
 * interrupted code then prints its registers: they must be what they were. Round 2 has the
 * handler edit the frame's MXCSR, control word and XMM0, which sigreturn must load.
 * `sig_fpu bad` puts reserved bits into the frame's MXCSR: sigreturn must reject the frame
 * with SIGSEGV.
 *
 * The frame is read as raw bytes at the offsets of Linux's layouts (x86-64: the FXSAVE
 * image; i386: struct _fpstate_32, its FXSAVE image 112 bytes in), so the C library's
 * header definitions do not matter.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__)
#pragma GCC target("sse2") /* XMM0 in the asm blocks; the i386 baseline has no SSE */
#endif

#if defined(__x86_64__)
#define FX_OFF 0 /* the FXSAVE image within the frame's FPU state */
#define CW_OFF 0 /* the control word a handler edits */
#else
#define FX_OFF 112
#define CW_OFF 0 /* the FSAVE-format part's cw, which is what sigreturn loads */
#endif

static int round_no;
static int bad_frame;

static unsigned u16at(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static unsigned u32at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void hex(const char *what, const uint8_t *p, unsigned n)
{
	printf(" %s=", what);
	for (unsigned i = n; i-- > 0;)
		printf("%02x", p[i]);
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint8_t *fx = fp + FX_OFF;
	unsigned short cw;
	unsigned mx;
	(void)si;
	printf("round %d: signal %d, frame:", round_no, sig);
#if defined(__x86_64__)
	printf(" fcw=%04x fsw=%04x ftw=%02x", u16at(fp), u16at(fp + 2), fp[4]);
#else
	printf(" cw=%08x sw=%08x tag=%08x status=%04x magic=%04x", u32at(fp), u32at(fp + 4),
	       u32at(fp + 8), u16at(fp + 108), u16at(fp + 110));
#endif
	printf(" mxcsr=%08x", u32at(fx + 24));
	hex("st0", fx + 32, 10);
	hex("st1", fx + 48, 10);
	hex("xmm0", fx + 160, 16);
	printf("\n");

	__asm__ volatile("fnstcw %0" : "=m"(cw));
	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	printf("handler starts with fcw=%04x mxcsr=%08x\n", cw, mx);

	/* Floating-point work of the handler's own, in x87 and SSE. */
	volatile double third = 1.0 / 3.0;
	__asm__ volatile("fninit\n\tfldz\n\tfldz\n\tfldz\n\tfstp %%st(0)\n\tfstp %%st(0)\n\t"
			 "fstp %%st(0)\n\tpcmpeqb %%xmm0, %%xmm0" ::: "xmm0", "memory");
	printf("handler computes %.9f\n", third * 2.0);
	fflush(stdout);

	if (round_no == 2) {
		uint32_t mxcsr = 0x3f80, pattern[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
		uint16_t fcw = 0x027f;
		memcpy(fx + 24, &mxcsr, 4);
		memcpy(fx + 160, pattern, 16);
		memcpy(fp + CW_OFF, &fcw, 2);
	}
	if (bad_frame) {
		uint32_t mxcsr = 0xffffffff;
		memcpy(fx + 24, &mxcsr, 4);
	}
}

struct fpu_regs {
	uint8_t xmm0[16];
	uint8_t st0[10], st1[10];
	unsigned short fcw;
	unsigned mxcsr;
};

/* Loads the state, signals itself with a raw system call, and stores the state again. */
static void signal_with_state(struct fpu_regs *out)
{
	static const uint8_t pattern[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
					    0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
	unsigned short fcw = 0x0f7f;	 /* round toward zero, all exceptions masked */
	unsigned mxcsr = 0x7f80;	 /* the same for SSE */
	long pid = getpid();
#if defined(__x86_64__)
	long nr = 62; /* kill */
	__asm__ volatile("fldcw %[fcw]\n\tldmxcsr %[mx]\n\tmovdqu %[pat], %%xmm0\n\t"
			 "fld1\n\tfldpi\n\tsyscall\n\t"
			 "movdqu %%xmm0, %[x0]\n\tfstpt %[s0]\n\tfstpt %[s1]\n\t"
			 "fnstcw %[fcwo]\n\tstmxcsr %[mxo]"
			 : [x0] "=m"(out->xmm0), [s0] "=m"(out->st0), [s1] "=m"(out->st1),
			   [fcwo] "=m"(out->fcw), [mxo] "=m"(out->mxcsr), "+a"(nr)
			 : [fcw] "m"(fcw), [mx] "m"(mxcsr), [pat] "m"(pattern), "D"(pid),
			   "S"((long)SIGUSR1)
			 : "rcx", "r11", "xmm0", "memory");
#else
	long nr = 37; /* kill */
	__asm__ volatile("fldcw %[fcw]\n\tldmxcsr %[mx]\n\tmovdqu %[pat], %%xmm0\n\t"
			 "fld1\n\tfldpi\n\tint $0x80\n\t"
			 "movdqu %%xmm0, %[x0]\n\tfstpt %[s0]\n\tfstpt %[s1]\n\t"
			 "fnstcw %[fcwo]\n\tstmxcsr %[mxo]"
			 : [x0] "=m"(out->xmm0), [s0] "=m"(out->st0), [s1] "=m"(out->st1),
			   [fcwo] "=m"(out->fcw), [mxo] "=m"(out->mxcsr), "+a"(nr)
			 : [fcw] "m"(fcw), [mx] "m"(mxcsr), [pat] "m"(pattern), "b"(pid),
			   "c"((long)SIGUSR1)
			 : "xmm0", "memory");
#endif
}

static void print_regs(const struct fpu_regs *r)
{
	printf("after return: fcw=%04x mxcsr=%08x", r->fcw, r->mxcsr);
	hex("st0", r->st0, 10);
	hex("st1", r->st1, 10);
	hex("xmm0", r->xmm0, 16);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct fpu_regs r;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	bad_frame = argc > 1 && strcmp(argv[1], "bad") == 0;
	for (round_no = 1; round_no <= 2; round_no++) {
		signal_with_state(&r);
		print_regs(&r);
		fflush(stdout);
	}
	return 0;
}
