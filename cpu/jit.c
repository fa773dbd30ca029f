/*
 * cpu/jit.c - host code for decoded blocks (see cpu/jit.h for the design).
 *
 * The encodings are x86-64's (SDM Vol. 2): the code keeps struct cpu * in RBX and the
 * block's RIP in R12 (callee-saved: the handlers keep them), the handler's arguments in
 * RDI and RSI, its result in AL.
 */
#include "cpu/jit.h"
#include "cpu/jit_emit.h"
#include "cpu/jit_mem.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpu.h"
#include "cpu/cpu_internal.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

#if defined(__x86_64__)
#define JIT_HOST 1
#else
#define JIT_HOST 0
#endif

/*
 * True for an instruction whose memory operand it only reads, into a register or the
 * flags (SDM operand forms): MOV, MOVZX/MOVSX/MOVSXD, the ALU forms with a register
 * destination, CMP and TEST, IMUL, BT, and the SSE forms with an XMM or MMX destination
 * (loads, arithmetic, compares, conversions into a register). A read raises no loop
 * break: only stores into code, string instructions and branches do.
 */
static bool only_reads_memory(const struct x86_instr *in)
{
	uint8_t op = in->opcode, ext = (in->modrm >> 3) & 7;
	if (in->map == 0)
		return (op < 0x40 && (op & 7) >= 2 && (op & 7) <= 3) || op == 0x38 ||
		       op == 0x39 || op == 0x8a || op == 0x8b || op == 0x63 || op == 0x69 ||
		       op == 0x6b || op == 0x84 || op == 0x85 ||
		       ((op == 0x80 || op == 0x81 || op == 0x83) && ext == 7) ||
		       ((op == 0xf6 || op == 0xf7) && ext == 0);
	if (in->map != 1)
		return false;
	return op == 0x10 || op == 0x12 || op == 0x14 || op == 0x15 || op == 0x16 ||
	       op == 0x28 || op == 0x2a || op == 0x2c || op == 0x2d || op == 0x2e || op == 0x2f ||
	       (op >= 0x51 && op <= 0x70) || (op >= 0x74 && op <= 0x76) || op == 0x7c ||
	       op == 0x7d || op == 0xa3 || op == 0xaf || op == 0xb6 || op == 0xb7 ||
	       op == 0xbe || op == 0xbf || (op == 0xba && ext == 4) || op == 0xc2 ||
	       op == 0xc4 || op == 0xc6 || (op >= 0xd1 && op <= 0xd5) ||
	       (op >= 0xd8 && op <= 0xe5) || (op >= 0xe8 && op <= 0xef) ||
	       (op >= 0xf1 && op <= 0xf6) || (op >= 0xf8 && op <= 0xfe);
}

bool jit_may_break(const struct x86_instr *in)
{
	uint8_t op = in->opcode, reg = (in->modrm >> 3) & 7;
	if (in->map == 0 && op == 0x8d)
		return false; /* LEA: no memory access at all */
	if (in->flags & X86_INSN_MODRM) {
		if (in->mod != 3) /* a memory operand: a store may land in code */
			return (in->prefixes & X86_PFX_LOCK) || !only_reads_memory(in);
		/* register operands, but a stack or memory access of its own */
		if (in->map == 0)
			return (op == 0xff && reg >= 2 && reg <= 6) || op == 0x8f || op == 0x62 ||
			       op == 0xc4 || op == 0xc5;
		if (in->map == 1)
			return op == 0xf7 || op <= 0x01; /* MASKMOVQ/MASKMOVDQU; system group */
		return false;
	}
	if (in->map != 0)
		return true;
	/* no ModRM: the register-only one-byte opcodes */
	if (op < 0x40 && (op & 7) >= 4 && (op & 7) <= 5)
		return false; /* ALU AL/eAX, imm */
	if ((op >= 0x40 && op <= 0x4f && in->mode != X86_MODE_64) || (op >= 0x90 && op <= 0x99) ||
	    op == 0xa8 || op == 0xa9 || (op >= 0xb0 && op <= 0xbf) || op == 0x9e || op == 0x9f ||
	    op == 0xf5 || op == 0xf8 || op == 0xf9 || op == 0xfc || op == 0xfd)
		return false;
	return true;
}

/* The entry and exit code at the start of the mapping (the ABI's callee-saved RBX, R12
 * and R13 hold the CPU, the block's RIP and the instructions the code may still start
 * in other blocks; three pushes keep the stack 16-byte aligned at the handlers' calls). */
static void put_enter_exit(struct jit *jit)
{
	static const uint8_t enter[] = {
	    0x53,	      /* push rbx */
	    0x41, 0x54,	      /* push r12 */
	    0x41, 0x55,	      /* push r13 */
	    0x48, 0x89, 0xfb, /* mov rbx, rdi */
	    0x49, 0x89, 0xf4, /* mov r12, rsi */
	    0x49, 0x89, 0xcd, /* mov r13, rcx */
	    0xff, 0xe2,	      /* jmp rdx */
	};
	static const uint8_t exit[] = {
	    0x41, 0x5d, /* pop r13 */
	    0x41, 0x5c, /* pop r12 */
	    0x5b,	/* pop rbx */
	    0xc3,	/* ret */
	};
	memcpy(jit->map, enter, sizeof(enter));
	memcpy(jit->map + 64, exit, sizeof(exit));
	jit->enter = (unsigned (*)(struct cpu *, uint64_t, const void *, uint64_t))(void *)jit->map;
	jit->exit = jit->map + 64;
}

struct jit *jit_create(unsigned nr_slots)
{
	if (!JIT_HOST)
		return NULL;
	struct jit *jit = calloc(1, sizeof(*jit));
	if (!jit)
		return NULL;
	jit->nr_slots = nr_slots;
	jit->map_len = 4096 + (uint64_t)nr_slots * JIT_AREA;
	/* Near this program's text if the kernel lets us, so that the calls of the
	 * handlers are direct (rel32); anywhere else they go through a register. */
	uintptr_t text = (uintptr_t)(void *)jit_create;
	uintptr_t hint = (text & ~(uintptr_t)0x1fffff) - jit->map_len - (64u << 20);
	void *map = mmap((void *)hint, jit->map_len, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		free(jit);
		return NULL;
	}
	jit->map = map;
	put_enter_exit(jit);
	return jit;
}

void jit_destroy(struct jit *jit)
{
	if (!jit)
		return;
	munmap(jit->map, jit->map_len);
	free(jit);
}

/*
 * Inline forms. The commonest instructions on registers alone -- MOV between registers
 * or of an immediate, and ADD/OR/AND/SUB/XOR/CMP/TEST between registers or with an
 * immediate, at operand sizes 4 and 8 -- are written out as host instructions on struct
 * cpu instead of a call of their handler: what the handler does to the registers and to
 * the lazy flags record (cpu/flags.h: kind, size, operands and result as
 * cpu/alu_fast.h's alu_op records them), following the SDM's rules for them (a 32-bit
 * result zero-extends into its 64-bit register). They cannot fault, do not read RIP and
 * raise no loop break, so they need neither the next RIP nor any test after them.
 */
enum inline_kind { INL_NONE, INL_MOV, INL_MOV_IMM, INL_ALU, INL_ALU_IMM, INL_MOVX, INL_LEA };

