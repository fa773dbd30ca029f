/*
 * tests/cpu/test_alu_host.c - the ALU checked against the host processor.
 *
 * Each operation runs twice on the same random operands and incoming flags: once in
 * cpu/alu.c, once as the real instruction on this machine (inline assembly between POPFQ and
 * PUSHFQ). Results and all six status flags must match, including the flags the SDM leaves
 * undefined, for which the host is the reference (docs/cpu.md). The host must be x86-64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/alu.h"

#define ITERATIONS 100000

/* Run `text` with RFLAGS loaded from %[f] and stored back; the red zone is stepped over. */
#define WITH_FLAGS(text)                                                                           \
	"sub $128, %%rsp\n\t"                                                                      \
	"push %[f]\n\t"                                                                            \
	"popfq\n\t" text "\n\t"                                                                    \
	"pushfq\n\t"                                                                               \
	"pop %[f]\n\t"                                                                             \
	"add $128, %%rsp"

/* Two-operand instruction `mn` in its four sizes: a = a OP b. */
#define HOST_RR(mn, size, a, b, fv)                                                                \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 1:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "b %b[y], %b[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %w[y], %w[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %k[y], %k[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %q[y], %q[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

/* Two-operand instruction without a byte form (BT*, BSF/BSR, IMUL r, r/m). */
#define HOST_RR_WIDE(mn, size, a, b, fv)                                                           \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %w[y], %w[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %k[y], %k[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %q[y], %q[x]")                           \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

/* One-operand instruction on a register. */
#define HOST_R(mn, size, a, fv)                                                                    \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 1:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "b %b[x]")                                  \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 :                                                         \
					 : "cc");                                                  \
			break;                                                                     \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %w[x]")                                  \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 :                                                         \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %k[x]")                                  \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 :                                                         \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %q[x]")                                  \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 :                                                         \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

/* Shift or rotate by CL. */
#define HOST_CL(mn, size, a, c, fv)                                                                \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 1:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "b %%cl, %b[x]")                            \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
			break;                                                                     \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %%cl, %w[x]")                            \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %%cl, %k[x]")                            \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %%cl, %q[x]")                            \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

/* SHLD/SHRD by CL (no byte form). */
#define HOST_DOUBLE(mn, size, a, b, c, fv)                                                         \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %%cl, %w[y], %w[x]")                     \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b), "c"(c)                                      \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %%cl, %k[y], %k[x]")                     \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b), "c"(c)                                      \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %%cl, %q[y], %q[x]")                     \
					 : [x] "+r"(a), [f] "+r"(fv)                               \
					 : [y] "r"(b), "c"(c)                                      \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

/* Widening multiply or divide on rDX:rAX (AX for bytes) by a register. */
#define HOST_AXDX(mn, size, ax, dx, b, fv)                                                         \
	do {                                                                                       \
		switch (size) {                                                                    \
		case 1:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "b %b[y]")                                  \
					 : "+a"(ax), "+d"(dx), [f] "+r"(fv)                        \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		case 2:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "w %w[y]")                                  \
					 : "+a"(ax), "+d"(dx), [f] "+r"(fv)                        \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		case 4:                                                                            \
			__asm__ volatile(WITH_FLAGS(mn "l %k[y]")                                  \
					 : "+a"(ax), "+d"(dx), [f] "+r"(fv)                        \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
			break;                                                                     \
		default:                                                                           \
			__asm__ volatile(WITH_FLAGS(mn "q %q[y]")                                  \
					 : "+a"(ax), "+d"(dx), [f] "+r"(fv)                        \
					 : [y] "r"(b)                                              \
					 : "cc");                                                  \
		}                                                                                  \
	} while (0)

static const unsigned sizes[4] = {1, 2, 4, 8};

