/*
 * cpu/jit_mem.c - memory operands in the blocks' host code.
 *
 * The hottest memory instructions of 64-bit code -- MOV to and from a general register,
 * the ALU operations with a memory source, CMP with a memory destination, the scalar SSE
 * moves and arithmetic, the aligned 16-byte SSE moves, PUSH and POP of a register -- have
 * specialised handlers whose common case is a fast-path access: the linear address from
 * the registers, the MMU's fast entry for it (an index and a tag compare that includes
 * the alignment bits: mmu_fast_peek), the hit counted when statistics are exact
 * (mmu_fast_count: the L1D tick advanced, its value the entry's stamp) and the access
 * through the entry's addend. A block's code does that itself for
 * an entry whose handler is one of those (the handler's identity says what it does:
 * cpu_special_mem_op, cpu_sse_mem_op), and calls the handler only when the fast path
 * does not take the access -- a miss, a misaligned or page-crossing operand, SSE not
 * usable, the guest's MXCSR not held by the host -- having changed nothing; the handler
 * then does the whole instruction its way, faults included. So the state, the memory,
 * the faults and every statistic are the handler's.
 *
 * The fast entries are read through mmu->fast_cur at every access, never remembered in
 * the code: the current CPL and AC choose the table, and a tracer swaps it
 * (mmu/tlb_trace.c). A store through a write fast entry can never land in a page with
 * decoded code (the MMU keeps those frames off the write fast path: struct mmu,
 * write_watch), so it needs no code check and raises no loop break; a store into code
 * misses and its handler notes it.
 *
 *   rsi = cpu->mmu
 *   [SSE: cr0.EM|TS clear, cr4.OSFXSR set; arithmetic: MXCSR held]   else -> miss
 *   rax = the linear address [16 bytes: 16-byte aligned]             else -> miss
 *   rdx = fast_cur; rcx = index * entry size; (rax & ~0xfff | align) == tag  else -> miss
 *   exact_stats: tick[L1D] += hits; stamp = tick[L1D]
 *   rax += addend; the access; (the block's last entry: next_rip)
 *   jmp over the entry's call
 *   miss: the entry's call of its handler (cpu/jit.c, put_entry)
 */
#include "cpu/jit_mem.h"

#include <stddef.h>

#include "cpu/fpu.h"
#include "cpu/icache.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

_Static_assert((sizeof(struct tlb_fast_entry) & (sizeof(struct tlb_fast_entry) - 1)) == 0 &&
		   sizeof(struct tlb_fast_entry) <= 4096,
	       "a fast entry's index times its size is a shift and a mask of the address");

/* Displacements from RBX (struct cpu). */
#define CPU_GPR(r) (offsetof(struct cpu, gpr) + 8u * (r))
#define CPU_XMM(r) (offsetof(struct cpu, xmm) + 16u * (r))

/* The first gate of the SSE forms: CR0.EM and CR0.TS clear and CR4.OSFXSR set
 * (sse_ready); for the arithmetic also the guest's MXCSR held by the host (fp_ready).
 * Jumps to the miss otherwise. RSI = cpu->mmu. */
static void put_sse_gate(struct emit *x, bool arith, uint8_t **miss, unsigned *nmiss)
{
	static const uint8_t test_cr[2] = {0xf7, 0x86};	  /* test dword [rsi + d], imm32 */
	static const uint8_t test_held[2] = {0xf6, 0x83}; /* test byte [rbx + d], imm8 */
	static const uint8_t jnz[2] = {0x0f, 0x85}, jz[2] = {0x0f, 0x84};
	put_op_disp(x, test_cr, 2, offsetof(struct mmu, cr0));
	put32(x, (uint32_t)(CR0_EM | CR0_TS));
	miss[(*nmiss)++] = put_jump(x, jnz, 2);
	put_op_disp(x, test_cr, 2, offsetof(struct mmu, cr4));
	put32(x, (uint32_t)CR4_OSFXSR);
	miss[(*nmiss)++] = put_jump(x, jz, 2);
	if (arith) {
		uint8_t held = FPU_HELD_MXCSR;
		put_op_disp(x, test_held, 2, offsetof(struct cpu, fpu_held));
		put(x, &held, 1);
		miss[(*nmiss)++] = put_jump(x, jz, 2);
	}
}