struct inline_form {
	enum inline_kind kind;
	unsigned op;   /* enum x86_alu_op order (opcode bits 5:3): 0 ADD .. 7 CMP; 8 TEST */
	unsigned size; /* 4 or 8 */
	unsigned dst, src;
	uint64_t imm; /* the immediate, sign- or zero-extended as the instruction does */
	/* INL_MOVX: the source's width (1, 2, 4), its byte in struct cpu's gpr[] (AH..BH:
	 * byte 1 of RAX..RBX), sign- or zero-extension */
	unsigned width, src_byte;
	bool sign;
	const struct x86_instr *in; /* INL_LEA: the address (base, index, scale, disp) */
};

#define INL_TEST 8u

/* True for the ALU operations the inline forms do: not ADC and SBB, which read CF. */
static bool inline_alu_op(unsigned op)
{
	return op != 2 && op != 3;
}

/* MOVZX/MOVSX from a register (0F B6/B7/BE/BF) and MOVSXD (63) into a 4- or 8-byte
 * register: which byte of gpr[] an 8-bit source is (without REX, 4-7 are AH, CH, DH, BH:
 * SDM Vol. 2, 3.1.1.1), its width and extension. */
static struct inline_form movx_form(const struct x86_instr *in, struct inline_form f)
{
	uint8_t op = in->opcode;
	f.kind = INL_MOVX;
	f.dst = in->reg;
	f.width = op == 0x63 ? 4 : (op & 1) ? 2 : 1;
	f.sign = op == 0x63 || op >= 0xbe;
	f.src_byte = 8 * in->rm;
	if (f.width == 1 && !(in->flags & X86_INSN_REX) && in->rm >= 4)
		f.src_byte = 8 * (in->rm - 4) + 1;
	return f;
}

/* in's inline form, kind INL_NONE when it has none. */
static struct inline_form inline_form_of(const struct x86_instr *in)
{
	struct inline_form f = {INL_NONE, 0, in->opsize, 0, 0, 0, 0, 0, false, in};
	const struct inline_form none = {INL_NONE, 0, 0, 0, 0, 0, 0, 0, false, in};
	uint8_t op = in->opcode;
	bool reg_only = (in->flags & X86_INSN_MODRM) && in->mod == 3;
	unsigned ext = (in->modrm >> 3) & 7;
	if ((in->prefixes & X86_PFX_LOCK) || (f.size != 4 && f.size != 8))
		return none;
	if (in->map == 1)
		return reg_only && (op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf)
			   ? movx_form(in, f)
			   : none;
	if (in->map != 0)
		return none;
	if (reg_only && op == 0x63 && f.size == 8 && in->mode == X86_MODE_64) {
		f = movx_form(in, f);
	} else if (op == 0x8d && in->mod != 3 && (in->addrsize == 4 || in->addrsize == 8)) {
		f.kind = INL_LEA;
		f.dst = in->reg;
	} else if (reg_only && (op == 0x89 || op == 0x8b)) {
		f.kind = INL_MOV;
		f.dst = op == 0x89 ? in->rm : in->reg;
		f.src = op == 0x89 ? in->reg : in->rm;
	} else if (op >= 0xb8 && op <= 0xbf) {
		f.kind = INL_MOV_IMM;
		f.dst = in->reg;
		f.imm = f.size == 8 ? in->imm : (uint32_t)in->imm;
	} else if (reg_only && op == 0xc7 && ext == 0) {
		f.kind = INL_MOV_IMM;
		f.dst = in->rm;
		f.imm = f.size == 8 ? (uint64_t)(int64_t)(int32_t)in->imm : (uint32_t)in->imm;
	} else if (reg_only && op < 0x40 && ((op & 7) == 1 || (op & 7) == 3) &&
		   inline_alu_op(op >> 3)) {
		f.kind = INL_ALU;
		f.op = op >> 3;
		f.dst = (op & 7) == 1 ? in->rm : in->reg;
		f.src = (op & 7) == 1 ? in->reg : in->rm;
	} else if (reg_only && op == 0x85) {
		f.kind = INL_ALU;
		f.op = INL_TEST;
		f.dst = in->rm;
		f.src = in->reg;
	} else if (reg_only && (op == 0x81 || op == 0x83) && inline_alu_op(ext)) {
		f.kind = INL_ALU_IMM;
		f.op = ext;
		f.dst = in->rm;
		int64_t imm = op == 0x83 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
		f.imm = f.size == 8 ? (uint64_t)imm : (uint32_t)imm;
	}
	return f;
}

bool jit_inline(const struct x86_instr *in)
{
	return inline_form_of(in).kind != INL_NONE;
}

/* The lazy-flags kind of ALU operation op (cpu/flags.h). */
static unsigned lazy_kind(unsigned op)
{
	return op == 0 ? LF_ADD : op == 5 || op == 7 ? LF_SUB : LF_LOGIC;
}

/* The operation op (0 ADD .. 7 CMP, 8 TEST) of size on rax = a and rcx = b, the record
 * (unless dead: written over before anything reads it), the result into dst. */
static void put_alu(struct emit *x, unsigned op, unsigned size, unsigned dst, bool dead)
{
	/* op rax, rcx (ModRM C8: reg RCX, r/m RAX); CMP computes as SUB, TEST as AND */
	static const uint8_t opcode[9] = {0x01, 0x09, 0, 0, 0x21, 0x29, 0x31, 0x29, 0x21};
	static const uint8_t rex_w = 0x48, rax_rcx = 0xc8;
	unsigned kind = lazy_kind(op == INL_TEST ? 4 : op);
	if (dead) {
		/* nothing else: no flags to keep */
	} else if (kind != LF_LOGIC) {
		put_store(x, 0, offsetof(struct cpu, lf_a));
		put_store(x, 1, offsetof(struct cpu, lf_b));
	} else {
		put_store_imm(x, offsetof(struct cpu, lf_a), 0, true);
		put_store_imm(x, offsetof(struct cpu, lf_b), 0, true);
	}
	if (size == 8)
		put(x, &rex_w, 1);
	put(x, &opcode[op], 1);
	put(x, &rax_rcx, 1);
	if (!dead)
		put_store(x, 0, offsetof(struct cpu, lf_r));
	if (op != 7 && op != INL_TEST)
		put_store(x, 0, offsetof(struct cpu, gpr) + 8 * dst);
	if (!dead)
		put_store_imm(x, offsetof(struct cpu, lf_op), kind << 4 | size, false);
}

void jit_put_alu(struct emit *x, unsigned op, unsigned size, unsigned dst)
{
	put_alu(x, op, size, dst, false);
}

/* An INL_ALU/INL_ALU_IMM form: rax = a, rcx = b, the operation (put_alu). */
static void put_inline_alu(struct emit *x, const struct inline_form *f, bool dead)
{
	put_load(x, 0, offsetof(struct cpu, gpr) + 8 * f->dst, f->size);
	if (f->kind == INL_ALU)
		put_load(x, 1, offsetof(struct cpu, gpr) + 8 * f->src, f->size);
	else
		put_mov_imm(x, 1, f->imm);
	put_alu(x, f->op, f->size, f->dst, dead);
}

