/*
 * cpu/exec.c - the fetch-decode-execute loop and the dispatch table.
 *
 * One step: translate RIP (the MMU's fetch fast path), look the physical address up in the
 * decoded-instruction cache (decode on a miss), call the handler the dispatch table names
 * for the instruction's (map, opcode, mandatory prefix, ModRM.reg), and retire it: RIP
 * takes the handler's next_rip and the virtual clock ticks. A handler that faults leaves
 * RIP at the instruction and the loop delivers the fault through the IDT (cpu/exception.c),
 * so exceptions are precise.
 *
 * Dispatch is a table, filled by one registration function per instruction family
 * (exec_int.c, exec_shift.c, ...). A new family (x87, SSE) adds its handlers with one
 * line in the registrars[] list below; nothing else here changes.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/alu_fast.h"
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"
#include "cpu/icache.h"
#include "cpu/jit.h"
#include "cpu/opcode_table.h"
#include "mmu/trace.h"

/* The instruction families, in registration order (a later one may override). */
static void (*const registrars[])(struct cpu_ops *, struct cpu_features *) = {
    exec_int_register,	  exec_shift_register, exec_muldiv_register, exec_bit_register,
    exec_string_register, exec_ctrl_register,  exec_stack_register,  exec_system_register,
    exec_seg_register,	  exec_x87_register,   exec_sse_register,
};

void cpu_ops_set(struct cpu_ops *ops, unsigned map, unsigned opcode, int col, int reg,
		 cpu_exec_fn fn)
{
	for (int c = 0; c < 4; c++) {
		if (col != CPU_ANY && c != col)
			continue;
		for (int r = 0; r < 8; r++)
			if (reg == CPU_ANY || r == reg)
				ops->fn[map][opcode][c][r] = fn;
	}
}

/* The x87 instructions that read CF/PF/ZF (FCMOVcc: DA, DB) or write them (FCOMI, FUCOMI:
 * DB; FCOMIP, FUCOMIP: DF) do it in cpu->rflags itself (cpu/exec_x87.c), so the register
 * forms of those escape opcodes run with the lazy flags materialised; their memory forms
 * (integer and 80-bit loads and stores) and the other five escapes never touch RFLAGS and
 * run as they are. */
static bool exec_x87_synced(struct cpu *cpu, const struct x86_instr *in)
{
	if (in->mod == 3)
		cpu_flags_sync(cpu);
	return cpu->ops->x87[in->opcode - 0xd8](cpu, in);
}

/* Puts exec_x87_synced in front of the DA, DB and DF handlers (one per escape opcode). */
static void wrap_x87(struct cpu_ops *ops)
{
	static const uint8_t uses_rflags[] = {0xda, 0xdb, 0xdf};
	for (size_t i = 0; i < sizeof(uses_rflags); i++) {
		unsigned op = uses_rflags[i];
		cpu_exec_fn fn = ops->fn[0][op][0][0];
		for (unsigned c = 0; c < 4; c++)
			for (unsigned r = 0; r < 8; r++)
				assert(ops->fn[0][op][c][r] == fn);
		ops->x87[op - 0xd8] = fn;
		if (fn)
			cpu_ops_set(ops, 0, op, CPU_ANY, CPU_ANY, exec_x87_synced);
	}
}

int cpu_init(struct cpu *cpu, struct mmu *mmu)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->mmu = mmu;
	cpu->ram = mmu->bus->ram;
	cpu->ops = calloc(1, sizeof(*cpu->ops));
	cpu->icache = icache_create(mmu);
	if (!cpu->ops || !cpu->icache) {
		cpu_destroy(cpu);
		return -ENOMEM;
	}
	cpu_set_jit(cpu, true); /* without it (a host that refuses), the loop runs blocks */
	cpu->code_pages = cpu->icache->code_pages;
	cpu->code_nr_pages = cpu->icache->nr_pages;
	cpu->code_epoch = 1; /* a new block's is 0 */
	for (size_t i = 0; i < sizeof(registrars) / sizeof(registrars[0]); i++)
		registrars[i](cpu->ops, &cpu->features);
	wrap_x87(cpu->ops);
	cpu->rflags = RFLAGS_FIXED1;
	cpu->mxcsr = 0x1f80;
	cpu->fpu.fcw = 0x037f;
	cpu->fpu.ftw = 0xffff;
	cpu->xcr0 = 1;
	cpu->dr6 = DR6_RESERVED;
	cpu->dr7 = DR7_RESERVED;
	cpu->pat = 0x0007040600070406ULL;
	cpu->msg_out = stderr;
	cpu_update_mode(cpu);
	return 0;
}

void cpu_destroy(struct cpu *cpu)
{
	free(cpu->ops);
	icache_destroy(cpu->icache);
	cpu_disas_close(cpu);
	cpu->ops = NULL;
	cpu->icache = NULL;
}

void cpu_update_mode(struct cpu *cpu)
{
	const struct seg_cache *cs = &cpu->mmu->seg.sreg[SEG_CS];
	if ((cpu->mmu->efer & EFER_LMA) && cs->l)
		cpu->mode = X86_MODE_64;
	else
		cpu->mode = cs->db ? X86_MODE_32 : X86_MODE_16;
}

void cpu_set_rflags(struct cpu *cpu, uint64_t rflags)
{
	cpu->lf_op = LF_NONE;
	cpu->rflags = (rflags & 0x3f7fd5ULL) | RFLAGS_FIXED1;
	mmu_set_ac(cpu->mmu, (cpu->rflags & RFLAGS_AC) != 0);
}

void cpu_request_stop(struct cpu *cpu)
{
	if (!cpu->exit_request)
		cpu->exit_request = CPU_EXIT_STOP + 1;
}

/* ---- flat segments ---- */

static struct seg_cache flat_cache(uint16_t sel, uint8_t type, unsigned dpl, bool l, bool db)
{
	return (struct seg_cache){.selector = sel,
				  .base = 0,
				  .limit = 0xffffffffu,
				  .type = type,
				  .dpl = (uint8_t)dpl,
				  .s = true,
				  .p = true,
				  .l = l,
				  .db = db,
				  .g = true,
				  .usable = true};
}

void cpu_load_flat_cs(struct cpu *cpu, uint16_t sel, unsigned dpl, bool l, bool db)
{
	struct seg_cache c = flat_cache(sel, SEG_TYPE_CODE | SEG_TYPE_R | SEG_TYPE_A, dpl, l, db);
	seg_set_cache(cpu->mmu, SEG_CS, &c);
	cpu_update_mode(cpu);
}

void cpu_load_flat_ss(struct cpu *cpu, uint16_t sel, unsigned dpl)
{
	struct seg_cache c = flat_cache(sel, SEG_TYPE_W | SEG_TYPE_A, dpl, false, true);
	seg_set_cache(cpu->mmu, SEG_SS, &c);
}

static void load_flat_data(struct cpu *cpu, uint16_t sel, unsigned dpl)
{
	static const enum seg_reg regs[] = {SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		struct seg_cache c = flat_cache(sel, SEG_TYPE_W | SEG_TYPE_A, dpl, false, true);
		if (regs[i] == SEG_FS || regs[i] == SEG_GS)
			c.base = cpu->mmu->seg.sreg[regs[i]].base;
		seg_set_cache(cpu->mmu, regs[i], &c);
	}
}

void cpu_enter_long_mode_flat(struct cpu *cpu, unsigned cpl)
{
	mmu_set_cpl(cpu->mmu, cpl);
	load_flat_data(cpu, cpl == 3 ? __USER_DS : __KERNEL_DS, cpl);
	cpu_load_flat_cs(cpu, cpl == 3 ? __USER_CS : __KERNEL_CS, cpl, true, false);
}

void cpu_enter_compat_mode_flat(struct cpu *cpu)
{
	mmu_set_cpl(cpu->mmu, 3);
	load_flat_data(cpu, __USER_DS, 3);
	cpu_load_flat_cs(cpu, __USER32_CS, 3, false, true);
}