static uint64_t mask_of(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* xorshift64* */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* random_operand - mostly random, often near the edges where flags change. */
static uint64_t random_operand(uint64_t *s, unsigned size)
{
	uint64_t r = next_random(s), m = mask_of(size), top = 1ull << (8 * size - 1);

	switch (r & 7) {
	case 0:
		return (r >> 8) & 7;
	case 1:
		return (0 - ((r >> 8) & 7)) & m;
	case 2:
		return (top + ((r >> 8) & 3) - 2) & m;
	case 3:
		return (r >> 8) & 0x1f;
	default:
		return next_random(s) & m;
	}
}

/* Incoming RFLAGS: bit 1 and IF as user code has them, random status flags. */
static uint64_t random_flags(uint64_t *s)
{
	return 0x202 | (next_random(s) & X86_FLAGS_STATUS);
}

/* A counterexample, printed before failing. */
static void report(const char *op, unsigned size, uint64_t a, uint64_t b, uint64_t fin,
		   uint64_t host, uint64_t hf, uint64_t mine, uint64_t mf)
{
	printf("%s size %u a=%#llx b=%#llx flags in %#llx: host %#llx flags %#llx, alu %#llx "
	       "flags %#llx\n",
	       op, size, (unsigned long long)a, (unsigned long long)b, (unsigned long long)fin,
	       (unsigned long long)host, (unsigned long long)hf, (unsigned long long)mine,
	       (unsigned long long)mf);
}

/* check - compare, counting failures; prints the first few. */
static int check(const char *op, unsigned size, uint64_t a, uint64_t b, uint64_t fin, uint64_t host,
		 uint64_t hf, uint64_t mine, uint64_t mf, int *failures)
{
	uint64_t m = mask_of(size);

	if ((host & m) == (mine & m) && (hf & 0xfff) == (mf & 0xfff))
		return 1;
	if ((*failures)++ < 8)
		report(op, size, a, b, fin, host & m, hf & 0xfff, mine & m, mf & 0xfff);
	return 0;
}

static uint64_t host_binop(enum x86_alu_op op, unsigned size, uint64_t a, uint64_t b, uint64_t *f)
{
	uint64_t fl = *f;

	switch (op) {
	case ALU_ADD:
		HOST_RR("add", size, a, b, fl);
		break;
	case ALU_OR:
		HOST_RR("or", size, a, b, fl);
		break;
	case ALU_ADC:
		HOST_RR("adc", size, a, b, fl);
		break;
	case ALU_SBB:
		HOST_RR("sbb", size, a, b, fl);
		break;
	case ALU_AND:
		HOST_RR("and", size, a, b, fl);
		break;
	case ALU_SUB:
		HOST_RR("sub", size, a, b, fl);
		break;
	case ALU_XOR:
		HOST_RR("xor", size, a, b, fl);
		break;
	case ALU_CMP:
		HOST_RR("cmp", size, a, b, fl);
		a = (a - b) & mask_of(size); /* CMP leaves a; compare the difference */
		break;
	case ALU_TEST:
		HOST_RR("test", size, a, b, fl);
		a &= b;
		break;
	}
	*f = fl;
	return a;
}

static void test_alu_binop_matches_host(void **state)
{
	static const char *const names[] = {"add", "or",  "adc", "sbb", "and",
					    "sub", "xor", "cmp", "test"};
	uint64_t s = 0x1234567;
	int failures = 0;

	for (int op = ALU_ADD; op <= ALU_TEST; op++)
		for (int z = 0; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size), b = random_operand(&s, size);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t h = host_binop(op, size, a, b, &hf);
				uint64_t r = alu_binop(op, size, a, b, &mf);

				check(names[op], size, a, b, fin, h, hf, r, mf, &failures);
			}
	assert_int_equal(failures, 0);
}

static uint64_t host_unary(enum x86_unary_op op, unsigned size, uint64_t a, uint64_t *f)
{
	uint64_t fl = *f;

	switch (op) {
	case UNARY_INC:
		HOST_R("inc", size, a, fl);
		break;
	case UNARY_DEC:
		HOST_R("dec", size, a, fl);
		break;
	case UNARY_NEG:
		HOST_R("neg", size, a, fl);
		break;
	case UNARY_NOT:
		HOST_R("not", size, a, fl);
		break;
	}
	*f = fl;
	return a;
}

static void test_alu_unary_matches_host(void **state)
{
	static const char *const names[] = {"inc", "dec", "neg", "not"};
	uint64_t s = 0x7654321;
	int failures = 0;

	for (int op = UNARY_INC; op <= UNARY_NOT; op++)
		for (int z = 0; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t h = host_unary(op, size, a, &hf);
				uint64_t r = alu_unary(op, size, a, &mf);

				check(names[op], size, a, 0, fin, h, hf, r, mf, &failures);
			}
	assert_int_equal(failures, 0);
}

static uint64_t host_shift(enum x86_shift_op op, unsigned size, uint64_t a, uint8_t c, uint64_t *f)
{
	uint64_t fl = *f;

	switch (op) {
	case SHIFT_ROL:
		HOST_CL("rol", size, a, c, fl);
		break;
	case SHIFT_ROR:
		HOST_CL("ror", size, a, c, fl);
		break;
	case SHIFT_RCL:
		HOST_CL("rcl", size, a, c, fl);
		break;
	case SHIFT_RCR:
		HOST_CL("rcr", size, a, c, fl);
		break;
	case SHIFT_SHL:
	case SHIFT_SAL:
		HOST_CL("shl", size, a, c, fl);
		break;
	case SHIFT_SHR:
		HOST_CL("shr", size, a, c, fl);
		break;
	case SHIFT_SAR:
		HOST_CL("sar", size, a, c, fl);
		break;
	}
	*f = fl;
	return a;
}

