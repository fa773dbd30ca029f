/*
 * Translation through the TLB hierarchy, the control-register writes that steer it, the
 * invalidation instructions, and the linear-address accessors' slow paths.
 *
 * The lookup order of one access (SDM 4.10.2, and the hierarchy in mmu/tlb.h):
 *
 *   L1 (ITLB for fetches, DTLB for data; all its page-size arrays)
 *     hit  -> check rights on the cached entry; on a write to a clean entry, walk again
 *             so the walk sets D ("dirty assist")
 *     miss -> L2 (4K+2M array, 1G array): hit -> copy into L1
 *             miss -> page walk (mmu/walk.c) -> fill L2 and L1
 *
 * A fault on a cached entry drops the entries for that address, as a #PF does on hardware
 * (SDM 4.10.4.1), so the retry after the handler walks afresh.
 */
#include "mmu/mmu_internal.h"
#include "mmu/trace.h"

#include <errno.h>

bool mmu_fault(struct x86_fault *f, uint8_t vec, uint32_t err)
{
	*f = (struct x86_fault){.vector = vec, .has_error_code = true, .error_code = err};
	return false;
}

bool mmu_fault_gp(struct x86_fault *f, bool ss, uint32_t err)
{
	return mmu_fault(f, ss ? X86_VEC_SS : X86_VEC_GP, err);
}

/* Hands ev to the tracer, after the batch it holds (callers test m->tracer first: off,
 * tracing costs that test). */
static void trace_event(struct mmu *m, const struct mmu_event *ev)
{
	tlb_trace_flush(&m->tlb);
	m->tracer->event(m->tracer->ctx, m, ev);
}

/* Before a control operation takes effect: the fetches and translations made so far are
 * told first, under the state they were made in. */
static void trace_before_op(struct mmu *m)
{
	if (__builtin_expect(m->tracer != NULL, 0)) {
		tlb_trace_sync(&m->tlb);
		tlb_trace_flush(&m->tlb);
	}
}

/* A control operation, for the tracer, after it took effect (what came before it was told
 * before: trace_before_op). */
static void trace_op(struct mmu *m, uint8_t type, uint64_t la, uint64_t a, uint64_t b)
{
	if (__builtin_expect(m->tracer != NULL, 0)) {
		tlb_trace_sync(&m->tlb);
		trace_event(m, &(struct mmu_event){.type = type, .la = la, .a = a, .b = b});
	}
}

void mmu_trace_sync(struct mmu *m)
{
	trace_before_op(m);
}

/* The fast-path mode of the current CPL and AC. */
static unsigned fast_mode(const struct mmu *m)
{
	return m->cpl == 3 ? TLB_FAST_USER : m->ac ? TLB_FAST_SUP_AC1 : TLB_FAST_SUP_AC0;
}

/* What the inline accessors see while a tracer is attached and the traced tables could not
 * be had: fast tables that are always empty, so every access misses them and reaches
 * mmu_translate, which consults the real ones (translate_traced). Being const, this table
 * sits in read-only memory, so a stray write would stop loudly. */
static const struct tlb_fast_entry no_fast[3][TLB_FAST_SIZE] = {
    [0 ... 2][0 ... TLB_FAST_SIZE - 1] = {.tag = TLB_FAST_EMPTY},
};

/* The fast tables the inline accessors use: the current mode's, or while tracing the
 * traced ones (mmu/tlb_trace.c). Called whenever CPL, AC or CR0 change, so it also keeps
 * ac_check up to date. */
static void set_fast_cur(struct mmu *m)
{
	m->ac_check = m->cpl == 3 && m->ac && (m->cr0 & CR0_AM);
	if (!m->tracer) {
		m->fast_cur = m->tlb.fast[fast_mode(m)];
		return;
	}
	m->tlb.trace_mode_fast = m->tlb.fast[fast_mode(m)];
	if (m->tlb.trace_fast)
		m->fast_cur = m->tlb.trace_fast;
	else
		m->fast_cur = (struct tlb_fast_entry(*)[TLB_FAST_SIZE])no_fast;
}

void mmu_set_tracer(struct mmu *m, const struct mmu_tracer *t)
{
	trace_before_op(m);
	m->tracer = t;
	m->tlb.tracer = t;
	m->tlb.trace_mmu = m;
	tlb_trace_start(&m->tlb, t != NULL);
	set_fast_cur(m);
}

