/*
 * The page walker (Intel SDM volume 3, 4.3 32-bit paging, 4.4 PAE paging, 4.5 4-level and
 * 5-level paging, 4.6 access rights, 4.7 page-fault exceptions, 4.8 accessed and dirty
 * flags, 4.10.3 paging-structure caches).
 *
 * One loop walks every mode. A per-mode table describes the levels top to bottom: which
 * linear-address bits index the level, whether PS may end the walk there, and which
 * page-walk cache holds the level's entries. Reserved-bit masks depend on MAXPHYADDR,
 * EFER.NXE and the page size support, so they are computed when the mode changes.
 *
 * Every entry is read through the physical bus: a table pointer outside RAM reads all
 * ones (an open bus), which has reserved bits set or leads to more open-bus reads, never
 * to host memory.
 */
#include "mmu/mmu_internal.h"

/* One level of a paging mode. */
struct paging_level {
	uint8_t level;	/* enum walk_level: for statistics and traces */
	uint8_t shift;	/* lowest linear-address bit of this level's index */
	uint8_t bits;	/* width of the index */
	int8_t pwc;	/* page-walk cache (enum tlb_array_id) of this level's entries, or -1 */
	bool large_ok;	/* PS=1 here maps a page */
	bool from_regs; /* the entry comes from the PAE PDPTE registers, not memory */
};

struct paging_mode_desc {
	const char *name;
	uint8_t nr_levels;		      /* walk steps */
	uint8_t entry_size;		      /* bytes per entry: 4 or 8 */
	struct paging_level lv[PG_NR_LEVELS]; /* top to bottom */
};

/* clang-format off */
static const struct paging_mode_desc paging_modes[PG_NR_MODES] = {
	[PG_MODE_32] = {"32-bit", 2, 4,
			{{PG_PD, 22, 10, TLB_PWC_PDE, true, false},
			 {PG_PT, 12, 10, -1, false, false}}},
	[PG_MODE_PAE] = {"PAE", 3, 8,
			 {{PG_PDPT, 30, 2, -1, false, true},
			  {PG_PD, 21, 9, TLB_PWC_PDE, true, false},
			  {PG_PT, 12, 9, -1, false, false}}},
	[PG_MODE_4L] = {"4-level", 4, 8,
			{{PG_PML4, 39, 9, TLB_PWC_PML4E, false, false},
			 {PG_PDPT, 30, 9, TLB_PWC_PDPTE, true, false},
			 {PG_PD, 21, 9, TLB_PWC_PDE, true, false},
			 {PG_PT, 12, 9, -1, false, false}}},
	[PG_MODE_5L] = {"5-level", 5, 8,
			{{PG_PML5, 48, 9, TLB_PWC_PML5E, false, false},
			 {PG_PML4, 39, 9, TLB_PWC_PML4E, false, false},
			 {PG_PDPT, 30, 9, TLB_PWC_PDPTE, true, false},
			 {PG_PD, 21, 9, TLB_PWC_PDE, true, false},
			 {PG_PT, 12, 9, -1, false, false}}},
};
/* clang-format on */