/*
 * True when the flags entry i of blk sets are written over before anything can see them:
 * a later inline ALU operation of the block writes the whole lazy record (kind, size,
 * operands, result), and the entries between are inline moves, which neither read flags
 * nor stop the code. An entry into the code between them skips entry i altogether.
 */
static bool flags_dead(const struct icache_block *blk, unsigned i)
{
	for (unsigned j = i + 1; j < blk->n; j++) {
		enum inline_kind k = inline_form_of(&blk->e[j].in).kind;
		if (k == INL_ALU || k == INL_ALU_IMM)
			return true;
		if (k != INL_MOV && k != INL_MOV_IMM && k != INL_MOVX && k != INL_LEA)
			return false;
	}
	return false;
}

/* lea rax, [r12 + d] (64-bit code) or lea eax, [r12 + d] (32-bit code: EIP wraps at 4 GiB):
 * the RIP at byte d of the block. */
static void put_block_rip(struct emit *x, unsigned mode, uint32_t d)
{
	static const uint8_t lea64[4] = {0x49, 0x8d, 0x84, 0x24}, lea32[4] = {0x41, 0x8d, 0x84, 0x24};
	put(x, mode == X86_MODE_64 ? lea64 : lea32, 4);
	put32(x, d);
}

/* rax = an INL_MOVX form's source, extended to its size */
static void put_movx(struct emit *x, const struct inline_form *f)
{
	/* movzx eax, byte/word; movsx eax/rax, byte/word; movsxd rax, dword: [rbx + d] */
	static const uint8_t zx8[2] = {0x0f, 0xb6}, zx16[2] = {0x0f, 0xb7};
	static const uint8_t sx8[3] = {0x48, 0x0f, 0xbe}, sx16[3] = {0x48, 0x0f, 0xbf};
	static const uint8_t sxd[2] = {0x48, 0x63};
	const size_t disp = offsetof(struct cpu, gpr) + f->src_byte;
	if (!f->sign)
		put(x, f->width == 1 ? zx8 : zx16, 2);
	else if (f->width == 4)
		put(x, sxd, 2);
	else if (f->size == 8)
		put(x, f->width == 1 ? sx8 : sx16, 3);
	else
		put(x, (f->width == 1 ? sx8 : sx16) + 1, 2); /* 32-bit: zero above, as the SDM */
	put_rbx_operand(x, 0, disp);
}

/* rax = an INL_LEA form's effective address, at its address size and operand size (a
 * 4-byte one of either zero-extended); a RIP-relative one from the block's RIP in R12 */
static void put_lea(struct emit *x, const struct inline_form *f, const struct icache_block *blk,
		    unsigned i)
{
	static const uint8_t mov_eax[2] = {0x89, 0xc0}; /* mov eax, eax */
	jit_put_address(x, f->in, (uint32_t)(blk->off[i] + f->in->len));
	if (f->size == 4 || f->in->addrsize == 4)
		put(x, mov_eax, 2);
}

/* The host instructions of an inline form (inline_form_of), entry i of blk. */
static void put_inline(struct emit *x, const struct inline_form *f,
		       const struct icache_block *blk, unsigned i)
{
	switch (f->kind) {
	case INL_MOV:
		put_load(x, 0, offsetof(struct cpu, gpr) + 8 * f->src, f->size);
		put_store(x, 0, offsetof(struct cpu, gpr) + 8 * f->dst);
		break;
	case INL_MOV_IMM:
		if (f->imm <= INT32_MAX || f->imm >= 0xffffffff80000000ULL) {
			put_store_imm(x, offsetof(struct cpu, gpr) + 8 * f->dst, (uint32_t)f->imm,
				      true);
		} else {
			put_mov_imm(x, 0, f->imm);
			put_store(x, 0, offsetof(struct cpu, gpr) + 8 * f->dst);
		}
		break;
	case INL_MOVX:
		put_movx(x, f);
		put_store(x, 0, offsetof(struct cpu, gpr) + 8 * f->dst);
		break;
	case INL_LEA:
		put_lea(x, f, blk, i);
		put_store(x, 0, offsetof(struct cpu, gpr) + 8 * f->dst);
		break;
	default: {
		/* a CMP or TEST whose flags are dead does nothing at all */
		bool dead = flags_dead(blk, i);
		if (!(dead && (f->op == 7 || f->op == INL_TEST)))
			put_inline_alu(x, f, dead);
		break;
	}
	}
}

/*
 * True when in's handler has no use for cpu->next_rip: an instruction that is not a
 * control transfer, has no RIP-relative operand, is not x87 (which records its address
 * from it), not a string instruction (a REP one cut into chunks sets it), and sets
 * neither TF nor an interrupt shadow (POPF, STI, MOV/POP SS: the loop looks at what comes
 * after them). Its entry then stores no next RIP before the call; where the loop needs it
 * after the entry -- a return for the break flags -- the break exit stores it.
 */
static bool rip_free(const struct x86_instr *in)
{
	uint8_t op = in->opcode, ext = (in->modrm >> 3) & 7;
	if ((in->flags & X86_INSN_MODRM) && in->mod != 3 && in->base == X86_GPR_RIP)
		return false;
	if (in->map == 1)
		return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
		       (op >= 0x40 && op <= 0x7f && op != 0x77) || (op >= 0x90 && op <= 0x9f) ||
		       (op >= 0xa3 && op <= 0xad && op != 0xa6 && op != 0xa7 && op != 0xa8 &&
			op != 0xa9 && op != 0xaa) ||
		       (op >= 0xaf && op <= 0xc6 && op != 0xb2 && op != 0xb4 && op != 0xb5 &&
			op != 0xb8 && op != 0xb9) ||
		       op >= 0xc8;
	if (in->map != 0)
		return false;
	if (op < 0x40)
		return (op & 7) < 6 && op != 0x0f; /* the ALU forms, not push/pop seg, BCD */
	return (op >= 0x40 && op <= 0x5f) || op == 0x63 || (op >= 0x68 && op <= 0x6b) ||
	       (op >= 0x80 && op <= 0x8d) || (op >= 0x90 && op <= 0x99) || op == 0x9c ||
	       op == 0xa8 || op == 0xa9 || (op >= 0xb0 && op <= 0xc1) || op == 0xc6 ||
	       op == 0xc7 || op == 0xc9 || (op >= 0xd0 && op <= 0xd3) || op == 0xf5 ||
	       op == 0xf6 || op == 0xf7 || op == 0xf8 || op == 0xf9 || op == 0xfc ||
	       op == 0xfd || op == 0xfe || (op == 0xff && (ext <= 1 || ext == 6));
}


/* cpu->next_rip = the RIP after entry i */
static void put_next_rip(struct emit *x, const struct icache_block *blk, unsigned i, unsigned mode)
{
	static const uint8_t store_rax[3] = {0x48, 0x89, 0x83}; /* mov [rbx + disp32], rax */
	put_block_rip(x, mode, (uint32_t)(blk->off[i] + blk->e[i].in.len));
	put_op_disp(x, store_rax, 3, offsetof(struct cpu, next_rip));
}

/* The call of entry i's handler, with the next RIP before it and the tests after it; the
 * fault and break jumps' displacements go to *fault and *brk (NULL: no break test). */
