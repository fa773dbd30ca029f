/*
 * tests/cpu/test_decode_capstone.c - the decoder checked against Capstone.
 *
 * Two oracle runs: a million and a half seeded random 15-byte strings (64-, 32- and
 * 16-bit code), and a linear sweep over the code sections of static binaries that gcc
 * builds here and now. For every string, mmemu's decoder and Capstone must agree on
 * whether there is an instruction, on its length and on its mnemonic.
 *
 * Where they disagree because Capstone is wrong, the difference belongs to one of the
 * known_differences below: each names the rule, carries a byte string that shows it (whose
 * behaviour on this machine's processor is recorded in docs/cpu.md) and a predicate that
 * recognises the whole class, written from the SDM, not from the decoder. Every entry must
 * actually occur, and any difference outside the list fails the test.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <capstone/capstone.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>

#include "cpu/decode.h"

#define MAX_BYTES 15

/* One Capstone handle and instruction buffer per code size. */
struct oracle {
	csh cs[3];	/* 16, 32, 64-bit mode handles */
	cs_insn *ci[3]; /* instruction buffers for cs_disasm_iter */
	int depth;	/* nesting of classify(): a rule may ask about a changed string */
};

/* What the two decoders said about one byte string. */
struct verdict {
	enum x86_decode_status st;    /* mmemu's status */
	struct x86_instr insn;	      /* mmemu's instruction (valid for OK, or VEX length) */
	char mm_mn[X86_MNEMONIC_MAX]; /* mmemu's mnemonic when OK */
	int cs_ok;		      /* Capstone decoded an instruction */
	int cs_len;		      /* its length */
	char cs_mn[32];		      /* its mnemonic without prefix words */
	char cs_ops[160];	      /* its operand text (for messages and predicates) */
};

static int mode_index(enum x86_mode m)
{
	return m == X86_MODE_16 ? 0 : m == X86_MODE_32 ? 1 : 2;
}

static void oracle_open(struct oracle *o)
{
	static const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};

	o->depth = 0;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(cs_open(CS_ARCH_X86, modes[i], &o->cs[i]), CS_ERR_OK);
		o->ci[i] = cs_malloc(o->cs[i]);
		assert_non_null(o->ci[i]);
	}
}

static void oracle_close(struct oracle *o)
{
	for (int i = 0; i < 3; i++) {
		cs_free(o->ci[i], 1);
		cs_close(&o->cs[i]);
	}
}

/*
 * strip_prefix_words - Capstone writes prefixes into the mnemonic ("lock add", "rep
 * movsb", "bnd jmp", "xacquire xchg"); mmemu keeps them in x86_instr.prefixes.
 */
static const char *strip_prefix_words(const char *m)
{
	static const char *const words[] = {"lock ", "rep ",	  "repe ",     "repne ",
					    "bnd ",  "xacquire ", "xrelease ", "notrack "};
	int again = 1;

	while (again) {
		again = 0;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t l = strlen(words[i]);

			if (strncmp(m, words[i], l) == 0) {
				m += l;
				again = 1;
			}
		}
	}
	return m;
}

/* judge - decode b with both; returns 1 when they agree. */
static int judge(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode mode,
		 struct verdict *v)
{
	int mi = mode_index(mode);
	const uint8_t *p = b;
	size_t left = n;
	uint64_t addr = 0x1000;

	memset(v, 0, sizeof(*v));
	v->st = x86_decode(&v->insn, b, n, mode);
	if (v->st == X86_DECODE_OK)
		x86_insn_mnemonic(&v->insn, v->mm_mn);
	v->cs_ok = cs_disasm_iter(o->cs[mi], &p, &left, &addr, o->ci[mi]);
	if (v->cs_ok) {
		v->cs_len = o->ci[mi]->size;
		snprintf(v->cs_mn, sizeof(v->cs_mn), "%s", strip_prefix_words(o->ci[mi]->mnemonic));
		snprintf(v->cs_ops, sizeof(v->cs_ops), "%s", o->ci[mi]->op_str);
	}
	if (v->st == X86_DECODE_OK)
		return v->cs_ok && v->cs_len == v->insn.len && strcmp(v->cs_mn, v->mm_mn) == 0;
	if (v->st == X86_DECODE_UD && (v->insn.flags & X86_INSN_VEX))
		return !v->cs_ok || v->cs_len == v->insn.len;
	return !v->cs_ok;
}

/* ------------------------------------------------------------------ prefix scanning */