/* Everything cached goes: all TLB entries (global too), all page-walk caches. */
static void flush_everything(struct mmu *m)
{
	tlb_flush_all(&m->tlb, false);
	tlb_flush_pwc_all(&m->tlb);
	m->st.cr_flush++;
}

int mmu_init(struct mmu *m, struct phys_bus *bus, const struct tlb_config *cfg)
{
	struct tlb_config def;
	memset(m, 0, sizeof(*m));
	if (!cfg) {
		tlb_config_default(&def);
		cfg = &def;
	}
	int err = tlb_init(&m->tlb, cfg);
	if (err)
		return err;
	m->bus = bus;
	m->maxphyaddr = 46;
	m->page_1g = true;
	m->exact_stats = true;
	m->fast_cur = m->tlb.fast[TLB_FAST_SUP_AC0];
	m->tlb.trace_mode_fast = m->fast_cur;
	seg_reset(m);
	mmu_update_mode(m);
	return 0;
}

void mmu_destroy(struct mmu *m)
{
	tlb_destroy(&m->tlb);
}

void mmu_set_features(struct mmu *m, unsigned maxphyaddr, bool page_1g)
{
	trace_before_op(m);
	m->maxphyaddr = (uint8_t)(maxphyaddr < 32 ? 32 : maxphyaddr > 52 ? 52 : maxphyaddr);
	m->page_1g = page_1g;
	mmu_update_mode(m);
	flush_everything(m);
	tlb_fast_flush(&m->tlb);
	trace_op(m, MMU_EV_FEATURES, 0, m->maxphyaddr, page_1g);
}

bool mmu_canonical(const struct mmu *m, uint64_t la)
{
	if (m->mode == PG_MODE_4L)
		return (uint64_t)((int64_t)(la << 16) >> 16) == la;
	if (m->mode == PG_MODE_5L)
		return (uint64_t)((int64_t)(la << 7) >> 7) == la;
	return true;
}

/* Reads the four PAE PDPTEs at cr3 into the PDPTE registers; #GP(0) when a present one has
 * reserved bits (SDM 4.4.1), leaving the registers unchanged. */
static bool load_pdptes(struct mmu *m, uint64_t cr3, struct x86_fault *f)
{
	uint64_t rsvd = (~0ULL << m->maxphyaddr) | (0xfULL << 5) | (3ULL << 1);
	uint64_t base = cr3 & 0xffffffe0ULL, pdpte[4];
	for (int i = 0; i < 4; i++) {
		pdpte[i] = bus_load(m->bus, base + 8 * (uint64_t)i, 8);
		if ((pdpte[i] & PTE_P) && (pdpte[i] & rsvd))
			return mmu_fault_gp(f, false, 0);
	}
	memcpy(m->pdpte, pdpte, sizeof(pdpte));
	return true;
}

/* Would the given control values select PAE paging? */
static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME);
}

bool mmu_set_cr0(struct mmu *m, uint64_t cr0, struct x86_fault *f)
{
	trace_before_op(m);
	if ((cr0 >> 32) || ((cr0 & CR0_PG) && !(cr0 & CR0_PE)))
		return mmu_fault_gp(f, false, 0);
	bool pg_on = (cr0 & CR0_PG) && !(m->cr0 & CR0_PG);
	if (pg_on && (m->efer & EFER_LME) && !(m->cr4 & CR4_PAE))
		return mmu_fault_gp(f, false, 0);
	if (!(cr0 & CR0_PG) && (m->cr4 & CR4_PCIDE))
		return mmu_fault_gp(f, false, 0);
	if (pg_on && pae_paging(cr0, m->cr4, m->efer) && !load_pdptes(m, m->cr3, f))
		return false;
	uint64_t old = m->cr0;
	m->cr0 = cr0;
	m->efer = (m->efer & ~EFER_LMA) | (((cr0 & CR0_PG) && (m->efer & EFER_LME)) ? EFER_LMA : 0);
	mmu_update_mode(m);
	if ((old ^ cr0) & (CR0_PG | CR0_PE))
		flush_everything(m);
	tlb_fast_flush(&m->tlb); /* CR0.WP is part of every fast entry's permission check */
	set_fast_cur(m);	 /* CR0.AM */
	trace_op(m, MMU_EV_CR, 0, 0, cr0);
	return true;
}

