/*
 * cpu/alu.c - the integer ALU (SDM Vol. 1, 3.4.3.1 and the instruction pages of Vol. 2:
 * ADD ... XOR, INC/DEC/NEG, RCL/RCR/ROL/ROR, SAL/SAR/SHL/SHR, SHLD/SHRD, MUL/IMUL,
 * DIV/IDIV, BT/BTS/BTR/BTC, BSF/BSR).
 *
 * All arithmetic is done in 64 (or 128) bits and masked to the operand size. Flags the SDM
 * calls "undefined" get the values of the reference processor (AMD Zen); each such choice
 * is marked "host:" below and listed in docs/cpu.md.
 */
#include "cpu/alu.h"

static uint64_t size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_bit(unsigned size)
{
	return 1ull << (8 * size - 1);
}

/* The sign-extension of an operand-sized value. */
static int64_t signed_value(unsigned size, uint64_t v)
{
	unsigned shift = 64 - 8 * size;

	return (int64_t)(v << shift) >> shift;
}

/* SF, ZF and PF of a result (PF: even parity of the low byte). */
static uint64_t szp(unsigned size, uint64_t r)
{
	uint64_t f = 0;

	if (r & sign_bit(size))
		f |= X86_FLAGS_SF;
	if (r == 0)
		f |= X86_FLAGS_ZF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= X86_FLAGS_PF;
	return f;
}

/* Replace the flags in `which` by those in `values`. */
static void set_flags(uint64_t *rflags, uint64_t which, uint64_t values)
{
	*rflags = (*rflags & ~which) | (values & which);
}

static uint64_t flag_if(uint64_t cond, uint64_t flag)
{
	return cond ? flag : 0;
}

/* add_flags - flags of a + b + cin = r. */
static uint64_t add_flags(unsigned size, uint64_t a, uint64_t b, unsigned cin, uint64_t r)
{
	unsigned __int128 wide = (unsigned __int128)a + b + cin;

	return szp(size, r) | flag_if(wide > size_mask(size), X86_FLAGS_CF) |
	       flag_if((a ^ b ^ r) & 0x10, X86_FLAGS_AF) |
	       flag_if((a ^ r) & (b ^ r) & sign_bit(size), X86_FLAGS_OF);
}

/* sub_flags - flags of a - b - cin = r. */
static uint64_t sub_flags(unsigned size, uint64_t a, uint64_t b, unsigned cin, uint64_t r)
{
	unsigned __int128 subtrahend = (unsigned __int128)b + cin;

	return szp(size, r) | flag_if(a < subtrahend, X86_FLAGS_CF) |
	       flag_if((a ^ b ^ r) & 0x10, X86_FLAGS_AF) |
	       flag_if((a ^ b) & (a ^ r) & sign_bit(size), X86_FLAGS_OF);
}

uint64_t alu_binop(enum x86_alu_op op, unsigned size, uint64_t a, uint64_t b, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	unsigned cin = (op == ALU_ADC || op == ALU_SBB) && (*rflags & X86_FLAGS_CF);
	uint64_t r;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		r = (a + b + cin) & m;
		set_flags(rflags, X86_FLAGS_STATUS, add_flags(size, a, b, cin, r));
		return r;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		r = (a - b - cin) & m;
		set_flags(rflags, X86_FLAGS_STATUS, sub_flags(size, a, b, cin, r));
		return r;
	case ALU_OR:
		r = a | b;
		break;
	case ALU_XOR:
		r = a ^ b;
		break;
	default: /* AND, TEST */
		r = a & b;
		break;
	}
	/* CF = OF = 0; AF is undefined. host: AF = 0. */
	set_flags(rflags, X86_FLAGS_STATUS, szp(size, r));
	return r;
}

uint64_t alu_unary(enum x86_unary_op op, unsigned size, uint64_t a, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	uint64_t r;

	a &= m;
	switch (op) {
	case UNARY_INC:
		r = (a + 1) & m;
		set_flags(rflags, X86_FLAGS_STATUS & ~X86_FLAGS_CF, add_flags(size, a, 1, 0, r));
		return r;
	case UNARY_DEC:
		r = (a - 1) & m;
		set_flags(rflags, X86_FLAGS_STATUS & ~X86_FLAGS_CF, sub_flags(size, a, 1, 0, r));
		return r;
	case UNARY_NEG:
		r = (0 - a) & m;
		set_flags(rflags, X86_FLAGS_STATUS, sub_flags(size, 0, a, 0, r));
		return r;
	default:
		return ~a & m;
	}
}