/* Legacy prefixes and REX, read from the SDM's rules (Vol. 2, 2.1.1 and 2.2.1). */
struct prefix_scan {
	int count;    /* prefix bytes before the opcode */
	int pos66;    /* index of the first 66, -1 if none */
	int pos67;    /* index of the first 67, -1 */
	int posf0;    /* index of the first F0, -1 */
	int last_rep; /* index of the last F2/F3, -1 */
	int live_rex; /* index of a REX that is the last prefix, -1 */
	int dead_rex; /* index of a REX followed by a legacy prefix, -1 */
};

static int is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0:
	case 0xf2:
	case 0xf3:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x26:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
		return 1;
	default:
		return 0;
	}
}

static void scan_prefixes(const uint8_t *b, size_t n, enum x86_mode mode, struct prefix_scan *s)
{
	int i;

	memset(s, 0xff, sizeof(*s));
	for (i = 0; i < (int)n; i++) {
		int rex = mode == X86_MODE_64 && (b[i] & 0xf0) == 0x40;

		if (!rex && !is_legacy_prefix(b[i]))
			break;
		if (b[i] == 0x66 && s->pos66 < 0)
			s->pos66 = i;
		if (b[i] == 0x67 && s->pos67 < 0)
			s->pos67 = i;
		if (b[i] == 0xf0 && s->posf0 < 0)
			s->posf0 = i;
		if (b[i] == 0xf2 || b[i] == 0xf3)
			s->last_rep = i;
		if (rex && i + 1 < (int)n && is_legacy_prefix(b[i + 1]))
			s->dead_rex = i;
	}
	s->count = i;
	if (i > 0 && mode == X86_MODE_64 && (b[i - 1] & 0xf0) == 0x40)
		s->live_rex = i - 1;
}

/* without - copy b without the byte at index i (out may be b itself). */
static size_t without(const uint8_t *b, size_t n, int i, uint8_t *out)
{
	memmove(out, b, (size_t)i);
	memmove(out + i, b + i + 1, n - (size_t)i - 1);
	return n - 1;
}

/* same_mmemu - mmemu decodes a and b to the same mnemonic, a being `shorter` bytes longer. */
static int same_mmemu(const struct verdict *a, const struct verdict *b, int shorter)
{
	return a->st == X86_DECODE_OK && b->st == X86_DECODE_OK &&
	       a->insn.len == b->insn.len + shorter && strcmp(a->mm_mn, b->mm_mn) == 0;
}

/* ------------------------------------------------------------------ known differences */

static int classify(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
		    const struct verdict *v);

/*
 * agrees_or_known - after a rule has taken its own difference out of a byte string, the
 * rest must agree or be another known difference (two Capstone defects in one string).
 */
static int agrees_or_known(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			   struct verdict *w)
{
	return judge(o, b, n, m, w) || classify(o, b, n, m, w) >= 0;
}

/*
 * LOCK on an instruction that is not a locked read-modify-write of memory: the SDM's
 * LOCK page says #UD, the host raises SIGILL; Capstone decodes it (and sometimes drops
 * the "lock" word). Without the F0 the two agree (or differ by another known rule).
 */
static int match_lock_not_lockable(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				   const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	size_t cn = n;
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	if (v->st != X86_DECODE_UD || !v->cs_ok || s.posf0 < 0)
		return 0;
	memcpy(c, b, n);
	for (int i = s.count - 1; i >= 0; i--)
		if (c[i] == 0xf0)
			cn = without(c, cn, i, c);
	if (cn == n)
		return 0;
	return agrees_or_known(o, c, cn, m, &w) && w.st == X86_DECODE_OK;
}

/* MOV CS, r/m (8E /1): #UD per the SDM's MOV page and on the host; Capstone decodes it. */
static int match_mov_to_cs(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			   const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && v->cs_ok && (size_t)s.count + 1 < n &&
	       b[s.count] == 0x8e && ((b[s.count + 1] >> 3) & 7) == 1;
}

/*
 * MOV Sreg with REX.R: the segment register field is three bits and REX.R is ignored
 * (the host executes 4E 8C 00); Capstone rejects the encoding.
 */
static int match_sreg_rex_r(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			    const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_OK && !v->cs_ok && s.live_rex >= 0 && (b[s.live_rex] & 0x04) &&
	       (b[s.count] == 0x8c || b[s.count] == 0x8e);
}

/*
 * The hint-NOP space 0F 18-1F with a register operand (SDM Vol. 2, NOP and Table A-3:
 * "NOP Ev" for 0F 19-1F, reserved-NOP for group 16 with mod = 11B): the host executes
 * them; Capstone rejects most register forms.
 */
static int match_hint_nop_register(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				   const struct verdict *v)
{
	return v->st == X86_DECODE_OK && !v->cs_ok && v->insn.map == 1 && v->insn.opcode >= 0x18 &&
	       v->insn.opcode <= 0x1f && v->insn.mod == 3 && strcmp(v->mm_mn, "nop") == 0;
}