void jit_put_address(struct emit *x, const struct x86_instr *in, uint32_t end)
{
	static const uint8_t xor_eax[2] = {0x31, 0xc0};		    /* xor eax, eax */
	static const uint8_t lea_rax[3] = {0x48, 0x8d, 0x80};	    /* lea rax, [rax + d] */
	static const uint8_t lea_sib[3] = {0x48, 0x8d, 0x84};	    /* lea rax, [sib + d] */
	static const uint8_t lea_r12[4] = {0x49, 0x8d, 0x84, 0x24}; /* lea rax, [r12 + d] */
	static const uint8_t add_rax[2] = {0x48, 0x05};		    /* add rax, imm32 */
	if (in->base == X86_GPR_RIP) {
		int64_t d = (int64_t)end + in->disp;
		if (d == (int32_t)d) {
			put_op_disp(x, lea_r12, 4, (size_t)(uint32_t)(int32_t)d);
		} else { /* a displacement near 2 GiB: end and it apart */
			put_op_disp(x, lea_r12, 4, end);
			put(x, add_rax, 2);
			put32(x, (uint32_t)(int32_t)in->disp);
		}
		return;
	}
	if (in->base == X86_GPR_NONE)
		put(x, xor_eax, 2);
	else
		put_load(x, 0, CPU_GPR(in->base), 8);
	if (in->index != X86_GPR_NONE) {
		uint8_t ss = (uint8_t)(in->scale == 8 ? 3 : in->scale == 4 ? 2 : in->scale == 2);
		uint8_t sib = (uint8_t)(ss << 6 | 1 << 3 | 0); /* base RAX, index RCX */
		put_load(x, 1, CPU_GPR(in->index), 8);
		put(x, lea_sib, 3);
		put(x, &sib, 1);
		put32(x, (uint32_t)(int32_t)in->disp);
	} else if (in->disp != 0) {
		put_op_disp(x, lea_rax, 3, (size_t)(uint32_t)(int32_t)in->disp);
	}
}

/* RAX = the operand's linear address (flat_la; the stack's for PUSH and POP: RSP, or RSP
 * - 8 for a push); end as for jit_put_address. */
static void put_la(struct emit *x, const struct x86_instr *in, unsigned shape, uint32_t end,
		   bool push)
{
	static const uint8_t sub_rax_8[4] = {0x48, 0x83, 0xe8, 0x08}; /* sub rax, 8 */
	if (shape == JM_STACK) {
		put_load(x, 0, CPU_GPR(RSP), 8);
		if (push)
			put(x, sub_rax_8, 4);
		return;
	}
	jit_put_address(x, in, end);
}

/* The fast entry of RAX for an access of size and kind (mmu_fast_peek): RDX = the fast
 * tables (fast_cur), RCX = the entry's offset in its kind's table, which starts at koff;
 * a miss jumps out. RSI = cpu->mmu. */
static void put_lookup(struct emit *x, unsigned size, size_t koff, uint8_t **miss, unsigned *nmiss)
{
	static const uint8_t load_fast[3] = {0x48, 0x8b, 0x96}; /* mov rdx, [rsi + d] */
	static const uint8_t index[] = {
	    0x89, 0xc1, /* mov ecx, eax */
	    0xc1, 0xe9, /* shr ecx, ib */
	};
	static const uint8_t and_ecx[2] = {0x81, 0xe1}; /* and ecx, imm32 */
	static const uint8_t key[] = {
	    0x48, 0x89, 0xc7, /* mov rdi, rax */
	    0x48, 0x81, 0xe7, /* and rdi, imm32 (sign-extended) */
	};
	static const uint8_t cmp_tag[4] = {0x48, 0x3b, 0xbc, 0x0a}; /* cmp rdi, [rdx + rcx + d] */
	static const uint8_t jne[2] = {0x0f, 0x85};
	uint8_t shift = 0;
	while ((1u << shift) < sizeof(struct tlb_fast_entry))
		shift++;
	uint8_t sh = (uint8_t)(12 - shift);
	put_op_disp(x, load_fast, 3, offsetof(struct mmu, fast_cur));
	put(x, index, sizeof(index));
	put(x, &sh, 1);
	put(x, and_ecx, 2);
	put32(x, (TLB_FAST_SIZE - 1) << shift);
	put(x, key, sizeof(key));
	put32(x, (uint32_t)(~0xfffULL | mmu_align_mask(size))); /* the page and alignment bits */
	put_op_disp(x, cmp_tag, 4, koff + offsetof(struct tlb_fast_entry, tag));
	miss[(*nmiss)++] = put_jump(x, jne, 2);
}

