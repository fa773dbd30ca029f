/*
 * Differential tests against the host CPU (tests/cpu/diff_harness.h): directed cases for
 * every implemented integer instruction form over operand sizes and edge values, and
 * random sequences built from the same templates. Zero mismatches expected.
 *
 * Operands: register operands never name RBX or RSP (RBX holds the data pointer, RSP the
 * stack in the data page); memory operands are [RBX + disp8] inside the data page.
 */
#include "tests/cpu/diff_harness.h"

/* Template flags. */
#define T_MEM 0x01     /* the r/m operand may be memory */
#define T_REG 0x02     /* the r/m operand may be a register */
#define T_PLUSR 0x04   /* register in the opcode's low 3 bits */
#define T_NOMODRM 0x08 /* no ModRM (implicit operands) */
#define T_F3 0x10      /* mandatory F3 prefix */
#define T_ALIGN16 0x20 /* memory operand 16-byte aligned */
#define T_NOW 0x40     /* no REX.W for the 8-byte size (default 64-bit operand) */
#define T_ONLY64 0x80  /* 64-bit mode only */
#define T_ONLY32 0x100 /* compatibility mode only (legacy opcodes) */
#define T_RM T_MEM | T_REG

/* Operand sizes (bit mask). */
#define S1 1
#define S2 2
#define S4 4
#define S8 8
#define SV (S2 | S4 | S8)

/* Immediates. */
enum { I0, IB, IW, IZ, IV };

struct tmpl {
	const char *name;
	uint8_t op[3]; /* opcode bytes */
	uint8_t oplen;
	int8_t ext;	 /* ModRM.reg digit, -1: a register operand */
	uint8_t sizes;	 /* S* */
	uint8_t imm;	 /* I* */
	uint16_t flags;	 /* T_* */
	const char *pre; /* bytes emitted before (hex string), e.g. a count setup */
};

#define OP1(a) {a}, 1
#define OP2(a, b) {a, b}, 2

