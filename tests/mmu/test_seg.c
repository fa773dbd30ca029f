/*
 * Segmentation: descriptor decoding, the load rules of MOV Sreg / far JMP / RET / LLDT /
 * LTR, and the per-access limit and type checks, as rule tables written from the SDM
 * (volume 2 instruction pseudo-code, volume 3 chapters 3 and 5).
 */
#include "tests/mmu/mmu_test_env.h"

#define GDT_PA 0x1000ULL
#define TSS_PA 0x3000ULL
#define FIRST_FREE 16 /* test descriptors go after Linux's 16 entries */
#define NDESC 48

/* Protected mode (no paging) with Linux's GDT plus room for test descriptors. */
static void setup_pm(struct env *e, unsigned cpl)
{
	struct x86_fault f;
	env_init(e);
	assert_int_equal(seg_write_linux_gdt64(&e->bus, GDT_PA, TSS_PA, 0x67), 127);
	e->m.seg.gdtr = (struct dtr){GDT_PA, NDESC * 8 - 1};
	env_ok(mmu_set_cr0(&e->m, CR0_PE, &f));
	mmu_set_cpl(&e->m, cpl);
}

/* Identity-maps the first 16 MiB with supervisor 2M pages and enters IA-32e mode with
 * CS = __KERNEL_CS (64-bit) or __USER32_CS (compatibility). */
static void setup_long(struct env *e, bool compat)
{
	struct seg_cache cs;
	env_init(e);
	assert_int_equal(seg_write_linux_gdt64(&e->bus, GDT_PA, TSS_PA, 0x67), 127);
	e->m.seg.gdtr = (struct dtr){GDT_PA, NDESC * 8 - 1};
	uint64_t root = env_table(e);
	for (uint64_t pa = 0; pa < ENV_RAM; pa += 1 << 21)
		env_map64(e, root, 4, pa, pa, 21, PTE_P | PTE_RW, PTE_P | PTE_RW | PTE_US, NULL);
	env_long_mode(e, false, root, 0);
	uint64_t raw;
	memcpy(&raw, e->bus.ram + GDT_PA + ((compat ? __USER32_CS : __KERNEL_CS) & ~7), 8);
	seg_decode(raw, 0, false, &cs);
	seg_set_cache(&e->m, SEG_CS, &cs);
}

static void put_desc(struct env *e, unsigned index, uint64_t d)
{
	wr64(e, GDT_PA + index * 8ULL, d);
}

/* A descriptor of the test tables: flat 4 GiB unless said otherwise. */
static uint64_t desc(uint8_t type, bool s, uint8_t dpl, bool p)
{
	return seg_encode(0, 0xfffff, type, s, dpl, p, false, false, true, true);
}

#define DATA_RW (SEG_TYPE_W | SEG_TYPE_A)
#define DATA_RO SEG_TYPE_A
#define CODE_X (SEG_TYPE_CODE | SEG_TYPE_A)
#define CODE_RX (SEG_TYPE_CODE | SEG_TYPE_R | SEG_TYPE_A)
#define CODE_CONF (SEG_TYPE_CODE | SEG_TYPE_R | SEG_TYPE_C | SEG_TYPE_A)

enum expect { OK, GP_SEL, GP_0, NP_SEL, SS_SEL };

struct load_row {
	enum seg_reg reg;
	uint8_t type;
	bool s;
	uint8_t dpl;
	bool p;
	unsigned rpl;
	unsigned cpl;
	enum expect want;
};