static void put_handler_call(struct emit *x, const struct icache_block *blk, unsigned i,
			     unsigned mode, uint8_t **fault, uint8_t **brk)
{
	static const uint8_t rdi_cpu[3] = {0x48, 0x89, 0xdf}; /* mov rdi, rbx */
	static const uint8_t movabs_rsi[2] = {0x48, 0xbe};    /* mov rsi, imm64 */
	static const uint8_t test_al[2] = {0x84, 0xc0};	      /* test al, al */
	static const uint8_t jz[2] = {0x0f, 0x84}, jnz[2] = {0x0f, 0x85};
	static const uint8_t cmp_break[2] = {0x83, 0xbb}; /* cmp dword [rbx + disp32], imm8 */
	static const uint8_t zero = 0;
	const struct icache_entry *e = &blk->e[i];
	if (!rip_free(&e->in) || i + 1 == blk->n)
		put_next_rip(x, blk, i, mode);
	put(x, rdi_cpu, 3);
	put(x, movabs_rsi, 2);
	put64(x, (uint64_t)(uintptr_t)&e->in);
	put_call(x, (const void *)e->fn);
	put(x, test_al, 2);
	*fault = put_jump(x, jz, 2);
	*brk = NULL;
	if (jit_may_break(&e->in)) {
		put(x, cmp_break, 2);
		put32(x, (uint32_t)offsetof(struct cpu, loop_break));
		put(x, &zero, 1);
		*brk = put_jump(x, jnz, 2);
	}
}

/* True when in is a Jcc (rel8 or rel32). */
static bool is_jcc(const struct x86_instr *in)
{
	return (in->map == 0 && (in->opcode & 0xf0) == 0x70) ||
	       (in->map == 1 && (in->opcode & 0xf0) == 0x80);
}

/* True when entry i of blk is a conditional branch inside the block (cpu/exec.c: a block
 * grown past it), whose taken branch ends the block's run. */
static bool side_exit_at(const struct icache_block *blk, unsigned i)
{
	const struct icache_entry *e = &blk->e[i];
	return i + 1 < blk->n && is_jcc(&e->in) && e->fn == cpu_jcc_side_exit[e->in.opcode & 15];
}

/*
 * Conditions on flags the code knows. Jcc, SETcc and CMOVcc test a condition of the
 * flags; their handlers read it back from the lazy record (cpu/flags.h). In a block's
 * code the host computes it itself, from one of two sources:
 *
 *  - COND_HOST: right after an inline ALU operation the host's RFLAGS are the guest's
 *    (the same operation at the same size, and only moves after it), so the host's Jcc,
 *    SETcc or CMOVcc of the same condition code (SDM Vol. 2: the same encoding) tests
 *    them. Entered at the entry itself (jit_at), the code calls the handler: there the
 *    host's flags are not the guest's.
 *  - COND_RECORD: after an instruction that records its flags lazily with a kind and
 *    size known from its opcode (ADD, SUB, CMP, the logic operations, TEST, INC, DEC, of
 *    any operand form), the code checks that cpu->lf_op is that record and makes the
 *    host's flags from it by doing the same operation again on the recorded operands
 *    (for INC/DEC, CF from the record first: they keep it); the record's flags are the
 *    guest's whenever lf_op is set (cpu/flags.h). Any other lf_op calls the handler.
 *
 * A taken Jcc's target is the block's RIP plus a constant; in 64-bit code a non-canonical
 * one goes to the handler's call (its #GP). Operand sizes other than the mode's own (a 66
 * prefix on a Jcc) keep the call.
 */
enum cond_how { COND_NONE, COND_HOST, COND_RECORD };

struct cond {
	enum cond_how how;
	uint32_t lf_op;	 /* COND_RECORD: the record expected */
	int32_t target;	 /* a Jcc: its target's offset from the block's first byte */
	uint8_t cc;	 /* the condition code */
};

/* The lazy record (kind << 4 | size) in's handler leaves, from its opcode; 0 for none
 * known. */
static uint32_t record_of(const struct x86_instr *in)
{
	uint8_t op = in->opcode, ext = (in->modrm >> 3) & 7;
	unsigned size = in->opsize, kind;
	if (in->map != 0 || (in->prefixes & X86_PFX_LOCK))
		return 0;
	if (op < 0x40 && (op & 7) <= 5 && (op >> 3) != 2 && (op >> 3) != 3) {
		kind = lazy_kind(op >> 3); /* ALU r/m,r; r,r/m; AL/eAX,imm */
		if (!(op & 1))
			size = 1;
	} else if ((op == 0x80 || op == 0x81 || op == 0x83) && ext != 2 && ext != 3) {
		kind = lazy_kind(ext);
		if (op == 0x80)
			size = 1;
	} else if (op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9 ||
		   ((op == 0xf6 || op == 0xf7) && ext == 0)) {
		kind = LF_LOGIC; /* TEST */
		if (!(op & 1))
			size = 1;
	} else if ((op == 0xfe || op == 0xff) && ext <= 1) {
		kind = ext ? LF_DEC : LF_INC;
		if (op == 0xfe)
			size = 1;
	} else if (op >= 0x40 && op <= 0x4f && in->mode != X86_MODE_64) {
		kind = op >= 0x48 ? LF_DEC : LF_INC;
	} else {
		return 0;
	}
	return kind << 4 | size;
}

/* True for a Jcc (rel8 or rel32), SETcc r8 or CMOVcc r, r whose condition the code can
 * test itself (see above), with *c filled in. */
static bool cond_of(const struct icache_block *blk, unsigned i, unsigned mode, struct cond *c)
{
	const struct x86_instr *in = &blk->e[i].in;
	bool reg_only = (in->flags & X86_INSN_MODRM) && in->mod == 3;
	*c = (struct cond){COND_NONE, 0, 0, (uint8_t)(in->opcode & 15)};
	if (i == 0)
		return false;
	if (is_jcc(in)) {
		if (in->opsize != (mode == X86_MODE_64 ? 8u : 4u) ||
		    (i + 1 < blk->n && !side_exit_at(blk, i)))
			return false;
		int64_t disp =
		    in->imm_size == 1 ? (int64_t)(int8_t)in->imm : (int64_t)(int32_t)in->imm;
		int64_t t = (int64_t)blk->off[i] + in->len + disp;
		if (t != (int32_t)t)
			return false;
		c->target = (int32_t)t;
	} else if (!(in->map == 1 && reg_only &&
		     ((in->opcode & 0xf0) == 0x90 ||
		      ((in->opcode & 0xf0) == 0x40 && (in->opsize == 4 || in->opsize == 8))))) {
		return false;
	}
	enum inline_kind prev = inline_form_of(&blk->e[i - 1].in).kind;
	if (prev == INL_ALU || prev == INL_ALU_IMM) {
		c->how = COND_HOST;
		return true;
	}
	/* the record of the nearest entry before that makes one, a few back at most (a
	 * guess: what the code checks is lf_op itself) */
	for (unsigned j = i; j-- > 0 && j + 4 >= i;)
		if ((c->lf_op = record_of(&blk->e[j].in)) != 0) {
			c->how = COND_RECORD;
			return true;
		}
	return false;
}

/* The host's flags from the lazy record lf_op (COND_RECORD): the check that it is the
 * record (else to the jump whose displacement is returned), then its operation again. */
