/*
 * cpu/decode.h - the x86 instruction decoder.
 *
 * Decodes one instruction from a byte buffer, the way the instruction-fetch and decode stage
 * of an x86 processor splits an instruction into its fields (Intel SDM Vol. 2, chapter 2,
 * "Instruction Format"):
 *
 *   +----------+-----+--------+--------+-----+--------------+-----------+
 *   | legacy   | REX | opcode | ModRM  | SIB | displacement | immediate |
 *   | prefixes |     | 1-3 B  |        |     | 0,1,2,4 B    | 0,1,2,4,8 |
 *   +----------+-----+--------+--------+-----+--------------+-----------+
 *
 *   ModRM:  7   6 5   3 2   0        SIB:  7   6 5     3 2    0
 *          +-----+-----+-----+              +-----+-------+------+
 *          | mod | reg | r/m |              |scale| index | base |
 *          +-----+-----+-----+              +-----+-------+------+
 *
 * The decoder reads nothing but the buffer it is given: it knows neither memory nor the MMU.
 * A caller fetching across a page boundary gives what it has and is told when more bytes are
 * needed. The result is a flat struct x86_instr that an interpreter can dispatch on without
 * looking at the bytes again.
 */
#ifndef MMEMU_CPU_DECODE_H
#define MMEMU_CPU_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* The longest legal instruction (SDM Vol. 2, 2.3.11): a longer one raises #GP(0). */
#define X86_MAX_INSN_LEN 15

/* Code-segment size: the D and L bits of the CS descriptor (SDM Vol. 3, 5.2.1). */
enum x86_mode {
	X86_MODE_16 = 16, /* CS.D = 0, CS.L = 0: 16-bit protected/real mode code */
	X86_MODE_32 = 32, /* CS.D = 1, CS.L = 0: 32-bit protected or compatibility mode */
	X86_MODE_64 = 64, /* CS.L = 1 in IA-32e mode: 64-bit mode */
};

enum x86_decode_status {
	X86_DECODE_OK = 0, /* insn is filled in */
	X86_DECODE_UD,	   /* invalid opcode: the CPU raises #UD */
	X86_DECODE_GP,	   /* longer than 15 bytes: the CPU raises #GP(0) */
	X86_DECODE_MORE,   /* the buffer ends inside the instruction: fetch more bytes */
};

/* Legacy prefixes seen, as a bit mask (x86_instr.prefixes). */
#define X86_PFX_LOCK 0x01     /* F0 */
#define X86_PFX_REPNE 0x02    /* F2, the last of F2/F3 */
#define X86_PFX_REP 0x04      /* F3, the last of F2/F3 */
#define X86_PFX_OPSIZE 0x08   /* 66, when it is an operand-size prefix (not a mandatory one) */
#define X86_PFX_ADDRSIZE 0x10 /* 67 */
#define X86_PFX_66 0x20	      /* 66 present at all (also when used as a mandatory prefix) */

/* Segment registers in the SDM's Sreg order (ModRM.reg of MOV Sreg). */
enum x86_seg {
	X86_SEG_ES = 0,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS,
	X86_SEG_NONE = 0xff, /* no segment override */
};

/* General registers 0-15 in encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15). */
#define X86_GPR_RIP 16	  /* base of a RIP-relative (EIP-relative with 67) address */
#define X86_GPR_NONE 0xff /* no base or no index */

/* REX bits (SDM Vol. 2, 2.2.1): 0100WRXB. */
#define X86_REX_B 0x01
#define X86_REX_X 0x02
#define X86_REX_R 0x04
#define X86_REX_W 0x08

/* Flags of a decoded instruction (x86_instr.flags). */
#define X86_INSN_MODRM 0x01  /* a ModRM byte is present */
#define X86_INSN_SIB 0x02    /* a SIB byte is present */
#define X86_INSN_MEM 0x04    /* ModRM names a memory operand (mod != 3) */
#define X86_INSN_RIPREL 0x08 /* the memory operand is RIP/EIP-relative */
#define X86_INSN_REX 0x10    /* a REX prefix is in effect (even 0x40) */
#define X86_INSN_VEX 0x20    /* VEX/EVEX/XOP encoded (not implemented: #UD, len valid) */

