/*
 * The viewer's models (see emu/viewer_model.h): read-only looks at the kernel's mem_map,
 * the current task's maps, the MMU's page tables and TLB arrays, and the zone counters.
 */
#include "emu/viewer_model.h"

#include <stdio.h>
#include <string.h>

#include "emu/machine.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/vmstat.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"

static const char *const kind_names[FK_NR] = {
    [FK_FREE] = "free",		 [FK_PCP] = "pcp free",
    [FK_ANON] = "anon",		 [FK_FILE] = "file",
    [FK_PGTABLE] = "page table", [FK_SLAB] = "slab",
    [FK_VMALLOC] = "vmalloc",	 [FK_KERNEL] = "kernel",
    [FK_ZERO] = "zero page",	 [FK_SWAPCACHE] = "swap cache",
    [FK_OTHER] = "other kernel",
};

const char *frame_kind_name(enum frame_kind kind)
{
	return kind < FK_NR ? kind_names[kind] : "?";
}

/* The kind of an allocated frame that is neither free nor a compound tail. */
static enum frame_kind allocated_kind(const struct kernel *k, const struct page *p)
{
	if (k->vm && p == k->vm->zero_page)
		return FK_ZERO;
	if (PageTable(p))
		return FK_PGTABLE;
	if (PageSlab(p))
		return FK_SLAB;
	if (PageVmalloc(p))
		return FK_VMALLOC;
	if (PageKernel(p) || PageReserved(p))
		return FK_KERNEL;
	if (PageFlag(p, PG_swapcache))
		return FK_SWAPCACHE;
	if (PageAnon(p))
		return FK_ANON;
	if (p->mapping)
		return FK_FILE;
	return FK_OTHER;
}

/* Frames [pfn, end) of a free block after its head: free, of the block's order. */
static void fill_free_tail(struct frame_class *cls, unsigned long pfn, unsigned long end,
			   uint8_t order)
{
	for (; pfn < end; pfn++)
		cls[pfn] = (struct frame_class){FK_FREE, order, 0};
}

/*
 * Only the head of a free block is read: the buddy allocator keeps the block's order in
 * the head alone, and its other frames are free whatever their struct pages hold. On a
 * machine that is mostly free (most large ones) that skips most of the mem_map, which is
 * what a pass over every frame costs: it is read, not computed.
 */
void viewer_classify(const struct kernel *k, unsigned long n, struct frame_class *cls)
{
	for (unsigned long pfn = 0; pfn < n;) {
		const struct page *p = pfn_to_page(k, pfn);
		struct frame_class c = {FK_OTHER, 0, 0};
		if (PageBuddy(p)) {
			uint8_t order = (uint8_t)buddy_order(p);
			unsigned long end = pfn + (1UL << order) < n ? pfn + (1UL << order) : n;
			cls[pfn] = (struct frame_class){FK_FREE, order, 1};
			fill_free_tail(cls, pfn + 1, end, order);
			pfn = end;
			continue;
		}
		if (PagePcp(p))
			c.kind = FK_PCP;
		else if (PageTail(p) && pfn > 0)
			c.kind = cls[pfn - 1].kind;
		else
			c.kind = (uint8_t)allocated_kind(k, p);
		cls[pfn++] = c;
	}
}

/* Names of the page flags worth showing, in bit order. */
static const char *const flag_names[NR_PAGEFLAGS] = {
    [PG_locked] = "locked",
    [PG_referenced] = "referenced",
    [PG_uptodate] = "uptodate",
    [PG_dirty] = "dirty",
    [PG_lru] = "lru",
    [PG_active] = "active",
    [PG_workingset] = "workingset",
    [PG_slab] = "slab",
    [PG_reserved] = "reserved",
    [PG_private] = "private",
    [PG_writeback] = "writeback",
    [PG_head] = "head",
    [PG_tail] = "tail",
    [PG_swapcache] = "swapcache",
    [PG_mappedtodisk] = "mappedtodisk",
    [PG_reclaim] = "reclaim",
    [PG_swapbacked] = "swapbacked",
    [PG_unevictable] = "unevictable",
    [PG_mlocked] = "mlocked",
    [PG_buddy] = "buddy",
    [PG_pcp] = "pcp",
    [PG_pgtable] = "pgtable",
    [PG_vmalloc] = "vmalloc",
    [PG_kernel] = "kernel",
};

