/*
 * cpu/opcode_table.c - the x86 opcode maps (Intel SDM Vol. 2, Appendix A), written in the
 * manual's operand notation.
 *
 * Covered: the one-byte map, the two-byte 0F map, the three-byte 0F 38 and 0F 3A maps as
 * far as SSE4.2 (plus AES-NI, SHA, CLMUL, MOVBE, CRC32, ADX), the group opcodes
 * (Appendix A.4), the x87 escape opcodes D8-DF (Appendix A.5) and the mandatory-prefix
 * forms of SSE. VEX/EVEX encodings are recognised in decode.c, not here.
 *
 * The decoder recognises every encoding the architecture defines; whether the modelled
 * processor implements an instruction (VMX, 3DNow!, ...) is the interpreter's business, as
 * CPUID says. Mnemonics are spelt as Capstone spells them, so the Capstone oracle can
 * compare them; where the manual and Capstone disagree, docs/cpu.md says which one wins.
 */
#include "cpu/opcode_table.h"

#include "cpu/decode.h"

/* The tables are laid out by hand, one opcode per line or aligned rows as in the SDM. */
/* clang-format off */

/* Operands in the SDM's notation. */
#define Ap OPND(A, OT_p)
#define Cd OPND(C, OT_d)
#define Dd OPND(D, OT_d)
#define Eb OPND(E, OT_b)
#define Ew OPND(E, OT_w)
#define Ed OPND(E, OT_d)
#define Eq OPND(E, OT_q)
#define Ev OPND(E, OT_v)
#define Ey OPND(E, OT_y)
#define Gb OPND(G, OT_b)
#define Gw OPND(G, OT_w)
#define Gd OPND(G, OT_d)
#define Gv OPND(G, OT_v)
#define Gy OPND(G, OT_y)
#define Gz OPND(G, OT_z)
#define Ib OPND(I, OT_b)
#define Iw OPND(I, OT_w)
#define Iv OPND(I, OT_v)
#define Iz OPND(I, OT_z)
#define Jb OPND(J, OT_b)
#define Jz OPND(J, OT_z)
#define M OPND(M, OT_NONE)
#define Ma OPND(M, OT_a)
#define Mb OPND(M, OT_b)
#define Mw OPND(M, OT_w)
#define Md OPND(M, OT_d)
#define Mq OPND(M, OT_q)
#define Mt OPND(M, OT_t)
#define Mp OPND(M, OT_p)
#define Ms OPND(M, OT_s)
#define Mdq OPND(M, OT_dq)
#define My OPND(M, OT_y)
#define Me OPND(M, OT_e)
#define Mst OPND(M, OT_st)
#define Nq OPND(N, OT_q)
#define Ob OPND(O, OT_b)
#define Ov OPND(O, OT_v)
#define Pd OPND(P, OT_d)
#define Pq OPND(P, OT_q)
#define Qd OPND(Q, OT_d)
#define Qq OPND(Q, OT_q)
#define Rd OPND(R, OT_d)
#define Rv OPND(R, OT_v)
#define Ry OPND(R, OT_y)
#define Sw OPND(S, OT_w)
#define Udq OPND(U, OT_dq)
#define Ux OPND(U, OT_x)
#define Vdq OPND(V, OT_dq)
#define Vx OPND(V, OT_x)
#define Vq OPND(V, OT_q)
#define Vss OPND(V, OT_ss)
#define Vsd OPND(V, OT_sd)
#define Vy OPND(V, OT_y)
#define Wx OPND(W, OT_x)
#define Wq OPND(W, OT_q)
#define Wd OPND(W, OT_d)
#define Wss OPND(W, OT_ss)
#define Wsd OPND(W, OT_sd)
#define Xb OPND(X, OT_b)
#define Xv OPND(X, OT_v)
#define Xz OPND(X, OT_z)
#define Yb OPND(Y, OT_b)
#define Yv OPND(Y, OT_v)
#define Yz OPND(Y, OT_z)
#define Zb OPND(Z, OT_b)
#define Zv OPND(Z, OT_v)
#define AL OPND(REG, 0 | OT_bytereg)
#define CL OPND(REG, 1 | OT_bytereg)
#define rAX OPND(REG, 0)
#define DX OPND(REG, 2) /* the port number register: always 16 bits */
#define ES OPND(SREG, X86_SEG_ES)
#define CS OPND(SREG, X86_SEG_CS)
#define SS OPND(SREG, X86_SEG_SS)
#define DS OPND(SREG, X86_SEG_DS)
#define FS OPND(SREG, X86_SEG_FS)
#define GS OPND(SREG, X86_SEG_GS)
#define ONE OPND(ONE, OT_b)
#define ST0 OPND(ST0, OT_t)
#define STi OPND(STI, OT_t)
#define XMM0 OPND(XMM0, OT_dq)

/* Entry constructors. */
#define I(mn, fl, ...) {.kind = OPC_INSN, .flags = (fl), .mnemonic = (mn), .operand = {__VA_ARGS__}}
#define SEL(k, t) {.kind = (k), .next = (t)}
#define BY_REG(t) SEL(OPC_BY_REG, t)
#define BY_MOD(t) SEL(OPC_BY_MOD, t)
#define BY_RM(t) SEL(OPC_BY_RM, t)
#define BY_PFX(t) SEL(OPC_BY_PFX, t)
#define BY_REXW(t) SEL(OPC_BY_REXW, t)
#define BY_MODE64(t) SEL(OPC_BY_MODE64, t)
#define NONE {.kind = OPC_INVALID}
/* Selectors over an inline child table. */
#define SUB(k, n, ...) SEL(k, ((const struct x86_opcode[n]){__VA_ARGS__}))
#define PFX(...) SUB(OPC_BY_PFX, 4, __VA_ARGS__)
#define MOD(...) SUB(OPC_BY_MOD, 2, __VA_ARGS__)
#define REG(...) SUB(OPC_BY_REG, 8, __VA_ARGS__)
#define RM(...) SUB(OPC_BY_RM, 8, __VA_ARGS__)
#define REXW(...) SUB(OPC_BY_REXW, 2, __VA_ARGS__)

/* ---------------------------------------------------------------- one-byte map groups */

/* Group 1 (80-83): the eight ALU operations; CMP alone may not be locked. */
#define GRP1(dst, src)                                                                     \
	{                                                                                  \
		I("add", F_LOCK, dst, src), I("or", F_LOCK, dst, src),                     \
		    I("adc", F_LOCK, dst, src), I("sbb", F_LOCK, dst, src),                \
		    I("and", F_LOCK, dst, src), I("sub", F_LOCK, dst, src),                \
		    I("xor", F_LOCK, dst, src), I("cmp", 0, dst, src)                      \
	}
static const struct x86_opcode grp1_80[8] = GRP1(Eb, Ib);
static const struct x86_opcode grp1_81[8] = GRP1(Ev, Iz);
static const struct x86_opcode grp1_83[8] = GRP1(Ev, Ib);

/* 82 is an alias of 80, removed from 64-bit mode. */
#define GRP1_I64(dst, src)                                                                 \
	{                                                                                  \
		I("add", F_LOCK | F_I64, dst, src), I("or", F_LOCK | F_I64, dst, src),     \
		    I("adc", F_LOCK | F_I64, dst, src), I("sbb", F_LOCK | F_I64, dst, src), \
		    I("and", F_LOCK | F_I64, dst, src), I("sub", F_LOCK | F_I64, dst, src), \
		    I("xor", F_LOCK | F_I64, dst, src), I("cmp", F_I64, dst, src)          \
	}
static const struct x86_opcode grp1_82[8] = GRP1_I64(Eb, Ib);

/* Group 1A (8F): POP Ev; /1-/7 is the AMD XOP escape, not implemented. */
static const struct x86_opcode grp1a_8f[8] = {I("pop", F_D64, Ev)};

