/*
 * The page walker's permission, reserved-bit and fault rules, exhaustively, in the spirit
 * of kvm-unit-tests' x86 access test: every combination of P, R/W and U/S at every level,
 * with CR0.WP, CR4.SMEP/SMAP, RFLAGS.AC, CPL and the access kind, in every paging mode
 * and page size, checked against sdm_allows() below -- SDM volume 3 section 4.6 restated,
 * not the code under test. Each case is run twice: from a cold TLB (a walk) and after a
 * read has cached the translation (the TLB-hit check, and the dirty assist for writes).
 */
#include "tests/mmu/mmu_test_env.h"

/* One access of the matrix. */
struct acase {
	unsigned kind; /* MMU_READ, MMU_WRITE, MMU_FETCH */
	bool implicit; /* implicit supervisor access */
	unsigned cpl;
	bool wp, smep, smap, ac, nxe;
};

/* What the paging-structure entries of one translation say, summed over the levels. */
struct rights {
	int first_absent; /* first level (top = 0) with P=0, or -1 */
	bool all_us;	  /* U/S = 1 at every level: a user-mode address */
	bool all_rw;	  /* R/W = 1 at every level */
	bool any_xd;	  /* XD = 1 at some level */
};

/*
 * SDM 4.6.1, "Determination of Access Rights":
 *  - a user-mode access (CPL = 3, not implicit) may read user-mode addresses, write them
 *    if R/W = 1 at every level, and fetch from them if XD = 0 everywhere (with NXE);
 *  - a supervisor-mode access (CPL < 3, or implicit) may read any supervisor-mode address;
 *    a user-mode address only if SMAP is off, or the access is explicit with AC = 1;
 *    it may write where it may read, if R/W = 1 everywhere or CR0.WP = 0;
 *    it may fetch if XD = 0 everywhere (with NXE), from a user-mode address only with
 *    SMEP off.
 */
static bool sdm_allows(const struct acase *c, const struct rights *r)
{
	bool user_mode = c->cpl == 3 && !c->implicit;
	bool executable = !(c->nxe && r->any_xd);

	switch (c->kind) {
	case MMU_FETCH:
		if (user_mode)
			return r->all_us && executable;
		return executable && !(r->all_us && c->smep);
	case MMU_READ:
		if (user_mode)
			return r->all_us;
		return !r->all_us || !c->smap || (!c->implicit && c->ac);
	default: /* MMU_WRITE */
		if (user_mode)
			return r->all_us && r->all_rw;
		if (r->all_us && c->smap && (c->implicit || !c->ac))
			return false;
		return r->all_rw || !c->wp;
	}
}

/* SDM 4.7: the error code of a #PF for case c with cause bits (P, RSVD). */
static uint32_t sdm_error_code(const struct acase *c, uint32_t cause, bool pae_or_long)
{
	uint32_t ec = cause;
	if (c->kind == MMU_WRITE)
		ec |= PF_ERR_W;
	if (c->cpl == 3 && !c->implicit)
		ec |= PF_ERR_U;
	if (c->kind == MMU_FETCH && (c->smep || (pae_or_long && c->nxe)))
		ec |= PF_ERR_I;
	return ec;
}

/* The entries of one translation under test. */
struct layout {
	int n;		  /* levels, top first */
	uint64_t epa[5];  /* physical address of each entry */
	uint64_t base[5]; /* each entry without P, R/W, U/S, XD, A, D */
	unsigned width;	  /* entry bytes: 4 or 8 */
	bool pdpte_regs;  /* level 0 is a PAE PDPTE: only P is defined; reload CR3 */
	uint64_t la;	  /* linear address tested */
	uint64_t pa;	  /* its physical address */
	bool pae_or_long; /* CR4.PAE = 1 */
};

static uint64_t rd_entry(struct env *e, const struct layout *l, int i)
{
	return l->width == 8 ? rd64(e, l->epa[i]) : rd32(e, l->epa[i]);
}

static void wr_entry(struct env *e, const struct layout *l, int i, uint64_t v)
{
	if (l->width == 8)
		wr64(e, l->epa[i], v);
	else
		wr32(e, l->epa[i], (uint32_t)v);
}

/* Writes the level flags of combination bits (3 per level: P, R/W, U/S; xd: one per
 * level) and makes the MMU forget the old ones. */