/*
 * AMD PREFETCH (0F 0D /0, and /2-/7 as its aliases, AMD APM Vol. 3): the host executes
 * them (CPUID 3DNowPrefetch); Capstone knows only PREFETCHW (/1).
 */
static int match_amd_prefetch(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			      const struct verdict *v)
{
	return v->st == X86_DECODE_OK && !v->cs_ok && v->insn.map == 1 && v->insn.opcode == 0x0d &&
	       ((v->insn.modrm >> 3) & 7) != 1;
}

/*
 * UD1 (0F B9 /r) and UD0 (0F FF /r) take a ModRM operand (SDM Vol. 2, UD: "UD1 r32,
 * r/m32", "UD0 r32, r/m32"); Capstone ends them after the opcode.
 */
static int match_ud_modrm(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			  const struct verdict *v)
{
	int ud1 = strcmp(v->mm_mn, "ud1") == 0 && strcmp(v->cs_mn, "ud2b") == 0;
	int ud0 = strcmp(v->mm_mn, "ud0") == 0 && strcmp(v->cs_mn, "ud0") == 0;
	int mm_ud = strcmp(v->mm_mn, "ud0") == 0 || strcmp(v->mm_mn, "ud1") == 0;

	if (v->st != X86_DECODE_OK || !mm_ud)
		return 0;
	return !v->cs_ok || ((ud0 || ud1) && v->cs_len < v->insn.len);
}

/*
 * 66 0F 12/13/16/17 with a register operand: MOVLPD/MOVHPD take only memory (SDM Vol. 2),
 * the host raises #UD; Capstone reads them as MOVHLPS/MOVLHPS.
 */
static int match_movlpd_register(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				 const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && v->cs_ok && s.pos66 >= 0 && s.last_rep < 0 &&
	       (size_t)s.count + 2 < n && b[s.count] == 0x0f && (b[s.count + 1] & 0xfa) == 0x12 &&
	       b[s.count + 2] >= 0xc0;
}

/*
 * 66 together with REX.W: REX.W wins (SDM Vol. 2, 2.2.1.2: "REX.W ... the 66H prefix is
 * ignored"); the host's PUSHF with 66 48 pushes 8 bytes. Capstone applies the 66.
 */
static int match_66_under_rex_w(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	size_t cn;
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	if (s.pos66 < 0 || s.live_rex < 0 || !(b[s.live_rex] & 0x08))
		return 0;
	memcpy(c, b, n);
	cn = n;
	for (int i = s.count - 1; i >= 0; i--)
		if (c[i] == 0x66)
			cn = without(c, cn, i, c);
	if (!agrees_or_known(o, c, cn, m, &w))
		return 0;
	return same_mmemu(v, &w, (int)(n - cn)) ||
	       (v->st == X86_DECODE_UD && w.st == X86_DECODE_UD);
}

/*
 * 66 before F2/F3 on a non-SSE instruction: the 66 is still an operand-size prefix (the
 * host's 66 F3 AB stores words: RDI advances by 2); Capstone drops it, thinking it
 * mandatory. With the prefixes swapped Capstone gets it right.
 */
static int match_66_before_rep(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			       const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	if (s.pos66 < 0 || s.last_rep < 0 || s.pos66 > s.last_rep || b[s.count] == 0x0f)
		return 0;
	memcpy(c, b, n);
	c[s.pos66] = b[s.last_rep];
	c[s.last_rep] = 0x66;
	for (int i = 0; i < s.count; i++)
		if (i != s.pos66 && i != s.last_rep &&
		    (c[i] == 0x66 || c[i] == 0xf2 || c[i] == 0xf3))
			return 0;
	return judge(o, c, n, m, &w) && w.st == v->st;
}

/*
 * 64-bit mode, 67 with REX.W: the address size is 32 (JECXZ, [edi]) and the operand size
 * 64 or the instruction's fixed size; Capstone lets REX.W change the address-size forms
 * (JRCXZ) and 67 the operand size (POPF, INSW), or read 67 REX.W as a mandatory 66 (67 48
 * 0F 6C, #UD on the host, is PUNPCKLQDQ to it). The host's 67 48 9D pops 8 bytes.
 * Without the REX.W bit (which the SDM makes irrelevant for these) Capstone agrees.
 */
static int match_rex_w_with_67(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			       const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	if (m != X86_MODE_64 || s.pos67 < 0 || s.live_rex < 0 || !(b[s.live_rex] & 0x08))
		return 0;
	memcpy(c, b, n);
	c[s.live_rex] &= ~0x08;
	if (!agrees_or_known(o, c, n, m, &w))
		return 0;
	return same_mmemu(v, &w, 0) || (v->st == X86_DECODE_UD && w.st == X86_DECODE_UD);
}

