/*
 * cpu/exec_sse.c - SSE, SSE2 and SSE3 (SDM Vol. 1, chapters 10 to 12; Vol. 2 instruction
 * pages): the 128-bit XMM forms of the 0F map, MXCSR, FXSAVE/FXRSTOR. MMX forms are not
 * implemented (#UD) and CPUID does not advertise MMX. SSE3's FISTTP is in exec_x87.c;
 * MONITOR/MWAIT (a CPUID bit of their own) are not part of it here.
 *
 * Arithmetic, comparisons, conversions and the integer operations run on the host (one
 * stub per operation, cpu/sse_ops.h) with every exception masked and the guest's rounding,
 * FTZ and DAZ: under the guest's own MXCSR, held by the host, while the guest masks every
 * exception too (cpu/fpu_owner.c); otherwise with MXCSR loaded for the one operation and
 * the guest's exception masks applied afterwards (sse_run_fp), so the host never traps.
 * Moves, shuffles with an immediate and MXCSR/FXSAVE are modelled in C. These are the
 * generic handlers of the dispatch table; for the common forms, cpu/exec_sse_special.c
 * has handlers chosen at decode time that compute the same results without the copies.
 *
 * Gating (SDM Vol. 3, 2.5 and 13.1): CR0.EM = 1 or CR4.OSFXSR = 0 makes an SSE
 * instruction #UD, CR0.TS = 1 makes it #NM. An unmasked SIMD exception raises #XM when
 * CR4.OSXMMEXCPT = 1, else #UD. Legacy-SSE 16-byte memory operands must be 16-byte
 * aligned (#GP(0)) except for the explicitly unaligned moves.
 */
#include "cpu/sse_operand.h"
#include "cpu/sse_ops.h"

/* ---- the operation table ---- */

enum sse_kind { K_PS, K_SS, K_PD, K_SD, K_PS2, K_NOUF, K_FLAGS, K_TOGPR, K_FROMGPR, K_INT };

struct sse_stub_info {
	uint8_t kind;  /* enum sse_kind */
	uint8_t msize; /* memory operand bytes */
	uint8_t op;    /* opcode (0F map) */
};

#define INFO_X(n, c, o, k, m) {K_##k, m, o},
#define INFO_XB(n, c, o, k, m, b) {K_##k, m, o},
static const struct sse_stub_info stub_info[SSE_NR_STUBS] = {
    SSE_STUB_LIST(INFO_X, INFO_XB, INFO_XB)};
#undef INFO_X
#undef INFO_XB

/* Stub + 1 by (prefix column, opcode); 0 when the host does not execute it. */
#define INDEX_X(n, c, o, k, m) [c][o] = SSE_STUB_##n + 1,
#define INDEX_XV(n, c, o, k, m, b)
#define INDEX_XB(n, c, o, k, m, b) INDEX_X(n, c, o, k, m)
static const uint16_t stub_of[4][256] = {SSE_STUB_LIST(INDEX_X, INDEX_XB, INDEX_XV)};
#undef INDEX_X
#undef INDEX_XV
#undef INDEX_XB

/* ---- gating ---- */

bool sse_check_slow(struct cpu *cpu)
{
	if ((cpu->mmu->cr0 & CR0_EM) || !(cpu->mmu->cr4 & CR4_OSFXSR))
		return cpu_ud(cpu);
	if (cpu->mmu->cr0 & CR0_TS)
		return cpu_fault(cpu, X86_VEC_NM, false, 0);
	return true;
}

/* ---- exceptions ---- */

static bool is_denormal32(uint32_t v)
{
	return (v & 0x7f800000u) == 0 && (v & 0x007fffffu) != 0;
}

static bool is_denormal64(uint64_t v)
{
	return (v & 0x7ff0000000000000ULL) == 0 && (v & 0x000fffffffffffffULL) != 0;
}

/* The lanes of a kind's floating-point result that may underflow: count and width. */
static unsigned result_lanes(unsigned kind, unsigned *bits)
{
	*bits = kind == K_PD || kind == K_SD ? 64 : 32;
	switch (kind) {
	case K_PS:
		return 4;
	case K_PD:
	case K_PS2:
		return 2;
	case K_SS:
	case K_SD:
		return 1;
	default:
		return 0;
	}
}

static bool lane_denormal(const union xmm_reg *r, unsigned lane, unsigned bits)
{
	return bits == 32 ? is_denormal32(r->d[lane]) : is_denormal64(r->q[lane]);
}

/* The lanes of a floating-point operand of width bits. */
static uint64_t lane_get(const union xmm_reg *v, unsigned lane, unsigned bits)
{
	return bits == 32 ? v->d[lane] : v->q[lane];
}

static void lane_put(union xmm_reg *v, unsigned lane, unsigned bits, uint64_t x)
{
	if (bits == 32)
		v->d[lane] = (uint32_t)x;
	else
		v->q[lane] = x;
}