/* MOV DS/SS pseudo-code, SDM volume 2 "MOV—Move" (protected mode). */
static const struct load_row load_rows[] = {
    {SEG_DS, DATA_RW, true, 3, true, 3, 3, OK},
    {SEG_DS, DATA_RO, true, 3, true, 3, 3, OK},
    {SEG_DS, DATA_RW, true, 0, true, 0, 3, GP_SEL},	 /* CPL > DPL */
    {SEG_DS, DATA_RW, true, 0, true, 3, 0, GP_SEL},	 /* RPL > DPL */
    {SEG_DS, DATA_RW, true, 2, true, 1, 2, OK},		 /* RPL, CPL <= DPL */
    {SEG_DS, DATA_RW, true, 3, false, 3, 3, NP_SEL},	 /* not present */
    {SEG_DS, CODE_X, true, 3, true, 3, 3, GP_SEL},	 /* execute-only code */
    {SEG_DS, CODE_RX, true, 3, true, 3, 3, OK},		 /* readable code */
    {SEG_DS, CODE_RX, true, 0, true, 3, 3, GP_SEL},	 /* non-conforming: DPL checked */
    {SEG_DS, CODE_CONF, true, 0, true, 3, 3, OK},	 /* conforming: not checked */
    {SEG_DS, SEG_SYS_LDT, false, 3, true, 3, 3, GP_SEL}, /* system descriptor */
    {SEG_FS, SEG_SYS_TSS_AVAIL, false, 3, true, 3, 3, GP_SEL},
    {SEG_SS, DATA_RW, true, 3, true, 3, 3, OK},
    {SEG_SS, DATA_RW, true, 0, true, 0, 0, OK},
    {SEG_SS, DATA_RO, true, 3, true, 3, 3, GP_SEL},  /* not writable */
    {SEG_SS, CODE_RX, true, 3, true, 3, 3, GP_SEL},  /* code */
    {SEG_SS, DATA_RW, true, 3, true, 0, 3, GP_SEL},  /* RPL != CPL */
    {SEG_SS, DATA_RW, true, 0, true, 3, 3, GP_SEL},  /* DPL != CPL */
    {SEG_SS, DATA_RW, true, 3, true, 3, 0, GP_SEL},  /* RPL, DPL != CPL */
    {SEG_SS, DATA_RW, true, 3, false, 3, 3, SS_SEL}, /* not present: #SS */
};

static void check_fault(const struct x86_fault *f, enum expect want, uint16_t sel)
{
	static const uint8_t vec[] = {0, X86_VEC_GP, X86_VEC_GP, X86_VEC_NP, X86_VEC_SS};
	assert_int_equal(f->vector, vec[want]);
	assert_true(f->has_error_code);
	assert_int_equal(f->error_code, want == GP_0 ? 0 : (sel & 0xfffc));
}

static void test_seg_load_rules_follow_mov_pseudocode(void **state)
{
	for (size_t i = 0; i < sizeof(load_rows) / sizeof(load_rows[0]); i++) {
		const struct load_row *r = &load_rows[i];
		struct env e;
		struct x86_fault f;
		setup_pm(&e, r->cpl);
		uint16_t sel = (uint16_t)(FIRST_FREE * 8 + r->rpl);
		put_desc(&e, FIRST_FREE, desc(r->type, r->s, r->dpl, r->p));
		struct seg_cache before = e.m.seg.sreg[r->reg];
		bool ok = seg_load(&e.m, r->reg, sel, &f);
		if (ok != (r->want == OK))
			fail_msg("row %zu: load %s", i, ok ? "succeeded" : "faulted");
		if (ok) {
			assert_int_equal(e.m.seg.sreg[r->reg].selector, sel);
			assert_int_equal(e.m.seg.sreg[r->reg].dpl, r->dpl);
			assert_true(e.m.seg.sreg[r->reg].usable);
		} else {
			check_fault(&f, r->want, sel);
			assert_memory_equal(&e.m.seg.sreg[r->reg], &before, sizeof(before));
		}
		env_destroy(&e);
	}
}

