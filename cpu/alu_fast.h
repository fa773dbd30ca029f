/*
 * cpu/alu_fast.h - inline fast paths of the hottest ALU operations (SDM Vol. 1, 3.4.3.1 and
 * Appendix A "EFLAGS Cross-Reference").
 *
 * ADD/ADC/SUB/SBB/CMP, the logic operations and INC/DEC run on every few instructions, so
 * they are inlined here on struct cpu instead of calling cpu/alu.c's alu_binop; both follow
 * the same rules, and tests/cpu/test_alu_fast.c checks that they agree bit for bit. All
 * other flag rules (shifts, multiply, divide, bit scans) are cpu/alu.c's.
 *
 * ADD, SUB, CMP, the logic operations and INC/DEC record their operands and result
 * (flags_set_lazy, cpu/flags.h) instead of computing the flags; ADC and SBB compute them
 * eagerly. The flags follow from the operands and the result alone:
 *
 *   CF  carry out of (add) or borrow into (sub) the most significant bit
 *   PF  even number of set bits in the result's low byte
 *   AF  carry/borrow out of bit 3: bit 4 of (a ^ b ^ result)
 *   ZF  result == 0
 *   SF  the result's most significant bit
 *   OF  signed overflow: for add, a and b agree in sign and the result does not
 */
#ifndef MMEMU_CPU_ALU_FAST_H
#define MMEMU_CPU_ALU_FAST_H

#include <stdint.h>

#include "cpu/alu.h"
#include "cpu/cpu_internal.h"

/* ZF, SF and PF of result r of size bytes. */
static inline uint64_t flags_szp(uint64_t r, unsigned size)
{
	uint64_t f = 0;
	r &= size_mask(size);
	if (r == 0)
		f |= RFLAGS_ZF;
	if (r & size_sign(size))
		f |= RFLAGS_SF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= RFLAGS_PF;
	return f;
}

/* Replaces the status flags by f. */
static inline void set_status(struct cpu *cpu, uint64_t f)
{
	flags_set_status(cpu, f);
}

/* Replaces the flags of mask by f (the others keep their value). */
static inline void set_flags_mask(struct cpu *cpu, uint64_t mask, uint64_t f)
{
	uint64_t *rf = cpu_rflags_ptr(cpu);
	*rf = (*rf & ~mask) | (f & mask);
}

static inline uint64_t alu_add(struct cpu *cpu, uint64_t a, uint64_t b, unsigned carry,
			       unsigned size)
{
	uint64_t m = size_mask(size);
	a &= m;
	b &= m;
	uint64_t r = (a + b + carry) & m;
	if (!carry) {
		flags_set_lazy(cpu, LF_ADD, size, a, b, r);
		return r;
	}
	uint64_t f = flags_szp(r, size);
	if (r <= a)
		f |= RFLAGS_CF;
	if ((a ^ b ^ r) & 0x10)
		f |= RFLAGS_AF;
	if ((a ^ r) & (b ^ r) & size_sign(size))
		f |= RFLAGS_OF;
	set_status(cpu, f);
	return r;
}

static inline uint64_t alu_sub(struct cpu *cpu, uint64_t a, uint64_t b, unsigned borrow,
			       unsigned size)
{
	uint64_t m = size_mask(size);
	a &= m;
	b &= m;
	uint64_t r = (a - b - borrow) & m;
	if (!borrow) {
		flags_set_lazy(cpu, LF_SUB, size, a, b, r);
		return r;
	}
	uint64_t f = flags_szp(r, size);
	if (a <= b)
		f |= RFLAGS_CF;
	if ((a ^ b ^ r) & 0x10)
		f |= RFLAGS_AF;
	if ((a ^ b) & (a ^ r) & size_sign(size))
		f |= RFLAGS_OF;
	set_status(cpu, f);
	return r;
}

/* AND/OR/XOR/TEST: CF = OF = 0; AF is undefined and cleared, as this host does. */
static inline uint64_t alu_logic(struct cpu *cpu, uint64_t r, unsigned size)
{
	r &= size_mask(size);
	flags_set_lazy(cpu, LF_LOGIC, size, 0, 0, r);
	return r;
}

/* The result of one of the eight ALU operations (enum x86_alu_op, the order of opcode
 * bits 5:3 and of group 1's ModRM.reg) without its flags; carry is CF for ADC/SBB; CMP
 * returns a (the destination is not written). */
static inline __attribute__((always_inline)) uint64_t
alu_result(unsigned op, uint64_t a, uint64_t b, bool carry, unsigned size)
{
	uint64_t m = size_mask(size);
	switch (op) {
	case ALU_ADD:
		return (a + b) & m;
	case ALU_OR:
		return (a | b) & m;
	case ALU_ADC:
		return (a + b + carry) & m;
	case ALU_SBB:
		return (a - b - carry) & m;
	case ALU_AND:
		return (a & b) & m;
	case ALU_SUB:
		return (a - b) & m;
	case ALU_XOR:
		return (a ^ b) & m;
	default:
		return a & m;
	}
}

/* One of the eight ALU operations with its flags; CMP returns a. */
static inline __attribute__((always_inline)) uint64_t alu_op(struct cpu *cpu, unsigned op,
							     uint64_t a, uint64_t b, unsigned size)
{
	switch (op) {
	case ALU_ADD:
		return alu_add(cpu, a, b, 0, size);
	case ALU_OR:
		return alu_logic(cpu, a | b, size);
	case ALU_ADC:
		return alu_add(cpu, a, b, cpu_cf(cpu), size);
	case ALU_SBB:
		return alu_sub(cpu, a, b, cpu_cf(cpu), size);
	case ALU_AND:
		return alu_logic(cpu, a & b, size);
	case ALU_SUB:
		return alu_sub(cpu, a, b, 0, size);
	case ALU_XOR:
		return alu_logic(cpu, a ^ b, size);
	default:
		alu_sub(cpu, a, b, 0, size);
		return a & size_mask(size);
	}
}

/* INC/DEC: as ADD/SUB 1 but CF is kept. */
static inline uint64_t alu_incdec(struct cpu *cpu, uint64_t a, bool dec, unsigned size)
{
	uint64_t m = size_mask(size), cf = cpu_cf(cpu);
	a &= m;
	uint64_t r = (dec ? a - 1 : a + 1) & m;
	flags_set_lazy(cpu, dec ? LF_DEC : LF_INC, size, a, cf, r);
	return r;
}

/*
 * SHL/SAL (kind LF_SHL), SHR (LF_SHR) and SAR (LF_SAR) of a 4- or 8-byte a by c, already
 * masked and nonzero (1..8 * size - 1): the result, the flags recorded (cpu/flags.h).
 */
static inline uint64_t alu_shift_lazy(struct cpu *cpu, unsigned kind, uint64_t a, unsigned c,
				      unsigned size)
{
	uint64_t m = size_mask(size), r;
	a &= m;
	if (kind == LF_SHL)
		r = (a << c) & m;
	else if (kind == LF_SHR)
		r = a >> c;
	else
		r = (uint64_t)(sext(a, size) >> c) & m;
	flags_set_lazy(cpu, kind, size, a, c, r);
	return r;
}

#endif /* MMEMU_CPU_ALU_FAST_H */
