/*
 * cpu/exec_sse_special.c - SSE handlers specialised at decode time (SDM Vol. 2 instruction
 * pages; Vol. 1, chapters 10 and 11): the SSE2 integer operations, the commonest
 * floating-point arithmetic and the XMM moves, one handler per operation and operand form.
 *
 * The generic handlers (cpu/exec_sse.c) take the operation, the operand sizes and the
 * alignment rule from tables at every execution and copy both operands into an argument
 * block for a host stub. When an instruction is decoded into the decoded-instruction cache,
 * cpu_sse_specialise picks a handler made for its form instead: the operation, the operand
 * size and whether r/m is a register or memory are constants of the handler (each an
 * instance of one inline function with constant arguments), and it works on the XMM
 * registers in struct cpu directly.
 *
 * - The integer operations (PADD*, PSUB* with and without saturation, PAND/PANDN/POR/
 *   PXOR and their PS/PD twins, PCMPEQ*, PCMPGT*, PMIN/PMAX, PAVG, PMULLW, PMULUDQ,
 *   PUNPCK* and UNPCK*PS/PD, the shifts by an XMM count or an immediate, PSHUFD) are
 *   plain C on GNU vectors of typed lanes: no MXCSR, no exception but the operand's;
 *   those whose lanes change width (PACK*, PMULH*, PMADDWD, PSADBW) are loops over them.
 * - ADD/SUB/MUL/DIV/SQRT/MIN/MAX in their PS/PD/SS/SD forms run as the one host instruction
 *   (an asm statement on registers) under the guest's MXCSR, which the host holds while
 *   every guest exception is masked (cpu/fpu_owner.c): rounding, FTZ, DAZ, NaN results and
 *   the sticky flags are the host's own for the same instruction. With an exception
 *   unmasked the generic handler runs instead (its exact fault rules: cpu/exec_sse.c).
 * - COMISS/COMISD/UCOMISS/UCOMISD and the conversions between the scalar lanes and the
 *   general registers (CVTSI2SS/SD, CVT(T)SS2SI, CVT(T)SD2SI) likewise.
 * - The moves (MOVUPS/MOVAPS/MOVDQA/MOVDQU, MOVSS/MOVSD, MOVQ, MOVD) in their register,
 *   load and store forms.
 *
 * A memory form has two handlers: one for a flat operand (insn_flat64: 64-bit mode and
 * addresses, no FS/GS base), whose effective address is its linear address, and one
 * through the segment. Every memory operand is read or written with the generic handlers'
 * accesses, in the same order (cpu/sse_operand.h), so faults are precise and the MMU's
 * statistics do not change. The hottest forms also have fast forms ("fast forms" below):
 * the common case only, for the flat shapes of cpu/fpu_mem.h, handing everything else to
 * the handler of the general form.
 * tests/cpu/test_exec_sse_special.c compares every handler here with the generic one of
 * its form; tests/cpu/test_sse_diff.c runs them all against the host CPU.
 */
#include "cpu/fpu_mem.h"
#include "cpu/jit_mem.h"
#include "mmu/trace.h"
#include "cpu/sse_operand.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* A handler: everything it calls that has a body here (the operand and MMU fast paths of
 * cpu/sse_operand.h and cpu/cpu_internal.h) is inlined into it, whatever the compiler's
 * size limits for this file would decide; only the slow paths stay calls. Never inlined
 * itself: the fast forms below call it as their way out, as a tail call. */
#define HANDLER static __attribute__((flatten, noinline)) bool

/* A fast form (below, "Fast memory forms"): the common case inline, every other case a
 * tail call of the handler of the general form, so that the common case needs no stack
 * frame and saves no registers. */
#define FAST_HANDLER static bool

/* The first step of a handler whose common case makes no call: SSE unusable (CR0.EM,
 * CR0.TS, CR4.OSFXSR) leaves through sse_check_slow's fault, a tail call. */
#define SSE_GATE(cpu)                                                                        \
	do {                                                                                 \
		if (unlikely(!sse_ready(cpu)))                                               \
			return sse_check_slow(cpu);                                          \
	} while (0)

/* The operand forms a handler is made for: both operands registers, r/m in memory through
 * its segment, r/m in flat memory (insn_flat64: its effective address is its linear
 * address), and the flat shapes with fast forms of their own (cpu/fpu_mem.h: [base +
 * disp], [base + index * scale + disp], [rip + disp]). The choice tables are indexed by
 * them. */
enum { FORM_REG, FORM_MEM, FORM_FLAT, FORM_BASE, FORM_BI, FORM_RIP, NR_FORMS };

/* ---- the integer operations ---- */

/* A lane shift by count (already known to be below the lane width). */
#define SHIFT_LANES(vt, v, op, count) ((v2u64)((vt)(v)op(int)(count)))

/* Lane-wise a where mask m is all ones, else b (m's lanes are 0 or all ones). */
#define SELECT(m, a, b) (((a) & (m)) | ((b) & ~(m)))

/* Signed saturation of the wrapped sum (sub false) or difference r of signed lanes a and b
 * of vector type vt: a lane overflowed when r's sign differs from a's while b's sign was
 * r's (a sum) or not a's (a difference); it then takes the extreme value of a's sign
 * (a >> (width - 1) is 0 or all ones; max is the largest positive lane value). */
#define SAT_SIGNED(vt, a, b, r, sub, max)                                                    \
	SELECT((vt)((((sub) ? (a) ^ (b) : (b) ^ (r)) & ((a) ^ (r))) < 0),                     \
	       ((a) >> (8 * sizeof((a)[0]) - 1)) ^ (max), (r))

static inline int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * The operations whose lanes change width, lane by lane: the packs with saturation
 * (PACKSSWB 63, PACKUSWB 67, PACKSSDW 6B: d's lanes, then s's), the high halves of the
 * word products (PMULHUW E4, PMULHW E5), the sums of adjacent signed word products
 * (PMADDWD F5: only 8000h * 8000h twice wraps, to 80000000h) and the sums of absolute
 * byte differences of each quadword (PSADBW F6).
 */
static v2u64 int_op_lanes(unsigned opcode, v2u64 dv, v2u64 sv)
{
	union xmm_reg d, s, r = {.q = {0, 0}};
	xmm_put_vec(&d, dv);
	xmm_put_vec(&s, sv);
	for (unsigned i = 0; i < 16; i++) {
		const union xmm_reg *h = i < 8 ? &d : &s;
		int16_t w = (int16_t)h->w[i % 8];
		switch (opcode) {
		case 0x63:
			r.b[i] = (uint8_t)clamp(w, -128, 127);
			break;
		case 0x67:
			r.b[i] = (uint8_t)clamp(w, 0, 255);
			break;
		case 0x6b:
			if (i < 8)
				r.w[i] = (uint16_t)clamp((int32_t)(i < 4 ? &d : &s)->d[i % 4],
							 -32768, 32767);
			break;
		case 0xe4:
			if (i < 8)
				r.w[i] = (uint16_t)(((uint32_t)d.w[i] * s.w[i]) >> 16);
			break;
		case 0xe5:
			if (i < 8)
				r.w[i] = (uint16_t)(((int32_t)(int16_t)d.w[i] *
						     (int16_t)s.w[i]) >> 16);
			break;
		case 0xf5:
			if (i < 4)
				r.d[i] = (uint32_t)((int64_t)(int16_t)d.w[2 * i] *
							 (int16_t)s.w[2 * i] +
						     (int64_t)(int16_t)d.w[2 * i + 1] *
							 (int16_t)s.w[2 * i + 1]);
			break;
		default: /* 0xf6 */
			r.q[i / 8] += (uint64_t)(d.b[i] > s.b[i] ? d.b[i] - s.b[i]
								 : s.b[i] - d.b[i]);
		}
	}
	return xmm_vec(&r);
}