/* hits inline fast hits counted on the entry at RDX + RCX + koff (mmu_fast_count, hits
 * times: fpu_fast_at), when statistics are exact; then RAX += its addend: the host
 * address. */
static void put_count_and_addend(struct emit *x, size_t koff, uint8_t hits)
{
	static const uint8_t cmp_exact[2] = {0x80, 0xbe};	/* cmp byte [rsi + d], ib */
	static const uint8_t add_tick[3] = {0x48, 0x83, 0x86};	/* add qword [rsi + d], ib */
	static const uint8_t load_tick[3] = {0x48, 0x8b, 0xbe}; /* mov rdi, [rsi + d] */
	static const uint8_t store_stamp[4] = {0x48, 0x89, 0xbc, 0x0a}; /* mov [rdx+rcx+d], rdi */
	static const uint8_t add_addend[4] = {0x48, 0x03, 0x84, 0x0a};	/* add rax, [rdx+rcx+d] */
	static const uint8_t jz[2] = {0x0f, 0x84}, zero = 0;
	const size_t tick = offsetof(struct mmu, tlb.tick[TLB_LEVEL_L1D]);
	put_op_disp(x, cmp_exact, 2, offsetof(struct mmu, exact_stats));
	put(x, &zero, 1);
	uint8_t *skip = put_jump(x, jz, 2);
	put_op_disp(x, add_tick, 3, tick);
	put(x, &hits, 1);
	put_op_disp(x, load_tick, 3, tick);
	put_op_disp(x, store_stamp, 4, koff + offsetof(struct tlb_fast_entry, stamp));
	if (skip)
		patch_to(skip, x->p);
	put_op_disp(x, add_addend, 4, koff + offsetof(struct tlb_fast_entry, addend));
}

/* The access of a general-register kind through the host address in RAX, and what the
 * handler does with it. */
static void put_access_gpr(struct emit *x, const struct jit_mem_op *op, const struct x86_instr *in)
{
	static const uint8_t rex_w = 0x48, eight = 8;
	static const uint8_t load_eax[2] = {0x8b, 0x00};      /* mov eax, [rax] */
	static const uint8_t load_ecx[2] = {0x8b, 0x08};      /* mov ecx, [rax] */
	static const uint8_t store_ecx[2] = {0x89, 0x08};     /* mov [rax], ecx */
	static const uint8_t sub_rsp[3] = {0x48, 0x83, 0xab}; /* sub qword [rbx + d], ib */
	static const uint8_t add_rsp[3] = {0x48, 0x83, 0x83}; /* add qword [rbx + d], ib */
	bool wide = op->size == 8;
	switch (op->kind) {
	case JM_LOAD:
		if (wide)
			put(x, &rex_w, 1);
		put(x, load_eax, 2); /* 4 bytes zero-extend */
		put_store(x, 0, CPU_GPR(in->reg));
		break;
	case JM_STORE:
		put_load(x, 1, CPU_GPR(in->reg), op->size);
		if (wide)
			put(x, &rex_w, 1);
		put(x, store_ecx, 2);
		break;
	case JM_ALU_RM: /* a = the register, b = the memory operand */
		if (wide)
			put(x, &rex_w, 1);
		put(x, load_ecx, 2);
		put_load(x, 0, CPU_GPR(in->reg), op->size);
		jit_put_alu(x, op->op, op->size, in->reg);
		break;
	case JM_CMP_MR: /* a = the memory operand, b = the register */
		if (wide)
			put(x, &rex_w, 1);
		put(x, load_eax, 2);
		put_load(x, 1, CPU_GPR(in->reg), op->size);
		jit_put_alu(x, 7, op->size, in->reg);
		break;
	case JM_PUSH: /* the register as it was (PUSH RSP: before the decrement) */
		put_load(x, 1, CPU_GPR(in->reg), 8);
		put(x, &rex_w, 1);
		put(x, store_ecx, 2);
		put_op_disp(x, sub_rsp, 3, CPU_GPR(RSP));
		put(x, &eight, 1);
		break;
	default: /* JM_POP: RSP moves first, so that POP RSP loads the value read */
		put(x, &rex_w, 1);
		put(x, load_ecx, 2);
		put_op_disp(x, add_rsp, 3, CPU_GPR(RSP));
		put(x, &eight, 1);
		put_store(x, 1, CPU_GPR(in->reg));
		break;
	}
}