bool mmu_set_cr4(struct mmu *m, uint64_t cr4, struct x86_fault *f)
{
	trace_before_op(m);
	uint64_t changed = cr4 ^ m->cr4;
	bool lma = m->efer & EFER_LMA;
	if ((cr4 & CR4_PCIDE) && !lma)
		return mmu_fault_gp(f, false, 0);
	if ((changed & cr4 & CR4_PCIDE) && (m->cr3 & CR3_PCID_MASK))
		return mmu_fault_gp(f, false, 0);
	if (lma && (!(cr4 & CR4_PAE) || (changed & CR4_LA57)))
		return mmu_fault_gp(f, false, 0);
	uint64_t paging_bits = CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_LA57;
	if ((changed & paging_bits) && pae_paging(m->cr0, cr4, m->efer) &&
	    !load_pdptes(m, m->cr3, f))
		return false;
	m->cr4 = cr4;
	mmu_update_mode(m);
	/* SDM 4.10.4.1: a change of PGE, or PCIDE 1 -> 0, flushes everything, globals too; we
	 * treat a change of any bit that alters how tables are read the same way. */
	if ((changed & paging_bits) || (changed & ~cr4 & CR4_PCIDE))
		flush_everything(m);
	tlb_fast_flush(&m->tlb);
	trace_op(m, MMU_EV_CR, 0, 4, cr4);
	return true;
}

bool mmu_set_efer(struct mmu *m, uint64_t efer, struct x86_fault *f)
{
	trace_before_op(m);
	uint64_t changed = (efer ^ m->efer) & ~EFER_LMA;
	if ((changed & EFER_LME) && (m->cr0 & CR0_PG))
		return mmu_fault_gp(f, false, 0);
	efer &= ~EFER_LMA;
	if ((m->cr0 & CR0_PG) && (efer & EFER_LME))
		efer |= EFER_LMA;
	m->efer = efer;
	mmu_update_mode(m);
	/* Cached XD rights were decided under the old NXE. */
	if (changed & EFER_NXE)
		flush_everything(m);
	tlb_fast_flush(&m->tlb);
	trace_op(m, MMU_EV_CR, 0, 8, efer);
	return true;
}

bool mmu_set_cr3(struct mmu *m, uint64_t val, struct x86_fault *f)
{
	trace_before_op(m);
	uint64_t src = val;
	bool pcide = m->cr4 & CR4_PCIDE;
	bool noflush = pcide && (val & CR3_NOFLUSH);
	if (pcide)
		val &= ~CR3_NOFLUSH;
	if (m->efer & EFER_LMA) {
		if (val >> m->maxphyaddr)
			return mmu_fault_gp(f, false, 0);
	} else {
		val &= 0xffffffffULL;
	}
	if (m->mode == PG_MODE_PAE && !load_pdptes(m, val, f))
		return false;
	m->cr3 = val;
	mmu_update_mode(m);
	if (noflush) {
		m->st.cr3_noflush++;
	} else if (pcide) {
		tlb_flush_pcid(&m->tlb, m->pcid, true);
		tlb_flush_pwc_pcid(&m->tlb, m->pcid);
		m->st.cr3_flush++;
	} else {
		tlb_flush_all(&m->tlb, true);
		tlb_flush_pwc_all(&m->tlb);
		m->st.cr3_flush++;
	}
	tlb_fast_flush(&m->tlb);
	trace_op(m, MMU_EV_CR, 0, 3, src);
	return true;
}

void mmu_set_cpl(struct mmu *m, unsigned cpl)
{
	if (__builtin_expect(m->tracer != NULL, 0)) {
		tlb_trace_drop_copy(&m->tlb); /* the fetches so far were made at the old CPL */
		tlb_trace_flush(&m->tlb);
	}
	m->cpl = (uint8_t)(cpl & 3);
	set_fast_cur(m);
}

void mmu_set_ac(struct mmu *m, bool ac)
{
	if (__builtin_expect(m->tracer != NULL, 0)) {
		tlb_trace_drop_copy(&m->tlb);
		tlb_trace_flush(&m->tlb);
	}
	m->ac = ac;
	set_fast_cur(m);
}

/* The linear address the TLB sees: 32 bits outside long mode. */
static uint64_t tlb_la(const struct mmu *m, uint64_t la)
{
	return m->mode >= PG_MODE_4L ? la : la & 0xffffffffULL;
}

