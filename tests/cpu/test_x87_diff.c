/*
 * Differential tests of the x87 model against the host CPU (tests/cpu/fp_diff.h): every
 * register form D8-DF C0-FF and every memory form, from random states built out of special
 * values (zeros, denormals, pseudo-denormals, unnormals, infinities, QNaN/SNaN, the real
 * indefinite, extremes) under every precision and rounding control and with masked and
 * unmasked exceptions, plus random instruction sequences. Zero mismatches expected.
 */
#include "tests/cpu/fp_diff.h"

/* 80-bit values: {significand, sign and exponent}. */
static const struct x87_reg pool80[] = {
	{0, 0},
	{0, 0x8000},
	{1ULL << 63, 0x3fff},
	{0xc000000000000000ULL, 0xbfff},
	{0xc90fdaa22168c235ULL, 0x4000},
	{0xaaaaaaaaaaaaaaabULL, 0x3ffd},
	{0x0000000000001234ULL, 0},
	{0x0000000000000001ULL, 0x8000},
	{0x8000000000000001ULL, 0},
	{0xffffffffffffffffULL, 0x7ffe},
	{0xffffffffffffffffULL, 0xfffe},
	{1ULL << 63, 1},
	{1ULL << 63, 0x7fff},
	{1ULL << 63, 0xffff},
	{0xc000000000000000ULL, 0x7fff},
	{0xc000000000000123ULL, 0xffff},
	{0x8000000000000001ULL, 0x7fff},
	{0x8000000000abcdefULL, 0xffff},
	{0xc000000000000000ULL, 0xffff},
	{0x4000000000000000ULL, 0x3fff},
	{0, 0x7fff},
	{0x4000000000000000ULL, 0x7fff},
	{0xde0b6b3a76400000ULL, 0x403a},
	{0xdbe6fecebdedd5bfULL, 0x3fdd},
	{0x8000000000000000ULL, 0x403e},
	{0xffffffffffffffffULL, 0x403d},
	{0x8000000000000000ULL, 0xc03e},
	{0xb504f333f9de6484ULL, 0x3ffe},
	{0x8000000000000000ULL, 0x3c01},
	{0x8000000000000000ULL, 0x3f81},
	{0xfffffffffffff800ULL, 0x43fe},
};
#define POOL80 (sizeof(pool80) / sizeof(pool80[0]))

static const uint32_t pool32[] = {0,	      0x80000000, 0x3f800000, 0xbfc00000, 0x00000001,
				  0x007fffff, 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000,
				  0x7fc00000, 0x7f800001, 0xffc00001, 0x40490fdb, 0x4b000001};
static const uint64_t pool64[] = {0,
				  0x8000000000000000ULL,
				  0x3ff0000000000000ULL,
				  0xbff8000000000000ULL,
				  0x0000000000000001ULL,
				  0x000fffffffffffffULL,
				  0x0010000000000000ULL,
				  0x7fefffffffffffffULL,
				  0x7ff0000000000000ULL,
				  0xfff0000000000000ULL,
				  0x7ff8000000000000ULL,
				  0x7ff0000000000001ULL,
				  0x400921fb54442d18ULL,
				  0x4330000000000001ULL,
				  0x3cb0000000000000ULL};
static const uint64_t pool_int[] = {0, 1, 0xffffffffffffffffULL, 0x8000, 0x7fff, 0x80000000,
				    0x7fffffff, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
				    12345, 0xfffffffffffe1dc0ULL};

static struct x87_reg rand_reg(uint64_t *s)
{
	uint64_t r = fpd_rand(s);
	if (r % 8 < 3)
		return pool80[fpd_rand(s) % POOL80];
	struct x87_reg v = {fpd_rand(s) | 1ULL << 63, (uint16_t)(0x3fff - 40 + r % 80)};
	if (r & 0x100)
		v.sexp |= 0x8000;
	if (r % 97 == 0)
		v = (struct x87_reg){fpd_rand(s), (uint16_t)fpd_rand(s)};
	return v;
}

static uint16_t rand_fcw(uint64_t *s)
{
	static const uint8_t masks[] = {0x3f, 0x3f, 0x3f, 0x3f, 0x3e, 0x3b, 0x37,
					0x2f, 0x1f, 0x3d, 0x00, 0x20};
	uint64_t r = fpd_rand(s);
	uint16_t pc = (r >> 8) % 4 == 1 ? 0 : (uint16_t)((r >> 8) % 4); /* 01b is reserved */
	if (r % 3 == 0)
		pc = 3;
	return (uint16_t)(masks[r % sizeof(masks)] | 0x40 | pc << 8 | ((r >> 12) & 3) << 10);
}