void viewer_frame_info(const struct kernel *k, const struct frame_class *cls, unsigned long pfn,
		       char *buf, size_t len)
{
	if (!pfn_valid(k, pfn)) {
		snprintf(buf, len, "pfn %#lx: beyond RAM", pfn);
		return;
	}
	const struct page *p = pfn_to_page(k, pfn);
	const struct zone *z = page_zone(k, p);
	int n = snprintf(buf, len, "pfn %#lx  node %d %s  %s", pfn, page_to_nid(p), z->name,
			 frame_kind_name(cls[pfn].kind));
	if (cls[pfn].kind == FK_FREE)
		n += snprintf(buf + n, len - (size_t)n, " order %u%s", cls[pfn].order,
			      cls[pfn].head ? " (head)" : "");
	n += snprintf(buf + n, len - (size_t)n, "  ref %d map %d owner %u  flags", page_count(p),
		      page_mapcount(p), p->owner);
	for (int f = 0; f < NR_PAGEFLAGS && (size_t)n < len; f++)
		if (PageFlag(p, f))
			n += snprintf(buf + n, len - (size_t)n, " %s", flag_names[f]);
}

/* ---- VMAs ---- */

/* Level at which an entry maps (or, absent, skips) this many address bits. */
static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (PG_PT - level);
}

/* Pages of the VMA that fall into bar bucket i (page p lies in bucket p * B / pages). */
static unsigned long bucket_pages(unsigned long pages, int i)
{
	unsigned long lo = ((unsigned long)i * pages + VMA_BAR_BUCKETS - 1) / VMA_BAR_BUCKETS;
	unsigned long hi = ((unsigned long)(i + 1) * pages + VMA_BAR_BUCKETS - 1) / VMA_BAR_BUCKETS;
	return hi - lo;
}

void viewer_fill_bar(struct vma_row *r, const unsigned long *counts)
{
	for (int i = 0; i < VMA_BAR_BUCKETS; i++) {
		unsigned long cap = bucket_pages(r->pages, i);
		if (!cap)
			r->bar[i] = i ? r->bar[i - 1] : 0;
		else
			r->bar[i] = (uint8_t)((counts[i] * 255 + cap - 1) / cap);
	}
}

static void count_resident_page(struct vma_row *r, uint64_t a, unsigned long *counts)
{
	r->resident++;
	counts[((a - r->start) >> 12) * VMA_BAR_BUCKETS / r->pages]++;
}

/*
 * The rest of the page table whose entry (step s of a walk) maps the 4K page at la: each
 * present entry without reserved bits is a resident page, which is what a probe of its
 * address would find, since the upper levels are the same for the whole table. Reading
 * the table once instead of walking again per page makes the rows of a large VMA cheap.
 * Returns the first address past the table (or past the row).
 */
static uint64_t scan_table_tail(const struct mmu *mmu, struct vma_row *r, uint64_t la,
				const struct mmu_walk_step *s, uint64_t rsvd, unsigned long *counts)
{
	unsigned esize = mmu->mode == PG_MODE_32 ? 4 : 8, entries = 4096 / esize;
	uint64_t end = (la | ((uint64_t)entries * 4096 - 1)) + 1;
	const uint8_t *table = bus_ram_ptr(mmu->bus, s->entry_pa & ~0xfffULL, 4096);
	if (end > r->end || end < la)
		end = r->end;
	if (!table) { /* page tables outside RAM: the page probed, and no further */
		count_resident_page(r, la, counts);
		return la + 4096;
	}
	for (uint64_t a = la; a < end; a += 4096) {
		uint64_t e = 0;
		memcpy(&e, table + ((a >> 12) & (entries - 1)) * esize, esize);
		if ((e & PTE_P) && !(e & rsvd))
			count_resident_page(r, a, counts);
	}
	return end;
}

/* Counts the resident pages of [start, end) into r: a probe where a page table begins,
 * skipping whole ranges under an absent upper-level entry, then the rest of that table
 * read at once (scan_table_tail). */