void mmu_invlpg(struct mmu *m, uint64_t la)
{
	trace_before_op(m);
	m->st.invlpg++;
	trace_op(m, MMU_EV_INVLPG, la, 0, 0);
	if (!mmu_canonical(m, la))
		return; /* INVLPG of a non-canonical address is a no-op */
	tlb_flush_addr(&m->tlb, tlb_la(m, la), m->pcid, false, true);
	tlb_flush_pwc_pcid(&m->tlb, m->pcid);
}

bool mmu_invpcid(struct mmu *m, uint64_t type, uint64_t pcid, uint64_t la, struct x86_fault *f)
{
	trace_before_op(m);
	if (type > 3 || pcid > CR3_PCID_MASK)
		return mmu_fault_gp(f, false, 0);
	if (type == 0 && !mmu_canonical(m, la))
		return mmu_fault_gp(f, false, 0);
	if (type <= 1 && !(m->cr4 & CR4_PCIDE) && pcid != 0)
		return mmu_fault_gp(f, false, 0);
	m->st.invpcid[type]++;
	trace_op(m, MMU_EV_INVPCID, la, type, pcid);
	switch (type) {
	case 0: /* individual address, non-global */
		tlb_flush_addr(&m->tlb, tlb_la(m, la), (uint16_t)pcid, true, true);
		tlb_flush_pwc_pcid(&m->tlb, (uint16_t)pcid);
		break;
	case 1: /* single context, non-global */
		tlb_flush_pcid(&m->tlb, (uint16_t)pcid, true);
		tlb_flush_pwc_pcid(&m->tlb, (uint16_t)pcid);
		break;
	default: /* 2: all contexts with globals; 3: all contexts without */
		tlb_flush_all(&m->tlb, type == 3);
		tlb_flush_pwc_all(&m->tlb);
		break;
	}
	return true;
}

/* The array of group [first, first+3) (or the L2 pair) that holds a page of page_shift:
 * the largest size not above it. NULL when the group has no array small enough. */
static struct tlb_array *group_array(struct mmu *m, int first, int count, unsigned page_shift)
{
	for (int n = (int)tlb_size_of_shift(page_shift); n >= 0; n--)
		for (int i = first; i < first + count; i++) {
			struct tlb_array *a = &m->tlb.a[i];
			if (a->entries && (a->sizes & (1u << n)))
				return a;
		}
	return NULL;
}

/* Builds the entry for la in an array of entry_shift, from a translation that maps
 * base_pa over 2^base_shift bytes (itself part of a page of page_shift). */
static struct tlb_entry make_entry(const struct mmu *m, uint64_t la, uint64_t base_pa,
				   unsigned base_shift, unsigned page_shift, unsigned entry_shift,
				   unsigned flags)
{
	uint64_t off = la & ((1ULL << base_shift) - 1) & ~((1ULL << entry_shift) - 1);
	return (struct tlb_entry){.vpn = la >> entry_shift,
				  .pa = base_pa + off,
				  .pcid = m->pcid,
				  .shift = (uint8_t)entry_shift,
				  .page_shift = (uint8_t)page_shift,
				  .flags = (uint8_t)(flags | TLBE_VALID)};
}

/* Fills a translation into the group [first, first+count); returns the entry, or a copy
 * in *tmp when the group has no array for it. */
static struct tlb_entry *group_fill(struct mmu *m, int first, int count, uint64_t la,
				    const struct tlb_entry *src, struct tlb_array **ap,
				    struct tlb_entry *tmp)
{
	struct tlb_array *a = group_array(m, first, count, src->shift);
	unsigned shift = src->shift;
	for (int n = (int)tlb_size_of_shift(src->shift); a && n >= 0; n--)
		if (a->sizes & (1u << n)) {
			shift = tlb_size_shift((unsigned)n);
			break;
		}
	*tmp = make_entry(m, la, src->pa, src->shift, src->page_shift, shift, src->flags);
	*ap = a;
	return a ? tlb_array_fill(&m->tlb, a, tmp) : tmp;
}

static bool group_present(const struct mmu *m, int first, int count)
{
	for (int i = first; i < first + count; i++)
		if (m->tlb.a[i].entries)
			return true;
	return false;
}

/* Looks la up in the arrays [first, first+count); counts the hit or the level's miss. */
static struct tlb_entry *group_lookup(struct mmu *m, int first, int count, enum tlb_level lv,
				      uint64_t la, struct tlb_array **ap)
{
	for (int i = first; i < first + count; i++) {
		struct tlb_entry *e = tlb_array_find(&m->tlb.a[i], la, m->pcid);
		if (e) {
			tlb_touch(&m->tlb, &m->tlb.a[i], e);
			*ap = &m->tlb.a[i];
			return e;
		}
	}
	if (group_present(m, first, count))
		m->tlb.lv[lv].misses++;
	return NULL;
}

