/*
 * cpu/decode.c - the x86 instruction decoder (Intel SDM Vol. 2, chapter 2 and Appendix A).
 *
 * Decoding runs in four steps: legacy and REX prefixes (2.1.1, 2.2.1), the opcode bytes and
 * a walk down the opcode-map tree of cpu/opcode_table.c to the instruction's entry, the
 * ModRM/SIB/displacement bytes (2.1.5, with the 16-bit forms of Table 2-1 and RIP-relative
 * addressing of 2.2.1.6), then the immediates the entry's operands call for. The operand
 * and address sizes follow Table 2-4 (legacy/compatibility modes) and 3-4 of Vol. 1
 * (64-bit mode).
 *
 * Everything is read through a cursor that refuses to pass the buffer's end or the 15-byte
 * limit, so no input can make the decoder read outside its buffer.
 */
#include "cpu/decode.h"

#include <string.h>

#include "cpu/opcode_table.h"

/* A read position in the instruction bytes. */
struct cursor {
	const uint8_t *buf; /* the instruction's first byte */
	size_t size;	    /* bytes available, at most X86_MAX_INSN_LEN */
	size_t pos;	    /* next byte to read */
};

/* Legacy prefixes as seen, before the opcode tells which are mandatory. */
struct prefix_state {
	uint8_t last_rep;    /* 0, 0xf2 or 0xf3: the last of F2/F3 */
	uint8_t has66;	     /* 66 seen */
	uint8_t has67;	     /* 67 seen */
	uint8_t lock;	     /* F0 seen */
	uint8_t mandatory66; /* 66 selected an SSE form: not an operand-size prefix */
};

/*
 * fetch - read the next byte. Returns X86_DECODE_OK, X86_DECODE_GP past 15 bytes or
 * X86_DECODE_MORE past the end of a shorter buffer.
 */
static enum x86_decode_status fetch(struct cursor *c, uint8_t *out)
{
	if (c->pos >= X86_MAX_INSN_LEN)
		return X86_DECODE_GP;
	if (c->pos >= c->size)
		return X86_DECODE_MORE;
	*out = c->buf[c->pos++];
	return X86_DECODE_OK;
}

/* fetch_le - read an n-byte little-endian value (n <= 8), zero-extended. */
static enum x86_decode_status fetch_le(struct cursor *c, unsigned n, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		enum x86_decode_status st = fetch(c, &b);

		if (st != X86_DECODE_OK)
			return st;
		v |= (uint64_t)b << (8 * i);
	}
	*out = v;
	return X86_DECODE_OK;
}

/* sign_extend - the n-byte value v as a signed 64-bit number. */
static int64_t sign_extend(uint64_t v, unsigned n)
{
	unsigned shift = 64 - 8 * n;

	return n == 8 ? (int64_t)v : (int64_t)(v << shift) >> shift;
}

/*
 * decode_prefixes - consume legacy prefixes and REX. A REX byte counts only when it is the
 * last prefix before the opcode (SDM 2.2.1): a legacy prefix after it cancels it.
 */
static enum x86_decode_status decode_prefixes(struct cursor *c, struct x86_instr *insn,
					      struct prefix_state *ps)
{
	static const uint8_t seg_of[8] = {
	    [0] = X86_SEG_ES,
	    [1] = X86_SEG_CS,
	    [2] = X86_SEG_SS,
	    [3] = X86_SEG_DS,
	};

	for (;;) {
		uint8_t b;
		enum x86_decode_status st = fetch(c, &b);

		if (st != X86_DECODE_OK)
			return st;
		if (insn->mode == X86_MODE_64 && (b & 0xf0) == 0x40) {
			insn->rex = b;
			continue;
		}
		switch (b) {
		case 0xf0:
			ps->lock = 1;
			break;
		case 0xf2:
		case 0xf3:
			ps->last_rep = b;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			insn->seg = seg_of[(b >> 3) & 3];
			break;
		case 0x64:
		case 0x65:
			insn->seg = b == 0x64 ? X86_SEG_FS : X86_SEG_GS;
			break;
		case 0x66:
			ps->has66 = 1;
			break;
		case 0x67:
			ps->has67 = 1;
			break;
		default:
			c->pos--; /* the opcode: give it back */
			return X86_DECODE_OK;
		}
		insn->rex = 0;
	}
}