static uint8_t *put_flags_from_record(struct emit *x, uint32_t lf_op)
{
	static const uint8_t cmp_op[2] = {0x81, 0xbb}; /* cmp dword [rbx + d], imm32 */
	static const uint8_t jne[2] = {0x0f, 0x85}, o16 = 0x66, rex_w = 0x48;
	static const uint8_t bt_cf[2] = {0x0f, 0xba};	/* bt dword [rbx + d], ib (/4) */
	unsigned kind = lf_op >> 4, size = lf_op & 15;
	put_op_disp(x, cmp_op, 2, offsetof(struct cpu, lf_op));
	put32(x, lf_op);
	uint8_t *slow = put_jump(x, jne, 2);
	if (kind == LF_INC || kind == LF_DEC) {
		static const uint8_t modrm_bt = 0xa3, zero = 0;
		put(x, bt_cf, 2);
		put(x, &modrm_bt, 1);
		put32(x, (uint32_t)offsetof(struct cpu, lf_b));
		put(x, &zero, 1);
	}
	put_load(x, 0, kind == LF_LOGIC ? offsetof(struct cpu, lf_r) : offsetof(struct cpu, lf_a), 8);
	if (size == 2)
		put(x, &o16, 1);
	else if (size == 8)
		put(x, &rex_w, 1);
	if (kind == LF_SUB || kind == LF_ADD) { /* cmp/add al/ax/eax/rax, [rbx + lf_b] */
		uint8_t op = (uint8_t)((kind == LF_SUB ? 0x3a : 0x02) | (size != 1));
		put(x, &op, 1);
		put_rbx_operand(x, 0, offsetof(struct cpu, lf_b));
	} else if (kind == LF_LOGIC) { /* test al/ax/eax/rax, itself */
		const uint8_t test[2] = {(uint8_t)(size == 1 ? 0x84 : 0x85), 0xc0};
		put(x, test, 2);
	} else { /* inc/dec al/ax/eax/rax */
		const uint8_t incdec[2] = {(uint8_t)(size == 1 ? 0xfe : 0xff),
					   (uint8_t)(kind == LF_DEC ? 0xc8 : 0xc0)};
		put(x, incdec, 2);
	}
	return slow;
}

/* SETcc r8 (its byte of gpr[] as MOVZX's source: AH..BH without REX) or CMOVcc r, r on
 * the host's flags, the condition cc. */
static void put_set_or_cmov(struct emit *x, const struct x86_instr *in, uint8_t cc)
{
	static const uint8_t store_cl[2] = {0x88, 0x8b}; /* mov byte [rbx + d], cl */
	static const uint8_t rex_w = 0x48, rax_rcx = 0xc1;
	if ((in->opcode & 0xf0) == 0x90) {
		unsigned byte = 8 * in->rm;
		if (!(in->flags & X86_INSN_REX) && in->rm >= 4)
			byte = 8 * (in->rm - 4) + 1;
		const uint8_t setcc[3] = {0x0f, (uint8_t)(0x90 | cc), 0xc1}; /* setcc cl */
		put(x, setcc, 3);
		put_op_disp(x, store_cl, 2, offsetof(struct cpu, gpr) + byte);
		return;
	}
	/* a 32-bit CMOV zero-extends its destination whether it moves or not (SDM) */
	const uint8_t cmov[2] = {0x0f, (uint8_t)(0x40 | cc)}; /* cmovcc eax/rax, ecx/rcx */
	put_load(x, 0, offsetof(struct cpu, gpr) + 8 * in->reg, in->opsize);
	put_load(x, 1, offsetof(struct cpu, gpr) + 8 * in->rm, in->opsize);
	if (in->opsize == 8)
		put(x, &rex_w, 1);
	put(x, cmov, 2);
	put(x, &rax_rcx, 1);
	put_store(x, 0, offsetof(struct cpu, gpr) + 8 * in->reg);
}

/* The taken branch of a Jcc the code tests itself (cond_of): cpu->next_rip = its target, checked
 * canonical in 64-bit code (else to the handler's call, slow), then on to the block's end
 * (end; its last entry) or, a side exit, with cpu->side_exit set, to what its break test
 * goes to: the returned jump's displacement, to be patched (NULL for the last entry). */
static uint8_t *put_jcc_taken(struct emit *x, unsigned mode, int32_t target, const uint8_t *slow,
			      const uint8_t *end, bool side)
{
	static const uint8_t canonical[] = {
	    0x48, 0x89, 0xc1,	    /* mov rcx, rax */
	    0x48, 0xc1, 0xe1, 0x10, /* shl rcx, 16 */
	    0x48, 0xc1, 0xf9, 0x10, /* sar rcx, 16 */
	    0x48, 0x39, 0xc1,	    /* cmp rcx, rax */
	};
	static const uint8_t store_rax[3] = {0x48, 0x89, 0x83}; /* mov [rbx + disp32], rax */
	static const uint8_t set_side[2] = {0xc6, 0x83};	/* mov byte [rbx + d], ib */
	static const uint8_t jne[2] = {0x0f, 0x85}, jmp = 0xe9, one = 1;
	put_block_rip(x, mode, (uint32_t)target);
	if (mode == X86_MODE_64) {
		put(x, canonical, sizeof(canonical));
		uint8_t *at = put_jump(x, jne, 2);
		if (at)
			patch_to(at, slow);
	}
	put_op_disp(x, store_rax, 3, offsetof(struct cpu, next_rip));
	if (!side) {
		uint8_t *at = put_jump(x, &jmp, 1);
		if (at)
			patch_to(at, end);
		return NULL;
	}
	put_op_disp(x, set_side, 2, offsetof(struct cpu, side_exit));
	put(x, &one, 1);
	return put_jump(x, &jmp, 1);
}

/* The code of one entry (see jit.h); its fault and break jumps' displacements go to
 * *fault and *brk (NULL: none). */
static void put_entry(struct emit *x, const struct icache_block *blk, unsigned i, unsigned mode,
		      uint8_t **fault, uint8_t **brk)
{
	struct inline_form f = inline_form_of(&blk->e[i].in);
	*fault = *brk = NULL;
	if (f.kind == INL_NONE) {
		/* a memory operand's fast path (cpu/jit_mem.c), which skips the call on a hit */
		uint8_t *mem_done = mode == X86_MODE_64 ? jit_mem_put(x, blk, i) : NULL;
		put_handler_call(x, blk, i, mode, fault, brk);
		if (mem_done)
			patch_to(mem_done, x->p);
		return;
	}
	put_inline(x, &f, blk, i);
	if (i + 1 == blk->n)
		put_next_rip(x, blk, i, mode); /* the loop goes on from cpu->next_rip */
}

/* The result naming entry i (jit.h): its offset from entry 0. */
static uint32_t entry_offset(unsigned i)
{
	return (uint32_t)(i * sizeof(struct icache_entry));
}

/* Jumps collected on the way through put_block_end to one place patched at its end. */
struct jumps {
	uint8_t *at[16];
	unsigned n;
};

static void jumps_add(struct jumps *j, uint8_t *at)
{
	assert(j->n < sizeof(j->at) / sizeof(j->at[0]));
	if (at)
		j->at[j->n++] = at;
}