/*
 * F3 90 with a 66 or a REX.W as well: PAUSE (SDM Vol. 2, PAUSE: F3 90; neither prefix has
 * an operand to act on). Capstone calls it NOP or XCHG RAX, RAX. All three do nothing, so
 * the host cannot tell them apart.
 */
static int match_pause_with_size_prefix(struct oracle *o, const uint8_t *b, size_t n,
					enum x86_mode m, const struct verdict *v)
{
	return v->st == X86_DECODE_OK && strcmp(v->mm_mn, "pause") == 0 && v->cs_ok &&
	       (strcmp(v->cs_mn, "nop") == 0 || strcmp(v->cs_mn, "xchg") == 0) &&
	       v->cs_len == v->insn.len;
}

/*
 * LFENCE/MFENCE/SFENCE (0F AE E8-FF) with r/m other than 0: the host executes all of them
 * (the SDM's opcode map lists group 15, mod = 11B, /5-/7 as the fences whatever r/m is);
 * Capstone only knows r/m = 0.
 */
static int match_fence_rm(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			  const struct verdict *v)
{
	return v->st == X86_DECODE_OK && !v->cs_ok && v->insn.map == 1 && v->insn.opcode == 0xae &&
	       v->insn.mod == 3 && (v->insn.modrm & 7) != 0 && strstr(v->mm_mn, "fence") != NULL;
}

/*
 * VIA PadLock (0F A6 / 0F A7 with mod = 11B: XSTORE, XCRYPT*, XSHA*, MONTMUL): in neither
 * the SDM nor AMD's manual, #UD on the host; Capstone decodes them.
 */
static int match_via_padlock(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			     const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && v->cs_ok && (size_t)s.count + 1 < n &&
	       b[s.count] == 0x0f && (b[s.count + 1] == 0xa6 || b[s.count + 1] == 0xa7) &&
	       (v->cs_mn[0] == 'x' || strcmp(v->cs_mn, "montmul") == 0);
}

/*
 * move_prefix_last - copy b with the prefix at index from moved to just before the opcode
 * (before a REX, which must stay last). Returns 0 when there is nothing to move.
 */
static int move_prefix_last(const uint8_t *b, size_t n, const struct prefix_scan *s, int from,
			    uint8_t *out)
{
	int last = s->live_rex >= 0 ? s->live_rex - 1 : s->count - 1;
	uint8_t p = b[from];

	if (from >= last)
		return 0;
	memcpy(out, b, n);
	memmove(out + from, out + from + 1, (size_t)(last - from));
	out[last] = p;
	return 1;
}

/*
 * A 66, 67, F2 or F3 that is not the last legacy prefix still acts (prefixes may come in
 * any order, SDM Vol. 2, 2.1.1). The host's 66 2E E8 takes a rel16 like 66 E8; Capstone
 * ignores a 66/67 followed by another prefix on some opcodes (CALL/JMP rel, JCXZ) and a
 * mandatory F2/F3 followed by a segment prefix. With the prefix moved last, it agrees.
 */
static int match_prefix_not_last(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				 const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	for (int i = 0; i < s.count; i++) {
		if (b[i] != 0x66 && b[i] != 0x67 && b[i] != 0xf2 && b[i] != 0xf3)
			continue;
		if (!move_prefix_last(b, n, &s, i, c))
			continue;
		if (judge(o, c, n, m, &w) && w.st == v->st &&
		    (w.st != X86_DECODE_OK || same_mmemu(v, &w, 0)))
			return 1;
	}
	return 0;
}

/* MMX 0F 6E/7E with REX.W is MOVQ mm, r/m64 (SDM Vol. 2, MOVD/MOVQ); Capstone says movd. */
static int match_mmx_movq(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			  const struct verdict *v)
{
	return v->st == X86_DECODE_OK && v->insn.map == 1 &&
	       (v->insn.opcode == 0x6e || v->insn.opcode == 0x7e) &&
	       strcmp(v->mm_mn, "movq") == 0 && strcmp(v->cs_mn, "movd") == 0 &&
	       v->cs_len == v->insn.len;
}

/*
 * 16-bit code: 98 is CBW and 99 is CWD (SDM Vol. 2, CBW/CWDE/CDQE and CWD/CDQ/CQO, operand
 * size 16); Capstone's 16-bit mode names them by the 32-bit forms.
 */
static int match_cbw_cwd_16bit(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			       const struct verdict *v)
{
	return m == X86_MODE_16 && v->st == X86_DECODE_OK && v->cs_ok && v->cs_len == v->insn.len &&
	       v->insn.map == 0 &&
	       ((strcmp(v->mm_mn, "cbw") == 0 && strcmp(v->cs_mn, "cwde") == 0) ||
		(strcmp(v->mm_mn, "cwd") == 0 && strcmp(v->cs_mn, "cdq") == 0));
}

