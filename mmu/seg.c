/*
 * The segmentation unit: descriptor decoding, segment-register loads with the checks of
 * MOV/POP Sreg, far JMP/RET, LLDT and LTR (SDM volume 2), and the per-access limit and
 * type checks of SDM volume 3, 5.3-5.6; in IA-32e mode the 64-bit rules of 3.4.4 and
 * 5.3.1 (bases ignored except FS and GS, no limits, canonical addresses).
 *
 * Descriptor tables are read through paging as implicit supervisor accesses, so a table
 * in an unmapped page raises #PF and SMAP applies, as on hardware.
 */
#include "mmu/mmu_internal.h"

/* A selector's error code: index and TI, with the EXT and IDT bits clear. */
static uint32_t sel_err(uint16_t sel)
{
	return sel & 0xfffcu;
}

static bool is_null(uint16_t sel)
{
	return (sel & 0xfffcu) == 0;
}

void seg_decode(uint64_t lo, uint64_t hi, bool long_sys, struct seg_cache *d)
{
	uint32_t w0 = (uint32_t)lo, w1 = (uint32_t)(lo >> 32);
	uint32_t limit = (w0 & 0xffff) | (w1 & 0xf0000);
	memset(d, 0, sizeof(*d));
	d->base = (w0 >> 16) | ((w1 & 0xff) << 16) | (w1 & 0xff000000u);
	d->type = (w1 >> 8) & 0xf;
	d->s = (w1 >> 12) & 1;
	d->dpl = (w1 >> 13) & 3;
	d->p = (w1 >> 15) & 1;
	d->avl = (w1 >> 20) & 1;
	d->l = (w1 >> 21) & 1;
	d->db = (w1 >> 22) & 1;
	d->g = (w1 >> 23) & 1;
	d->limit = d->g ? (limit << 12) | 0xfff : limit;
	if (long_sys && !d->s)
		d->base |= (hi & 0xffffffffULL) << 32;
	d->usable = true;
}

uint64_t seg_encode(uint32_t base, uint32_t limit, uint8_t type, bool s, uint8_t dpl, bool p,
		    bool avl, bool l, bool db, bool g)
{
	uint64_t w0 = (limit & 0xffff) | ((uint64_t)(base & 0xffff) << 16);
	uint64_t w1 = ((base >> 16) & 0xff) | ((uint64_t)(type & 0xf) << 8) | ((uint64_t)s << 12) |
		      ((uint64_t)(dpl & 3) << 13) | ((uint64_t)p << 15) | (limit & 0xf0000) |
		      ((uint64_t)avl << 20) | ((uint64_t)l << 21) | ((uint64_t)db << 22) |
		      ((uint64_t)g << 23) | (base & 0xff000000u);
	return w0 | (w1 << 32);
}

bool seg_in_64bit_mode(const struct mmu *m)
{
	return (m->efer & EFER_LMA) && m->seg.sreg[SEG_CS].l;
}

bool seg_in_compat_mode(const struct mmu *m)
{
	return (m->efer & EFER_LMA) && !m->seg.sreg[SEG_CS].l;
}

static void flat_real(struct seg_cache *c, uint8_t type)
{
	*c =
	    (struct seg_cache){.limit = 0xffff, .type = type, .s = true, .p = true, .usable = true};
}

void seg_reset(struct mmu *m)
{
	memset(&m->seg, 0, sizeof(m->seg));
	for (int r = 0; r < SEG_NR; r++)
		flat_real(&m->seg.sreg[r], SEG_TYPE_W | SEG_TYPE_A);
	flat_real(&m->seg.sreg[SEG_CS], SEG_TYPE_CODE | SEG_TYPE_R | SEG_TYPE_A);
	m->seg.gdtr.limit = 0xffff;
	m->seg.idtr.limit = 0xffff;
	flat_real(&m->seg.tr, SEG_SYS_TSS_BUSY);
	m->seg.tr.s = false;
}