static void apply(struct env *e, const struct layout *l, unsigned combo, unsigned xd,
		  struct rights *r)
{
	struct x86_fault f;
	*r = (struct rights){.first_absent = -1, .all_us = true, .all_rw = true};
	for (int i = 0; i < l->n; i++) {
		unsigned b = (combo >> (3 * i)) & 7;
		uint64_t v = l->base[i] | ((b & 1) ? PTE_P : 0);
		if (!(l->pdpte_regs && i == 0)) {
			v |= ((b & 2) ? PTE_RW : 0) | ((b & 4) ? PTE_US : 0);
			v |= ((xd >> i) & 1) ? PTE_NX : 0;
			r->all_rw &= (b & 2) != 0;
			r->all_us &= (b & 4) != 0;
			r->any_xd |= (xd >> i) & 1;
		}
		if (!(b & 1) && r->first_absent < 0)
			r->first_absent = i;
		wr_entry(e, l, i, v);
	}
	if (l->pdpte_regs)
		env_ok(mmu_set_cr3(&e->m, e->m.cr3, &f));
	else
		mmu_invlpg(&e->m, l->la);
}

static int mismatches;

static void report(const char *what, const struct acase *c, unsigned combo, unsigned xd,
		   bool primed)
{
	if (++mismatches <= 10)
		print_error("%s: combo %03o xd %x kind %u impl %d cpl %u wp %d smep %d smap %d "
			    "ac %d nxe %d primed %d\n",
			    what, combo, xd, c->kind, c->implicit, c->cpl, c->wp, c->smep, c->smap,
			    c->ac, c->nxe, primed);
}

/* Checks one case against the SDM predicate; primed: cache the translation first. */
static void check_case(struct env *e, const struct layout *l, const struct acase *c, unsigned combo,
		       unsigned xd, bool primed)
{
	struct rights r;
	struct x86_fault f;
	uint64_t pa;
	apply(e, l, combo, xd, &r);
	mmu_set_cpl(&e->m, c->cpl);
	mmu_set_ac(&e->m, c->ac);
	bool rsvd = r.first_absent < 0 && r.any_xd && !c->nxe && l->pae_or_long;
	if (primed && r.first_absent < 0 && !rsvd) {
		mmu_set_cpl(&e->m, 0);
		mmu_set_ac(&e->m, true);
		if (!mmu_translate(&e->m, l->la, MMU_READ, &pa, &f))
			report("priming read faulted", c, combo, xd, primed);
		mmu_set_cpl(&e->m, c->cpl);
		mmu_set_ac(&e->m, c->ac);
	}
	unsigned flags = c->kind | (c->implicit ? MMU_IMPLICIT : 0);
	bool ok = mmu_translate(&e->m, l->la, flags, &pa, &f);
	bool want = r.first_absent < 0 && !rsvd && sdm_allows(c, &r);
	if (ok != want) {
		report(want ? "unexpected fault" : "missing fault", c, combo, xd, primed);
		return;
	}
	if (ok) {
		if (pa != l->pa)
			report("wrong physical address", c, combo, xd, primed);
		for (int i = l->pdpte_regs ? 1 : 0; i < l->n; i++)
			if (!(rd_entry(e, l, i) & PTE_A))
				report("accessed bit not set", c, combo, xd, primed);
		bool d = rd_entry(e, l, l->n - 1) & PTE_D;
		if (d != (c->kind == MMU_WRITE))
			report("dirty bit wrong", c, combo, xd, primed);
		return;
	}
	uint32_t cause = r.first_absent >= 0 ? 0 : rsvd ? PF_ERR_P | PF_ERR_RSVD : PF_ERR_P;
	if (f.vector != X86_VEC_PF || !f.has_error_code || f.cr2 != l->la ||
	    f.error_code != sdm_error_code(c, cause, l->pae_or_long))
		report("wrong fault", c, combo, xd, primed);
}

static void set_controls(struct env *e, const struct acase *c)
{
	struct x86_fault f;
	uint64_t cr4 = e->m.cr4 & ~(CR4_SMEP | CR4_SMAP);
	env_ok(mmu_set_cr4(&e->m, cr4 | (c->smep ? CR4_SMEP : 0) | (c->smap ? CR4_SMAP : 0), &f));
	env_ok(mmu_set_cr0(&e->m, (e->m.cr0 & ~CR0_WP) | (c->wp ? CR0_WP : 0), &f));
	env_ok(mmu_set_efer(&e->m, (e->m.efer & ~EFER_NXE) | (c->nxe ? EFER_NXE : 0), &f));
}