/* rotate - ROL/ROR/RCL/RCR: only CF and OF change. */
static uint64_t rotate(enum x86_shift_op op, unsigned size, uint64_t a, unsigned count,
		       uint64_t *rflags)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size), top = sign_bit(size);
	uint64_t cf = *rflags & X86_FLAGS_CF, r = a;
	uint64_t f;

	switch (op) {
	case SHIFT_ROL:
		count %= bits;
		r = count ? ((a << count) | (a >> (bits - count))) & m : a;
		cf = r & 1;
		f = flag_if(cf, X86_FLAGS_CF) | flag_if(!!(r & top) != cf, X86_FLAGS_OF);
		break;
	case SHIFT_ROR:
		count %= bits;
		r = count ? ((a >> count) | (a << (bits - count))) & m : a;
		cf = !!(r & top);
		f = flag_if(cf, X86_FLAGS_CF) |
		    flag_if(!!(r & top) != !!(r & (top >> 1)), X86_FLAGS_OF);
		break;
	case SHIFT_RCL:
		for (count %= bits + 1; count > 0; count--) {
			uint64_t out = !!(r & top);

			r = ((r << 1) | cf) & m;
			cf = out;
		}
		f = flag_if(cf, X86_FLAGS_CF) | flag_if(!!(r & top) != cf, X86_FLAGS_OF);
		break;
	default: /* RCR */
		for (count %= bits + 1; count > 0; count--) {
			uint64_t out = r & 1;

			r = (r >> 1) | (cf ? top : 0);
			cf = out;
		}
		f = flag_if(cf, X86_FLAGS_CF) |
		    flag_if(!!(r & top) != !!(r & (top >> 1)), X86_FLAGS_OF);
		break;
	}
	set_flags(rflags, X86_FLAGS_CF | X86_FLAGS_OF, f);
	return r;
}

uint64_t alu_shift(enum x86_shift_op op, unsigned size, uint64_t a, unsigned count,
		   uint64_t *rflags)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size), top = sign_bit(size);
	uint64_t r, cf, of;

	a &= m;
	count &= size == 8 ? 63 : 31;
	if (count == 0)
		return a;
	if (op <= SHIFT_RCR)
		return rotate(op, size, a, count, rflags);
	switch (op) {
	case SHIFT_SHR:
		r = count < bits ? a >> count : 0;
		cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
		/* MSB(a) for a count of 1; host: the top two result bits differ, in general */
		of = !!(r & top) != !!(r & (top >> 1));
		break;
	case SHIFT_SAR: {
		unsigned c = count < bits ? count : bits - 1;

		r = (uint64_t)(signed_value(size, a) >> c) & m;
		cf =
		    (uint64_t)(signed_value(size, a) >> (count <= bits ? count - 1 : bits - 1)) & 1;
		of = 0;
		break;
	}
	default: /* SHL, SAL */
		r = count < bits ? (a << count) & m : 0;
		cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
		of = !!(r & top) != cf; /* host: also for counts above 1 */
		break;
	}
	/* AF is undefined. host: AF = 1. */
	set_flags(rflags, X86_FLAGS_STATUS,
		  szp(size, r) | X86_FLAGS_AF | flag_if(cf, X86_FLAGS_CF) |
		      flag_if(of, X86_FLAGS_OF));
	return r;
}

/*
 * shift_double_flags - flags of SHLD/SHRD: r the result, cf the last bit out, of the
 * overflow flag (defined for a count of 1 as "the sign changed"; host: the same formula as
 * for count 1 for every count). AF is undefined. host: AF = 1.
 */
static void shift_double_flags(unsigned size, uint64_t r, uint64_t cf, uint64_t of,
			       uint64_t *rflags)
{
	set_flags(rflags, X86_FLAGS_STATUS,
		  szp(size, r) | X86_FLAGS_AF | flag_if(cf, X86_FLAGS_CF) |
		      flag_if(of, X86_FLAGS_OF));
}

uint64_t alu_shld(unsigned size, uint64_t a, uint64_t b, unsigned count, uint64_t *rflags)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size);
	unsigned __int128 pair;
	uint64_t r, cf;

	a &= m;
	b &= m;
	count &= size == 8 ? 63 : 31;
	if (count == 0)
		return a;
	if (count > bits) {
		/* 16 bits, count 17-31: undefined. host: b rotated left, CF = OF = 0. */
		r = ((b << (count - bits)) | (b >> (2 * bits - count))) & m;
		shift_double_flags(size, r, 0, 0, rflags);
		return r;
	}
	pair = ((unsigned __int128)a << bits) | b;
	r = (uint64_t)(pair >> (bits - count)) & m;
	cf = (uint64_t)(pair >> (2 * bits - count)) & 1;
	/* OF is defined for a count of 1; host: the same formula, except OF = CF at 16 of 16. */
	shift_double_flags(size, r, cf, count == bits ? cf : !!(r & sign_bit(size)) != cf, rflags);
	return r;
}

uint64_t alu_shrd(unsigned size, uint64_t a, uint64_t b, unsigned count, uint64_t *rflags)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size);
	unsigned __int128 pair;
	uint64_t r, cf;

	a &= m;
	b &= m;
	count &= size == 8 ? 63 : 31;
	if (count == 0)
		return a;
	if (count > bits) {
		/* 16 bits, count 17-31: undefined. host: b rotated right, CF = 0. */
		r = ((b >> (count - bits)) | (b << (2 * bits - count))) & m;
		shift_double_flags(size, r, 0,
				   !!(r & sign_bit(size)) != !!(r & (sign_bit(size) >> 1)), rflags);
		return r;
	}
	pair = ((unsigned __int128)b << bits) | a;
	r = (uint64_t)(pair >> count) & m;
	cf = (uint64_t)(pair >> (count - 1)) & 1;
	shift_double_flags(size, r, cf, !!(r & sign_bit(size)) != !!(r & (sign_bit(size) >> 1)),
			   rflags);
	return r;
}