/* Linear address of a descriptor-table entry (wraps at 4 GiB outside IA-32e mode). */
static uint64_t table_la(const struct mmu *m, uint64_t base, uint64_t off)
{
	uint64_t la = base + off;
	return (m->efer & EFER_LMA) ? la : la & 0xffffffffULL;
}

/*
 * Reads the descriptor sel selects (16 bytes when wide) into *d, with the table limit
 * check (#GP(sel)) and the table read (#PF). *la receives the descriptor's address.
 */
static bool read_desc(struct mmu *m, uint16_t sel, bool wide, struct seg_cache *d, uint64_t *la,
		      struct x86_fault *f)
{
	uint64_t base = m->seg.gdtr.base, limit = m->seg.gdtr.limit, lo, hi = 0;
	if (sel & SEL_TI) {
		if (!m->seg.ldtr.usable)
			return mmu_fault_gp(f, false, sel_err(sel));
		base = m->seg.ldtr.base;
		limit = m->seg.ldtr.limit;
	}
	uint64_t off = sel & ~7u;
	if (off + (wide ? 15 : 7) > limit)
		return mmu_fault_gp(f, false, sel_err(sel));
	*la = table_la(m, base, off);
	if (!mmu_read(m, *la, 8, &lo, MMU_IMPLICIT, f))
		return false;
	if (wide && !mmu_read(m, table_la(m, base, off + 8), 8, &hi, MMU_IMPLICIT, f))
		return false;
	seg_decode(lo, hi, wide, d);
	d->selector = sel;
	return true;
}

/* Sets bit set (Accessed, or TSS busy) of the type field in memory and in *d, if clear. */
static bool mark_desc(struct mmu *m, uint64_t la, struct seg_cache *d, uint8_t set,
		      struct x86_fault *f)
{
	if ((d->type & set) == set)
		return true;
	uint64_t b;
	if (!mmu_read(m, la + 5, 1, &b, MMU_IMPLICIT, f) ||
	    !mmu_write(m, la + 5, 1, b | set, MMU_IMPLICIT, f))
		return false;
	d->type |= set;
	return true;
}

/* SS load checks at privilege cpl (MOV SS, and the SS of a return to an outer level). */
static bool check_ss(struct mmu *m, uint16_t sel, unsigned cpl, struct seg_cache *d,
		     struct x86_fault *f)
{
	uint64_t la = 0;
	if (is_null(sel)) {
		/* 64-bit mode allows a null SS below CPL 3 with RPL = CPL. */
		if (seg_in_64bit_mode(m) && cpl != 3 && SEL_RPL(sel) == cpl) {
			*d = (struct seg_cache){.selector = sel, .dpl = (uint8_t)cpl};
			return true;
		}
		return mmu_fault_gp(f, false, 0);
	}
	if (!read_desc(m, sel, false, d, &la, f))
		return false;
	bool writable_data = d->s && !(d->type & SEG_TYPE_CODE) && (d->type & SEG_TYPE_W);
	if (SEL_RPL(sel) != cpl || !writable_data || d->dpl != cpl)
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!d->p)
		return mmu_fault(f, X86_VEC_SS, sel_err(sel));
	return mark_desc(m, la, d, SEG_TYPE_A, f);
}

/* DS/ES/FS/GS load checks (MOV Sreg). */
static bool check_data(struct mmu *m, uint16_t sel, struct seg_cache *d, struct x86_fault *f)
{
	uint64_t la;
	if (is_null(sel)) {
		*d = (struct seg_cache){.selector = sel};
		return true;
	}
	if (!read_desc(m, sel, false, d, &la, f))
		return false;
	bool code = d->type & SEG_TYPE_CODE;
	if (!d->s || (code && !(d->type & SEG_TYPE_R)))
		return mmu_fault_gp(f, false, sel_err(sel));
	bool conforming = code && (d->type & SEG_TYPE_C);
	if (!conforming && (SEL_RPL(sel) > d->dpl || m->cpl > d->dpl))
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!d->p)
		return mmu_fault(f, X86_VEC_NP, sel_err(sel));
	return mark_desc(m, la, d, SEG_TYPE_A, f);
}