/* The ModRM byte, fetched once, when the opcode tree or the operands first need it. */
static enum x86_decode_status need_modrm(struct cursor *c, struct x86_instr *insn)
{
	enum x86_decode_status st;

	if (insn->flags & X86_INSN_MODRM)
		return X86_DECODE_OK;
	st = fetch(c, &insn->modrm);
	if (st != X86_DECODE_OK)
		return st;
	insn->flags |= X86_INSN_MODRM;
	insn->mod = insn->modrm >> 6;
	insn->reg = ((insn->modrm >> 3) & 7) | (insn->rex & X86_REX_R ? 8 : 0);
	insn->rm = (insn->modrm & 7) | (insn->rex & X86_REX_B ? 8 : 0);
	return X86_DECODE_OK;
}

/*
 * select_prefix_column - the mandatory-prefix form of an SSE opcode: the last F2/F3 if
 * the opcode has such a form, else 66 if it has one, else the unprefixed form. Returns the
 * column 0..3 (none, 66, F3, F2).
 */
static unsigned select_prefix_column(const struct x86_opcode *col, const struct prefix_state *ps)
{
	if (ps->last_rep == 0xf2 && col[3].kind != OPC_INVALID)
		return 3;
	if (ps->last_rep == 0xf3 && col[2].kind != OPC_INVALID)
		return 2;
	if (ps->has66 && col[1].kind != OPC_INVALID)
		return 1;
	return 0;
}

/* Does a selector of this kind look at the ModRM byte? */
static int kind_needs_modrm(uint8_t kind)
{
	return kind == OPC_BY_REG || kind == OPC_BY_MOD || kind == OPC_BY_RM;
}

/*
 * walk_opcode_tree - follow selectors from e down to an instruction entry. Returns the
 * entry, or NULL (with *st set) for an undefined encoding or a fetch failure.
 */
static const struct x86_opcode *walk_opcode_tree(struct cursor *c, struct x86_instr *insn,
						 struct prefix_state *ps,
						 const struct x86_opcode *e,
						 enum x86_decode_status *st)
{
	while (e->kind != OPC_INSN) {
		unsigned i = 0;

		if (kind_needs_modrm(e->kind)) {
			*st = need_modrm(c, insn);
			if (*st != X86_DECODE_OK)
				return NULL;
		}
		switch (e->kind) {
		case OPC_BY_REG:
			i = (insn->modrm >> 3) & 7;
			break;
		case OPC_BY_MOD:
			i = insn->mod == 3;
			break;
		case OPC_BY_RM:
			i = insn->modrm & 7;
			break;
		case OPC_BY_PFX:
			i = select_prefix_column(e->next, ps);
			if (i == 1)
				ps->mandatory66 = 1;
			else if (i >= 2)
				ps->last_rep = 0; /* consumed: not a REP prefix */
			break;
		case OPC_BY_REXW:
			i = (insn->rex & X86_REX_W) != 0;
			break;
		case OPC_BY_REXB:
			i = (insn->rex & X86_REX_B) != 0;
			break;
		case OPC_BY_MODE64:
			i = insn->mode == X86_MODE_64;
			break;
		default:
			*st = X86_DECODE_UD;
			return NULL;
		}
		e = &e->next[i];
	}
	return e;
}

/* set_address_size - the address-size attribute (SDM Vol. 1, 3.6 and 3.6.1): 67 toggles. */
static void set_address_size(struct x86_instr *insn, const struct prefix_state *ps)
{
	if (insn->mode == X86_MODE_64)
		insn->addrsize = ps->has67 ? 4 : 8;
	else
		insn->addrsize = (insn->mode == X86_MODE_32) != (ps->has67 != 0) ? 4 : 2;
}

/*
 * set_operand_size - the operand-size attribute (SDM Vol. 1, 3.6 and 3.6.1): REX.W gives 64,
 * else 66 toggles between 16 and the default (32, or 64 for the F_D64 instructions of
 * 64-bit mode). A 66 used as a mandatory SSE prefix does not count.
 */