static void test_seg_load_null_selector_rules(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t la;
	setup_pm(&e, 3);
	assert_true(seg_load(&e.m, SEG_DS, 3, &f)); /* null, RPL 3 */
	assert_false(e.m.seg.sreg[SEG_DS].usable);
	assert_false(seg_linear(&e.m, SEG_DS, 0, 4, MMU_READ, &la, &f));
	check_fault(&f, GP_0, 0);
	assert_false(seg_load(&e.m, SEG_SS, 0, &f)); /* null SS outside 64-bit mode */
	check_fault(&f, GP_0, 0);
	assert_false(seg_load(&e.m, SEG_CS, __KERNEL_CS, &f)); /* MOV CS is #UD */
	assert_int_equal(f.vector, X86_VEC_UD);
	env_destroy(&e);

	setup_long(&e, false);
	assert_true(seg_load(&e.m, SEG_SS, 0, &f)); /* CPL 0, RPL 0 */
	assert_true(seg_linear(&e.m, SEG_SS, 0x1000, 8, MMU_WRITE, &la, &f));
	mmu_set_cpl(&e.m, 3);
	assert_false(seg_load(&e.m, SEG_SS, 3, &f)); /* CPL 3: refused */
	check_fault(&f, GP_0, 0);
	env_destroy(&e);
}

static void test_seg_selector_past_table_limit_raises_gp(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_pm(&e, 0);
	e.m.seg.gdtr.limit = 127;
	assert_true(seg_load(&e.m, SEG_DS, __KERNEL_DS, &f));
	assert_false(seg_load(&e.m, SEG_DS, 16 * 8, &f)); /* entry 16: bytes 128..135 */
	check_fault(&f, GP_SEL, 16 * 8);
	e.m.seg.gdtr.limit = 130; /* the entry must fit whole */
	assert_false(seg_load(&e.m, SEG_DS, 16 * 8, &f));
	assert_false(seg_load(&e.m, SEG_DS, 0xfff8, &f));
	check_fault(&f, GP_SEL, 0xfff8);
	/* TI = 1 with no LDT loaded. */
	assert_false(seg_load(&e.m, SEG_DS, 0x000c, &f));
	check_fault(&f, GP_SEL, 0x000c);
	env_destroy(&e);
}

static void test_seg_load_sets_accessed_bit_in_descriptor(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_pm(&e, 0);
	put_desc(&e, FIRST_FREE, desc(SEG_TYPE_W, true, 0, true));
	assert_true(seg_load(&e.m, SEG_ES, FIRST_FREE * 8, &f));
	assert_true(rd64(&e, GDT_PA + FIRST_FREE * 8) & (1ULL << 40));
	assert_true(e.m.seg.sreg[SEG_ES].type & SEG_TYPE_A);
	env_destroy(&e);
}

static void test_seg_accessed_bit_write_to_read_only_gdt_page_faults(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_long(&e, false);
	/* Remap the GDT's 2M page read-only (CR0.WP = 1): setting A must #PF. */
	uint64_t epa[4];
	env_map64(&e, e.m.cr3 & ~0xfffULL, 4, 0, 0, 21, PTE_P, ENV_ALL, epa);
	mmu_invlpg(&e.m, GDT_PA);
	put_desc(&e, FIRST_FREE, desc(SEG_TYPE_W, true, 3, true));
	mmu_set_cpl(&e.m, 3);
	assert_false(seg_load(&e.m, SEG_DS, FIRST_FREE * 8 + 3, &f));
	assert_int_equal(f.vector, X86_VEC_PF);
	/* An implicit supervisor write: U/S clear although CPL is 3. */
	assert_int_equal(f.error_code, PF_ERR_P | PF_ERR_W);
	assert_int_equal(f.cr2, GDT_PA + FIRST_FREE * 8 + 5);
	/* Linux presets A in its GDT, so its selectors load from a read-only GDT. */
	assert_true(seg_load(&e.m, SEG_DS, __USER_DS, &f));
	env_destroy(&e);
}

struct access_row {
	uint8_t type;
	uint32_t limit; /* raw 20-bit limit */
	bool g, db;
	enum seg_reg reg;
	uint64_t off;
	unsigned size;
	unsigned kind;
	bool ok;
};