struct x86_opcode;

/*
 * One decoded instruction. Register numbers include the REX extension bits already.
 */
struct x86_instr {
	const struct x86_opcode *opc; /* opcode-table entry: the instruction's identity */
	uint8_t len;		      /* total length in bytes, 1..15 */
	uint8_t mode;		      /* enum x86_mode it was decoded in */
	uint8_t opsize;		      /* operand-size attribute in bytes: 2, 4 or 8 */
	uint8_t addrsize;	      /* address-size attribute in bytes: 2, 4 or 8 */
	uint8_t prefixes;	      /* X86_PFX_* mask */
	uint8_t seg;		      /* enum x86_seg override, X86_SEG_NONE if none */
	uint8_t rex;		      /* the REX byte in effect (0x40-0x4f), 0 if none */
	uint8_t flags;		      /* X86_INSN_* */
	uint8_t map;		      /* 0: one-byte map, 1: 0F, 2: 0F 38, 3: 0F 3A */
	uint8_t opcode;		      /* the last opcode byte */
	uint8_t modrm;		      /* the ModRM byte, 0 if absent */
	uint8_t mod;		      /* ModRM.mod */
	uint8_t reg;		      /* ModRM.reg + REX.R * 8 (or the register of +r opcodes) */
	uint8_t rm;		      /* ModRM.r/m + REX.B * 8, for register operands (mod = 3) */
	uint8_t sib;		      /* the SIB byte, 0 if absent */
	uint8_t base;		      /* base register, X86_GPR_RIP, or X86_GPR_NONE */
	uint8_t index;		      /* index register or X86_GPR_NONE */
	uint8_t scale;		      /* 1, 2, 4 or 8 */
	uint8_t imm_size;	      /* bytes of the first immediate (or relative offset), 0..8 */
	uint8_t imm2_size;	      /* bytes of the second immediate (ENTER, far pointer) */
	int64_t disp;		      /* displacement, sign-extended (16-bit forms: as encoded) */
	uint64_t imm;		      /* first immediate, zero-extended raw bytes */
	uint64_t imm2;		      /* second immediate: ENTER's Ib, a far pointer's selector */
};

/*
 * x86_decode - decode the instruction at the start of buf.
 * @insn: filled in on X86_DECODE_OK; on X86_DECODE_UD for a VEX/EVEX/XOP form, len and
 *        flags (X86_INSN_VEX) are valid; otherwise its contents are unspecified.
 * @buf, @size: the bytes available (only the first 15 are ever read).
 * @mode: the code-segment size.
 *
 * Returns X86_DECODE_OK, X86_DECODE_UD (invalid or undefined opcode, LOCK on a
 * non-lockable instruction or a register destination, an opcode invalid in the mode),
 * X86_DECODE_GP (the instruction would exceed 15 bytes) or X86_DECODE_MORE (buf ends
 * inside the instruction and size < 15). Never reads beyond buf[size - 1].
 */
enum x86_decode_status x86_decode(struct x86_instr *insn, const uint8_t *buf, size_t size,
				  enum x86_mode mode);

/* The longest string x86_insn_mnemonic() writes, with its NUL. */
#define X86_MNEMONIC_MAX 24

/*
 * x86_insn_mnemonic - the instruction's mnemonic, spelt as Capstone spells it in Intel
 * syntax, without the "lock"/"rep"/"repne" prefix words (e.g. "add", "movsq", "cdqe",
 * "cmpltsd"). Writes into buf and returns it.
 */
const char *x86_insn_mnemonic(const struct x86_instr *insn, char buf[X86_MNEMONIC_MAX]);

#endif