/*
 * Result lane lane of packed stub idx as a scalar operation: fills *out (operands in lane
 * 0, the same MXCSR) and returns the scalar stub. Vertical operations use their SS/SD
 * form (the list orders PS, PD, SS, SD), ADDSUB alternates SUB and ADD, the horizontal
 * operations add or subtract adjacent pairs of the destination, then of the source.
 */
static unsigned lane_scalar(unsigned idx, const struct sse_host_args *in, unsigned lane,
			    struct sse_host_args *out)
{
	unsigned bits, lanes = result_lanes(stub_info[idx].kind, &bits), sc;
	const union xmm_reg *xs = &in->d, *ys = &in->s;
	unsigned xl = lane, yl = lane;
	bool ps = bits == 32;
	*out = *in;
	switch (idx) {
	case SSE_STUB_CVTPD2PS:
		out->s.q[0] = in->s.q[lane];
		return SSE_STUB_CVTSD2SS;
	case SSE_STUB_ADDSUBPS:
	case SSE_STUB_ADDSUBPD:
		sc = lane % 2 ? (ps ? SSE_STUB_ADDSS : SSE_STUB_ADDSD)
			      : (ps ? SSE_STUB_SUBSS : SSE_STUB_SUBSD);
		break;
	case SSE_STUB_HADDPS:
	case SSE_STUB_HADDPD:
	case SSE_STUB_HSUBPS:
	case SSE_STUB_HSUBPD: {
		bool add = idx == SSE_STUB_HADDPS || idx == SSE_STUB_HADDPD;
		sc = add ? (ps ? SSE_STUB_ADDSS : SSE_STUB_ADDSD)
			 : (ps ? SSE_STUB_SUBSS : SSE_STUB_SUBSD);
		xs = ys = lane < lanes / 2 ? &in->d : &in->s;
		xl = (lane % (lanes / 2)) * 2;
		yl = xl + 1;
		break;
	}
	default:
		sc = idx + 2;
	}
	lane_put(&out->d, 0, bits, lane_get(xs, xl, bits));
	lane_put(&out->s, 0, bits, lane_get(ys, yl, bits));
	return sc;
}

/*
 * With UE unmasked the hardware signals underflow for a tiny result even when it is
 * exact, while the host's masked run flags only tiny and inexact results. An exact tiny
 * result is a denormal, so: a denormal lane without PE of its own is an underflow.
 */
static uint32_t exact_underflow(unsigned idx, const struct sse_host_args *in,
				const struct sse_host_args *out)
{
	unsigned bits, lanes = result_lanes(stub_info[idx].kind, &bits);
	for (unsigned i = 0; i < lanes; i++) {
		if (!lane_denormal(&out->d, i, bits))
			continue;
		if (!(out->mxcsr_out & MXCSR_PE))
			return MXCSR_UE;
		struct sse_host_args one = *in;
		unsigned sc = lanes > 1 ? lane_scalar(idx, in, i, &one) : idx;
		fpu_host_sse(sc, &one);
		if (!(one.mxcsr_out & MXCSR_PE))
			return MXCSR_UE;
	}
	return 0;
}

/* a op b rounded once to pc (0: 24 bits, 2: 53 bits) under rc with the x87's wide
 * exponent range: whether that is inexact. op: 0F 58 add, 5C sub, 59 mul, 5E div, 5A
 * conversion (b = 1). */
static bool wide_inexact(unsigned op, long double a, long double b, unsigned pc, unsigned rc)
{
	uint16_t cw = (uint16_t)(0x7f | pc << 8 | rc << 10), old, sw;
	long double r;
#define WIDE_OP(bytes)                                                                             \
	__asm__ volatile("fnstcw %[old]\n\tfnclex\n\tfldcw %[cw]\n\tfldt %[a]\n\tfldt %[b]\n\t"    \
			 ".byte " bytes "\n\tfstpt %[r]\n\tfnstsw %[sw]\n\tfnclex\n\t"             \
			 "fldcw %[old]"                                                            \
			 : [old] "=m"(old), [r] "=m"(r), [sw] "=m"(sw)                             \
			 : [cw] "m"(cw), [a] "m"(a), [b] "m"(b))
	switch (op) {
	case 0x58:
		WIDE_OP("0xde, 0xc1");
		break; /* faddp: a + b */
	case 0x5c:
		WIDE_OP("0xde, 0xe9");
		break; /* fsubp: a - b */
	case 0x5e:
		WIDE_OP("0xde, 0xf9");
		break; /* fdivp: a / b */
	default:
		WIDE_OP("0xde, 0xc9");
		break; /* fmulp: a * b */
	}
#undef WIDE_OP
	(void)r;
	return sw & FSW_PE;
}

static long double lane_value(const union xmm_reg *v, unsigned lane, unsigned bits)
{
	if (bits == 32) {
		float f;
		memcpy(&f, &v->d[lane], 4);
		return f;
	}
	double d;
	memcpy(&d, &v->q[lane], 8);
	return d;
}