/* Options of one matrix run. */
struct matrix {
	unsigned combos;   /* P/RW/US combinations to run (1 << 3 * levels) */
	unsigned xds;	   /* XD combinations (1: none) */
	unsigned pinned;   /* fixed P/RW/US bits when combos == 1 */
	bool all_controls; /* every WP/SMEP/SMAP/AC; else WP=SMEP=SMAP=1, AC=0 only */
	bool both_nxe;	   /* NXE 0 and 1; else 1 */
	bool primed;	   /* also run each case with the translation cached */
};

static const unsigned kinds[5][2] = {
    {MMU_READ, 0}, {MMU_WRITE, 0}, {MMU_FETCH, 0}, {MMU_READ, 1}, {MMU_WRITE, 1}};

static void run_matrix(struct env *e, const struct layout *l, const struct matrix *mx)
{
	unsigned nctl = mx->all_controls ? 16 : 1;
	for (unsigned nxe = mx->both_nxe ? 0 : 1; nxe < 2; nxe++)
		for (unsigned ctl = 0; ctl < nctl; ctl++) {
			struct acase c = {.nxe = nxe};
			c.wp = nctl == 1 || (ctl & 1);
			c.smep = nctl == 1 || (ctl & 2);
			c.smap = nctl == 1 || (ctl & 4);
			c.ac = nctl != 1 && (ctl & 8);
			set_controls(e, &c);
			for (unsigned k = 0; k < 5; k++)
				for (unsigned cpl = 0; cpl < 4; cpl += 3)
					for (unsigned p = 0; p < (mx->primed ? 2u : 1u); p++)
						for (unsigned combo = 0; combo < mx->combos;
						     combo++)
							for (unsigned xd = 0; xd < mx->xds; xd++) {
								c.kind = kinds[k][0];
								c.implicit = kinds[k][1];
								c.cpl = cpl;
								check_case(e, l, &c,
									   mx->combos == 1
									       ? mx->pinned
									       : combo,
									   xd, p);
							}
		}
}

#define LA64 0x00007f1234567000ULL
#define PAGE_PA 0x00c00000ULL /* 12 MiB: 4K, 2M and 4M aligned */

/* Builds a 4/5-level layout for LA64 mapped by a page of 2^shift bytes. */
static void layout64(struct env *e, struct layout *l, bool la57, unsigned shift)
{
	uint64_t root = env_table(e);
	int levels = la57 ? 5 : 4;
	/* 1G pages map physical 0 (RAM is 16 MiB; the test stays in its first 16 MiB). */
	uint64_t pa = shift == 30 ? 0 : PAGE_PA;
	uint64_t la = shift == 30 ? (LA64 & ~((1ULL << 30) - 1)) | 0x345000 : LA64;
	memset(l, 0, sizeof(*l));
	l->n = env_map64(e, root, levels, la, pa, shift, ENV_ALL, ENV_ALL, l->epa);
	for (int i = 0; i < l->n; i++)
		l->base[i] = rd64(e, l->epa[i]) & ~(ENV_ALL | PTE_NX | PTE_A | PTE_D);
	l->width = 8;
	l->la = la;
	l->pa = pa + (la & ((1ULL << shift) - 1));
	l->pae_or_long = true;
	env_long_mode(e, la57, root, 0);
}

static void test_walk_4level_4k_matrix_matches_sdm(void **state)
{
	struct env e;
	struct layout l;
	env_init(&e);
	layout64(&e, &l, false, 12);
	mismatches = 0;
	run_matrix(
	    &e, &l,
	    &(struct matrix){.combos = 1u << 12, .xds = 1, .all_controls = true, .primed = true});
	assert_int_equal(mismatches, 0);
	env_destroy(&e);
}

static void test_walk_4level_large_pages_matrix_matches_sdm(void **state)
{
	for (unsigned shift = 21; shift <= 30; shift += 9) {
		struct env e;
		struct layout l;
		env_init(&e);
		layout64(&e, &l, false, shift);
		mismatches = 0;
		run_matrix(
		    &e, &l,
		    &(struct matrix){
			.combos = 1u << (3 * l.n), .xds = 1, .all_controls = true, .primed = true});
		assert_int_equal(mismatches, 0);
		env_destroy(&e);
	}
}