static void jumps_patch(struct jumps *j, const uint8_t *target)
{
	for (unsigned k = 0; k < j->n; k++)
		patch_to(j->at[k], target);
	j->n = 0;
}

/* The last of going on to block RDX at RIP RAX: the loop's RIP of it, R12, the side exit
 * flag cleared (side), a jump to its code. */
static void put_enter_block(struct emit *x, bool side)
{
	static const uint8_t store_brip[3] = {0x48, 0x89, 0x83}; /* mov [rbx + d], rax */
	static const uint8_t r12_rip[3] = {0x49, 0x89, 0xc4};	 /* mov r12, rax */
	static const uint8_t clear_side[2] = {0xc6, 0x83};	 /* mov byte [rbx + d], ib */
	static const uint8_t jmp_code[2] = {0xff, 0xa2};	 /* jmp [rdx + d] */
	static const uint8_t zero = 0;
	put_op_disp(x, store_brip, 3, offsetof(struct cpu, jit_brip));
	put(x, r12_rip, 3);
	if (side) {
		put_op_disp(x, clear_side, 2, offsetof(struct cpu, side_exit));
		put(x, &zero, 1);
	}
	put_op_disp(x, jmp_code, 2, offsetof(struct icache_block, jit_code));
}

/* The going on of put_block_end once to (RDX) is to be entered at the next RIP (RAX):
 * the count at its start (jit_ic0 + n, left in RCX), then -- pages: on a change of page,
 * with the new page's fast entry in R10 -- the fetch hits of the page left counted, then
 * the loop's block and RIP, R12, the side exit flag cleared (side), and its code. */
static void put_go_on(struct emit *x, uint8_t n, bool pages, bool side)
{
	static const uint8_t load_ic0[3] = {0x48, 0x8b, 0x8b};	   /* mov rcx, [rbx + d] */
	static const uint8_t add_rcx[3] = {0x48, 0x83, 0xc1};	   /* add rcx, ib */
	static const uint8_t store_rcx[3] = {0x48, 0x89, 0x8b};	   /* mov [rbx + d], rcx */
	static const uint8_t pending[3] = {0x49, 0x89, 0xc8};	   /* mov r8, rcx */
	static const uint8_t sub_counted[3] = {0x4c, 0x2b, 0x83};  /* sub r8, [rbx + d] */
	static const uint8_t load_cfe[3] = {0x4c, 0x8b, 0x8b};	   /* mov r9, [rbx + d] */
	static const uint8_t store_cfe[3] = {0x4c, 0x89, 0x93};	   /* mov [rbx + d], r10 */
	static const uint8_t load_mmu_rcx[3] = {0x48, 0x8b, 0x8b}; /* mov rcx, [rbx + d] */
	static const uint8_t cmp_exact[2] = {0x80, 0xb9};	   /* cmp byte [rcx + d], ib */
	static const uint8_t add_tick[3] = {0x4c, 0x03, 0x81};	   /* add r8, [rcx + d] */
	static const uint8_t store_tick[3] = {0x4c, 0x89, 0x81};   /* mov [rcx + d], r8 */
	static const uint8_t store_stamp[3] = {0x4d, 0x89, 0x81};  /* mov [r9 + d], r8 */
	static const uint8_t store_blk[3] = {0x48, 0x89, 0x93};	   /* mov [rbx + d], rdx */
	static const uint8_t jz[2] = {0x0f, 0x84}, zero = 0;
	struct jumps done = {{0}, 0};
	put_op_disp(x, load_ic0, 3, offsetof(struct cpu, jit_ic0));
	put(x, add_rcx, 3);
	put(x, &n, 1);
	put_op_disp(x, store_rcx, 3, offsetof(struct cpu, jit_ic0));
	if (pages) {
		put(x, pending, 3);
		put_op_disp(x, sub_counted, 3, offsetof(struct cpu, jit_counted));
		put_op_disp(x, store_rcx, 3, offsetof(struct cpu, jit_counted));
		put_op_disp(x, load_cfe, 3, offsetof(struct cpu, jit_cfe));
		put_op_disp(x, store_cfe, 3, offsetof(struct cpu, jit_cfe));
		jumps_add(&done, put_jump(x, jz, 2)); /* no hits pending (ZF of the sub) */
		put_op_disp(x, load_mmu_rcx, 3, offsetof(struct cpu, mmu));
		put_op_disp(x, cmp_exact, 2, offsetof(struct mmu, exact_stats));
		put(x, &zero, 1);
		jumps_add(&done, put_jump(x, jz, 2));
		put_op_disp(x, add_tick, 3, offsetof(struct mmu, tlb.tick[TLB_LEVEL_L1I]));
		put_op_disp(x, store_tick, 3, offsetof(struct mmu, tlb.tick[TLB_LEVEL_L1I]));
		put_op_disp(x, store_stamp, 3, offsetof(struct tlb_fast_entry, stamp));
		jumps_patch(&done, x->p);
	}
	put_op_disp(x, store_blk, 3, offsetof(struct cpu, jit_blk));
	put_enter_block(x, side);
}

/*
 * The end of a block that ran to its end (RAX free, the next RIP in cpu->next_rip): if it
 * is one of the block's chains (icache_block.chain) -- the block recorded there, whose
 * code is current, whose bytes were compared in this run of the loop, whose instructions
 * fit in the budget of R13, and which is in this block's page or, in another, at the host
 * address it had (the page's fetch translation in the MMU's fast path, unchanged) -- the
 * code goes on there; else it returns the block's end to the loop. On the way it keeps
 * what the loop keeps (struct cpu, jit_*): the instruction count at the block's start,
 * and on a change of page the fetch hits of the page left, counted on its fast entry as
 * the loop counts them (mmu_fast_count_n). A watched block has no chains (the loop adds
 * none while it is watched: cpu/exec.c), so that the loop counts its exits.
 *
 * n: the block's entries that ran (a taken side exit: up to and with its Jcc). side: the
 * end of a taken side exit, which leaves cpu->side_exit set for the loop unless it goes
 * on (the loop then ends the block's run there, as from its own loop). fallback: where
 * the code goes when it does not go on; NULL: a return of the entry after the last.
 */