/*
 * The flags of one lane whose overflow or underflow is unmasked: no result is delivered, and PE
 * tells whether the result rounded to the destination precision with an unbounded exponent is
 * inexact (what the host reports), not whether the masked response (infinity or the
 * largest finite number) is.
 */
static uint32_t lane_overflow_flags(unsigned idx, const struct sse_host_args *a, unsigned lane,
				    uint32_t f, uint32_t masks)
{
	unsigned bits, op = stub_info[idx].op;
	result_lanes(stub_info[idx].kind, &bits);
	if (!(f & (MXCSR_OE | MXCSR_UE) & ~masks))
		return f;
	unsigned src_bits = op == 0x5a ? (bits == 32 ? 64 : 32) : bits;
	long double x = lane_value(op == 0x5a ? &a->s : &a->d, lane, src_bits);
	long double y = op == 0x5a ? 1.0L : lane_value(&a->s, lane, src_bits);
	unsigned rc = (a->mxcsr_in >> 13) & 3;
	f &= ~MXCSR_PE;
	if (wide_inexact(op, x, y, bits == 32 ? 0 : 2, rc))
		f |= MXCSR_PE;
	return f;
}

/* The flags an unmasked overflow or underflow leaves, lane by lane for packed operations. */
static uint32_t overflow_flags(unsigned idx, const struct sse_host_args *in, uint32_t raised,
			       uint32_t masks)
{
	unsigned bits, lanes = result_lanes(stub_info[idx].kind, &bits);
	uint32_t flags = 0;
	if (lanes <= 1)
		return lane_overflow_flags(idx, in, 0, raised, masks);
	for (unsigned i = 0; i < lanes; i++) {
		struct sse_host_args one, ops;
		unsigned sc = lane_scalar(idx, in, i, &one);
		ops = one;
		fpu_host_sse(sc, &one);
		flags |= lane_overflow_flags(sc, &ops, 0, one.mxcsr_out & MXCSR_FLAGS, masks);
	}
	return flags | (raised & ~MXCSR_PE);
}

static bool simd_fault(struct cpu *cpu)
{
	if (!(cpu->mmu->cr4 & CR4_OSXMMEXCPT))
		return cpu_ud(cpu);
	return cpu_fault(cpu, X86_VEC_XM, false, 0);
}

/*
 * Runs stub idx with the guest's MXCSR and applies the masks (SDM Vol. 1, 11.5.2): an
 * unmasked pre-computation exception (IE, DE, ZE) in any lane sets the pre-computation
 * flags and faults; otherwise an unmasked post-computation one (OE, UE, PE) sets the
 * flags (PE as the result with an unbounded exponent would be, as the host does) and faults;
 * otherwise the flags are set and the result stands. Returns false with the fault set.
 */
static bool sse_run_fp(struct cpu *cpu, unsigned idx, struct sse_host_args *a)
{
	uint32_t mx = cpu->mxcsr, masks = (mx & MXCSR_MASKS) >> 7;
	struct sse_host_args in;
	if (likely((mx & MXCSR_MASKS) == MXCSR_MASKS)) {
		/* Nothing can fault and the flags only accumulate: the host does it all under
		 * the guest's MXCSR, which it keeps (cpu/fpu_owner.c). */
		fpu_hold_mxcsr(cpu);
		fpu_host_sse_live(idx, a);
		return true;
	}
	/* The flags of this operation alone, and the host's x87 for wide_inexact. */
	cpu_fpu_sync(cpu);
	a->mxcsr_in = (mx & ~MXCSR_FLAGS) | MXCSR_MASKS;
	if (!(mx & MXCSR_UM))
		a->mxcsr_in &= ~MXCSR_FTZ; /* FTZ applies only with underflow masked */
	in = *a;
	fpu_host_sse(idx, a);
	uint32_t raised = a->mxcsr_out & MXCSR_FLAGS;
	if (!(mx & MXCSR_UM) && !(raised & MXCSR_UE))
		raised |= exact_underflow(idx, &in, a);
	uint32_t unmasked = raised & ~masks, pre = raised & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
	if (unmasked & pre) {
		cpu->mxcsr |= pre;
		return simd_fault(cpu);
	}
	if (unmasked & (MXCSR_OE | MXCSR_UE)) {
		cpu->mxcsr |= overflow_flags(idx, &in, raised, masks);
		return simd_fault(cpu);
	}
	cpu->mxcsr |= raised;
	if (unmasked)
		return simd_fault(cpu);
	return true;
}

/* ---- operations through the host ---- */

static unsigned stub_variant(const struct x86_instr *in)
{
	if (in->opcode == 0xc2)
		return in->imm & 7;
	if (in->opcode == 0x2a || in->opcode == 0x2c || in->opcode == 0x2d)
		return (in->rex & X86_REX_W) ? 1 : 0;
	return 0;
}