static void test_walk_4level_xd_matrix_matches_sdm(void **state)
{
	struct env e;
	struct layout l;
	env_init(&e);
	layout64(&e, &l, false, 12);
	mismatches = 0;
	/* P and R/W set everywhere, U/S varied per level (combo bit 2 of each level). */
	for (unsigned us = 0; us < 16; us++) {
		unsigned combo = 0;
		for (int i = 0; i < 4; i++)
			combo |= (3u | (((us >> i) & 1) << 2)) << (3 * i);
		run_matrix(&e, &l,
			   &(struct matrix){.combos = 1,
					    .pinned = combo,
					    .xds = 16,
					    .all_controls = true,
					    .both_nxe = true});
	}
	assert_int_equal(mismatches, 0);
	env_destroy(&e);
}

static void test_walk_5level_matrix_matches_sdm(void **state)
{
	for (unsigned shift = 12; shift <= 30; shift += 9) {
		struct env e;
		struct layout l;
		env_init(&e);
		layout64(&e, &l, true, shift);
		mismatches = 0;
		run_matrix(&e, &l, &(struct matrix){.combos = 1u << (3 * l.n), .xds = 1});
		assert_int_equal(mismatches, 0);
		env_destroy(&e);
	}
}

/* PAE: CR3 -> 4 PDPTE registers -> PD -> PT, 8-byte entries, 32-bit linear addresses. */
static void layout_pae(struct env *e, struct layout *l, unsigned shift)
{
	struct x86_fault f;
	uint64_t la = 0xb7654000ULL, pdpt = env_table(e), pd = env_table(e), pt = env_table(e);
	memset(l, 0, sizeof(*l));
	l->epa[0] = pdpt + ((la >> 30) & 3) * 8;
	l->base[0] = pd;
	l->epa[1] = pd + ((la >> 21) & 511) * 8;
	l->base[1] = shift == 21 ? PAGE_PA | PTE_PS : pt;
	l->n = shift == 21 ? 2 : 3;
	if (shift == 12) {
		l->epa[2] = pt + ((la >> 12) & 511) * 8;
		l->base[2] = PAGE_PA;
	}
	for (int i = 0; i < l->n; i++)
		wr64(e, l->epa[i], l->base[i] | PTE_P);
	l->width = 8;
	l->pdpte_regs = true;
	l->la = la;
	l->pa = PAGE_PA + (la & ((1ULL << shift) - 1));
	l->pae_or_long = true;
	env_ok(mmu_set_cr4(&e->m, CR4_PAE, &f));
	env_ok(mmu_set_efer(&e->m, EFER_NXE, &f));
	env_ok(mmu_set_cr3(&e->m, pdpt, &f));
	env_ok(mmu_set_cr0(&e->m, CR0_PE | CR0_PG | CR0_WP, &f));
	assert_int_equal(e->m.mode, PG_MODE_PAE);
}

static void test_walk_pae_matrix_matches_sdm(void **state)
{
	for (unsigned shift = 12; shift <= 21; shift += 9) {
		struct env e;
		struct layout l;
		env_init(&e);
		layout_pae(&e, &l, shift);
		mismatches = 0;
		run_matrix(&e, &l,
			   &(struct matrix){.combos = 1u << (3 * l.n),
					    .xds = 1,
					    .all_controls = true,
					    .both_nxe = true,
					    .primed = true});
		/* XD at the PD and PT levels (bit 0, the PDPTE, has no XD). */
		run_matrix(&e, &l,
			   &(struct matrix){.combos = 1,
					    .pinned = 0777,
					    .xds = 1u << l.n,
					    .all_controls = true,
					    .both_nxe = true});
		assert_int_equal(mismatches, 0);
		env_destroy(&e);
	}
}

/* 32-bit paging: CR3 -> PD -> PT, 4-byte entries; 4M pages with CR4.PSE. */
static void layout_32(struct env *e, struct layout *l, unsigned shift)
{
	struct x86_fault f;
	uint64_t la = 0x8765f000ULL, pd = env_table(e), pt = env_table(e);
	memset(l, 0, sizeof(*l));
	l->epa[0] = pd + ((la >> 22) & 1023) * 4;
	l->base[0] = shift == 22 ? PAGE_PA | PTE_PS : pt;
	l->n = shift == 22 ? 1 : 2;
	if (shift == 12) {
		l->epa[1] = pt + ((la >> 12) & 1023) * 4;
		l->base[1] = PAGE_PA;
	}
	l->width = 4;
	l->la = la;
	l->pa = PAGE_PA + (la & ((1ULL << shift) - 1));
	env_ok(mmu_set_cr4(&e->m, shift == 22 ? CR4_PSE : 0, &f));
	env_ok(mmu_set_cr3(&e->m, pd, &f));
	env_ok(mmu_set_cr0(&e->m, CR0_PE | CR0_PG | CR0_WP, &f));
	assert_int_equal(e->m.mode, PG_MODE_32);
}