static void put_block_end(struct emit *x, const struct icache_block *blk, uint8_t n, bool side,
			  const uint8_t *exit, const uint8_t *fallback)
{
	static const uint8_t load_next_rip[3] = {0x48, 0x8b, 0x83}; /* mov rax, [rbx + d] */
	static const uint8_t movabs_r11[2] = {0x49, 0xbb};	     /* mov r11, imm64 */
	static const uint8_t cmp_rip[3] = {0x49, 0x3b, 0x83};	     /* cmp rax, [r11 + d] */
	static const uint8_t load_to[3] = {0x49, 0x8b, 0x93};	     /* mov rdx, [r11 + d] */
	static const uint8_t load_gen[3] = {0x41, 0x8b, 0x8b};	     /* mov ecx, [r11 + d] */
	static const uint8_t load_at[3] = {0x4d, 0x8b, 0x8b};	     /* mov r9, [r11 + d] */
	static const uint8_t cmp_gen[2] = {0x3b, 0x8a};		     /* cmp ecx, [rdx + d] */
	static const uint8_t load_n[3] = {0x0f, 0xb6, 0x8a};	     /* movzx ecx, byte [rdx + d] */
	static const uint8_t cmp_n[2] = {0x3a, 0x8a};		     /* cmp cl, [rdx + d] */
	static const uint8_t sub_budget[3] = {0x49, 0x29, 0xcd};     /* sub r13, rcx */
	static const uint8_t load_checked[3] = {0x48, 0x8b, 0x8a};   /* mov rcx, [rdx + d] */
	static const uint8_t cmp_epoch[3] = {0x48, 0x3b, 0x8b};	     /* cmp rcx, [rbx + d] */
	static const uint8_t page_diff[] = {
	    0x48, 0x89, 0xc1,	    /* mov rcx, rax */
	    0x4c, 0x31, 0xe1,	    /* xor rcx, r12 */
	    0x48, 0xc1, 0xe9, 0x0c, /* shr rcx, 12 */
	};
	static const uint8_t cmp_cross[2] = {0x80, 0xba}; /* cmp byte [rdx + d], ib */
	static const uint8_t zero_r10[3] = {0x45, 0x31, 0xd2}; /* xor r10d, r10d */
	static const uint8_t load_mmu_r10[3] = {0x4c, 0x8b, 0x93};  /* mov r10, [rbx + d] */
	static const uint8_t load_fast_r10[3] = {0x4d, 0x8b, 0x92}; /* mov r10, [r10 + d] */
	/* ((la >> 12) & (TLB_FAST_SIZE - 1)) * the entry's size, as one shift and mask */
	static const uint8_t fast_index[] = {
	    0x48, 0x89, 0xc1, /* mov rcx, rax */
	    0x48, 0xc1, 0xe9, /* shr rcx, ib */
	};
	static const uint8_t and_ecx[2] = {0x81, 0xe1};		  /* and ecx, imm32 */
	static const uint8_t add_r10_rcx[3] = {0x49, 0x01, 0xca}; /* add r10, rcx */
	static const uint8_t page_of_rax[] = {
	    0x48, 0x89, 0xc1,			      /* mov rcx, rax */
	    0x48, 0x81, 0xe1, 0x00, 0xf0, 0xff, 0xff, /* and rcx, -4096 */
	};
	static const uint8_t cmp_tag[3] = {0x49, 0x3b, 0x8a};	 /* cmp rcx, [r10 + d] */
	static const uint8_t load_addend[3] = {0x49, 0x8b, 0x8a}; /* mov rcx, [r10 + d] */
	static const uint8_t at_check[] = {
	    0x48, 0x01, 0xc1, /* add rcx, rax */
	    0x4c, 0x39, 0xc9, /* cmp rcx, r9 */
	};
	static const uint8_t lea_r10[3] = {0x4d, 0x8d, 0x92}; /* lea r10, [r10 + d] */
	static const uint8_t cross_args[] = {
	    0x48, 0x89, 0xdf, /* mov rdi, rbx */
	    0x48, 0x89, 0xd6, /* mov rsi, rdx */
	    0x4c, 0x89, 0xd2, /* mov rdx, r10 */
	    0xb9,	      /* mov ecx, imm32 */
	};
	static const uint8_t load_blk[3] = {0x48, 0x8b, 0x93};	 /* mov rdx, [rbx + d] */
	static const uint8_t test_al[2] = {0x84, 0xc0};		 /* test al, al */
	static const uint8_t jne[2] = {0x0f, 0x85}, jz[2] = {0x0f, 0x84}, jb[2] = {0x0f, 0x82};
	static const uint8_t jmp = 0xe9, zero = 0;
	const size_t kind_off = (size_t)(MMU_FETCH & MMU_KIND_MASK) * TLB_FAST_SIZE *
				sizeof(struct tlb_fast_entry);
	struct jumps out = {{0}, 0}, cross = {{0}, 0};
	uint8_t shift = 0;
	while ((1u << shift) < sizeof(struct tlb_fast_entry))
		shift++;
	put_op_disp(x, load_next_rip, 3, offsetof(struct cpu, next_rip));
	put(x, movabs_r11, 2);
	put64(x, (uint64_t)(uintptr_t)blk);
	/* chain 0 here, chain 1 out of line: RDX = to, ECX = gen, R9 = at */
	put_op_disp(x, cmp_rip, 3, offsetof(struct icache_block, chain[0].rip));
	uint8_t *try1 = put_jump(x, jne, 2);
	put_op_disp(x, load_to, 3, offsetof(struct icache_block, chain[0].to));
	put_op_disp(x, load_gen, 3, offsetof(struct icache_block, chain[0].gen));
	put_op_disp(x, load_at, 3, offsetof(struct icache_block, chain[0].at));
	uint8_t *have = x->p;
	put_op_disp(x, cmp_gen, 2, offsetof(struct icache_block, gen));
	jumps_add(&out, put_jump(x, jne, 2));
	put_op_disp(x, load_n, 3, offsetof(struct icache_block, n));
	put_op_disp(x, cmp_n, 2, offsetof(struct icache_block, jit_n));
	jumps_add(&out, put_jump(x, jne, 2));
	put(x, sub_budget, 3);
	jumps_add(&out, put_jump(x, jb, 2));
	put_op_disp(x, load_checked, 3, offsetof(struct icache_block, checked));
	put_op_disp(x, cmp_epoch, 3, offsetof(struct cpu, code_epoch));
	jumps_add(&out, put_jump(x, jne, 2));
	put(x, page_diff, sizeof(page_diff));
	uint8_t *other = put_jump(x, jne, 2);
	/* in this block's page (R10 = 0 for a crossing instruction's C) */
	put(x, zero_r10, 3);
	put_op_disp(x, cmp_cross, 2, offsetof(struct icache_block, cross));
	put(x, &zero, 1);
	jumps_add(&cross, put_jump(x, jne, 2));
	put_go_on(x, n, false, side);
	/* in another page: R10 = its fast entry, which must map to's first byte at `at` */
	if (other)
		patch_to(other, x->p);
	put_op_disp(x, load_mmu_r10, 3, offsetof(struct cpu, mmu));
	put_op_disp(x, load_fast_r10, 3, offsetof(struct mmu, fast_cur));
	put(x, fast_index, sizeof(fast_index));
	uint8_t index_shift = (uint8_t)(12 - shift);
	put(x, &index_shift, 1);
	put(x, and_ecx, 2);
	put32(x, (uint32_t)((TLB_FAST_SIZE - 1) << shift));
	put(x, add_r10_rcx, 3);
	put(x, page_of_rax, sizeof(page_of_rax));
	put_op_disp(x, cmp_tag, 3, kind_off + offsetof(struct tlb_fast_entry, tag));
	jumps_add(&out, put_jump(x, jne, 2));
	put_op_disp(x, load_addend, 3, kind_off + offsetof(struct tlb_fast_entry, addend));
	put(x, at_check, sizeof(at_check));
	jumps_add(&out, put_jump(x, jne, 2));
	put_op_disp(x, lea_r10, 3, kind_off);
	put_op_disp(x, cmp_cross, 2, offsetof(struct icache_block, cross));
	put(x, &zero, 1);
	jumps_add(&cross, put_jump(x, jne, 2));
	put_go_on(x, n, true, side);
	/* a page-crossing instruction: its second page and the counts in C */
	jumps_patch(&cross, x->p);
	put(x, cross_args, sizeof(cross_args));
	put32(x, n);
	put_call(x, (const void *)cpu_jit_cross_enter);
	put(x, test_al, 2);
	jumps_add(&out, put_jump(x, jz, 2));
	put_op_disp(x, load_next_rip, 3, offsetof(struct cpu, next_rip));
	put_op_disp(x, load_blk, 3, offsetof(struct cpu, jit_blk));
	put_enter_block(x, side);
	/* chain 1 */
	if (try1)
		patch_to(try1, x->p);
	put_op_disp(x, cmp_rip, 3, offsetof(struct icache_block, chain[1].rip));
	jumps_add(&out, put_jump(x, jne, 2));
	put_op_disp(x, load_to, 3, offsetof(struct icache_block, chain[1].to));
	put_op_disp(x, load_gen, 3, offsetof(struct icache_block, chain[1].gen));
	put_op_disp(x, load_at, 3, offsetof(struct icache_block, chain[1].at));
	uint8_t *back = put_jump(x, &jmp, 1);
	if (back)
		patch_to(back, have);
	if (!fallback) {
		fallback = x->p;
		put_return(x, entry_offset(n), exit);
	}
	jumps_patch(&out, fallback);
}