bool seg_load(struct mmu *m, enum seg_reg reg, uint16_t sel, struct x86_fault *f)
{
	struct seg_cache d;
	if (reg == SEG_CS || (unsigned)reg >= SEG_NR) {
		*f = (struct x86_fault){.vector = X86_VEC_UD};
		return false;
	}
	if (!(m->cr0 & CR0_PE)) { /* real mode: base = selector * 16, the rest stays */
		m->seg.sreg[reg].selector = sel;
		m->seg.sreg[reg].base = (uint64_t)sel << 4;
		m->seg.sreg[reg].usable = true;
		return true;
	}
	if (!(reg == SEG_SS ? check_ss(m, sel, m->cpl, &d, f) : check_data(m, sel, &d, f)))
		return false;
	m->seg.sreg[reg] = d;
	return true;
}

/* Code-segment checks common to far transfers: a present code segment. */
static bool read_code_desc(struct mmu *m, uint16_t sel, struct seg_cache *d, uint64_t *la,
			   struct x86_fault *f)
{
	if (is_null(sel))
		return mmu_fault_gp(f, false, 0);
	if (!read_desc(m, sel, false, d, la, f))
		return false;
	if (!d->s || !(d->type & SEG_TYPE_CODE))
		return mmu_fault_gp(f, false, sel_err(sel));
	return true;
}

bool seg_load_cs_far(struct mmu *m, uint16_t sel, struct x86_fault *f)
{
	struct seg_cache d;
	uint64_t la = 0;
	if (!read_code_desc(m, sel, &d, &la, f))
		return false;
	bool conforming = d.type & SEG_TYPE_C;
	if (conforming ? d.dpl > m->cpl : (SEL_RPL(sel) > m->cpl || d.dpl != m->cpl))
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!d.p)
		return mmu_fault(f, X86_VEC_NP, sel_err(sel));
	if ((m->efer & EFER_LMA) && d.l && d.db)
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!mark_desc(m, la, &d, SEG_TYPE_A, f))
		return false;
	d.selector = (uint16_t)((sel & ~3u) | m->cpl);
	m->seg.sreg[SEG_CS] = d;
	return true;
}

/* After a return to an outer level: data registers the new CPL may not use become null
 * (SDM RET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
static void null_inaccessible(struct mmu *m)
{
	static const enum seg_reg regs[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		struct seg_cache *c = &m->seg.sreg[regs[i]];
		bool conf_code = (c->type & SEG_TYPE_CODE) && (c->type & SEG_TYPE_C);
		if (c->usable && !conf_code && c->dpl < m->cpl) {
			c->usable = false;
			c->selector = 0;
		}
	}
}

bool seg_load_cs_ret(struct mmu *m, uint16_t cs_sel, uint16_t ss_sel, struct x86_fault *f)
{
	struct seg_cache cs, ss;
	uint64_t la;
	unsigned rpl = SEL_RPL(cs_sel);
	if (rpl < m->cpl)
		return mmu_fault_gp(f, false, sel_err(cs_sel));
	if (!read_code_desc(m, cs_sel, &cs, &la, f))
		return false;
	bool conforming = cs.type & SEG_TYPE_C;
	if (conforming ? cs.dpl > rpl : cs.dpl != rpl)
		return mmu_fault_gp(f, false, sel_err(cs_sel));
	if (!cs.p)
		return mmu_fault(f, X86_VEC_NP, sel_err(cs_sel));
	if (rpl > m->cpl && !check_ss(m, ss_sel, rpl, &ss, f))
		return false;
	if (!mark_desc(m, la, &cs, SEG_TYPE_A, f))
		return false;
	m->seg.sreg[SEG_CS] = cs;
	if (rpl > m->cpl) {
		m->seg.sreg[SEG_SS] = ss;
		mmu_set_cpl(m, rpl);
		null_inaccessible(m);
	}
	return true;
}

/* Reads a system descriptor from the GDT for LLDT/LTR (16 bytes in IA-32e mode). */
static bool read_sys_desc(struct mmu *m, uint16_t sel, struct seg_cache *d, uint64_t *la,
			  struct x86_fault *f)
{
	if (sel & SEL_TI)
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!read_desc(m, sel, (m->efer & EFER_LMA) != 0, d, la, f))
		return false;
	return true;
}