static void set_operand_size(struct x86_instr *insn, const struct prefix_state *ps, uint16_t flags)
{
	int size66 = ps->has66 && (!ps->mandatory66 || (flags & F_66SIZE));

	if (insn->mode == X86_MODE_64) {
		if (insn->rex & X86_REX_W || flags & F_F64)
			insn->opsize = 8;
		else if (size66)
			insn->opsize = 2;
		else
			insn->opsize = flags & F_D64 ? 8 : 4;
		return;
	}
	insn->opsize = (insn->mode == X86_MODE_32) != size66 ? 4 : 2;
}

/* Does this operand live in the ModRM byte? */
static int operand_uses_modrm(uint16_t o)
{
	switch (OPND_METHOD(o)) {
	case OM_C:
	case OM_D:
	case OM_E:
	case OM_G:
	case OM_M:
	case OM_N:
	case OM_P:
	case OM_Q:
	case OM_R:
	case OM_S:
	case OM_U:
	case OM_V:
	case OM_W:
	case OM_STI:
		return 1;
	default:
		return 0;
	}
}

/*
 * decode_sib - the SIB byte (SDM Table 2-3). Base 101 with mod 00 means "disp32, no base"
 * whatever REX.B says; index 100 means "no index" unless REX.X makes it R12.
 */
static enum x86_decode_status decode_sib(struct cursor *c, struct x86_instr *insn,
					 unsigned *disp_size)
{
	enum x86_decode_status st = fetch(c, &insn->sib);
	unsigned index, base;

	if (st != X86_DECODE_OK)
		return st;
	insn->flags |= X86_INSN_SIB;
	insn->scale = 1 << (insn->sib >> 6);
	index = ((insn->sib >> 3) & 7) | (insn->rex & X86_REX_X ? 8 : 0);
	insn->index = index == 4 ? X86_GPR_NONE : index;
	base = insn->sib & 7;
	if (base == 5 && insn->mod == 0) {
		insn->base = X86_GPR_NONE;
		*disp_size = 4;
	} else {
		insn->base = base | (insn->rex & X86_REX_B ? 8 : 0);
	}
	return X86_DECODE_OK;
}

/* decode_mem16 - the 16-bit ModRM forms of SDM Table 2-1: [BX+SI], ..., disp16. */
static unsigned decode_mem16(struct x86_instr *insn)
{
	/* r/m -> base, index: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX. */
	static const uint8_t base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
	static const uint8_t index16[8] = {
	    6, 7, 6, 7, X86_GPR_NONE, X86_GPR_NONE, X86_GPR_NONE, X86_GPR_NONE};
	unsigned rm = insn->modrm & 7;

	if (insn->mod == 0 && rm == 6) {
		insn->base = X86_GPR_NONE;
		return 2;
	}
	insn->base = base16[rm];
	insn->index = index16[rm];
	return insn->mod == 1 ? 1 : insn->mod == 2 ? 2 : 0;
}

/*
 * decode_modrm_memory - the effective-address bytes after ModRM for mod != 3: SIB and
 * displacement, with RIP-relative addressing for mod 00 r/m 101 in 64-bit mode.
 */
static enum x86_decode_status decode_modrm_memory(struct cursor *c, struct x86_instr *insn)
{
	unsigned disp_size = 0;
	uint64_t disp;
	enum x86_decode_status st;

	insn->flags |= X86_INSN_MEM;
	insn->scale = 1;
	insn->index = X86_GPR_NONE;
	if (insn->addrsize == 2) {
		disp_size = decode_mem16(insn);
	} else if ((insn->modrm & 7) == 4) {
		st = decode_sib(c, insn, &disp_size);
		if (st != X86_DECODE_OK)
			return st;
	} else if (insn->mod == 0 && (insn->modrm & 7) == 5) {
		disp_size = 4;
		insn->base = insn->mode == X86_MODE_64 ? X86_GPR_RIP : X86_GPR_NONE;
		if (insn->mode == X86_MODE_64)
			insn->flags |= X86_INSN_RIPREL;
	} else {
		insn->base = insn->rm;
	}
	if (insn->addrsize != 2 && insn->mod != 0)
		disp_size = insn->mod == 1 ? 1 : 4;
	st = fetch_le(c, disp_size, &disp);
	if (st != X86_DECODE_OK)
		return st;
	insn->disp = disp_size ? sign_extend(disp, disp_size) : 0;
	return X86_DECODE_OK;
}