static void test_walk_32bit_matrix_matches_sdm(void **state)
{
	for (unsigned shift = 12; shift <= 22; shift += 10) {
		struct env e;
		struct layout l;
		env_init(&e);
		layout_32(&e, &l, shift);
		mismatches = 0;
		/* NXE has no effect on 32-bit paging; both values must give the same answers. */
		run_matrix(
		    &e, &l,
		    &(struct matrix){
			.combos = 1u << (3 * l.n), .xds = 1, .all_controls = true, .primed = true});
		assert_int_equal(mismatches, 0);
		env_destroy(&e);
	}
}

/* One row of the reserved-bit table: set bit in the entry at level of a layout. */
struct rsvd_row {
	char mode;	/* '4': 4-level, 'p': PAE, '3': 32-bit */
	unsigned shift; /* page size of the layout */
	int level;	/* entry index, top = 0 */
	unsigned bit;	/* bit set on top of a valid entry */
	bool nxe;	/* EFER.NXE */
	bool rsvd;	/* expected: #PF with RSVD (else the translation succeeds) */
};

/*
 * From the SDM's entry-format tables (4-4 .. 4-20) with MAXPHYADDR = 46 (bits 51:46 of
 * 4-level entries and 62:46 of PAE entries reserved).
 */
static const struct rsvd_row rsvd_rows[] = {
    {'4', 12, 0, 7, true, true},  /* PML4E.PS is reserved */
    {'4', 12, 0, 46, true, true}, /* above MAXPHYADDR */
    {'4', 12, 0, 51, true, true},
    {'4', 12, 0, 52, true, false}, /* 62:52 ignored in 4-level entries */
    {'4', 12, 0, 62, true, false},
    {'4', 12, 0, 63, false, true}, /* XD with NXE = 0 */
    {'4', 12, 0, 63, true, false},
    {'4', 12, 1, 46, true, true},
    {'4', 12, 2, 50, true, true},
    {'4', 12, 3, 46, true, true},
    {'4', 12, 3, 63, false, true},
    {'4', 12, 3, 7, true, false},  /* PAT in a PTE */
    {'4', 12, 3, 8, true, false},  /* G */
    {'4', 12, 3, 11, true, false}, /* ignored */
    {'4', 21, 2, 13, true, true},  /* 2M leaf: 20:13 reserved */
    {'4', 21, 2, 20, true, true},
    {'4', 21, 2, 12, true, false}, /* PAT */
    {'4', 21, 2, 46, true, true},
    {'4', 30, 1, 13, true, true}, /* 1G leaf: 29:13 reserved */
    {'4', 30, 1, 29, true, true},
    {'4', 30, 1, 12, true, false}, /* PAT */
    {'p', 12, 1, 46, true, true},  /* PAE: 62:M reserved */
    {'p', 12, 1, 52, true, true},
    {'p', 12, 1, 62, true, true},
    {'p', 12, 2, 63, false, true},
    {'p', 12, 2, 63, true, false},
    {'p', 21, 1, 13, true, true},
    {'p', 21, 1, 20, true, true},
    {'p', 21, 1, 12, true, false},
    {'3', 22, 0, 21, false, true},  /* 4M PDE: bit 21 reserved */
    {'3', 22, 0, 13, false, false}, /* PSE-36 address bits (MAXPHYADDR >= 40) */
    {'3', 12, 0, 7, false, false},  /* PS is ignored without CR4.PSE */
    {'3', 12, 1, 7, false, false},  /* PAT in a 32-bit PTE */
};

static void build_layout(struct env *e, struct layout *l, char mode, unsigned shift)
{
	if (mode == '4')
		layout64(e, l, false, shift);
	else if (mode == 'p')
		layout_pae(e, l, shift);
	else
		layout_32(e, l, shift);
	for (int i = 0; i < l->n; i++)
		wr_entry(e, l, i, l->base[i] | (l->pdpte_regs && i == 0 ? PTE_P : ENV_ALL));
}

