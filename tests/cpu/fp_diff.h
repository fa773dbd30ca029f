/*
 * The floating-point side of the differential harness (tests/cpu/diff_harness.h): the
 * host CPU is the oracle for x87 and SSE.
 *
 * A case starts from a full FXSAVE image (the x87 registers, control/status/tag words,
 * MXCSR and XMM0-15) besides the GPRs, RFLAGS and the data page (RBX points at it); the
 * native side restores it with FXRSTOR64 and reads the final state from the signal
 * frame (#MF and #XM arrive as SIGFPE). The mmemu side loads the same state into a
 * cpu_env machine (CR0.MP|NE, CR4.OSFXSR|OSXMMEXCPT as Linux sets them; DS holds the null
 * selector as in a Linux process, so FDS agrees) and runs the bytes.
 *
 * Compared: the signal, RIP, GPRs, the status flags, FCW, FSW, abridged FTW, FOP, FIP,
 * FDP, MXCSR, MXCSR_MASK, ST0-7 (80 bits each), XMM0-15 and every byte of the data
 * page.
 */
#ifndef TESTS_CPU_FP_DIFF_H
#define TESTS_CPU_FP_DIFF_H

#include "tests/cpu/diff_harness.h"

#define FPD_FLAGS_MASK (STATUS_FLAGS | RFLAGS_DF)

/* ---- mmemu side ---- */

static void fpd_env_init(struct cpu_env *e)
{
	struct x86_fault f;
	env_init(e);
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 | CR0_MP | CR0_NE, &f));
	assert_true(mmu_set_cr4(&e->m, e->m.cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT, &f));
	e->m.seg.sreg[SEG_DS].selector = 0;
}

static void fpd_run_mmemu(struct cpu_env *e, const struct diff_case *c, struct diff_result *r)
{
	struct cpu *cpu = &e->cpu;
	unsigned len;
	memcpy(e->bus.ram + ENV_DATA_PA, c->data, DIFF_DATA_SIZE);
	env_load_code(e, c->code, c->code_len);
	memcpy(cpu->gpr, c->gpr, sizeof(c->gpr));
	cpu_set_rflags(cpu, c->rflags);
	assert_true(fxrstor_load(cpu, true, &c->fx));
	enum cpu_exit x = cpu_run(cpu, 1000);
	r->sig = x == CPU_EXIT_FAULT ? diff_signal_of(cpu->fault.vector) : -1;
	r->rip = cpu->rip;
	memcpy(r->gpr, cpu->gpr, sizeof(r->gpr));
	r->rflags = cpu_rflags(cpu);
	fxsave_fill(cpu, true, &r->fx, &len);
	memcpy(r->data, e->bus.ram + ENV_DATA_PA, DIFF_DATA_SIZE);
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

static void fpd_report_fx(const struct diff_result *n, const struct diff_result *m)
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
static bool fpd_compare(const struct diff_case *c, const struct diff_result *n,
			const struct diff_result *m)
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
	for (int i = 0; !what && i < DIFF_DATA_SIZE; i++)
		if (n->data[i] != m->data[i])
			what = "memory";
	if (!what)
		return true;
	char hex[3 * DIFF_CODE_MAX + 1];
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
	for (int i = 0; i < DIFF_DATA_SIZE; i++)
		if (n->data[i] != m->data[i]) {
			fprintf(stderr, "  data[%#x]: native %02x mmemu %02x\n", i, n->data[i],
				m->data[i]);
			break;
		}
	return false;
}

/* Runs cases natively and in mmemu; returns the number of mismatches (first few printed). */
static int fpd_run_all(const struct diff_case *cases, int n)
{
	struct diff_result *nat = calloc((size_t)n, sizeof(*nat));
	struct diff_result *mm = calloc((size_t)n, sizeof(*mm));
	static struct cpu_env env;
	int bad = 0;
	assert_non_null(nat);
	assert_non_null(mm);
	assert_int_equal(diff_run_native(cases, nat, n), 0);
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
static inline void fpd_set_st(struct diff_case *c, unsigned st, uint64_t mant, uint16_t sexp)
{
	memcpy(c->fx.b + FX_ST + 16 * st, &mant, 8);
	memcpy(c->fx.b + FX_ST + 16 * st + 8, &sexp, 2);
}

/* A case with the default state: FNINIT x87, MXCSR 1F80h, RBX = ENV_DATA, RSP inside the
 * data page, a patterned data page. */
static inline void fpd_case_init(struct diff_case *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->load_fx = true;
	uint16_t fcw = 0x037f;
	uint32_t mx = 0x1f80;
	memcpy(c->fx.b + FX_FCW, &fcw, 2);
	memcpy(c->fx.b + FX_MXCSR, &mx, 4);
	c->rflags = RFLAGS_FIXED1;
	c->gpr[RBX] = ENV_DATA;
	c->gpr[RSP] = ENV_DATA + DIFF_DATA_SIZE - 256;
	for (int i = 0; i < DIFF_DATA_SIZE; i++)
		c->data[i] = (uint8_t)(i * 7 + 3);
}

static inline void fpd_code(struct diff_case *c, const uint8_t *bytes, unsigned n)
{
	assert_true(c->code_len + n + 1 <= DIFF_CODE_MAX);
	memcpy(c->code + c->code_len, bytes, n);
	c->code_len += n;
}

static inline void fpd_end(struct diff_case *c)
{
	c->code[c->code_len++] = 0xcc;
}

#endif /* TESTS_CPU_FP_DIFF_H */
