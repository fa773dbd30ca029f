/*
 * cpu/mnemonic.c - instruction mnemonics in Capstone's Intel-syntax spelling.
 *
 * The opcode table holds one spelling per entry, or alternatives by operand size
 * ("cbw/cwde/cdqe"). Two families are named by their immediate byte instead: the SSE
 * compares (CMPPS imm8 0-7 read as cmpeqps ... cmpordps, SDM Vol. 2 CMPPS Table 3-3)
 * and AMD's 3DNow! (0F 0F /r ib, the imm8 is the operation).
 */
#include <stdio.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/opcode_table.h"

/* 3DNow! operations by their imm8 suffix (AMD 3DNow! Technology Manual, Table 8). */
static const char *const amd3dnow_ops[256] = {
    [0x0c] = "pi2fw",	 [0x0d] = "pi2fd",   [0x1c] = "pf2iw",	  [0x1d] = "pf2id",
    [0x8a] = "pfnacc",	 [0x8e] = "pfpnacc", [0x90] = "pfcmpge",  [0x94] = "pfmin",
    [0x96] = "pfrcp",	 [0x97] = "pfrsqrt", [0x9a] = "pfsub",	  [0x9e] = "pfadd",
    [0xa0] = "pfcmpgt",	 [0xa4] = "pfmax",   [0xa6] = "pfrcpit1", [0xa7] = "pfrsqit1",
    [0xaa] = "pfsubr",	 [0xae] = "pfacc",   [0xb0] = "pfcmpeq",  [0xb4] = "pfmul",
    [0xb6] = "pfrcpit2", [0xb7] = "pmulhrw", [0xbb] = "pswapd",	  [0xbf] = "pavgusb",
};

const char *x86_3dnow_name(uint8_t suffix)
{
	return amd3dnow_ops[suffix];
}

/* pick_alternative - the size-th '/'-separated word of s (0-based; the last repeats). */
static void pick_alternative(const char *s, unsigned size_index, char buf[X86_MNEMONIC_MAX])
{
	const char *end;

	for (; size_index > 0; size_index--) {
		const char *slash = strchr(s, '/');

		if (!slash)
			break;
		s = slash + 1;
	}
	end = strchr(s, '/');
	snprintf(buf, X86_MNEMONIC_MAX, "%.*s", (int)(end ? end - s : (long)strlen(s)), s);
}

/* size_index - 0, 1, 2 for a 16, 32, 64-bit attribute. */
static unsigned size_index(unsigned bytes)
{
	return bytes == 2 ? 0 : bytes == 4 ? 1 : 2;
}

const char *x86_insn_mnemonic(const struct x86_instr *insn, char buf[X86_MNEMONIC_MAX])
{
	static const char *const pred[8] = {"eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"};
	const struct x86_opcode *e = insn->opc;

	if (!e) {
		snprintf(buf, X86_MNEMONIC_MAX, "(bad)");
		return buf;
	}
	if (e->flags & F_CMPPRED) {
		snprintf(buf, X86_MNEMONIC_MAX, "cmp%s%s", insn->imm < 8 ? pred[insn->imm] : "",
			 e->mnemonic);
		return buf;
	}
	if (insn->map == 1 && insn->opcode == 0x0f) {
		snprintf(buf, X86_MNEMONIC_MAX, "%s", x86_3dnow_name((uint8_t)insn->imm));
		return buf;
	}
	if ((e->flags & F_MOFFS) && insn->addrsize == 8) {
		snprintf(buf, X86_MNEMONIC_MAX, "movabs");
		return buf;
	}
	pick_alternative(e->mnemonic, size_index(e->flags & F_ASZ ? insn->addrsize : insn->opsize),
			 buf);
	return buf;
}