/* immediate_size - bytes of an immediate-like operand, 0 for others. */
static unsigned immediate_size(const struct x86_instr *insn, uint16_t o)
{
	unsigned t = OPND_TYPE(o);

	switch (OPND_METHOD(o)) {
	case OM_I:
	case OM_J:
		if (t == OT_b)
			return 1;
		if (t == OT_w)
			return 2;
		if (t == OT_v)
			return insn->opsize;
		return insn->opsize == 2 ? 2 : 4; /* z */
	case OM_A:
		return insn->opsize == 2 ? 2 : 4; /* the offset; the selector follows */
	default:
		return 0;
	}
}

/*
 * decode_immediates - the immediate, relative-offset, moffs and far-pointer bytes, in
 * operand order: the first goes to imm, a second to imm2.
 */
static enum x86_decode_status decode_immediates(struct cursor *c, struct x86_instr *insn)
{
	const struct x86_opcode *e = insn->opc;
	enum x86_decode_status st;

	for (unsigned i = 0; i < 4 && e->operand[i]; i++) {
		uint16_t o = e->operand[i];
		unsigned n = immediate_size(insn, o);
		uint64_t v;

		if (OPND_METHOD(o) == OM_O) {
			st = fetch_le(c, insn->addrsize, &v);
			if (st != X86_DECODE_OK)
				return st;
			insn->disp = (int64_t)v;
			insn->base = X86_GPR_NONE;
			insn->index = X86_GPR_NONE;
			insn->flags |= X86_INSN_MEM;
			continue;
		}
		if (n == 0)
			continue;
		st = fetch_le(c, n, &v);
		if (st != X86_DECODE_OK)
			return st;
		if (insn->imm_size == 0) {
			insn->imm = v;
			insn->imm_size = n;
		} else {
			insn->imm2 = v;
			insn->imm2_size = n;
		}
		if (OPND_METHOD(o) == OM_A) { /* ptr16:16/32: the selector */
			st = fetch_le(c, 2, &insn->imm2);
			if (st != X86_DECODE_OK)
				return st;
			insn->imm2_size = 2;
		}
	}
	return X86_DECODE_OK;
}

/*
 * operands_fit_modrm - memory-only operands (M) need mod != 3, register-only ones (R, N,
 * U) need mod = 3; a MOV Sreg names one of the six segment registers, never CS as a
 * destination.
 */
static int operands_fit_modrm(const struct x86_instr *insn)
{
	const struct x86_opcode *e = insn->opc;

	for (unsigned i = 0; i < 4 && e->operand[i]; i++) {
		unsigned m = OPND_METHOD(e->operand[i]);

		if (m == OM_M && insn->mod == 3)
			return 0;
		if ((m == OM_R || m == OM_N || m == OM_U) && insn->mod != 3 &&
		    !(e->flags & F_MODREG))
			return 0;
		if (m == OM_S && ((insn->modrm >> 3) & 7) > 5)
			return 0;
		if (m == OM_S && i == 0 && ((insn->modrm >> 3) & 7) == X86_SEG_CS)
			return 0;
	}
	return 1;
}

/* uses_modrm - does the instruction have a ModRM byte? */
static int uses_modrm(const struct x86_instr *insn)
{
	const struct x86_opcode *e = insn->opc;

	if (insn->flags & X86_INSN_MODRM)
		return 1;
	for (unsigned i = 0; i < 4 && e->operand[i]; i++)
		if (operand_uses_modrm(e->operand[i]))
			return 1;
	return 0;
}

/* The register of an opcode with the register in its low three bits (B0+r, 50+r, ...). */
static void set_opcode_register(struct x86_instr *insn)
{
	const struct x86_opcode *e = insn->opc;

	for (unsigned i = 0; i < 4 && e->operand[i]; i++)
		if (OPND_METHOD(e->operand[i]) == OM_Z)
			insn->reg = (insn->opcode & 7) | (insn->rex & X86_REX_B ? 8 : 0);
}