/* The source of CVTSI2SS/SD: a general register or memory, 4 or 8 bytes by REX.W. */
static bool gpr_source(struct cpu *cpu, const struct x86_instr *in, uint64_t *v)
{
	unsigned size = (in->rex & X86_REX_W) ? 8 : 4;
	if (in->mod == 3) {
		*v = cpu->gpr[in->rm] & size_mask(size);
		return true;
	}
	return cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, v);
}

bool exec_sse_host(struct cpu *cpu, const struct x86_instr *in, unsigned col)
{
	unsigned base = stub_of[col][in->opcode];
	if (!base)
		return cpu_ud(cpu);
	unsigned idx = base - 1 + stub_variant(in);
	const struct sse_stub_info *si = &stub_info[idx];
	struct sse_host_args a = {0};
	if (!sse_check(cpu))
		return false;
	a.d = cpu->xmm[in->reg];
	if (si->kind == K_FROMGPR) {
		if (!gpr_source(cpu, in, &a.gpr))
			return false;
	} else if (!xmm_rm_read(cpu, in, si->msize, si->msize == 16 ? ALIGN_SSE : ALIGN_NONE,
				&a.s)) {
		return false;
	}
	if (si->kind == K_INT) {
		fpu_host_sse_live(idx, &a); /* reads and writes no MXCSR */
	} else if (!sse_run_fp(cpu, idx, &a)) {
		return false;
	}
	switch (si->kind) {
	case K_FLAGS:
		flags_set_status(cpu, a.rflags & RFLAGS_STATUS);
		break;
	case K_TOGPR:
		gpr_write(cpu, in->reg, (in->rex & X86_REX_W) ? 8 : 4, a.gpr);
		break;
	default:
		cpu->xmm[in->reg] = a.d;
	}
	return true;
}

static bool exec_host_c0(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_sse_host(cpu, in, 0);
}

static bool exec_host_c1(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_sse_host(cpu, in, 1);
}

static bool exec_host_c2(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_sse_host(cpu, in, 2);
}

static bool exec_host_c3(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_sse_host(cpu, in, 3);
}

/* ---- moves ---- */

/* Full 128-bit moves: 0F 10/11 (ups/upd), 28/29 (aps/apd), 66/F3 0F 6F/7F (dqa/dqu),
 * 0F 2B and 66 0F E7 (non-temporal stores). */
static bool mov128(struct cpu *cpu, const struct x86_instr *in, int align, bool store)
{
	union xmm_reg v;
	if (!sse_check(cpu))
		return false;
	if (store) {
		if (in->mod == 3) {
			cpu->xmm[in->rm] = cpu->xmm[in->reg];
			return true;
		}
		return xmm_mem_write(cpu, in, 16, align, &cpu->xmm[in->reg], false);
	}
	if (!xmm_rm_read(cpu, in, 16, align, &v))
		return false;
	cpu->xmm[in->reg] = v;
	return true;
}

/* MOVSS/MOVSD (F3/F2 0F 10/11): a register source merges, memory zero-extends. */
static bool mov_scalar(struct cpu *cpu, const struct x86_instr *in, unsigned size, bool store)
{
	union xmm_reg v;
	if (!sse_check(cpu))
		return false;
	if (store && in->mod != 3)
		return xmm_mem_write(cpu, in, size, ALIGN_NONE, &cpu->xmm[in->reg], false);
	unsigned dst = store ? in->rm : in->reg, src = store ? in->reg : in->rm;
	if (in->mod == 3) {
		union xmm_reg *d = &cpu->xmm[dst];
		const union xmm_reg *sr = &cpu->xmm[src];
		uint32_t lo32 = size == 4 ? sr->d[0] : d->d[0];
		xmm_set(d, size == 8 ? sr->q[0] : ((d->q[0] & ~0xffffffffULL) | lo32), d->q[1]);
		return true;
	}
	if (!xmm_rm_read(cpu, in, size, ALIGN_NONE, &v))
		return false;
	cpu->xmm[dst] = v;
	return true;
}

static bool exec_mov_10(struct cpu *cpu, const struct x86_instr *in, unsigned col)
{
	bool store = in->opcode == 0x11;
	if (col >= 2)
		return mov_scalar(cpu, in, col == 2 ? 4 : 8, store);
	return mov128(cpu, in, ALIGN_NONE, store);
}

static bool exec_mov_10_c0(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_mov_10(cpu, in, 0);
}

static bool exec_mov_10_c1(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_mov_10(cpu, in, 1);
}

static bool exec_mov_10_c2(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_mov_10(cpu, in, 2);
}

static bool exec_mov_10_c3(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_mov_10(cpu, in, 3);
}