/* A random x87 state: control word, TOP, condition codes, some masked sticky flags
 * (rarely an unmasked one, so the next waiting instruction takes #MF), tags, registers. */
static void rand_x87_state(struct diff_case *c, uint64_t *s)
{
	uint64_t r = fpd_rand(s);
	uint16_t fcw = rand_fcw(s);
	uint16_t flags = (uint16_t)(fpd_rand(s) & 0x3f & fcw);
	if (r % 16 == 0)
		flags |= (uint16_t)(fpd_rand(s) & 0x3f);
	uint16_t fsw = (uint16_t)(flags | (r & 0x4700) | ((r >> 20) & 7) << 11);
	if (flags & ~fcw & 0x3f)
		fsw |= FSW_ES | FSW_B;
	uint8_t tags = 0;
	for (unsigned i = 0; i < 8; i++) {
		struct x87_reg v = rand_reg(s);
		fpd_set_st(c, i, v.mant, v.sexp);
		if (fpd_rand(s) % 4)
			tags |= (uint8_t)(1u << i);
	}
	memcpy(c->fx.b + FX_FCW, &fcw, 2);
	memcpy(c->fx.b + FX_FSW, &fsw, 2);
	c->fx.b[FX_FTW] = tags;
	c->rflags = RFLAGS_FIXED1 | (fpd_rand(s) & (RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF));
}

/* The memory operand at [rbx+0x40], filled by the instruction's format. */
static void fill_operand(struct diff_case *c, uint8_t esc, unsigned reg, uint64_t *s)
{
	uint8_t *p = c->data + 0x40;
	uint64_t r = fpd_rand(s), v;
	for (unsigned i = 0; i < 128; i++)
		p[i] = (uint8_t)fpd_rand(s);
	if ((esc == 0xdb && reg >= 5) || (esc == 0xdf && (reg == 4 || reg == 6))) {
		struct x87_reg x = rand_reg(s);
		if (esc == 0xdf && r % 2) { /* packed BCD: 18 digits and a sign byte */
			for (unsigned i = 0; i < 9; i++)
				p[i] = (uint8_t)(fpd_rand(s) % 10 | (fpd_rand(s) % 10) << 4);
			p[9] = r % 4 < 2 ? 0 : 0x80;
			return;
		}
		memcpy(p, &x.mant, 8);
		memcpy(p + 8, &x.sexp, 2);
	} else if (esc == 0xd8 || esc == 0xd9) {
		v = r % 2 ? pool32[fpd_rand(s) % 15] : (uint32_t)fpd_rand(s);
		memcpy(p, &v, 4);
	} else if (esc == 0xdc || esc == 0xdd) {
		v = r % 2 ? pool64[fpd_rand(s) % 15] : fpd_rand(s);
		memcpy(p, &v, 8);
	} else if (r % 2) {
		v = pool_int[fpd_rand(s) % 11];
		memcpy(p, &v, 8);
	}
}

static void x87_reg_insn(struct diff_case *c, uint8_t esc, uint8_t modrm)
{
	uint8_t b[2] = {esc, modrm};
	fpd_code(c, b, 2);
}

static void x87_mem_insn(struct diff_case *c, uint8_t esc, unsigned reg, bool p66)
{
	uint8_t b[4] = {0x66, esc, (uint8_t)(0x43 | reg << 3), 0x40};
	fpd_code(c, p66 ? b : b + 1, p66 ? 4 : 3);
}

static int run_and_free(struct diff_case *cases, int n)
{
	int bad = fpd_run_all(cases, n);
	free(cases);
	return bad;
}

/* All 512 register forms (undefined ones must #UD on both), six random states each. */
static void test_x87_diff_register_forms_match_host(void **state)
{
	const int PER = 6 * fpd_scale();
	struct diff_case *cases = calloc(512 * (size_t)PER, sizeof(*cases));
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int n = 0;
	assert_non_null(cases);
	for (unsigned esc = 0xd8; esc <= 0xdf; esc++)
		for (unsigned m = 0xc0; m <= 0xff; m++)
			for (int k = 0; k < PER; k++) {
				struct diff_case *c = &cases[n++];
				char name[40];
				snprintf(name, sizeof(name), "reg %02x %02x #%d", esc, m, k);
				fpd_case_init(c, name);
				rand_x87_state(c, &s);
				x87_reg_insn(c, (uint8_t)esc, (uint8_t)m);
				fpd_end(c);
			}
	assert_int_equal(run_and_free(cases, n), 0);
}