/* Group 2 (C0, C1, D0-D3): rotates and shifts; /6 is the SAL alias of SHL. */
#define GRP2(dst, src)                                                                     \
	{                                                                                  \
		I("rol", 0, dst, src), I("ror", 0, dst, src), I("rcl", 0, dst, src),       \
		    I("rcr", 0, dst, src), I("shl", 0, dst, src), I("shr", 0, dst, src),   \
		    I("sal", 0, dst, src), I("sar", 0, dst, src)                           \
	}
static const struct x86_opcode grp2_c0[8] = GRP2(Eb, Ib);
static const struct x86_opcode grp2_c1[8] = GRP2(Ev, Ib);
static const struct x86_opcode grp2_d0[8] = GRP2(Eb, ONE);
static const struct x86_opcode grp2_d1[8] = GRP2(Ev, ONE);
static const struct x86_opcode grp2_d2[8] = GRP2(Eb, CL);
static const struct x86_opcode grp2_d3[8] = GRP2(Ev, CL);

/* Group 3 (F6, F7); /1 is an undocumented alias of TEST that processors execute. */
static const struct x86_opcode grp3_f6[8] = {
    I("test", 0, Eb, Ib), I("test", 0, Eb, Ib), I("not", F_LOCK, Eb), I("neg", F_LOCK, Eb),
    I("mul", 0, Eb),	  I("imul", 0, Eb),	I("div", 0, Eb),       I("idiv", 0, Eb),
};
static const struct x86_opcode grp3_f7[8] = {
    I("test", 0, Ev, Iz), I("test", 0, Ev, Iz), I("not", F_LOCK, Ev), I("neg", F_LOCK, Ev),
    I("mul", 0, Ev),	  I("imul", 0, Ev),	I("div", 0, Ev),       I("idiv", 0, Ev),
};

/* Group 4 (FE) and group 5 (FF). */
static const struct x86_opcode grp4_fe[8] = {I("inc", F_LOCK, Eb), I("dec", F_LOCK, Eb)};
static const struct x86_opcode grp5_ff_callf[2] = {I("lcall", 0, Mp)};
static const struct x86_opcode grp5_ff_jmpf[2] = {I("ljmp", 0, Mp)};
static const struct x86_opcode grp5_ff[8] = {
    I("inc", F_LOCK, Ev), I("dec", F_LOCK, Ev), I("call", F_D64, Ev),	 BY_MOD(grp5_ff_callf),
    I("jmp", F_D64, Ev),  BY_MOD(grp5_ff_jmpf), I("push", F_D64, Ev), NONE,
};

/* Group 11 (C6, C7): MOV, and the RTM pair XABORT/XBEGIN at /7 with mod = 3, r/m = 0. */
static const struct x86_opcode xabort_rm[8] = {I("xabort", 0, Ib)};
static const struct x86_opcode xbegin_rm[8] = {I("xbegin", F_D64, Jz)};
static const struct x86_opcode grp11_c6_7[2] = {NONE, BY_RM(xabort_rm)};
static const struct x86_opcode grp11_c7_7[2] = {NONE, BY_RM(xbegin_rm)};
static const struct x86_opcode grp11_c6[8] = {I("mov", 0, Eb, Ib), [7] = BY_MOD(grp11_c6_7)};
static const struct x86_opcode grp11_c7[8] = {I("mov", 0, Ev, Iz), [7] = BY_MOD(grp11_c7_7)};

/* Opcodes whose meaning changes in 64-bit mode. */
static const struct x86_opcode op_63[2] = {I("arpl", 0, Ew, Gw), I("movsxd", 0, Gv, Ed)};
static const struct x86_opcode op_nop_pfx[4] = {
    I("nop", 0), I("nop", 0), I("pause", 0), I("nop", 0),
};
/* 90: NOP, PAUSE with F3; with REX.B it is XCHG r8, rAX. */
static const struct x86_opcode op_90[2] = {
    BY_PFX(op_nop_pfx),
    I("xchg", 0, Zv, rAX),
};

/* ---------------------------------------------------------------- x87 (Appendix A.5) */

static const struct x86_opcode x87_d8_mem[8] = {
    I("fadd", 0, Md),  I("fmul", 0, Md), I("fcom", 0, Md),  I("fcomp", 0, Md),
    I("fsub", 0, Md),  I("fsubr", 0, Md), I("fdiv", 0, Md), I("fdivr", 0, Md),
};
static const struct x86_opcode x87_d8_reg[8] = {
    I("fadd", 0, ST0, STi),  I("fmul", 0, ST0, STi), I("fcom", 0, STi),	      I("fcomp", 0, STi),
    I("fsub", 0, ST0, STi),  I("fsubr", 0, ST0, STi), I("fdiv", 0, ST0, STi), I("fdivr", 0, ST0, STi),
};
static const struct x86_opcode x87_d8[2] = {BY_REG(x87_d8_mem), BY_REG(x87_d8_reg)};

static const struct x86_opcode x87_d9_mem[8] = {
    I("fld", 0, Md),	NONE,		     I("fst", 0, Md),	    I("fstp", 0, Md),
    I("fldenv", 0, Me), I("fldcw", 0, Mw), I("fnstenv", 0, Me), I("fnstcw", 0, Mw),
};
static const struct x86_opcode x87_d9_2[8] = {I("fnop", 0)};
static const struct x86_opcode x87_d9_4[8] = {
    I("fchs", 0), I("fabs", 0), NONE, NONE, I("ftst", 0), I("fxam", 0),
};
static const struct x86_opcode x87_d9_5[8] = {
    I("fld1", 0),   I("fldl2t", 0), I("fldl2e", 0), I("fldpi", 0),
    I("fldlg2", 0), I("fldln2", 0), I("fldz", 0),   NONE,
};
static const struct x86_opcode x87_d9_6[8] = {
    I("f2xm1", 0),   I("fyl2x", 0),   I("fptan", 0),   I("fpatan", 0),
    I("fxtract", 0), I("fprem1", 0), I("fdecstp", 0), I("fincstp", 0),
};
static const struct x86_opcode x87_d9_7[8] = {
    I("fprem", 0),   I("fyl2xp1", 0), I("fsqrt", 0), I("fsincos", 0),
    I("frndint", 0), I("fscale", 0),  I("fsin", 0),  I("fcos", 0),
};
static const struct x86_opcode x87_d9_reg[8] = {
    I("fld", 0, STi),	 I("fxch", 0, STi),  BY_RM(x87_d9_2),	I("fstpnce", 0, STi, ST0),
    BY_RM(x87_d9_4),	 BY_RM(x87_d9_5),    BY_RM(x87_d9_6),	BY_RM(x87_d9_7),
};
static const struct x86_opcode x87_d9[2] = {BY_REG(x87_d9_mem), BY_REG(x87_d9_reg)};

static const struct x86_opcode x87_da_mem[8] = {
    I("fiadd", 0, Md),  I("fimul", 0, Md),  I("ficom", 0, Md),  I("ficomp", 0, Md),
    I("fisub", 0, Md),  I("fisubr", 0, Md), I("fidiv", 0, Md), I("fidivr", 0, Md),
};
static const struct x86_opcode x87_da_5[8] = {NONE, I("fucompp", 0)};
static const struct x86_opcode x87_da_reg[8] = {
    I("fcmovb", 0, ST0, STi),  I("fcmove", 0, ST0, STi), I("fcmovbe", 0, ST0, STi),
    I("fcmovu", 0, ST0, STi),  NONE,			 BY_RM(x87_da_5),
};
static const struct x86_opcode x87_da[2] = {BY_REG(x87_da_mem), BY_REG(x87_da_reg)};