/* 0F 28/29 MOVAPS/MOVAPD, 66 0F 6F/7F MOVDQA, 0F 2B MOVNTPS/PD, 66 0F E7 MOVNTDQ. */
static bool exec_mov_aligned(struct cpu *cpu, const struct x86_instr *in)
{
	bool store =
	    in->opcode == 0x29 || in->opcode == 0x7f || in->opcode == 0x2b || in->opcode == 0xe7;
	return mov128(cpu, in, ALIGN_ALWAYS, store);
}

/* F3 0F 6F/7F MOVDQU. */
static bool exec_movdqu(struct cpu *cpu, const struct x86_instr *in)
{
	return mov128(cpu, in, ALIGN_NONE, in->opcode == 0x7f);
}

/* 0F 12/13/16/17: MOVLPS/MOVLPD/MOVHPS/MOVHPD and the register forms MOVHLPS/MOVLHPS. */
static bool exec_mov_half(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned half = (in->opcode & 4) ? 1 : 0; /* 16/17: the high quadword */
	union xmm_reg *x = &cpu->xmm[in->reg];
	if (!sse_check(cpu))
		return false;
	if (in->opcode & 1) { /* 13/17: store */
		union xmm_reg v = {.q = {x->q[half], 0}};
		return xmm_mem_write(cpu, in, 8, ALIGN_NONE, &v, false);
	}
	if (in->mod == 3) { /* 12: MOVHLPS, 16: MOVLHPS */
		x->q[half] = cpu->xmm[in->rm].q[half ^ 1];
		return true;
	}
	uint64_t v;
	if (!cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), 8, &v))
		return false;
	x->q[half] = v;
	return true;
}

/* 0F 50 MOVMSKPS, 66 0F 50 MOVMSKPD, 66 0F D7 PMOVMSKB: sign bits into a register. */
static bool exec_movmsk(struct cpu *cpu, const struct x86_instr *in, unsigned width)
{
	const union xmm_reg *x = &cpu->xmm[in->rm];
	uint64_t m = 0;
	if (!sse_check(cpu))
		return false;
	for (unsigned i = 0; i < 16 / width; i++)
		if (x->b[i * width + width - 1] & 0x80)
			m |= 1u << i;
	gpr_write(cpu, in->reg, 8, m);
	return true;
}

static bool exec_movmskps(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_movmsk(cpu, in, 4);
}

static bool exec_movmskpd(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_movmsk(cpu, in, 8);
}

static bool exec_pmovmskb(struct cpu *cpu, const struct x86_instr *in)
{
	return exec_movmsk(cpu, in, 1);
}

/* 66 0F 6E MOVD/MOVQ xmm, r/m32/64: zero-extended. */
static bool exec_movd_to_xmm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->rex & X86_REX_W) ? 8 : 4;
	uint64_t v;
	if (!sse_check(cpu) || !rm_read(cpu, in, size, &v))
		return false;
	xmm_set(&cpu->xmm[in->reg], v, 0);
	return true;
}

/* 66 0F 7E MOVD/MOVQ r/m32/64, xmm. */
static bool exec_movd_from_xmm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->rex & X86_REX_W) ? 8 : 4;
	if (!sse_check(cpu))
		return false;
	return rm_write(cpu, in, size, cpu->xmm[in->reg].q[0] & size_mask(size));
}

/* F3 0F 7E MOVQ xmm, xmm/m64 and 66 0F D6 MOVQ xmm/m64, xmm: the upper half cleared. */
static bool exec_movq(struct cpu *cpu, const struct x86_instr *in)
{
	bool store = in->opcode == 0xd6;
	union xmm_reg v;
	if (!sse_check(cpu))
		return false;
	if (store && in->mod != 3)
		return xmm_mem_write(cpu, in, 8, ALIGN_NONE, &cpu->xmm[in->reg], false);
	if (store) {
		xmm_set(&cpu->xmm[in->rm], cpu->xmm[in->reg].q[0], 0);
		return true;
	}
	if (!xmm_rm_read(cpu, in, 8, ALIGN_NONE, &v))
		return false;
	xmm_set(&cpu->xmm[in->reg], v.q[0], 0);
	return true;
}

/* 0F C3 MOVNTI m32/m64, r. */
static bool exec_movnti(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned size = (in->rex & X86_REX_W) ? 8 : 4;
	return cpu_write_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size,
			     cpu->gpr[in->reg] & size_mask(size));
}

/* 66 0F F7 MASKMOVDQU: the bytes of reg whose mask byte (rm) has bit 7 go to DS:rDI. */
static bool exec_maskmovdqu(struct cpu *cpu, const struct x86_instr *in)
{
	const union xmm_reg *v = &cpu->xmm[in->reg], *m = &cpu->xmm[in->rm];
	unsigned seg = in->seg != X86_SEG_NONE ? in->seg : SEG_DS;
	uint64_t base = cpu->gpr[RDI];
	if (!sse_check(cpu))
		return false;
	for (unsigned i = 0; i < 16; i++)
		if ((m->b[i] & 0x80) &&
		    !cpu_probe_write(cpu, seg, (base + i) & size_mask(in->addrsize), 1))
			return false;
	for (unsigned i = 0; i < 16; i++)
		if ((m->b[i] & 0x80) &&
		    !cpu_write_mem(cpu, seg, (base + i) & size_mask(in->addrsize), 1, v->b[i]))
			return false;
	return true;
}

