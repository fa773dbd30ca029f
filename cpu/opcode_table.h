/*
 * cpu/opcode_table.h - the opcode maps, in the Intel SDM's operand notation.
 *
 * The maps of SDM Vol. 2, Appendix A are trees: an opcode byte selects an entry, and an
 * entry is either an instruction (a leaf) or a selector that picks a child entry by a
 * further field of the instruction: ModRM.reg for the group opcodes, ModRM.mod for opcodes
 * whose memory and register forms differ, ModRM.r/m for the register forms of 0F 01 and
 * x87, the mandatory prefix (none/66/F3/F2) for SSE, REX.W, or the processor mode.
 *
 * Operands are written as in Appendix A.2: an addressing method (a capital letter: E =
 * ModRM r/m, G = ModRM reg, I = immediate, J = relative offset, ...) and an operand type
 * (b = byte, w = word, d = doubleword, q = quadword, v = operand size, z = 16 or 32 bits,
 * ...). So the table reads like the manual: { "add", { Ev, Gv }, F_LOCK }.
 */
#ifndef MMEMU_CPU_OPCODE_TABLE_H
#define MMEMU_CPU_OPCODE_TABLE_H

#include <stdint.h>

/* Addressing methods (SDM Vol. 2, A.2.1), in the high byte of an operand code. */
enum x86_operand_method {
	OM_NONE = 0,
	OM_A,	 /* direct far address in the instruction (ptr16:16/32) */
	OM_C,	 /* ModRM.reg selects a control register */
	OM_D,	 /* ModRM.reg selects a debug register */
	OM_E,	 /* ModRM r/m: general register or memory */
	OM_G,	 /* ModRM.reg: general register */
	OM_I,	 /* immediate */
	OM_J,	 /* relative offset added to the instruction pointer */
	OM_M,	 /* ModRM r/m: memory only */
	OM_N,	 /* ModRM r/m: MMX register only */
	OM_O,	 /* absolute offset (moffs), address-size wide, no ModRM */
	OM_P,	 /* ModRM.reg: MMX register */
	OM_Q,	 /* ModRM r/m: MMX register or memory */
	OM_R,	 /* ModRM r/m: general register only */
	OM_S,	 /* ModRM.reg: segment register */
	OM_U,	 /* ModRM r/m: XMM register only */
	OM_V,	 /* ModRM.reg: XMM register */
	OM_W,	 /* ModRM r/m: XMM register or memory */
	OM_X,	 /* memory DS:rSI (string source) */
	OM_Y,	 /* memory ES:rDI (string destination) */
	OM_Z,	 /* general register in the opcode's low three bits (+ REX.B) */
	OM_REG,	 /* a fixed general register; type = register number, size by the _b/_v flag */
	OM_SREG, /* a fixed segment register; type = enum x86_seg */
	OM_ONE,	 /* the constant 1 (shift by one) */
	OM_ST0,	 /* x87 ST(0) */
	OM_STI,	 /* x87 ST(i), i = ModRM.r/m */
	OM_XMM0, /* implicit XMM0 (BLENDVPS and friends) */
};

/* Operand types (SDM Vol. 2, A.2.2), in the low byte of an operand code. */
enum x86_operand_type {
	OT_NONE = 0,
	OT_a,		   /* two words or doublewords in memory (BOUND) */
	OT_b,		   /* byte */
	OT_d,		   /* doubleword */
	OT_dq,		   /* double quadword */
	OT_p,		   /* far pointer: 32 or 48 bits (80 with REX.W) */
	OT_pd,		   /* packed double */
	OT_pi,		   /* quadword MMX */
	OT_ps,		   /* packed single */
	OT_q,		   /* quadword */
	OT_s,		   /* 6 or 10 byte pseudo-descriptor */
	OT_sd,		   /* scalar double */
	OT_ss,		   /* scalar single */
	OT_t,		   /* 80-bit x87 value */
	OT_v,		   /* word, doubleword or quadword: the operand size */
	OT_w,		   /* word */
	OT_x,		   /* dq (the 128-bit form; 256 only under VEX) */
	OT_y,		   /* doubleword, or quadword in 64-bit mode with REX.W */
	OT_z,		   /* word for 16-bit operand size, else doubleword */
	OT_e,		   /* x87 environment (14/28 bytes) */
	OT_st,		   /* x87 state (94/108 bytes) or FXSAVE/XSAVE area */
	OT_bytereg = 0x40, /* OM_REG: the byte register (AL, CL) rather than the v-sized one */
};