static const struct x86_opcode x87_db_mem[8] = {
    I("fild", 0, Md), I("fisttp", 0, Md), I("fist", 0, Md), I("fistp", 0, Md),
    NONE,	      I("fld", 0, Mt),	  NONE,		    I("fstp", 0, Mt),
};
/* DB E0-E4: 8087/287 controls that later processors execute as no-ops or as FNCLEX/FNINIT. */
static const struct x86_opcode x87_db_4[8] = {
    I("feni8087_nop", 0), I("fdisi8087_nop", 0), I("fnclex", 0), I("fninit", 0), I("fsetpm", 0),
};
static const struct x86_opcode x87_db_reg[8] = {
    I("fcmovnb", 0, ST0, STi), I("fcmovne", 0, ST0, STi), I("fcmovnbe", 0, ST0, STi),
    I("fcmovnu", 0, ST0, STi), BY_RM(x87_db_4),		  I("fucomi", 0, STi),
    I("fcomi", 0, STi),	       NONE,
};
static const struct x86_opcode x87_db[2] = {BY_REG(x87_db_mem), BY_REG(x87_db_reg)};

static const struct x86_opcode x87_dc_mem[8] = {
    I("fadd", 0, Mq),  I("fmul", 0, Mq),  I("fcom", 0, Mq), I("fcomp", 0, Mq),
    I("fsub", 0, Mq),  I("fsubr", 0, Mq), I("fdiv", 0, Mq), I("fdivr", 0, Mq),
};
/* DC D0-DF are aliases of FCOM/FCOMP; DC E0-FF have SUB/SUBR and DIV/DIVR swapped. */
static const struct x86_opcode x87_dc_reg[8] = {
    I("fadd", 0, STi, ST0),  I("fmul", 0, STi, ST0), I("fcom", 0, STi, ST0),
    I("fcomp", 0, STi, ST0), I("fsubr", 0, STi, ST0), I("fsub", 0, STi, ST0),
    I("fdivr", 0, STi, ST0), I("fdiv", 0, STi, ST0),
};
static const struct x86_opcode x87_dc[2] = {BY_REG(x87_dc_mem), BY_REG(x87_dc_reg)};

static const struct x86_opcode x87_dd_mem[8] = {
    I("fld", 0, Mq),	 I("fisttp", 0, Mq), I("fst", 0, Mq),	I("fstp", 0, Mq),
    I("frstor", 0, Mst), NONE,		     I("fnsave", 0, Mst), I("fnstsw", 0, Mw),
};
static const struct x86_opcode x87_dd_reg[8] = {
    I("ffree", 0, STi), I("fxch", 0, STi, ST0), I("fst", 0, STi), I("fstp", 0, STi),
    I("fucom", 0, STi), I("fucomp", 0, STi),
};
static const struct x86_opcode x87_dd[2] = {BY_REG(x87_dd_mem), BY_REG(x87_dd_reg)};

static const struct x86_opcode x87_de_mem[8] = {
    I("fiadd", 0, Mw),	I("fimul", 0, Mw),  I("ficom", 0, Mw),  I("ficomp", 0, Mw),
    I("fisub", 0, Mw),	I("fisubr", 0, Mw), I("fidiv", 0, Mw), I("fidivr", 0, Mw),
};
static const struct x86_opcode x87_de_3[8] = {NONE, I("fcompp", 0)};
static const struct x86_opcode x87_de_reg[8] = {
    I("faddp", 0, STi),	 I("fmulp", 0, STi),  I("fcomp", 0, STi, ST0), BY_RM(x87_de_3),
    I("fsubrp", 0, STi), I("fsubp", 0, STi), I("fdivrp", 0, STi),     I("fdivp", 0, STi),
};
static const struct x86_opcode x87_de[2] = {BY_REG(x87_de_mem), BY_REG(x87_de_reg)};

static const struct x86_opcode x87_df_mem[8] = {
    I("fild", 0, Mw), I("fisttp", 0, Mw), I("fist", 0, Mw), I("fistp", 0, Mw),
    I("fbld", 0, Mt), I("fild", 0, Mq),	  I("fbstp", 0, Mt), I("fistp", 0, Mq),
};
static const struct x86_opcode x87_df_4[8] = {I("fnstsw", 0, OPND(REG, 0))};
static const struct x86_opcode x87_df_reg[8] = {
    I("ffreep", 0, STi),       I("fxch", 0, STi, ST0), I("fstp", 0, STi, ST0),
    I("fstp", 0, STi, ST0),    BY_RM(x87_df_4),	       I("fucomip", 0, STi),
    I("fcomip", 0, STi),       NONE,
};
static const struct x86_opcode x87_df[2] = {BY_REG(x87_df_mem), BY_REG(x87_df_reg)};

/* ---------------------------------------------------------------- one-byte map */

/* The six forms of the eight classic ALU operations at 00-3F. */
#define ALU6(mn, fl)                                                                       \
	I(mn, fl, Eb, Gb), I(mn, fl, Ev, Gv), I(mn, 0, Gb, Eb), I(mn, 0, Gv, Ev),          \
	    I(mn, 0, AL, Ib), I(mn, 0, rAX, Iz)
#define JCC(mn, fl, rel) I(mn, fl, rel)