/* clang-format off: one template per line */
static const struct tmpl tmpls[] = {
    /* ALU, six forms each (rows generated below for all eight operations). */
    {"alu Eb,Gb", OP1(0x00), -1, S1, I0, T_RM, NULL},
    {"alu Ev,Gv", OP1(0x01), -1, SV, I0, T_RM, NULL},
    {"alu Gb,Eb", OP1(0x02), -1, S1, I0, T_RM, NULL},
    {"alu Gv,Ev", OP1(0x03), -1, SV, I0, T_RM, NULL},
    {"alu AL,Ib", OP1(0x04), 0, S1, IB, T_NOMODRM, NULL},
    {"alu rAX,Iz", OP1(0x05), 0, SV, IZ, T_NOMODRM, NULL},
    {"grp1 Eb,Ib", OP1(0x80), 0, S1, IB, T_RM, NULL},
    {"grp1 Ev,Iz", OP1(0x81), 0, SV, IZ, T_RM, NULL},
    {"grp1 Ev,Ib", OP1(0x83), 0, SV, IB, T_RM, NULL},
    {"test Eb,Gb", OP1(0x84), -1, S1, I0, T_RM, NULL},
    {"test Ev,Gv", OP1(0x85), -1, SV, I0, T_RM, NULL},
    {"test AL,Ib", OP1(0xa8), 0, S1, IB, T_NOMODRM, NULL},
    {"test rAX,Iz", OP1(0xa9), 0, SV, IZ, T_NOMODRM, NULL},
    {"test Eb,Ib", OP1(0xf6), 0, S1, IB, T_RM, NULL},
    {"test Ev,Iz", OP1(0xf7), 0, SV, IZ, T_RM, NULL},
    {"not Eb", OP1(0xf6), 2, S1, I0, T_RM, NULL},
    {"not Ev", OP1(0xf7), 2, SV, I0, T_RM, NULL},
    {"neg Eb", OP1(0xf6), 3, S1, I0, T_RM, NULL},
    {"neg Ev", OP1(0xf7), 3, SV, I0, T_RM, NULL},
    {"mul Eb", OP1(0xf6), 4, S1, I0, T_RM, NULL},
    {"mul Ev", OP1(0xf7), 4, SV, I0, T_RM, NULL},
    {"imul Eb", OP1(0xf6), 5, S1, I0, T_RM, NULL},
    {"imul Ev", OP1(0xf7), 5, SV, I0, T_RM, NULL},
    {"div Eb", OP1(0xf6), 6, S1, I0, T_RM, NULL},
    {"div Ev", OP1(0xf7), 6, SV, I0, T_RM, NULL},
    {"div Ev rdx=0", OP1(0xf7), 6, SV, I0, T_RM, "31d2"},
    {"idiv Eb", OP1(0xf6), 7, S1, I0, T_RM, NULL},
    {"idiv Ev", OP1(0xf7), 7, SV, I0, T_RM, NULL},
    {"idiv Ev cqo", OP1(0xf7), 7, S8, I0, T_RM, "4899"},
    {"idiv Ev cdq", OP1(0xf7), 7, S4, I0, T_RM, "99"},
    {"inc Eb", OP1(0xfe), 0, S1, I0, T_RM, NULL},
    {"dec Eb", OP1(0xfe), 1, S1, I0, T_RM, NULL},
    {"inc Ev", OP1(0xff), 0, SV, I0, T_RM, NULL},
    {"dec Ev", OP1(0xff), 1, SV, I0, T_RM, NULL},
    {"mov Eb,Gb", OP1(0x88), -1, S1, I0, T_RM, NULL},
    {"mov Ev,Gv", OP1(0x89), -1, SV, I0, T_RM, NULL},
    {"mov Gb,Eb", OP1(0x8a), -1, S1, I0, T_RM, NULL},
    {"mov Gv,Ev", OP1(0x8b), -1, SV, I0, T_RM, NULL},
    {"mov Eb,Ib", OP1(0xc6), 0, S1, IB, T_RM, NULL},
    {"mov Ev,Iz", OP1(0xc7), 0, SV, IZ, T_RM, NULL},
    {"mov Zb,Ib", OP1(0xb0), -1, S1, IB, T_PLUSR, NULL},
    {"mov Zv,Iv", OP1(0xb8), -1, SV, IV, T_PLUSR, NULL},
    {"lea Gv,M", OP1(0x8d), -1, SV, I0, T_MEM, NULL},
    {"movzx Gv,Eb", OP2(0x0f, 0xb6), -1, SV, I0, T_RM, NULL},
    {"movzx Gv,Ew", OP2(0x0f, 0xb7), -1, S4 | S8, I0, T_RM, NULL},
    {"movsx Gv,Eb", OP2(0x0f, 0xbe), -1, SV, I0, T_RM, NULL},
    {"movsx Gv,Ew", OP2(0x0f, 0xbf), -1, S4 | S8, I0, T_RM, NULL},
    {"movsxd Gv,Ed", OP1(0x63), -1, S4 | S8, I0, T_RM, NULL},
    {"xchg Eb,Gb", OP1(0x86), -1, S1, I0, T_RM, NULL},
    {"xchg Ev,Gv", OP1(0x87), -1, SV, I0, T_RM, NULL},
    {"xchg Zv,rAX", OP1(0x90), -1, SV, I0, T_PLUSR, NULL},
    {"cmpxchg Eb,Gb", OP2(0x0f, 0xb0), -1, S1, I0, T_RM, NULL},
    {"cmpxchg Ev,Gv", OP2(0x0f, 0xb1), -1, SV, I0, T_RM, NULL},
    {"cmpxchg Ev,Gv eq", OP2(0x0f, 0xb1), -1, S8, I0, T_MEM, "488b03"},
    {"xadd Eb,Gb", OP2(0x0f, 0xc0), -1, S1, I0, T_RM, NULL},
    {"xadd Ev,Gv", OP2(0x0f, 0xc1), -1, SV, I0, T_RM, NULL},
    {"cmpxchg8b", OP2(0x0f, 0xc7), 1, S4, I0, T_MEM, NULL},
    {"cmpxchg8b eq", OP2(0x0f, 0xc7), 1, S4, I0, T_MEM | T_ALIGN16, "8b03 8b5304"},
    {"cmpxchg16b", OP2(0x0f, 0xc7), 1, S8, I0, T_MEM | T_ALIGN16 | T_ONLY64, NULL},
    {"cmpxchg16b eq", OP2(0x0f, 0xc7), 1, S8, I0, T_MEM | T_ALIGN16, "488b03 488b5308"},
    {"cbw/cwde/cdqe", OP1(0x98), 0, SV, I0, T_NOMODRM, NULL},
    {"cwd/cdq/cqo", OP1(0x99), 0, SV, I0, T_NOMODRM, NULL},
    {"setcc", OP2(0x0f, 0x90), 0, S1, I0, T_RM, NULL},
    {"cmovcc", OP2(0x0f, 0x40), -1, SV, I0, T_RM, NULL},
    {"bswap", OP2(0x0f, 0xc8), -1, SV, I0, T_PLUSR, NULL},
    {"sahf", OP1(0x9e), 0, S4, I0, T_NOMODRM, NULL},
    {"lahf", OP1(0x9f), 0, S4, I0, T_NOMODRM, NULL},
    {"cmc", OP1(0xf5), 0, S4, I0, T_NOMODRM, NULL},
    {"clc", OP1(0xf8), 0, S4, I0, T_NOMODRM, NULL},
    {"stc", OP1(0xf9), 0, S4, I0, T_NOMODRM, NULL},
    {"shift Eb,1", OP1(0xd0), 0, S1, I0, T_RM, NULL},
    {"shift Ev,1", OP1(0xd1), 0, SV, I0, T_RM, NULL},
    {"shift Eb,CL", OP1(0xd2), 0, S1, I0, T_RM, NULL},
    {"shift Ev,CL", OP1(0xd3), 0, SV, I0, T_RM, NULL},
    {"shift Eb,Ib", OP1(0xc0), 0, S1, IB, T_RM, NULL},
    {"shift Ev,Ib", OP1(0xc1), 0, SV, IB, T_RM, NULL},
    {"shld Ev,Gv,Ib", OP2(0x0f, 0xa4), -1, SV, IB, T_RM, NULL},
    {"shld Ev,Gv,CL", OP2(0x0f, 0xa5), -1, SV, I0, T_RM, NULL},
    {"shrd Ev,Gv,Ib", OP2(0x0f, 0xac), -1, SV, IB, T_RM, NULL},
    {"shrd Ev,Gv,CL", OP2(0x0f, 0xad), -1, SV, I0, T_RM, NULL},
    {"bt Ev,Gv", OP2(0x0f, 0xa3), -1, SV, I0, T_REG, NULL},
    {"bts Ev,Gv", OP2(0x0f, 0xab), -1, SV, I0, T_REG, NULL},
    {"btr Ev,Gv", OP2(0x0f, 0xb3), -1, SV, I0, T_REG, NULL},
    {"btc Ev,Gv", OP2(0x0f, 0xbb), -1, SV, I0, T_REG, NULL},
    {"bt* m,Gv small", OP2(0x0f, 0xab), -1, SV, I0, T_MEM, "48c7c6"},
    {"bt* Ev,Ib", OP2(0x0f, 0xba), 4, SV, IB, T_RM, NULL},
    {"bsf", OP2(0x0f, 0xbc), -1, SV, I0, T_RM, NULL},
    {"bsr", OP2(0x0f, 0xbd), -1, SV, I0, T_RM, NULL},
    {"lzcnt", OP2(0x0f, 0xbd), -1, SV, I0, T_RM | T_F3, NULL},
    {"popcnt", OP2(0x0f, 0xb8), -1, SV, I0, T_RM | T_F3, NULL},
    {"imul Gv,Ev", OP2(0x0f, 0xaf), -1, SV, I0, T_RM, NULL},
    {"imul Gv,Ev,Iz", OP1(0x69), -1, SV, IZ, T_RM, NULL},
    {"imul Gv,Ev,Ib", OP1(0x6b), -1, SV, IB, T_RM, NULL},
    {"push Zv; pop", OP1(0x50), -1, S8 | S2, I0, T_PLUSR | T_NOW, NULL},
    {"pop Zv", OP1(0x58), -1, S8 | S2, I0, T_PLUSR | T_NOW, NULL},
    {"push Ib", OP1(0x6a), 0, S8, IB, T_NOMODRM | T_NOW, NULL},
    {"push Iz", OP1(0x68), 0, S8, IZ, T_NOMODRM | T_NOW, NULL},
    {"push Ev", OP1(0xff), 6, S8 | S2, I0, T_RM | T_NOW, NULL},
    {"pop Ev", OP1(0x8f), 0, S8 | S2, I0, T_MEM | T_NOW, NULL},
    {"pushf", OP1(0x9c), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"push imm; popf", OP1(0x68), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"leave", OP1(0xc9), 0, S8, I0, T_NOMODRM | T_NOW, "4889e5 6a07"},
    {"enter", OP1(0xc8), 0, S8, IW, T_NOMODRM | T_NOW, NULL},
    {"enter nested", OP1(0xc8), 0, S8, IW, T_NOMODRM | T_NOW, "89dd"},
    {"movs", OP1(0xa4), 0, S1, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"movs v", OP1(0xa5), 0, SV, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"cmps", OP1(0xa6), 0, S1, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"cmps v", OP1(0xa7), 0, SV, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"stos", OP1(0xaa), 0, S1, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"stos v", OP1(0xab), 0, SV, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"lods", OP1(0xac), 0, S1, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"lods v", OP1(0xad), 0, SV, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"scas", OP1(0xae), 0, S1, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"scas v", OP1(0xaf), 0, SV, I0, T_NOMODRM, "488d7340 488d7b80 b9"},
    {"xlat", OP1(0xd7), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"jcc rel8", OP1(0x70), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"jcc rel32", OP2(0x0f, 0x80), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"jrcxz/loop", OP1(0xe0), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    {"call/ret", OP1(0xe8), 0, S8, I0, T_NOMODRM | T_NOW, NULL},
    /* Legacy opcodes (compatibility mode). */
    {"inc Zv", OP1(0x40), -1, S2 | S4, I0, T_PLUSR | T_ONLY32, NULL},
    {"dec Zv", OP1(0x48), -1, S2 | S4, I0, T_PLUSR | T_ONLY32, NULL},
    {"pusha;popa", OP1(0x60), 0, S2 | S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"daa", OP1(0x27), 0, S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"das", OP1(0x2f), 0, S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"aaa", OP1(0x37), 0, S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"aas", OP1(0x3f), 0, S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"aam", OP1(0xd4), 0, S4, IB, T_NOMODRM | T_ONLY32, NULL},
    {"aad", OP1(0xd5), 0, S4, IB, T_NOMODRM | T_ONLY32, NULL},
    {"salc", OP1(0xd6), 0, S4, I0, T_NOMODRM | T_ONLY32, NULL},
    {"bound", OP1(0x62), -1, S2 | S4, I0, T_MEM | T_ONLY32, NULL},
};
/* clang-format on */

/* ---- generation ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* Operand values with the edges that break flag logic. */
static uint64_t rnd_value(struct rng *r)
{
	static const uint64_t edge[] = {0,
					1,
					2,
					0x7f,
					0x80,
					0xff,
					0x7fff,
					0x8000,
					0xffff,
					0x7fffffff,
					0x80000000,
					0xffffffff,
					0x7fffffffffffffffULL,
					0x8000000000000000ULL,
					~0ULL,
					0x0f0f0f0f0f0f0f0fULL,
					9,
					16,
					31,
					32,
					33,
					63,
					64};
	uint64_t k = rnd(r) % 4;
	if (k == 0)
		return edge[rnd(r) % (sizeof(edge) / sizeof(edge[0]))];
	if (k == 1)
		return rnd(r) & 0xff;
	if (k == 2)
		return (uint64_t)(int64_t)(int8_t)rnd(r);
	return rnd(r);
}

/* A register operand: not RBX or RSP; for byte operands without REX, not BH (7);
 * only the first eight in compatibility mode. */
static unsigned rnd_reg(struct rng *r, bool byte_no_rex, bool compat)
{
	static const uint8_t any[] = {0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	static const uint8_t low[] = {0, 1, 2, 4, 5, 6};
	if (byte_no_rex)
		return low[rnd(r) % sizeof(low)];
	return any[rnd(r) % (compat ? 6 : sizeof(any))];
}

static unsigned hexbytes(const char *s, uint8_t *out)
{
	unsigned n = 0;
	while (s && *s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Appends one instance of t (operand size size) at p; returns the bytes written. */
static unsigned emit(struct rng *r, const struct tmpl *t, unsigned size, uint8_t *p, bool compat)
{
	unsigned n = hexbytes(t->pre, p);
	bool byte_no_rex = size == 1 && (compat || (rnd(r) & 1));
	bool mem = (t->flags & T_MEM) && (!(t->flags & T_REG) || (rnd(r) & 1));
	unsigned reg = rnd_reg(r, byte_no_rex, compat), rm = rnd_reg(r, byte_no_rex, compat);
	uint8_t ext = (uint8_t)(t->ext >= 0 ? t->ext : 0);
	uint8_t rex = 0;
	/* Templates with a count or index prefix: fill the immediate of the "pre" bytes. */
	if (t->pre && !strcmp(t->pre, "488d7340 488d7b80 b9")) {
		uint32_t cnt = (uint32_t)(rnd(r) % 17);
		memcpy(p + n, &cnt, 4);
		n += 4;
		if (rnd(r) & 1)
			p[n++] = rnd(r) & 1 ? 0xf3 : 0xf2; /* REP/REPE or REPNE */
	}
	if (t->pre && !strcmp(t->pre, "48c7c6")) { /* mov rsi, small bit offset */
		int32_t off = (int32_t)(rnd(r) % 1024) - 512;
		memcpy(p + n, &off, 4);
		n += 4;
		reg = RSI;
	}
	if (!strcmp(t->name, "bt* Ev,Ib"))
		ext = (uint8_t)(4 + rnd(r) % 4);
	if (!strncmp(t->name, "shift", 5))
		ext = (uint8_t)(rnd(r) % 8);
	if (t->op[0] < 0x40 && (t->op[0] & 7) < 6 && t->oplen == 1)
		ext = (uint8_t)(rnd(r) % 8); /* the ALU operation */
	if (!strncmp(t->name, "grp1", 4))
		ext = (uint8_t)(rnd(r) % 8);
	if (!compat && mem && rnd(r) % 4 == 0)
		p[n++] = 0x67; /* 32-bit address size: [ebx + disp8] is still in the page */
	if (!compat && mem && rnd(r) % 8 == 0) {
		static const uint8_t ignored[] = {0x26, 0x2e, 0x36, 0x3e}; /* ES CS SS DS */
		p[n++] = ignored[rnd(r) % 4];
	}
	if (t->flags & T_F3)
		p[n++] = 0xf3;
	if (size == 2)
		p[n++] = 0x66;
	if (size == 8 && !(t->flags & T_NOW))
		rex |= 0x48;
	if (t->ext < 0 && reg >= 8)
		rex |= 0x44;
	if (t->flags & T_PLUSR) {
		rm = reg;
		if (rm >= 8)
			rex = (uint8_t)((rex & ~0x04) | 0x41);
	} else if (!mem && rm >= 8) {
		rex |= 0x41;
	}
	if (size == 1 && !byte_no_rex)
		rex |= 0x40;
	if (rex && !compat)
		p[n++] = rex;
	for (unsigned i = 0; i < t->oplen; i++)
		p[n++] = t->op[i];
	if (t->op[0] < 0x40 && t->oplen == 1)
		p[n - 1] = (uint8_t)(ext * 8 + (t->op[0] & 7));
	if (!strcmp(t->name, "setcc") || !strcmp(t->name, "cmovcc") || !strncmp(t->name, "jcc", 3))
		p[n - 1] = (uint8_t)(p[n - 1] + rnd(r) % 16);
	if (!strcmp(t->name, "jrcxz/loop"))
		p[n - 1] = (uint8_t)(0xe0 + rnd(r) % 4);
	if (t->flags & T_PLUSR)
		p[n - 1] = (uint8_t)(p[n - 1] + (rm & 7));
	if (!strncmp(t->name, "jcc", 3) || !strcmp(t->name, "jrcxz/loop")) {
		if (t->oplen == 2) {
			static const uint8_t rel32[] = {2, 0, 0, 0};
			memcpy(p + n, rel32, 4);
			n += 4;
		} else {
			p[n++] = 2;
		}
		p[n++] = 0x31; /* skipped or not: xor eax, eax */
		p[n++] = 0xc0;
		return n;
	}
	if (!strcmp(t->name, "push imm; popf")) {
		/* Status flags, DF, NT, ID and IF/IOPL (ignored at CPL 3); never TF or AC. */
		uint32_t fl = (uint32_t)(rnd(r) & 0x207ed5) | 0x202;
		memcpy(p + n, &fl, 4);
		p[n + 4] = 0x9d;
		return n + 5;
	}
	if (!strcmp(t->name, "pusha;popa")) {
		if (size == 2)
			p[n++] = 0x66; /* POPA of the same size, or RBX comes back changed */
		p[n++] = 0x61;
		return n;
	}
	if (!strcmp(t->name, "call/ret")) {
		static const uint8_t seq[] = {0x02, 0, 0, 0, 0xeb, 0x01, 0xc3, 0x58};
		memcpy(p + n, seq, sizeof(seq));
		return n + sizeof(seq);
	}
	if (!(t->flags & (T_NOMODRM | T_PLUSR))) {
		uint8_t regf = (uint8_t)(t->ext >= 0 ? ext : reg & 7);
		if (mem) {
			int8_t disp = (int8_t)(rnd(r) % 256 - 128);
			if (t->flags & T_ALIGN16)
				disp = (int8_t)(disp & ~15);
			p[n++] = (uint8_t)(0x40 | regf << 3 | 3);
			p[n++] = (uint8_t)disp;
		} else {
			p[n++] = (uint8_t)(0xc0 | regf << 3 | (rm & 7));
		}
	}
	unsigned isz = t->imm == IB   ? 1
		       : t->imm == IW ? 2
		       : t->imm == IZ ? (size == 2 ? 2 : 4)
		       : t->imm == IV ? size
				      : 0;
	if (!strncmp(t->name, "enter", 5)) {
		uint16_t frame = (uint16_t)(rnd(r) % 64);
		memcpy(p + n, &frame, 2);
		/* Nesting levels read through RBP: only when the template set RBP = RBX. */
		p[n + 2] = t->pre ? (uint8_t)(rnd(r) % 8) : 0;
		return n + 3;
	}
	for (unsigned i = 0; i < isz; i++) {
		uint64_t v = rnd_value(r);
		p[n++] = (uint8_t)(v >> (8 * (i % 8)));
	}
	return n;
}

/* The operand sizes t has in a mode: no 8 in compatibility mode, where the default-64
 * instructions are 32-bit; 0 when t does not exist in the mode. */
static unsigned mode_sizes(const struct tmpl *t, bool compat)
{
	unsigned s = t->sizes;
	if (t->flags & (compat ? T_ONLY64 : T_ONLY32))
		return 0;
	if (!compat)
		return s;
	if ((t->flags & T_NOW) && (s & S8))
		s |= S4;
	return s & ~(unsigned)S8;
}

static unsigned pick_size(struct rng *r, const struct tmpl *t, bool compat)
{
	static const uint8_t order[] = {1, 2, 4, 8};
	unsigned sizes = mode_sizes(t, compat);
	for (;;) {
		unsigned s = order[rnd(r) % 4];
		if (sizes & s)
			return s;
	}
}

static void init_state(struct rng *r, struct diff_case *c)
{
	for (int i = 0; i < 16; i++)
		c->gpr[i] = rnd_value(r);
	c->gpr[RBX] = ENV_DATA + 0x800;
	c->gpr[RSP] = ENV_DATA + 0xe00;
	c->rflags = 0x202 | (rnd(r) & STATUS_FLAGS) | (rnd(r) % 8 == 0 ? RFLAGS_DF : 0);
	for (int i = 0; i < DIFF_DATA_SIZE; i += 8) {
		uint64_t v = rnd_value(r);
		memcpy(c->data + i, &v, 8);
	}
}

static void finish(struct diff_case *c, unsigned n)
{
	c->code[n++] = 0xcc;
	c->code_len = n;
}

/* Runs cases natively and in mmemu; returns the number of mismatches. */
static int run_cases(struct cpu_env *e, struct diff_case *cases, int n)
{
	struct diff_result *nat = calloc((size_t)n, sizeof(*nat));
	struct diff_result m;
	int bad = 0;
	assert_non_null(nat);
	assert_int_equal(diff_run_native(cases, nat, n), 0);
	const char *last_bad = "";
	for (int i = 0; i < n; i++) {
		diff_run_mmemu(e, &cases[i], &m);
		/* Report the first mismatch of each template; count them all. */
		bool quiet = !strcmp(cases[i].name, last_bad);
		if (!diff_compare(&cases[i], &nat[i], &m, quiet)) {
			bad++;
			last_bad = cases[i].name;
		}
	}
	free(nat);
	return bad;
}

/* The sanitizer build runs a quarter of the cases: its point there is memory safety. */
#ifdef MMEMU_SANITIZE
#define DIRECTED_PER_TEMPLATE 32
#define RANDOM_SEQUENCES 1250
#else
#define DIRECTED_PER_TEMPLATE 128
#define RANDOM_SEQUENCES 5000
#endif
#define SEQ_MAX 12

static int directed(struct cpu_env *e, bool compat)
{
	size_t nt = sizeof(tmpls) / sizeof(tmpls[0]);
	struct diff_case *cases = calloc(nt * DIRECTED_PER_TEMPLATE, sizeof(*cases));
	struct rng r = {compat ? 0x51afd7ed558ccdULL : 0x9e3779b97f4a7c15ULL};
	int n = 0;
	assert_non_null(cases);
	for (size_t t = 0; t < nt; t++) {
		if (!mode_sizes(&tmpls[t], compat))
			continue;
		for (int k = 0; k < DIRECTED_PER_TEMPLATE; k++) {
			struct diff_case *c = &cases[n++];
			init_state(&r, c);
			c->compat = compat;
			snprintf(c->name, sizeof(c->name), "%s%s", compat ? "compat " : "",
				 tmpls[t].name);
			finish(c, emit(&r, &tmpls[t], pick_size(&r, &tmpls[t], compat), c->code,
				       compat));
		}
	}
	int bad = run_cases(e, cases, n);
	fprintf(stderr, "diff: %d directed cases (%s), %d mismatches\n", n,
		compat ? "compatibility mode" : "64-bit mode", bad);
	free(cases);
	return bad;
}

static int random_sequences(struct cpu_env *e, bool compat)
{
	size_t nt = sizeof(tmpls) / sizeof(tmpls[0]);
	struct diff_case *cases = calloc(RANDOM_SEQUENCES, sizeof(*cases));
	struct rng r = {compat ? 0x3c6ef372fe94f82bULL : 0x2545f4914f6cdd1dULL};
	assert_non_null(cases);
	for (int i = 0; i < RANDOM_SEQUENCES; i++) {
		struct diff_case *c = &cases[i];
		unsigned len = 0, k = 2 + (unsigned)(rnd(&r) % (SEQ_MAX - 1));
		init_state(&r, c);
		c->compat = compat;
		snprintf(c->name, sizeof(c->name), "%ssequence %d", compat ? "compat " : "", i);
		for (unsigned j = 0; j < k; j++) {
			const struct tmpl *t = &tmpls[rnd(&r) % nt];
			if (!mode_sizes(t, compat)) {
				j--;
				continue;
			}
			len += emit(&r, t, pick_size(&r, t, compat), c->code + len, compat);
		}
		finish(c, len);
	}
	int bad = run_cases(e, cases, RANDOM_SEQUENCES);
	fprintf(stderr, "diff: %d random sequences (%s), %d mismatches\n", RANDOM_SEQUENCES,
		compat ? "compatibility mode" : "64-bit mode", bad);
	free(cases);
	return bad;
}

static void test_diff_directed_every_form_matches_host(void **state)
{
	assert_int_equal(directed(*state, false), 0);
}

static void test_diff_random_sequences_match_host(void **state)
{
	assert_int_equal(random_sequences(*state, false), 0);
}

static void test_diff_compat_directed_every_form_matches_host(void **state)
{
	assert_int_equal(directed(*state, true), 0);
}

static void test_diff_compat_random_sequences_match_host(void **state)
{
	assert_int_equal(random_sequences(*state, true), 0);
}

static int setup(void **state)
{
	static struct cpu_env env;
	env_init(&env);
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_diff_directed_every_form_matches_host, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_diff_random_sequences_match_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_compat_directed_every_form_matches_host,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_compat_random_sequences_match_host, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