#define OPND(m, t) ((uint16_t)((OM_##m << 8) | (t)))
#define OPND_METHOD(o) ((o) >> 8)
#define OPND_TYPE(o) ((o)&0xff)

/* Kinds of entry: a leaf (instruction) or a selector over a child table. */
enum x86_opcode_kind {
	OPC_INVALID = 0, /* undefined: #UD */
	OPC_INSN,	 /* an instruction */
	OPC_BY_REG,	 /* child[ModRM.reg], 8 entries */
	OPC_BY_MOD,	 /* child[0] memory form, child[1] register form (mod = 3) */
	OPC_BY_RM,	 /* child[ModRM.r/m], 8 entries */
	OPC_BY_PFX,	 /* child[0] no prefix, [1] 66, [2] F3, [3] F2 */
	OPC_BY_REXW,	 /* child[REX.W] */
	OPC_BY_REXB,	 /* child[REX.B] (NOP versus XCHG r8) */
	OPC_BY_MODE64,	 /* child[0] legacy and compatibility mode, child[1] 64-bit mode */
	OPC_BY_ASIZE,	 /* child[0] 16/32-bit address size, child[1] 64 */
};

/* Attributes of an instruction entry (x86_opcode.flags). */
#define F_LOCK 0x0001	 /* LOCK is allowed (with a memory destination) */
#define F_I64 0x0002	 /* invalid in 64-bit mode */
#define F_O64 0x0004	 /* valid only in 64-bit mode */
#define F_D64 0x0008	 /* 64-bit mode: default operand size 64, 66 selects 16 */
#define F_F64 0x0010	 /* 64-bit mode: operand size 64 whatever the prefixes */
#define F_ASZ 0x0020	 /* mnemonic alternatives follow the address size, not operand size */
#define F_MODREG 0x0040	 /* ModRM.mod is ignored: the r/m operand is always a register */
#define F_CMPPRED 0x0080 /* CMPPS family: the imm8 predicate names the mnemonic */
#define F_66SIZE 0x0100	 /* selected with a mandatory 66 that still sets operand size 16 */
#define F_MOFFS 0x0200	 /* MOV moffs: Capstone says "movabs" for 64-bit addresses */
#define F_NOREX 0x0400	 /* an opcode-embedded register: REX.B extends OM_Z */

/*
 * One entry of an opcode map. A leaf has mnemonic and operands; a selector has next.
 * The mnemonic may hold alternatives separated by '/', chosen by the operand size
 * (16/32/64; the last one repeats), e.g. "cbw/cwde/cdqe".
 */
struct x86_opcode {
	uint8_t kind;		       /* enum x86_opcode_kind */
	uint16_t flags;		       /* F_* */
	const char *mnemonic;	       /* leaf: Capstone's Intel-syntax spelling */
	uint16_t operand[4];	       /* leaf: OPND() codes, first is the destination */
	const struct x86_opcode *next; /* selector: the child table */
};

extern const struct x86_opcode x86_map_onebyte[256];
extern const struct x86_opcode x86_map_0f[256];
extern const struct x86_opcode x86_map_0f38[256];
extern const struct x86_opcode x86_map_0f3a[256];

/* x86_3dnow_name - the 3DNow! operation for an imm8 suffix, NULL if there is none. */
const char *x86_3dnow_name(uint8_t suffix);

#endif