const struct x86_opcode x86_map_onebyte[256] = {
    ALU6("add", F_LOCK),
    I("push", F_I64, ES), I("pop", F_I64, ES),
    ALU6("or", F_LOCK),
    I("push", F_I64, CS), NONE, /* 0F: escape, handled by the decoder */
    ALU6("adc", F_LOCK),
    I("push", F_I64, SS), I("pop", F_I64, SS),
    ALU6("sbb", F_LOCK),
    I("push", F_I64, DS), I("pop", F_I64, DS),
    ALU6("and", F_LOCK),
    NONE, I("daa", F_I64),
    ALU6("sub", F_LOCK),
    NONE, I("das", F_I64),
    ALU6("xor", F_LOCK),
    NONE, I("aaa", F_I64),
    ALU6("cmp", 0),
    NONE, I("aas", F_I64),
    /* 40-4F: INC/DEC r in legacy modes; REX prefixes in 64-bit mode (never looked up). */
    [0x40 ... 0x47] = I("inc", F_I64, Zv),
    [0x48 ... 0x4f] = I("dec", F_I64, Zv),
    [0x50 ... 0x57] = I("push", F_D64, Zv),
    [0x58 ... 0x5f] = I("pop", F_D64, Zv),
    [0x60] = I("pushaw/pushal", F_I64),
    [0x61] = I("popaw/popal", F_I64),
    [0x62] = I("bound", F_I64, Gv, Ma),
    [0x63] = BY_MODE64(op_63),
    [0x68] = I("push", F_D64, Iz),
    [0x69] = I("imul", 0, Gv, Ev, Iz),
    [0x6a] = I("push", F_D64, Ib),
    [0x6b] = I("imul", 0, Gv, Ev, Ib),
    [0x6c] = I("insb", 0, Yb, DX),
    [0x6d] = I("insw/insd", 0, Yz, DX),
    [0x6e] = I("outsb", 0, DX, Xb),
    [0x6f] = I("outsw/outsd", 0, DX, Xz),
    [0x70] = JCC("jo", F_D64, Jb),
    [0x71] = JCC("jno", F_D64, Jb),
    [0x72] = JCC("jb", F_D64, Jb),
    [0x73] = JCC("jae", F_D64, Jb),
    [0x74] = JCC("je", F_D64, Jb),
    [0x75] = JCC("jne", F_D64, Jb),
    [0x76] = JCC("jbe", F_D64, Jb),
    [0x77] = JCC("ja", F_D64, Jb),
    [0x78] = JCC("js", F_D64, Jb),
    [0x79] = JCC("jns", F_D64, Jb),
    [0x7a] = JCC("jp", F_D64, Jb),
    [0x7b] = JCC("jnp", F_D64, Jb),
    [0x7c] = JCC("jl", F_D64, Jb),
    [0x7d] = JCC("jge", F_D64, Jb),
    [0x7e] = JCC("jle", F_D64, Jb),
    [0x7f] = JCC("jg", F_D64, Jb),
    [0x80] = BY_REG(grp1_80),
    [0x81] = BY_REG(grp1_81),
    [0x82] = BY_REG(grp1_82),
    [0x83] = BY_REG(grp1_83),
    [0x84] = I("test", 0, Eb, Gb),
    [0x85] = I("test", 0, Ev, Gv),
    [0x86] = I("xchg", F_LOCK, Eb, Gb),
    [0x87] = I("xchg", F_LOCK, Ev, Gv),
    [0x88] = I("mov", 0, Eb, Gb),
    [0x89] = I("mov", 0, Ev, Gv),
    [0x8a] = I("mov", 0, Gb, Eb),
    [0x8b] = I("mov", 0, Gv, Ev),
    [0x8c] = I("mov", 0, Ev, Sw),
    [0x8d] = I("lea", 0, Gv, M),
    [0x8e] = I("mov", 0, Sw, Ew),
    [0x8f] = BY_REG(grp1a_8f),
    [0x90] = SEL(OPC_BY_REXB, op_90),
    [0x91 ... 0x97] = I("xchg", 0, Zv, rAX),
    [0x98] = I("cbw/cwde/cdqe", 0),
    [0x99] = I("cwd/cdq/cqo", 0),
    [0x9a] = I("lcall", F_I64, Ap),
    [0x9b] = I("wait", 0),
    [0x9c] = I("pushf/pushfd/pushfq", F_D64),
    [0x9d] = I("popf/popfd/popfq", F_D64),
    [0x9e] = I("sahf", 0),
    [0x9f] = I("lahf", 0),
    [0xa0] = I("mov", F_MOFFS, AL, Ob),
    [0xa1] = I("mov", F_MOFFS, rAX, Ov),
    [0xa2] = I("mov", F_MOFFS, Ob, AL),
    [0xa3] = I("mov", F_MOFFS, Ov, rAX),
    [0xa4] = I("movsb", 0, Yb, Xb),
    [0xa5] = I("movsw/movsd/movsq", 0, Yv, Xv),
    [0xa6] = I("cmpsb", 0, Xb, Yb),
    [0xa7] = I("cmpsw/cmpsd/cmpsq", 0, Xv, Yv),
    [0xa8] = I("test", 0, AL, Ib),
    [0xa9] = I("test", 0, rAX, Iz),
    [0xaa] = I("stosb", 0, Yb, AL),
    [0xab] = I("stosw/stosd/stosq", 0, Yv, rAX),
    [0xac] = I("lodsb", 0, AL, Xb),
    [0xad] = I("lodsw/lodsd/lodsq", 0, rAX, Xv),
    [0xae] = I("scasb", 0, AL, Yb),
    [0xaf] = I("scasw/scasd/scasq", 0, rAX, Yv),
    [0xb0 ... 0xb7] = I("mov", 0, Zb, Ib),
    [0xb8 ... 0xbf] = I("mov/mov/movabs", 0, Zv, Iv),
    [0xc0] = BY_REG(grp2_c0),
    [0xc1] = BY_REG(grp2_c1),
    [0xc2] = I("ret", F_D64, Iw),
    [0xc3] = I("ret", F_D64),
    [0xc4] = I("les", F_I64, Gz, Mp), /* VEX3 in 64-bit mode or with mod = 3 */
    [0xc5] = I("lds", F_I64, Gz, Mp), /* VEX2 likewise */
    [0xc6] = BY_REG(grp11_c6),
    [0xc7] = BY_REG(grp11_c7),
    [0xc8] = I("enter", F_D64, Iw, Ib),
    [0xc9] = I("leave", F_D64),
    [0xca] = I("retf/retf/retfq", 0, Iw),
    [0xcb] = I("retf/retf/retfq", 0),
    [0xcc] = I("int3", 0),
    [0xcd] = I("int", 0, Ib),
    [0xce] = I("into", F_I64),
    [0xcf] = I("iret/iretd/iretq", 0),
    [0xd0] = BY_REG(grp2_d0),
    [0xd1] = BY_REG(grp2_d1),
    [0xd2] = BY_REG(grp2_d2),
    [0xd3] = BY_REG(grp2_d3),
    [0xd4] = I("aam", F_I64, Ib),
    [0xd5] = I("aad", F_I64, Ib),
    [0xd6] = I("salc", F_I64),
    [0xd7] = I("xlatb", 0),
    [0xd8] = BY_MOD(x87_d8),
    [0xd9] = BY_MOD(x87_d9),
    [0xda] = BY_MOD(x87_da),
    [0xdb] = BY_MOD(x87_db),
    [0xdc] = BY_MOD(x87_dc),
    [0xdd] = BY_MOD(x87_dd),
    [0xde] = BY_MOD(x87_de),
    [0xdf] = BY_MOD(x87_df),
    [0xe0] = I("loopne", F_D64, Jb),
    [0xe1] = I("loope", F_D64, Jb),
    [0xe2] = I("loop", F_D64, Jb),
    [0xe3] = I("jcxz/jecxz/jrcxz", F_D64 | F_ASZ, Jb),
    [0xe4] = I("in", 0, AL, Ib),
    [0xe5] = I("in", 0, OPND(REG, 0), Ib),
    [0xe6] = I("out", 0, Ib, AL),
    [0xe7] = I("out", 0, Ib, OPND(REG, 0)),
    [0xe8] = I("call", F_D64, Jz),
    [0xe9] = I("jmp", F_D64, Jz),
    [0xea] = I("ljmp", F_I64, Ap),
    [0xeb] = I("jmp", F_D64, Jb),
    [0xec] = I("in", 0, AL, DX),
    [0xed] = I("in", 0, OPND(REG, 0), DX),
    [0xee] = I("out", 0, DX, AL),
    [0xef] = I("out", 0, DX, OPND(REG, 0)),
    [0xf1] = I("int1", 0),
    [0xf4] = I("hlt", 0),
    [0xf5] = I("cmc", 0),
    [0xf6] = BY_REG(grp3_f6),
    [0xf7] = BY_REG(grp3_f7),
    [0xf8] = I("clc", 0),
    [0xf9] = I("stc", 0),
    [0xfa] = I("cli", 0),
    [0xfb] = I("sti", 0),
    [0xfc] = I("cld", 0),
    [0xfd] = I("std", 0),
    [0xfe] = BY_REG(grp4_fe),
    [0xff] = BY_REG(grp5_ff),
};

/* ---------------------------------------------------------------- two-byte map 0F xx */

/* SSE arithmetic with the four mandatory-prefix forms: ps, pd (66), ss (F3), sd (F2). */
#define SSE4(mn)                                                                           \
	PFX(I(mn "ps", 0, Vx, Wx), I(mn "pd", 0, Vx, Wx), I(mn "ss", 0, Vss, Wss),         \
	    I(mn "sd", 0, Vsd, Wsd))
/* Packed single and packed double only. */
#define SSE2PS(mn) PFX(I(mn "ps", 0, Vx, Wx), I(mn "pd", 0, Vx, Wx))
/* MMX form without prefix, SSE2 form with 66. */
#define MMX66(mn) PFX(I(mn, 0, Pq, Qq), I(mn, 0, Vx, Wx))
/* SSE2 form with 66 only. */
#define ONLY66(mn) PFX(NONE, I(mn, 0, Vx, Wx))
/* The CMPPS family: the predicate immediate names the mnemonic (cmpeqps, ...). */
#define CMP4                                                                               \
	PFX(I("ps", F_CMPPRED, Vx, Wx, Ib), I("pd", F_CMPPRED, Vx, Wx, Ib),                \
	    I("ss", F_CMPPRED, Vss, Wss, Ib), I("sd", F_CMPPRED, Vsd, Wsd, Ib))

/* Group 6 (0F 00). */
static const struct x86_opcode grp6[8] = {
    MOD(I("sldt", 0, Mw), I("sldt", 0, Rv)), MOD(I("str", 0, Mw), I("str", 0, Rv)),
    I("lldt", 0, Ew), I("ltr", 0, Ew), I("verr", 0, Ew), I("verw", 0, Ew),
};