static void test_walk_reserved_bits_fault_with_rsvd(void **state)
{
	for (size_t r = 0; r < sizeof(rsvd_rows) / sizeof(rsvd_rows[0]); r++) {
		const struct rsvd_row *row = &rsvd_rows[r];
		struct env e;
		struct layout l;
		struct x86_fault f;
		uint64_t pa;
		env_init(&e);
		build_layout(&e, &l, row->mode, row->shift);
		env_ok(mmu_set_efer(&e.m, (e.m.efer & ~EFER_NXE) | (row->nxe ? EFER_NXE : 0), &f));
		wr_entry(&e, &l, row->level, rd_entry(&e, &l, row->level) | (1ULL << row->bit));
		mmu_set_cpl(&e.m, 3);
		bool ok = mmu_translate(&e.m, l.la, MMU_WRITE, &pa, &f);
		if (ok == row->rsvd)
			print_error("row %zu: mode %c shift %u level %d bit %u\n", r, row->mode,
				    row->shift, row->level, row->bit);
		assert_int_equal(ok, !row->rsvd);
		if (!ok) {
			assert_int_equal(f.vector, X86_VEC_PF);
			assert_int_equal(f.error_code,
					 PF_ERR_P | PF_ERR_RSVD | PF_ERR_W | PF_ERR_U);
			assert_int_equal(f.cr2, l.la);
			/* No A or D bit is set by a faulting walk. */
			for (int i = l.pdpte_regs ? 1 : 0; i < l.n; i++)
				assert_false(rd_entry(&e, &l, i) & (PTE_A | PTE_D));
		}
		env_destroy(&e);
	}
}