bool mmu_fast_mirror_is_found(struct mmu *m, const struct tlb_fast_entry *fe, uint64_t la,
			      unsigned kind)
{
	const struct tlb_entry *te = (&m->tlb.fast_te[0][0][0])[fe - &m->tlb.fast[0][0][0]];
	if (m->tracer || kind == MMU_FETCH ||
	    fe != &m->fast_cur[kind][(la >> 12) & (TLB_FAST_SIZE - 1)] ||
	    fe->tag != (la & ~0xfffULL) || te == NULL || m->mode == PG_MODE_NONE ||
	    !mmu_canonical(m, la))
		return false;
	for (int i = TLB_L1D_4K; i <= TLB_L1D_1G; i++) {
		const struct tlb_entry *e = tlb_array_find(&m->tlb.a[i], tlb_la(m, la), m->pcid);
		if (e)
			return e == te && mmu_rights_allow(m, e->flags, kind) &&
			       (kind != MMU_WRITE || (e->flags & TLBE_DIRTY));
	}
	return false;
}

/* The walk of la, told to the tracer with the entries it ended on (read back without side
 * effects: the values after the walk's A/D updates, which is all a replay needs). */
static bool walk(struct mmu *m, uint64_t la, unsigned flags, struct walk_result *r,
		 struct x86_fault *f)
{
	bool ok = mmu_walk(m, la, flags, r, f);
	if (__builtin_expect(m->tracer != NULL, 0)) {
		struct mmu_walk_trace tr;
		mmu_probe(m, la, &tr);
		trace_event(m, &(struct mmu_event){.type = MMU_EV_WALK, .la = la, .walk = &tr});
	}
	return ok;
}

/* The translation of a walk result as an entry covering its whole page. */
static struct tlb_entry walk_entry(const struct mmu *m, uint64_t la, const struct walk_result *r)
{
	unsigned fl = r->rights | (r->global ? TLBE_GLOBAL : 0) | (r->dirty ? TLBE_DIRTY : 0);
	return make_entry(m, la, r->page_pa, r->page_shift, r->page_shift, r->page_shift, fl);
}

/* An L1 miss: L2, then the walk; fills what missed. Returns the L1 entry (or a copy in
 * *tmp when L1 has no array for it), NULL with *f on a fault. */
static struct tlb_entry *l1_miss(struct mmu *m, int l1, uint64_t la, unsigned flags,
				 struct tlb_array **ap, struct tlb_entry *tmp, struct x86_fault *f)
{
	struct tlb_array *a2;
	struct tlb_entry src, tmp2;
	struct tlb_entry *e2 = group_lookup(m, TLB_L2, 2, TLB_LEVEL_L2, la, &a2);
	if (e2) {
		src = *e2;
	} else {
		struct walk_result r;
		if (!walk(m, la, flags, &r, f))
			return NULL;
		src = walk_entry(m, la, &r);
		e2 = group_fill(m, TLB_L2, 2, la, &src, &a2, &tmp2);
		src.pa = e2->pa;
		src.shift = e2->shift;
	}
	return group_fill(m, l1, 3, la, &src, ap, tmp);
}

/* A write through a clean entry: walk again so D gets set, then refill. */
static struct tlb_entry *dirty_assist(struct mmu *m, int l1, uint64_t la, unsigned flags,
				      struct tlb_array **ap, struct tlb_entry *tmp,
				      struct x86_fault *f)
{
	struct walk_result r;
	struct tlb_array *a2;
	struct tlb_entry tmp2;
	tlb_flush_addr(&m->tlb, la, m->pcid, false, false);
	if (!walk(m, la, flags, &r, f))
		return NULL;
	struct tlb_entry src = walk_entry(m, la, &r);
	struct tlb_entry *e2 = group_fill(m, TLB_L2, 2, la, &src, &a2, &tmp2);
	src.pa = e2->pa;
	src.shift = e2->shift;
	return group_fill(m, l1, 3, la, &src, ap, tmp);
}