/* All memory forms (and the 16-bit environment formats), twelve states each. */
static void test_x87_diff_memory_forms_match_host(void **state)
{
	const int PER = 12 * fpd_scale();
	struct diff_case *cases = calloc(8 * 8 * 2 * (size_t)PER, sizeof(*cases));
	uint64_t s = 0x1234567887654321ULL;
	int n = 0;
	assert_non_null(cases);
	for (unsigned esc = 0xd8; esc <= 0xdf; esc++)
		for (unsigned reg = 0; reg < 8; reg++)
			for (int p66 = 0; p66 < 2; p66++) {
				bool env = (esc == 0xd9 && (reg == 4 || reg == 6)) ||
					   (esc == 0xdd && (reg == 4 || reg == 6));
				if (p66 && !env)
					continue;
				for (int k = 0; k < PER; k++) {
					struct diff_case *c = &cases[n++];
					char name[40];
					snprintf(name, sizeof(name), "mem %s%02x /%u #%d",
						 p66 ? "66 " : "", esc, reg, k);
					fpd_case_init(c, name);
					rand_x87_state(c, &s);
					fill_operand(c, (uint8_t)esc, reg, &s);
					x87_mem_insn(c, (uint8_t)esc, reg, p66);
					fpd_end(c);
				}
			}
	assert_int_equal(run_and_free(cases, n), 0);
}

/* A random valid instruction (register or memory form), by the host's own verdict on
 * validity: undefined encodings are left out so that sequences run on. */
static void rand_insn(struct diff_case *c, uint64_t *s)
{
	static const uint8_t bad_mem[][2] = {{0xd9, 1}, {0xdb, 4}, {0xdb, 6}, {0xdd, 5}};
	for (;;) {
		uint64_t r = fpd_rand(s);
		uint8_t esc = (uint8_t)(0xd8 + r % 8);
		if ((r >> 8) % 3) {
			uint8_t m = (uint8_t)(0xc0 + (r >> 16) % 64);
			struct x86_instr in;
			uint8_t b[2] = {esc, m};
			if (x86_decode(&in, b, 2, X86_MODE_64) != X86_DECODE_OK)
				continue;
			x87_reg_insn(c, esc, m);
			return;
		}
		unsigned reg = (r >> 16) % 8;
		bool ok = true;
		for (unsigned i = 0; i < sizeof(bad_mem) / sizeof(bad_mem[0]); i++)
			if (bad_mem[i][0] == esc && bad_mem[i][1] == reg)
				ok = false;
		/* State loads from random bytes make poor sequences: keep them to the directed
		 * test. */
		if (!ok || ((esc == 0xd9 || esc == 0xdd) && reg == 4))
			continue;
		fill_operand(c, esc, reg, s);
		x87_mem_insn(c, esc, reg, false);
		return;
	}
}

/* Random sequences of two to six instructions, some ending in FWAIT (#MF delivery). */
static void test_x87_diff_random_sequences_match_host(void **state)
{
	const int N = 1500 * fpd_scale();
	struct diff_case *cases = calloc((size_t)N, sizeof(*cases));
	uint64_t s = 0xdeadbeefcafef00dULL;
	assert_non_null(cases);
	for (int i = 0; i < N; i++) {
		struct diff_case *c = &cases[i];
		char name[40];
		snprintf(name, sizeof(name), "seq #%d", i);
		fpd_case_init(c, name);
		rand_x87_state(c, &s);
		unsigned len = 2 + fpd_rand(&s) % 5;
		for (unsigned k = 0; k < len; k++)
			rand_insn(c, &s);
		if (fpd_rand(&s) % 4 == 0) {
			uint8_t w = 0x9b;
			fpd_code(c, &w, 1);
		}
		fpd_end(c);
	}
	assert_int_equal(run_and_free(cases, N), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x87_diff_register_forms_match_host),
		cmocka_unit_test(test_x87_diff_memory_forms_match_host),
		cmocka_unit_test(test_x87_diff_random_sequences_match_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