/*
 * The code after a taken side exit of entry i (its break test found cpu->loop_break set):
 * if the side exit is all that is set, the block's end for its first i + 1 entries, going
 * on to the chained block of the branch's target; else, or when it does not go on, the
 * entry's break return (brk_stub). False, with nothing written, when it does not fit.
 */
static bool put_side_exit_end(struct emit *x, const struct icache_block *blk, unsigned i,
			      const uint8_t *exit, const uint8_t *brk_stub)
{
	static const uint8_t cmp_break[2] = {0x81, 0xbb}; /* cmp dword [rbx + d], imm32 */
	static const uint8_t jne[2] = {0x0f, 0x85};
	/* loop_break with side_exit alone set: its byte in the word (x86-64: little-endian) */
	const uint32_t side_only = 1u << (8 * (offsetof(struct cpu, side_exit) -
					      offsetof(struct cpu, loop_break)));
	uint8_t *start = x->p;
	put_op_disp(x, cmp_break, 2, offsetof(struct cpu, loop_break));
	put32(x, side_only);
	uint8_t *other = put_jump(x, jne, 2);
	if (other)
		patch_to(other, brk_stub);
	put_block_end(x, blk, (uint8_t)(i + 1), true, exit, brk_stub);
	if (x->full) {
		x->p = start;
		x->full = false;
		return false;
	}
	return true;
}

bool jit_block_build(struct jit *jit, unsigned slot, struct icache_block *blk, unsigned mode)
{
	static const uint8_t jmp = 0xe9;
	uint8_t *area = jit->map + 4096 + (uint64_t)slot * JIT_AREA;
	struct emit x = {area, area + JIT_AREA, false};
	uint8_t *fault[ICACHE_BLOCK_MAX], *brk[ICACHE_BLOCK_MAX], *brk_stub[ICACHE_BLOCK_MAX];
	uint8_t *taken[ICACHE_BLOCK_MAX], *slow[ICACHE_BLOCK_MAX], *side[ICACHE_BLOCK_MAX];
	uint8_t *guard[ICACHE_BLOCK_MAX], *main_at[ICACHE_BLOCK_MAX + 1];
	struct cond cond[ICACHE_BLOCK_MAX];
	unsigned n = blk->n;
	blk->jit_n = 0;
	if (slot >= jit->nr_slots || n == 0 || (mode != X86_MODE_64 && mode != X86_MODE_32))
		return false;
	for (unsigned i = 0; i < n; i++) {
		main_at[i] = x.p;
		blk->jit_at[i] = (uint16_t)(x.p - area);
		taken[i] = guard[i] = NULL;
		if (!cond_of(blk, i, mode, &cond[i])) {
			put_entry(&x, blk, i, mode, &fault[i], &brk[i]);
			continue;
		}
		fault[i] = brk[i] = NULL;
		if (cond[i].how == COND_RECORD)
			guard[i] = put_flags_from_record(&x, cond[i].lf_op);
		if (is_jcc(&blk->e[i].in)) {
			const uint8_t jcc[2] = {0x0f, (uint8_t)(0x80 | cond[i].cc)};
			taken[i] = put_jump(&x, jcc, 2);
		} else {
			put_set_or_cmov(&x, &blk->e[i].in, cond[i].cc);
		}
		if (i + 1 == n)
			put_next_rip(&x, blk, i, mode);
	}
	uint8_t *end = main_at[n] = x.p;
	put_block_end(&x, blk, (uint8_t)n, false, jit->exit, NULL);
	/* a condition's handler call, where its flags are not at hand (entered at the entry
	 * itself after an inline operation, another record, a Jcc's target not canonical);
	 * then on as after the entry */
	for (unsigned i = 0; i < n; i++) {
		if (cond[i].how == COND_NONE)
			continue;
		slow[i] = x.p;
		if (cond[i].how == COND_HOST)
			blk->jit_at[i] = (uint16_t)(x.p - area);
		if (guard[i])
			patch_to(guard[i], x.p);
		put_handler_call(&x, blk, i, mode, &fault[i], &brk[i]);
		uint8_t *at = put_jump(&x, &jmp, 1);
		if (at)
			patch_to(at, main_at[i + 1]);
	}
	for (unsigned i = 0; i < n && !x.full; i++) {
		uint8_t *stub = x.p;
		if (fault[i]) {
			put_return(&x, entry_offset(i) | JIT_FAULT, jit->exit);
			patch_to(fault[i], stub);
		}
		brk_stub[i] = side[i] = NULL;
		if (brk[i]) {
			brk_stub[i] = side[i] = x.p;
			if (rip_free(&blk->e[i].in) && i + 1 < n)
				put_next_rip(&x, blk, i, mode); /* the entry did not */
			put_return(&x, entry_offset(i + 1) | JIT_BREAK, jit->exit);
			patch_to(brk[i], brk_stub[i]);
		}
	}
	/* the Jcc's taken branches; a side exit's goes where its break test goes */
	uint8_t *to_side[ICACHE_BLOCK_MAX];
	for (unsigned i = 0; i < n; i++) {
		to_side[i] = NULL;
		if (!taken[i])
			continue;
		patch_to(taken[i], x.p);
		to_side[i] = put_jcc_taken(&x, mode, cond[i].target, slow[i], end, i + 1 < n);
	}
	if (x.full) {
		blk->jit_heat = 0; /* tried again after JIT_HOT more runs, not at every run */
		return false;
	}
	/* taken side exits go on to their chained blocks, while the area has room */
	for (unsigned i = 0; i + 1 < n; i++) {
		uint8_t *code = x.p;
		if (brk[i] && side_exit_at(blk, i)) {
			if (!put_side_exit_end(&x, blk, i, jit->exit, brk_stub[i]))
				break;
			patch_to(brk[i], code);
			side[i] = code;
		}
	}
	for (unsigned i = 0; i + 1 < n; i++)
		if (to_side[i])
			patch_to(to_side[i], side[i]);
	blk->jit_code = area;
	blk->jit_n = (uint8_t)n;
	jit->built++;
	return true;
}