/* SDM 5.3 (limit checking, expand-down) and 5.4 (type checking). */
static const struct access_row access_rows[] = {
    {DATA_RW, 0xfff, false, true, SEG_DS, 0xffc, 4, MMU_READ, true},
    {DATA_RW, 0xfff, false, true, SEG_DS, 0xffd, 4, MMU_READ, false},
    {DATA_RW, 0xfff, false, true, SEG_SS, 0xffd, 4, MMU_WRITE, false}, /* #SS(0) */
    {DATA_RW, 0xfff, false, true, SEG_DS, 0x1000, 1, MMU_READ, false},
    {DATA_RW, 0x1, true, true, SEG_DS, 0x1fff, 1, MMU_READ, true}, /* G: 0x1fff */
    {DATA_RW, 0x1, true, true, SEG_DS, 0x2000, 1, MMU_READ, false},
    {DATA_RW, 0xfffff, true, true, SEG_DS, 0xfffffffc, 4, MMU_WRITE, true},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, true, SEG_DS, 0xfff, 1, MMU_READ, false},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, true, SEG_DS, 0x1000, 4, MMU_READ, true},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, true, SEG_DS, 0xfffffffc, 4, MMU_READ, true},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, false, SEG_DS, 0xfffe, 2, MMU_READ, true},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, false, SEG_DS, 0xffff, 2, MMU_READ, false},
    {DATA_RW | SEG_TYPE_E, 0xfff, false, true, SEG_SS, 0x800, 4, MMU_WRITE, false},
    {DATA_RO, 0xfffff, true, true, SEG_DS, 0x100, 4, MMU_READ, true},
    {DATA_RO, 0xfffff, true, true, SEG_DS, 0x100, 4, MMU_WRITE, false},
    {CODE_RX, 0xfffff, true, true, SEG_DS, 0x100, 4, MMU_READ, true},
    {CODE_RX, 0xfffff, true, true, SEG_DS, 0x100, 4, MMU_WRITE, false},
    {CODE_X, 0xfffff, true, true, SEG_DS, 0x100, 4, MMU_READ, false},
    {CODE_X, 0xfff, false, true, SEG_CS, 0xffe, 2, MMU_FETCH, true},
    {CODE_X, 0xfff, false, true, SEG_CS, 0xfff, 2, MMU_FETCH, false},
};

static void test_seg_access_limit_and_type_checks(void **state)
{
	for (size_t i = 0; i < sizeof(access_rows) / sizeof(access_rows[0]); i++) {
		const struct access_row *r = &access_rows[i];
		struct env e;
		struct x86_fault f;
		struct seg_cache c;
		uint64_t la;
		setup_pm(&e, 0);
		seg_decode(seg_encode(0x10000, r->limit, r->type, true, 0, true, false, false,
				      r->db, r->g),
			   0, false, &c);
		seg_set_cache(&e.m, r->reg, &c);
		bool ok = seg_linear(&e.m, r->reg, r->off, r->size, r->kind, &la, &f);
		if (ok != r->ok)
			fail_msg("row %zu: %s", i, ok ? "allowed" : "refused");
		if (ok)
			assert_int_equal(la, (0x10000 + r->off) & 0xffffffffULL);
		else
			assert_int_equal(f.vector, r->reg == SEG_SS ? X86_VEC_SS : X86_VEC_GP);
		env_destroy(&e);
	}
}

static void test_seg_64bit_mode_ignores_bases_and_limits_except_fs_gs(void **state)
{
	struct env e;
	struct x86_fault f;
	struct seg_cache c;
	uint64_t la;
	setup_long(&e, false);
	assert_true(seg_in_64bit_mode(&e.m));
	seg_decode(seg_encode(0x5000, 0x10, DATA_RW, true, 0, true, false, false, true, false), 0,
		   false, &c);
	seg_set_cache(&e.m, SEG_DS, &c);
	seg_set_cache(&e.m, SEG_FS, &c);
	seg_set_base(&e.m, SEG_GS, 0xffff888000000000ULL);
	assert_true(seg_linear(&e.m, SEG_DS, 0x123456, 8, MMU_WRITE, &la, &f));
	assert_int_equal(la, 0x123456); /* base and limit ignored */
	assert_true(seg_linear(&e.m, SEG_FS, 0x10, 8, MMU_READ, &la, &f));
	assert_int_equal(la, 0x5010);
	assert_true(seg_linear(&e.m, SEG_GS, 0x20, 8, MMU_READ, &la, &f));
	assert_int_equal(la, 0xffff888000000020ULL);
	assert_false(seg_linear(&e.m, SEG_DS, 0x0000800000000000ULL, 8, MMU_READ, &la, &f));
	check_fault(&f, GP_0, 0);
	assert_false(seg_linear(&e.m, SEG_SS, 0x0000800000000000ULL, 8, MMU_READ, &la, &f));
	assert_int_equal(f.vector, X86_VEC_SS);
	env_destroy(&e);
}