/* Group 7 (0F 01): descriptor tables in memory forms, a zoo of system ops in register forms. */
static const struct x86_opcode grp7_mem[8] = {
    I("sgdt", 0, Ms), I("sidt", 0, Ms), I("lgdt", 0, Ms), I("lidt", 0, Ms),
    I("smsw", 0, Mw), NONE,		I("lmsw", 0, Mw), I("invlpg", 0, Mb),
};
static const struct x86_opcode grp7_reg[8] = {
    RM(NONE, I("vmcall", 0), I("vmlaunch", 0), I("vmresume", 0), I("vmxoff", 0)),
    RM(I("monitor", 0), I("mwait", 0), I("clac", 0), I("stac", 0), [7] = I("encls", 0)),
    RM(I("xgetbv", 0), I("xsetbv", 0), [4] = I("vmfunc", 0), I("xend", 0), I("xtest", 0),
       I("enclu", 0)),
    RM(I("vmrun", 0), I("vmmcall", 0), I("vmload", 0), I("vmsave", 0), I("stgi", 0),
       I("clgi", 0), I("skinit", 0), I("invlpga", 0)),
    I("smsw", 0, Rv),
    NONE,
    I("lmsw", 0, OPND(R, OT_w)),
    RM(I("swapgs", F_O64), I("rdtscp", 0)),
};
static const struct x86_opcode grp7[2] = {BY_REG(grp7_mem), BY_REG(grp7_reg)};

/* Group 16 (0F 18): prefetch hints; the rest of 0F 18-1F is the hint-NOP space. */
static const struct x86_opcode grp16_mem[8] = {
    I("prefetchnta", 0, Mb), I("prefetcht0", 0, Mb), I("prefetcht1", 0, Mb),
    I("prefetcht2", 0, Mb),  I("nop", 0, Ev),	     I("nop", 0, Ev),
    I("nop", 0, Ev),	     I("nop", 0, Ev),
};
/* AMD 0F 0D: PREFETCH (/0) and PREFETCHW (/1); the other /r are aliases of PREFETCH. */
static const struct x86_opcode grp_p[8] = {
    I("prefetch", 0, Mb), I("prefetchw", 0, Mb), I("prefetch", 0, Mb), I("prefetch", 0, Mb),
    I("prefetch", 0, Mb), I("prefetch", 0, Mb),	 I("prefetch", 0, Mb), I("prefetch", 0, Mb),
};

/* Groups 12-14 (0F 71-73): MMX/SSE shifts by an immediate, register forms only. */
#define SHIFT_IMM(mn) PFX(I(mn, 0, Nq, Ib), I(mn, 0, Ux, Ib))
static const struct x86_opcode grp12[8] = {
    [2] = SHIFT_IMM("psrlw"), [4] = SHIFT_IMM("psraw"), [6] = SHIFT_IMM("psllw"),
};
static const struct x86_opcode grp13[8] = {
    [2] = SHIFT_IMM("psrld"), [4] = SHIFT_IMM("psrad"), [6] = SHIFT_IMM("pslld"),
};
static const struct x86_opcode grp14[8] = {
    [2] = SHIFT_IMM("psrlq"), [3] = PFX(NONE, I("psrldq", 0, Ux, Ib)),
    [6] = SHIFT_IMM("psllq"), [7] = PFX(NONE, I("pslldq", 0, Ux, Ib)),
};

/* Group 15 (0F AE): state save/restore in memory forms, fences and FSGSBASE in register forms. */
static const struct x86_opcode grp15_mem[8] = {
    REXW(I("fxsave", 0, Mst), I("fxsave64", 0, Mst)),
    REXW(I("fxrstor", 0, Mst), I("fxrstor64", 0, Mst)),
    I("ldmxcsr", 0, Md),
    I("stmxcsr", 0, Md),
    REXW(I("xsave", 0, Mst), I("xsave64", 0, Mst)),
    REXW(I("xrstor", 0, Mst), I("xrstor64", 0, Mst)),
    PFX(REXW(I("xsaveopt", 0, Mst), I("xsaveopt64", 0, Mst)), I("clwb", 0, Mb)),
    PFX(I("clflush", 0, Mb), I("clflushopt", 0, Mb)),
};
static const struct x86_opcode grp15_reg[8] = {
    PFX(NONE, NONE, I("rdfsbase", F_O64, Ry)), PFX(NONE, NONE, I("rdgsbase", F_O64, Ry)),
    PFX(NONE, NONE, I("wrfsbase", F_O64, Ry)), PFX(NONE, NONE, I("wrgsbase", F_O64, Ry)),
    NONE, PFX(I("lfence", 0)), PFX(I("mfence", 0)), PFX(I("sfence", 0)),
};
static const struct x86_opcode grp15[2] = {BY_REG(grp15_mem), BY_REG(grp15_reg)};

/* Group 8 (0F BA): bit tests with an immediate bit offset. */
static const struct x86_opcode grp8[8] = {
    [4] = I("bt", 0, Ev, Ib), I("bts", F_LOCK, Ev, Ib), I("btr", F_LOCK, Ev, Ib),
    I("btc", F_LOCK, Ev, Ib),
};

/* Group 9 (0F C7). */
static const struct x86_opcode grp9_mem[8] = {
    [1] = REXW(I("cmpxchg8b", F_LOCK, Mq), I("cmpxchg16b", F_LOCK, Mdq)),
    [3] = REXW(I("xrstors", 0, Mst), I("xrstors64", 0, Mst)),
    [4] = REXW(I("xsavec", 0, Mst), I("xsavec64", 0, Mst)),
    [5] = REXW(I("xsaves", 0, Mst), I("xsaves64", 0, Mst)),
    [6] = PFX(I("vmptrld", 0, Mq), I("vmclear", 0, Mq), I("vmxon", 0, Mq)),
    [7] = PFX(I("vmptrst", 0, Mq)),
};
static const struct x86_opcode grp9_reg[8] = {
    [6] = PFX(I("rdrand", 0, Rv), I("rdrand", F_66SIZE, Rv)),
    [7] = PFX(I("rdseed", 0, Rv), I("rdseed", F_66SIZE, Rv), I("rdpid", F_D64, Ry)),
};
static const struct x86_opcode grp9[2] = {BY_REG(grp9_mem), BY_REG(grp9_reg)};

/* 3DNow! (0F 0F /r ib): the trailing imm8 names the operation. Decoded in decode.c. */

#define NOP_EV I("nop", 0, Ev)
#define MOV_CR(dst, src) I("mov", F_F64 | F_MODREG, dst, src)