void cpu_enter_protected_mode_flat(struct cpu *cpu, unsigned cpl)
{
	uint16_t cs = cpl == 3 ? GDT32_ENTRY_DEFAULT_USER_CS * 8 + 3 : GDT32_ENTRY_KERNEL_CS * 8;
	uint16_t ds = cpl == 3 ? GDT32_ENTRY_DEFAULT_USER_DS * 8 + 3 : GDT32_ENTRY_KERNEL_DS * 8;
	mmu_set_cpl(cpu->mmu, cpl);
	load_flat_data(cpu, ds, cpl);
	cpu_load_flat_cs(cpu, cs, cpl, false, true);
}

/* ---- memory helpers shared by the handlers ---- */

/* Writes the low n (1..8) bytes of v through the physical address the translation gave,
 * noting a store into the block being run. */
static inline void write_phys(struct cpu *cpu, uint64_t pa, uint64_t v, unsigned n)
{
	struct phys_bus *bus = cpu->mmu->bus;
	uint8_t *p = bus_ram_ptr(bus, pa, n);
	if (!p) {
		bus_store(bus, pa, n < 8 ? v & ((1ULL << 8 * n) - 1) : v, n);
		return;
	}
	cpu_host_store(cpu, p, v, n);
}

/* cpu_write_la_slow past the traced look at the fast tables: #AC, the rest of that look,
 * the translations. Out of line, so that the traced look's hit needs no stack frame. */
static __attribute__((noinline)) bool write_la_translated(struct cpu *cpu, uint64_t la,
							  unsigned size, uint64_t val,
							  unsigned flags)
{
	struct mmu *m = cpu->mmu;
	uint64_t pa1, pa2 = 0, la2 = la;
	unsigned n1 = 4096 - (unsigned)(la & 0xfff);
	if (mmu_access_ac_fault(m, la, size, flags, &cpu->fault))
		return false;
	if (unlikely(m->tracer != NULL)) {
		void *p = mmu_trace_fast_access(m, la, size, flags);
		if (p) {
			cpu_host_store(cpu, p, val, size);
			return true;
		}
	}
	if (n1 >= size) {
		n1 = size;
	} else {
		la2 = la + n1;
		if (!(m->efer & EFER_LMA))
			la2 &= 0xffffffffULL;
	}
	if (!mmu_translate(m, la, flags, &pa1, &cpu->fault))
		return false;
	if (n1 < size && !mmu_translate(m, la2, flags, &pa2, &cpu->fault))
		return false;
	write_phys(cpu, pa1, val, n1);
	if (n1 < size)
		write_phys(cpu, pa2, val >> (8 * n1), size - n1);
	return true;
}

/* While tracing every write comes here (mmu/trace.h): its commonest case is made first,
 * without a call. */
bool cpu_write_la_slow(struct cpu *cpu, uint64_t la, unsigned size, uint64_t val, unsigned flags)
{
	struct mmu *m = cpu->mmu;
	flags |= MMU_WRITE;
	if (unlikely(m->tracer != NULL)) {
		void *p = mmu_trace_fast_try(m, la, size, flags);
		if (p) {
			cpu_host_store(cpu, p, val, size);
			return true;
		}
	}
	return write_la_translated(cpu, la, size, val, flags);
}

/* cpu_probe_write past the inline look-up: #AC, the traced look, the translations. */
static __attribute__((noinline)) bool probe_translated(struct cpu *cpu, uint64_t la,
						       unsigned size, unsigned flags)
{
	uint64_t pa;
	if (mmu_access_ac_fault(cpu->mmu, la, size, flags, &cpu->fault))
		return false;
	if (unlikely(cpu->mmu->tracer != NULL) && mmu_trace_fast_access(cpu->mmu, la, size, flags))
		return true;
	if (!mmu_translate(cpu->mmu, la, flags, &pa, &cpu->fault))
		return false;
	/* The second page from its first byte: a fault there reports that address in CR2,
	 * as the write itself would (mmu_write_slow) and as the hardware's split access does. */
	uint64_t last = la + size - 1;
	if ((last ^ la) >> 12)
		return mmu_translate(cpu->mmu, last & ~0xfffULL, flags, &pa, &cpu->fault);
	return true;
}

/* A probe while tracing: each comes here (the inline look-up sees the traced tables), its
 * commonest case first, without a call (mmu_trace_fast_try). */
static __attribute__((noinline)) bool probe_traced(struct cpu *cpu, uint64_t la, unsigned size,
						   unsigned flags)
{
	if (mmu_trace_fast_try(cpu->mmu, la, size, flags))
		return true;
	return probe_translated(cpu, la, size, flags);
}

/* The probe is a write access of the MMU's: through its fast path when that holds the
 * page (counted as the L1 hit it stands for, as mmu_translate would count it). The rest is
 * out of line, so that this hit path stays as short as it can be. While tracing the fast
 * path holds no data page (mmu/trace.h), so the traced look comes first. */
bool cpu_probe_write(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size)
{
	uint64_t la;
	if (!cpu_linear(cpu, seg, off, size, MMU_WRITE, &la))
		return false;
	unsigned flags = seg_flags(seg) | MMU_WRITE;
	if (unlikely(cpu->mmu->tracer != NULL))
		return probe_traced(cpu, la, size, flags);
	if (likely(mmu_fast_lookup(cpu->mmu, la, size, flags) != NULL))
		return true;
	return probe_translated(cpu, la, size, flags);
}

bool cpu_branch_slow(struct cpu *cpu, uint64_t target, unsigned opsize)
{
	if (cpu->mode != X86_MODE_64) {
		target &= size_mask(opsize);
		if (target > cpu->mmu->seg.sreg[SEG_CS].limit)
			return cpu_gp(cpu, 0);
	} else {
		if (opsize == 2)
			target &= 0xffff;
		else if (opsize == 4)
			target &= 0xffffffffULL;
		if (!mmu_canonical(cpu->mmu, target))
			return cpu_gp(cpu, 0);
	}
	cpu->next_rip = target;
	return true;
}

/* ---- fetch and decode ---- */

/*
 * The mandatory-prefix column the decoder chose (0 none, 1 66, 2 F3, 3 F2): 66 counts when
 * it did not set the operand size; an F2/F3 the decoder consumed is absent from the REP
 * bits, so the raw prefix bytes tell which it was.
 */
static unsigned prefix_column(const struct x86_instr *in, const uint8_t *bytes)
{
	uint8_t last_rep = 0;
	for (unsigned i = 0; i < in->len; i++) {
		uint8_t b = bytes[i];
		if (b == 0xf2 || b == 0xf3)
			last_rep = b;
		else if (!(b == 0xf0 || b == 0x66 || b == 0x67 || b == 0x26 || b == 0x2e ||
			   b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
			   (in->mode == X86_MODE_64 && (b & 0xf0) == 0x40)))
			break;
	}
	if (last_rep && !(in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)))
		return last_rep == 0xf3 ? 2 : 3;
	if ((in->prefixes & X86_PFX_66) && !(in->prefixes & X86_PFX_OPSIZE))
		return 1;
	return 0;
}

/* The handler of opcodes no family implements: #UD. */
static bool exec_undefined(struct cpu *cpu, const struct x86_instr *in)
{
	return cpu_ud(cpu);
}

static cpu_exec_fn lookup_handler(const struct cpu *cpu, const struct x86_instr *in,
				  const uint8_t *bytes)
{
	cpu_exec_fn fn = NULL;
	unsigned col = 0;
	if (in->map < CPU_OPS_MAPS && !(in->flags & X86_INSN_VEX)) {
		unsigned reg = (in->flags & X86_INSN_MODRM) ? (in->modrm >> 3) & 7 : 0;
		col = prefix_column(in, bytes);
		fn = cpu->ops->fn[in->map][in->opcode][col][reg];
	}
	if (!fn)
		return exec_undefined;
	cpu_exec_fn special = cpu_specialise(in, col);
	return special ? special : fn;
}