/* Shift counts: all of 0-70 in turn, then random bytes (masked by the CPU). */
static uint8_t shift_count(uint64_t *s, int i)
{
	return i < 71 * 4 ? (uint8_t)(i / 4) : (uint8_t)next_random(s);
}

static void test_alu_shift_matches_host(void **state)
{
	static const char *const names[] = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
	uint64_t s = 0x5eed;
	int failures = 0;

	for (int op = SHIFT_ROL; op <= SHIFT_SAR; op++)
		for (int z = 0; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size);
				uint8_t c = shift_count(&s, i);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t h = host_shift(op, size, a, c, &hf);
				uint64_t r = alu_shift(op, size, a, c, &mf);

				check(names[op], size, a, c, fin, h, hf, r, mf, &failures);
			}
	assert_int_equal(failures, 0);
}

static void test_alu_shift_double_matches_host(void **state)
{
	uint64_t s = 0xd0b1e;
	int failures = 0;

	for (int left = 0; left < 2; left++)
		for (int z = 1; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size), b = random_operand(&s, size);
				uint8_t c = shift_count(&s, i);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin, h = a, r;

				if (left) {
					HOST_DOUBLE("shld", size, h, b, c, hf);
					r = alu_shld(size, a, b, c, &mf);
				} else {
					HOST_DOUBLE("shrd", size, h, b, c, hf);
					r = alu_shrd(size, a, b, c, &mf);
				}
				if (!check(left ? "shld" : "shrd", size, a, b, fin, h, hf, r, mf,
					   &failures))
					printf("  count %u\n", c);
			}
	assert_int_equal(failures, 0);
}

static void test_alu_multiply_matches_host(void **state)
{
	uint64_t s = 0x3a17;
	int failures = 0;

	for (int sign = 0; sign < 2; sign++)
		for (int z = 0; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size), b = random_operand(&s, size);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t ax = a, dx = 0, lo, hi, hlo, hhi;

				if (sign)
					HOST_AXDX("imul", size, ax, dx, b, hf);
				else
					HOST_AXDX("mul", size, ax, dx, b, hf);
				/* bytes: AX holds the whole product */
				hlo = size == 1 ? ax & 0xff : ax;
				hhi = size == 1 ? (ax >> 8) & 0xff : dx;
				lo = sign ? alu_imul(size, a, b, &hi, &mf)
					  : alu_mul(size, a, b, &hi, &mf);
				check(sign ? "imul" : "mul", size, a, b, fin, hlo, hf, lo, mf,
				      &failures);
				check(sign ? "imul high" : "mul high", size, a, b, fin, hhi, hf, hi,
				      mf, &failures);
			}
	for (int z = 1; z < 4; z++)
		for (int i = 0; i < ITERATIONS; i++) {
			unsigned size = sizes[z];
			uint64_t a = random_operand(&s, size), b = random_operand(&s, size);
			uint64_t fin = random_flags(&s), hf = fin, mf = fin, h = a;
			uint64_t r = alu_imul_trunc(size, a, b, &mf);

			HOST_RR_WIDE("imul", size, h, b, hf);
			check("imul2", size, a, b, fin, h, hf, r, mf, &failures);
		}
	assert_int_equal(failures, 0);
}

static void test_alu_divide_matches_host(void **state)
{
	uint64_t s = 0xd1d;
	int failures = 0, divided = 0;

	for (int sign = 0; sign < 2; sign++)
		for (int z = 0; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t m = mask_of(size);
				uint64_t hi = random_operand(&s, size), lo = next_random(&s) & m;
				uint64_t d = random_operand(&s, size), q, r;
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t ax, dx, hq, hr;
				int st = sign ? alu_idiv(size, hi, lo, d, &q, &r, &mf)
					      : alu_div(size, hi, lo, d, &q, &r, &mf);

				if (st != 0)
					continue; /* #DE: the host would trap */
				divided++;
				ax = size == 1 ? (hi << 8) | lo : lo;
				dx = size == 1 ? 0 : hi;
				if (sign)
					HOST_AXDX("idiv", size, ax, dx, d, hf);
				else
					HOST_AXDX("div", size, ax, dx, d, hf);
				hq = size == 1 ? ax & 0xff : ax;
				hr = size == 1 ? (ax >> 8) & 0xff : dx;
				check(sign ? "idiv" : "div", size, lo, d, fin, hq, hf, q, mf,
				      &failures);
				check(sign ? "idiv rem" : "div rem", size, lo, d, fin, hr, hf, r,
				      mf, &failures);
			}
	assert_int_equal(failures, 0);
	assert_true(divided > ITERATIONS);
}

