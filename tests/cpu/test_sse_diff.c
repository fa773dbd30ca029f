/*
 * Differential tests of the SSE/SSE2/SSE3 model against the host CPU (tests/cpu/fp_diff.h):
 * every implemented instruction form in register and memory forms (aligned and, for the
 * 16-byte operands, misaligned), XMM lanes drawn from special values (zeros, denormals,
 * infinities, QNaN/SNaN, extremes, integer edges), MXCSR over every rounding mode, FTZ,
 * DAZ and masked/unmasked exceptions, plus random sequences. Zero mismatches expected.
 */
#include "tests/cpu/fp_diff.h"

/* An instruction form: mandatory prefix (0, 66, F3, F2), opcode (0F map), ModRM.reg digit
 * (-1: an XMM/GPR register operand), immediate, and the operand kinds. */
struct form {
	uint8_t pfx;
	uint8_t op;
	int8_t digit;
	uint8_t flags;
};

#define F_IMM 0x01   /* imm8 follows */
#define F_NOMEM 0x02 /* register form only */
#define F_MEMONLY 0x04
#define F_GPRRM 0x08  /* r/m is a general register (or memory) */
#define F_GPRREG 0x10 /* reg is a general register */
#define F_W 0x20      /* REX.W variant as well */
#define F_AL16 0x40   /* 16-byte memory operand that must be aligned */

