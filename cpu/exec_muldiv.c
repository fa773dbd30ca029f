/*
 * cpu/exec_muldiv.c - multiplication and division (SDM Vol. 2: MUL, IMUL, DIV, IDIV).
 *
 * MUL/IMUL define CF = OF = "the upper half is significant"; SF, ZF, AF and PF are
 * undefined and follow this host (docs/cpu.md "Undefined flags"). DIV/IDIV raise #DE for a
 * zero divisor or a quotient that does not fit, before anything changes; their flags are
 * undefined and follow the host as well.
 */
#include "cpu/alu.h"
#include "cpu/cpu_internal.h"

/* Status flags after a multiplication with overflow ovf: CF = OF = ovf; SF, ZF, AF and PF
 * (undefined) keep their values, as on this host. */
static void mul_flags(struct cpu *cpu, uint64_t lo, bool ovf, unsigned size)
{
	(void)lo;
	(void)size;
	set_flags_mask(cpu, RFLAGS_CF | RFLAGS_OF, ovf ? RFLAGS_CF | RFLAGS_OF : 0);
}

/* Flags after a division (all undefined): this host clears SF, ZF and PF, sets AF and
 * keeps CF and OF. */
static void div_flags(struct cpu *cpu)
{
	set_flags_mask(cpu, RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF, RFLAGS_AF);
}

/* Writes a double-size product: AX for bytes, rDX:rAX otherwise. */
static void write_wide(struct cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		gpr_write(cpu, RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
		return;
	}
	gpr_write(cpu, RAX, size, lo);
	gpr_write(cpu, RDX, size, hi);
}

/* The dividend of size: AX for bytes, rDX:rAX otherwise, as a 128-bit value. */
static unsigned __int128 read_wide(const struct cpu *cpu, unsigned size)
{
	if (size == 1)
		return cpu->gpr[RAX] & 0xffff;
	uint64_t m = size_mask(size);
	return ((unsigned __int128)(cpu->gpr[RDX] & m) << (size * 8)) | (cpu->gpr[RAX] & m);
}

static bool do_mul(struct cpu *cpu, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size);
	unsigned __int128 p = (unsigned __int128)(cpu->gpr[RAX] & m) * (b & m);
	uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> (size * 8)) & m;
	write_wide(cpu, size, lo, hi);
	mul_flags(cpu, lo, hi != 0, size);
	return true;
}

/* Signed product of a and b (size bytes) as 128 bits; *ovf when it does not fit size. */
static __int128 smul(uint64_t a, uint64_t b, unsigned size, bool *ovf)
{
	__int128 p = (__int128)sext(a, size) * (__int128)sext(b, size);
	__int128 lo = (__int128)sext((uint64_t)p, size);
	*ovf = lo != p;
	return p;
}

static bool do_imul1(struct cpu *cpu, uint64_t b, unsigned size)
{
	bool ovf;
	__int128 p = smul(cpu->gpr[RAX], b, size, &ovf);
	uint64_t m = size_mask(size);
	uint64_t lo = (uint64_t)p & m, hi = (uint64_t)((unsigned __int128)p >> (size * 8)) & m;
	write_wide(cpu, size, lo, hi);
	mul_flags(cpu, lo, ovf, size);
	return true;
}

static bool do_div(struct cpu *cpu, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size);
	b &= m;
	if (b == 0)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	unsigned __int128 n = read_wide(cpu, size);
	unsigned __int128 q = n / b;
	if (q > m)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	write_wide(cpu, size, (uint64_t)q, (uint64_t)(n % b));
	div_flags(cpu);
	return true;
}

static bool do_idiv(struct cpu *cpu, uint64_t b, unsigned size)
{
	int64_t d = sext(b, size);
	if (d == 0)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	unsigned bits = size * 8;
	unsigned __int128 u = read_wide(cpu, size);
	/* Sign-extend the 2*bits-bit dividend to 128 bits. */
	__int128 n = (__int128)(u << (128 - 2 * bits)) >> (128 - 2 * bits);
	/* -2^127 / -1 does not fit even in 128 bits; smaller overflows are caught below. */
	if (d == -1 && (unsigned __int128)n == (unsigned __int128)1 << 127)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	__int128 q = n / d, r = n % d;
	__int128 qmax = ((__int128)1 << (bits - 1)) - 1;
	if (q > qmax || q < -qmax - 1)
		return cpu_fault(cpu, X86_VEC_DE, false, 0);
	write_wide(cpu, size, (uint64_t)q, (uint64_t)r);
	div_flags(cpu);
	return true;
}

/* F6/F7 /4 MUL, /5 IMUL, /6 DIV, /7 IDIV. */
static bool exec_grp3_muldiv(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->opcode & 1) ? in->opsize : 1;
	uint64_t b;
	if (!rm_read(cpu, in, size, &b))
		return false;
	switch ((in->modrm >> 3) & 7) {
	case 4: return do_mul(cpu, b, size);
	case 5: return do_imul1(cpu, b, size);
	case 6: return do_div(cpu, b, size);
	default: return do_idiv(cpu, b, size);
	}
}

/* 0F AF IMUL Gv,Ev; 69 IMUL Gv,Ev,Iz; 6B IMUL Gv,Ev,Ib. */
static bool exec_imul(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize;
	uint64_t a, b;
	bool ovf;
	if (!rm_read(cpu, in, size, &a))
		return false;
	if (in->map == 1)
		b = reg_read(cpu, in, in->reg, size);
	else
		b = (uint64_t)sext(in->imm, in->imm_size);
	uint64_t lo = (uint64_t)smul(a, b, size, &ovf) & size_mask(size);
	gpr_write(cpu, in->reg, size, lo);
	mul_flags(cpu, lo, ovf, size);
	return true;
}

void exec_muldiv_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	for (int reg = 4; reg < 8; reg++) {
		cpu_ops_set(ops, 0, 0xf6, CPU_ANY, reg, exec_grp3_muldiv);
		cpu_ops_set(ops, 0, 0xf7, CPU_ANY, reg, exec_grp3_muldiv);
	}
	cpu_ops_set(ops, 1, 0xaf, CPU_ANY, CPU_ANY, exec_imul);
	cpu_ops_set(ops, 0, 0x69, CPU_ANY, CPU_ANY, exec_imul);
	cpu_ops_set(ops, 0, 0x6b, CPU_ANY, CPU_ANY, exec_imul);
}
