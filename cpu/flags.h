/*
 * cpu/flags.h - lazy arithmetic flags (SDM Vol. 1, 3.4.3.1 and Appendix A "EFLAGS
 * Cross-Reference").
 *
 * Most instructions that set CF, PF, AF, ZF, SF and OF are followed by another that sets
 * them again before anything reads them. So the commonest ones (ADD, SUB, CMP, AND, OR,
 * XOR, TEST, INC, DEC: cpu/alu_fast.h) do not compute the six flags: they record the
 * operation, its size, its operands and its result in struct cpu (lf_op, lf_a, lf_b,
 * lf_r), and the flags are derived when something reads them:
 *
 *   lf_op = kind << 4 | size       kind: LF_ADD, LF_SUB (also CMP), LF_LOGIC, LF_INC, LF_DEC,
 *                                  LF_SHL, LF_SHR, LF_SAR
 *   lf_a, lf_b: the operands (masked to size); for INC/DEC lf_b is the CF they keep, for
 *               the shifts the count
 *   lf_r: the result (masked to size)
 *   lf_op | LF_CFOF: a later rotate (ROL/ROR) or multiply (MUL, IMUL), which change CF
 *                    and OF only (the multiplies leave SF, ZF, AF and PF as this host
 *                    does), replaced CF and OF by lf_cfof's, so the record stays and the
 *                    rotate or multiply needs no flags materialised
 *   lf_op | LF_CFOF | LF_ROT: the same after a specialised ROL (or, with LF_ROR, ROR) of
 *                    LF_ROT_SIZE bytes; lf_cfof is its result, from which CF and OF
 *                    follow when read (lf_cfof_flags)
 *
 * While lf_op is nonzero the status bits of cpu->rflags are stale; every other bit of it
 * is always current. The only ways to RFLAGS are:
 *
 *   cpu_rflags(cpu)       the architectural value (reads; no change to the CPU)
 *   cpu_rflags_control(cpu)  the system and control bits alone (always current)
 *   cpu_rflags_ptr(cpu)   materialises the flags into cpu->rflags and returns its address,
 *                         for code that reads and writes RFLAGS in place
 *   cpu_cond_now(cpu, cc) a Jcc/SETcc/CMOVcc condition, from the record when it can
 *   cpu_cf(cpu)           CF (ADC, SBB, INC, DEC, RCL, ...)
 *   cpu_set_rflags, flags_set_status, flags_set_lazy   writers
 *
 * The flags are materialised at every exit of cpu_run and cpu_step and before a kernel
 * entry point's C function runs, so outside the interpreter's loop cpu->rflags is always
 * the architectural value; exception delivery, SYSCALL (R11), PUSHF, LAHF and every other
 * reader inside it go through the accessors. The x87 handlers (cpu/exec_x87.c), which use
 * cpu->rflags in place for FCMOVcc and FCOMI, are called through a wrapper that
 * materialises first (cpu/exec.c, cpu_init).
 */
#ifndef MMEMU_CPU_FLAGS_H
#define MMEMU_CPU_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

enum lazy_flags_kind {
	LF_NONE = 0,  /* the status bits of cpu->rflags are current */
	LF_ADD = 1,   /* lf_r = lf_a + lf_b */
	LF_SUB = 2,   /* lf_r = lf_a - lf_b (SUB, CMP, NEG as 0 - x) */
	LF_LOGIC = 3, /* lf_r = AND/OR/XOR/TEST result; CF = OF = AF = 0 */
	LF_INC = 4,   /* lf_r = lf_a + 1; CF = lf_b */
	LF_DEC = 5,   /* lf_r = lf_a - 1; CF = lf_b */
	/* lf_r = lf_a shifted by lf_b, a count from 1 to 8 * size - 1 (4- and 8-byte shifts
	 * by a masked nonzero count); AF = 1 and OF by this host's rule for every count
	 * (cpu/alu.c, alu_shift) */
	LF_SHL = 6,
	LF_SHR = 7,
	LF_SAR = 8,
};

/* lf_op bit: CF and OF are lf_cfof's (RFLAGS_CF | RFLAGS_OF bits), not the record's. */
#define LF_CFOF 0x100u

/*
 * lf_op bits with LF_CFOF: lf_cfof is the result of a ROL (ROR with LF_ROR) of the size in
 * bits 15:12 (LF_ROT_SIZE), by a count from 1 to the width - 1. Its CF and OF (SDM Vol. 2,
 * RCL/RCR/ROL/ROR; OF for every count by the count-1 rule, as this host does and cpu/alu.c's
 * alu_shift gives): ROL CF = bit 0 of the result, OF = CF != its top bit; ROR CF = the top
 * bit, OF = the top two bits differ.
 */