/* The access of an SSE kind through the host address in RAX, and what the handler does
 * with it: whole registers loaded and stored with one 16-byte move each, as the handlers
 * do (xmm_put_vec), XMM0 and XMM1 of the host as scratch. */
static void put_access_xmm(struct emit *x, const struct jit_mem_op *op, const struct x86_instr *in)
{
	static const uint8_t movq_xmm0[4] = {0xf3, 0x0f, 0x7e, 0x00};	/* movq xmm0, [rax] */
	static const uint8_t movd_xmm0[4] = {0x66, 0x0f, 0x6e, 0x00};	/* movd xmm0, [rax] */
	static const uint8_t movq_xmm1[4] = {0xf3, 0x0f, 0x7e, 0x08};	/* movq xmm1, [rax] */
	static const uint8_t movd_xmm1[4] = {0x66, 0x0f, 0x6e, 0x08};	/* movd xmm1, [rax] */
	static const uint8_t reg_load[3] = {0x0f, 0x10, 0x83};		/* movups xmm0, [rbx + d] */
	static const uint8_t reg_store[3] = {0x0f, 0x11, 0x83};		/* movups [rbx + d], xmm0 */
	static const uint8_t mem_load[3] = {0x0f, 0x10, 0x00};		/* movups xmm0, [rax] */
	static const uint8_t mem_store[3] = {0x0f, 0x11, 0x00};		/* movups [rax], xmm0 */
	static const uint8_t rex_w = 0x48, store_ecx[2] = {0x89, 0x08}; /* mov [rax], e/rcx */
	bool wide = op->size == 8;
	switch (op->kind) {
	case JM_XMM_LOAD: /* the rest of the register cleared */
		put(x, wide ? movq_xmm0 : movd_xmm0, 4);
		put_op_disp(x, reg_store, 3, CPU_XMM(in->reg));
		break;
	case JM_XMM_STORE:
		put_load(x, 1, CPU_XMM(in->reg), op->size);
		if (wide)
			put(x, &rex_w, 1);
		put(x, store_ecx, 2);
		break;
	case JM_XMM_FP: { /* the guest's scalar operation on the host, its MXCSR held */
		const uint8_t arith[4] = {wide ? 0xf2 : 0xf3, 0x0f, op->op, 0xc1}; /* xmm0, xmm1 */
		put_op_disp(x, reg_load, 3, CPU_XMM(in->reg));
		put(x, wide ? movq_xmm1 : movd_xmm1, 4);
		put(x, arith, 4);
		put_op_disp(x, reg_store, 3, CPU_XMM(in->reg));
		break;
	}
	case JM_XMM_LOAD16:
		put(x, mem_load, 3);
		put_op_disp(x, reg_store, 3, CPU_XMM(in->reg));
		break;
	default: /* JM_XMM_STORE16 */
		put_op_disp(x, reg_load, 3, CPU_XMM(in->reg));
		put(x, mem_store, 3);
		break;
	}
}

/* False for an instruction whose handler cannot be of an inline kind (the look at the
 * handler tables is left for the few that can): not a memory operand, or an opcode of
 * none of the kinds. */