/*
 * Capstone's 16-bit mode ignores the mandatory prefix of SSE instructions (66 0F 58 is
 * ADDPD in every mode, SDM Vol. 2 ADDPD). Checked by decoding the same instruction as
 * 32-bit code with a 67, which keeps the 16-bit addressing: there Capstone agrees.
 */
static int match_sse_prefix_16bit(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				  const struct verdict *v)
{
	uint8_t c[MAX_BYTES];
	struct verdict w;
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	if (m != X86_MODE_16 || v->st != X86_DECODE_OK || v->insn.map == 0 ||
	    (s.last_rep < 0 && s.pos66 < 0))
		return 0;
	c[0] = 0x67;
	memcpy(c + 1, b, n < MAX_BYTES ? n : n - 1);
	return judge(o, c, n < MAX_BYTES ? n + 1 : n, X86_MODE_32, &w) && w.st == X86_DECODE_OK &&
	       w.insn.len == v->insn.len + 1 && strcmp(w.mm_mn, v->mm_mn) == 0;
}

/*
 * MOV AL/rAX, moffs (A0-A3) with 67 in 64-bit mode has a 32-bit offset; Capstone's own
 * convention spells that "mov" (67 A2 ...), but with a 66 as well it says "movabs" for the
 * same 32-bit offset.
 */
static int match_moffs_66_67(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			     const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return m == X86_MODE_64 && v->st == X86_DECODE_OK && s.pos66 >= 0 && s.pos67 >= 0 &&
	       v->insn.map == 0 && (v->insn.opcode & 0xfc) == 0xa0 &&
	       strcmp(v->mm_mn, "mov") == 0 && strcmp(v->cs_mn, "movabs") == 0 &&
	       v->cs_len == v->insn.len;
}

/*
 * 3DNow! has no operation with suffix 0E (AMD 3DNow! manual, Table 8); Capstone calls
 * 0F 0F /r 0E "femms" (which is 0F 0E). The host has no 3DNow! at all (#UD).
 */
static int match_3dnow_suffix_0e(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				 const struct verdict *v)
{
	return v->st == X86_DECODE_UD && v->cs_ok && strcmp(v->cs_mn, "femms") == 0 &&
	       v->cs_len > 2 && b[v->cs_len - 1] == 0x0e;
}

/*
 * EVEX with EVEX.b set and a register operand (embedded rounding, {rn-sae}): the
 * instruction ends after ModRM (the host executes 62 B1 6C 48 5E D5 as six bytes);
 * Capstone reads one byte more.
 */
static int match_evex_rounding_length(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				      const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && (v->insn.flags & X86_INSN_VEX) && v->cs_ok &&
	       (size_t)s.count + 4 < n && b[s.count] == 0x62 && (b[s.count + 3] & 0x10) &&
	       v->insn.mod == 3 && v->cs_len == v->insn.len + 1;
}

/*
 * 66 0F 78/79 is AMD's EXTRQ and F2 0F 78/79 INSERTQ, register operands only (AMD APM
 * Vol. 4); with a memory operand the host raises #UD. Capstone drops the prefix and reads
 * VMREAD/VMWRITE.
 */
static int match_extrq_memory(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			      const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && v->cs_ok &&
	       ((s.pos66 >= 0 && s.last_rep < 0) || (s.last_rep >= 0 && b[s.last_rep] == 0xf2)) &&
	       (size_t)s.count + 2 < n && b[s.count] == 0x0f &&
	       (b[s.count + 1] == 0x78 || b[s.count + 1] == 0x79) && b[s.count + 2] < 0xc0 &&
	       strncmp(v->cs_mn, "vm", 2) == 0;
}

/*
 * EXTRQ with immediates is 66 0F 78 /0 (AMD APM Vol. 4); another ModRM.reg is #UD on the
 * host (66 0F 78 FF ...). Capstone ignores the reg field.
 */
static int match_extrq_reg_field(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
				 const struct verdict *v)
{
	struct prefix_scan s;

	scan_prefixes(b, n, m, &s);
	return v->st == X86_DECODE_UD && v->cs_ok && strcmp(v->cs_mn, "extrq") == 0 &&
	       (size_t)s.count + 2 < n && b[s.count + 1] == 0x78 &&
	       ((b[s.count + 2] >> 3) & 7) != 0;
}

/*
 * MOV moffs (A0-A3) with both 66 and F2/F3: the F2/F3 means nothing to MOV and the host
 * executes it (66 F2 A0 ... faults on the address, no #UD); Capstone rejects the string.
 * Without the F2/F3 it agrees.
 */