const struct x86_opcode x86_map_0f[256] = {
    [0x00] = BY_REG(grp6),
    [0x01] = BY_MOD(grp7),
    [0x02] = I("lar", 0, Gv, Ew),
    [0x03] = I("lsl", 0, Gv, Ew),
    [0x05] = I("syscall", 0),
    [0x06] = I("clts", 0),
    [0x07] = I("sysret", 0),
    [0x08] = I("invd", 0),
    [0x09] = I("wbinvd", 0),
    [0x0b] = I("ud2", 0),
    [0x0d] = MOD(BY_REG(grp_p)),
    [0x0e] = I("femms", 0),
    [0x0f] = I("3dnow", 0, Pq, Qq, Ib),
    [0x10] = PFX(I("movups", 0, Vx, Wx), I("movupd", 0, Vx, Wx), I("movss", 0, Vx, Wss),
		 I("movsd", 0, Vx, Wsd)),
    [0x11] = PFX(I("movups", 0, Wx, Vx), I("movupd", 0, Wx, Vx), I("movss", 0, Wss, Vss),
		 I("movsd", 0, Wsd, Vsd)),
    [0x12] = PFX(MOD(I("movlps", 0, Vq, Mq), I("movhlps", 0, Vq, Ux)), I("movlpd", 0, Vq, Mq),
		 I("movsldup", 0, Vx, Wx), I("movddup", 0, Vx, Wq)),
    [0x13] = PFX(I("movlps", 0, Mq, Vq), I("movlpd", 0, Mq, Vq)),
    [0x14] = SSE2PS("unpckl"),
    [0x15] = SSE2PS("unpckh"),
    [0x16] = PFX(MOD(I("movhps", 0, Vdq, Mq), I("movlhps", 0, Vdq, Ux)),
		 I("movhpd", 0, Vdq, Mq), I("movshdup", 0, Vx, Wx)),
    [0x17] = PFX(I("movhps", 0, Mq, Vq), I("movhpd", 0, Mq, Vq)),
    [0x18] = MOD(BY_REG(grp16_mem), I("nop", 0, Ev)),
    [0x19 ... 0x1d] = I("nop", 0, Ev),
    /* F3 0F 1E FA/FB: CET's ENDBR64/ENDBR32, hint NOPs to processors without CET. */
    [0x1e] = PFX(NOP_EV, NOP_EV,
		 MOD(NOP_EV, REG(NOP_EV, NOP_EV, NOP_EV, NOP_EV, NOP_EV, NOP_EV, NOP_EV,
				 RM(NOP_EV, NOP_EV, I("endbr64", 0), I("endbr32", 0), NOP_EV,
				    NOP_EV, NOP_EV, NOP_EV))),
		 NOP_EV),
    [0x1f] = I("nop", 0, Ev),
    [0x20] = MOV_CR(Rd, Cd),
    [0x21] = MOV_CR(Rd, Dd),
    [0x22] = MOV_CR(Cd, Rd),
    [0x23] = MOV_CR(Dd, Rd),
    [0x28] = SSE2PS("mova"),
    [0x29] = PFX(I("movaps", 0, Wx, Vx), I("movapd", 0, Wx, Vx)),
    [0x2a] = PFX(I("cvtpi2ps", 0, Vx, Qq), I("cvtpi2pd", 0, Vx, Qq), I("cvtsi2ss", 0, Vss, Ey),
		 I("cvtsi2sd", 0, Vsd, Ey)),
    [0x2b] = PFX(I("movntps", 0, OPND(M, OT_ps), Vx), I("movntpd", 0, OPND(M, OT_pd), Vx),
		 I("movntss", 0, Md, Vss), I("movntsd", 0, Mq, Vsd)), /* F3/F2: AMD SSE4a */
    [0x2c] = PFX(I("cvttps2pi", 0, Pq, Wq), I("cvttpd2pi", 0, Pq, Wx),
		 I("cvttss2si", 0, Gy, Wss), I("cvttsd2si", 0, Gy, Wsd)),
    [0x2d] = PFX(I("cvtps2pi", 0, Pq, Wq), I("cvtpd2pi", 0, Pq, Wx), I("cvtss2si", 0, Gy, Wss),
		 I("cvtsd2si", 0, Gy, Wsd)),
    [0x2e] = PFX(I("ucomiss", 0, Vss, Wss), I("ucomisd", 0, Vsd, Wsd)),
    [0x2f] = PFX(I("comiss", 0, Vss, Wss), I("comisd", 0, Vsd, Wsd)),
    [0x30] = I("wrmsr", 0),
    [0x31] = I("rdtsc", 0),
    [0x32] = I("rdmsr", 0),
    [0x33] = I("rdpmc", 0),
    [0x34] = I("sysenter", 0),
    [0x35] = I("sysexit", 0),
    [0x37] = I("getsec", 0),
    [0x40] = I("cmovo", 0, Gv, Ev),
    [0x41] = I("cmovno", 0, Gv, Ev),
    [0x42] = I("cmovb", 0, Gv, Ev),
    [0x43] = I("cmovae", 0, Gv, Ev),
    [0x44] = I("cmove", 0, Gv, Ev),
    [0x45] = I("cmovne", 0, Gv, Ev),
    [0x46] = I("cmovbe", 0, Gv, Ev),
    [0x47] = I("cmova", 0, Gv, Ev),
    [0x48] = I("cmovs", 0, Gv, Ev),
    [0x49] = I("cmovns", 0, Gv, Ev),
    [0x4a] = I("cmovp", 0, Gv, Ev),
    [0x4b] = I("cmovnp", 0, Gv, Ev),
    [0x4c] = I("cmovl", 0, Gv, Ev),
    [0x4d] = I("cmovge", 0, Gv, Ev),
    [0x4e] = I("cmovle", 0, Gv, Ev),
    [0x4f] = I("cmovg", 0, Gv, Ev),
    [0x50] = PFX(I("movmskps", 0, Gd, Ux), I("movmskpd", 0, Gd, Ux)),
    [0x51] = SSE4("sqrt"),
    [0x52] = PFX(I("rsqrtps", 0, Vx, Wx), NONE, I("rsqrtss", 0, Vss, Wss)),
    [0x53] = PFX(I("rcpps", 0, Vx, Wx), NONE, I("rcpss", 0, Vss, Wss)),
    [0x54] = SSE2PS("and"),
    [0x55] = SSE2PS("andn"),
    [0x56] = SSE2PS("or"),
    [0x57] = SSE2PS("xor"),
    [0x58] = SSE4("add"),
    [0x59] = SSE4("mul"),
    [0x5a] = PFX(I("cvtps2pd", 0, Vx, Wq), I("cvtpd2ps", 0, Vx, Wx), I("cvtss2sd", 0, Vsd, Wss),
		 I("cvtsd2ss", 0, Vss, Wsd)),
    [0x5b] = PFX(I("cvtdq2ps", 0, Vx, Wx), I("cvtps2dq", 0, Vx, Wx), I("cvttps2dq", 0, Vx, Wx)),
    [0x5c] = SSE4("sub"),
    [0x5d] = SSE4("min"),
    [0x5e] = SSE4("div"),
    [0x5f] = SSE4("max"),
    [0x60] = MMX66("punpcklbw"),
    [0x61] = MMX66("punpcklwd"),
    [0x62] = MMX66("punpckldq"),
    [0x63] = MMX66("packsswb"),
    [0x64] = MMX66("pcmpgtb"),
    [0x65] = MMX66("pcmpgtw"),
    [0x66] = MMX66("pcmpgtd"),
    [0x67] = MMX66("packuswb"),
    [0x68] = MMX66("punpckhbw"),
    [0x69] = MMX66("punpckhwd"),
    [0x6a] = MMX66("punpckhdq"),
    [0x6b] = MMX66("packssdw"),
    [0x6c] = ONLY66("punpcklqdq"),
    [0x6d] = ONLY66("punpckhqdq"),
    [0x6e] = PFX(I("movd/movd/movq", 0, Pq, Ey), I("movd/movd/movq", 0, Vx, Ey)),
    [0x6f] = PFX(I("movq", 0, Pq, Qq), I("movdqa", 0, Vx, Wx), I("movdqu", 0, Vx, Wx)),
    [0x70] = PFX(I("pshufw", 0, Pq, Qq, Ib), I("pshufd", 0, Vx, Wx, Ib),
		 I("pshufhw", 0, Vx, Wx, Ib), I("pshuflw", 0, Vx, Wx, Ib)),
    [0x71] = MOD(NONE, BY_REG(grp12)),
    [0x72] = MOD(NONE, BY_REG(grp13)),
    [0x73] = MOD(NONE, BY_REG(grp14)),
    [0x74] = MMX66("pcmpeqb"),
    [0x75] = MMX66("pcmpeqw"),
    [0x76] = MMX66("pcmpeqd"),
    [0x77] = I("emms", 0),
    [0x78] = PFX(I("vmread", F_F64, Ey, Gy), REG(I("extrq", 0, Ux, Ib, Ib)), NONE,
		 I("insertq", 0, Vx, Ux, Ib, Ib)),
    [0x79] = PFX(I("vmwrite", F_F64, Gy, Ey), I("extrq", 0, Vx, Ux), NONE,
		 I("insertq", 0, Vx, Ux)),
    [0x7c] = PFX(NONE, I("haddpd", 0, Vx, Wx), NONE, I("haddps", 0, Vx, Wx)),
    [0x7d] = PFX(NONE, I("hsubpd", 0, Vx, Wx), NONE, I("hsubps", 0, Vx, Wx)),
    [0x7e] = PFX(I("movd/movd/movq", 0, Ey, Pq), I("movd/movd/movq", 0, Ey, Vx),
		 I("movq", 0, Vx, Wq)),
    [0x7f] = PFX(I("movq", 0, Qq, Pq), I("movdqa", 0, Wx, Vx), I("movdqu", 0, Wx, Vx)),
    [0x80] = JCC("jo", F_D64, Jz),
    [0x81] = JCC("jno", F_D64, Jz),
    [0x82] = JCC("jb", F_D64, Jz),
    [0x83] = JCC("jae", F_D64, Jz),
    [0x84] = JCC("je", F_D64, Jz),
    [0x85] = JCC("jne", F_D64, Jz),
    [0x86] = JCC("jbe", F_D64, Jz),
    [0x87] = JCC("ja", F_D64, Jz),
    [0x88] = JCC("js", F_D64, Jz),
    [0x89] = JCC("jns", F_D64, Jz),
    [0x8a] = JCC("jp", F_D64, Jz),
    [0x8b] = JCC("jnp", F_D64, Jz),
    [0x8c] = JCC("jl", F_D64, Jz),
    [0x8d] = JCC("jge", F_D64, Jz),
    [0x8e] = JCC("jle", F_D64, Jz),
    [0x8f] = JCC("jg", F_D64, Jz),
    [0x90] = I("seto", 0, Eb),
    [0x91] = I("setno", 0, Eb),
    [0x92] = I("setb", 0, Eb),
    [0x93] = I("setae", 0, Eb),
    [0x94] = I("sete", 0, Eb),
    [0x95] = I("setne", 0, Eb),
    [0x96] = I("setbe", 0, Eb),
    [0x97] = I("seta", 0, Eb),
    [0x98] = I("sets", 0, Eb),
    [0x99] = I("setns", 0, Eb),
    [0x9a] = I("setp", 0, Eb),
    [0x9b] = I("setnp", 0, Eb),
    [0x9c] = I("setl", 0, Eb),
    [0x9d] = I("setge", 0, Eb),
    [0x9e] = I("setle", 0, Eb),
    [0x9f] = I("setg", 0, Eb),
    [0xa0] = I("push", F_D64, FS),
    [0xa1] = I("pop", F_D64, FS),
    [0xa2] = I("cpuid", 0),
    [0xa3] = I("bt", 0, Ev, Gv),
    [0xa4] = I("shld", 0, Ev, Gv, Ib),
    [0xa5] = I("shld", 0, Ev, Gv, CL),
    [0xa8] = I("push", F_D64, GS),
    [0xa9] = I("pop", F_D64, GS),
    [0xaa] = I("rsm", 0),
    [0xab] = I("bts", F_LOCK, Ev, Gv),
    [0xac] = I("shrd", 0, Ev, Gv, Ib),
    [0xad] = I("shrd", 0, Ev, Gv, CL),
    [0xae] = BY_MOD(grp15),
    [0xaf] = I("imul", 0, Gv, Ev),
    [0xb0] = I("cmpxchg", F_LOCK, Eb, Gb),
    [0xb1] = I("cmpxchg", F_LOCK, Ev, Gv),
    [0xb2] = I("lss", 0, Gv, Mp),
    [0xb3] = I("btr", F_LOCK, Ev, Gv),
    [0xb4] = I("lfs", 0, Gv, Mp),
    [0xb5] = I("lgs", 0, Gv, Mp),
    [0xb6] = I("movzx", 0, Gv, Eb),
    [0xb7] = I("movzx", 0, Gv, Ew),
    [0xb8] = PFX(NONE, NONE, I("popcnt", 0, Gv, Ev)),
    [0xb9] = I("ud1", 0, Gv, Ev),
    [0xba] = BY_REG(grp8),
    [0xbb] = I("btc", F_LOCK, Ev, Gv),
    [0xbc] = PFX(I("bsf", 0, Gv, Ev), I("bsf", F_66SIZE, Gv, Ev), I("tzcnt", 0, Gv, Ev),
		 I("bsf", 0, Gv, Ev)),
    [0xbd] = PFX(I("bsr", 0, Gv, Ev), I("bsr", F_66SIZE, Gv, Ev), I("lzcnt", 0, Gv, Ev),
		 I("bsr", 0, Gv, Ev)),
    [0xbe] = I("movsx", 0, Gv, Eb),
    [0xbf] = I("movsx", 0, Gv, Ew),
    [0xc0] = I("xadd", F_LOCK, Eb, Gb),
    [0xc1] = I("xadd", F_LOCK, Ev, Gv),
    [0xc2] = CMP4,
    [0xc3] = I("movnti", 0, My, Gy),
    [0xc4] = PFX(I("pinsrw", 0, Pq, OPND(E, OT_w), Ib), I("pinsrw", 0, Vx, OPND(E, OT_w), Ib)),
    [0xc5] = PFX(I("pextrw", 0, Gd, Nq, Ib), I("pextrw", 0, Gd, Udq, Ib)),
    [0xc6] = PFX(I("shufps", 0, Vx, Wx, Ib), I("shufpd", 0, Vx, Wx, Ib)),
    [0xc7] = BY_MOD(grp9),
    [0xc8 ... 0xcf] = I("bswap", 0, Zv),
    [0xd0] = PFX(NONE, I("addsubpd", 0, Vx, Wx), NONE, I("addsubps", 0, Vx, Wx)),
    [0xd1] = MMX66("psrlw"),
    [0xd2] = MMX66("psrld"),
    [0xd3] = MMX66("psrlq"),
    [0xd4] = MMX66("paddq"),
    [0xd5] = MMX66("pmullw"),
    [0xd6] = PFX(NONE, I("movq", 0, Wq, Vq), I("movq2dq", 0, Vdq, Nq), I("movdq2q", 0, Pq, Ux)),
    [0xd7] = PFX(I("pmovmskb", 0, Gd, Nq), I("pmovmskb", 0, Gd, Ux)),
    [0xd8] = MMX66("psubusb"),
    [0xd9] = MMX66("psubusw"),
    [0xda] = MMX66("pminub"),
    [0xdb] = MMX66("pand"),
    [0xdc] = MMX66("paddusb"),
    [0xdd] = MMX66("paddusw"),
    [0xde] = MMX66("pmaxub"),
    [0xdf] = MMX66("pandn"),
    [0xe0] = MMX66("pavgb"),
    [0xe1] = MMX66("psraw"),
    [0xe2] = MMX66("psrad"),
    [0xe3] = MMX66("pavgw"),
    [0xe4] = MMX66("pmulhuw"),
    [0xe5] = MMX66("pmulhw"),
    [0xe6] = PFX(NONE, I("cvttpd2dq", 0, Vx, Wx), I("cvtdq2pd", 0, Vx, Wq),
		 I("cvtpd2dq", 0, Vx, Wx)),
    [0xe7] = PFX(I("movntq", 0, Mq, Pq), I("movntdq", 0, OPND(M, OT_dq), Vx)),
    [0xe8] = MMX66("psubsb"),
    [0xe9] = MMX66("psubsw"),
    [0xea] = MMX66("pminsw"),
    [0xeb] = MMX66("por"),
    [0xec] = MMX66("paddsb"),
    [0xed] = MMX66("paddsw"),
    [0xee] = MMX66("pmaxsw"),
    [0xef] = MMX66("pxor"),
    [0xf0] = PFX(NONE, NONE, NONE, I("lddqu", 0, Vx, OPND(M, OT_dq))),
    [0xf1] = MMX66("psllw"),
    [0xf2] = MMX66("pslld"),
    [0xf3] = MMX66("psllq"),
    [0xf4] = MMX66("pmuludq"),
    [0xf5] = MMX66("pmaddwd"),
    [0xf6] = MMX66("psadbw"),
    [0xf7] = PFX(I("maskmovq", 0, Pq, Nq), I("maskmovdqu", 0, Vdq, Udq)),
    [0xf8] = MMX66("psubb"),
    [0xf9] = MMX66("psubw"),
    [0xfa] = MMX66("psubd"),
    [0xfb] = MMX66("psubq"),
    [0xfc] = MMX66("paddb"),
    [0xfd] = MMX66("paddw"),
    [0xfe] = MMX66("paddd"),
    [0xff] = I("ud0", 0, Gv, Ev),
};

