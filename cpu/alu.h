/*
 * cpu/alu.h - the integer ALU: results and arithmetic flags of the x86 integer instructions.
 *
 * Pure functions: operands and the incoming RFLAGS in, the result and the new RFLAGS out.
 * Only the six status flags change (CF, PF, AF, ZF, SF, OF); every other RFLAGS bit is
 * passed through. Sizes are in bytes (1, 2, 4, 8); operands are taken modulo the size and
 * results are zero-extended. Where the SDM leaves a flag undefined, the value is the one
 * this project's reference processor (AMD Zen, the development host) produces; the list is
 * in docs/cpu.md and tests/cpu/test_alu_host.c checks it against the host.
 *
 *   RFLAGS:  11  10   9   8   7   6   5   4   3   2   1   0
 *           +---+---+---+---+---+---+---+---+---+---+---+---+
 *           |OF |DF |IF |TF |SF |ZF | 0 |AF | 0 |PF | 1 |CF |
 *           +---+---+---+---+---+---+---+---+---+---+---+---+
 */
#ifndef MMEMU_CPU_ALU_H
#define MMEMU_CPU_ALU_H

#include <stdint.h>

#define X86_FLAGS_CF 0x0001
#define X86_FLAGS_PF 0x0004
#define X86_FLAGS_AF 0x0010
#define X86_FLAGS_ZF 0x0040
#define X86_FLAGS_SF 0x0080
#define X86_FLAGS_OF 0x0800
#define X86_FLAGS_STATUS                                                                           \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

/* The eight operations of group 1 (80-83 /r), in ModRM.reg order. */
enum x86_alu_op {
	ALU_ADD,
	ALU_OR,
	ALU_ADC,
	ALU_SBB,
	ALU_AND,
	ALU_SUB,
	ALU_XOR,
	ALU_CMP,  /* SUB without writing the result: the returned value is the difference */
	ALU_TEST, /* AND without writing the result */
};

/* The rotates and shifts of group 2 (C0/C1/D0-D3 /r), in ModRM.reg order. */
enum x86_shift_op {
	SHIFT_ROL,
	SHIFT_ROR,
	SHIFT_RCL,
	SHIFT_RCR,
	SHIFT_SHL,
	SHIFT_SHR,
	SHIFT_SAL, /* the same as SHL */
	SHIFT_SAR,
};

/* The unary operations of groups 3-5. */
enum x86_unary_op {
	UNARY_INC,
	UNARY_DEC,
	UNARY_NEG,
	UNARY_NOT,
};

/* The bit tests (0F A3/AB/B3/BB and group 8). */
enum x86_bit_op {
	BIT_BT,
	BIT_BTS,
	BIT_BTR,
	BIT_BTC,
};

/* alu_binop - a OP b; ADC/SBB read CF from *rflags. Returns the result. */
uint64_t alu_binop(enum x86_alu_op op, unsigned size, uint64_t a, uint64_t b, uint64_t *rflags);

/* alu_unary - INC, DEC (CF unchanged), NEG, NOT (no flags). */
uint64_t alu_unary(enum x86_unary_op op, unsigned size, uint64_t a, uint64_t *rflags);

/*
 * alu_shift - rotate or shift a by count. The count is masked to 5 bits (6 with size 8)
 * first; a masked count of 0 changes nothing.
 */
uint64_t alu_shift(enum x86_shift_op op, unsigned size, uint64_t a, unsigned count,
		   uint64_t *rflags);

/* alu_shld, alu_shrd - double-precision shifts of a, filling from b (sizes 2, 4, 8). */
uint64_t alu_shld(unsigned size, uint64_t a, uint64_t b, unsigned count, uint64_t *rflags);
uint64_t alu_shrd(unsigned size, uint64_t a, uint64_t b, unsigned count, uint64_t *rflags);

/*
 * alu_mul, alu_imul - the one-operand widening multiplies: a * b as a double-width
 * product, low half returned, high half in *hi (for size 1 the product is AX: *hi gets AH).
 */
uint64_t alu_mul(unsigned size, uint64_t a, uint64_t b, uint64_t *hi, uint64_t *rflags);
uint64_t alu_imul(unsigned size, uint64_t a, uint64_t b, uint64_t *hi, uint64_t *rflags);

/* alu_imul_trunc - the two- and three-operand IMUL: the product truncated to size. */
uint64_t alu_imul_trunc(unsigned size, uint64_t a, uint64_t b, uint64_t *rflags);

/*
 * alu_div, alu_idiv - divide the double-width dividend hi:lo by divisor. Return 0 with
 * *quot and *rem set, or -1 for #DE (divisor 0 or a quotient that does not fit); the flags
 * are then unchanged.
 */
int alu_div(unsigned size, uint64_t hi, uint64_t lo, uint64_t divisor, uint64_t *quot,
	    uint64_t *rem, uint64_t *rflags);
int alu_idiv(unsigned size, uint64_t hi, uint64_t lo, uint64_t divisor, uint64_t *quot,
	     uint64_t *rem, uint64_t *rflags);

/*
 * alu_bit - BT/BTS/BTR/BTC on a register: bit (bitoff mod width) of a goes to CF.
 * Returns the new value (a for BT).
 */
uint64_t alu_bit(enum x86_bit_op op, unsigned size, uint64_t a, uint64_t bitoff, uint64_t *rflags);

/*
 * alu_bsf, alu_bsr - bit scans of src. If src is 0, ZF is set and the destination keeps
 * dst (as AMD documents and Intel processors do); dst is returned unchanged.
 */
uint64_t alu_bsf(unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags);
uint64_t alu_bsr(unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags);

#endif