/* Reads n instruction bytes at la through the MMU (page-crossing and non-RAM code). */
static bool fetch_bytes(struct cpu *cpu, uint64_t la, uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v, a = la + i;
		if (cpu->mode != X86_MODE_64)
			a &= 0xffffffffULL;
		if (!mmu_fetch(cpu->mmu, a, 1, &v, &cpu->fault))
			return false;
		buf[i] = (uint8_t)v;
	}
	return true;
}

static bool decode_fault(struct cpu *cpu, enum x86_decode_status st)
{
	if (st == X86_DECODE_GP)
		return cpu_gp(cpu, 0);
	return cpu_ud(cpu);
}

/*
 * Decodes the instruction at la whose first n bytes are in bytes[] into *in, fetching
 * further bytes through the MMU one at a time while the decoder asks for them, so a #PF
 * on the next page is raised only when the instruction really extends into it.
 */
static bool decode_more(struct cpu *cpu, uint64_t la, uint8_t *bytes, unsigned n,
			struct x86_instr *in)
{
	for (;;) {
		enum x86_decode_status st = x86_decode(in, bytes, n, (enum x86_mode)cpu->mode);
		if (st == X86_DECODE_OK)
			return true;
		if (st != X86_DECODE_MORE)
			return decode_fault(cpu, st);
		if (!fetch_bytes(cpu, la + n, bytes + n, 1))
			return false;
		n++;
	}
}

/* The bytes of the instruction at la that lie in its first page (at most 15). */
static unsigned first_page_bytes(uint64_t la)
{
	unsigned avail = 4096 - (unsigned)(la & 0xfff);
	return avail < X86_MAX_INSN_LEN ? avail : X86_MAX_INSN_LEN;
}

/* Decodes the instruction at la whose first byte is at host (NULL: not in RAM) into *in
 * and bytes[]. */
static bool decode_at(struct cpu *cpu, uint64_t la, const uint8_t *host, struct x86_instr *in,
		      uint8_t *bytes)
{
	unsigned avail = host ? first_page_bytes(la) : 0;
	if (avail)
		memcpy(bytes, host, avail);
	return decode_more(cpu, la, bytes, avail, in);
}

/* The linear fetch address of RIP outside 64-bit mode, with the CS limit check. */
static bool rip_linear_legacy(struct cpu *cpu, uint64_t *la)
{
	const struct seg_cache *cs = &cpu->mmu->seg.sreg[SEG_CS];
	if (cpu->rip > cs->limit)
		return cpu_gp(cpu, 0);
	*la = (cs->base + cpu->rip) & 0xffffffffULL;
	return true;
}

/*
 * Where the fetch loop is in the decoded blocks: the instruction at host address expect
 * has its decoding in blk->e[i] (if i < blk->n and the mode is the block's). A cursor
 * never needs resetting: it is used only when the next fetch lands exactly there, and
 * the entry's bytes are checked against memory as for any other hit.
 */
struct fetch_cursor {
	struct icache_block *blk; /* the block being run; NULL with expect NULL */
	unsigned i;		  /* index of the next entry */
	const uint8_t *expect;	  /* host address of that entry's instruction */
};

/* Makes blk->e[i] (at host) the instruction to run and moves the cursor past it. */
static inline struct icache_entry *cursor_take(struct fetch_cursor *cur, struct icache_block *blk,
					       unsigned i, const uint8_t *host)
{
	struct icache_entry *e = &blk->e[i];
	cur->blk = blk;
	cur->i = i + 1;
	cur->expect = host + e->in.len;
	return e;
}

/* The cursor's next entry if the instruction at host is it, with its bytes unchanged. */
static inline struct icache_entry *cursor_next(struct cpu *cpu, struct fetch_cursor *cur,
					       const uint8_t *host)
{
	struct icache_block *blk = cur->blk;
	if (host != cur->expect || cur->i >= blk->n || blk->mode != cpu->mode)
		return NULL;
	struct icache_entry *e = &blk->e[cur->i];
	if (!icache_bytes_match(cpu->icache, e, host))
		return NULL;
	return cursor_take(cur, blk, cur->i, host);
}

/*
 * True when the decoding of the instructions after in should wait until in has run: a
 * control transfer (the next instruction is elsewhere), HLT, and the system instructions
 * that change how code is fetched or run (descriptor tables, control registers, MSRs,
 * POPF, STI, MOV/POP SS). Every instruction that can load CS or change EFER or CR0 --
 * and so the mode or the CPL -- must be among them: run_block checks those once per block.
 */
static bool ends_block(const struct x86_instr *in)
{
	uint8_t op = in->opcode, reg = (in->modrm >> 3) & 7;
	if (in->map == 0) {
		if ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) ||
		    (op >= 0xe8 && op <= 0xeb) || (op >= 0xc2 && op <= 0xc3) ||
		    (op >= 0xca && op <= 0xcf))
			return true;
		return op == 0x9a || op == 0x9d || op == 0xf1 || op == 0xf4 || op == 0xfa || op == 0xfb ||
		       op == 0x8e || op == 0x17 || (op == 0xff && reg >= 2 && reg <= 5);
	}
	if (in->map == 1)
		return (op >= 0x80 && op <= 0x8f) || op <= 0x0b || (op >= 0x20 && op <= 0x23) ||
		       (op >= 0x30 && op <= 0x37) || op == 0xa1 || op == 0xa9 || op == 0xff ||
		       op == 0xb9 || op == 0xaa;
	return false;
}

/*
 * True when in is a system instruction that ends its block (every one but the near
 * branches): it may invalidate TLB entries (INVLPG, MOV to CR0/CR3/CR4, WRMSR, ...),
 * switch the fast path's tables (CPL, RFLAGS.AC) or change the mode. Such an instruction
 * is a block of its own (blk->sync), which run_block leaves to step(): so within
 * run_block the mode, the CPL and the fetch translations of a block cannot change.
 */