static const struct form forms[] = {
	/* host-executed arithmetic, compares, conversions, logic, integer */
#define A4(op) {0, op, -1, F_AL16}, {0x66, op, -1, F_AL16}, {0xf3, op, -1, 0}, {0xf2, op, -1, 0}
	A4(0x51), A4(0x58), A4(0x59), A4(0x5c), A4(0x5d), A4(0x5e), A4(0x5f),
	{0, 0xc2, -1, F_IMM | F_AL16}, {0x66, 0xc2, -1, F_IMM | F_AL16}, {0xf3, 0xc2, -1, F_IMM},
	{0xf2, 0xc2, -1, F_IMM},
	{0, 0x52, -1, F_AL16}, {0xf3, 0x52, -1, 0}, {0, 0x53, -1, F_AL16}, {0xf3, 0x53, -1, 0},
	{0, 0x5a, -1, 0}, {0x66, 0x5a, -1, F_AL16}, {0xf3, 0x5a, -1, 0}, {0xf2, 0x5a, -1, 0},
	{0, 0x5b, -1, F_AL16}, {0x66, 0x5b, -1, F_AL16}, {0xf3, 0x5b, -1, F_AL16},
	{0x66, 0xe6, -1, F_AL16}, {0xf3, 0xe6, -1, 0}, {0xf2, 0xe6, -1, F_AL16},
	{0, 0x2e, -1, 0}, {0x66, 0x2e, -1, 0}, {0, 0x2f, -1, 0}, {0x66, 0x2f, -1, 0},
	{0xf3, 0x2a, -1, F_GPRRM | F_W}, {0xf2, 0x2a, -1, F_GPRRM | F_W},
	{0xf3, 0x2c, -1, F_GPRREG | F_W}, {0xf2, 0x2c, -1, F_GPRREG | F_W},
	{0xf3, 0x2d, -1, F_GPRREG | F_W}, {0xf2, 0x2d, -1, F_GPRREG | F_W},
	{0, 0x14, -1, F_AL16}, {0x66, 0x14, -1, F_AL16}, {0, 0x15, -1, F_AL16},
	{0x66, 0x15, -1, F_AL16},
	{0, 0x54, -1, F_AL16}, {0x66, 0x54, -1, F_AL16}, {0, 0x55, -1, F_AL16},
	{0x66, 0x55, -1, F_AL16}, {0, 0x56, -1, F_AL16}, {0x66, 0x56, -1, F_AL16},
	{0, 0x57, -1, F_AL16}, {0x66, 0x57, -1, F_AL16},
#define I66(op) {0x66, op, -1, F_AL16}
	I66(0x60), I66(0x61), I66(0x62), I66(0x63), I66(0x64), I66(0x65), I66(0x66), I66(0x67),
	I66(0x68), I66(0x69), I66(0x6a), I66(0x6b), I66(0x6c), I66(0x6d), I66(0x74), I66(0x75),
	I66(0x76), I66(0xd1), I66(0xd2), I66(0xd3), I66(0xd4), I66(0xd5), I66(0xd8), I66(0xd9),
	I66(0xda), I66(0xdb), I66(0xdc), I66(0xdd), I66(0xde), I66(0xdf), I66(0xe0), I66(0xe1),
	I66(0xe2), I66(0xe3), I66(0xe4), I66(0xe5), I66(0xe8), I66(0xe9), I66(0xea), I66(0xeb),
	I66(0xec), I66(0xed), I66(0xee), I66(0xef), I66(0xf1), I66(0xf2), I66(0xf3), I66(0xf4),
	I66(0xf5), I66(0xf6), I66(0xf8), I66(0xf9), I66(0xfa), I66(0xfb), I66(0xfc), I66(0xfd),
	I66(0xfe),
	/* moves */
	{0, 0x10, -1, 0}, {0x66, 0x10, -1, 0}, {0xf3, 0x10, -1, 0}, {0xf2, 0x10, -1, 0},
	{0, 0x11, -1, 0}, {0x66, 0x11, -1, 0}, {0xf3, 0x11, -1, 0}, {0xf2, 0x11, -1, 0},
	{0, 0x12, -1, 0}, {0x66, 0x12, -1, F_MEMONLY}, {0, 0x13, -1, F_MEMONLY},
	{0x66, 0x13, -1, F_MEMONLY}, {0, 0x16, -1, 0}, {0x66, 0x16, -1, F_MEMONLY},
	{0, 0x17, -1, F_MEMONLY}, {0x66, 0x17, -1, F_MEMONLY},
	{0, 0x28, -1, F_AL16}, {0x66, 0x28, -1, F_AL16}, {0, 0x29, -1, F_AL16},
	{0x66, 0x29, -1, F_AL16}, {0, 0x2b, -1, F_MEMONLY | F_AL16},
	{0x66, 0x2b, -1, F_MEMONLY | F_AL16}, {0x66, 0x6f, -1, F_AL16}, {0x66, 0x7f, -1, F_AL16},
	{0xf3, 0x6f, -1, 0}, {0xf3, 0x7f, -1, 0}, {0x66, 0xe7, -1, F_MEMONLY | F_AL16},
	{0, 0x50, -1, F_NOMEM | F_GPRREG}, {0x66, 0x50, -1, F_NOMEM | F_GPRREG},
	{0x66, 0xd7, -1, F_NOMEM | F_GPRREG},
	{0x66, 0x6e, -1, F_GPRRM | F_W}, {0x66, 0x7e, -1, F_GPRRM | F_W}, {0xf3, 0x7e, -1, 0},
	{0x66, 0xd6, -1, 0}, {0, 0xc3, -1, F_MEMONLY | F_GPRREG | F_W},
	/* immediates */
	{0x66, 0x70, -1, F_IMM | F_AL16}, {0xf3, 0x70, -1, F_IMM | F_AL16},
	{0xf2, 0x70, -1, F_IMM | F_AL16}, {0, 0xc6, -1, F_IMM | F_AL16},
	{0x66, 0xc6, -1, F_IMM | F_AL16},
	{0x66, 0x71, 2, F_IMM | F_NOMEM}, {0x66, 0x71, 4, F_IMM | F_NOMEM},
	{0x66, 0x71, 6, F_IMM | F_NOMEM}, {0x66, 0x72, 2, F_IMM | F_NOMEM},
	{0x66, 0x72, 4, F_IMM | F_NOMEM}, {0x66, 0x72, 6, F_IMM | F_NOMEM},
	{0x66, 0x73, 2, F_IMM | F_NOMEM}, {0x66, 0x73, 3, F_IMM | F_NOMEM},
	{0x66, 0x73, 6, F_IMM | F_NOMEM}, {0x66, 0x73, 7, F_IMM | F_NOMEM},
	{0x66, 0xc4, -1, F_IMM | F_GPRRM}, {0x66, 0xc5, -1, F_IMM | F_NOMEM | F_GPRREG},
	/* SSE3 */
	{0x66, 0xd0, -1, F_AL16}, {0xf2, 0xd0, -1, F_AL16}, {0x66, 0x7c, -1, F_AL16},
	{0xf2, 0x7c, -1, F_AL16}, {0x66, 0x7d, -1, F_AL16}, {0xf2, 0x7d, -1, F_AL16},
	{0xf3, 0x12, -1, F_AL16}, {0xf3, 0x16, -1, F_AL16}, {0xf2, 0x12, -1, 0},
	{0xf2, 0xf0, -1, F_MEMONLY},
	/* MXCSR */
	{0, 0xae, 2, F_MEMONLY}, {0, 0xae, 3, F_MEMONLY},
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

static const uint32_t lane32[] = {0,	      0x80000000, 0x3f800000, 0xbfc00000, 0x00000001,
				  0x007fffff, 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000,
				  0x7fc00000, 0x7f800001, 0xffc00001, 0x4f000000, 0xcf000000,
				  0x0c000000, 0x00400000, 0x3f000001};
static const uint64_t lane64[] = {0,
				  0x8000000000000000ULL,
				  0x3ff0000000000000ULL,
				  0xbff8000000000000ULL,
				  0x0000000000000001ULL,
				  0x000fffffffffffffULL,
				  0x0010000000000000ULL,
				  0x7fefffffffffffffULL,
				  0x7ff0000000000000ULL,
				  0x7ff8000000000000ULL,
				  0x7ff0000000000001ULL,
				  0x43e0000000000000ULL,
				  0xc3e0000000000000ULL,
				  0x41e0000000000000ULL,
				  0x3810000000000000ULL,
				  0x36a0000000000000ULL,
				  0x0008000000000000ULL,
				  0x3ff0000000000001ULL};

/* A random 128-bit value: single lanes, double lanes, small numbers or random bits. */
static void rand_xmm(uint8_t *p, uint64_t *s)
{
	union xmm_reg v;
	uint64_t r = fpd_rand(s);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t q = fpd_rand(s);
		switch (r % 5) {
		case 0:
			v.d[i] = lane32[q % 18];
			break;
		case 1:
			v.q[i / 2] = lane64[q % 18];
			break;
		case 2: /* ordinary floats near 1 */
			v.d[i] = 0x3f000000u + (uint32_t)(q % 0x01800000u);
			break;
		case 3: /* ordinary doubles near 1 */
			v.q[i / 2] = 0x3fe0000000000000ULL + q % 0x0030000000000000ULL;
			break;
		default:
			v.d[i] = (uint32_t)q;
		}
	}
	memcpy(p, v.b, 16);
}