/* ---------------------------------------------------------------- three-byte map 0F 38 */

/* SSE4.1 and later: 66 form only, always with a memory-or-XMM source. */
#define S41(mn) PFX(NONE, I(mn, 0, Vx, Wx))
/* MOVBE and CRC32 share F0/F1: no prefix (or 66) is MOVBE, F2 is CRC32. */
#define MOVBE_CRC(dst, src, csrc)                                                          \
	PFX(I("movbe", 0, dst, src), I("movbe", F_66SIZE, dst, src), NONE,                 \
	    I("crc32", 0, Gy, csrc))

const struct x86_opcode x86_map_0f38[256] = {
    [0x00] = MMX66("pshufb"),
    [0x01] = MMX66("phaddw"),
    [0x02] = MMX66("phaddd"),
    [0x03] = MMX66("phaddsw"),
    [0x04] = MMX66("pmaddubsw"),
    [0x05] = MMX66("phsubw"),
    [0x06] = MMX66("phsubd"),
    [0x07] = MMX66("phsubsw"),
    [0x08] = MMX66("psignb"),
    [0x09] = MMX66("psignw"),
    [0x0a] = MMX66("psignd"),
    [0x0b] = MMX66("pmulhrsw"),
    [0x10] = PFX(NONE, I("pblendvb", 0, Vx, Wx, XMM0)),
    [0x14] = PFX(NONE, I("blendvps", 0, Vx, Wx, XMM0)),
    [0x15] = PFX(NONE, I("blendvpd", 0, Vx, Wx, XMM0)),
    [0x17] = S41("ptest"),
    [0x1c] = MMX66("pabsb"),
    [0x1d] = MMX66("pabsw"),
    [0x1e] = MMX66("pabsd"),
    [0x20] = PFX(NONE, I("pmovsxbw", 0, Vx, Wq)),
    [0x21] = PFX(NONE, I("pmovsxbd", 0, Vx, Wd)),
    [0x22] = PFX(NONE, I("pmovsxbq", 0, Vx, OPND(W, OT_w))),
    [0x23] = PFX(NONE, I("pmovsxwd", 0, Vx, Wq)),
    [0x24] = PFX(NONE, I("pmovsxwq", 0, Vx, Wd)),
    [0x25] = PFX(NONE, I("pmovsxdq", 0, Vx, Wq)),
    [0x28] = S41("pmuldq"),
    [0x29] = S41("pcmpeqq"),
    [0x2a] = PFX(NONE, I("movntdqa", 0, Vx, OPND(M, OT_dq))),
    [0x2b] = S41("packusdw"),
    [0x30] = PFX(NONE, I("pmovzxbw", 0, Vx, Wq)),
    [0x31] = PFX(NONE, I("pmovzxbd", 0, Vx, Wd)),
    [0x32] = PFX(NONE, I("pmovzxbq", 0, Vx, OPND(W, OT_w))),
    [0x33] = PFX(NONE, I("pmovzxwd", 0, Vx, Wq)),
    [0x34] = PFX(NONE, I("pmovzxwq", 0, Vx, Wd)),
    [0x35] = PFX(NONE, I("pmovzxdq", 0, Vx, Wq)),
    [0x37] = S41("pcmpgtq"),
    [0x38] = S41("pminsb"),
    [0x39] = S41("pminsd"),
    [0x3a] = S41("pminuw"),
    [0x3b] = S41("pminud"),
    [0x3c] = S41("pmaxsb"),
    [0x3d] = S41("pmaxsd"),
    [0x3e] = S41("pmaxuw"),
    [0x3f] = S41("pmaxud"),
    [0x40] = S41("pmulld"),
    [0x41] = S41("phminposuw"),
    [0x80] = PFX(NONE, I("invept", F_F64, Gy, OPND(M, OT_dq))),
    [0x81] = PFX(NONE, I("invvpid", F_F64, Gy, OPND(M, OT_dq))),
    [0x82] = PFX(NONE, I("invpcid", F_F64, Gy, OPND(M, OT_dq))),
    [0xc8] = PFX(I("sha1nexte", 0, Vdq, Wx)),
    [0xc9] = PFX(I("sha1msg1", 0, Vdq, Wx)),
    [0xca] = PFX(I("sha1msg2", 0, Vdq, Wx)),
    [0xcb] = PFX(I("sha256rnds2", 0, Vdq, Wx, XMM0)),
    [0xcc] = PFX(I("sha256msg1", 0, Vdq, Wx)),
    [0xcd] = PFX(I("sha256msg2", 0, Vdq, Wx)),
    [0xdb] = S41("aesimc"),
    [0xdc] = S41("aesenc"),
    [0xdd] = S41("aesenclast"),
    [0xde] = S41("aesdec"),
    [0xdf] = S41("aesdeclast"),
    [0xf0] = MOVBE_CRC(Gv, OPND(M, OT_v), Eb),
    [0xf1] = MOVBE_CRC(OPND(M, OT_v), Gv, Ev),
    [0xf6] = PFX(NONE, I("adcx", 0, Gy, Ey), I("adox", 0, Gy, Ey)),
};