#define LF_ROT 0x200u
#define LF_ROR 0x400u
#define LF_ROT_SIZE(size) ((uint32_t)(size) << 12)
#define LF_ROT_BITS (LF_ROT | LF_ROR | 0xf000u)

/* CF and OF (RFLAGS bits) of lf_cfof for a record op with LF_CFOF. */
static inline __attribute__((always_inline)) uint64_t lf_cfof_flags(uint32_t op, uint64_t cfof)
{
	if (!(op & LF_ROT))
		return cfof;
	unsigned bits = 8 * ((op >> 12) & 15);
	uint64_t top = (cfof >> (bits - 1)) & 1, cf, of;
	if (op & LF_ROR) {
		cf = top;
		of = top ^ ((cfof >> (bits - 2)) & 1);
	} else {
		cf = cfof & 1;
		of = top ^ cf;
	}
	return (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
}

/* The six status flags the record (op, a, b, r, cfof) stands for. */
uint64_t lazy_flags_status(uint32_t op, uint64_t a, uint64_t b, uint64_t r, uint64_t cfof);

/* Writes the recorded flags into cpu->rflags and clears the record. */
void cpu_flags_sync(struct cpu *cpu);

static inline uint64_t *cpu_rflags_ptr(struct cpu *cpu)
{
	if (__builtin_expect(cpu->lf_op != LF_NONE, 0))
		cpu_flags_sync(cpu);
	return &cpu->rflags;
}

/* RFLAGS without the status flags: the system and control bits (DF, IF, IOPL, NT, VM,
 * ...), which are always current in cpu->rflags. */
static inline uint64_t cpu_rflags_control(const struct cpu *cpu)
{
	return cpu->rflags & ~RFLAGS_STATUS;
}

/* Records a flag-setting operation of kind on size bytes (operands and result masked). */
static inline void flags_set_lazy(struct cpu *cpu, unsigned kind, unsigned size, uint64_t a,
				  uint64_t b, uint64_t r)
{
	cpu->lf_op = kind << 4 | size;
	cpu->lf_a = a;
	cpu->lf_b = b;
	cpu->lf_r = r;
}

/* Replaces all six status flags by f (computed eagerly). */
static inline void flags_set_status(struct cpu *cpu, uint64_t f)
{
	cpu->lf_op = LF_NONE;
	cpu->rflags = (cpu->rflags & ~RFLAGS_STATUS) | f;
}

/* Replaces CF and OF by f's (ROL, ROR), keeping the record of the other flags. */
static inline void flags_set_cf_of(struct cpu *cpu, uint64_t f)
{
	if (cpu->lf_op == LF_NONE) {
		cpu->rflags = (cpu->rflags & ~(RFLAGS_CF | RFLAGS_OF)) | f;
		return;
	}
	cpu->lf_op = (cpu->lf_op & ~LF_ROT_BITS) | LF_CFOF;
	cpu->lf_cfof = f;
}

/* Replaces CF and OF by those of r, the result of a ROL (ror: ROR) of size (4 or 8) bytes
 * by a count from 1 to the width - 1: with a record pending they are left to be derived
 * from r when read, else written at once. */
static inline void flags_set_rotate(struct cpu *cpu, uint64_t r, unsigned size, bool ror)
{
	uint32_t rot = LF_CFOF | LF_ROT | (ror ? LF_ROR : 0) | LF_ROT_SIZE(size);
	if (cpu->lf_op == LF_NONE) {
		cpu->rflags = (cpu->rflags & ~(RFLAGS_CF | RFLAGS_OF)) | lf_cfof_flags(rot, r);
		return;
	}
	cpu->lf_op = (cpu->lf_op & ~LF_ROT_BITS) | rot;
	cpu->lf_cfof = r;
}

/* CF, without materialising the other flags. */
static inline bool cpu_cf(const struct cpu *cpu)
{
	uint32_t op = cpu->lf_op;
	uint64_t a = cpu->lf_a, b = cpu->lf_b, r = cpu->lf_r;
	if (op & LF_CFOF)
		return lf_cfof_flags(op, cpu->lf_cfof) & RFLAGS_CF;
	switch (op >> 4) {
	case LF_NONE:
		return cpu->rflags & RFLAGS_CF;
	case LF_ADD:
		return r < a;
	case LF_SUB:
		return a < b;
	case LF_LOGIC:
		return false;
	case LF_SHL:
		return (a >> ((op & 15) * 8 - b)) & 1;
	case LF_SHR:
	case LF_SAR:
		return (a >> (b - 1)) & 1;
	default: /* INC, DEC */
		return b != 0;
	}
}

/* v's top bit at size bytes. */
static inline bool lf_sign(uint64_t v, unsigned size)
{
	return (v >> (size * 8 - 1)) & 1;
}

/* v (masked to size bytes) sign-extended to 64 bits. */
static inline int64_t lf_sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;
	return (int64_t)(v << sh) >> sh;
}