static void test_alu_divide_faults_where_the_sdm_says(void **state)
{
	uint64_t q = 0, r = 0, f = 0x202;

	/* #DE: divisor 0, or a quotient that does not fit (SDM Vol. 2, DIV/IDIV). */
	assert_int_equal(alu_div(4, 0, 100, 0, &q, &r, &f), -1);
	assert_int_equal(alu_div(1, 1, 0, 1, &q, &r, &f), -1); /* 0x100 / 1 */
	assert_int_equal(alu_div(1, 0, 0xff, 1, &q, &r, &f), 0);
	assert_int_equal(q, 0xff);
	assert_int_equal(alu_idiv(1, 0xff, 0x80, 0xff, &q, &r, &f), -1); /* -128 / -1 */
	assert_int_equal(alu_idiv(8, 0x8000000000000000ull, 0, ~0ull, &q, &r, &f), -1);
	assert_int_equal(alu_idiv(4, 0xffffffff, 0xfffffff9, 2, &q, &r, &f), 0); /* -7 / 2 */
	assert_int_equal(q, 0xfffffffd);					 /* -3 */
	assert_int_equal(r, 0xffffffff);					 /* -1 */
}

static uint64_t host_bit(enum x86_bit_op op, unsigned size, uint64_t a, uint64_t b, uint64_t *f)
{
	uint64_t fl = *f;

	switch (op) {
	case BIT_BT:
		HOST_RR_WIDE("bt", size, a, b, fl);
		break;
	case BIT_BTS:
		HOST_RR_WIDE("bts", size, a, b, fl);
		break;
	case BIT_BTR:
		HOST_RR_WIDE("btr", size, a, b, fl);
		break;
	case BIT_BTC:
		HOST_RR_WIDE("btc", size, a, b, fl);
		break;
	}
	*f = fl;
	return a;
}

static void test_alu_bit_ops_match_host(void **state)
{
	static const char *const names[] = {"bt", "bts", "btr", "btc"};
	uint64_t s = 0xb17;
	int failures = 0;

	for (int op = BIT_BT; op <= BIT_BTC; op++)
		for (int z = 1; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t a = random_operand(&s, size);
				uint64_t b = next_random(&s) & 0xff & mask_of(size);
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;
				uint64_t h = host_bit(op, size, a, b, &hf);
				uint64_t r = alu_bit(op, size, a, b, &mf);

				check(names[op], size, a, b, fin, h, hf, r, mf, &failures);
			}
	assert_int_equal(failures, 0);
}

static void test_alu_bit_scans_match_host(void **state)
{
	uint64_t s = 0xb5f;
	int failures = 0;

	for (int rev = 0; rev < 2; rev++)
		for (int z = 1; z < 4; z++)
			for (int i = 0; i < ITERATIONS; i++) {
				unsigned size = sizes[z];
				uint64_t src = (i & 3) == 0 ? 0 : random_operand(&s, size);
				uint64_t dst = next_random(&s) & mask_of(size), h = dst, r;
				uint64_t fin = random_flags(&s), hf = fin, mf = fin;

				if (rev) {
					HOST_RR_WIDE("bsr", size, h, src, hf);
					r = alu_bsr(size, dst, src, &mf);
				} else {
					HOST_RR_WIDE("bsf", size, h, src, hf);
					r = alu_bsf(size, dst, src, &mf);
				}
				check(rev ? "bsr" : "bsf", size, src, dst, fin, h, hf, r, mf,
				      &failures);
			}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alu_binop_matches_host),
	    cmocka_unit_test(test_alu_unary_matches_host),
	    cmocka_unit_test(test_alu_shift_matches_host),
	    cmocka_unit_test(test_alu_shift_double_matches_host),
	    cmocka_unit_test(test_alu_multiply_matches_host),
	    cmocka_unit_test(test_alu_divide_matches_host),
	    cmocka_unit_test(test_alu_divide_faults_where_the_sdm_says),
	    cmocka_unit_test(test_alu_bit_ops_match_host),
	    cmocka_unit_test(test_alu_bit_scans_match_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