static uint32_t rand_mxcsr(uint64_t *s)
{
	uint64_t r = fpd_rand(s);
	uint32_t mx = 0x1f80 | (uint32_t)((r >> 4) & 3) << 13;
	if (r % 4 == 0)
		mx |= MXCSR_FTZ;
	if (r % 5 == 0)
		mx |= MXCSR_DAZ;
	if (r % 3 == 0)
		mx &= ~(uint32_t)((fpd_rand(s) & 0x3f) << 7);
	mx |= (uint32_t)(fpd_rand(s) & 0x3f) & (mx >> 7); /* sticky flags, masked ones */
	return mx;
}

static void rand_sse_state(struct diff_case *c, uint64_t *s)
{
	uint32_t mx = rand_mxcsr(s);
	memcpy(c->fx.b + FX_MXCSR, &mx, 4);
	for (unsigned i = 0; i < 16; i++)
		rand_xmm(c->fx.b + FX_XMM + 16 * i, s);
	for (unsigned i = 0; i < 16; i++)
		if (i != RBX && i != RSP)
			c->gpr[i] = fpd_rand(s) % 3 ? fpd_rand(s) : (uint64_t)(int64_t)(int8_t)fpd_rand(s);
	c->rflags = RFLAGS_FIXED1 | (fpd_rand(s) & STATUS_FLAGS);
	for (unsigned i = 0; i < 64; i += 16)
		rand_xmm(c->data + 0x40 + i, s);
	if (fpd_rand(s) % 4 == 0) { /* a valid MXCSR for LDMXCSR */
		uint32_t m = rand_mxcsr(s);
		memcpy(c->data + 0x40, &m, 4);
	}
}

/* A general register other than RBX and RSP. */
static unsigned rand_gpr(uint64_t *s)
{
	for (;;) {
		unsigned r = fpd_rand(s) % 16;
		if (r != RBX && r != RSP)
			return r;
	}
}

/* Encodes form f: register form (mem false) or [rbx + disp8]; disp 0x40 or misaligned. */
static void encode(struct diff_case *c, const struct form *f, bool mem, bool w, uint64_t *s)
{
	uint8_t b[16];
	unsigned n = 0, reg, rm = 0;
	if (f->pfx)
		b[n++] = f->pfx;
	reg = f->digit >= 0 ? (unsigned)f->digit
			    : (f->flags & F_GPRREG) ? rand_gpr(s) : fpd_rand(s) % 16;
	if (!mem)
		rm = (f->flags & F_GPRRM) ? rand_gpr(s) : fpd_rand(s) % 16;
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0));
	if (rex != 0x40 || fpd_rand(s) % 8 == 0)
		b[n++] = rex;
	b[n++] = 0x0f;
	b[n++] = f->op;
	if (mem) {
		b[n++] = (uint8_t)(0x43 | (reg & 7) << 3);
		b[n++] = (uint8_t)(fpd_rand(s) % 8 == 0 ? 0x48 : 0x40);
	} else {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	if (f->flags & F_IMM) {
		uint64_t r = fpd_rand(s);
		b[n++] = (uint8_t)(f->op == 0xc2 ? (r % 4 ? r % 8 : r) : r);
		if (f->op >= 0x71 && f->op <= 0x73 && r % 2)
			b[n - 1] = (uint8_t)(r % 70);
	}
	fpd_code(c, b, n);
}