static bool syncs_fetch(const struct x86_instr *in)
{
	uint8_t op = in->opcode, reg = (in->modrm >> 3) & 7;
	if (!ends_block(in))
		return false;
	if (in->map == 0)
		return !((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op == 0xe8 ||
			 op == 0xe9 || op == 0xeb || op == 0xc2 || op == 0xc3 ||
			 (op == 0xff && (reg == 2 || reg == 4)));
	return !(in->map == 1 && op >= 0x80 && op <= 0x8f);
}

/* True when in is a conditional branch with a relative target (70-7F, 0F 80-8F). */
static bool is_jcc(const struct x86_instr *in)
{
	return (in->map == 0 && in->opcode >= 0x70 && in->opcode <= 0x7f) ||
	       (in->map == 1 && in->opcode >= 0x80 && in->opcode <= 0x8f);
}

/*
 * Decodes instructions into *blk from offset off of the block's first byte (physical
 * pa, host pointer host into RAM; la its linear address, for -d in_asm) until the block
 * ends; *blk is created at the first instruction that decodes when NULL. Returns the
 * number of entries added.
 */
static unsigned block_fill(struct cpu *cpu, struct icache_block **blk, uint64_t la, uint64_t pa,
			   const uint8_t *host, unsigned off)
{
	struct icache *ic = cpu->icache;
	unsigned added = 0;
	for (;;) {
		struct x86_instr in;
		unsigned avail = 4096 - (unsigned)((pa + off) & 0xfff);
		if (off && avail == 4096)
			break; /* the page ends: the next one may be any frame */
		if (pa + off + 16 > ic->nr_pages << 12)
			break;
		if (x86_decode(&in, host + off, avail < X86_MAX_INSN_LEN ? avail : X86_MAX_INSN_LEN,
			       (enum x86_mode)cpu->mode) != X86_DECODE_OK)
			break;
		bool sync = syncs_fetch(&in);
		if (*blk && sync)
			break; /* a system instruction starts a block of its own */
		cpu_exec_fn fn = lookup_handler(cpu, &in, host + off);
		if (!*blk)
			*blk = icache_block_new(ic, pa, cpu->mode);
		icache_block_add(ic, *blk, pa + off, &in, host + off, fn);
		(*blk)->sync = sync;
		added++;
		if (unlikely(cpu->log_in_asm != NULL)) {
			cpu_log_insn(cpu, la + off, host + off, &in);
			break;
		}
		off += in.len;
		if ((*blk)->n == ICACHE_BLOCK_MAX || ends_block(&in))
			break;
	}
	return added;
}

/*
 * Blocks that grow past their last conditional branch. Most blocks end in a Jcc, and
 * where the branch usually falls through, the step to the next block (translation, link,
 * checks: tens of host instructions) costs more than the few instructions each block
 * runs. So a block that ends in a Jcc with room after it on its page is watched: its
 * first GROW_WATCH_EXITS exits are counted, and if at least a quarter of them fell
 * through, the instructions after the branch are decoded into the block (in place: its
 * start, its links and the entries before stay valid) and the branch's handler becomes
 * one that ends the block's run when taken (cpu_jcc_side_exit). A taken side exit costs
 * a little more than a block's ordinary end, a fall-through much less than a step to the
 * next block. The grown block is watched again if it ends in a Jcc. Which blocks grow
 * depends only on the path the guest took, so runs stay reproducible.
 */
#define GROW_WATCH_EXITS 32

/* Starts watching blk if it ends in a Jcc it could grow past. */
static void block_watch_start(const struct cpu *cpu, struct icache_block *blk)
{
	const struct icache_entry *last = &blk->e[blk->n - 1];
	blk->watch = blk->n < ICACHE_BLOCK_MAX && !blk->cross && !blk->sync &&
		     is_jcc(&last->in) && cpu->log_in_asm == NULL;
	blk->falls = 0;
	blk->exits = 0;
}

/* Grows blk (at host address base, in the current mode) past its last entry, a Jcc. */
static void block_grow(struct cpu *cpu, struct icache_block *blk, const uint8_t *base)
{
	struct icache_entry *jcc = &blk->e[blk->n - 1];
	cpu_exec_fn fn = jcc->fn;
	uint64_t pa = (uint64_t)(base - cpu->ram);
	jcc->fn = cpu_jcc_side_exit[jcc->in.opcode & 15];
	if (!block_fill(cpu, &blk, 0, pa, base, blk->len)) {
		jcc->fn = fn; /* nothing could follow it: it stays the block's end */
		return;
	}
	cpu->icache->grown++;
	block_watch_start(cpu, blk);
}

/* Counts an exit of the watched block blk (at base) to host address at, and grows the
 * block once enough of its exits fell through. */
static __attribute__((noinline)) void block_watch(struct cpu *cpu, struct icache_block *blk,
						  const uint8_t *base, const uint8_t *at)
{
	blk->falls += at == base + blk->len;
	if (++blk->exits < GROW_WATCH_EXITS)
		return;
	blk->watch = 0;
	if (blk->falls * 4 >= blk->exits)
		block_grow(cpu, blk, base);
}

/*
 * Decodes a block starting at the instruction at la (physical pa, host pointer host into
 * RAM) and returns its first entry with the cursor on it; NULL (nothing cached) when the
 * first instruction cannot be cached: it crosses the page, does not decode, or lies in
 * the last 16 bytes of RAM. With -d in_asm a block holds one instruction, so that each
 * is logged when it is first run, as before blocks.
 */
static struct icache_entry *build_block(struct cpu *cpu, struct fetch_cursor *cur, uint64_t la,
					uint64_t pa, const uint8_t *host)
{
	struct icache_block *blk = NULL;
	if (!block_fill(cpu, &blk, la, pa, host, 0))
		return NULL;
	block_watch_start(cpu, blk);
	return cursor_take(cur, blk, 0, host);
}

/*
 * A cached instruction that crosses into the next page (a block of its own, blk->cross
 * bytes in the first page, which the entry's masks checked): the rest is fetched through
 * the MMU byte by byte, exactly as decoding it fetches them (so the fetch statistics are
 * those of a decoding: the same accesses in the same order), and compared with the
 * entry's. At the first difference the bytes fetched so far start a new decoding, which
 * fetches on while the decoder asks for more. NULL with cpu->fault on a fault.
 */
static struct icache_entry *crossing_fetch(struct cpu *cpu, struct fetch_cursor *cur,
					   struct icache_block *blk, uint64_t la, uint64_t pa,
					   const uint8_t *host)
{
	struct icache_entry *e = &blk->e[0];
	const uint8_t *cached = (const uint8_t *)e->bytes;
	uint8_t bytes[X86_MAX_INSN_LEN];
	unsigned n = blk->cross;
	memcpy(bytes, host, n);
	uint64_t la2 = cpu->mode == X86_MODE_64 ? la + n : (la + n) & 0xffffffffULL;
	struct mmu *m = cpu->mmu;
	struct tlb_fast_entry *fe =
	    &m->fast_cur[MMU_FETCH & MMU_KIND_MASK][(la2 >> 12) & (TLB_FAST_SIZE - 1)];
	if (likely(fe->tag == (la2 & ~0xfffULL))) {
		/* The second page in the fast path: its bytes compared in place, and as many
		 * one-byte fetch hits counted at once as the loop below would count. */
		const uint8_t *p = (const uint8_t *)(uintptr_t)(la2 + fe->addend);
		unsigned k = 0, rest = e->in.len - n;
		while (k < rest && p[k] == cached[n + k])
			k++;
		unsigned fetched = k < rest ? k + 1 : k;
		memcpy(bytes + n, p, fetched);
		mmu_fast_count_n(m, fe, MMU_FETCH, fetched);
		n += k;
	} else {
		for (; n < e->in.len; n++) {
			if (!fetch_bytes(cpu, la + n, bytes + n, 1))
				return NULL;
			if (bytes[n] != cached[n])
				break;
		}
	}
	if (n == e->in.len)
		return cursor_take(cur, blk, 0, host);
	unsigned first = blk->cross;
	cpu->icache->stale++;
	struct x86_instr in;
	if (!decode_more(cpu, la, bytes, n + 1, &in))
		return NULL;
	/* The first bytes are unchanged and did not make an instruction: it still crosses. */
	cpu_exec_fn fn = lookup_handler(cpu, &in, bytes);
	if (unlikely(cpu->log_in_asm != NULL))
		cpu_log_insn(cpu, la, bytes, &in);
	blk = icache_block_new(cpu->icache, pa, cpu->mode);
	icache_block_add(cpu->icache, blk, pa, &in, bytes, fn);
	icache_block_set_crossing(blk, first);
	return cursor_take(cur, blk, 0, host);
}

/*
 * The slow half of fetch_insn: the fetch translation missed the fast path, the block
 * starting here is not cached (or is a page-crossing instruction), or its bytes changed.
 * Out of line, so that the decoder's buffers stay off the hot path's stack frame.
 * translated: la was translated to pa through the fast path, and the cursor and (for
 * blocks that are not page-crossing instructions) the cache were looked at already.
 * Returns the entry to execute (a block's entry, or the icache's spare entry for an
 * instruction that cannot be cached), NULL with cpu->fault.
 */
static __attribute__((noinline)) struct icache_entry *
fetch_insn_slow(struct cpu *cpu, struct fetch_cursor *cur, uint64_t la, bool translated, uint64_t pa)
{
	struct icache *ic = cpu->icache;
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct x86_instr in;
	struct icache_entry *e;
	if (!translated && !mmu_translate(cpu->mmu, la, MMU_FETCH, &pa, &cpu->fault))
		return NULL;
	const uint8_t *host = bus_ram_ptr(cpu->mmu->bus, pa, 1);
	if (host) {
		e = translated ? NULL : cursor_next(cpu, cur, host);
		if (e)
			return e;
		struct icache_block *blk = icache_lookup(ic, pa, cpu->mode);
		if (blk && (blk->cross || !translated) && icache_bytes_match(ic, &blk->e[0], host))
			return blk->cross ? crossing_fetch(cpu, cur, blk, la, pa, host)
					  : cursor_take(cur, blk, 0, host);
	}
	cur->blk = NULL;
	cur->expect = NULL;
	if (host) {
		e = build_block(cpu, cur, la, pa, host);
		if (e)
			return e;
	}
	if (!decode_at(cpu, la, host, &in, bytes))
		return NULL;
	cpu_exec_fn fn = lookup_handler(cpu, &in, bytes);
	if (unlikely(cpu->log_in_asm != NULL))
		cpu_log_insn(cpu, la, bytes, &in);
	unsigned first = first_page_bytes(la);
	if (host && in.len > first && pa + 16 <= ic->nr_pages << 12) {
		/* crosses the page: cached with its second part checked at every fetch */
		struct icache_block *blk = icache_block_new(ic, pa, cpu->mode);
		icache_block_add(ic, blk, pa, &in, bytes, fn);
		icache_block_set_crossing(blk, first);
		return cursor_take(cur, blk, 0, host);
	}
	ic->uncached = (struct icache_entry){.fn = fn, .in = in};
	return &ic->uncached;
}

/* The decoded instruction at RIP with its handler: fetch translation through the MMU's
 * fast path (counted as an ITLB hit), then the block the loop is in, then the
 * decoded-instruction cache. */
static inline __attribute__((always_inline)) struct icache_entry *
fetch_insn(struct cpu *cpu, struct fetch_cursor *cur)
{
	uint64_t la = cpu->rip;
	if (unlikely(cpu->mode != X86_MODE_64) && !rip_linear_legacy(cpu, &la))
		return NULL;
	struct tlb_fast_entry *fe = mmu_fast_lookup(cpu->mmu, la, 1, MMU_FETCH);
	if (unlikely(fe == NULL))
		return fetch_insn_slow(cpu, cur, la, false, 0);
	const uint8_t *host = (const uint8_t *)(uintptr_t)(la + fe->addend);
	struct icache_entry *e = cursor_next(cpu, cur, host);
	if (likely(e != NULL))
		return e;
	uint64_t pa = (uint64_t)(host - cpu->ram);
	struct icache_block *blk = icache_lookup(cpu->icache, pa, cpu->mode);
	if (likely(blk != NULL) && likely(!blk->cross) &&
	    likely(icache_bytes_match(cpu->icache, &blk->e[0], host)))
		return cursor_take(cur, blk, 0, host);
	return fetch_insn_slow(cpu, cur, la, true, pa);
}

/* ---- kernel entry points ---- */

/* Binary search of the entry table, sorted by address. */
static const struct cpu_kentry *find_kentry(const struct cpu *cpu, uint64_t rip)
{
	int lo = 0, hi = cpu->nr_kentries - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (cpu->kentry[mid].addr == rip)
			return &cpu->kentry[mid];
		if (cpu->kentry[mid].addr < rip)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int cpu_register_kentry(struct cpu *cpu, uint64_t addr, cpu_kentry_fn fn, void *opaque,
			const char *name)
{
	int i = cpu->nr_kentries;
	if (i >= CPU_MAX_KENTRIES)
		return -ENOSPC;
	if (find_kentry(cpu, addr))
		return -EEXIST;
	for (; i > 0 && cpu->kentry[i - 1].addr > addr; i--)
		cpu->kentry[i] = cpu->kentry[i - 1];
	cpu->kentry[i] = (struct cpu_kentry){addr, fn, opaque, name};
	cpu->nr_kentries++;
	cpu->kentry_lo = cpu->kentry[0].addr;
	cpu->kentry_hi = cpu->kentry[cpu->nr_kentries - 1].addr;
	return 0;
}

/* The exit of the loop for a step; -1 means "go on". */
#define STEP_CONTINUE (-1)

static int deliver_fault(struct cpu *cpu);

/* Runs a kernel entry's C function and leaves the kernel the way it asks. */
static int run_kentry(struct cpu *cpu, const struct cpu_kentry *ke)
{
	bool ok = true;
	cpu_flags_sync(cpu); /* the kernel sees the architectural RFLAGS */
	cpu_fpu_sync(cpu);   /* and the user FPU state in struct cpu */
	switch (ke->fn(cpu, ke->opaque)) {
	case KENTRY_IRET:
		ok = cpu_iret(cpu, cpu->mode == X86_MODE_64 ? 8 : 4);
		break;
	case KENTRY_SYSRET:
		ok = cpu_sysret(cpu, true);
		break;
	case KENTRY_SYSRET32:
		ok = cpu_sysret(cpu, false);
		break;
	case KENTRY_STOP:
		return CPU_EXIT_STOP;
	case KENTRY_CONTINUE:
		return STEP_CONTINUE;
	}
	if (!ok)
		return deliver_fault(cpu);
	cpu->rip = cpu->next_rip;
	return STEP_CONTINUE;
}

/* ---- the loop ---- */

/* Delivers cpu->fault for the instruction at RIP (or stops, with stop_on_fault). */
static __attribute__((noinline)) int deliver_fault(struct cpu *cpu)
{
	struct x86_fault f = cpu->fault;
	if (cpu->stop_on_fault)
		return CPU_EXIT_FAULT;
	if (f.vector == X86_VEC_PF)
		cpu->cr2 = f.cr2;
	if (!cpu_deliver(cpu, f.vector, f.has_error_code, f.error_code, cpu->rip, false))
		return CPU_EXIT_SHUTDOWN;
	return STEP_CONTINUE;
}

/* A registered kernel entry at RIP (CPL 0): runs it. STEP_NONE when there is none. */
#define STEP_NONE (-2)
static __attribute__((noinline)) int kentry_check(struct cpu *cpu)
{
	if (cpu->rip < cpu->kentry_lo || cpu->rip > cpu->kentry_hi)
		return STEP_NONE;
	const struct cpu_kentry *ke = find_kentry(cpu, cpu->rip);
	return ke ? run_kentry(cpu, ke) : STEP_NONE;
}

/*
 * The single-step trap (SDM Vol. 3, 18.3.1.4) after an instruction that began with
 * EFLAGS.TF set and completed: #DB with DR6.BS, returning to the next instruction. An
 * instruction that entered the kernel (SYSCALL, INT n, INT3, INTO: a change of CPL, their
 * delivery having cleared TF) gives none, which is also what Linux shows a program: the
 * next trap comes after the first instruction the kernel returns to. A fault gives none
 * either: the instruction did not complete.
 */
static __attribute__((noinline)) int single_step_trap(struct cpu *cpu, unsigned cpl_before)
{
	if (cpu->mmu->cpl != cpl_before)
		return STEP_CONTINUE;
	cpu->dr6 |= DR6_BS;
	cpu->fault = (struct x86_fault){.vector = X86_VEC_DB};
	return deliver_fault(cpu);
}

static inline __attribute__((always_inline)) int step(struct cpu *cpu, struct fetch_cursor *cur)
{
	if (unlikely(cpu->mmu->cpl == 0) && cpu->nr_kentries) {
		int r = kentry_check(cpu);
		if (r != STEP_NONE)
			return r;
	}
	struct icache_entry *e = fetch_insn(cpu, cur);
	if (unlikely(e == NULL))
		return deliver_fault(cpu);
	uint64_t next = cpu->rip + e->in.len;
	if (unlikely(cpu->mode != X86_MODE_64))
		next &= cpu->mode == X86_MODE_32 ? 0xffffffffULL : 0xffffULL;
	cpu->next_rip = next;
	uint64_t tf = cpu_rflags_control(cpu) & RFLAGS_TF;
	unsigned cpl = cpu->mmu->cpl;
	if (unlikely(!e->fn(cpu, &e->in)))
		return deliver_fault(cpu);
	cpu->rip = cpu->next_rip;
	cpu->icount++;
	if (unlikely(tf))
		return single_step_trap(cpu, cpl);
	return STEP_CONTINUE;
}

static enum cpu_exit step_one(struct cpu *cpu)
{
	struct fetch_cursor cur = {NULL, 0, NULL};
	int r = step(cpu, &cur);
	cpu_flags_sync(cpu);
	if (cpu->shutdown)
		return CPU_EXIT_SHUTDOWN;
	if (r != STEP_CONTINUE)
		return (enum cpu_exit)r;
	if (cpu->halted)
		return CPU_EXIT_HLT;
	return CPU_EXIT_LIMIT;
}

/*
 * Runs on from the block the cursor is in, after the instruction just executed: as long
 * as execution goes on inside the block, or reaches the start of a cached block whose
 * bytes are unchanged, it runs without going through step(). The state lives in locals
 * here, so the loop keeps it in registers across the handlers' calls. Stops at anything
 * else -- a fast-path miss, a block not cached, changed bytes, a page-crossing
 * instruction whose second page misses or changed (or any while traced), a system
 * instruction (blk->sync), CPL 0 with kernel entry points, an exit request, the
 * instruction limit -- before counting that instruction's fetch, so that
 * step() then fetches it the ordinary way (and counts what it finds). Returns a step's
 * result; *n counts the steps taken. mode is cpu->mode (a constant in the 64-bit copy).
 *
 * What cannot change inside it. The instructions that change the mode, the CPL, RFLAGS.AC
 * or TF, or the TLB's contents are the system instructions (POPF, IRET and SYSRET among
 * them), and each is a block of its own that this loop does not run; a fault leaves the
 * loop. So TF is read once, at the start: under TF every instruction goes through step(),
 * which delivers the single-step traps. Data accesses fill and evict only the
 * DTLB and the shared levels' entries, never the ITLB's, whose entries change only on an
 * instruction fetch that misses (outside this loop). So the fetch translation of a block
 * found at its entry holds for all its instructions.
 *
 * Fetch counts. A block's first instruction is looked up in the fast path as the MMU
 * would (a miss leaves the loop). Every instruction run here is one fetch hit on the fast
 * entry of its block's page: the hits are counted at once (mmu_fast_count_n), from the
 * instruction count, when the entry changes and when the loop ends. Between those points
 * only these hits advance the ITLB's tick, so the counts and LRU stamps are the ones an
 * addition per instruction would leave. A page-crossing instruction counts its first
 * page's hit and then one hit per byte on the second page, as crossing_fetch does. While
 * an MMU tracer is attached each fetch is
 * counted before its instruction runs, so that a trace orders it before the instruction's
 * own accesses wherever the loop stops.
 *
 * Bytes. A block entered at its start is compared with memory whole
 * (icache_block_equal), unless this run of the loop has compared it already and no store
 * of this CPU has landed in a page with code since (blk->checked == cpu->code_epoch; the
 * epoch advances at every entry here, since the kernel writes between runs); a block the
 * loop starts in the middle of (after step()) is compared from there to its end. Its
 * instructions then run without a check of their own unless a store of this CPU lands in
 * a page with code (cpu_note_store sets cpu->code_written), after which its remaining
 * entries are compared again, and the loop leaves at the first that changed. Everything
 * else that writes guest memory -- the kernel, the bus, other CPUs -- does it between
 * runs of the loop, where the epoch has moved on.
 *
 * The per-instruction path. Everything that can end a block's run early -- an exit
 * request, a store into the block, an instruction that sets RIP elsewhere without ending
 * its block (a REP instruction cut into chunks sets cpu->rip_redirect) -- raises
 * cpu->loop_break, so one test after each instruction covers them; the instruction limit
 * is turned into the last entry to run when a block is entered. The copies of the loop
 * for 64-bit code and for 32-bit code with a flat CS, without a tracer, test neither the
 * mode nor the tracer nor the CS limit (flat: RIP is the linear address).
 */
/* The host address of the instruction at rip through the fetch fast path, with its fast
 * entry in *fe; NULL on a miss. Nothing is counted here. flat: RIP is the linear address
 * (64-bit mode, or a CS with base 0 whose limit is 4 GiB - 1). */
static inline __attribute__((always_inline)) const uint8_t *
fetch_fast(struct mmu *m, uint64_t rip, bool flat, struct tlb_fast_entry **fe)
{
	uint64_t la = rip;
	if (!flat)
		la = (m->seg.sreg[SEG_CS].base + rip) & 0xffffffffULL;
	struct tlb_fast_entry *f =
	    &m->fast_cur[MMU_FETCH & MMU_KIND_MASK][(la >> 12) & (TLB_FAST_SIZE - 1)];
	if (unlikely(f->tag != (la & ~0xfffULL)))
		return NULL;
	*fe = f;
	return (const uint8_t *)(uintptr_t)(la + f->addend);
}

/* For a page-crossing instruction (a block of its own) that the loop reached: the fast
 * entry of the fetch translation of its second page, if that hits and the instruction's
 * bytes there are still the entry's; NULL otherwise (step() then fetches it the way
 * crossing_fetch does). Nothing is counted here. */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
crossing_second_page(struct mmu *m, const struct icache_block *blk, uint64_t rip, unsigned mode,
		     bool flat)
{
	uint64_t la2 = rip + blk->cross;
	if (mode != X86_MODE_64)
		la2 = ((flat ? 0 : m->seg.sreg[SEG_CS].base) + la2) & 0xffffffffULL;
	struct tlb_fast_entry *f =
	    &m->fast_cur[MMU_FETCH & MMU_KIND_MASK][(la2 >> 12) & (TLB_FAST_SIZE - 1)];
	if (f->tag != (la2 & ~0xfffULL))
		return NULL;
	/* the bytes on the second page, from its first: at most 14, compared in two words
	 * (the 16 bytes read lie in that page) */
	const uint8_t *p = (const uint8_t *)(uintptr_t)(la2 + f->addend);
	uint64_t have[2];
	memcpy(have, p, sizeof(have));
	if (((have[0] ^ blk->cross_code[0]) & blk->cross_mask[0]) |
	    ((have[1] ^ blk->cross_code[1]) & blk->cross_mask[1]))
		return NULL;
	return f;
}

/* The fetch counts of a step to a block starting at instruction count ic in the page of
 * fast entry fe: on a change of page, the hits of the page left (*cfe's, not counted since
 * *counted) added at once, and fe's counted from ic on. */
static inline __attribute__((always_inline)) void
fetch_count_page_change(struct mmu *m, struct tlb_fast_entry **cfe, uint64_t *counted,
			struct tlb_fast_entry *fe, uint64_t ic)
{
	if (fe == *cfe)
		return;
	if (ic != *counted)
		mmu_fast_count_n(m, *cfe, MMU_FETCH, ic - *counted);
	*cfe = fe;
	*counted = ic;
}

/* The fetches of a page-crossing instruction blk about to run at count ic (its first page
 * cfe's, not counted since *counted; its second page fe2's) as a decoding makes them: the
 * first page's, then one per byte on the second. */
static inline __attribute__((always_inline)) void
fetch_count_crossing(struct mmu *m, struct tlb_fast_entry *cfe, uint64_t *counted,
		     struct tlb_fast_entry *fe2, const struct icache_block *blk, uint64_t ic)
{
	mmu_fast_count_n(m, cfe, MMU_FETCH, ic + 1 - *counted);
	*counted = ic + 1;
	mmu_fast_count_n(m, fe2, MMU_FETCH, blk->e[0].in.len - blk->cross);
}

bool cpu_jit_cross_enter(struct cpu *cpu, struct icache_block *s, struct tlb_fast_entry *fe,
			 unsigned n)
{
	struct mmu *m = cpu->mmu;
	uint64_t rip = cpu->next_rip, ic = cpu->jit_ic0 + n;
	struct tlb_fast_entry *fe2 = crossing_second_page(m, s, rip, s->mode, true);
	if (!fe2)
		return false;
	if (fe)
		fetch_count_page_change(m, &cpu->jit_cfe, &cpu->jit_counted, fe, ic);
	fetch_count_crossing(m, cpu->jit_cfe, &cpu->jit_counted, fe2, s, ic);
	cpu->jit_ic0 = ic;
	cpu->jit_blk = s;
	return true;
}

/* Where the entries from e on stop running: end, or the entry at the instruction limit
 * (stop, in instructions retired; usually far: one compare, no division). */
static inline __attribute__((always_inline)) struct icache_entry *
entries_to_run(struct icache_entry *e, struct icache_entry *end, uint64_t ic, uint64_t stop)
{
	if (unlikely(stop - ic < ICACHE_BLOCK_MAX) && stop - ic < (uint64_t)(end - e))
		return e + (stop - ic);
	return end;
}

static inline __attribute__((always_inline)) int run_block(struct cpu *cpu,
							   struct fetch_cursor *cur, uint64_t *n,
							   uint64_t limit, unsigned mode, bool traced,
							   bool flat, bool use_jit)
{
	struct mmu *m = cpu->mmu;
	struct jit *jit = use_jit ? cpu->icache->jit : NULL;
	struct icache_block *blk = cur->blk;
	/* the host address of blk's first byte, NULL when the cursor is to be dropped; the
	 * address of an entry is computed from it only when the loop needs it */
	const uint8_t *base = NULL;
	struct icache_entry *e = NULL, *end = NULL;
	/* blk's first entry, and what cpu->icount would be there: the count is kept by
	 * the position in the block, so that the instructions themselves count nothing;
	 * run_n: blk's entries (end - first), 0 before the first block */
	struct icache_entry *first = NULL;
	unsigned run_n = 0;
	struct tlb_fast_entry *cfe = NULL; /* the fast entry of the current block's page */
	const uint64_t start = cpu->icount;
	uint64_t ic0 = start;
#define IC() (ic0 + (uint64_t)(e - first))
	uint64_t counted = start;	   /* icount when cfe's hits were last counted */
	uint64_t stop = start + (limit - *n), rip = cpu->rip;
	int r = STEP_CONTINUE;
	if (stop < start)
		stop = UINT64_MAX;
	/* step() may have run a kernel entry point, which can leave CPL 0 and RIP anywhere */
	if ((m->cpl == 0 && cpu->nr_kentries) || (cpu_rflags_control(cpu) & RFLAGS_TF))
		return r;
	if (cur->expect) { /* the cursor's entry, in mid-block, if the fetch lands on it */
		struct tlb_fast_entry *fe;
		const uint8_t *at = fetch_fast(m, rip, flat, &fe);
		if (!at)
			return r;
		first = blk->e;
		e = end = &blk->e[blk->n];
		base = cur->expect - icache_block_offset(blk, cur->i);
		if (at == cur->expect) {
			e = &blk->e[cur->i];
			cfe = fe;
			if (!icache_entries_equal(e, end, at))
				return r; /* step() finds the changed one */
		}
		ic0 = start - (uint64_t)(e - first);
		run_n = blk->n;
	}
	/* the kernel or the bus may have written guest memory since the loop last ran */
	cpu->code_epoch++;
	cpu->code_written = false;
	cpu->rip_redirect = false;
	cpu->side_exit = false;
	/* the end of what runs without a look at anything but loop_break: the block's end,
	 * or the instruction limit's entry in it; NULL: the next block is to be found */
	struct icache_entry *lim = e ? entries_to_run(e, end, start, stop) : NULL;
	for (;;) {
		/* one loop for the instructions and the steps between blocks, so that the
		 * compiler keeps the same registers for both */
		if (unlikely(e >= lim)) {
			if (e < end)
				break; /* the instruction limit */
			const uint64_t ic = ic0 + run_n; /* IC() at the block's end */
			struct tlb_fast_entry *fe = cfe;
			const uint8_t *at;
			if (!flat && rip > m->seg.sreg[SEG_CS].limit)
				break;
			if (flat && cfe && (rip & ~0xfffULL) == cfe->tag)
				at = (const uint8_t *)(uintptr_t)(rip + cfe->addend); /* same page */
			else if (!(at = fetch_fast(m, rip, flat, &fe)))
				break;
			if (at == base && blk->checked == cpu->code_epoch &&
			    likely(!(blk->cross | blk->watch))) {
				/* a loop back to the start of the block just run: the same
				 * block, page and fast entry, its bytes compared in this epoch
				 * (a watched block's exits are counted on the way below) */
				if (use_jit && jit)
					jit_chain_add(blk, blk, rip, at);
				e = first;
				ic0 = ic;
				run_n = blk->n; /* (a side exit may have ended the last pass early) */
				end = &blk->e[run_n];
				lim = entries_to_run(e, end, ic, stop);
				if (unlikely(e == lim))
					break;
				continue;
			}
			struct icache_block *next = NULL;
			if (likely(blk != NULL)) {
				next = icache_link_follow(&blk->link[0], at);
				if (!next)
					next = icache_link_follow(&blk->link[1], at);
			}
			if (!next) {
				next = icache_lookup(cpu->icache, (uint64_t)(at - cpu->ram), mode);
				if (!next || next->sync || (traced && next->cross))
					break;
				if (blk)
					icache_link_add(blk, next, at);
			}
			if (unlikely(blk != NULL && blk->watch))
				block_watch(cpu, blk, base, at);
			if (next->checked != cpu->code_epoch) {
				if (!icache_block_equal(next, at))
					break;
				next->checked = cpu->code_epoch;
			}
			/* none while blk is watched, so that its code comes back here with each
			 * exit: a block is watched from when it is made or grown, before any
			 * chain, so a watched block has none (cpu/jit.c tests no watch flag) */
			if (use_jit && jit && blk != NULL && !blk->watch)
				jit_chain_add(blk, next, rip, at);
			struct tlb_fast_entry *fe2 = NULL; /* a crossing instruction's second page */
			if (unlikely(next->cross) &&
			    !(fe2 = crossing_second_page(m, next, rip, mode, flat)))
				break;
			blk = next;
			e = first = blk->e;
			ic0 = ic;
			run_n = blk->n;
			end = &blk->e[run_n];
			base = at;
			fetch_count_page_change(m, &cfe, &counted, fe, ic);
			if (unlikely(fe2 != NULL))
				fetch_count_crossing(m, cfe, &counted, fe2, blk, ic);
			lim = entries_to_run(e, end, ic, stop);
			if (unlikely(e == lim))
				break;
		}
		if (use_jit && jit && likely(lim == end)) {
			/* the block's host code runs its entries from e on (cpu/jit.h) */
			if (unlikely(blk->jit_n != blk->n) &&
			    (++blk->jit_heat < JIT_HOT ||
			     !jit_block_build(cpu->icache->jit, (unsigned)(blk - cpu->icache->block),
					      blk, mode)))
				goto one_entry;
			const uint8_t *code = blk->jit_code;
			uint64_t brip = rip;
			if (e != first) {
				unsigned i = (unsigned)(e - first);
				code += blk->jit_at[i];
				brip -= blk->off[i];
			}
			cpu->jit_ic0 = ic0;
			cpu->jit_counted = counted;
			cpu->jit_cfe = cfe;
			unsigned res = jit_run(jit, cpu, code, brip, stop - (ic0 + run_n));
			if (cpu->jit_blk) {
				/* it went on to chained blocks and stopped in jit_blk */
				blk = cpu->jit_blk;
				cpu->jit_blk = NULL;
				ic0 = cpu->jit_ic0;
				counted = cpu->jit_counted;
				cfe = cpu->jit_cfe;
				brip = cpu->jit_brip;
				base = (const uint8_t *)(uintptr_t)(brip + cfe->addend);
				first = blk->e;
				run_n = blk->n;
				end = lim = &blk->e[run_n];
			}
			e = (struct icache_entry *)((uint8_t *)first + (res & JIT_OFFSET_MASK));
			if (unlikely(res & JIT_FAULT)) {
				rip = brip + blk->off[e - first];
				goto fault;
			}
			rip = cpu->next_rip;
			if (unlikely(res & JIT_BREAK))
				goto loop_break;
			continue;
		}
	one_entry:
		if (!flat && rip > m->seg.sreg[SEG_CS].limit)
			goto out;
		uint64_t next_rip = rip + e->in.len;
		if (mode != X86_MODE_64)
			next_rip &= mode == X86_MODE_32 ? 0xffffffffULL : 0xffffULL;
		cpu->next_rip = next_rip;
		if (traced) {
			/* a trace has each fetch before the accesses its instruction makes (the
			 * tracer tells pending fetch hits as a run before its next event) */
			uint64_t fetched = IC() + 1;
			mmu_fast_count_n(m, cfe, MMU_FETCH, fetched - counted);
			counted = fetched;
		}
		if (unlikely(!e->fn(cpu, &e->in))) {
		fault:;
			/* the faulting instruction's fetch counts; it does not retire */
			uint64_t ic = IC();
			if (ic + 1 != counted)
				mmu_fast_count_n(m, cfe, MMU_FETCH, ic + 1 - counted);
			cfe = NULL;
			cpu->rip = rip;
			cpu->icount = ic;
			r = deliver_fault(cpu);
			base = NULL;
			(*n)++; /* a step that faulted */
			goto delivered;
		}
		rip = cpu->next_rip;
		e++;
		if (unlikely(cpu->loop_break)) {
		loop_break:
			if (cpu->exit_request)
				goto out;
			if (cpu->side_exit) {
				/* a branch taken inside a grown block: its run ends here */
				cpu->side_exit = false;
				run_n = (unsigned)(e - first);
				end = lim = e;
				continue;
			}
			if (cpu->rip_redirect) {
				/* the instruction runs again: the cursor goes back to it (each
				 * chunk counts as an instruction, as in step()) */
				cpu->rip_redirect = false;
				e--;
				ic0++;
				goto out;
			}
			/* a store into code: the block's remaining instructions compared */
			cpu->code_written = false;
			if (!icache_entries_equal(
				e, end, base + icache_block_offset(blk, (unsigned)(e - blk->e))))
				goto out;
		}
	}
out:
	cpu->rip = rip;
	cpu->icount = IC();
delivered:
	if (cfe && cpu->icount != counted)
		mmu_fast_count_n(m, cfe, MMU_FETCH, cpu->icount - counted);
	cur->expect = NULL;
	if (base) {
		cur->blk = blk;
		cur->i = (unsigned)(e - blk->e);
		cur->expect = base + icache_block_offset(blk, cur->i);
	}
	*n += cpu->icount - start;
	return r;
#undef IC
}

/* True when CS maps RIP to the same linear address and never limits it: base 0, limit
 * 4 GiB - 1 (what Linux gives 32-bit programs). Only a far transfer or a return to
 * another privilege level loads CS, and those leave run_block. */
static inline bool cs_flat(const struct cpu *cpu)
{
	const struct seg_cache *cs = &cpu->mmu->seg.sreg[SEG_CS];
	return cs->base == 0 && cs->limit == 0xffffffffULL;
}

/* The copies of run_block, each a function of its own, so that each gets the registers
 * for its own loop. */
static __attribute__((noinline)) int run_block_64(struct cpu *cpu, struct fetch_cursor *cur,
						  uint64_t *n, uint64_t limit)
{
	return run_block(cpu, cur, n, limit, X86_MODE_64, false, true, true);
}

static __attribute__((noinline)) int run_block_32_flat(struct cpu *cpu, struct fetch_cursor *cur,
						       uint64_t *n, uint64_t limit)
{
	return run_block(cpu, cur, n, limit, X86_MODE_32, false, true, true);
}

static __attribute__((noinline)) int run_block_64_traced(struct cpu *cpu,
							 struct fetch_cursor *cur, uint64_t *n,
							 uint64_t limit)
{
	return run_block(cpu, cur, n, limit, X86_MODE_64, true, true, false);
}

static __attribute__((noinline)) int run_block_any(struct cpu *cpu, struct fetch_cursor *cur,
						   uint64_t *n, uint64_t limit)
{
	return run_block(cpu, cur, n, limit, cpu->mode, cpu->mmu->tracer != NULL, false, false);
}

static enum cpu_exit run_loop(struct cpu *cpu, uint64_t max_insns)
{
	cpu->halted = false;
	cpu->exit_request = 0;
	struct fetch_cursor cur = {NULL, 0, NULL};
	uint64_t limit = max_insns ? max_insns : UINT64_MAX;
	for (uint64_t n = 0; n < limit;) {
		int r = step(cpu, &cur);
		n++;
		if (likely(r == STEP_CONTINUE) && likely(!cpu->exit_request)) {
			/* copies of the loop for 64-bit code and for 32-bit code with a flat
			 * CS, without a tracer, where the mode, the tracer and the CS checks
			 * are constants; one for everything else */
			bool plain = likely(cpu->mmu->tracer == NULL);
			if (likely(cpu->mode == X86_MODE_64) && plain)
				r = run_block_64(cpu, &cur, &n, limit);
			else if (cpu->mode == X86_MODE_32 && plain && cs_flat(cpu))
				r = run_block_32_flat(cpu, &cur, &n, limit);
			else if (cpu->mode == X86_MODE_64)
				r = run_block_64_traced(cpu, &cur, &n, limit);
			else
				r = run_block_any(cpu, &cur, &n, limit);
		}
		if (unlikely(r != STEP_CONTINUE || cpu->exit_request)) {
			if (cpu->shutdown)
				return CPU_EXIT_SHUTDOWN;
			if (r != STEP_CONTINUE)
				return (enum cpu_exit)r;
			return (enum cpu_exit)(cpu->exit_request - 1);
		}
	}
	return CPU_EXIT_LIMIT;
}

/* The loop, leaving RFLAGS architectural in cpu->rflags (cpu/flags.h) and the guest's FPU
 * state in struct cpu (the host FPU may hold it while guest code runs: cpu/fpu_owner.c). */
enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max_insns)
{
	if (cpu->shutdown)
		return CPU_EXIT_SHUTDOWN; /* only a reset brings it back */
	enum cpu_exit x = run_loop(cpu, max_insns);
	cpu_flags_sync(cpu);
	cpu_fpu_sync(cpu);
	return x;
}

enum cpu_exit cpu_step(struct cpu *cpu)
{
	enum cpu_exit x = step_one(cpu);
	cpu_fpu_sync(cpu);
	return x;
}

void cpu_icache_invalidate_phys(struct cpu *cpu, uint64_t pa, uint64_t len)
{
	struct icache *ic = cpu->icache;
	uint64_t first = pa >> 12, last = (pa + len - 1) >> 12;
	if (len == 0)
		return;
	/* Cheap for pages without cached code: the kernel may call this on every frame it
	 * frees or fills. */
	for (uint64_t p = first; p <= last && p < ic->nr_pages; p++)
		if (icache_page_has_code(ic, p))
			icache_drop_page(ic, p << 12);
}

bool cpu_set_jit(struct cpu *cpu, bool on)
{
	struct icache *ic = cpu->icache;
	if (on == (ic->jit != NULL))
		return on;
	jit_destroy(ic->jit);
	ic->jit = on ? jit_create(ICACHE_BLOCKS) : NULL;
	/* the code of the blocks in use, if any, went with the old mapping (a slot without a
	 * block is not looked at: its block array pages stay uncommitted until used) */
	for (unsigned s = 0; s < ICACHE_BLOCKS; s++)
		if (ic->tag[s])
			ic->block[s].jit_n = 0;
	return ic->jit != NULL;
}

void cpu_icache_flush(struct cpu *cpu)
{
	icache_drop_all(cpu->icache);
}

void cpu_dump(const struct cpu *cpu, FILE *out)
{
	static const char *const names[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
					      "RSI", "RDI", "R8 ", "R9 ", "R10", "R11",
					      "R12", "R13", "R14", "R15"};
	for (int i = 0; i < 16; i++)
		fprintf(out, "%s=%016llx%s", names[i], (unsigned long long)cpu->gpr[i],
			i % 4 == 3 ? "\n" : " ");
	fprintf(out, "RIP=%016llx RFL=%08llx CPL=%u CS=%04x mode=%u\n",
		(unsigned long long)cpu->rip, (unsigned long long)cpu_rflags(cpu), cpu->mmu->cpl,
		cpu->mmu->seg.sreg[SEG_CS].selector, cpu->mode);
}
