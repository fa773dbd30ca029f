/*
 * cpu/flags.c - lazy arithmetic flags: the status flags a recorded operation stands for
 * (see cpu/flags.h for the design). The rules are those of cpu/alu_fast.h's eager forms:
 *
 *   CF  ADD: carry out of the top bit (r < a); SUB: borrow (a < b); INC/DEC: kept
 *   PF  even number of set bits in the result's low byte
 *   AF  carry/borrow out of bit 3: bit 4 of a ^ b ^ r (0 for the logic operations)
 *   ZF  r == 0
 *   SF  r's top bit
 *   OF  ADD: a and b agree in sign and r does not; SUB: a and b differ and r differs from a
 *
 * and those of cpu/alu.c's alu_shift for SHL, SHR and SAR by a count c (lf_b) from 1 to
 * the width - 1: CF the last bit out (bit width - c of a for SHL, bit c - 1 for SHR/SAR),
 * AF = 1, OF = r's top bit != CF (SHL), r's top two bits differ (SHR), 0 (SAR) -- the
 * rule for a count of 1, which this host (AMD EPYC) applies to every count.
 */
#include "cpu/flags.h"

uint64_t lazy_flags_status(uint32_t op, uint64_t a, uint64_t b, uint64_t r, uint64_t cfof)
{
	unsigned size = op & 15, kind = (op >> 4) & 15;
	uint64_t sign = 1ULL << (size * 8 - 1), f = 0, ob = b;
	if (r == 0)
		f |= RFLAGS_ZF;
	if (r & sign)
		f |= RFLAGS_SF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= RFLAGS_PF;
	if (kind == LF_INC || kind == LF_DEC) {
		if (b)
			f |= RFLAGS_CF;
		ob = 1;
	}
	switch (kind) {
	case LF_ADD:
		if (r < a)
			f |= RFLAGS_CF;
		/* fall through */
	case LF_INC:
		if ((a ^ ob ^ r) & 0x10)
			f |= RFLAGS_AF;
		if ((a ^ r) & (ob ^ r) & sign)
			f |= RFLAGS_OF;
		break;
	case LF_SUB:
		if (a < b)
			f |= RFLAGS_CF;
		/* fall through */
	case LF_DEC:
		if ((a ^ ob ^ r) & 0x10)
			f |= RFLAGS_AF;
		if ((a ^ ob) & (a ^ r) & sign)
			f |= RFLAGS_OF;
		break;
	case LF_SHL:
		if ((a >> (size * 8 - b)) & 1)
			f |= RFLAGS_CF | RFLAGS_AF;
		else
			f |= RFLAGS_AF;
		if (!!(r & sign) != !!(f & RFLAGS_CF))
			f |= RFLAGS_OF;
		break;
	case LF_SHR:
	case LF_SAR:
		f |= RFLAGS_AF;
		if ((a >> (b - 1)) & 1)
			f |= RFLAGS_CF;
		if (kind == LF_SHR && !!(r & sign) != !!(r & (sign >> 1)))
			f |= RFLAGS_OF;
		break;
	default: /* LF_LOGIC: CF = OF = AF = 0 */
		break;
	}
	if (op & LF_CFOF)
		f = (f & ~(RFLAGS_CF | RFLAGS_OF)) | lf_cfof_flags(op, cfof);
	return f;
}

void cpu_flags_sync(struct cpu *cpu)
{
	if (cpu->lf_op == LF_NONE)
		return;
	uint64_t f = lazy_flags_status(cpu->lf_op, cpu->lf_a, cpu->lf_b, cpu->lf_r, cpu->lf_cfof);
	cpu->rflags = (cpu->rflags & ~RFLAGS_STATUS) | f;
	cpu->lf_op = LF_NONE;
}

uint64_t cpu_rflags(const struct cpu *cpu)
{
	if (cpu->lf_op == LF_NONE)
		return cpu->rflags;
	return (cpu->rflags & ~RFLAGS_STATUS) |
	       lazy_flags_status(cpu->lf_op, cpu->lf_a, cpu->lf_b, cpu->lf_r, cpu->lf_cfof);
}