/* Bits lo..hi set. */
static uint64_t bits(unsigned lo, unsigned hi)
{
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

/* Address bits (M-1):12 of a 64-bit entry. */
static uint64_t addr_mask(const struct mmu *m)
{
	return bits(12, m->maxphyaddr - 1);
}

static void set_rsvd_32(struct mmu *m)
{
	unsigned pa_bits = m->maxphyaddr < 40 ? m->maxphyaddr : 40;
	/* 4-MByte PDE: bits 20:13 hold PA 39:32 (PSE-36) up to MAXPHYADDR, bit 21 is reserved. */
	m->rsvd[0][1] = bits(13 + pa_bits - 32, 21);
}

static void set_rsvd_64(struct mmu *m)
{
	const struct paging_mode_desc *pm = &paging_modes[m->mode];
	uint64_t high = m->mode == PG_MODE_PAE ? bits(m->maxphyaddr, 62) : bits(m->maxphyaddr, 51);
	if (!(m->efer & EFER_NXE))
		high |= PTE_NX;
	for (int i = 0; i < pm->nr_levels; i++) {
		const struct paging_level *lv = &pm->lv[i];
		m->rsvd[i][0] = high;
		m->rsvd[i][1] = high;
		if (lv->level == PG_PML5 || lv->level == PG_PML4)
			m->rsvd[i][0] |= PTE_PS;
		if (lv->large_ok)
			m->rsvd[i][1] |= bits(13, lv->shift - 1);
		if (lv->level == PG_PDPT && !m->page_1g)
			m->rsvd[i][1] |= PTE_PS; /* without 1G pages, PS in a PDPTE is reserved */
	}
}

void mmu_update_mode(struct mmu *m)
{
	if (!(m->cr0 & CR0_PG))
		m->mode = PG_MODE_NONE;
	else if (!(m->cr4 & CR4_PAE))
		m->mode = PG_MODE_32;
	else if (!(m->efer & EFER_LMA))
		m->mode = PG_MODE_PAE;
	else
		m->mode = (m->cr4 & CR4_LA57) ? PG_MODE_5L : PG_MODE_4L;
	memset(m->rsvd, 0, sizeof(m->rsvd));
	if (m->mode == PG_MODE_32)
		set_rsvd_32(m);
	else if (m->mode != PG_MODE_NONE)
		set_rsvd_64(m);
	m->pcid = (m->cr4 & CR4_PCIDE) ? (uint16_t)(m->cr3 & CR3_PCID_MASK) : 0;
}

bool mmu_rights_allow(const struct mmu *m, unsigned rights, unsigned flags)
{
	unsigned kind = flags & MMU_KIND_MASK;
	bool user_page = rights & TLBE_US;
	bool user_access = m->cpl == 3 && !(flags & MMU_IMPLICIT);

	if (kind == MMU_FETCH) {
		if (rights & TLBE_XD)
			return false;
		if (user_access)
			return user_page;
		return !(user_page && (m->cr4 & CR4_SMEP));
	}
	if (user_access)
		return user_page && (kind != MMU_WRITE || (rights & TLBE_RW));
	/* Supervisor data access. SMAP forbids user pages unless explicit with AC=1. */
	if (user_page && (m->cr4 & CR4_SMAP) && ((flags & MMU_IMPLICIT) || !m->ac))
		return false;
	return kind != MMU_WRITE || (rights & TLBE_RW) || !(m->cr0 & CR0_WP);
}

void mmu_page_fault(const struct mmu *m, uint64_t la, unsigned flags, uint32_t cause,
		    struct x86_fault *f)
{
	unsigned kind = flags & MMU_KIND_MASK;
	uint32_t ec = cause;
	if (kind == MMU_WRITE)
		ec |= PF_ERR_W;
	if (m->cpl == 3 && !(flags & MMU_IMPLICIT))
		ec |= PF_ERR_U;
	/* I/D is reported only when fetches can be refused by paging (SDM 4.7). */
	if (kind == MMU_FETCH &&
	    ((m->cr4 & CR4_SMEP) || (m->mode >= PG_MODE_PAE && (m->efer & EFER_NXE))))
		ec |= PF_ERR_I;
	*f = (struct x86_fault){
	    .vector = X86_VEC_PF, .has_error_code = true, .error_code = ec, .cr2 = la};
}

/* Reads a paging-structure entry of size bytes at pa through the bus. */
static uint64_t read_entry(struct mmu *m, uint64_t pa, unsigned size)
{
	const void *p = bus_ram_ptr(m->bus, pa, size);
	if (!p)
		return bus_load(m->bus, pa, size);
	if (size == 8) { /* constant sizes: plain loads, not a memcpy call */
		uint64_t e;
		memcpy(&e, p, 8);
		return e;
	}
	uint32_t e;
	memcpy(&e, p, 4);
	return e;
}

/* ORs set (A and/or D, all in the entry's low byte) into the entry at pa. */
static void set_entry_bits(struct mmu *m, uint64_t pa, uint8_t set)
{
	uint8_t *p = bus_ram_ptr(m->bus, pa, 1);
	if (p)
		*p |= set;
	else
		bus_store(m->bus, pa, bus_load(m->bus, pa, 1) | set, 1);
}

/* Physical address the entry e at level lv points to (table or page). */
static uint64_t entry_addr(const struct mmu *m, uint64_t e, bool leaf, unsigned shift)
{
	if (m->mode == PG_MODE_32) {
		if (leaf && shift == 22) /* PSE-36: PA 39:32 in bits 20:13 */
			return (e & 0xffc00000ULL) | (((e >> 13) & 0xff) << 32);
		return e & 0xfffff000ULL;
	}
	return e & addr_mask(m) & ~((1ULL << shift) - 1);
}

/* Physical address of the top-level table. */
static uint64_t root_table(const struct mmu *m)
{
	if (m->mode == PG_MODE_32)
		return m->cr3 & 0xfffff000ULL;
	return m->cr3 & addr_mask(m);
}

/* Rights an entry contributes: R/W and U/S must be 1 everywhere, XD anywhere denies. */
static unsigned entry_rights(const struct mmu *m, uint64_t e)
{
	unsigned r = 0;
	if (e & PTE_RW)
		r |= TLBE_RW;
	if (e & PTE_US)
		r |= TLBE_US;
	if (m->mode != PG_MODE_32 && (e & PTE_NX) && (m->efer & EFER_NXE))
		r |= TLBE_XD;
	return r;
}

/* R/W and U/S survive only where both allow; XD is kept where either denies. */
static unsigned combine_rights(unsigned so_far, unsigned entry)
{
	return (so_far & entry & (TLBE_RW | TLBE_US)) | ((so_far | entry) & TLBE_XD);
}

static bool is_leaf(const struct mmu *m, const struct paging_mode_desc *pm, int i, uint64_t e)
{
	if (i == pm->nr_levels - 1)
		return true;
	if (!pm->lv[i].large_ok || !(e & PTE_PS))
		return false;
	return m->mode != PG_MODE_32 || (m->cr4 & CR4_PSE);
}

/* State of one walk in progress. */
struct walk_state {
	int start;		     /* first level read from memory */
	uint64_t table;		     /* physical address of the current table */
	unsigned rights;	     /* combined rights so far */
	uint64_t epa[PG_NR_LEVELS];  /* entry addresses, per step */
	uint64_t ent[PG_NR_LEVELS];  /* entry values, per step */
	uint64_t next[PG_NR_LEVELS]; /* table each non-leaf step points to */
	unsigned acc[PG_NR_LEVELS];  /* combined rights through each step */
};

/* Starts the walk at the deepest level a page-walk cache can skip to. */
static void walk_start(struct mmu *m, const struct paging_mode_desc *pm, uint64_t la,
		       struct walk_state *ws)
{
	ws->start = 0;
	ws->table = root_table(m);
	ws->rights = TLBE_RW | TLBE_US;
	for (int i = pm->nr_levels - 2; i >= 0; i--) {
		const struct paging_level *lv = &pm->lv[i];
		struct tlb_array *a = lv->pwc >= 0 ? &m->tlb.a[lv->pwc] : NULL;
		if (!a || !a->entries)
			continue;
		struct tlb_entry *e = tlb_array_find_shift(a, la, lv->shift, m->pcid);
		if (!e) {
			a->st.misses++;
			continue;
		}
		tlb_touch(&m->tlb, a, e);
		ws->start = i + 1;
		ws->table = e->pa;
		ws->rights = e->flags & (TLBE_RW | TLBE_US | TLBE_XD);
		return;
	}
}

/* After a successful walk: set A at every entry read and D at the leaf on a write. */
static void walk_update_ad(struct mmu *m, const struct paging_mode_desc *pm,
			   const struct walk_state *ws, int leaf, bool write)
{
	for (int i = ws->start; i <= leaf; i++) {
		if (pm->lv[i].from_regs)
			continue;
		uint8_t set = 0;
		if (!(ws->ent[i] & PTE_A))
			set |= PTE_A;
		if (i == leaf && write && !(ws->ent[i] & PTE_D))
			set |= PTE_D;
		if (set) {
			set_entry_bits(m, ws->epa[i], set);
			m->st.ad_updates[pm->lv[i].level]++;
		}
	}
}

/* After a successful walk: cache the non-leaf entries read in their page-walk caches. */
static void walk_fill_pwc(struct mmu *m, const struct paging_mode_desc *pm, uint64_t la,
			  const struct walk_state *ws, int leaf)
{
	for (int i = ws->start; i < leaf; i++) {
		const struct paging_level *lv = &pm->lv[i];
		if (lv->pwc < 0 || !m->tlb.a[lv->pwc].entries)
			continue;
		struct tlb_entry src = {.vpn = la >> lv->shift,
					.pa = ws->next[i],
					.pcid = m->pcid,
					.shift = lv->shift,
					.page_shift = lv->shift,
					.flags = (uint8_t)(TLBE_VALID | ws->acc[i])};
		tlb_array_fill(&m->tlb, &m->tlb.a[lv->pwc], &src);
	}
}

bool mmu_walk(struct mmu *m, uint64_t la, unsigned flags, struct walk_result *r,
	      struct x86_fault *f)
{
	const struct paging_mode_desc *pm = &paging_modes[m->mode];
	struct walk_state ws;
	int i;

	m->st.walks++;
	walk_start(m, pm, la, &ws);
	for (i = ws.start;; i++) {
		const struct paging_level *lv = &pm->lv[i];
		unsigned idx = (unsigned)(la >> lv->shift) & ((1u << lv->bits) - 1);
		uint64_t e;
		if (lv->from_regs) {
			e = m->pdpte[idx];
			ws.epa[i] = ~0ULL;
		} else {
			ws.epa[i] = ws.table + (uint64_t)idx * pm->entry_size;
			e = read_entry(m, ws.epa[i], pm->entry_size);
			m->st.walk_refs[lv->level]++;
		}
		ws.ent[i] = e;
		if (!(e & PTE_P)) {
			m->st.pf_not_present++;
			mmu_page_fault(m, la, flags, 0, f);
			return false;
		}
		bool leaf = is_leaf(m, pm, i, e);
		if (e & m->rsvd[i][leaf]) {
			m->st.pf_rsvd++;
			mmu_page_fault(m, la, flags, PF_ERR_P | PF_ERR_RSVD, f);
			return false;
		}
		if (!lv->from_regs)
			ws.rights = combine_rights(ws.rights, entry_rights(m, e));
		ws.acc[i] = ws.rights;
		if (leaf) {
			r->page_shift = lv->shift;
			r->page_pa = entry_addr(m, e, true, lv->shift);
			break;
		}
		ws.table = ws.next[i] = entry_addr(m, e, false, 12);
	}
	if (!mmu_rights_allow(m, ws.rights, flags)) {
		m->st.pf_protection++;
		mmu_page_fault(m, la, flags, PF_ERR_P, f);
		return false;
	}
	bool write = (flags & MMU_KIND_MASK) == MMU_WRITE;
	walk_update_ad(m, pm, &ws, i, write);
	walk_fill_pwc(m, pm, la, &ws, i);
	r->rights = (uint8_t)ws.rights;
	r->global = (ws.ent[i] & PTE_G) && (m->cr4 & CR4_PGE);
	r->dirty = write || (ws.ent[i] & PTE_D);
	return true;
}

bool mmu_probe(struct mmu *m, uint64_t la, struct mmu_walk_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	if (m->mode == PG_MODE_NONE) {
		tr->pa = la & 0xffffffffULL;
		tr->page_shift = 12;
		return true;
	}
	if (!mmu_canonical(m, la))
		return false;
	const struct paging_mode_desc *pm = &paging_modes[m->mode];
	uint64_t table = root_table(m);
	for (int i = 0; i < pm->nr_levels; i++) {
		const struct paging_level *lv = &pm->lv[i];
		unsigned idx = (unsigned)(la >> lv->shift) & ((1u << lv->bits) - 1);
		struct mmu_walk_step *s = &tr->step[tr->nr_steps++];
		s->level = lv->level;
		s->entry_pa = lv->from_regs ? ~0ULL : table + (uint64_t)idx * pm->entry_size;
		s->entry =
		    lv->from_regs ? m->pdpte[idx] : read_entry(m, s->entry_pa, pm->entry_size);
		if (!(s->entry & PTE_P))
			return false;
		bool leaf = is_leaf(m, pm, i, s->entry);
		if (s->entry & m->rsvd[i][leaf])
			return false;
		if (leaf) {
			tr->page_shift = lv->shift;
			tr->pa = entry_addr(m, s->entry, true, lv->shift) |
				 (la & ((1ULL << lv->shift) - 1));
			return true;
		}
		table = entry_addr(m, s->entry, false, 12);
	}
	return false;
}