static bool may_have_inline_kind(const struct x86_instr *in)
{
	uint8_t op = in->opcode;
	if (in->map == 0 && op >= 0x50 && op <= 0x5f)
		return true; /* PUSH, POP r64 */
	if (!(in->flags & X86_INSN_MODRM) || in->mod == 3)
		return false;
	if (in->map == 0)
		return op == 0x8b || op == 0x89 || op == 0x39 || (op < 0x40 && (op & 7) == 3);
	return in->map == 1 && (op == 0x10 || op == 0x11 || op == 0x28 || op == 0x29 ||
				op == 0x6f || op == 0x7f || (op >= 0x51 && op <= 0x5f));
}

uint8_t *jit_mem_put(struct emit *x, const struct icache_block *blk, unsigned i)
{
	static const uint8_t load_mmu[3] = {0x48, 0x8b, 0xb3};	     /* mov rsi, [rbx + d] */
	static const uint8_t lea_next[4] = {0x49, 0x8d, 0x84, 0x24}; /* lea rax, [r12 + d] */
	static const uint8_t test_al_15[2] = {0xa8, 0x0f};	     /* test al, 15 */
	static const uint8_t jmp = 0xe9, jnz[2] = {0x0f, 0x85};
	/* the inline hits the handler counts: one per access, and a probe before each
	 * written part of an SSE store (fast_src, fast_dst) */
	static const uint8_t hits[] = {
	    [JM_LOAD] = 1,	  [JM_STORE] = 1,     [JM_ALU_RM] = 1, [JM_CMP_MR] = 1,
	    [JM_XMM_LOAD] = 1,	  [JM_XMM_STORE] = 2, [JM_XMM_FP] = 1, [JM_XMM_LOAD16] = 2,
	    [JM_XMM_STORE16] = 4, [JM_PUSH] = 1,      [JM_POP] = 1};
	const struct icache_entry *e = &blk->e[i];
	const struct x86_instr *in = &e->in;
	struct jit_mem_op op;
	uint8_t *miss[5];
	unsigned nmiss = 0;
	uint32_t end = (uint32_t)(blk->off[i] + in->len);
	if (in->mode != X86_MODE_64 || !may_have_inline_kind(in) ||
	    !(cpu_special_mem_op(e->fn, &op) || cpu_sse_mem_op(e->fn, &op)))
		return NULL;
	if (op.shape == JM_RIP && (int64_t)end + in->disp != (int32_t)((int64_t)end + in->disp))
		return NULL; /* (cannot happen: a block's offsets are small) */
	bool sse = op.kind >= JM_XMM_LOAD && op.kind <= JM_XMM_STORE16;
	bool store = op.kind == JM_STORE || op.kind == JM_XMM_STORE || op.kind == JM_XMM_STORE16 ||
		     op.kind == JM_PUSH;
	size_t koff =
	    (size_t)(store ? MMU_WRITE : MMU_READ) * TLB_FAST_SIZE * sizeof(struct tlb_fast_entry);
	put_op_disp(x, load_mmu, 3, offsetof(struct cpu, mmu));
	if (sse)
		put_sse_gate(x, op.kind == JM_XMM_FP, miss, &nmiss);
	put_la(x, in, op.shape, end, op.kind == JM_PUSH);
	if (op.size == 16) { /* a misaligned operand: #GP or two accesses, the handler's */
		put(x, test_al_15, 2);
		miss[nmiss++] = put_jump(x, jnz, 2);
	}
	/* a 16-byte operand's accesses are two aligned halves, in the same page */
	put_lookup(x, op.size == 16 ? 8 : op.size, koff, miss, &nmiss);
	put_count_and_addend(x, koff, hits[op.kind]);
	if (sse)
		put_access_xmm(x, &op, in);
	else
		put_access_gpr(x, &op, in);
	if (i + 1 == blk->n) { /* the block's last entry: the loop goes on from next_rip */
		put_op_disp(x, lea_next, 4, end);
		put_store(x, 0, offsetof(struct cpu, next_rip));
	}
	uint8_t *done = put_jump(x, &jmp, 1);
	for (unsigned k = 0; k < nmiss; k++)
		if (miss[k])
			patch_to(miss[k], x->p);
	return done;
}