static void test_seg_compat_mode_checks_limits_and_wraps(void **state)
{
	struct env e;
	struct x86_fault f;
	struct seg_cache c;
	uint64_t la;
	setup_long(&e, true);
	assert_true(seg_in_compat_mode(&e.m));
	seg_decode(seg_encode(0x5000, 0xfff, DATA_RW, true, 3, true, false, false, true, false), 0,
		   false, &c);
	seg_set_cache(&e.m, SEG_DS, &c);
	assert_false(seg_linear(&e.m, SEG_DS, 0x1000, 1, MMU_READ, &la, &f));
	seg_decode(
	    seg_encode(0xfffff000, 0xfffff, DATA_RW, true, 3, true, false, false, true, true), 0,
	    false, &c);
	seg_set_cache(&e.m, SEG_DS, &c);
	assert_true(seg_linear(&e.m, SEG_DS, 0x2000, 4, MMU_READ, &la, &f));
	assert_int_equal(la, 0x1000); /* 32-bit wrap-around */
	env_destroy(&e);
}

struct far_row {
	uint8_t type;
	uint8_t dpl;
	bool p, l, d;
	unsigned rpl, cpl;
	enum expect want;
};

/* JMP far to a code segment, SDM volume 2 "JMP" (no gates), in IA-32e mode. */
static const struct far_row far_rows[] = {
    {CODE_RX, 0, true, true, false, 0, 0, OK},
    {CODE_RX, 3, true, true, false, 3, 3, OK},
    {CODE_RX, 0, true, true, false, 0, 3, GP_SEL}, /* non-conforming DPL != CPL */
    {CODE_RX, 3, true, true, false, 3, 0, GP_SEL},
    {CODE_RX, 3, true, true, false, 0, 3, OK},	     /* RPL < CPL is fine */
    {CODE_RX, 0, true, true, false, 3, 0, GP_SEL},   /* RPL > CPL */
    {CODE_CONF, 0, true, true, false, 3, 3, OK},     /* conforming DPL <= CPL */
    {CODE_CONF, 3, true, true, false, 0, 0, GP_SEL}, /* conforming DPL > CPL */
    {DATA_RW, 0, true, false, false, 0, 0, GP_SEL},
    {CODE_RX, 0, false, true, false, 0, 0, NP_SEL},
    {CODE_RX, 0, true, true, true, 0, 0, GP_SEL}, /* L = 1 and D = 1 */
    {CODE_RX, 0, true, false, true, 0, 0, OK},	  /* compatibility-mode code */
};

static void test_seg_far_jump_cs_rules(void **state)
{
	for (size_t i = 0; i < sizeof(far_rows) / sizeof(far_rows[0]); i++) {
		const struct far_row *r = &far_rows[i];
		struct env e;
		struct x86_fault f;
		setup_long(&e, false);
		mmu_set_cpl(&e.m, r->cpl);
		put_desc(
		    &e, FIRST_FREE,
		    seg_encode(0, 0xfffff, r->type, true, r->dpl, r->p, false, r->l, r->d, true));
		uint16_t sel = (uint16_t)(FIRST_FREE * 8 + r->rpl);
		bool ok = seg_load_cs_far(&e.m, sel, &f);
		if (ok != (r->want == OK))
			fail_msg("row %zu: %s", i, ok ? "succeeded" : "faulted");
		if (ok) {
			assert_int_equal(e.m.seg.sreg[SEG_CS].selector & 3, r->cpl);
			assert_int_equal(e.m.cpl, r->cpl);
			assert_int_equal(seg_in_64bit_mode(&e.m), r->l);
		} else {
			check_fault(&f, r->want, sel);
		}
		env_destroy(&e);
	}
}