/* ---- SSE3 moves ---- */

/* F3 0F 12 MOVSLDUP, F3 0F 16 MOVSHDUP: even or odd singles duplicated. */
static bool exec_movsxdup(struct cpu *cpu, const struct x86_instr *in)
{
	union xmm_reg s, r;
	unsigned odd = in->opcode == 0x16;
	if (!sse_check(cpu) || !xmm_rm_read(cpu, in, 16, ALIGN_SSE, &s))
		return false;
	for (unsigned i = 0; i < 4; i++)
		r.d[i] = s.d[(i & ~1u) + odd];
	cpu->xmm[in->reg] = r;
	return true;
}

/* F2 0F 12 MOVDDUP xmm, xmm/m64. */
static bool exec_movddup(struct cpu *cpu, const struct x86_instr *in)
{
	union xmm_reg s;
	if (!sse_check(cpu) || !xmm_rm_read(cpu, in, 8, ALIGN_NONE, &s))
		return false;
	xmm_set(&cpu->xmm[in->reg], s.q[0], s.q[0]);
	return true;
}

/* F2 0F F0 LDDQU: an unaligned 16-byte load. */
static bool exec_lddqu(struct cpu *cpu, const struct x86_instr *in)
{
	union xmm_reg v;
	if (!sse_check(cpu) || !xmm_rm_read(cpu, in, 16, ALIGN_NONE, &v))
		return false;
	cpu->xmm[in->reg] = v;
	return true;
}

/* ---- shuffles and shifts with an immediate ---- */

/* 66 0F 70 PSHUFD, F3 0F 70 PSHUFHW, F2 0F 70 PSHUFLW. */
static bool pshuf(struct cpu *cpu, const struct x86_instr *in, unsigned col)
{
	union xmm_reg s, r;
	unsigned imm = in->imm & 0xff;
	if (!sse_check(cpu) || !xmm_rm_read(cpu, in, 16, ALIGN_SSE, &s))
		return false;
	r = s;
	for (unsigned i = 0; i < 4; i++) {
		unsigned sel = (imm >> (2 * i)) & 3;
		if (col == 1)
			r.d[i] = s.d[sel];
		else if (col == 2)
			r.w[4 + i] = s.w[4 + sel];
		else
			r.w[i] = s.w[sel];
	}
	cpu->xmm[in->reg] = r;
	return true;
}

static bool exec_pshufd(struct cpu *cpu, const struct x86_instr *in)
{
	return pshuf(cpu, in, 1);
}

static bool exec_pshufhw(struct cpu *cpu, const struct x86_instr *in)
{
	return pshuf(cpu, in, 2);
}

static bool exec_pshuflw(struct cpu *cpu, const struct x86_instr *in)
{
	return pshuf(cpu, in, 3);
}

/* 0F C6 SHUFPS / 66 0F C6 SHUFPD. */
static bool shufp(struct cpu *cpu, const struct x86_instr *in, bool pd)
{
	union xmm_reg s, d = cpu->xmm[in->reg], r;
	unsigned imm = in->imm & 0xff;
	if (!sse_check(cpu) || !xmm_rm_read(cpu, in, 16, ALIGN_SSE, &s))
		return false;
	if (pd) {
		r.q[0] = d.q[imm & 1];
		r.q[1] = s.q[(imm >> 1) & 1];
	} else {
		r.d[0] = d.d[imm & 3];
		r.d[1] = d.d[(imm >> 2) & 3];
		r.d[2] = s.d[(imm >> 4) & 3];
		r.d[3] = s.d[(imm >> 6) & 3];
	}
	cpu->xmm[in->reg] = r;
	return true;
}

static bool exec_shufps(struct cpu *cpu, const struct x86_instr *in)
{
	return shufp(cpu, in, false);
}

static bool exec_shufpd(struct cpu *cpu, const struct x86_instr *in)
{
	return shufp(cpu, in, true);
}

/*
 * The lane shifts of group 12-14, one loop per lane width over typed lanes (kind is
 * ModRM.reg: 2 logical right, 4 arithmetic right, 6 left). A count of the lane width or
 * more clears a lane (fills it with its sign for the arithmetic shift).
 */
static void shift_words(union xmm_reg *x, unsigned kind, unsigned n)
{
	for (unsigned i = 0; i < 8; i++) {
		uint16_t v = x->w[i];
		if (kind == 4)
			x->w[i] = (uint16_t)((int16_t)v >> (n > 15 ? 15 : n));
		else
			x->w[i] = n > 15 ? 0 : (uint16_t)(kind == 2 ? v >> n : v << n);
	}
}