/*
 * The result of 66 0F opcode (and, for the logic operations, 0F opcode: ANDPS..XORPS; for
 * UNPCKLPS/UNPCKHPS 0F 14/15, for UNPCKLPD/UNPCKHPD 0x100 + 14/15) on destination d and
 * source s. The shifts take their count from the source's low quadword:
 * a count of the lane width or more clears the lanes (fills them with the sign for PSRA).
 */
ALWAYS_INLINE v2u64 int_op(unsigned opcode, v2u64 d, v2u64 s)
{
	uint64_t n = s[0];
	switch (opcode) {
	case 0xfc: /* PADDB */
		return (v2u64)((v16u8)d + (v16u8)s);
	case 0xfd: /* PADDW */
		return (v2u64)((v8u16)d + (v8u16)s);
	case 0xfe: /* PADDD */
		return (v2u64)((v4u32)d + (v4u32)s);
	case 0xd4: /* PADDQ */
		return d + s;
	case 0xf8: /* PSUBB */
		return (v2u64)((v16u8)d - (v16u8)s);
	case 0xf9: /* PSUBW */
		return (v2u64)((v8u16)d - (v8u16)s);
	case 0xfa: /* PSUBD */
		return (v2u64)((v4u32)d - (v4u32)s);
	case 0xfb: /* PSUBQ */
		return d - s;
	case 0x54: /* ANDPS/ANDPD */
	case 0xdb: /* PAND */
		return d & s;
	case 0x55: /* ANDNPS/ANDNPD */
	case 0xdf: /* PANDN */
		return ~d & s;
	case 0x56: /* ORPS/ORPD */
	case 0xeb: /* POR */
		return d | s;
	case 0x57: /* XORPS/XORPD */
	case 0xef: /* PXOR */
		return d ^ s;
	case 0x74: /* PCMPEQB: all ones where equal */
		return (v2u64)((v16u8)d == (v16u8)s);
	case 0x75: /* PCMPEQW */
		return (v2u64)((v8u16)d == (v8u16)s);
	case 0x76: /* PCMPEQD */
		return (v2u64)((v4u32)d == (v4u32)s);
	case 0x64: /* PCMPGTB: signed */
		return (v2u64)((v16i8)d > (v16i8)s);
	case 0x65: /* PCMPGTW */
		return (v2u64)((v8i16)d > (v8i16)s);
	case 0x66: /* PCMPGTD */
		return (v2u64)((v4i32)d > (v4i32)s);
	case 0xda: /* PMINUB */
		return (v2u64)SELECT((v16u8)((v16u8)d < (v16u8)s), (v16u8)d, (v16u8)s);
	case 0xde: /* PMAXUB */
		return (v2u64)SELECT((v16u8)((v16u8)d > (v16u8)s), (v16u8)d, (v16u8)s);
	case 0xea: /* PMINSW */
		return (v2u64)SELECT((v8i16)((v8i16)d < (v8i16)s), (v8i16)d, (v8i16)s);
	case 0xee: /* PMAXSW */
		return (v2u64)SELECT((v8i16)((v8i16)d > (v8i16)s), (v8i16)d, (v8i16)s);
	case 0xe0: /* PAVGB: (a + b + 1) >> 1 without the carry out */
		return (v2u64)(((v16u8)d | (v16u8)s) - (((v16u8)d ^ (v16u8)s) >> 1));
	case 0xe3: /* PAVGW */
		return (v2u64)(((v8u16)d | (v8u16)s) - (((v8u16)d ^ (v8u16)s) >> 1));
	case 0xdc: { /* PADDUSB: a carry out saturates to all ones */
		v16u8 r = (v16u8)d + (v16u8)s;
		return (v2u64)(r | (v16u8)(r < (v16u8)d));
	}
	case 0xdd: { /* PADDUSW */
		v8u16 r = (v8u16)d + (v8u16)s;
		return (v2u64)(r | (v8u16)(r < (v8u16)d));
	}
	case 0xd8: /* PSUBUSB: a borrow saturates to zero */
		return (v2u64)(((v16u8)d - (v16u8)s) & (v16u8)((v16u8)d >= (v16u8)s));
	case 0xd9: /* PSUBUSW */
		return (v2u64)(((v8u16)d - (v8u16)s) & (v8u16)((v8u16)d >= (v8u16)s));
	case 0xec: { /* PADDSB */
		v16i8 a = (v16i8)d, b = (v16i8)s, r = (v16i8)((v16u8)d + (v16u8)s);
		return (v2u64)SAT_SIGNED(v16i8, a, b, r, false, 0x7f);
	}
	case 0xed: { /* PADDSW */
		v8i16 a = (v8i16)d, b = (v8i16)s, r = (v8i16)((v8u16)d + (v8u16)s);
		return (v2u64)SAT_SIGNED(v8i16, a, b, r, false, 0x7fff);
	}
	case 0xe8: { /* PSUBSB */
		v16i8 a = (v16i8)d, b = (v16i8)s, r = (v16i8)((v16u8)d - (v16u8)s);
		return (v2u64)SAT_SIGNED(v16i8, a, b, r, true, 0x7f);
	}
	case 0xe9: { /* PSUBSW */
		v8i16 a = (v8i16)d, b = (v8i16)s, r = (v8i16)((v8u16)d - (v8u16)s);
		return (v2u64)SAT_SIGNED(v8i16, a, b, r, true, 0x7fff);
	}
	case 0xd5: /* PMULLW: the low words of the products */
		return (v2u64)((v8u16)d * (v8u16)s);
	case 0xf4: { /* PMULUDQ: the even doublewords' full products */
		v2u64 lo = {0xffffffffu, 0xffffffffu};
		return (d & lo) * (s & lo);
	}
	case 0x63: /* PACKSSWB */
	case 0x67: /* PACKUSWB */
	case 0x6b: /* PACKSSDW */
	case 0xe4: /* PMULHUW */
	case 0xe5: /* PMULHW */
	case 0xf5: /* PMADDWD */
	case 0xf6: /* PSADBW */
		return int_op_lanes(opcode, d, s);
	case 0x60: /* PUNPCKLBW: the low halves' lanes interleaved, d's first */
		return (v2u64)__builtin_shuffle((v16u8)d, (v16u8)s,
						(v16u8){0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6,
							22, 7, 23});
	case 0x61: /* PUNPCKLWD */
		return (v2u64)__builtin_shuffle((v8u16)d, (v8u16)s,
						(v8u16){0, 8, 1, 9, 2, 10, 3, 11});
	case 0x14: /* UNPCKLPS (the same lanes as PUNPCKLDQ) */
	case 0x62: /* PUNPCKLDQ */
		return (v2u64)__builtin_shuffle((v4u32)d, (v4u32)s, (v4u32){0, 4, 1, 5});
	case 0x114: /* UNPCKLPD */
	case 0x6c: /* PUNPCKLQDQ */
		return __builtin_shuffle(d, s, (v2u64){0, 2});
	case 0x68: /* PUNPCKHBW: the high halves' lanes interleaved */
		return (v2u64)__builtin_shuffle((v16u8)d, (v16u8)s,
						(v16u8){8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
							14, 30, 15, 31});
	case 0x69: /* PUNPCKHWD */
		return (v2u64)__builtin_shuffle((v8u16)d, (v8u16)s,
						(v8u16){4, 12, 5, 13, 6, 14, 7, 15});
	case 0x15: /* UNPCKHPS */
	case 0x6a: /* PUNPCKHDQ */
		return (v2u64)__builtin_shuffle((v4u32)d, (v4u32)s, (v4u32){2, 6, 3, 7});
	case 0x115: /* UNPCKHPD */
	case 0x6d: /* PUNPCKHQDQ */
		return __builtin_shuffle(d, s, (v2u64){1, 3});
	case 0xd1: /* PSRLW */
		return n > 15 ? (v2u64){0, 0} : SHIFT_LANES(v8u16, d, >>, n);
	case 0xd2: /* PSRLD */
		return n > 31 ? (v2u64){0, 0} : SHIFT_LANES(v4u32, d, >>, n);
	case 0xd3: /* PSRLQ */
		return n > 63 ? (v2u64){0, 0} : SHIFT_LANES(v2u64, d, >>, n);
	case 0xe1: /* PSRAW */
		return SHIFT_LANES(v8i16, d, >>, n > 15 ? 15 : n);
	case 0xe2: /* PSRAD */
		return SHIFT_LANES(v4i32, d, >>, n > 31 ? 31 : n);
	case 0xf1: /* PSLLW */
		return n > 15 ? (v2u64){0, 0} : SHIFT_LANES(v8u16, d, <<, n);
	case 0xf2: /* PSLLD */
		return n > 31 ? (v2u64){0, 0} : SHIFT_LANES(v4u32, d, <<, n);
	default: /* 0xf3: PSLLQ */
		return n > 63 ? (v2u64){0, 0} : SHIFT_LANES(v2u64, d, <<, n);
	}
}