static void test_seg_return_to_user_sets_cpl_and_nulls_kernel_data(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_long(&e, false);
	assert_true(seg_load(&e.m, SEG_DS, __KERNEL_DS, &f));
	assert_true(seg_load(&e.m, SEG_ES, __USER_DS, &f));
	assert_false(seg_load_cs_ret(&e.m, __USER_CS, __KERNEL_DS, &f)); /* SS DPL 0 */
	check_fault(&f, GP_SEL, __KERNEL_DS);
	assert_int_equal(e.m.cpl, 0);
	assert_true(seg_load_cs_ret(&e.m, __USER_CS, __USER_DS, &f));
	assert_int_equal(e.m.cpl, 3);
	assert_int_equal(e.m.seg.sreg[SEG_SS].selector, __USER_DS);
	assert_false(e.m.seg.sreg[SEG_DS].usable); /* DPL 0 < CPL 3 */
	assert_true(e.m.seg.sreg[SEG_ES].usable);
	/* And no way back up by a return. */
	assert_false(seg_load_cs_ret(&e.m, __KERNEL_CS, __KERNEL_DS, &f));
	check_fault(&f, GP_SEL, __KERNEL_CS);
	env_destroy(&e);
}

static void test_seg_linux_gdt_decodes_as_linux_defines_it(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_long(&e, false);
	assert_true(seg_load_cs_far(&e.m, __KERNEL_CS, &f));
	const struct seg_cache *cs = &e.m.seg.sreg[SEG_CS];
	assert_true(cs->l && !cs->db && cs->dpl == 0 && cs->p && cs->s);
	assert_int_equal(cs->type, CODE_RX);
	assert_true(seg_load_cs_far(&e.m, __KERNEL32_CS, &f));
	assert_true(!cs->l && cs->db && cs->limit == 0xffffffffu);
	assert_true(seg_load(&e.m, SEG_SS, __KERNEL_DS, &f));
	mmu_set_cpl(&e.m, 3);
	assert_true(seg_load(&e.m, SEG_DS, __USER_DS, &f));
	assert_true(seg_load(&e.m, SEG_SS, __USER_DS, &f));
	assert_true(seg_load_cs_far(&e.m, __USER_CS, &f));
	assert_true(seg_in_64bit_mode(&e.m));
	assert_true(seg_load_cs_far(&e.m, __USER32_CS, &f));
	assert_true(seg_in_compat_mode(&e.m));
	assert_false(seg_load(&e.m, SEG_DS, __KERNEL_DS, &f)); /* CPL 3 > DPL 0 */
	/* TLS entries 12-14 are empty until set_thread_area fills them. */
	assert_false(seg_load(&e.m, SEG_GS, GDT_ENTRY_TLS_MIN * 8 + 3, &f));
	check_fault(&f, GP_SEL, GDT_ENTRY_TLS_MIN * 8);
	env_destroy(&e);
}

static void test_seg_ltr_marks_tss_busy_and_refuses_busy(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_long(&e, false);
	wr64(&e, GDT_PA + __TSS_SEL + 8, 0xffffULL); /* base bits 63:32 */
	assert_true(seg_ltr(&e.m, __TSS_SEL, &f));
	assert_int_equal(e.m.seg.tr.type, SEG_SYS_TSS_BUSY);
	assert_int_equal(e.m.seg.tr.base, 0x0000ffff00000000ULL | TSS_PA);
	assert_int_equal(e.m.seg.tr.limit, 0x67);
	assert_int_equal((rd64(&e, GDT_PA + __TSS_SEL) >> 40) & 0xf, SEG_SYS_TSS_BUSY);
	assert_false(seg_ltr(&e.m, __TSS_SEL, &f));
	check_fault(&f, GP_SEL, __TSS_SEL);
	assert_false(seg_ltr(&e.m, __KERNEL_DS, &f));
	assert_false(seg_ltr(&e.m, 0, &f));
	check_fault(&f, GP_0, 0);
	env_destroy(&e);
}