/* Installs the fast-path mirror of a translation just made through L1 entry te. */
static void fast_fill(struct mmu *m, uint64_t la, unsigned flags, uint64_t pa, struct tlb_array *a,
		      struct tlb_entry *te)
{
	uint8_t *host = bus_ram_ptr(m->bus, pa & ~0xfffULL, 4096);
	if (!host || (flags & MMU_IMPLICIT))
		return;
	if ((flags & MMU_KIND_MASK) == MMU_WRITE && mmu_frame_watched(m, pa))
		return;
	tlb_fast_fill(&m->tlb, fast_mode(m), flags & MMU_KIND_MASK, la, host, a, te);
}

void mmu_write_watch_frame(struct mmu *m, uint64_t pa)
{
	const uint8_t *host = bus_ram_ptr(m->bus, pa & ~0xfffULL, 4096);
	if (host)
		tlb_fast_drop_host(&m->tlb, MMU_WRITE, host);
}

static bool translate(struct mmu *m, uint64_t la, unsigned flags, uint64_t *pa, struct x86_fault *f)
{
	unsigned kind = flags & MMU_KIND_MASK;
	if (m->mode == PG_MODE_NONE) {
		*pa = la & 0xffffffffULL;
		m->st.unpaged++;
		fast_fill(m, *pa, flags, *pa, NULL, &m->tlb.unpaged_te);
		return true;
	}
	if (!mmu_canonical(m, la)) {
		m->st.gp_canonical++;
		return mmu_fault_gp(f, flags & MMU_STACK, 0);
	}
	la = tlb_la(m, la);
	int l1 = kind == MMU_FETCH ? TLB_L1I_4K : TLB_L1D_4K;
	enum tlb_level lv = kind == MMU_FETCH ? TLB_LEVEL_L1I : TLB_LEVEL_L1D;
	struct tlb_array *a = NULL;
	struct tlb_entry tmp;
	struct tlb_entry *te = group_lookup(m, l1, 3, lv, la, &a);
	if (!te && !(te = l1_miss(m, l1, la, flags, &a, &tmp, f)))
		return false;
	if (!mmu_rights_allow(m, te->flags, flags)) {
		m->st.pf_protection++;
		mmu_page_fault(m, la, flags, PF_ERR_P, f);
		tlb_flush_addr(&m->tlb, la, m->pcid, false, false);
		return false;
	}
	if (kind == MMU_WRITE && !(te->flags & TLBE_DIRTY) &&
	    !(te = dirty_assist(m, l1, la, flags, &a, &tmp, f)))
		return false;
	*pa = te->pa | (la & ((1ULL << te->shift) - 1));
	if (a)
		fast_fill(m, la, flags, *pa, a, te);
	return true;
}

/* A translation, for the tracer: its result or its fault. */
static void trace_translation(struct mmu *m, uint64_t la, unsigned size, unsigned flags, bool ok,
			      uint64_t pa, const struct x86_fault *f)
{
	struct mmu_event ev = {.type = ok ? MMU_EV_ACCESS : MMU_EV_FAULT,
			       .flags = (uint8_t)flags,
			       .size = (uint8_t)(size < 256 ? size : 0),
			       .la = la,
			       .pa = ok ? pa : 0};
	if (!ok) {
		ev.vector = f->vector;
		ev.error_code = f->error_code;
	}
	trace_event(m, &ev);
}

/* Looks la up in the real fast tables of the current mode: the out-of-line mirrors
 * (TLB_FAST_SLOW), and the inline ones too if all. A hit is the L1 hit it stands for,
 * counted as the inline path counts it; *pa is its physical address. */