static int match_moffs_66_rep(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			      const struct verdict *v)
{
	struct prefix_scan s;
	uint8_t c[MAX_BYTES];
	size_t cn = n;
	struct verdict w;

	scan_prefixes(b, n, m, &s);
	if (v->st != X86_DECODE_OK || v->cs_ok || s.pos66 < 0 || s.last_rep < 0 ||
	    (b[s.count] & 0xfc) != 0xa0)
		return 0;
	memcpy(c, b, n);
	for (int i = s.count - 1; i >= 0; i--)
		if (c[i] == 0xf2 || c[i] == 0xf3)
			cn = without(c, cn, i, c);
	return agrees_or_known(o, c, cn, m, &w) && same_mmemu(v, &w, (int)(n - cn));
}

/* SWAPGS (0F 01 F8) exists only in 64-bit mode (SDM Vol. 2, SWAPGS: #UD otherwise). */
static int match_swapgs_legacy(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			       const struct verdict *v)
{
	return m != X86_MODE_64 && v->st == X86_DECODE_UD && v->cs_ok &&
	       strcmp(v->cs_mn, "swapgs") == 0;
}

struct known_difference {
	const char *name;    /* the rule, as in docs/cpu.md */
	enum x86_mode mode;  /* mode of the example */
	const char *example; /* hex bytes showing it */
	int (*match)(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
		     const struct verdict *v);
};

static const struct known_difference known_differences[] = {
    {"lock-not-lockable", X86_MODE_64, "f00300", match_lock_not_lockable},
    {"mov-to-cs", X86_MODE_64, "8ec9", match_mov_to_cs},
    {"sreg-rex-r", X86_MODE_64, "4e8c00", match_sreg_rex_r},
    {"hint-nop-register", X86_MODE_64, "0f1fc0", match_hint_nop_register},
    {"amd-prefetch", X86_MODE_64, "0f0d00", match_amd_prefetch},
    {"ud0-ud1-modrm", X86_MODE_64, "0fb9c0", match_ud_modrm},
    {"movlpd-register", X86_MODE_64, "660f12c0", match_movlpd_register},
    {"66-under-rex-w", X86_MODE_64, "66489c", match_66_under_rex_w},
    {"66-before-rep", X86_MODE_64, "66f3ab", match_66_before_rep},
    {"rex-w-with-67", X86_MODE_64, "67489d", match_rex_w_with_67},
    {"pause-with-size-prefix", X86_MODE_64, "f36690", match_pause_with_size_prefix},
    {"fence-rm", X86_MODE_64, "0faefb", match_fence_rm},
    {"via-padlock", X86_MODE_64, "0fa7c8", match_via_padlock},
    {"prefix-not-last", X86_MODE_64, "662ee8b075aedb", match_prefix_not_last},
    {"mmx-movq", X86_MODE_64, "480f6ec0", match_mmx_movq},
    {"cbw-cwd-16bit", X86_MODE_16, "98", match_cbw_cwd_16bit},
    {"sse-prefix-16bit", X86_MODE_16, "660f58c0", match_sse_prefix_16bit},
    {"moffs-66-67", X86_MODE_64, "6766a2b24c0529", match_moffs_66_67},
    {"3dnow-suffix-0e", X86_MODE_64, "0f0fc00e", match_3dnow_suffix_0e},
    {"extrq-reg-field", X86_MODE_64, "660f78ffa296", match_extrq_reg_field},
    {"moffs-66-rep", X86_MODE_64, "66446742f2a09fc39e39", match_moffs_66_rep},
    {"swapgs-legacy", X86_MODE_32, "0f01f8", match_swapgs_legacy},
    {"extrq-memory", X86_MODE_64, "660f79000000", match_extrq_memory},
    {"evex-rounding-length", X86_MODE_64, "62b16cf05ed514", match_evex_rounding_length},
};
#define N_KNOWN (sizeof(known_differences) / sizeof(known_differences[0]))

/* classify - the known difference a disagreement belongs to, or -1. */
static int classify(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
		    const struct verdict *v)
{
	int found = -1;

	if (o->depth >= 3)
		return -1;
	o->depth++;
	for (size_t i = 0; i < N_KNOWN && found < 0; i++)
		if (known_differences[i].match(o, b, n, m, v))
			found = (int)i;
	o->depth--;
	return found;
}

static size_t parse_hex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < MAX_BYTES; s += 2) {
		unsigned v;

		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void print_difference(const char *what, const uint8_t *b, size_t n, enum x86_mode m,
			     const struct verdict *v)
{
	printf("  %s (%d-bit): ", what, (int)m);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n    mmemu: status %d len %d %s | capstone: %s len %d %s %s\n", v->st, v->insn.len,
	       v->mm_mn, v->cs_ok ? "ok" : "invalid", v->cs_len, v->cs_mn, v->cs_ops);
}

