/*
 * cpu/alu_fast.h - inline fast paths of the hottest ALU operations (SDM Vol. 1, 3.4.3.1 and
 * Appendix A "EFLAGS Cross-Reference").
 *
 * ADD/ADC/SUB/SBB/CMP, the logic operations and INC/DEC run on every few instructions, so
 * they are inlined here on struct cpu instead of calling cpu/alu.c's alu_binop; both follow
 * the same rules, and tests/cpu/test_alu_fast.c checks that they agree bit for bit. All
 * other flag rules (shifts, multiply, divide, bit scans) are cpu/alu.c's.
 *
 * Flags are computed eagerly: each operation returns its result and writes the six status
 * flags into RFLAGS. The flags follow from the operands and the result alone:
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
	cpu->rflags = (cpu->rflags & ~RFLAGS_STATUS) | f;
}

/* Replaces the flags of mask by f (the others keep their value). */
static inline void set_flags_mask(struct cpu *cpu, uint64_t mask, uint64_t f)
{
	cpu->rflags = (cpu->rflags & ~mask) | (f & mask);
}

static inline uint64_t alu_add(struct cpu *cpu, uint64_t a, uint64_t b, unsigned carry,
			       unsigned size)
{
	uint64_t m = size_mask(size);
	a &= m;
	b &= m;
	uint64_t r = (a + b + carry) & m;
	uint64_t f = flags_szp(r, size);
	if (carry ? r <= a : r < a)
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
	uint64_t f = flags_szp(r, size);
	if (borrow ? a <= b : a < b)
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
	set_status(cpu, flags_szp(r, size));
	return r;
}

/* One of the eight ALU operations (enum x86_alu_op, the order of opcode bits 5:3 and of
 * group 1's ModRM.reg); CMP returns a (the destination is not written). */
static inline __attribute__((always_inline)) uint64_t alu_op(struct cpu *cpu, unsigned op,
							     uint64_t a, uint64_t b, unsigned size)
{
	switch (op) {
	case ALU_ADD:
		return alu_add(cpu, a, b, 0, size);
	case ALU_OR:
		return alu_logic(cpu, a | b, size);
	case ALU_ADC:
		return alu_add(cpu, a, b, (cpu->rflags & RFLAGS_CF) != 0, size);
	case ALU_SBB:
		return alu_sub(cpu, a, b, (cpu->rflags & RFLAGS_CF) != 0, size);
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
	uint64_t cf = cpu->rflags & RFLAGS_CF;
	uint64_t r = dec ? alu_sub(cpu, a, 1, 0, size) : alu_add(cpu, a, 1, 0, size);
	cpu->rflags = (cpu->rflags & ~RFLAGS_CF) | cf;
	return r;
}

#endif /* MMEMU_CPU_ALU_FAST_H */
