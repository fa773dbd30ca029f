/*
 * cpu/jit_emit.h - writing x86-64 host code into a block's area (cpu/jit.h): the byte
 * primitives, jumps patched once their target is known, calls, and the moves between
 * struct cpu (kept in RBX by the blocks' code) and RAX/RCX that the code's pieces share.
 * Encodings are the SDM's (Vol. 2).
 */
#ifndef MMEMU_CPU_JIT_EMIT_H
#define MMEMU_CPU_JIT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Where code is being written: a stop at end (the area is full) is remembered. */
struct emit {
	uint8_t *p;
	uint8_t *end;
	bool full;
};

static inline void put(struct emit *x, const void *bytes, unsigned n)
{
	if ((size_t)(x->end - x->p) < n) {
		x->full = true;
		return;
	}
	memcpy(x->p, bytes, n);
	x->p += n;
}

static inline void put32(struct emit *x, uint32_t v)
{
	put(x, &v, 4);
}

static inline void put64(struct emit *x, uint64_t v)
{
	put(x, &v, 8);
}

/* The rel32 of a jump or call whose displacement ends at from, to to, if it fits. */
static inline bool rel32(const uint8_t *from, const void *to, int32_t *rel)
{
	int64_t d = (int64_t)((intptr_t)to - (intptr_t)from);
	if (d != (int32_t)d)
		return false;
	*rel = (int32_t)d;
	return true;
}

/* A jmp rel32 (E9) or jcc rel32 (0F 8x) to a place not known yet: returns where its
 * displacement goes (patched by patch_to), NULL when the area is full. */
static inline uint8_t *put_jump(struct emit *x, const uint8_t *op, unsigned op_len)
{
	put(x, op, op_len);
	uint8_t *at = x->p;
	put32(x, 0);
	return x->full ? NULL : at;
}

/* Points the displacement at (from put_jump) to target, in the same area. */
static inline void patch_to(uint8_t *at, const uint8_t *target)
{
	int32_t rel = (int32_t)(target - (at + 4));
	memcpy(at, &rel, 4);
}

/* mov eax, imm32; jmp exit */
static inline void put_return(struct emit *x, uint32_t result, const uint8_t *exit)
{
	static const uint8_t mov_eax = 0xb8, jmp = 0xe9;
	int32_t rel = 0;
	put(x, &mov_eax, 1);
	put32(x, result);
	put(x, &jmp, 1);
	if (!rel32(x->p + 4, exit, &rel))
		x->full = true; /* cannot happen: the exit is in the same mapping */
	put32(x, (uint32_t)rel);
}

/* call fn: direct when it is within 2 GiB, else through RAX (free: the result's). */
static inline void put_call(struct emit *x, const void *fn)
{
	static const uint8_t call = 0xe8, movabs_rax[2] = {0x48, 0xb8}, call_rax[2] = {0xff, 0xd0};
	int32_t rel;
	if (rel32(x->p + 5, fn, &rel)) {
		put(x, &call, 1);
		put32(x, (uint32_t)rel);
		return;
	}
	put(x, movabs_rax, 2);
	put64(x, (uint64_t)(uintptr_t)fn);
	put(x, call_rax, 2);
}

/* [rbx + disp32] as ModRM (mod 10, r/m RBX) with reg in bits 5:3, then the disp32. */
static inline void put_rbx_operand(struct emit *x, unsigned reg, size_t disp)
{
	uint8_t modrm = (uint8_t)(0x83 | reg << 3);
	put(x, &modrm, 1);
	put32(x, (uint32_t)disp);
}

/* mov eax/ecx (reg 0/1), [rbx + disp] (size 4: zero-extends) or rax/rcx (size 8) */
static inline void put_load(struct emit *x, unsigned reg, size_t disp, unsigned size)
{
	static const uint8_t rex_w = 0x48, mov_load = 0x8b;
	if (size == 8)
		put(x, &rex_w, 1);
	put(x, &mov_load, 1);
	put_rbx_operand(x, reg, disp);
}

/* mov [rbx + disp], rax/rcx (reg 0/1) */
static inline void put_store(struct emit *x, unsigned reg, size_t disp)
{
	static const uint8_t mov_store[2] = {0x48, 0x89};
	put(x, mov_store, 2);
	put_rbx_operand(x, reg, disp);
}

/* mov dword/qword [rbx + disp], imm32 (a qword's sign-extended) */
static inline void put_store_imm(struct emit *x, size_t disp, uint32_t imm, bool qword)
{
	static const uint8_t rex_w = 0x48, mov_imm = 0xc7;
	if (qword)
		put(x, &rex_w, 1);
	put(x, &mov_imm, 1);
	put_rbx_operand(x, 0, disp);
	put32(x, imm);
}

/* rax/rcx (reg 0/1) = v */
static inline void put_mov_imm(struct emit *x, unsigned reg, uint64_t v)
{
	uint8_t op = (uint8_t)(0xb8 + reg);
	static const uint8_t rex_w = 0x48;
	if (v <= UINT32_MAX) { /* mov e?x, imm32 zero-extends */
		put(x, &op, 1);
		put32(x, (uint32_t)v);
		return;
	}
	put(x, &rex_w, 1); /* movabs */
	put(x, &op, 1);
	put64(x, v);
}

/* mov reg, [base + disp32] and the like: REX, opcode, ModRM (mod 10) with reg and base
 * numbers already in place, disp32. */
static inline void put_op_disp(struct emit *x, const uint8_t *op, unsigned len, size_t disp)
{
	put(x, op, len);
	put32(x, (uint32_t)disp);
}

#endif /* MMEMU_CPU_JIT_EMIT_H */