/* ------------------------------------------------------------------ tests */

static void test_capstone_known_differences_each_occurs(void **state)
{
	struct oracle o;

	oracle_open(&o);
	for (size_t i = 0; i < N_KNOWN; i++) {
		const struct known_difference *k = &known_differences[i];
		uint8_t b[MAX_BYTES];
		size_t n = parse_hex(k->example, b);
		struct verdict v;

		if (judge(&o, b, n, k->mode, &v))
			fail_msg("%s: example %s no longer differs", k->name, k->example);
		if (classify(&o, b, n, k->mode, &v) != (int)i) {
			print_difference(k->name, b, n, k->mode, &v);
			fail_msg("%s: example %s is not recognised by its rule", k->name,
				 k->example);
		}
	}
	oracle_close(&o);
}

/* xorshift64*: a small, seeded, deterministic generator. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t seed_from_env(void)
{
	const char *e = getenv("MMEMU_DECODE_SEED");

	return e ? strtoull(e, NULL, 0) : 0x6d6d656d75ull;
}

/* Tallies of one oracle run. */
struct tally {
	long strings;	     /* byte strings tried */
	long both;	     /* both decoded an instruction */
	long agree;	     /* agreement */
	long known[N_KNOWN]; /* differences by known class */
	long unknown;	     /* differences outside the list */
};

static void check_string(struct oracle *o, const uint8_t *b, size_t n, enum x86_mode m,
			 struct tally *t)
{
	struct verdict v;
	int k;

	t->strings++;
	if (judge(o, b, n, m, &v)) {
		t->agree++;
		t->both += v.st == X86_DECODE_OK;
		return;
	}
	k = classify(o, b, n, m, &v);
	if (k >= 0) {
		t->known[k]++;
		return;
	}
	if (t->unknown++ < 4000)
		print_difference("unexplained difference", b, v.cs_ok ? (size_t)v.cs_len + 2 : n, m,
				 &v);
}

static void print_tally(const char *what, const struct tally *t, double seconds)
{
	printf("%s: %ld strings, %ld decoded by both, %ld agree, %ld unexplained, %.2f s\n", what,
	       t->strings, t->both, t->agree, t->unknown, seconds);
	for (size_t i = 0; i < N_KNOWN; i++)
		if (t->known[i])
			printf("  known difference %-20s %ld\n", known_differences[i].name,
			       t->known[i]);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void random_run(enum x86_mode m, long count, uint64_t seed)
{
	struct oracle o;
	struct tally t = {0};
	uint64_t s = seed ^ (uint64_t)m;
	double t0 = now_seconds();
	char what[64];

	oracle_open(&o);
	for (long i = 0; i < count; i++) {
		uint8_t b[MAX_BYTES];

		for (int j = 0; j < MAX_BYTES; j += 8) {
			uint64_t r = next_random(&s);

			memcpy(b + j, &r, MAX_BYTES - j < 8 ? MAX_BYTES - j : 8);
		}
		check_string(&o, b, MAX_BYTES, m, &t);
	}
	snprintf(what, sizeof(what), "random %d-bit, seed %#llx", (int)m, (unsigned long long)seed);
	print_tally(what, &t, now_seconds() - t0);
	oracle_close(&o);
	assert_int_equal(t.unknown, 0);
	assert_true(t.both > count / 2);
}

static void test_capstone_random_64bit_agree(void **state)
{
	random_run(X86_MODE_64, 1000000, seed_from_env());
}

static void test_capstone_random_32bit_agree(void **state)
{
	random_run(X86_MODE_32, 400000, seed_from_env());
}

static void test_capstone_random_16bit_agree(void **state)
{
	random_run(X86_MODE_16, 100000, seed_from_env());
}

/* ------------------------------------------------------------------ real binaries */

/* A small program that pulls in a fair part of libc: stdio, strings, qsort, math, setjmp. */
static const char sweep_program[] =
    "#include <math.h>\n#include <setjmp.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "#include <string.h>\n"
    "static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }\n"
    "int main(int argc, char **argv) {\n"
    "  int v[64]; jmp_buf jb; char buf[128];\n"
    "  for (int i = 0; i < 64; i++) v[i] = (i * 7919) % 61;\n"
    "  qsort(v, 64, sizeof(v[0]), cmp);\n"
    "  long double x = sqrtl((long double)argc) + expl(v[3]);\n"
    "  snprintf(buf, sizeof(buf), \"%d %Lf %s\", v[5], x, argv[0]);\n"
    "  if (!setjmp(jb)) printf(\"%zu %s\\n\", strlen(buf), strstr(buf, \" \"));\n"
    "  return (int)(pow(2.0, argc) + memcmp(buf, argv[0], 3));\n"
    "}\n";

/* build_static - compile sweep_program into dir/name with gcc; 0 on success. */
static int build_static(const char *dir, const char *name, const char *flags)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "gcc -static -O2 %s -o %s/%s %s/sweep.c -lm 2>&1", flags, dir,
		 name, dir);
	return system(cmd);
}