bool seg_lldt(struct mmu *m, uint16_t sel, struct x86_fault *f)
{
	struct seg_cache d;
	uint64_t la;
	if (is_null(sel)) {
		m->seg.ldtr = (struct seg_cache){.selector = sel};
		return true;
	}
	if (!read_sys_desc(m, sel, &d, &la, f))
		return false;
	if (d.s || d.type != SEG_SYS_LDT)
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!d.p)
		return mmu_fault(f, X86_VEC_NP, sel_err(sel));
	m->seg.ldtr = d;
	return true;
}

bool seg_ltr(struct mmu *m, uint16_t sel, struct x86_fault *f)
{
	struct seg_cache d;
	uint64_t la;
	if (is_null(sel))
		return mmu_fault_gp(f, false, 0);
	if (!read_sys_desc(m, sel, &d, &la, f))
		return false;
	bool lma = m->efer & EFER_LMA;
	bool avail = d.type == SEG_SYS_TSS_AVAIL || (!lma && d.type == SEG_SYS_TSS16_AVAIL);
	if (d.s || !avail)
		return mmu_fault_gp(f, false, sel_err(sel));
	if (!d.p)
		return mmu_fault(f, X86_VEC_NP, sel_err(sel));
	if (!mark_desc(m, la, &d, 2, f)) /* type bit 1: busy */
		return false;
	m->seg.tr = d;
	return true;
}

void seg_set_cache(struct mmu *m, enum seg_reg reg, const struct seg_cache *c)
{
	m->seg.sreg[reg] = *c;
}

void seg_set_base(struct mmu *m, enum seg_reg reg, uint64_t base)
{
	m->seg.sreg[reg].base = base;
}

/* Limit check: is [off, off+size) inside the segment? */
static bool within_limit(const struct seg_cache *s, uint64_t off, unsigned size)
{
	uint64_t last = off + size - 1;
	bool expand_down = !(s->type & SEG_TYPE_CODE) && (s->type & SEG_TYPE_E);
	if (expand_down) /* valid offsets: limit+1 .. 0xffff or 0xffffffff */
		return off > s->limit && last <= (s->db ? 0xffffffffULL : 0xffffULL);
	return last <= s->limit;
}

/* Type check of an access kind against a usable segment. */
static bool type_allows(const struct seg_cache *s, unsigned kind)
{
	bool code = s->type & SEG_TYPE_CODE;
	if (kind == MMU_WRITE)
		return !code && (s->type & SEG_TYPE_W);
	if (kind == MMU_READ)
		return !code || (s->type & SEG_TYPE_R);
	return code;
}

bool seg_linear(struct mmu *m, enum seg_reg reg, uint64_t off, unsigned size, unsigned kind,
		uint64_t *la, struct x86_fault *f)
{
	const struct seg_cache *s = &m->seg.sreg[reg];
	bool ss = reg == SEG_SS;
	if (seg_in_64bit_mode(m)) {
		*la = ((reg == SEG_FS || reg == SEG_GS) ? s->base : 0) + off;
		if (!mmu_canonical(m, *la)) {
			m->st.gp_canonical++;
			return mmu_fault_gp(f, ss, 0);
		}
		return true;
	}
	if (!(m->cr0 & CR0_PE)) {
		if (!within_limit(s, off, size))
			return mmu_fault_gp(f, ss, 0);
		*la = (s->base + off) & 0xffffffffULL;
		return true;
	}
	if (!s->usable || !type_allows(s, kind & MMU_KIND_MASK) || !within_limit(s, off, size))
		return mmu_fault_gp(f, ss, 0);
	*la = (s->base + off) & 0xffffffffULL;
	return true;
}

