/*
 * cpu/exec_shift.c - shifts and rotates (SDM Vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
 * SHLD, SHRD).
 *
 * The count is masked to 5 bits (6 with a 64-bit operand); a masked count of 0 changes
 * nothing, flags included. Where the SDM leaves a flag undefined (OF for counts other than
 * 1, AF, the flags of SHLD/SHRD with a count beyond the operand size) the results are the
 * host's, an AMD EPYC (Zen); docs/cpu.md "Undefined flags" lists them. The differential
 * tests compare every flag with the host.
 */
#include "cpu/alu.h"
#include "cpu/cpu_internal.h"

enum shift_op { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Flags of CF/OF set by a shift or rotate, keeping the others of mask unchanged. */
static void set_cf_of(struct cpu *cpu, bool cf, bool of)
{
	cpu->rflags = (cpu->rflags & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) |
		      (of ? RFLAGS_OF : 0);
}

/* SHL/SHR/SAR of a (size bytes) by c (1..63): result and all status flags. */
static uint64_t do_shift(struct cpu *cpu, unsigned op, uint64_t a, unsigned c, unsigned size)
{
	unsigned bits = size * 8;
	uint64_t m = size_mask(size), r, f;
	bool cf, of;
	a &= m;
	if (op == SH_SHR) {
		r = c >= 64 ? 0 : a >> c;
		cf = c - 1 < 64 ? (a >> (c - 1)) & 1 : 0;
		/* MSB(a) for c = 1 (defined); the host's rule, the top two result bits,
		 * gives that and 0 for larger counts. */
		of = ((r ^ (r << 1)) & size_sign(size)) != 0;
	} else if (op == SH_SAR) {
		int64_t s = sext(a, size);
		r = (uint64_t)(s >> (c > 63 ? 63 : c)) & m;
		cf = (s >> (c - 1 > 63 ? 63 : c - 1)) & 1;
		of = false;
	} else {
		unsigned __int128 w = (unsigned __int128)a << c;
		r = (uint64_t)w & m;
		cf = c <= bits ? (uint64_t)(w >> bits) & 1 : 0;
		of = ((r & size_sign(size)) != 0) != cf;
	}
	f = flags_szp(r, size) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
	f |= (op == SH_SAR || op == SH_SHR || op == SH_SHL || op == SH_SAL) ? RFLAGS_AF : 0;
	set_status(cpu, f);
	return r;
}

/* ROL/ROR/RCL/RCR of a by masked count c (nonzero). Only CF and OF change. */
static uint64_t do_rotate(struct cpu *cpu, unsigned op, uint64_t a, unsigned c, unsigned size)
{
	unsigned bits = size * 8;
	uint64_t m = size_mask(size), sign = size_sign(size), r;
	bool cf = cpu->rflags & RFLAGS_CF;
	a &= m;
	if (op == SH_ROL || op == SH_ROR) {
		unsigned k = c % bits;
		if (op == SH_ROR)
			k = (bits - k) % bits;
		r = k ? ((a << k) | (a >> (bits - k))) & m : a;
		if (op == SH_ROL)
			set_cf_of(cpu, r & 1, ((r & sign) != 0) != (r & 1));
		else
			set_cf_of(cpu, (r & sign) != 0, ((r ^ (r << 1)) & sign) != 0);
		return r;
	}
	unsigned k = c % (bits + 1);
	/* The rotation runs over bits+1 bits: CF above the operand. */
	unsigned __int128 v = (unsigned __int128)a | ((unsigned __int128)cf << bits);
	unsigned __int128 vm = ((unsigned __int128)1 << (bits + 1)) - 1;
	if (op == SH_RCR)
		k = (bits + 1 - k) % (bits + 1);
	if (k)
		v = ((v << k) | (v >> (bits + 1 - k))) & vm;
	r = (uint64_t)v & m;
	bool ncf = (v >> bits) & 1;
	if (op == SH_RCL)
		set_cf_of(cpu, ncf, ((r & sign) != 0) != ncf);
	else
		set_cf_of(cpu, ncf, ((r ^ (r << 1)) & sign) != 0);
	return r;
}

/* The count operand of group 2: 1 (D0/D1), CL (D2/D3) or imm8 (C0/C1). */
static unsigned shift_count(const struct cpu *cpu, const struct x86_instr *in)
{
	if (in->opcode == 0xd0 || in->opcode == 0xd1)
		return 1;
	if (in->opcode == 0xd2 || in->opcode == 0xd3)
		return cpu->gpr[RCX] & 0xff;
	return in->imm & 0xff;
}

/* C0/C1/D0-D3: group 2. */
static bool exec_grp2(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->opcode & 1) ? in->opsize : 1, op = (in->modrm >> 3) & 7;
	unsigned c = shift_count(cpu, in) & (size == 8 ? 63 : 31);
	uint64_t a, r, old = cpu->rflags;
	if (!rm_read(cpu, in, size, &a))
		return false;
	if (c == 0)
		return rm_write(cpu, in, size, a);
	if (op <= SH_RCR)
		r = do_rotate(cpu, op, a, c, size);
	else
		r = do_shift(cpu, op == SH_SAL ? SH_SHL : op, a, c, size);
	if (rm_write(cpu, in, size, r))
		return true;
	cpu->rflags = old;
	return false;
}