/* xmm(reg) = xmm(reg) OP xmm(rm). */
ALWAYS_INLINE bool int_rr(struct cpu *cpu, const struct x86_instr *in, unsigned opcode)
{
	SSE_GATE(cpu);
	union xmm_reg *d = &cpu->xmm[in->reg];
	xmm_put_vec(d, int_op(opcode, xmm_vec(d), xmm_vec(&cpu->xmm[in->rm])));
	return true;
}

/* xmm(reg) = xmm(reg) OP m128 (16-byte aligned unless MXCSR.MM). */
ALWAYS_INLINE bool int_rm(struct cpu *cpu, const struct x86_instr *in, unsigned opcode,
			  bool flat)
{
	union xmm_reg m;
	if (!sse_check(cpu) || !xmm_mem_read(cpu, in, 16, ALIGN_SSE, &m, flat))
		return false;
	union xmm_reg *d = &cpu->xmm[in->reg];
	xmm_put_vec(d, int_op(opcode, xmm_vec(d), xmm_vec(&m)));
	return true;
}

#define INT_FNS(opc)                                                                         \
	HANDLER int_rr_##opc(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                    \
		return int_rr(cpu, in, opc);                                                 \
	}                                                                                    \
	HANDLER int_rm_##opc(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                    \
		return int_rm(cpu, in, opc, false);                                          \
	}                                                                                    \
	HANDLER int_rf_##opc(struct cpu *cpu, const struct x86_instr *in)                \
	{                                                                                    \
		return int_rm(cpu, in, opc, true);                                           \
	}

#define INT_OPS(X)                                                                           \
	X(0x54) X(0x55) X(0x56) X(0x57) X(0x60) X(0x61) X(0x62) X(0x64) X(0x65) X(0x66)      \
	X(0x68) X(0x69) X(0x6a) X(0x6c) X(0x6d) X(0x74) X(0x75) X(0x76) X(0xd1) X(0xd2)      \
	X(0xd3) X(0xd4) X(0xdb) X(0xdf) X(0xe1) X(0xe2) X(0xeb) X(0xef) X(0xf1) X(0xf2)      \
	X(0xf3) X(0xf8) X(0xf9) X(0xfa) X(0xfb) X(0xfc) X(0xfd) X(0xfe) X(0xd5) X(0xd8)      \
	X(0xd9) X(0xda) X(0xdc) X(0xdd) X(0xde) X(0xe0) X(0xe3) X(0xe8) X(0xe9) X(0xea)      \
	X(0xec) X(0xed) X(0xee) X(0xf4) X(0x63) X(0x67) X(0x6b) X(0xe4) X(0xe5) X(0xf5)      \
	X(0xf6)
INT_OPS(INT_FNS)
INT_FNS(0x14)
INT_FNS(0x15)
INT_FNS(0x114)
INT_FNS(0x115)

/* ---- shifts by an immediate and PSHUFD ---- */

/*
 * 66 0F 71/72/73 with ModRM.reg kind (2 PSRL, 4 PSRA, 6 PSLL; 73: 3 PSRLDQ, 7 PSLLDQ) on
 * lanes of width bits: xmm(rm) shifted by imm8.
 */
ALWAYS_INLINE bool shift_imm(struct cpu *cpu, const struct x86_instr *in, unsigned kind,
			     unsigned bits)
{
	unsigned n = in->imm & 0xff;
	union xmm_reg *x = &cpu->xmm[in->rm];
	v2u64 v = xmm_vec(x), zero = {0, 0};
	SSE_GATE(cpu);
	if (bits == 128) { /* whole register, by bytes: a window into (0, v) or (v, 0) */
		union xmm_reg w[2] = {{.q = {0, 0}}, {.q = {0, 0}}};
		n = n > 16 ? 16 : n;
		if (kind == 3) {
			xmm_put_vec(&w[0], v);
			memcpy(x->b, w[0].b + n, 16);
		} else {
			xmm_put_vec(&w[1], v);
			memcpy(x->b, w[1].b - n, 16);
		}
		return true;
	}
	if (kind == 4) {
		n = n > bits - 1 ? bits - 1 : n;
		v = bits == 16 ? SHIFT_LANES(v8i16, v, >>, n) : SHIFT_LANES(v4i32, v, >>, n);
	} else if (n > bits - 1) {
		v = zero;
	} else if (kind == 2) {
		v = bits == 16 ? SHIFT_LANES(v8u16, v, >>, n)
		    : bits == 32 ? SHIFT_LANES(v4u32, v, >>, n)
				 : SHIFT_LANES(v2u64, v, >>, n);
	} else {
		v = bits == 16 ? SHIFT_LANES(v8u16, v, <<, n)
		    : bits == 32 ? SHIFT_LANES(v4u32, v, <<, n)
				 : SHIFT_LANES(v2u64, v, <<, n);
	}
	xmm_put_vec(x, v);
	return true;
}

#define SHIFT_FN(kind, bits)                                                                 \
	HANDLER shift_##kind##_##bits(struct cpu *cpu, const struct x86_instr *in)       \
	{                                                                                    \
		return shift_imm(cpu, in, kind, bits);                                       \
	}
SHIFT_FN(2, 16)
SHIFT_FN(4, 16)
SHIFT_FN(6, 16)
SHIFT_FN(2, 32)
SHIFT_FN(4, 32)
SHIFT_FN(6, 32)
SHIFT_FN(2, 64)
SHIFT_FN(3, 128)
SHIFT_FN(6, 64)
SHIFT_FN(7, 128)

/* [opcode - 0x71][ModRM.reg]: the forms the decoder accepts. */
static const cpu_exec_fn shift_fns[3][8] = {
    {[2] = shift_2_16, [4] = shift_4_16, [6] = shift_6_16},
    {[2] = shift_2_32, [4] = shift_4_32, [6] = shift_6_32},
    {[2] = shift_2_64, [3] = shift_3_128, [6] = shift_6_64, [7] = shift_7_128},
};

/* 66 0F 70 PSHUFD xmm, xmm/m128, imm8: lane i of the result is source lane imm[2i+1:2i]. */
ALWAYS_INLINE bool pshufd(struct cpu *cpu, const struct x86_instr *in, unsigned form)
{
	union xmm_reg s, r;
	unsigned imm = in->imm & 0xff;
	bool mem = form != FORM_REG;
	if (!sse_check(cpu))
		return false;
	if (mem && !xmm_mem_read(cpu, in, 16, ALIGN_SSE, &s, form != FORM_MEM))
		return false;
	if (!mem)
		s = cpu->xmm[in->rm];
	for (unsigned i = 0; i < 4; i++)
		r.d[i] = s.d[(imm >> (2 * i)) & 3];
	xmm_put_vec(&cpu->xmm[in->reg], xmm_vec(&r));
	return true;
}

HANDLER pshufd_rr(struct cpu *cpu, const struct x86_instr *in)
{
	return pshufd(cpu, in, FORM_REG);
}

HANDLER pshufd_rm(struct cpu *cpu, const struct x86_instr *in)
{
	return pshufd(cpu, in, FORM_MEM);
}