static void test_walk_reserved_bit_in_absent_entry_is_not_present_fault(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	build_layout(&e, &l, '4', 12);
	wr64(&e, l.epa[2], (rd64(&e, l.epa[2]) | (1ULL << 50)) & ~PTE_P);
	assert_false(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(f.error_code, 0);
	env_destroy(&e);
}

static void test_walk_pse36_narrow_maxphyaddr_reserves_high_bits(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	mmu_set_features(&e.m, 36, true); /* PSE-36: bits 16:13 hold PA 35:32, 21:17 rsvd */
	build_layout(&e, &l, '3', 22);
	env_ok(mmu_set_cr4(&e.m, CR4_PSE, &f));
	wr32(&e, l.epa[0], rd32(&e, l.epa[0]) | (1u << 16));
	assert_true(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(pa, (1ULL << 35) | l.pa);
	wr32(&e, l.epa[0], rd32(&e, l.epa[0]) | (1u << 17));
	mmu_invlpg(&e.m, l.la);
	assert_false(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(f.error_code, PF_ERR_P | PF_ERR_RSVD);
	env_destroy(&e);
}

static void test_walk_no_1g_pages_makes_pdpte_ps_reserved(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	build_layout(&e, &l, '4', 30);
	mmu_set_features(&e.m, 46, false);
	assert_false(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(f.error_code, PF_ERR_P | PF_ERR_RSVD);
	env_destroy(&e);
}

static void test_walk_pae_pdpte_reserved_bits_refuse_cr3_load(void **state)
{
	static const unsigned bad_bits[] = {1, 2, 5, 8, 46, 63};
	for (size_t i = 0; i < sizeof(bad_bits) / sizeof(bad_bits[0]); i++) {
		struct env e;
		struct layout l;
		struct x86_fault f;
		env_init(&e);
		build_layout(&e, &l, 'p', 12);
		uint64_t old_cr3 = e.m.cr3;
		uint64_t pdpt = env_table(&e);
		wr64(&e, pdpt + 8, l.base[0] | PTE_P | (1ULL << bad_bits[i]));
		assert_false(mmu_set_cr3(&e.m, pdpt, &f));
		assert_int_equal(f.vector, X86_VEC_GP);
		assert_int_equal(f.error_code, 0);
		assert_int_equal(e.m.cr3, old_cr3);
		/* The same bit in a not-present PDPTE is fine. */
		wr64(&e, pdpt + 8, (1ULL << bad_bits[i]) & ~PTE_P);
		assert_true(mmu_set_cr3(&e.m, pdpt, &f));
		env_destroy(&e);
	}
}

static void test_walk_noncanonical_address_raises_gp_or_ss(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	build_layout(&e, &l, '4', 12);
	assert_false(mmu_translate(&e.m, 0x0000800000000000ULL, MMU_READ, &pa, &f));
	assert_int_equal(f.vector, X86_VEC_GP);
	assert_int_equal(f.error_code, 0);
	assert_false(mmu_translate(&e.m, 0xfff0000000000000ULL, MMU_READ | MMU_STACK, &pa, &f));
	assert_int_equal(f.vector, X86_VEC_SS);
	/* Canonical but unmapped: a #PF. */
	assert_false(mmu_translate(&e.m, 0xffff800000000000ULL, MMU_READ, &pa, &f));
	assert_int_equal(f.vector, X86_VEC_PF);
	env_destroy(&e);
}

static void test_walk_5level_widens_canonical_range(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	layout64(&e, &l, true, 12);
	/* Bit 47 set, bits 63:48 clear: non-canonical in 4-level, canonical in 5-level. */
	assert_false(mmu_translate(&e.m, 0x0000800000000000ULL, MMU_READ, &pa, &f));
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_false(mmu_translate(&e.m, 0x0100000000000000ULL, MMU_READ, &pa, &f));
	assert_int_equal(f.vector, X86_VEC_GP);
	/* A page high in the 57-bit space walks all five levels. */
	uint64_t la = 0x00ab000000001000ULL;
	uint64_t epa[5];
	assert_int_equal(
	    env_map64(&e, e.m.cr3 & ~0xfffULL, 5, la, 0x5000, 12, ENV_ALL, ENV_ALL, epa), 5);
	mmu_stats_reset(&e.m);
	assert_true(mmu_translate(&e.m, la + 0x10, MMU_READ, &pa, &f));
	assert_int_equal(pa, 0x5010);
	assert_int_equal(e.m.st.walk_refs[PG_PML5], 1);
	assert_int_equal(e.m.st.walk_refs[PG_PT], 1);
	assert_true(rd64(&e, epa[0]) & PTE_A);
	env_destroy(&e);
}

static void test_walk_accessed_and_dirty_follow_sdm(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa;
	env_init(&e);
	build_layout(&e, &l, '4', 12);
	assert_true(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	for (int i = 0; i < 4; i++)
		assert_true(rd64(&e, l.epa[i]) & PTE_A);
	assert_false(rd64(&e, l.epa[3]) & PTE_D);
	/* Software clears A; the cached translation hides it: no walk, A stays clear. */
	wr64(&e, l.epa[3], rd64(&e, l.epa[3]) & ~PTE_A);
	uint64_t walks = e.m.st.walks;
	assert_true(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(e.m.st.walks, walks);
	assert_false(rd64(&e, l.epa[3]) & PTE_A);
	/* A write through the clean cached entry walks to set D (and A). */
	assert_true(mmu_translate(&e.m, l.la, MMU_WRITE, &pa, &f));
	assert_int_equal(e.m.st.walks, walks + 1);
	assert_true(rd64(&e, l.epa[3]) & PTE_D);
	assert_true(rd64(&e, l.epa[3]) & PTE_A);
	/* Now dirty in the TLB: the next write neither walks nor updates. */
	uint64_t ad = e.m.st.ad_updates[PG_PT];
	assert_true(mmu_translate(&e.m, l.la, MMU_WRITE, &pa, &f));
	assert_int_equal(e.m.st.walks, walks + 1);
	assert_int_equal(e.m.st.ad_updates[PG_PT], ad);
	env_destroy(&e);
}

static void test_walk_page_walk_caches_skip_upper_levels(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa, root;
	env_init(&e);
	build_layout(&e, &l, '4', 12);
	root = e.m.cr3 & ~0xfffULL;
	uint64_t same_pt = l.la + 0x1000, same_pd = l.la + (1ULL << 21);
	uint64_t same_pdpt = l.la + (1ULL << 30);
	env_map64(&e, root, 4, same_pt, 0x7000, 12, ENV_ALL, ENV_ALL, NULL);
	env_map64(&e, root, 4, same_pd, 0x8000, 12, ENV_ALL, ENV_ALL, NULL);
	env_map64(&e, root, 4, same_pdpt, 0x9000, 12, ENV_ALL, ENV_ALL, NULL);
	mmu_stats_reset(&e.m);
	assert_true(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(e.m.st.walk_refs[PG_PML4] + e.m.st.walk_refs[PG_PDPT] +
			     e.m.st.walk_refs[PG_PD] + e.m.st.walk_refs[PG_PT],
			 4);
	assert_true(mmu_translate(&e.m, same_pt, MMU_READ, &pa, &f));
	assert_int_equal(pa, 0x7000);
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_PWC_PDE]), 1);
	assert_int_equal(e.m.st.walk_refs[PG_PT], 2);
	assert_int_equal(e.m.st.walk_refs[PG_PD], 1);
	assert_true(mmu_translate(&e.m, same_pd, MMU_READ, &pa, &f));
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_PWC_PDPTE]), 1);
	assert_int_equal(e.m.st.walk_refs[PG_PD], 2);
	assert_int_equal(e.m.st.walk_refs[PG_PDPT], 1);
	assert_true(mmu_translate(&e.m, same_pdpt, MMU_READ, &pa, &f));
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_PWC_PML4E]), 1);
	assert_int_equal(e.m.st.walk_refs[PG_PDPT], 2);
	assert_int_equal(e.m.st.walk_refs[PG_PML4], 1);
	assert_int_equal(e.m.st.walks, 4);
	/* INVLPG drops the page-walk caches of the PCID: the next walk is a full one. */
	mmu_invlpg(&e.m, l.la + 0x3000);
	assert_false(mmu_translate(&e.m, l.la + 0x3000, MMU_READ, &pa, &f));
	assert_int_equal(e.m.st.walk_refs[PG_PML4], 2);
	env_destroy(&e);
}