/*
 * SHLD dst, src, c / SHRD: the bits shifted in come from src. With a 16-bit operand and a
 * count of 17..31 the SDM leaves result and flags undefined; this host (AMD) shifts
 * through the 48-bit window dst:src:src (SHLD) or src:src:dst (SHRD), so the result is
 * src rotated, and clears CF (and OF for SHLD). Defined counts: CF is the last bit shifted
 * out; OF (defined for 1) is MSB(r) ^ CF for SHLD (CF alone at count 16) and the top two
 * bits of the result differing for SHRD, for every count. AF is set.
 */
static uint64_t do_shxd(struct cpu *cpu, bool left, uint64_t d, uint64_t s, unsigned c,
			unsigned size)
{
	unsigned bits = size * 8;
	uint64_t m = size_mask(size), sign = size_sign(size), r;
	bool cf, of;
	d &= m;
	s &= m;
	if (left) {
		if (size == 2) {
			uint64_t w = d << 32 | s << 16 | s; /* d:s:s */
			r = (w << c >> 32) & m;
			cf = (w << c >> 48) & 1;
		} else {
			r = ((d << c) | (s >> (bits - c))) & m;
			cf = (d >> (bits - c)) & 1;
		}
		of = ((r & sign) != 0) != cf;
		if (size == 2 && c >= 16) {
			cf = c == 16 && cf;
			of = cf;
		}
	} else {
		unsigned __int128 w = (unsigned __int128)s << bits | d;
		if (size == 2)
			w = (unsigned __int128)s << 32 | w; /* s:s:d */
		r = (uint64_t)(w >> c) & m;
		cf = (w >> (c - 1)) & 1;
		if (size == 2 && c > 16)
			cf = false;
		of = ((r ^ (r << 1)) & sign) != 0;
	}
	set_status(cpu, flags_szp(r, size) | RFLAGS_AF | (cf ? RFLAGS_CF : 0) |
				(of ? RFLAGS_OF : 0));
	return r;
}

/* 0F A4/A5 SHLD, 0F AC/AD SHRD. */
static bool exec_shxd(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = in->opsize;
	unsigned c = ((in->opcode & 1) ? cpu->gpr[RCX] : in->imm) & (size == 8 ? 63 : 31);
	uint64_t d, r, old = cpu->rflags;
	if (!rm_read(cpu, in, size, &d))
		return false;
	if (c == 0)
		return rm_write(cpu, in, size, d);
	r = do_shxd(cpu, in->opcode < 0xa8, d, reg_read(cpu, in, in->reg, size), c, size);
	if (rm_write(cpu, in, size, r))
		return true;
	cpu->rflags = old;
	return false;
}

void exec_shift_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	static const uint8_t grp2[] = {0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3};
	for (unsigned i = 0; i < sizeof(grp2); i++)
		cpu_ops_set(ops, 0, grp2[i], CPU_ANY, CPU_ANY, exec_grp2);
	cpu_ops_set(ops, 1, 0xa4, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xa5, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xac, CPU_ANY, CPU_ANY, exec_shxd);
	cpu_ops_set(ops, 1, 0xad, CPU_ANY, CPU_ANY, exec_shxd);
}