/*
 * lock_allowed - LOCK is legal only on the read-modify-write instructions that allow it,
 * and only with a memory destination (SDM Vol. 2, LOCK).
 */
static int lock_allowed(const struct x86_instr *insn)
{
	return (insn->opc->flags & F_LOCK) && insn->mod != 3 && (insn->flags & X86_INSN_MEM);
}

/* finish_insn - everything after the opcode entry is known: sizes, ModRM, immediates. */
static enum x86_decode_status finish_insn(struct cursor *c, struct x86_instr *insn,
					  struct prefix_state *ps)
{
	const struct x86_opcode *e = insn->opc;
	enum x86_decode_status st;

	if ((e->flags & F_I64) && insn->mode == X86_MODE_64)
		return X86_DECODE_UD;
	if ((e->flags & F_O64) && insn->mode != X86_MODE_64)
		return X86_DECODE_UD;
	set_operand_size(insn, ps, e->flags);
	if (uses_modrm(insn)) {
		st = need_modrm(c, insn);
		if (st != X86_DECODE_OK)
			return st;
		if (!operands_fit_modrm(insn))
			return X86_DECODE_UD;
		if (insn->mod != 3 && !(e->flags & F_MODREG)) {
			st = decode_modrm_memory(c, insn);
			if (st != X86_DECODE_OK)
				return st;
		}
	}
	set_opcode_register(insn);
	st = decode_immediates(c, insn);
	if (st != X86_DECODE_OK)
		return st;
	if (ps->lock && !lock_allowed(insn))
		return X86_DECODE_UD;
	if (insn->map == 1 && insn->opcode == 0x0f && !x86_3dnow_name((uint8_t)insn->imm))
		return X86_DECODE_UD;
	return X86_DECODE_OK;
}

/* vex_imm_size - bytes of immediate after a VEX/EVEX/XOP instruction's ModRM operand. */
static unsigned vex_imm_size(uint8_t map, uint8_t op)
{
	if (map == 3 || map == 8)
		return 1;
	if (map == 10)
		return 4; /* XOP map 0Ah: BEXTR/LWPINS imm32 */
	if (map == 1 && ((op >= 0x70 && op <= 0x73) || (op >= 0xc4 && op <= 0xc6) || op == 0xc2))
		return 1;
	return 0;
}

/*
 * vex_length - VEX (C4/C5), EVEX (62) and AMD XOP (8F) forms are not implemented, but their
 * length is found so that a disassembly can step over them: the prefix, one opcode byte,
 * ModRM with SIB and displacement as usual, and an immediate for map 0F 3A, a few 0F
 * opcodes and XOP maps 8 and 0Ah. Always returns X86_DECODE_UD (or a fetch failure);
 * insn->len is then valid.
 */
static enum x86_decode_status vex_length(struct cursor *c, struct x86_instr *insn, uint8_t b)
{
	uint8_t p[3], map, op;
	unsigned n = b == 0xc5 ? 1 : (b == 0xc4 || b == 0x8f) ? 2 : 3;
	enum x86_decode_status st;
	uint64_t imm;

	for (unsigned i = 0; i < n; i++) {
		st = fetch(c, &p[i]);
		if (st != X86_DECODE_OK)
			return st;
	}
	map = b == 0xc5 ? 1 : b == 0x62 ? (p[0] & 3) : (p[0] & 0x1f);
	if (b == 0x8f ? map > 10 : (map < 1 || map > 3))
		return X86_DECODE_UD; /* reserved map: length unknown */
	st = fetch(c, &op);
	if (st != X86_DECODE_OK)
		return st;
	insn->flags |= X86_INSN_VEX;
	insn->rex = 0; /* the VEX R/X/B bits change registers, never lengths */
	insn->map = map;
	insn->opcode = op;
	if (!(b != 0x62 && map == 1 && op == 0x77)) { /* VZEROUPPER/VZEROALL: no ModRM */
		st = need_modrm(c, insn);
		if (st == X86_DECODE_OK && insn->mod != 3)
			st = decode_modrm_memory(c, insn);
		if (st != X86_DECODE_OK)
			return st;
	}
	st = fetch_le(c, vex_imm_size(map, op), &imm);
	if (st != X86_DECODE_OK)
		return st;
	insn->len = (uint8_t)c->pos;
	return X86_DECODE_UD;
}