static void rand_form_insn(struct diff_case *c, const struct form *f, uint64_t *s)
{
	bool mem = (f->flags & F_MEMONLY) || (!(f->flags & F_NOMEM) && fpd_rand(s) % 2);
	bool w = (f->flags & F_W) && fpd_rand(s) % 2;
	encode(c, f, mem, w, s);
}

static int run_and_free(struct diff_case *cases, int n)
{
	int bad = fpd_run_all(cases, n);
	free(cases);
	return bad;
}

/* Every form, 24 random states and encodings each. */
static void test_sse_diff_every_form_matches_host(void **state)
{
	const int PER = 24 * fpd_scale();
	struct diff_case *cases = calloc(NFORMS * (size_t)PER, sizeof(*cases));
	uint64_t s = 0x0123456789abcdefULL;
	int n = 0;
	assert_non_null(cases);
	for (unsigned i = 0; i < NFORMS; i++)
		for (int k = 0; k < PER; k++) {
			struct diff_case *c = &cases[n++];
			char name[48];
			snprintf(name, sizeof(name), "form %02x 0f %02x /%d #%d", forms[i].pfx,
				 forms[i].op, forms[i].digit, k);
			fpd_case_init(c, name);
			rand_sse_state(c, &s);
			rand_form_insn(c, &forms[i], &s);
			fpd_end(c);
		}
	assert_int_equal(run_and_free(cases, n), 0);
}

/* FXSAVE/FXRSTOR (both layouts) over random x87 and SSE state. */
static void test_sse_diff_fxsave_fxrstor_match_host(void **state)
{
	const int N = 64 * fpd_scale();
	struct diff_case *cases = calloc((size_t)N, sizeof(*cases));
	uint64_t s = 0x5555aaaa3333ccccULL;
	assert_non_null(cases);
	for (int i = 0; i < N; i++) {
		struct diff_case *c = &cases[i];
		char name[32];
		snprintf(name, sizeof(name), "fxsave #%d", i);
		fpd_case_init(c, name);
		rand_sse_state(c, &s);
		uint16_t fsw = (uint16_t)((fpd_rand(&s) & 0x4700) | (fpd_rand(&s) % 8) << 11);
		memcpy(c->fx.b + FX_FSW, &fsw, 2);
		c->fx.b[FX_FTW] = (uint8_t)fpd_rand(&s);
		for (unsigned r = 0; r < 8; r++)
			fpd_set_st(c, r, fpd_rand(&s), (uint16_t)fpd_rand(&s));
		uint8_t w = i % 2 ? 0x48 : 0x40;
		/* fxsave [rbx+0x100]; (modify) fxrstor [rbx+0x100] of an altered image */
		uint8_t save[] = {w, 0x0f, 0xae, 0x83, 0x00, 0x01, 0x00, 0x00};
		uint8_t xmm_clobber[] = {0x66, 0x0f, 0xef, 0xc0}; /* pxor xmm0, xmm0 */
		uint8_t fld1[] = {0xd9, 0xe8};
		uint8_t rstor[] = {w, 0x0f, 0xae, 0x8b, 0x00, 0x01, 0x00, 0x00};
		fpd_code(c, save, sizeof(save));
		if (i % 4 < 2) {
			fpd_code(c, xmm_clobber, sizeof(xmm_clobber));
			fpd_code(c, fld1, sizeof(fld1));
			fpd_code(c, rstor, sizeof(rstor));
		}
		fpd_end(c);
	}
	assert_int_equal(run_and_free(cases, N), 0);
}

/* Random sequences of two to six forms. */
static void test_sse_diff_random_sequences_match_host(void **state)
{
	const int N = 1500 * fpd_scale();
	struct diff_case *cases = calloc((size_t)N, sizeof(*cases));
	uint64_t s = 0xfeedfacef00dbabeULL;
	assert_non_null(cases);
	for (int i = 0; i < N; i++) {
		struct diff_case *c = &cases[i];
		char name[32];
		snprintf(name, sizeof(name), "sse seq #%d", i);
		fpd_case_init(c, name);
		rand_sse_state(c, &s);
		unsigned len = 2 + fpd_rand(&s) % 5;
		for (unsigned k = 0; k < len; k++)
			rand_form_insn(c, &forms[fpd_rand(&s) % NFORMS], &s);
		fpd_end(c);
	}
	assert_int_equal(run_and_free(cases, N), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_diff_every_form_matches_host),
		cmocka_unit_test(test_sse_diff_fxsave_fxrstor_match_host),
		cmocka_unit_test(test_sse_diff_random_sequences_match_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
