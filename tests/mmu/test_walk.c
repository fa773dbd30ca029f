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
	unsigned kind;   /* MMU_READ, MMU_WRITE, MMU_FETCH */
	bool implicit;   /* implicit supervisor access */
	unsigned cpl;
	bool wp, smep, smap, ac, nxe;
};

/* What the paging-structure entries of one translation say, summed over the levels. */
struct rights {
	int first_absent; /* first level (top = 0) with P=0, or -1 */
	bool all_us;      /* U/S = 1 at every level: a user-mode address */
	bool all_rw;      /* R/W = 1 at every level */
	bool any_xd;      /* XD = 1 at some level */
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
	int n;                 /* levels, top first */
	uint64_t epa[5];       /* physical address of each entry */
	uint64_t base[5];      /* each entry without P, R/W, U/S, XD, A, D */
	unsigned width;        /* entry bytes: 4 or 8 */
	bool pdpte_regs;       /* level 0 is a PAE PDPTE: only P is defined; reload CR3 */
	uint64_t la;           /* linear address tested */
	uint64_t pa;           /* its physical address */
	bool pae_or_long;      /* CR4.PAE = 1 */
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
static void check_case(struct env *e, const struct layout *l, const struct acase *c,
		       unsigned combo, unsigned xd, bool primed)
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
	unsigned combos;  /* P/RW/US combinations to run (1 << 3 * levels) */
	unsigned xds;     /* XD combinations (1: none) */
	unsigned pinned;  /* fixed P/RW/US bits when combos == 1 */
	bool all_controls; /* every WP/SMEP/SMAP/AC; else WP=SMEP=SMAP=1, AC=0 only */
	bool both_nxe;    /* NXE 0 and 1; else 1 */
	bool primed;      /* also run each case with the translation cached */
};

static const unsigned kinds[5][2] = {{MMU_READ, 0}, {MMU_WRITE, 0}, {MMU_FETCH, 0},
				     {MMU_READ, 1}, {MMU_WRITE, 1}};

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
						for (unsigned combo = 0; combo < mx->combos; combo++)
							for (unsigned xd = 0; xd < mx->xds; xd++) {
								c.kind = kinds[k][0];
								c.implicit = kinds[k][1];
								c.cpl = cpl;
								check_case(e, l, &c,
									   mx->combos == 1 ? mx->pinned : combo,
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
	run_matrix(&e, &l, &(struct matrix){.combos = 1u << 12, .xds = 1, .all_controls = true,
					    .primed = true});
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
		run_matrix(&e, &l, &(struct matrix){.combos = 1u << (3 * l.n), .xds = 1,
						    .all_controls = true, .primed = true});
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
		run_matrix(&e, &l, &(struct matrix){.combos = 1, .pinned = combo, .xds = 16,
						    .all_controls = true, .both_nxe = true});
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
		run_matrix(&e, &l, &(struct matrix){.combos = 1u << (3 * l.n), .xds = 1,
						    .all_controls = true, .both_nxe = true,
						    .primed = true});
		/* XD at the PD and PT levels (bit 0, the PDPTE, has no XD). */
		run_matrix(&e, &l, &(struct matrix){.combos = 1, .pinned = 0777, .xds = 1u << l.n,
						    .all_controls = true, .both_nxe = true});
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
		run_matrix(&e, &l, &(struct matrix){.combos = 1u << (3 * l.n), .xds = 1,
						    .all_controls = true, .primed = true});
		assert_int_equal(mismatches, 0);
		env_destroy(&e);
	}
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
