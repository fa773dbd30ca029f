/*
 * cpu/jit.h - host code for decoded blocks: each block's handlers called in a row.
 *
 * The fetch loop (cpu/exec.c, run_block) runs a block's instructions one entry at a time:
 * it computes the next RIP, loads the entry's handler, calls it through a pointer, tests
 * its result and the loop's break flags, and steps to the next entry. For a block the
 * loop enters often, that work is the same at every run, so a block gets host code that
 * does it with everything known put in as constants: per entry, the next RIP as the
 * block's RIP plus a constant, a direct call of the handler with the entry's decoding as
 * a constant argument, a test of the result, and -- only after an instruction that can
 * raise one -- a test of cpu->loop_break. Every call site is an instruction of its own,
 * which the host's branch predictor learns separately (the loop's single indirect call
 * is one site for every guest instruction).
 *
 * The handlers stay the same functions, called with the same arguments in the same
 * order, so a block run through its host code does exactly what the loop does: the
 * state, the faults, the counts. The code returns where it stopped and why, and the loop
 * goes on from there as from its own loop (fault delivery, the break flags, the step to
 * the next block: all in C).
 *
 * Code lives in one executable mapping, a fixed area per block slot of the decoded-
 * instruction cache, rewritten in place when the slot's block changes (a new block, or
 * one grown past a branch: cpu/exec.c). Nothing in it depends on guest data but the
 * instruction lengths; guest bytes never become host code. A host that is not x86-64, or
 * that refuses an executable mapping, has no JIT (jit_create returns NULL) and the loop
 * runs every block itself.
 *
 *   area of a slot:  entry 0 | entry 1 | ... | entry n-1 | end | fault and break exits
 *   entry i:         lea rax,[r12+end_i]; mov [rbx+next_rip],rax; mov rdi,rbx;
 *                    mov rsi,&e[i].in; call fn_i; test al,al; jz fault_i;
 *                    (cmp dword [rbx+loop_break],0; jnz break_i+1)
 *
 * A register-only MOV or ALU operation is written out instead (jit.c: inline forms); a
 * memory operand of 64-bit code whose handler has a fast path the code can do itself
 * gets that path in front of the call, which it skips on a hit (cpu/jit_mem.c).
 */
#ifndef MMEMU_CPU_JIT_H
#define MMEMU_CPU_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/icache.h"

struct cpu;
struct icache_block;

/* jit_run's result: where the block's code stopped, as the byte offset of that entry from
 * the block's first entry (so that the loop finds it without a multiplication), with */
#define JIT_OFFSET_MASK 0xffffffu
#define JIT_FAULT (1u << 30) /* the entry's handler returned false (a fault to deliver) */
#define JIT_BREAK (1u << 29) /* cpu->loop_break was set by the entry before that one */

/* A block gets code at the JIT_HOT-th time the loop would run it: most blocks of a
 * program's start and end run a few times only, and code for each costs a page of the
 * mapping (and its fault) and the writing. */
#define JIT_HOT 8

/* JIT_AREA bytes of code per block slot, after one page with the entry and exit code. */
#define JIT_AREA 8192u

struct jit {
	uint8_t *map;	   /* the executable mapping: the entry page, then the areas */
	uint64_t map_len;  /* its length */
	unsigned nr_slots; /* areas */
	/* the entry code: enter(cpu, the block's RIP, its code to run, budget: how many
	 * instructions the code may start in the blocks it goes on to) */
	unsigned (*enter)(struct cpu *cpu, uint64_t brip, const void *code, uint64_t budget);
	const uint8_t *exit; /* the exit code, where every block's code ends */
	uint64_t built;	     /* blocks given code */
	uint64_t runs;	     /* times the fetch loop ran code (jit_run): each a return to it */
};

/* Code areas for nr_slots blocks; NULL when the host cannot run generated code. */
struct jit *jit_create(unsigned nr_slots);
void jit_destroy(struct jit *jit);

/*
 * Writes the host code of blk (the block in slot slot, decoded in mode 64 or 32) and
 * records it in blk (jit_n, jit_code, jit_at). Returns false, leaving blk without code,
 * when the code would not fit its area.
 */
bool jit_block_build(struct jit *jit, unsigned slot, struct icache_block *blk, unsigned mode);

/* True when in's handler may set cpu->loop_break (cpu/cpu.h): a store (it may land in
 * code), a string instruction cut into chunks, a branch inside a block, anything not
 * known to touch only registers. Those entries are followed by a test of the flag. */
bool jit_may_break(const struct x86_instr *in);

/* Makes to (at RIP rip, host address at) the most recent chain of blk, the block its
 * code goes on to directly when it ends there. */
static inline void jit_chain_add(struct icache_block *blk, struct icache_block *to, uint64_t rip,
				 const uint8_t *at)
{
	struct icache_chain c = {rip, to, at, to->gen};
	if (blk->chain[0].rip == rip && blk->chain[0].to == to && blk->chain[0].at == at &&
	    blk->chain[0].gen == to->gen)
		return;
	blk->chain[1] = blk->chain[0];
	blk->chain[0] = c;
}

/*
 * For a block's code going on to s, a page-crossing instruction (a block of its own), at
 * cpu->next_rip, in the page of fetch fast entry fe (NULL: the page of the block just
 * run): what the fetch loop does on the way to such a block -- the second page's fetch
 * translation in the fast path and the instruction's bytes there compared, the fetch
 * hits counted as a decoding counts them -- with the loop's state in struct cpu
 * (jit_ic0, the count at the start of the block just run of n instructions; jit_counted,
 * jit_cfe) and jit_blk set to s. False, with nothing changed, when the second page does
 * not do. (cpu/exec.c, which has the loop's own.)
 */
bool cpu_jit_cross_enter(struct cpu *cpu, struct icache_block *s, struct tlb_fast_entry *fe,
			 unsigned n);

/* True when in runs as host instructions of its own in a block's code, without a call
 * of its handler (jit.c: the moves and ALU operations on registers alone). */
bool jit_inline(const struct x86_instr *in);

/* Runs a block's code from the code of one of its entries (blk->jit_code +
 * blk->jit_at[i] for entry i), the block's first byte at RIP brip, going on to chained
 * blocks (icache_block.chain) while their instructions fit in budget, with the loop's
 * state in cpu->jit_ic0, jit_counted and jit_cfe. Returns the JIT_* result, the entry
 * named in the block it stopped in: if that is not the first, cpu->jit_blk and
 * cpu->jit_brip name it. */
static inline unsigned jit_run(struct jit *jit, struct cpu *cpu, const uint8_t *code,
			       uint64_t brip, uint64_t budget)
{
	jit->runs++;
	return jit->enter(cpu, brip, code, budget);
}

#endif /* MMEMU_CPU_JIT_H */