/* Writes n descriptors at guest physical pa; returns the GDTR limit or -1. */
static int write_table(struct phys_bus *bus, uint64_t pa, const uint64_t *desc, unsigned n)
{
	void *p = bus_ram_ptr(bus, pa, (uint64_t)n * 8);
	if (!p)
		return -1;
	memcpy(p, desc, (size_t)n * 8);
	return (int)(n * 8 - 1);
}

/* Flat 4 GiB code/data descriptors with the Accessed bit preset, as Linux's GDT_ENTRY_INIT
 * values (arch/x86/kernel/cpu/common.c, gdt_page). */
#define DESC_FLAT(type, dpl, l, db)                                                                \
	seg_encode(0, 0xfffff, (type) | SEG_TYPE_A, true, dpl, true, false, l, db, true)
#define CODE_RX (SEG_TYPE_CODE | SEG_TYPE_R)

int seg_write_linux_gdt64(struct phys_bus *bus, uint64_t pa, uint64_t tss_base, uint32_t tss_limit)
{
	uint64_t gdt[GDT_ENTRIES] = {0};
	gdt[GDT_ENTRY_KERNEL32_CS] = DESC_FLAT(CODE_RX, 0, false, true);
	gdt[GDT_ENTRY_KERNEL_CS] = DESC_FLAT(CODE_RX, 0, true, false);
	gdt[GDT_ENTRY_KERNEL_DS] = DESC_FLAT(SEG_TYPE_W, 0, false, true);
	gdt[GDT_ENTRY_DEFAULT_USER32_CS] = DESC_FLAT(CODE_RX, 3, false, true);
	gdt[GDT_ENTRY_DEFAULT_USER_DS] = DESC_FLAT(SEG_TYPE_W, 3, false, true);
	gdt[GDT_ENTRY_DEFAULT_USER_CS] = DESC_FLAT(CODE_RX, 3, true, false);
	gdt[GDT_ENTRY_TSS] = seg_encode((uint32_t)tss_base, tss_limit, SEG_SYS_TSS_AVAIL, false, 0,
					true, false, false, false, false);
	gdt[GDT_ENTRY_TSS + 1] = tss_base >> 32;
	/* setup_getcpu(): read-only expand-down data, DPL 3, limit = cpu | node << 12. */
	gdt[GDT_ENTRY_CPUNODE] =
	    seg_encode(0, 0, SEG_TYPE_E | SEG_TYPE_A, true, 3, true, false, false, true, false);
	return write_table(bus, pa, gdt, GDT_ENTRIES);
}

int seg_write_linux_gdt32(struct phys_bus *bus, uint64_t pa, uint32_t tss_base, uint32_t tss_limit)
{
	uint64_t gdt[GDT32_ENTRIES] = {0};
	gdt[GDT32_ENTRY_KERNEL_CS] = DESC_FLAT(CODE_RX, 0, false, true);
	gdt[GDT32_ENTRY_KERNEL_DS] = DESC_FLAT(SEG_TYPE_W, 0, false, true);
	gdt[GDT32_ENTRY_DEFAULT_USER_CS] = DESC_FLAT(CODE_RX, 3, false, true);
	gdt[GDT32_ENTRY_DEFAULT_USER_DS] = DESC_FLAT(SEG_TYPE_W, 3, false, true);
	gdt[GDT32_ENTRY_TSS] = seg_encode(tss_base, tss_limit, SEG_SYS_TSS_AVAIL, false, 0, true,
					  false, false, false, false);
	gdt[GDT32_ENTRY_PERCPU] = DESC_FLAT(SEG_TYPE_W, 0, false, true);
	return write_table(bus, pa, gdt, GDT32_ENTRIES);
}