/*
 * is_vex_escape - C4/C5/62 start a VEX/EVEX prefix in 64-bit mode, and in the other modes
 * when the next byte has mod = 3 (which LES/LDS/BOUND, needing memory, never have). 8F
 * starts XOP when the next byte's map field is 8 or more (POP Ev has ModRM.reg = 0).
 */
static int is_vex_escape(const struct cursor *c, const struct x86_instr *insn, uint8_t b)
{
	if (b == 0x8f)
		return c->pos < c->size && (c->buf[c->pos] & 0x1f) >= 8;
	if (b != 0xc4 && b != 0xc5 && b != 0x62)
		return 0;
	if (insn->mode == X86_MODE_64)
		return 1;
	return c->pos < c->size && (c->buf[c->pos] & 0xc0) == 0xc0;
}

/* decode_opcode - the opcode bytes, choosing the map; returns the map's entry for them. */
static enum x86_decode_status decode_opcode(struct cursor *c, struct x86_instr *insn,
					    const struct x86_opcode **entry)
{
	uint8_t b;
	enum x86_decode_status st = fetch(c, &b);

	if (st != X86_DECODE_OK)
		return st;
	if (is_vex_escape(c, insn, b))
		return vex_length(c, insn, b);
	*entry = &x86_map_onebyte[b];
	if (b == 0x0f) {
		st = fetch(c, &b);
		if (st != X86_DECODE_OK)
			return st;
		insn->map = 1;
		*entry = &x86_map_0f[b];
		if (b == 0x38 || b == 0x3a) {
			const struct x86_opcode *m = b == 0x38 ? x86_map_0f38 : x86_map_0f3a;

			insn->map = b == 0x38 ? 2 : 3;
			st = fetch(c, &b);
			if (st != X86_DECODE_OK)
				return st;
			*entry = &m[b];
		}
	}
	insn->opcode = b;
	return X86_DECODE_OK;
}

/* The legacy prefixes as the interpreter needs them. */
static void set_prefix_mask(struct x86_instr *insn, const struct prefix_state *ps)
{
	insn->prefixes = (ps->lock ? X86_PFX_LOCK : 0) | (ps->has66 ? X86_PFX_66 : 0) |
			 (ps->has67 ? X86_PFX_ADDRSIZE : 0) |
			 (ps->has66 && !ps->mandatory66 ? X86_PFX_OPSIZE : 0) |
			 (ps->last_rep == 0xf2 ? X86_PFX_REPNE : 0) |
			 (ps->last_rep == 0xf3 ? X86_PFX_REP : 0);
	if (insn->rex)
		insn->flags |= X86_INSN_REX;
}

enum x86_decode_status x86_decode(struct x86_instr *insn, const uint8_t *buf, size_t size,
				  enum x86_mode mode)
{
	struct cursor c = {buf, size < X86_MAX_INSN_LEN ? size : X86_MAX_INSN_LEN, 0};
	struct prefix_state ps = {0};
	const struct x86_opcode *e = NULL;
	enum x86_decode_status st;

	memset(insn, 0, sizeof(*insn));
	insn->mode = (uint8_t)mode;
	insn->seg = X86_SEG_NONE;
	insn->base = X86_GPR_NONE;
	insn->index = X86_GPR_NONE;
	insn->scale = 1;
	st = decode_prefixes(&c, insn, &ps);
	set_address_size(insn, &ps);
	if (st == X86_DECODE_OK)
		st = decode_opcode(&c, insn, &e);
	if (st != X86_DECODE_OK)
		return st;
	e = walk_opcode_tree(&c, insn, &ps, e, &st);
	if (!e)
		return st;
	insn->opc = e;
	st = finish_insn(&c, insn, &ps);
	if (st != X86_DECODE_OK)
		return st;
	set_prefix_mask(insn, &ps);
	insn->len = (uint8_t)c.pos;
	return X86_DECODE_OK;
}