/* ---------------------------------------------------------------- three-byte map 0F 3A */

#define S41I(mn, ...) PFX(NONE, I(mn, 0, __VA_ARGS__, Ib))

const struct x86_opcode x86_map_0f3a[256] = {
    [0x08] = S41I("roundps", Vx, Wx),
    [0x09] = S41I("roundpd", Vx, Wx),
    [0x0a] = S41I("roundss", Vss, Wss),
    [0x0b] = S41I("roundsd", Vsd, Wsd),
    [0x0c] = S41I("blendps", Vx, Wx),
    [0x0d] = S41I("blendpd", Vx, Wx),
    [0x0e] = S41I("pblendw", Vx, Wx),
    [0x0f] = PFX(I("palignr", 0, Pq, Qq, Ib), I("palignr", 0, Vx, Wx, Ib)),
    [0x14] = S41I("pextrb", OPND(E, OT_b), Vdq),
    [0x15] = S41I("pextrw", Ew, Vdq),
    [0x16] = PFX(NONE, I("pextrd/pextrd/pextrq", 0, Ey, Vdq, Ib)),
    [0x17] = S41I("extractps", Ed, Vdq),
    [0x20] = S41I("pinsrb", Vdq, OPND(E, OT_b)),
    [0x21] = S41I("insertps", Vdq, Wd),
    [0x22] = PFX(NONE, I("pinsrd/pinsrd/pinsrq", 0, Vdq, Ey, Ib)),
    [0x40] = S41I("dpps", Vx, Wx),
    [0x41] = S41I("dppd", Vx, Wx),
    [0x42] = S41I("mpsadbw", Vx, Wx),
    [0x44] = S41I("pclmulqdq", Vx, Wx),
    [0x60] = S41I("pcmpestrm", Vdq, Wx),
    [0x61] = S41I("pcmpestri", Vdq, Wx),
    [0x62] = S41I("pcmpistrm", Vdq, Wx),
    [0x63] = S41I("pcmpistri", Vdq, Wx),
    [0xcc] = PFX(I("sha1rnds4", 0, Vdq, Wx, Ib)),
    [0xdf] = S41I("aeskeygenassist", Vx, Wx),
};
/* clang-format on */