/*
 * sweep_section - decode a code section linearly: every instruction must agree with
 * Capstone or be a known difference. Steps by the agreed length (one byte where neither
 * decodes anything, e.g. padding).
 */
static void sweep_section(struct oracle *o, const uint8_t *code, size_t size, enum x86_mode m,
			  struct tally *t)
{
	size_t pos = 0;

	while (pos < size) {
		size_t n = size - pos < MAX_BYTES ? size - pos : MAX_BYTES;
		struct verdict v;
		int k;

		t->strings++;
		if (judge(o, code + pos, n, m, &v)) {
			t->agree++;
			t->both += v.st == X86_DECODE_OK;
		} else if ((k = classify(o, code + pos, n, m, &v)) >= 0) {
			t->known[k]++;
		} else if (t->unknown++ < 40) {
			print_difference("unexplained difference", code + pos, n, m, &v);
		}
		if (v.st == X86_DECODE_OK || (v.insn.flags & X86_INSN_VEX))
			pos += v.insn.len;
		else
			pos += v.cs_ok ? (size_t)v.cs_len : 1;
	}
}

/* sweep_elf - sweep every executable section of an ELF file. */
static void sweep_elf(const char *path, enum x86_mode m, struct tally *t)
{
	struct oracle o;
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;

	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	oracle_open(&o);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		d = elf_getdata(scn, NULL);
		assert_non_null(d);
		sweep_section(&o, d->d_buf, d->d_size, m, t);
	}
	oracle_close(&o);
	elf_end(elf);
	close(fd);
}

static void test_capstone_static_binaries_agree(void **state)
{
	char dir[] = "/tmp/mmemu-sweep-XXXXXX";
	char path[256];
	FILE *f;
	static const struct {
		const char *name;   /* output file */
		const char *flags;  /* extra gcc flags */
		enum x86_mode mode; /* code size of its text */
	} builds[] = {
	    {"sweep64", "", X86_MODE_64},
	    {"sweep32", "-m32", X86_MODE_32},
	};

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sweep.c", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(sweep_program, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		struct tally t = {0};
		double t0 = now_seconds();
		char what[300];

		if (build_static(dir, builds[i].name, builds[i].flags) != 0)
			fail_msg("gcc -static %s failed: the sweep needs it", builds[i].flags);
		snprintf(path, sizeof(path), "%s/%s", dir, builds[i].name);
		sweep_elf(path, builds[i].mode, &t);
		snprintf(what, sizeof(what), "sweep of %s", path);
		print_tally(what, &t, now_seconds() - t0);
		assert_int_equal(t.unknown, 0);
		assert_true(t.both > 50000);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sweep.c", dir);
	unlink(path);
	rmdir(dir);
}

/* Every guest program the project builds (build/guests/): each instruction of its code
 * decodes as Capstone decodes it, or as a documented Capstone difference. */
static void test_capstone_every_guest_binary_agrees(void **state)
{
	char dirpath[1024];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(dirpath, sizeof(dirpath), "%s/guests", build ? build : "build");
	DIR *dir = opendir(dirpath);
	if (!dir)
		fail_msg("cannot open %s (the guests target builds it)", dirpath);
	int swept = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		char path[2048];
		unsigned char ident[EI_NIDENT];
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t got = fread(ident, 1, sizeof(ident), f);
		fclose(f);
		if (got != sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG))
			continue; /* build-system files beside the guests */
		struct tally t = {0};
		sweep_elf(path, ident[EI_CLASS] == ELFCLASS64 ? X86_MODE_64 : X86_MODE_32, &t);
		if (t.unknown)
			fail_msg("%s: %lu instructions decode unlike Capstone", path,
				 (unsigned long)t.unknown);
		swept++;
	}
	closedir(dir);
	assert_true(swept >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_capstone_known_differences_each_occurs),
	    cmocka_unit_test(test_capstone_random_64bit_agree),
	    cmocka_unit_test(test_capstone_random_32bit_agree),
	    cmocka_unit_test(test_capstone_random_16bit_agree),
	    cmocka_unit_test(test_capstone_static_binaries_agree),
	    cmocka_unit_test(test_capstone_every_guest_binary_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