HANDLER pshufd_rf(struct cpu *cpu, const struct x86_instr *in)
{
	return pshufd(cpu, in, FORM_FLAT);
}

/* (The flat shapes all take the general flat form: PSHUFD with memory is rarely hot.) */
static const cpu_exec_fn pshufd_fns[NR_FORMS] = {pshufd_rr, pshufd_rm, pshufd_rf,
						 pshufd_rf, pshufd_rf, pshufd_rf};

/* ---- floating-point arithmetic on the host, under the guest's MXCSR ---- */

/* Whether the host may run the guest's SSE arithmetic under the guest's own MXCSR: every
 * exception masked, so nothing can fault and the flags only accumulate. */
static inline bool mxcsr_all_masked(const struct cpu *cpu)
{
	return (cpu->mxcsr & MXCSR_MASKS) == MXCSR_MASKS;
}

/* Whether the host runs SSE arithmetic under the guest's MXCSR now and SSE is usable: the
 * fast forms' case. Held implies every exception masked (fpu_mxcsr_take asserts it, and
 * whatever changes cpu->mxcsr syncs first). */
static inline bool fp_ready(const struct cpu *cpu)
{
	return (cpu->fpu_held & FPU_HELD_MXCSR) && sse_ready(cpu);
}

/*
 * The first step of a compare or conversion (mem: with a memory operand): for a fast
 * register form (general: its general form, or NULL), anything but fp_ready leaves
 * through the general form as a tail call; otherwise an exception unmasked hands the
 * instruction to the generic handler, SSE unusable faults, and the host takes MXCSR.
 * Returns false when the caller must return ret.
 */
#define FP_BEGIN(cpu, in, col, general)                                                      \
	do {                                                                                 \
		if (general) {                                                               \
			if (unlikely(!fp_ready(cpu)))                                        \
				return general(cpu, in);                                     \
			break;                                                               \
		}                                                                            \
		if (unlikely(!mxcsr_all_masked(cpu)))                                        \
			return exec_sse_host(cpu, in, col);                                  \
		if (!sse_check(cpu))                                                         \
			return false;                                                        \
	} while (0)

/* "op %s, %d" for the instruction string insn: the register form of the guest's
 * instruction, on the host, under the MXCSR it holds. */
#define FP_ASM(insn) __asm__ volatile(insn " %1, %0" : "+x"(d) : "x"(s))

/* opcode (0F 51, 58, 59, 5C..5F) in column col (0 PS, 1 PD, 2 SS, 3 SD) on d and s. */
ALWAYS_INLINE v2u64 fp_op(unsigned opcode, unsigned col, v2u64 d, v2u64 s)
{
#define FP_CASE(opc, name)                                                                   \
	case opc * 4 + 0:                                                                    \
		FP_ASM(name "ps");                                                           \
		break;                                                                       \
	case opc * 4 + 1:                                                                    \
		FP_ASM(name "pd");                                                           \
		break;                                                                       \
	case opc * 4 + 2:                                                                    \
		FP_ASM(name "ss");                                                           \
		break;                                                                       \
	case opc * 4 + 3:                                                                    \
		FP_ASM(name "sd");                                                           \
		break;
	switch (opcode * 4 + col) {
		FP_CASE(0x51, "sqrt")
		FP_CASE(0x58, "add")
		FP_CASE(0x59, "mul")
		FP_CASE(0x5c, "sub")
		FP_CASE(0x5d, "min")
		FP_CASE(0x5e, "div")
		FP_CASE(0x5f, "max")
	}
#undef FP_CASE
	return d;
}

/* The memory operand's size of column col: 16 for PS/PD, 4 for SS, 8 for SD. */
#define FP_MSIZE(col) ((col) < 2 ? 16u : (col) == 2 ? 4u : 8u)

ALWAYS_INLINE bool fp_arith(struct cpu *cpu, const struct x86_instr *in, unsigned opcode,
			    unsigned col, unsigned form)
{
	union xmm_reg m;
	bool mem = form != FORM_REG;
	if (unlikely(!mxcsr_all_masked(cpu)))
		return exec_sse_host(cpu, in, col);
	if (!sse_check(cpu))
		return false;
	if (mem && !xmm_mem_read(cpu, in, FP_MSIZE(col), col < 2 ? ALIGN_SSE : ALIGN_NONE, &m,
				 form == FORM_FLAT))
		return false;
	fpu_hold_mxcsr(cpu);
	union xmm_reg *d = &cpu->xmm[in->reg];
	xmm_put_vec(d, fp_op(opcode, col, xmm_vec(d), xmm_vec(mem ? &m : &cpu->xmm[in->rm])));
	return true;
}

#define FP_FNS(opc, col)                                                                     \
	HANDLER fp_rr_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return fp_arith(cpu, in, opc, col, FORM_REG);                                \
	}                                                                                    \
	HANDLER fp_rm_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return fp_arith(cpu, in, opc, col, FORM_MEM);                                \
	}                                                                                    \
	HANDLER fp_rf_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return fp_arith(cpu, in, opc, col, FORM_FLAT);                               \
	}
#define FP_COLS(opc) FP_FNS(opc, 0) FP_FNS(opc, 1) FP_FNS(opc, 2) FP_FNS(opc, 3)
FP_COLS(0x51)
FP_COLS(0x58)
FP_COLS(0x59)
FP_COLS(0x5c)
FP_COLS(0x5d)
FP_COLS(0x5e)
FP_COLS(0x5f)

/* ---- compares into RFLAGS and conversions between doubles and integers ---- */

/*
 * 0F 2E/2F UCOMISS/COMISS (col 0), 66 0F 2E/2F UCOMISD/COMISD (col 1): ZF, PF and CF from
 * the host's compare of the low lanes (unordered: all three), OF, SF and AF cleared; the
 * compare of a NaN sets IE (COMIS: any NaN; UCOMIS: an SNaN) in the MXCSR the host holds.
 */
ALWAYS_INLINE bool comis(struct cpu *cpu, const struct x86_instr *in, bool ordered,
			 unsigned col, bool mem, cpu_exec_fn general)
{
	union xmm_reg m;
	bool zf, pf, cf;
	FP_BEGIN(cpu, in, col, general);
	if (mem && !xmm_mem_read(cpu, in, col ? 8 : 4, ALIGN_NONE, &m, false))
		return false;
	if (!general)
		fpu_hold_mxcsr(cpu);
	v2u64 d = xmm_vec(&cpu->xmm[in->reg]), s = xmm_vec(mem ? &m : &cpu->xmm[in->rm]);
#define COMIS_ASM(insn)                                                                      \
	__asm__ volatile(insn " %[s], %[d]"                                                  \
			 : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf)                             \
			 : [d] "x"(d), [s] "x"(s))
	if (ordered && col)
		COMIS_ASM("comisd");
	else if (ordered)
		COMIS_ASM("comiss");
	else if (col)
		COMIS_ASM("ucomisd");
	else
		COMIS_ASM("ucomiss");
#undef COMIS_ASM
	flags_set_status(cpu, (zf ? RFLAGS_ZF : 0) | (pf ? RFLAGS_PF : 0) | (cf ? RFLAGS_CF : 0));
	return true;
}