/* A condition of a SUB/CMP record, from its operands (a - b): B = a < b and BE = a <= b
 * unsigned, L = a < b and LE = a <= b signed at the operand's size (sizes 4 and 8 without
 * the sign extension); -1 for the conditions that need OF or PF (O, P). */
static inline __attribute__((always_inline)) int lazy_cond_sub(uint64_t a, uint64_t b,
							       unsigned size, unsigned cc)
{
	int64_t sa, sb;
	if ((cc >> 1) == 1)
		return (a < b) ^ (int)(cc & 1);
	if ((cc >> 1) == 3)
		return (a <= b) ^ (int)(cc & 1);
	if ((cc >> 1) != 6 && (cc >> 1) != 7)
		return -1;
	if (size == 4) {
		sa = (int32_t)a;
		sb = (int32_t)b;
	} else if (size == 8) {
		sa = (int64_t)a;
		sb = (int64_t)b;
	} else {
		sa = lf_sext(a, size);
		sb = lf_sext(b, size);
	}
	return ((cc >> 1) == 6 ? sa < sb : sa <= sb) ^ (int)(cc & 1);
}

/* A condition of a logic record (CF = OF = 0): B and O never, BE = ZF, L = SF, LE = ZF or
 * SF; -1 for P. */
static inline __attribute__((always_inline)) int lazy_cond_logic(uint64_t r, unsigned size,
								 unsigned cc)
{
	int v;
	switch (cc >> 1) {
	case 0:
	case 1:
		v = 0;
		break;
	case 3:
		v = r == 0;
		break;
	case 6:
		v = lf_sign(r, size);
		break;
	case 7:
		v = r == 0 || lf_sign(r, size);
		break;
	default:
		return -1;
	}
	return v ^ (int)(cc & 1);
}

/* A condition of a record whose CF and OF are lf_cfof's (a rotate or a multiply after
 * it): ZF and SF from the result; -1 for P. */
static inline __attribute__((always_inline)) int lazy_cond_cfof(uint64_t r, uint64_t cfof,
								unsigned size, unsigned cc)
{
	bool cf = cfof & RFLAGS_CF, of = cfof & RFLAGS_OF, zf = r == 0, sf = lf_sign(r, size);
	int v;
	switch (cc >> 1) {
	case 0:
		v = of;
		break;
	case 1:
		v = cf;
		break;
	case 3:
		v = cf || zf;
		break;
	case 6:
		v = sf != of;
		break;
	case 7:
		v = zf || sf != of;
		break;
	default:
		return -1;
	}
	return v ^ (int)(cc & 1);
}

/*
 * Condition cc (SDM Vol. 1, Table B-1) straight from the record where that is a compare
 * of the operands or a test of the result (CMP/SUB: below = a < b unsigned, less = a < b
 * signed); -1 where it needs a flag the record does not give cheaply (OF, PF of ADD/SUB).
 * The commonest records (SUB/CMP, then the logic operations) are tested first, each with
 * one compare of lf_op >> 4, which a record with LF_CFOF never equals.
 */
static inline __attribute__((always_inline)) int lazy_cond(uint32_t op, uint64_t a, uint64_t b,
							  uint64_t r, uint64_t cfof, unsigned cc)
{
	unsigned size = op & 15, kind = op >> 4;
	int v;
	if ((cc >> 1) == 2) /* ZF: the result is 0, whatever the kind */
		return (r == 0) ^ (int)(cc & 1);
	if ((cc >> 1) == 4) /* SF: its top bit */
		return lf_sign(r, size) ^ (int)(cc & 1);
	if (op == (LF_SUB << 4 | 4)) /* the commonest: a 4-byte compare, its size a constant */
		return lazy_cond_sub(a, b, 4, cc);
	if (kind == LF_SUB)
		return lazy_cond_sub(a, b, size, cc);
	if (kind == LF_LOGIC)
		return lazy_cond_logic(r, size, cc);
	if (op & LF_CFOF)
		return lazy_cond_cfof(r, lf_cfof_flags(op, cfof), size, cc);
	switch (kind) {
	case LF_ADD:
		switch (cc >> 1) {
		case 1:
			v = r < a;
			break;
		case 3:
			v = r < a || r == 0;
			break;
		default:
			return -1;
		}
		break;
	case LF_INC:
	case LF_DEC:
		switch (cc >> 1) {
		case 1:
			v = b != 0;
			break;
		case 3:
			v = b != 0 || r == 0;
			break;
		default:
			return -1;
		}
		break;
	case LF_SHL:
	case LF_SHR:
	case LF_SAR: /* only ZF and SF (above) from the record; CF and OF through the flags */
	default:
		return -1;
	}
	return v ^ (int)(cc & 1);
}

#endif /* MMEMU_CPU_FLAGS_H */