static void test_seg_lldt_then_ti_selectors_read_the_ldt(void **state)
{
	struct env e;
	struct x86_fault f;
	setup_pm(&e, 3);
	uint64_t ldt = 0x5000;
	wr64(&e, ldt + 8,
	     seg_encode(0x7000, 0xff, DATA_RW, true, 3, true, false, false, true, false));
	put_desc(
	    &e, FIRST_FREE,
	    seg_encode((uint32_t)ldt, 15, SEG_SYS_LDT, false, 0, true, false, false, false, false));
	assert_true(seg_lldt(&e.m, FIRST_FREE * 8, &f));
	assert_true(seg_load(&e.m, SEG_DS, 0x000f, &f)); /* index 1, TI, RPL 3 */
	assert_int_equal(e.m.seg.sreg[SEG_DS].base, 0x7000);
	assert_false(seg_load(&e.m, SEG_DS, 0x0017, &f)); /* index 2: past the LDT limit */
	check_fault(&f, GP_SEL, 0x0017);
	assert_false(seg_lldt(&e.m, __KERNEL_DS, &f)); /* not an LDT descriptor */
	check_fault(&f, GP_SEL, __KERNEL_DS);
	env_destroy(&e);
}

static void test_seg_real_mode_base_is_selector_times_16(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t la;
	env_init(&e);
	assert_true(seg_load(&e.m, SEG_DS, 0x1234, &f));
	assert_true(seg_linear(&e.m, SEG_DS, 0x10, 2, MMU_READ, &la, &f));
	assert_int_equal(la, 0x12350);
	assert_false(seg_linear(&e.m, SEG_DS, 0xffff, 2, MMU_READ, &la, &f)); /* 64K limit */
	env_destroy(&e);
}

static void test_seg_decode_encode_round_trip(void **state)
{
	struct seg_cache c;
	uint64_t raw = seg_encode(0x12345678, 0xabcde, 0xa, true, 2, true, true, false, true, true);
	seg_decode(raw, 0, false, &c);
	assert_int_equal(c.base, 0x12345678);
	assert_int_equal(c.limit, 0xabcdefff);
	assert_int_equal(c.type, 0xa);
	assert_int_equal(c.dpl, 2);
	assert_true(c.s && c.p && c.avl && !c.l && c.db && c.g);
	/* Linux's __KERNEL_CS descriptor value, as in arch/x86 (0x00af9b000000ffff). */
	assert_int_equal(seg_encode(0, 0xfffff, CODE_RX, true, 0, true, false, true, false, true),
			 0x00af9b000000ffffULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seg_load_rules_follow_mov_pseudocode),
	    cmocka_unit_test(test_seg_load_null_selector_rules),
	    cmocka_unit_test(test_seg_selector_past_table_limit_raises_gp),
	    cmocka_unit_test(test_seg_load_sets_accessed_bit_in_descriptor),
	    cmocka_unit_test(test_seg_accessed_bit_write_to_read_only_gdt_page_faults),
	    cmocka_unit_test(test_seg_access_limit_and_type_checks),
	    cmocka_unit_test(test_seg_64bit_mode_ignores_bases_and_limits_except_fs_gs),
	    cmocka_unit_test(test_seg_compat_mode_checks_limits_and_wraps),
	    cmocka_unit_test(test_seg_far_jump_cs_rules),
	    cmocka_unit_test(test_seg_return_to_user_sets_cpl_and_nulls_kernel_data),
	    cmocka_unit_test(test_seg_linux_gdt_decodes_as_linux_defines_it),
	    cmocka_unit_test(test_seg_ltr_marks_tss_busy_and_refuses_busy),
	    cmocka_unit_test(test_seg_lldt_then_ti_selectors_read_the_ldt),
	    cmocka_unit_test(test_seg_real_mode_base_is_selector_times_16),
	    cmocka_unit_test(test_seg_decode_encode_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