static void scan_resident(struct mmu *mmu, struct vma_row *r)
{
	unsigned long counts[VMA_BAR_BUCKETS] = {0};
	uint64_t la = r->start;
	while (la < r->end) {
		struct mmu_walk_trace tr;
		uint64_t next;
		if (mmu_probe(mmu, la, &tr)) {
			const struct mmu_walk_step *leaf = &tr.step[tr.nr_steps - 1];
			if (tr.page_shift == 12 && leaf->level == PG_PT && leaf->entry_pa != ~0ULL) {
				next = scan_table_tail(mmu, r, la, leaf,
						       mmu->rsvd[tr.nr_steps - 1][1], counts);
			} else {
				next = (la | ((1ULL << tr.page_shift) - 1)) + 1;
				for (uint64_t a = la; a < next && a < r->end; a += 4096)
					count_resident_page(r, a, counts);
			}
		} else {
			unsigned lv = tr.nr_steps ? tr.step[tr.nr_steps - 1].level : PG_PT;
			next = (la | ((1ULL << level_shift(lv)) - 1)) + 1;
		}
		if (next <= la)
			break; /* wrapped at the top of the address space */
		la = next;
	}
	viewer_fill_bar(r, counts);
}

/* Parses one /proc/PID/maps line into r. false when it is not one. */
static bool parse_maps_line(const char *line, struct vma_row *r)
{
	unsigned long long start, end, off;
	int name_at = 0;
	memset(r, 0, sizeof(*r));
	/* No white space after %n: a line without a name ends there, and a blank in the
	 * format would run on into the next line. */
	if (sscanf(line, "%llx-%llx %4s %llx %*x:%*x %*u%n", &start, &end, r->perms, &off,
		   &name_at) < 4 ||
	    !name_at || end <= start)
		return false;
	while (line[name_at] == ' ')
		name_at++;
	r->start = start;
	r->end = end;
	r->offset = off;
	const char *name = line + name_at;
	size_t n = strcspn(name, "\n");
	snprintf(r->name, sizeof(r->name), "%.*s", (int)n, name);
	r->pages = (unsigned long)((end - start) >> 12);
	return true;
}

int viewer_maps_rows(struct kernel *k, struct mm_struct *mm, struct vma_row *rows, int max)
{
	struct seq_file sf;
	seq_init(&sf);
	proc_pid_maps_show(&sf, k, mm);
	int n = 0;
	for (const char *line = sf.buf; line && *line;) {
		struct vma_row r;
		if (parse_maps_line(line, &r)) {
			if (n < max)
				rows[n] = r;
			n++;
		}
		const char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	seq_release(&sf);
	return n;
}

int viewer_vma_rows(struct machine *m, struct vma_row *rows, int max)
{
	struct kernel *k = &m->kernel;
	if (!k->current || !k->current->mm)
		return 0;
	int n = viewer_maps_rows(k, k->current->mm, rows, max);
	for (int i = 0; i < n && i < max; i++)
		scan_resident(&m->mmu, &rows[i]);
	return n;
}

/* ---- page walk ---- */

const char *walk_level_name(unsigned level)
{
	static const char *const names[PG_NR_LEVELS] = {"PML5E", "PML4E", "PDPTE", "PDE", "PTE"};
	return level < PG_NR_LEVELS ? names[level] : "?";
}

void pte_flags_text(uint64_t e, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s %s %s %s %s %s", e & PTE_P ? "P" : "-",
		 e & PTE_RW ? "RW" : "--", e & PTE_US ? "US" : "--", e & PTE_A ? "A" : "-",
		 e & PTE_D ? "D" : "-", e & PTE_PS ? "PS" : "--", e & PTE_G ? "G" : "-",
		 e & PTE_NX ? "XD" : "--");
}

/* The first array of ids[] (n of them) holding la for the current PCID, or NULL. */
static const char *find_in_arrays(struct mmu *mmu, const enum tlb_array_id *ids, int n, uint64_t la)
{
	for (int i = 0; i < n; i++) {
		struct tlb_array *a = &mmu->tlb.a[ids[i]];
		if (a->entries && tlb_array_find(a, la, mmu->pcid))
			return a->name;
	}
	return NULL;
}

