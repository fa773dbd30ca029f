/*
 * cpu/cpu_internal.h - what the interpreter's files share: operand access, guest memory
 * through the MMU, the fault helpers and the dispatch registration. Not for use outside
 * cpu/.
 *
 * Operand conventions: sizes are in bytes (1, 2, 4, 8). A register write of 4 bytes
 * zero-extends to 64 bits, 1 and 2 bytes merge (SDM Vol. 1, 3.4.1.1). The byte registers
 * 4-7 are AH, CH, DH, BH unless the instruction has a REX prefix.
 */
#ifndef MMEMU_CPU_CPU_INTERNAL_H
#define MMEMU_CPU_CPU_INTERNAL_H

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "mmu/mmu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Wildcards of cpu_ops_set. */
#define CPU_ANY (-1)

/*
 * Sets the handler of (map, opcode, mandatory-prefix column, ModRM.reg); col and reg may
 * be CPU_ANY. A later registration overrides an earlier one.
 */
void cpu_ops_set(struct cpu_ops *ops, unsigned map, unsigned opcode, int col, int reg,
		 cpu_exec_fn fn);

/* Registration functions of the instruction families (one per exec_*.c file). */
void exec_int_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_shift_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_muldiv_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_bit_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_string_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_ctrl_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_stack_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_system_register(struct cpu_ops *ops, struct cpu_features *feat);
void exec_seg_register(struct cpu_ops *ops, struct cpu_features *feat);

/* A handler specialised for in's form (cpu/exec_special.c), or NULL: the table's stands.
 * col is the mandatory-prefix column the table was indexed with (0 none, 1 66, 2 F3,
 * 3 F2). Called for instructions whose table has a handler for them. */
cpu_exec_fn cpu_specialise(const struct x86_instr *in, unsigned col);
/* The same for the SSE instructions of the 0F map (cpu/exec_sse_special.c). */
cpu_exec_fn cpu_sse_specialise(const struct x86_instr *in, unsigned col);
/* The same for the x87 escapes D8-DF (cpu/exec_x87.c). */
cpu_exec_fn cpu_x87_specialise(const struct x86_instr *in);
/* MOVS without REP at the mode's own address size: a handler on the MMU's fast path for
 * flat segments (cpu/exec_string.c); NULL for every other string form. */
cpu_exec_fn cpu_string_specialise(const struct x86_instr *in);

/* -d in_asm: logs the decoded instruction in (bytes at linear la) (cpu/disas.c). */
void cpu_log_insn(struct cpu *cpu, uint64_t la, const uint8_t *bytes, const struct x86_instr *in);
/* Releases the Capstone handles. */
void cpu_disas_close(struct cpu *cpu);

/* ---- faults ---- */

/* Sets cpu->fault to vec with error code err (has_err) and returns false. */
static inline bool cpu_fault(struct cpu *cpu, uint8_t vec, bool has_err, uint32_t err)
{
	cpu->fault =
	    (struct x86_fault){.vector = vec, .has_error_code = has_err, .error_code = err};
	return false;
}

static inline bool cpu_ud(struct cpu *cpu)
{
	return cpu_fault(cpu, X86_VEC_UD, false, 0);
}

static inline bool cpu_gp(struct cpu *cpu, uint32_t err)
{
	return cpu_fault(cpu, X86_VEC_GP, true, err);
}

static inline unsigned cpu_cpl(const struct cpu *cpu)
{
	return cpu->mmu->cpl;
}

/* ---- sizes ---- */

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline uint64_t size_sign(unsigned size)
{
	return 1ULL << (size * 8 - 1);
}

/* v sign-extended from size bytes to 64 bits. */
static inline int64_t sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;
	return (int64_t)(v << sh) >> sh;
}

/* ---- registers ---- */

static inline bool byte_reg_is_high(const struct x86_instr *in, unsigned r)
{
	return r >= 4 && r < 8 && !(in->flags & X86_INSN_REX);
}

static inline uint64_t reg_read(const struct cpu *cpu, const struct x86_instr *in, unsigned r,
				unsigned size)
{
	if (size == 1) {
		if (byte_reg_is_high(in, r))
			return (cpu->gpr[r - 4] >> 8) & 0xff;
		return cpu->gpr[r] & 0xff;
	}
	return cpu->gpr[r] & size_mask(size);
}