static void shift_dwords(union xmm_reg *x, unsigned kind, unsigned n)
{
	for (unsigned i = 0; i < 4; i++) {
		uint32_t v = x->d[i];
		if (kind == 4)
			x->d[i] = (uint32_t)((int32_t)v >> (n > 31 ? 31 : n));
		else
			x->d[i] = n > 31 ? 0 : kind == 2 ? v >> n : v << n;
	}
}

static void shift_qwords(union xmm_reg *x, unsigned kind, unsigned n)
{
	for (unsigned i = 0; i < 2; i++)
		x->q[i] = n > 63 ? 0 : kind == 2 ? x->q[i] >> n : x->q[i] << n;
}

/* PSRLDQ (kind 3) / PSLLDQ (kind 7): the whole register by n bytes. */
static void shift_bytes(union xmm_reg *x, unsigned kind, unsigned n)
{
	union xmm_reg r = {0};
	if (n > 16)
		n = 16;
	for (unsigned i = 0; i < 16; i++) {
		int from = kind == 3 ? (int)(i + n) : (int)i - (int)n;
		r.b[i] = from >= 0 && from < 16 ? x->b[from] : 0;
	}
	*x = r;
}

/* 66 0F 71/72/73: PSRLW/PSRAW/PSLLW, PSRLD/PSRAD/PSLLD, PSRLQ/PSRLDQ/PSLLQ/PSLLDQ imm8.
 * The decoder accepts only the defined ModRM.reg values of each opcode. */
static bool exec_shift_imm(struct cpu *cpu, const struct x86_instr *in)
{
	unsigned kind = (in->modrm >> 3) & 7, imm = in->imm & 0xff;
	union xmm_reg *x = &cpu->xmm[in->rm];
	if (!sse_check(cpu))
		return false;
	if (in->opcode == 0x71)
		shift_words(x, kind, imm);
	else if (in->opcode == 0x72)
		shift_dwords(x, kind, imm);
	else if (kind == 3 || kind == 7)
		shift_bytes(x, kind, imm);
	else
		shift_qwords(x, kind, imm);
	return true;
}

/* 66 0F C4 PINSRW xmm, r32/m16, imm8. */
static bool exec_pinsrw(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!sse_check(cpu) || !rm_read(cpu, in, 2, &v))
		return false;
	cpu->xmm[in->reg].w[in->imm & 7] = (uint16_t)v;
	return true;
}

/* 66 0F C5 PEXTRW r32, xmm, imm8. */
static bool exec_pextrw(struct cpu *cpu, const struct x86_instr *in)
{
	if (!sse_check(cpu))
		return false;
	gpr_write(cpu, in->reg, 8, cpu->xmm[in->rm].w[in->imm & 7]);
	return true;
}

/* ---- MXCSR and the state image ---- */

/* 0F AE /2 LDMXCSR, /3 STMXCSR. */
static bool exec_ldst_mxcsr(struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t v;
	if (!sse_check(cpu))
		return false;
	fpu_sync_mxcsr(cpu);
	if (((in->modrm >> 3) & 7) == 3)
		return cpu_write_mem(cpu, insn_seg(in), cpu_ea(cpu, in), 4, cpu->mxcsr);
	if (!cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), 4, &v))
		return false;
	if (v & ~(uint64_t)MXCSR_MASK_MODEL)
		return cpu_gp(cpu, 0);
	cpu->mxcsr = (uint32_t)v;
	return true;
}

/* 0F AE /0 FXSAVE, /1 FXRSTOR (REX.W: the 64-bit pointer layout). */
static bool exec_fxsave(struct cpu *cpu, const struct x86_instr *in)
{
	struct fxsave_image img;
	bool rexw = (in->rex & X86_REX_W) != 0;
	uint64_t ea = cpu_ea(cpu, in);
	unsigned len;
	if (cpu->mmu->cr0 & (CR0_EM | CR0_TS))
		return cpu_fault(cpu, X86_VEC_NM, false, 0);
	if (ea & 15)
		return cpu_gp(cpu, 0);
	cpu_fpu_sync(cpu);
	if (((in->modrm >> 3) & 7) == 0) {
		fxsave_fill(cpu, rexw, &img, &len);
		return fpu_write_block(cpu, insn_seg(in), ea, in->addrsize, img.b, len);
	}
	if (!fpu_read_block(cpu, insn_seg(in), ea, in->addrsize, img.b, 512))
		return false;
	if (!fxrstor_load(cpu, rexw, &img))
		return cpu_gp(cpu, 0);
	return true;
}