void viewer_walk_model(struct machine *m, uint64_t la, struct walk_model *w)
{
	static const enum tlb_array_id tlbs[] = {TLB_L1D_4K, TLB_L1D_2M, TLB_L1D_1G, TLB_L1I_4K,
						 TLB_L1I_2M, TLB_L1I_1G, TLB_L2,     TLB_L2_1G};
	static const enum tlb_array_id pwcs[] = {TLB_PWC_PDE, TLB_PWC_PDPTE, TLB_PWC_PML4E,
						 TLB_PWC_PML5E};
	struct mmu_walk_trace tr;
	memset(w, 0, sizeof(*w));
	w->la = la;
	w->cr3 = m->mmu.cr3;
	w->mapped = mmu_probe(&m->mmu, la, &tr);
	w->nr_steps = tr.nr_steps < 5 ? tr.nr_steps : 5;
	for (int i = 0; i < w->nr_steps; i++) {
		w->step[i].level = tr.step[i].level;
		w->step[i].entry_pa = tr.step[i].entry_pa;
		w->step[i].entry = tr.step[i].entry;
	}
	if (w->mapped) {
		w->pa = tr.pa;
		w->page_shift = tr.page_shift;
	}
	w->tlb = find_in_arrays(&m->mmu, tlbs, 8, la);
	w->pwc = find_in_arrays(&m->mmu, pwcs, 4, la);
}

/* ---- TLB and counters ---- */

void viewer_tlb_model(struct machine *m, struct tlb_model *t)
{
	memset(t, 0, sizeof(*t));
	for (int id = 0; id < TLB_NR_ARRAYS && t->nr < 16; id++) {
		const struct tlb_array *a = &m->mmu.tlb.a[id];
		if (!a->entries)
			continue;
		t->row[t->nr++] = (struct tlb_row){a->name,
						   a->entries,
						   tlb_array_occupancy(a),
						   tlb_array_hits(&m->mmu.tlb, a),
						   a->st.fills,
						   a->st.misses};
	}
	for (int lv = 0; lv < TLB_NR_LEVELS; lv++) {
		t->level_hits[lv] = mmu_tlb_level_hits(&m->mmu, lv);
		t->level_misses[lv] = m->mmu.tlb.lv[lv].misses;
	}
	t->walks = m->mmu.st.walks;
}

void viewer_counter_model(struct machine *m, struct counter_model *c)
{
	struct kernel *k = &m->kernel;
	memset(c, 0, sizeof(*c));
	for (int nid = 0; nid < k->nr_node_ids; nid++) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int zi = 0; zi < MAX_NR_ZONES && c->nr_zones < 40; zi++) {
			const struct zone *z = &pgdat->node_zones[zi];
			if (!populated_zone(z))
				continue;
			c->zone[c->nr_zones++] =
			    (struct zone_row){nid,
					      z->name,
					      z->zone_start_pfn,
					      z->spanned_pages,
					      z->managed_pages,
					      (unsigned long)z->vm_stat[NR_FREE_PAGES],
					      min_wmark_pages(z),
					      low_wmark_pages(z),
					      high_wmark_pages(z)};
		}
	}
	c->instructions = m->cpu.icount;
	c->exceptions = m->cpu.nr_faults;
	c->pgfault = k->vm_events[PGFAULT];
	c->pgmajfault = k->vm_events[PGMAJFAULT];
	for (int i = PGALLOC_DMA; i <= PGALLOC_MOVABLE; i++)
		c->pgalloc += k->vm_events[i];
	c->pgfree = k->vm_events[PGFREE];
	c->pagetables = (unsigned long)global_node_page_state(k, NR_PAGETABLE);
	if (k->current) {
		c->pid = k->current->pid;
		snprintf(c->comm, sizeof(c->comm), "%s", k->current->comm);
	}
}

void viewer_counter_sample(struct machine *m, struct counter_sample *s)
{
	struct kernel *k = &m->kernel;
	struct counter_model c;
	viewer_counter_model(m, &c);
	memset(s, 0, sizeof(*s));
	s->icount = c.instructions;
	for (int i = 0; i < c.nr_zones; i++) {
		s->free += c.zone[i].free;
		s->min += c.zone[i].min;
		s->low += c.zone[i].low;
		s->high += c.zone[i].high;
	}
	static const enum node_stat_item lru[4] = {NR_INACTIVE_ANON, NR_ACTIVE_ANON,
						   NR_INACTIVE_FILE, NR_ACTIVE_FILE};
	for (int i = 0; i < 4; i++)
		s->lru[i] = (unsigned long)global_node_page_state(k, lru[i]);
	if (k->swap) {
		s->swap_total = k->swap->total_swap_pages;
		s->swap_used = k->swap->total_swap_pages - k->swap->nr_swap_pages;
	}
	s->pgfault = c.pgfault;
	s->pageoutrun = k->vm_events[PAGEOUTRUN];
	s->pgscan_kswapd = k->vm_events[PGSCAN_KSWAPD];
}