static inline void reg_write(struct cpu *cpu, const struct x86_instr *in, unsigned r, unsigned size,
			     uint64_t v)
{
	switch (size) {
	case 1:
		if (byte_reg_is_high(in, r))
			cpu->gpr[r - 4] = (cpu->gpr[r - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
		else
			cpu->gpr[r] = (cpu->gpr[r] & ~0xffULL) | (v & 0xff);
		break;
	case 2:
		cpu->gpr[r] = (cpu->gpr[r] & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		cpu->gpr[r] = (uint32_t)v;
		break;
	default:
		cpu->gpr[r] = v;
	}
}

/* A register by full number without byte-register aliasing (for sizes 2, 4, 8). */
static inline void gpr_write(struct cpu *cpu, unsigned r, unsigned size, uint64_t v)
{
	reg_write(cpu, NULL, r, size < 2 ? 2 : size, v);
}

/* ---- addresses ---- */

/* The effective address of in's memory operand (offset in its segment), truncated to the
 * address size. RIP-relative addresses are relative to the next instruction. */
static inline __attribute__((always_inline)) uint64_t cpu_ea(const struct cpu *cpu,
							     const struct x86_instr *in)
{
	uint64_t ea = (uint64_t)in->disp;
	if (in->base != X86_GPR_NONE)
		ea += in->base == X86_GPR_RIP ? cpu->next_rip : cpu->gpr[in->base];
	if (in->index != X86_GPR_NONE)
		ea += cpu->gpr[in->index] * in->scale;
	return ea & size_mask(in->addrsize);
}

/* The address of the instruction being executed, from the next one's. Handlers must use
 * this, not cpu->rip: the fetch loop keeps RIP in a register while it runs a block and
 * writes cpu->rip back only when it leaves the block or before it delivers a fault
 * (cpu/exec.c, run_block). */
static inline uint64_t insn_rip(const struct cpu *cpu, const struct x86_instr *in)
{
	uint64_t rip = cpu->next_rip - in->len;
	if (cpu->mode != X86_MODE_64)
		rip &= cpu->mode == X86_MODE_32 ? 0xffffffffULL : 0xffffULL;
	return rip;
}

/* The segment of in's memory operand: the override, else SS for rSP/rBP-based forms. */
static inline unsigned insn_seg(const struct x86_instr *in)
{
	if (in->seg != X86_SEG_NONE)
		return in->seg;
	return (in->base == RSP || in->base == RBP) ? SEG_SS : SEG_DS;
}

/*
 * Whether in's memory operand is flat: 64-bit mode, 64-bit addresses and no FS/GS base,
 * so that its effective address is its linear address and its segment checks nothing. A
 * decoded instruction runs only in the mode it was decoded in (the decoded-instruction
 * cache tags its blocks with the mode), so a handler chosen at decode time may take it
 * as a constant.
 */
static inline bool insn_flat64(const struct x86_instr *in)
{
	return in->mode == X86_MODE_64 && in->addrsize == 8 && insn_seg(in) < SEG_FS;
}

/*
 * The shapes of a flat memory operand that have handlers of their own: [base + disp],
 * [base + index * scale + disp] (a general register as base in both: SS for RSP/RBP
 * changes only the fault of a non-canonical address, which the general form raises) and
 * [rip + disp]; FLAT_OTHER for the rest (no base: [index * scale + disp], [disp32]).
 */
enum flat_shape { FLAT_BASE, FLAT_BI, FLAT_RIP, FLAT_OTHER };

static inline enum flat_shape flat_shape(const struct x86_instr *in)
{
	if (in->base == X86_GPR_RIP)
		return FLAT_RIP;
	if (in->base == X86_GPR_NONE)
		return FLAT_OTHER;
	return in->index == X86_GPR_NONE ? FLAT_BASE : FLAT_BI;
}

/* The linear address of a flat operand of shape s (not FLAT_OTHER): its effective address
 * (cpu_ea without the address-size mask, which is all ones). */
static inline __attribute__((always_inline)) uint64_t flat_la(const struct cpu *cpu,
							      const struct x86_instr *in,
							      enum flat_shape s)
{
	uint64_t la = (uint64_t)in->disp;
	if (s == FLAT_RIP)
		return cpu->next_rip + la;
	la += cpu->gpr[in->base];
	if (s == FLAT_BI)
		la += cpu->gpr[in->index] * in->scale;
	return la;
}

/* The common case of cpu_linear_legacy, and nothing else: an expand-up data segment,
 * usable, in protected mode, writable if kind is MMU_WRITE, with [off, off + size) inside
 * its limit. true with *la; false (nothing set, no fault) for every other case. */
static inline __attribute__((always_inline)) bool cpu_linear_data_fast(struct cpu *cpu,
									unsigned seg, uint64_t off,
									unsigned size, unsigned kind,
									uint64_t *la)
{
	const struct seg_cache *s = &cpu->mmu->seg.sreg[seg];
	if (likely(!(s->type & (SEG_TYPE_CODE | SEG_TYPE_E)) && s->usable &&
		   (cpu->mmu->cr0 & CR0_PE) &&
		   ((kind & MMU_KIND_MASK) != MMU_WRITE || (s->type & SEG_TYPE_W)) &&
		   off + size - 1 <= s->limit)) {
		*la = (s->base + off) & 0xffffffffULL;
		return true;
	}
	return false;
}

/*
 * Whether segment seg is flat for an access of kind (MMU_READ, MMU_WRITE) outside 64-bit
 * mode: base 0, limit 4 GiB - 1, a usable expand-up data segment (writable for a write).
 * Then the linear address of a 32-bit offset is the offset itself, and an access there
 * that is naturally aligned (all the MMU's fast path takes) passes seg_linear's checks:
 * it cannot run past 4 GiB. (With CR0.PE clear seg_linear checks only the limit, so the
 * answer is the same there.) Read from the segment cache at every use, so a segment
 * loaded, or written by whoever writes the cache, is seen at once.
 */
static inline __attribute__((always_inline)) bool seg_flat32(const struct mmu *m, unsigned seg,
							      unsigned kind)
{
	const struct seg_cache *s = &m->seg.sreg[seg];
	unsigned bad = SEG_TYPE_CODE | SEG_TYPE_E | ((kind & MMU_KIND_MASK) == MMU_WRITE ? SEG_TYPE_W : 0);
	unsigned want = (kind & MMU_KIND_MASK) == MMU_WRITE ? SEG_TYPE_W : 0;
	return s->base == 0 && s->limit == 0xffffffffu && (s->type & bad) == want && s->usable;
}

/* cpu_linear outside 64-bit mode. The common case of 32-bit code first, inline: a usable
 * expand-up data segment in protected mode (writable for a write), the access inside its
 * limit -- seg_linear's checks for that case, without its mode tests. Everything else,
 * faults included, is seg_linear's. */
static inline __attribute__((always_inline)) bool cpu_linear_legacy(struct cpu *cpu, unsigned seg,
								     uint64_t off, unsigned size,
								     unsigned kind, uint64_t *la)
{
	if (likely(cpu_linear_data_fast(cpu, seg, off, size, kind, la)))
		return true;
	return seg_linear(cpu->mmu, (enum seg_reg)seg, off, size, kind, la, &cpu->fault);
}

/* Linear address of off in segment seg for an access of size bytes of kind (MMU_READ,
 * MMU_WRITE). 64-bit mode: FS/GS add their base, the MMU checks canonicality; otherwise
 * the segmentation unit checks type and limit. */
static inline bool cpu_linear(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size,
			      unsigned kind, uint64_t *la)
{
	if (likely(cpu->mode == X86_MODE_64)) {
		*la = off + (seg >= SEG_FS ? cpu->mmu->seg.sreg[seg].base : 0);
		return true;
	}
	return cpu_linear_legacy(cpu, seg, off, size, kind, la);
}

/* ---- guest memory (linear) ---- */

bool cpu_write_la_slow(struct cpu *cpu, uint64_t la, unsigned size, uint64_t val, unsigned flags);

/* Notes a store of this CPU at host address p (guest RAM, at most 8 bytes, within one
 * page) into a page that holds decoded blocks (struct cpu, code_pages). */
static inline void cpu_note_store(struct cpu *cpu, uintptr_t p)
{
	uint64_t page = (uint64_t)(p - (uintptr_t)cpu->ram) >> 12;
	if (unlikely(page < cpu->code_nr_pages &&
		     ((cpu->code_pages[page >> 3] >> (page & 7)) & 1))) {
		cpu->code_written = true;
		cpu->code_epoch++;
	}
}

/* Stores the low size (1..8) bytes of v at host address p (guest RAM, within one page),
 * noting a store into code (cpu_note_store). */
static inline void cpu_host_store(struct cpu *cpu, void *p, uint64_t v, unsigned size)
{
	cpu_note_store(cpu, (uintptr_t)p);
	bus_host_store(p, v, size);
}

/* Stores the low size (1..8) bytes of v at host address p, which a write fast entry gave
 * (within one page): never a page with decoded code, whose frames the MMU keeps off the
 * write fast path (struct mmu, write_watch; cpu/icache.c), so there is nothing to note. */
static inline void cpu_fast_store(void *p, uint64_t v, unsigned size)
{
	bus_host_store(p, v, size);
}

/* Writes size bytes at la. A store into the block being run is noted (self-modifying
 * code: cpu_note_store, on the slow path, the only one to pages with code); decodings
 * elsewhere are checked when their block is entered. */
static inline bool cpu_write_la(struct cpu *cpu, uint64_t la, unsigned size, uint64_t val,
				unsigned flags)
{
	struct mmu *m = cpu->mmu;
	struct tlb_fast_entry *fe = mmu_fast_lookup(m, la, size, flags | MMU_WRITE);
	if (likely(fe != NULL)) {
		cpu_fast_store((void *)(uintptr_t)(la + fe->addend), val, size);
		return true;
	}
	return cpu_write_la_slow(cpu, la, size, val, flags);
}

static inline bool cpu_read_la(struct cpu *cpu, uint64_t la, unsigned size, uint64_t *v,
			       unsigned flags)
{
	return mmu_read(cpu->mmu, la, size, v, flags, &cpu->fault);
}

/* ---- guest memory (segment:offset) ---- */

static inline unsigned seg_flags(unsigned seg)
{
	return seg == SEG_SS ? MMU_STACK : 0;
}

static inline bool cpu_read_mem(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size,
				uint64_t *v)
{
	uint64_t la;
	if (!cpu_linear(cpu, seg, off, size, MMU_READ, &la))
		return false;
	return cpu_read_la(cpu, la, size, v, seg_flags(seg));
}

static inline bool cpu_write_mem(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size,
				 uint64_t v)
{
	uint64_t la;
	if (!cpu_linear(cpu, seg, off, size, MMU_WRITE, &la))
		return false;
	return cpu_write_la(cpu, la, size, v, seg_flags(seg));
}

/* #AC for an operand wider than the accesses it is made of (a 16-byte SSE operand is two
 * 8-byte accesses, each checked for 8): the operand's own alignment, before them. */
static inline bool cpu_operand_aligned(struct cpu *cpu, unsigned seg, uint64_t off,
				       unsigned align)
{
	struct mmu *m = cpu->mmu;
	if (likely(!m->ac_check))
		return true;
	uint64_t base = (cpu->mode != X86_MODE_64 || seg >= SEG_FS) ? m->seg.sreg[seg].base : 0;
	return !mmu_alignment_fault(m, off + base, align, MMU_READ, &cpu->fault);
}

/* Checks that [off, off+size) of seg is writable without writing (for instructions that
 * must not change anything before a later access faults). */
bool cpu_probe_write(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size);

/* ---- ModRM r/m operands ---- */

static inline __attribute__((always_inline)) bool rm_read(struct cpu *cpu,
							   const struct x86_instr *in,
							   unsigned size, uint64_t *v)
{
	if (in->mod == 3) {
		*v = reg_read(cpu, in, in->rm, size);
		return true;
	}
	return cpu_read_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, v);
}

static inline __attribute__((always_inline)) bool rm_write(struct cpu *cpu,
							    const struct x86_instr *in,
							    unsigned size, uint64_t v)
{
	if (in->mod == 3) {
		reg_write(cpu, in, in->rm, size, v);
		return true;
	}
	return cpu_write_mem(cpu, insn_seg(in), cpu_ea(cpu, in), size, v);
}

/* ---- stack ---- */

/* The stack's address size: 8 in 64-bit mode, else 4 or 2 by SS.B. */
static inline unsigned stack_asize(const struct cpu *cpu)
{
	if (cpu->mode == X86_MODE_64)
		return 8;
	return cpu->mmu->seg.sreg[SEG_SS].db ? 4 : 2;
}

/* Pushes size bytes; RSP changes only when the write succeeded. */
static inline bool cpu_push(struct cpu *cpu, unsigned size, uint64_t v)
{
	unsigned as = stack_asize(cpu);
	uint64_t sp = (cpu->gpr[RSP] - size) & size_mask(as);
	if (!cpu_write_mem(cpu, SEG_SS, sp, size, v))
		return false;
	gpr_write(cpu, RSP, as, sp);
	return true;
}

/* Reads the value size bytes at RSP + off without popping. */
static inline bool cpu_stack_peek(struct cpu *cpu, unsigned off, unsigned size, uint64_t *v)
{
	unsigned as = stack_asize(cpu);
	return cpu_read_mem(cpu, SEG_SS, (cpu->gpr[RSP] + off) & size_mask(as), size, v);
}

static inline void cpu_stack_adjust(struct cpu *cpu, int64_t delta)
{
	unsigned as = stack_asize(cpu);
	gpr_write(cpu, RSP, as, (cpu->gpr[RSP] + (uint64_t)delta) & size_mask(as));
}

static inline bool cpu_pop(struct cpu *cpu, unsigned size, uint64_t *v)
{
	if (!cpu_stack_peek(cpu, 0, size, v))
		return false;
	cpu_stack_adjust(cpu, size);
	return true;
}

/* ---- condition codes ---- */

/* The condition cc (the low four bits of Jcc/SETcc/CMOVcc) under rflags (SDM Vol. 1,
 * Table B-1). */
static inline bool cpu_cond(uint64_t rf, unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0:
		r = rf & RFLAGS_OF;
		break;
	case 1:
		r = rf & RFLAGS_CF;
		break;
	case 2:
		r = rf & RFLAGS_ZF;
		break;
	case 3:
		r = rf & (RFLAGS_CF | RFLAGS_ZF);
		break;
	case 4:
		r = rf & RFLAGS_SF;
		break;
	case 5:
		r = rf & RFLAGS_PF;
		break;
	case 6:
		r = !(rf & RFLAGS_SF) != !(rf & RFLAGS_OF);
		break;
	default:
		r = (rf & RFLAGS_ZF) || (!(rf & RFLAGS_SF) != !(rf & RFLAGS_OF));
		break;
	}
	return r != (cc & 1);
}

/* The condition cc under the current flags: from the lazy record when it decides it,
 * else from the materialised RFLAGS. */
static inline __attribute__((always_inline)) bool cpu_cond_now(struct cpu *cpu, unsigned cc)
{
	if (likely(cpu->lf_op != LF_NONE)) {
		int v = lazy_cond(cpu->lf_op, cpu->lf_a, cpu->lf_b, cpu->lf_r, cpu->lf_cfof, cc);
		if (v >= 0)
			return v;
	}
	return cpu_cond(*cpu_rflags_ptr(cpu), cc);
}

/* ---- control transfers ---- */

bool cpu_branch_slow(struct cpu *cpu, uint64_t target, unsigned opsize);

/* True when t is canonical with 48-bit linear addresses (the fast paths' test; anything
 * else, 5-level paging's addresses included, takes the general path). */
static inline bool canonical48(uint64_t t)
{
	uint64_t top = t >> 47;
	return top == 0 || top == 0x1ffff;
}

/* Sets the next RIP to target: in 64-bit mode a canonical address (#GP(0) otherwise),
 * truncated to a 16/32-bit operand size; outside 64-bit mode truncated to the operand
 * size and checked against the CS limit (#GP(0)). */
static inline bool cpu_branch(struct cpu *cpu, uint64_t target, unsigned opsize)
{
	if (likely(cpu->mode == X86_MODE_64 && opsize == 8 && canonical48(target))) {
		cpu->next_rip = target;
		return true;
	}
	return cpu_branch_slow(cpu, target, opsize);
}

/* The handlers of Jcc (by condition, any mode and size) for a branch inside a block,
 * one that the block grew past (cpu/exec.c): a taken branch also sets cpu->side_exit, so
 * that the fetch loop ends the block's run there. */
extern const cpu_exec_fn cpu_jcc_side_exit[16];

/* Delivers software interrupt vec (INT n, INT3, INTO, INT1) returning to rip; false with
 * cpu->fault when delivery faulted (nothing changed: the fault is the INT's own). */
bool cpu_deliver_soft(struct cpu *cpu, uint8_t vec, uint64_t rip, bool check_dpl);

/* Loads CS with a flat descriptor cache for selector sel (SYSCALL/SYSRET and delivery
 * into flat kernel code use it) and recomputes the mode. */
void cpu_load_flat_cs(struct cpu *cpu, uint16_t sel, unsigned dpl, bool l, bool db);
void cpu_load_flat_ss(struct cpu *cpu, uint16_t sel, unsigned dpl);

/* Reads the 8-byte descriptor (16 with wide) of sel from the GDT/LDT into *d; #GP(sel)
 * for a null selector or beyond the table limit, #PF from the table read. The _raw form
 * gives its two quadwords (*hi = 0 unless wide). */
bool cpu_read_descriptor(struct cpu *cpu, uint16_t sel, bool wide, struct seg_cache *d);
bool cpu_read_descriptor_raw(struct cpu *cpu, uint16_t sel, bool wide, uint64_t *lo,
			     uint64_t *hi);
/* The upper quadword of sel's 16-byte descriptor (IA-32e system descriptors), when the
 * lower one has been read already: #GP(sel) unless all 16 bytes are within the table. */
bool cpu_read_descriptor_hi(struct cpu *cpu, uint16_t sel, uint64_t *hi);

/* What a transfer through a gate changes (CS, SS, rSP, the CPL, the mode), kept to undo
 * the transfer when a later step of it faults. xfer_restore returns false, for
 * `return ok || xfer_restore(...)`. */
struct xfer_save {
	struct seg_cache cs, ss;
	uint64_t rsp;
	unsigned cpl;
	uint8_t mode;
};

static inline void xfer_save(const struct cpu *cpu, struct xfer_save *s)
{
	s->cs = cpu->mmu->seg.sreg[SEG_CS];
	s->ss = cpu->mmu->seg.sreg[SEG_SS];
	s->rsp = cpu->gpr[RSP];
	s->cpl = cpu->mmu->cpl;
	s->mode = cpu->mode;
}

static inline bool xfer_restore(struct cpu *cpu, const struct xfer_save *s)
{
	cpu->mmu->seg.sreg[SEG_CS] = s->cs;
	cpu->mmu->seg.sreg[SEG_SS] = s->ss;
	cpu->gpr[RSP] = s->rsp;
	mmu_set_cpl(cpu->mmu, s->cpl);
	cpu->mode = s->mode;
	return false;
}

/* Reads n bytes of the TSS at offset off (#TS(TR) beyond its limit). */
bool cpu_tss_read(struct cpu *cpu, unsigned off, unsigned n, uint64_t *v);

/*
 * Far JMP (call false) or CALL through the system descriptor sel, whose first quadword lo
 * the caller has read (cpu/call_gate.c): a call gate's transfer, with the stack switch of
 * an inward CALL; a task switch for a TSS or task gate in legacy mode (cpu/task.c);
 * #GP(sel) for anything else. Leaves CS, SS, rSP and the CPL as they were on a fault. The
 * return address pushed is cpu->next_rip.
 */
bool cpu_far_through_gate(struct cpu *cpu, uint16_t sel, uint64_t lo, bool call);

/* Why a task switch happens: it decides the busy bits, the link and NT (cpu/task.c). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_INT, TASK_IRET };

/*
 * Switches to the task whose TSS descriptor is sel (legacy protected mode, 32-bit TSSes),
 * saving the current task with ret_eip as its EIP. false with cpu->fault: before the
 * switch nothing has changed; after it (a segment of the new task, the TSS's T bit) the
 * fault belongs to the new task, whose EIP cpu->rip then holds.
 */
bool cpu_task_switch(struct cpu *cpu, uint16_t sel, enum task_reason why, uint64_t ret_eip);
/* Far JMP or CALL to the TSS descriptor or task gate sel (its 8 bytes: lo): the
 * descriptor's DPL checked against CPL and RPL (#GP(sel)), a task gate's presence
 * (#NP(sel)), then the switch. */
bool cpu_far_to_task(struct cpu *cpu, uint16_t sel, uint64_t lo, bool call);
/* IRET with EFLAGS.NT: back to the task in the current TSS's previous-task link. */
bool cpu_task_return(struct cpu *cpu);

#endif /* MMEMU_CPU_CPU_INTERNAL_H */
