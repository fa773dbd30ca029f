/*
 * cpu/jit_mem.h - memory operands in the blocks' host code (cpu/jit_mem.c): which
 * handlers' common case a block's code may do itself, and the writing of that code.
 *
 * Internal to the CPU: cpu/jit.c asks for an entry's inline memory path, and the files of
 * the specialised handlers (cpu/exec_special.c, cpu/exec_sse_special.c) say what their
 * handlers do.
 */
#ifndef MMEMU_CPU_JIT_MEM_H
#define MMEMU_CPU_JIT_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/jit_emit.h"

struct icache_block;

/* What a specialised handler does on the MMU's inline fast path, which a block's code can
 * do itself. */
enum jit_mem_kind {
	JM_NONE,
	JM_LOAD,	/* 8B: reg = [m], 4 or 8 bytes (4 zero-extend) */
	JM_STORE,	/* 89: [m] = reg */
	JM_ALU_RM,	/* 03 and the like: reg OP= [m] (op: ADD OR AND SUB XOR CMP) */
	JM_CMP_MR,	/* 39: CMP [m], reg */
	JM_XMM_LOAD,	/* MOVSS/MOVSD xmm, m32/m64: the rest of the register cleared */
	JM_XMM_STORE,	/* MOVSS/MOVSD m32/m64, xmm (probed, then written: two hits) */
	JM_XMM_FP,	/* ADDSS..MAXSD and SQRTSS/SD xmm, m32/m64 under the guest's MXCSR */
	JM_XMM_LOAD16,	/* MOVUPS/MOVAPS/MOVDQU/MOVDQA xmm, m128, 16-byte aligned (two reads) */
	JM_XMM_STORE16, /* the same to m128 (each half probed, then written: four hits) */
	JM_PUSH,	/* 50+r PUSH r64 */
	JM_POP,		/* 58+r POP r64 */
};

/* The memory operand's shape: [base + disp], [base + index * scale + disp], [rip + disp],
 * each a flat operand of 64-bit code (its effective address is its linear address); the
 * stack's for PUSH and POP. */
enum jit_mem_shape { JM_BASE, JM_SIB, JM_RIP, JM_STACK };

struct jit_mem_op {
	uint8_t kind;  /* enum jit_mem_kind */
	uint8_t shape; /* enum jit_mem_shape */
	uint8_t size;  /* the operand: 4, 8 or 16 bytes */
	uint8_t op;    /* JM_ALU_RM: enum x86_alu_op; JM_XMM_FP: the opcode (0F 51..5F) */
};

/* What fn does, if it is one of cpu/exec_special.c's handlers of an inline kind: true
 * with *op set; false otherwise. */
bool cpu_special_mem_op(cpu_exec_fn fn, struct jit_mem_op *op);
/* The same for cpu/exec_sse_special.c's handlers. */
bool cpu_sse_mem_op(cpu_exec_fn fn, struct jit_mem_op *op);

/*
 * The host code of entry i of blk (64-bit code) for its memory operand on the MMU's fast
 * path, if its handler has an inline kind: written at x, ending in a jump over the code
 * that follows it (the entry's call of its handler, which the miss branches to: where x
 * is on return). Returns where that jump's displacement goes (patch_to it to the end of
 * the entry), NULL when nothing was written. The last entry of a block also stores the
 * next RIP on its fast path.
 */
uint8_t *jit_mem_put(struct emit *x, const struct icache_block *blk, unsigned i);

/* RAX = in's effective address in 64 bits (a 32-bit one is truncated by the caller): the
 * base register (none: 0; RIP: R12, the block's RIP, plus end, the entry's end from it),
 * plus the index times the scale, plus the displacement (cpu/jit_mem.c). */
void jit_put_address(struct emit *x, const struct x86_instr *in, uint32_t end);

/* The ALU operation op (0 ADD .. 7 CMP, 8 TEST) of size 4 or 8 on RAX (a) and RCX (b),
 * with the lazy flags record; the result into register dst unless op is CMP or TEST
 * (cpu/jit.c: the inline forms). */
void jit_put_alu(struct emit *x, unsigned op, unsigned size, unsigned dst);

#endif /* MMEMU_CPU_JIT_MEM_H */