#define COMIS_FNS(name, ordered, col)                                                        \
	HANDLER name##_rr(struct cpu *cpu, const struct x86_instr *in)                   \
	{                                                                                    \
		return comis(cpu, in, ordered, col, false, NULL);                            \
	}                                                                                    \
	HANDLER name##_rm(struct cpu *cpu, const struct x86_instr *in)                   \
	{                                                                                    \
		return comis(cpu, in, ordered, col, true, NULL);                             \
	}                                                                                    \
	FAST_HANDLER name##_fr(struct cpu *cpu, const struct x86_instr *in)                  \
	{                                                                                    \
		return comis(cpu, in, ordered, col, false, name##_rr);                       \
	}
COMIS_FNS(ucomiss, false, 0)
COMIS_FNS(ucomisd, false, 1)
COMIS_FNS(comiss, true, 0)
COMIS_FNS(comisd, true, 1)

/* [opcode - 0x2e][col][memory form] (the register forms: their fast forms) */
static const cpu_exec_fn comis_fns[2][2][2] = {
    {{ucomiss_fr, ucomiss_rm}, {ucomisd_fr, ucomisd_rm}},
    {{comiss_fr, comiss_rm}, {comisd_fr, comisd_rm}},
};

/*
 * F3/F2 0F 2A CVTSI2SS/CVTSI2SD xmm, r/m32 (r/m64 with REX.W): the integer rounded under
 * MXCSR.RC into the low lane, the rest of the destination kept; PE when inexact.
 */
ALWAYS_INLINE bool cvtsi2f(struct cpu *cpu, const struct x86_instr *in, bool sd, unsigned size,
			   bool mem, cpu_exec_fn general)
{
	uint64_t g;
	FP_BEGIN(cpu, in, sd ? 3 : 2, general);
	if (mem && !cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, &g))
		return false;
	if (!mem)
		g = cpu->gpr[in->rm];
	if (!general)
		fpu_hold_mxcsr(cpu);
	union xmm_reg *x = &cpu->xmm[in->reg];
	v2u64 d = xmm_vec(x);
	if (size == 8 && sd)
		__asm__ volatile("cvtsi2sdq %1, %0" : "+x"(d) : "r"(g));
	else if (size == 8)
		__asm__ volatile("cvtsi2ssq %1, %0" : "+x"(d) : "r"(g));
	else if (sd)
		__asm__ volatile("cvtsi2sdl %k1, %0" : "+x"(d) : "r"(g));
	else
		__asm__ volatile("cvtsi2ssl %k1, %0" : "+x"(d) : "r"(g));
	xmm_put_vec(x, d);
	return true;
}

/*
 * F3/F2 0F 2C/2D CVTT*2SI/CVT*2SI r32 (r64 with REX.W), xmm/m32 or m64: the low lane
 * truncated (2C) or rounded under MXCSR.RC (2D); out of range or NaN: the integer
 * indefinite and IE. A 32-bit result zero-extends.
 */
ALWAYS_INLINE bool cvtf2si(struct cpu *cpu, const struct x86_instr *in, bool sd, bool trunc,
			   unsigned size, bool mem, cpu_exec_fn general)
{
	union xmm_reg m;
	uint64_t g;
	FP_BEGIN(cpu, in, sd ? 3 : 2, general);
	if (mem && !xmm_mem_read(cpu, in, sd ? 8 : 4, ALIGN_NONE, &m, false))
		return false;
	if (!general)
		fpu_hold_mxcsr(cpu);
	v2u64 s = xmm_vec(mem ? &m : &cpu->xmm[in->rm]);
#define CVT_ASM(insn, mod) __asm__ volatile(insn " %1, %" mod "0" : "=r"(g) : "x"(s))
	switch ((sd ? 4 : 0) | (trunc ? 2 : 0) | (size == 8)) {
	case 0:
		CVT_ASM("cvtss2si", "k");
		break;
	case 1:
		CVT_ASM("cvtss2si", "q");
		break;
	case 2:
		CVT_ASM("cvttss2si", "k");
		break;
	case 3:
		CVT_ASM("cvttss2si", "q");
		break;
	case 4:
		CVT_ASM("cvtsd2si", "k");
		break;
	case 5:
		CVT_ASM("cvtsd2si", "q");
		break;
	case 6:
		CVT_ASM("cvttsd2si", "k");
		break;
	default:
		CVT_ASM("cvttsd2si", "q");
		break;
	}
#undef CVT_ASM
	cpu->gpr[in->reg] = size == 8 ? g : (uint32_t)g;
	return true;
}