void exec_sse_register(struct cpu_ops *ops, struct cpu_features *feat)
{
	static const cpu_exec_fn host[4] = {exec_host_c0, exec_host_c1, exec_host_c2, exec_host_c3};
	static const cpu_exec_fn mov10[4] = {exec_mov_10_c0, exec_mov_10_c1, exec_mov_10_c2,
					     exec_mov_10_c3};
	for (unsigned col = 0; col < 4; col++) {
		for (unsigned op = 0; op < 256; op++)
			if (stub_of[col][op])
				cpu_ops_set(ops, 1, op, (int)col, CPU_ANY, host[col]);
		cpu_ops_set(ops, 1, 0x10, (int)col, CPU_ANY, mov10[col]);
		cpu_ops_set(ops, 1, 0x11, (int)col, CPU_ANY, mov10[col]);
	}
	for (int col = 0; col < 2; col++) {
		cpu_ops_set(ops, 1, 0x28, col, CPU_ANY, exec_mov_aligned);
		cpu_ops_set(ops, 1, 0x29, col, CPU_ANY, exec_mov_aligned);
		cpu_ops_set(ops, 1, 0x2b, col, CPU_ANY, exec_mov_aligned);
		cpu_ops_set(ops, 1, 0x12, col, CPU_ANY, exec_mov_half);
		cpu_ops_set(ops, 1, 0x13, col, CPU_ANY, exec_mov_half);
		cpu_ops_set(ops, 1, 0x16, col, CPU_ANY, exec_mov_half);
		cpu_ops_set(ops, 1, 0x17, col, CPU_ANY, exec_mov_half);
	}
	cpu_ops_set(ops, 1, 0x6f, 1, CPU_ANY, exec_mov_aligned);
	cpu_ops_set(ops, 1, 0x7f, 1, CPU_ANY, exec_mov_aligned);
	cpu_ops_set(ops, 1, 0xe7, 1, CPU_ANY, exec_mov_aligned);
	cpu_ops_set(ops, 1, 0x6f, 2, CPU_ANY, exec_movdqu);
	cpu_ops_set(ops, 1, 0x7f, 2, CPU_ANY, exec_movdqu);
	cpu_ops_set(ops, 1, 0x50, 0, CPU_ANY, exec_movmskps);
	cpu_ops_set(ops, 1, 0x50, 1, CPU_ANY, exec_movmskpd);
	cpu_ops_set(ops, 1, 0xd7, 1, CPU_ANY, exec_pmovmskb);
	cpu_ops_set(ops, 1, 0x6e, 1, CPU_ANY, exec_movd_to_xmm);
	cpu_ops_set(ops, 1, 0x7e, 1, CPU_ANY, exec_movd_from_xmm);
	cpu_ops_set(ops, 1, 0x7e, 2, CPU_ANY, exec_movq);
	cpu_ops_set(ops, 1, 0xd6, 1, CPU_ANY, exec_movq);
	cpu_ops_set(ops, 1, 0xc3, 0, CPU_ANY, exec_movnti);
	cpu_ops_set(ops, 1, 0xf7, 1, CPU_ANY, exec_maskmovdqu);
	cpu_ops_set(ops, 1, 0x70, 1, CPU_ANY, exec_pshufd);
	cpu_ops_set(ops, 1, 0x70, 2, CPU_ANY, exec_pshufhw);
	cpu_ops_set(ops, 1, 0x70, 3, CPU_ANY, exec_pshuflw);
	cpu_ops_set(ops, 1, 0xc6, 0, CPU_ANY, exec_shufps);
	cpu_ops_set(ops, 1, 0xc6, 1, CPU_ANY, exec_shufpd);
	for (unsigned op = 0x71; op <= 0x73; op++)
		cpu_ops_set(ops, 1, op, 1, CPU_ANY, exec_shift_imm);
	cpu_ops_set(ops, 1, 0xc4, 1, CPU_ANY, exec_pinsrw);
	cpu_ops_set(ops, 1, 0xc5, 1, CPU_ANY, exec_pextrw);
	cpu_ops_set(ops, 1, 0x12, 2, CPU_ANY, exec_movsxdup);
	cpu_ops_set(ops, 1, 0x16, 2, CPU_ANY, exec_movsxdup);
	cpu_ops_set(ops, 1, 0x12, 3, CPU_ANY, exec_movddup);
	cpu_ops_set(ops, 1, 0xf0, 3, CPU_ANY, exec_lddqu);
	for (int reg = 0; reg < 2; reg++)
		cpu_ops_set(ops, 1, 0xae, 0, reg, exec_fxsave);
	cpu_ops_set(ops, 1, 0xae, 0, 2, exec_ldst_mxcsr);
	cpu_ops_set(ops, 1, 0xae, 0, 3, exec_ldst_mxcsr);
	feat->leaf1_edx |= 1u << 24 | 1u << 25 | 1u << 26; /* FXSR, SSE, SSE2 */
	feat->leaf1_ecx |= 1u << 0;			   /* SSE3 (FISTTP: exec_x87.c) */
	feat->ext1_edx |= 1u << 24;			   /* FXSR (AMD leaf) */
	feat->ext1_ecx |= 1u << 7;			   /* MisAlignSse (MXCSR.MM) */
}