static void test_walk_table_outside_ram_reads_open_bus(void **state)
{
	struct env e;
	struct layout l;
	struct x86_fault f;
	uint64_t pa, v;
	env_init(&e);
	build_layout(&e, &l, '4', 12);
	/* A PDE pointing far outside the 16 MiB of RAM: the PTE reads as all ones. */
	wr64(&e, l.epa[2], 0x0000300000000000ULL | ENV_ALL);
	assert_false(mmu_read(&e.m, l.la, 8, &v, 0, &f));
	assert_int_equal(f.error_code, PF_ERR_P | PF_ERR_RSVD);
	env_destroy(&e);

	/* 32-bit paging has no reserved bits there: the open bus maps a page of open bus. */
	env_init(&e);
	build_layout(&e, &l, '3', 12);
	wr32(&e, l.epa[0], 0xfffff000u | ENV_ALL);
	mmu_set_cpl(&e.m, 3);
	assert_true(mmu_read(&e.m, l.la, 4, &v, 0, &f));
	assert_int_equal(v, 0xffffffffULL);
	assert_true(mmu_translate(&e.m, l.la, MMU_READ, &pa, &f));
	assert_int_equal(pa, 0xfffff000ULL + (l.la & 0xfff));
	assert_true(mmu_write(&e.m, l.la, 4, 0x1234, 0, &f)); /* dropped, no crash */
	env_destroy(&e);
}

static void test_walk_probe_reports_every_step(void **state)
{
	struct env e;
	struct layout l;
	struct mmu_walk_trace tr;
	env_init(&e);
	build_layout(&e, &l, '4', 21);
	assert_true(mmu_probe(&e.m, l.la, &tr));
	assert_int_equal(tr.nr_steps, 3);
	assert_int_equal(tr.step[0].level, PG_PML4);
	assert_int_equal(tr.step[2].level, PG_PD);
	assert_int_equal(tr.step[2].entry_pa, l.epa[2]);
	assert_int_equal(tr.page_shift, 21);
	assert_int_equal(tr.pa, l.pa);
	assert_int_equal(e.m.st.walks, 0);
	assert_false(rd64(&e, l.epa[0]) & PTE_A);
	env_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_4level_4k_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_4level_large_pages_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_4level_xd_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_5level_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_pae_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_32bit_matrix_matches_sdm),
	    cmocka_unit_test(test_walk_reserved_bits_fault_with_rsvd),
	    cmocka_unit_test(test_walk_reserved_bit_in_absent_entry_is_not_present_fault),
	    cmocka_unit_test(test_walk_pse36_narrow_maxphyaddr_reserves_high_bits),
	    cmocka_unit_test(test_walk_no_1g_pages_makes_pdpte_ps_reserved),
	    cmocka_unit_test(test_walk_pae_pdpte_reserved_bits_refuse_cr3_load),
	    cmocka_unit_test(test_walk_noncanonical_address_raises_gp_or_ss),
	    cmocka_unit_test(test_walk_5level_widens_canonical_range),
	    cmocka_unit_test(test_walk_accessed_and_dirty_follow_sdm),
	    cmocka_unit_test(test_walk_page_walk_caches_skip_upper_levels),
	    cmocka_unit_test(test_walk_table_outside_ram_reads_open_bus),
	    cmocka_unit_test(test_walk_probe_reports_every_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