static inline bool fast_probe(struct mmu *m, uint64_t la, unsigned flags, bool all, uint64_t *pa)
{
	unsigned kind = flags & MMU_KIND_MASK;
	struct tlb_fast_entry *fe =
	    &m->tlb.fast[fast_mode(m)][kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	uint64_t page = la & ~0xfffULL;
	if (flags & MMU_IMPLICIT)
		return false;
	if (fe->tag == (page | TLB_FAST_SLOW)) {
		if (m->exact_stats)
			tlb_fast_hit_slow(&m->tlb, fe, kind);
	} else if (all && fe->tag == page) {
		mmu_fast_count(m, fe, kind);
	} else {
		return false;
	}
	*pa = (uint64_t)((uintptr_t)(la + fe->addend) - (uintptr_t)m->bus->ram);
	return true;
}

/* A translation while tracing: the real fast tables first, then the TLBs; either way the
 * tracer sees it. */
static bool translate_traced(struct mmu *m, uint64_t la, unsigned size, unsigned flags,
			     uint64_t *pa, struct x86_fault *f)
{
	uint8_t *host = mmu_trace_fast_access(m, la, size, flags); /* a data hit, told */
	if (host) {
		*pa = (uint64_t)(host - m->bus->ram);
		return true;
	}
	tlb_trace_sync(&m->tlb);
	bool ok = fast_probe(m, la, flags, true, pa) || translate(m, la, flags, pa, f);
	/* An inline hit of fast_probe is this translation's, told as such below. */
	tlb_trace_mark(&m->tlb);
	if (ok && (flags & (MMU_KIND_MASK | MMU_IMPLICIT)) == MMU_FETCH)
		tlb_trace_fetch(&m->tlb, fast_mode(m), tlb_la(m, la), *pa);
	if (!ok || !tlb_trace_access(&m->tlb, la, *pa, flags, size))
		trace_translation(m, la, size, flags, ok, ok ? *pa : 0, f);
	return ok;
}

/* mmu_translate for an access of size bytes on la's page (0: not known), which only a
 * tracer sees. */
static bool translate_sized(struct mmu *m, uint64_t la, unsigned size, unsigned flags,
			    uint64_t *pa, struct x86_fault *f)
{
	if (__builtin_expect(m->tracer != NULL, 0))
		return translate_traced(m, la, size, flags, pa, f);
	/* Callers come here after the inline lookup missed (or to measure the modelled TLB):
	 * only the mirrors it cannot use are worth a look. */
	return fast_probe(m, la, flags, false, pa) || translate(m, la, flags, pa, f);
}

bool mmu_translate(struct mmu *m, uint64_t la, unsigned flags, uint64_t *pa, struct x86_fault *f)
{
	return translate_sized(m, la, 0, flags, pa, f);
}

/* Reads size bytes at physical pa (RAM or MMIO) into buf. */
static void phys_read(struct mmu *m, uint64_t pa, void *buf, unsigned size)
{
	const void *p = bus_ram_ptr(m->bus, pa, size);
	if (p) {
		memcpy(buf, p, size);
		return;
	}
	uint64_t v = bus_load(m->bus, pa, size);
	memcpy(buf, &v, size);
}

static void phys_write(struct mmu *m, uint64_t pa, const void *buf, unsigned size)
{
	void *p = bus_ram_ptr(m->bus, pa, size);
	if (p) {
		memcpy(p, buf, size);
		return;
	}
	uint64_t v = 0;
	memcpy(&v, buf, size);
	bus_store(m->bus, pa, v, size);
}

/* Splits [la, la+size) at a page boundary: bytes on the first page, and the second page's
 * linear address (wrapping at 4 GiB outside long mode). */
static unsigned split_access(const struct mmu *m, uint64_t la, unsigned size, uint64_t *la2)
{
	unsigned first = 4096 - (unsigned)(la & 0xfff);
	if (first >= size)
		return size;
	*la2 = la + first;
	if (!(m->efer & EFER_LMA))
		*la2 &= 0xffffffffULL;
	return first;
}

/* The inline fast entry (one whose hits are counted by the level's tick alone) of an
 * unaligned access that stays within its page, with the hit counted; NULL otherwise,
 * nothing counted. No call: the slow paths try it first, without a stack frame. */
static inline __attribute__((always_inline)) struct tlb_fast_entry *
fast_lookup_unaligned_inline(struct mmu *m, uint64_t la, unsigned size, unsigned flags)
{
	struct tlb_fast_entry *fe = mmu_fast_peek_in_page(m, la, size, flags);
	if (fe)
		mmu_fast_count(m, fe, flags & MMU_KIND_MASK);
	return fe;
}

/* The fast entry of an unaligned access that stays within its page, or NULL. */
static struct tlb_fast_entry *fast_lookup_unaligned(struct mmu *m, uint64_t la, unsigned size,
						    unsigned flags)
{
	unsigned kind = flags & MMU_KIND_MASK;
	struct tlb_fast_entry *fe = &m->fast_cur[kind][(la >> 12) & (TLB_FAST_SIZE - 1)];
	uint64_t page = la & ~0xfffULL;
	if ((fe->tag != page && fe->tag != (page | TLB_FAST_SLOW)) || (la & 0xfff) > 4096u - size ||
	    (flags & MMU_IMPLICIT))
		return NULL;
	if (!(fe->tag & TLB_FAST_SLOW))
		mmu_fast_count(m, fe, kind);
	else if (m->exact_stats)
		tlb_fast_hit_slow(&m->tlb, fe, kind);
	return fe;
}

bool mmu_alignment_fault(const struct mmu *m, uint64_t la, unsigned align, unsigned flags,
			 struct x86_fault *f)
{
	if (!m->ac_check || !(la & (align - 1)) || (flags & MMU_IMPLICIT) ||
	    (flags & MMU_KIND_MASK) == MMU_FETCH)
		return false;
	*f = (struct x86_fault){.vector = X86_VEC_AC, .has_error_code = true, .error_code = 0};
	return true;
}

/* Where an access of size bytes at la that missed the inline fast path goes: *host when
 * one fast entry maps it whole; else its parts, n[0] bytes at pa[0] and n[1] at pa[1] (0
 * when it stays on one page), both translated before either is touched. false with *f on
 * #AC or a translation fault. */
struct access_parts {
	void *host;
	uint64_t pa[2];
	unsigned n[2];
};

static bool locate_access(struct mmu *m, uint64_t la, unsigned size, unsigned flags,
			  struct access_parts *ap, struct x86_fault *f)
{
	uint64_t la2 = 0;
	if (mmu_access_ac_fault(m, la, size, flags, f))
		return false;
	struct tlb_fast_entry *fe = fast_lookup_unaligned(m, la, size, flags);
	if (fe) {
		ap->host = (void *)(uintptr_t)(la + fe->addend);
		return true;
	}
	ap->host = NULL;
	ap->n[0] = split_access(m, la, size, &la2);
	ap->n[1] = size - ap->n[0];
	return translate_sized(m, la, ap->n[0], flags, &ap->pa[0], f) &&
	       (!ap->n[1] || translate_sized(m, la2, ap->n[1], flags, &ap->pa[1], f));
}

/* mmu_read_slow past a miss of fast_lookup_unaligned_inline: out of line, so that the
 * commonest slow case, an unaligned access within one page that an inline fast entry
 * holds, needs no stack frame. */
static __attribute__((noinline)) bool read_located(struct mmu *m, uint64_t la, unsigned size,
						   uint64_t *val, unsigned flags,
						   struct x86_fault *f)
{
	struct access_parts ap;
	uint64_t v = 0;
	if (!locate_access(m, la, size, flags, &ap, f))
		return false;
	if (ap.host) {
		*val = bus_host_load(ap.host, size);
		return true;
	}
	phys_read(m, ap.pa[0], &v, ap.n[0]);
	if (ap.n[1])
		phys_read(m, ap.pa[1], (uint8_t *)&v + ap.n[0], ap.n[1]);
	*val = v;
	return true;
}

bool mmu_read_slow(struct mmu *m, uint64_t la, unsigned size, uint64_t *val, unsigned flags,
		   struct x86_fault *f)
{
	struct tlb_fast_entry *fe;
	if (__builtin_expect(!m->ac_check, 1) &&
	    (fe = fast_lookup_unaligned_inline(m, la, size, flags))) {
		*val = bus_host_load((void *)(uintptr_t)(la + fe->addend), size);
		return true;
	}
	return read_located(m, la, size, val, flags, f);
}

/* mmu_write_slow past a miss of fast_lookup_unaligned_inline (see read_located). */
static __attribute__((noinline)) bool write_located(struct mmu *m, uint64_t la, unsigned size,
						    uint64_t val, unsigned flags,
						    struct x86_fault *f)
{
	struct access_parts ap;
	if (!locate_access(m, la, size, flags, &ap, f))
		return false;
	if (ap.host) {
		bus_host_store(ap.host, val, size);
		return true;
	}
	phys_write(m, ap.pa[0], &val, ap.n[0]);
	if (ap.n[1])
		phys_write(m, ap.pa[1], (uint8_t *)&val + ap.n[0], ap.n[1]);
	return true;
}

bool mmu_write_slow(struct mmu *m, uint64_t la, unsigned size, uint64_t val, unsigned flags,
		    struct x86_fault *f)
{
	struct tlb_fast_entry *fe;
	if (__builtin_expect(!m->ac_check, 1) &&
	    (fe = fast_lookup_unaligned_inline(m, la, size, flags))) {
		bus_host_store((void *)(uintptr_t)(la + fe->addend), val, size);
		return true;
	}
	return write_located(m, la, size, val, flags, f);
}