/*
 * mul_flags - CF = OF = the product does not fit in the low half; SF, ZF, AF and PF are
 * undefined. host: unchanged.
 */
static void mul_flags(int overflow, uint64_t *rflags)
{
	set_flags(rflags, X86_FLAGS_CF | X86_FLAGS_OF,
		  flag_if(overflow, X86_FLAGS_CF | X86_FLAGS_OF));
}

uint64_t alu_mul(unsigned size, uint64_t a, uint64_t b, uint64_t *hi, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	unsigned __int128 p = (unsigned __int128)(a & m) * (b & m);
	uint64_t lo = (uint64_t)p & m;

	*hi = (uint64_t)(p >> (8 * size)) & m;
	mul_flags(*hi != 0, rflags);
	return lo;
}

uint64_t alu_imul(unsigned size, uint64_t a, uint64_t b, uint64_t *hi, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	__int128 p = (__int128)signed_value(size, a) * signed_value(size, b);
	uint64_t lo = (uint64_t)p & m;

	*hi = (uint64_t)(p >> (8 * size)) & m;
	mul_flags(p != signed_value(size, lo), rflags);
	return lo;
}

uint64_t alu_imul_trunc(unsigned size, uint64_t a, uint64_t b, uint64_t *rflags)
{
	uint64_t hi;

	return alu_imul(size, a, b, &hi, rflags);
}

/* div_flags - all six are undefined. host: CF, OF unchanged, SF = ZF = PF = 0, AF = 1. */
static void div_flags(uint64_t *rflags)
{
	set_flags(rflags, X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_PF | X86_FLAGS_AF, X86_FLAGS_AF);
}

int alu_div(unsigned size, uint64_t hi, uint64_t lo, uint64_t divisor, uint64_t *quot,
	    uint64_t *rem, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	unsigned __int128 dividend = ((unsigned __int128)(hi & m) << (8 * size)) | (lo & m);
	unsigned __int128 q;

	divisor &= m;
	if (divisor == 0)
		return -1;
	q = dividend / divisor;
	if (q > m)
		return -1;
	*quot = (uint64_t)q;
	*rem = (uint64_t)(dividend % divisor);
	div_flags(rflags);
	return 0;
}

int alu_idiv(unsigned size, uint64_t hi, uint64_t lo, uint64_t divisor, uint64_t *quot,
	     uint64_t *rem, uint64_t *rflags)
{
	uint64_t m = size_mask(size);
	unsigned __int128 raw = ((unsigned __int128)(hi & m) << (8 * size)) | (lo & m);
	unsigned shift = 128 - 16 * size;
	__int128 dividend = (__int128)(raw << shift) >> shift;
	__int128 d = signed_value(size, divisor), q;

	if (d == 0)
		return -1;
	if (d == -1 && raw == (unsigned __int128)1 << 127)
		return -1; /* -2^127 / -1 overflows even in 128 bits */
	q = dividend / d;
	if (q != signed_value(size, (uint64_t)q & m))
		return -1;
	*quot = (uint64_t)q & m;
	*rem = (uint64_t)(dividend % d) & m;
	div_flags(rflags);
	return 0;
}

uint64_t alu_bit(enum x86_bit_op op, unsigned size, uint64_t a, uint64_t bitoff, uint64_t *rflags)
{
	uint64_t bit = 1ull << (bitoff % (8 * size));
	uint64_t m = size_mask(size);

	a &= m;
	/* OF, SF, AF, PF undefined. host: unchanged. */
	set_flags(rflags, X86_FLAGS_CF, flag_if(a & bit, X86_FLAGS_CF));
	switch (op) {
	case BIT_BTS:
		return a | bit;
	case BIT_BTR:
		return a & ~bit;
	case BIT_BTC:
		return a ^ bit;
	default:
		return a;
	}
}

/*
 * scan_flags - ZF says "source was zero"; the rest are undefined. host: CF = OF = SF =
 * AF = 0 and PF the parity of the bit index found (of 0 when the source is 0).
 */
static void scan_flags(unsigned size, uint64_t src, uint64_t index, uint64_t *rflags)
{
	set_flags(rflags, X86_FLAGS_STATUS,
		  flag_if(src == 0, X86_FLAGS_ZF) | (szp(size, src ? index : 0) & X86_FLAGS_PF));
}

uint64_t alu_bsf(unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
	uint64_t index;

	src &= size_mask(size);
	index = src ? (uint64_t)__builtin_ctzll(src) : 0;
	scan_flags(size, src, index, rflags);
	return src ? index : dst;
}

uint64_t alu_bsr(unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
	uint64_t index;

	src &= size_mask(size);
	index = src ? (uint64_t)(63 - __builtin_clzll(src)) : 0;
	scan_flags(size, src, index, rflags);
	return src ? index : dst;
}