#define CVT_FNS(sd, size)                                                                    \
	HANDLER cvtsi2f_rr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return cvtsi2f(cpu, in, sd, size, false, NULL);                              \
	}                                                                                    \
	HANDLER cvtsi2f_rm_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return cvtsi2f(cpu, in, sd, size, true, NULL);                               \
	}                                                                                    \
	FAST_HANDLER cvtsi2f_fr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)   \
	{                                                                                    \
		return cvtsi2f(cpu, in, sd, size, false, cvtsi2f_rr_##sd##_##size);          \
	}                                                                                    \
	HANDLER cvtf2si_rr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, false, size, false, NULL);                       \
	}                                                                                    \
	HANDLER cvtf2si_rm_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)    \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, false, size, true, NULL);                        \
	}                                                                                    \
	FAST_HANDLER cvtf2si_fr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)   \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, false, size, false, cvtf2si_rr_##sd##_##size);   \
	}                                                                                    \
	HANDLER cvttf2si_rr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)   \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, true, size, false, NULL);                        \
	}                                                                                    \
	HANDLER cvttf2si_rm_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)   \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, true, size, true, NULL);                         \
	}                                                                                    \
	FAST_HANDLER cvttf2si_fr_##sd##_##size(struct cpu *cpu, const struct x86_instr *in)  \
	{                                                                                    \
		return cvtf2si(cpu, in, sd, true, size, false, cvttf2si_rr_##sd##_##size);   \
	}
CVT_FNS(0, 4)
CVT_FNS(0, 8)
CVT_FNS(1, 4)
CVT_FNS(1, 8)

/* The register forms: their fast forms. */
#define CVT_ROW(sd)                                                                          \
	{{{cvtsi2f_fr_##sd##_4, cvtsi2f_rm_##sd##_4}, {cvtsi2f_fr_##sd##_8, cvtsi2f_rm_##sd##_8}}, \
	 {{0, 0}, {0, 0}},                                                                   \
	 {{cvttf2si_fr_##sd##_4, cvttf2si_rm_##sd##_4},                                      \
	  {cvttf2si_fr_##sd##_8, cvttf2si_rm_##sd##_8}},                                     \
	 {{cvtf2si_fr_##sd##_4, cvtf2si_rm_##sd##_4}, {cvtf2si_fr_##sd##_8, cvtf2si_rm_##sd##_8}}}
/* [col == 3: SD][opcode - 0x2a][REX.W][memory form] */
static const cpu_exec_fn cvt_fns[2][4][2][2] = {CVT_ROW(0), CVT_ROW(1)};

/* ---- moves ---- */

/* A 128-bit move's three forms: xmm(reg) = xmm/m128 (load), m128 = xmm(reg) (store),
 * and between registers (store false: reg = rm; true: rm = reg). */
ALWAYS_INLINE bool mov128_load(struct cpu *cpu, const struct x86_instr *in, int align,
				bool flat)
{
	union xmm_reg v;
	if (!sse_check(cpu) || !xmm_mem_read(cpu, in, 16, align, &v, flat))
		return false;
	xmm_put_vec(&cpu->xmm[in->reg], xmm_vec(&v));
	return true;
}

ALWAYS_INLINE bool mov128_store(struct cpu *cpu, const struct x86_instr *in, int align,
				 bool flat)
{
	return sse_check(cpu) && xmm_mem_write(cpu, in, 16, align, &cpu->xmm[in->reg], flat);
}

HANDLER mov128_rr_load(struct cpu *cpu, const struct x86_instr *in)
{
	SSE_GATE(cpu);
	xmm_put_vec(&cpu->xmm[in->reg], xmm_vec(&cpu->xmm[in->rm]));
	return true;
}

HANDLER mov128_rr_store(struct cpu *cpu, const struct x86_instr *in)
{
	SSE_GATE(cpu);
	xmm_put_vec(&cpu->xmm[in->rm], xmm_vec(&cpu->xmm[in->reg]));
	return true;
}

#define MOV128_FNS(name, align)                                                              \
	HANDLER name##_load(struct cpu *cpu, const struct x86_instr *in)                     \
	{                                                                                    \
		return mov128_load(cpu, in, align, false);                                   \
	}                                                                                    \
	HANDLER name##_load_f(struct cpu *cpu, const struct x86_instr *in)                   \
	{                                                                                    \
		return mov128_load(cpu, in, align, true);                                    \
	}                                                                                    \
	HANDLER name##_store(struct cpu *cpu, const struct x86_instr *in)                    \
	{                                                                                    \
		return mov128_store(cpu, in, align, false);                                  \
	}                                                                                    \
	HANDLER name##_store_f(struct cpu *cpu, const struct x86_instr *in)                  \
	{                                                                                    \
		return mov128_store(cpu, in, align, true);                                   \
	}
MOV128_FNS(movu, ALIGN_NONE)
MOV128_FNS(mova, ALIGN_ALWAYS)


/* F3/F2 0F 10 MOVSS/MOVSD xmm, m32/m64: zero-extended. */
ALWAYS_INLINE bool movs_load(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			      bool flat)
{
	union xmm_reg v;
	if (!sse_check(cpu) || !xmm_mem_read(cpu, in, size, ALIGN_NONE, &v, flat))
		return false;
	xmm_put_vec(&cpu->xmm[in->reg], xmm_vec(&v));
	return true;
}

/* F3/F2 0F 11 MOVSS/MOVSD m32/m64, xmm. */
ALWAYS_INLINE bool movs_store(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			       bool flat)
{
	return sse_check(cpu) &&
	       xmm_mem_write(cpu, in, size, ALIGN_NONE, &cpu->xmm[in->reg], flat);
}

/* F3/F2 0F 10/11 between registers: the low lane of the source merges into the
 * destination (10: reg = rm, 11: rm = reg). */
ALWAYS_INLINE bool movs_rr(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			   bool store)
{
	SSE_GATE(cpu);
	union xmm_reg *d = &cpu->xmm[store ? in->rm : in->reg];
	v2u64 v = xmm_vec(d), s = xmm_vec(&cpu->xmm[store ? in->reg : in->rm]);
	if (size == 8)
		v[0] = s[0];
	else
		v = (v2u64)__builtin_shuffle((v4u32)v, (v4u32)s, (v4u32){4, 1, 2, 3});
	xmm_put_vec(d, v);
	return true;
}

#define MOVS_FNS(size)                                                                       \
	HANDLER movs_load_##size(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return movs_load(cpu, in, size, false);                                      \
	}                                                                                    \
	HANDLER movs_load_f_##size(struct cpu *cpu, const struct x86_instr *in)          \
	{                                                                                    \
		return movs_load(cpu, in, size, true);                                       \
	}                                                                                    \
	HANDLER movs_store_##size(struct cpu *cpu, const struct x86_instr *in)           \
	{                                                                                    \
		return movs_store(cpu, in, size, false);                                     \
	}                                                                                    \
	HANDLER movs_store_f_##size(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return movs_store(cpu, in, size, true);                                      \
	}                                                                                    \
	HANDLER movs_rr_load_##size(struct cpu *cpu, const struct x86_instr *in)         \
	{                                                                                    \
		return movs_rr(cpu, in, size, false);                                        \
	}                                                                                    \
	HANDLER movs_rr_store_##size(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return movs_rr(cpu, in, size, true);                                         \
	}
MOVS_FNS(4)
MOVS_FNS(8)


/* F3 0F 7E MOVQ xmm, xmm/m64 and 66 0F D6 MOVQ xmm/m64, xmm: the upper half cleared. */

HANDLER movq_rr_load(struct cpu *cpu, const struct x86_instr *in)
{
	SSE_GATE(cpu);
	xmm_set(&cpu->xmm[in->reg], cpu->xmm[in->rm].q[0], 0);
	return true;
}

HANDLER movq_rr_store(struct cpu *cpu, const struct x86_instr *in)
{
	SSE_GATE(cpu);
	xmm_set(&cpu->xmm[in->rm], cpu->xmm[in->reg].q[0], 0);
	return true;
}

/* 66 0F 6E MOVD/MOVQ xmm, r32/r64 and 66 0F 7E MOVD/MOVQ r32/r64, xmm (REX.W: 64). */
ALWAYS_INLINE bool movd_rr(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			   bool to_gpr)
{
	SSE_GATE(cpu);
	if (to_gpr)
		cpu->gpr[in->rm] = cpu->xmm[in->reg].q[0] & size_mask(size);
	else
		xmm_set(&cpu->xmm[in->reg], cpu->gpr[in->rm] & size_mask(size), 0);
	return true;
}

#define MOVD_FNS(size)                                                                       \
	HANDLER movd_to_xmm_##size(struct cpu *cpu, const struct x86_instr *in)          \
	{                                                                                    \
		return movd_rr(cpu, in, size, false);                                        \
	}                                                                                    \
	HANDLER movd_to_gpr_##size(struct cpu *cpu, const struct x86_instr *in)          \
	{                                                                                    \
		return movd_rr(cpu, in, size, true);                                         \
	}
MOVD_FNS(4)
MOVD_FNS(8)

/* ---- fast forms ---- */

/*
 * The commonest forms again, made for one flat operand shape each (FORM_BASE, FORM_BI,
 * FORM_RIP: cpu/fpu_mem.h) and for the host state they expect: SSE usable, and for the
 * arithmetic the guest's MXCSR held by the host (which implies every exception masked:
 * fpu_mxcsr_take asserts it, and whatever changes cpu->mxcsr syncs first). The operand
 * is read or written on the MMU's inline fast path, counted as the general form's
 * accesses are counted. Any other case runs the handler of the general form (general),
 * from the start: nothing has changed when it is called.
 */

/* The host address of the flat operand of form (FORM_BASE..FORM_RIP) for reading size
 * (4, 8 or 16) bytes, the general form's one or two accesses counted; NULL when the fast
 * path cannot take it (a miss, a misaligned 16-byte operand: #GP, or MXCSR.MM's two
 * accesses that may cross a page), nothing counted. */
ALWAYS_INLINE const uint8_t *fast_src(struct cpu *cpu, const struct x86_instr *in,
				      unsigned form, unsigned size)
{
	uint64_t la = flat_la(cpu, in, (enum flat_shape)(form - FORM_BASE));
	if (size == 16 && (la & 15))
		return NULL;
	return fpu_fast_access(cpu->mmu, la, size == 16 ? 8 : size, MMU_READ, size == 16 ? 2 : 1);
}

/* The same for writing: the general form probes each 8-byte part and then writes it, so
 * two accesses per part are counted. Nothing to note: a write fast entry never maps a
 * frame with decoded code (the MMU's write-watched frames; cpu_fast_store), so a store
 * into code misses here and the general form notes it. */
ALWAYS_INLINE uint8_t *fast_dst(struct cpu *cpu, const struct x86_instr *in, unsigned form,
				unsigned size)
{
	uint64_t la = flat_la(cpu, in, (enum flat_shape)(form - FORM_BASE));
	if (size == 16 && (la & 15))
		return NULL;
	return fpu_fast_access(cpu->mmu, la, size == 16 ? 8 : size, MMU_WRITE,
			       size == 16 ? 4 : 2);
}

/* size (4, 8 or 16) bytes at p, zero-extended to 128 bits. */
ALWAYS_INLINE v2u64 load_op(const uint8_t *p, unsigned size)
{
	v2u64 v = {0, 0};
	if (size == 16) {
		memcpy(&v, p, 16);
	} else if (size == 8) {
		uint64_t q;
		memcpy(&q, p, 8);
		v[0] = q;
	} else {
		uint32_t d;
		memcpy(&d, p, 4);
		v[0] = d;
	}
	return v;
}

/* ADD/SUB/MUL/DIV/SQRT/MIN/MAX: fp_arith's common case. */
ALWAYS_INLINE bool fp_fast(struct cpu *cpu, const struct x86_instr *in, unsigned opcode,
			   unsigned col, unsigned form, cpu_exec_fn general)
{
	v2u64 s;
	if (unlikely(!fp_ready(cpu)))
		return general(cpu, in);
	if (form == FORM_REG) {
		s = xmm_vec(&cpu->xmm[in->rm]);
	} else {
		const uint8_t *p = fast_src(cpu, in, form, FP_MSIZE(col));
		if (unlikely(p == NULL))
			return general(cpu, in);
		s = load_op(p, FP_MSIZE(col));
	}
	union xmm_reg *d = &cpu->xmm[in->reg];
	xmm_put_vec(d, fp_op(opcode, col, xmm_vec(d), s));
	return true;
}

#define FP_FAST_FNS(opc, col)                                                                \
	FAST_HANDLER fp_fr_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return fp_fast(cpu, in, opc, col, FORM_REG, fp_rr_##opc##_##col);            \
	}                                                                                    \
	FAST_HANDLER fp_fb_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return fp_fast(cpu, in, opc, col, FORM_BASE, fp_rf_##opc##_##col);           \
	}                                                                                    \
	FAST_HANDLER fp_fi_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return fp_fast(cpu, in, opc, col, FORM_BI, fp_rf_##opc##_##col);             \
	}                                                                                    \
	FAST_HANDLER fp_fp_##opc##_##col(struct cpu *cpu, const struct x86_instr *in)        \
	{                                                                                    \
		return fp_fast(cpu, in, opc, col, FORM_RIP, fp_rf_##opc##_##col);            \
	}
#define FP_FAST_COLS(opc)                                                                    \
	FP_FAST_FNS(opc, 0) FP_FAST_FNS(opc, 1) FP_FAST_FNS(opc, 2) FP_FAST_FNS(opc, 3)
#define FP_FAST_ROW1(opc, col)                                                               \
	{fp_fr_##opc##_##col, fp_rm_##opc##_##col, fp_rf_##opc##_##col,                      \
	 fp_fb_##opc##_##col, fp_fi_##opc##_##col, fp_fp_##opc##_##col}
#define FP_FAST_ROW(opc)                                                                     \
	[opc - 0x50] = {FP_FAST_ROW1(opc, 0), FP_FAST_ROW1(opc, 1), FP_FAST_ROW1(opc, 2),    \
			FP_FAST_ROW1(opc, 3)},
FP_FAST_COLS(0x51)
FP_FAST_COLS(0x58)
FP_FAST_COLS(0x59)
FP_FAST_COLS(0x5c)
FP_FAST_COLS(0x5d)
FP_FAST_COLS(0x5e)
FP_FAST_COLS(0x5f)
/* [opcode - 0x50][col][form] */
static const cpu_exec_fn fp_fns[16][4][NR_FORMS] = {
    FP_FAST_ROW(0x51) FP_FAST_ROW(0x58) FP_FAST_ROW(0x59) FP_FAST_ROW(0x5c) FP_FAST_ROW(0x5d)
	FP_FAST_ROW(0x5e) FP_FAST_ROW(0x5f)};

/* The integer operations with a memory source: int_rm's common case. */
ALWAYS_INLINE bool int_fast(struct cpu *cpu, const struct x86_instr *in, unsigned opcode,
			    unsigned form, cpu_exec_fn general)
{
	if (unlikely(!sse_ready(cpu)))
		return general(cpu, in);
	const uint8_t *p = fast_src(cpu, in, form, 16);
	if (unlikely(p == NULL))
		return general(cpu, in);
	union xmm_reg *d = &cpu->xmm[in->reg];
	xmm_put_vec(d, int_op(opcode, xmm_vec(d), load_op(p, 16)));
	return true;
}

#define INT_FAST_FNS(opc)                                                                    \
	FAST_HANDLER int_fb_##opc(struct cpu *cpu, const struct x86_instr *in)               \
	{                                                                                    \
		return int_fast(cpu, in, opc, FORM_BASE, int_rf_##opc);                      \
	}                                                                                    \
	FAST_HANDLER int_fi_##opc(struct cpu *cpu, const struct x86_instr *in)               \
	{                                                                                    \
		return int_fast(cpu, in, opc, FORM_BI, int_rf_##opc);                        \
	}                                                                                    \
	FAST_HANDLER int_fp_##opc(struct cpu *cpu, const struct x86_instr *in)               \
	{                                                                                    \
		return int_fast(cpu, in, opc, FORM_RIP, int_rf_##opc);                       \
	}
#define INT_ROW(opc)                                                                         \
	[opc] = {int_rr_##opc, int_rm_##opc, int_rf_##opc,                                   \
		 int_fb_##opc, int_fi_##opc, int_fp_##opc},
#define INT_FORMS(opc)                                                                       \
	{int_rr_##opc, int_rm_##opc, int_rf_##opc, int_fb_##opc, int_fi_##opc, int_fp_##opc}
INT_OPS(INT_FAST_FNS)
INT_FAST_FNS(0x14)
INT_FAST_FNS(0x15)
INT_FAST_FNS(0x114)
INT_FAST_FNS(0x115)
/* [opcode][form]; only the 66 0F forms (and 0F 54..57) have them. */
static const cpu_exec_fn int_fns[256][NR_FORMS] = {INT_OPS(INT_ROW)};
/* 0F 14/15 UNPCKLPS/UNPCKHPS and 66 0F 14/15 UNPCKLPD/UNPCKHPD: [col][opcode - 0x14][form] */
static const cpu_exec_fn unpck_fns[2][2][NR_FORMS] = {
    {INT_FORMS(0x14), INT_FORMS(0x15)},
    {INT_FORMS(0x114), INT_FORMS(0x115)},
};

/* The loads: mov128_load's and movs_load's common case (size 16 with its alignment rule:
 * a misaligned operand goes to the general form, which faults or reads it in two). */
ALWAYS_INLINE bool load_fast(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			     unsigned form, cpu_exec_fn general)
{
	if (unlikely(!sse_ready(cpu)))
		return general(cpu, in);
	const uint8_t *p = fast_src(cpu, in, form, size);
	if (unlikely(p == NULL))
		return general(cpu, in);
	xmm_put_vec(&cpu->xmm[in->reg], load_op(p, size));
	return true;
}

/*
 * While an MMU tracer is attached the inline fast path holds no data page: the host
 * address of a 16-byte store's aligned operand through the traced look-up, its four
 * accesses (both halves probed, then written: xmm_mem_write) made and told in one call;
 * NULL, nothing done, when that look-up does not take them (the general form then makes
 * them one by one, as before).
 */
static __attribute__((noinline)) uint8_t *traced_dst16(struct cpu *cpu,
						       const struct x86_instr *in,
						       unsigned form)
{
	uint64_t la = flat_la(cpu, in, (enum flat_shape)(form - FORM_BASE));
	if (la & 15)
		return NULL;
	return mmu_trace_fast_try_parts(cpu->mmu, la, 8, 2, 2,
					seg_flags(insn_seg(in)) | MMU_WRITE);
}

/* The stores: mov128_store's and movs_store's common case. */
ALWAYS_INLINE bool store_fast(struct cpu *cpu, const struct x86_instr *in, unsigned size,
			      unsigned form, cpu_exec_fn general)
{
	if (unlikely(!sse_ready(cpu)))
		return general(cpu, in);
	uint8_t *p = fast_dst(cpu, in, form, size);
	if (unlikely(p == NULL) &&
	    (size != 16 || likely(cpu->mmu->tracer == NULL) || !(p = traced_dst16(cpu, in, form))))
		return general(cpu, in);
	if (size == 16)
		memcpy(p, cpu->xmm[in->reg].b, 16);
	else if (size == 8)
		memcpy(p, cpu->xmm[in->reg].b, 8);
	else
		memcpy(p, cpu->xmm[in->reg].b, 4);
	return true;
}

#define MOV_FAST_FNS(name, size, load_general, store_general)                                \
	FAST_HANDLER name##_load_fb(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                    \
		return load_fast(cpu, in, size, FORM_BASE, load_general);                    \
	}                                                                                    \
	FAST_HANDLER name##_load_fi(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                    \
		return load_fast(cpu, in, size, FORM_BI, load_general);                      \
	}                                                                                    \
	FAST_HANDLER name##_load_fp(struct cpu *cpu, const struct x86_instr *in)             \
	{                                                                                    \
		return load_fast(cpu, in, size, FORM_RIP, load_general);                     \
	}                                                                                    \
	FAST_HANDLER name##_store_fb(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return store_fast(cpu, in, size, FORM_BASE, store_general);                  \
	}                                                                                    \
	FAST_HANDLER name##_store_fi(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return store_fast(cpu, in, size, FORM_BI, store_general);                    \
	}                                                                                    \
	FAST_HANDLER name##_store_fp(struct cpu *cpu, const struct x86_instr *in)            \
	{                                                                                    \
		return store_fast(cpu, in, size, FORM_RIP, store_general);                   \
	}
MOV_FAST_FNS(movu, 16, movu_load_f, movu_store_f)
MOV_FAST_FNS(mova, 16, mova_load_f, mova_store_f)
MOV_FAST_FNS(movs4, 4, movs_load_f_4, movs_store_f_4)
MOV_FAST_FNS(movs8, 8, movs_load_f_8, movs_store_f_8)

#define MOV_FORMS(rr, name, fast, dir)                                                       \
	{rr, name##_##dir, name##_##dir##_f, fast##_##dir##_fb, fast##_##dir##_fi,           \
	 fast##_##dir##_fp}

/* [aligned][store][form] */
static const cpu_exec_fn mov128_fns[2][2][NR_FORMS] = {
    {MOV_FORMS(mov128_rr_load, movu, movu, load), MOV_FORMS(mov128_rr_store, movu, movu, store)},
    {MOV_FORMS(mov128_rr_load, mova, mova, load), MOV_FORMS(mov128_rr_store, mova, mova, store)},
};

#define MOVS_FORMS(rr, size, dir)                                                            \
	{rr, movs_##dir##_##size, movs_##dir##_f_##size, movs##size##_##dir##_fb,            \
	 movs##size##_##dir##_fi, movs##size##_##dir##_fp}

/* [size == 8][0F 11: store][form] */
static const cpu_exec_fn movs_fns[2][2][NR_FORMS] = {
    {MOVS_FORMS(movs_rr_load_4, 4, load), MOVS_FORMS(movs_rr_store_4, 4, store)},
    {MOVS_FORMS(movs_rr_load_8, 8, load), MOVS_FORMS(movs_rr_store_8, 8, store)},
};

/* [66 0F D6: store][form]: the memory forms are MOVSD's. */
static const cpu_exec_fn movq_fns[2][NR_FORMS] = {
    MOVS_FORMS(movq_rr_load, 8, load),
    MOVS_FORMS(movq_rr_store, 8, store),
};

/* ---- the choice ---- */

/* The moves of (col, opcode, form), or NULL. */
static cpu_exec_fn specialise_mov(const struct x86_instr *in, unsigned col, unsigned form)
{
	unsigned op = in->opcode;
	bool wide = (in->rex & X86_REX_W) != 0;
	switch (op) {
	case 0x10: /* MOVUPS/MOVUPD, MOVSS/MOVSD */
	case 0x11:
		if (col >= 2)
			return movs_fns[col == 3][op == 0x11][form];
		return mov128_fns[0][op == 0x11][form];
	case 0x28: /* MOVAPS/MOVAPD */
	case 0x29:
		return col < 2 ? mov128_fns[1][op == 0x29][form] : NULL;
	case 0x6f: /* 66: MOVDQA, F3: MOVDQU */
	case 0x7f:
		if (col != 1 && col != 2)
			return NULL;
		return mov128_fns[col == 1][op == 0x7f][form];
	case 0x7e: /* F3: MOVQ xmm, xmm/m64; 66: MOVD/MOVQ r/m, xmm */
		if (col == 2)
			return movq_fns[0][form];
		if (col == 1 && form == FORM_REG)
			return wide ? movd_to_gpr_8 : movd_to_gpr_4;
		return NULL;
	case 0xd6: /* 66: MOVQ xmm/m64, xmm */
		return col == 1 ? movq_fns[1][form] : NULL;
	case 0x6e: /* 66: MOVD/MOVQ xmm, r/m */
		if (col != 1 || form != FORM_REG)
			return NULL;
		return wide ? movd_to_xmm_8 : movd_to_xmm_4;
	}
	return NULL;
}

/* The form of a flat memory operand: its shape's fast form, else the general flat one. */
static unsigned flat_form(const struct x86_instr *in)
{
	enum flat_shape s = flat_shape(in);
	return s == FLAT_OTHER ? FORM_FLAT : FORM_BASE + (unsigned)s;
}

cpu_exec_fn cpu_sse_specialise(const struct x86_instr *in, unsigned col)
{
	unsigned op = in->opcode, reg = (in->modrm >> 3) & 7;
	bool mem = in->mod != 3;
	unsigned form = !mem ? FORM_REG : !insn_flat64(in) ? FORM_MEM : flat_form(in);
	if (in->map != 1 || !(in->flags & X86_INSN_MODRM))
		return NULL;
	if (col == 1 && int_fns[op][0])
		return int_fns[op][form];
	if (col == 0 && op >= 0x54 && op <= 0x57)
		return int_fns[op][form];
	if (col < 2 && (op == 0x14 || op == 0x15))
		return unpck_fns[col][op - 0x14][form];
	if (col < 2 && (op == 0x2e || op == 0x2f)) /* (no flat forms: rarely hot) */
		return comis_fns[op - 0x2e][col][mem];
	if (col >= 2 && (op == 0x2a || op == 0x2c || op == 0x2d))
		return cvt_fns[col == 3][op - 0x2a][(in->rex & X86_REX_W) != 0][mem];
	if (op >= 0x50 && op < 0x60 && fp_fns[op - 0x50][col][0])
		return fp_fns[op - 0x50][col][form];
	if (col == 1 && op >= 0x71 && op <= 0x73 && !mem)
		return shift_fns[op - 0x71][reg];
	if (col == 1 && op == 0x70)
		return pshufd_fns[form];
	return specialise_mov(in, col, form);
}

/* The fast forms of flat shapes a block's host code can run itself (cpu/jit_mem.c): the
 * scalar moves and arithmetic, whose operand is one 4- or 8-byte access (or two of a
 * store: its probe and its write), and the 16-byte moves. */
bool cpu_sse_mem_op(cpu_exec_fn fn, struct jit_mem_op *op)
{
	static const uint8_t shapes[] = {[FORM_BASE] = JM_BASE, [FORM_BI] = JM_SIB,
					 [FORM_RIP] = JM_RIP};
	for (unsigned form = FORM_BASE; form <= FORM_RIP; form++) {
		for (unsigned wide = 0; wide < 2; wide++) {
			struct jit_mem_op o = {JM_NONE, shapes[form], wide ? 8 : 4, 0};
			if (fn == movs_fns[wide][0][form])
				o.kind = JM_XMM_LOAD;
			else if (fn == movs_fns[wide][1][form])
				o.kind = JM_XMM_STORE;
			else if (fn == mov128_fns[wide][0][form])
				o.kind = JM_XMM_LOAD16, o.size = 16;
			else if (fn == mov128_fns[wide][1][form])
				o.kind = JM_XMM_STORE16, o.size = 16;
			for (unsigned opc = 0x51; opc < 0x60 && o.kind == JM_NONE; opc++)
				if (fp_fns[opc - 0x50][2 + wide][0] &&
				    fn == fp_fns[opc - 0x50][2 + wide][form]) {
					o.kind = JM_XMM_FP;
					o.op = (uint8_t)opc;
				}
			if (o.kind != JM_NONE) {
				*op = o;
				return true;
			}
		}
	}
	return false;
}
