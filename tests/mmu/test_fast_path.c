/*
 * The softmmu-style fast path in front of the TLB: a lookup key is the page address plus
 * the low bits of a misaligned access, so no key may ever equal the marker of an empty
 * entry, whatever the address. (A marker of 1 once matched every read at an address
 * ending in binary 01 and used a stale host pointer.)
 *
 * A fast hit stands for the L1 hit it bypasses: the statistics and the LRU decisions of a
 * run with the fast path must be those of the same run with every access through the
 * modelled TLB. The twin tests run one operation sequence on two machines, one of which
 * drops its fast path after every operation, and compare everything both can print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "tests/mmu/mmu_test_env.h"

/* Misaligned reads at every low-bit pattern, at an unmapped address on a cold fast path:
 * each must fault (#PF), never be answered by an empty fast entry. */
static void test_fast_path_empty_entries_never_match_misaligned_keys(void **state)
{
	struct env e;
	env_init(&e);
	uint64_t root = env_table(&e);
	env_map64(&e, root, 4, 0x400000, 0x200000, 12, ENV_ALL, ENV_ALL, NULL);
	env_long_mode(&e, false, root, 0);
	mmu_set_cpl(&e.m, 3);
	for (uint64_t low = 0; low < 16; low++) {
		for (unsigned size = 1; size <= 8; size *= 2) {
			uint64_t v = 0;
			struct x86_fault f;
			memset(&f, 0, sizeof(f));
			bool ok = mmu_read(&e.m, low, size, &v, 0, &f);
			assert_false(ok);
			assert_int_equal(f.vector, 14);
			assert_int_equal(f.cr2, low);
		}
	}
	/* And a mapped page still reads through the fast path at every offset. */
	e.bus.ram[0x200000 + 5] = 0xab;
	uint64_t v = 0;
	struct x86_fault f;
	assert_true(mmu_read(&e.m, 0x400005, 1, &v, 0, &f));
	assert_int_equal(v, 0xab);
	assert_true(mmu_read(&e.m, 0x400005, 1, &v, 0, &f));
	assert_int_equal(v, 0xab);
	env_destroy(&e);
}

#define LA4K 0x00007f0000000000ULL /* 4K pages */
#define LA2M 0x00007f4000000000ULL /* 2M pages */
#define LA1G 0x00007f8000000000ULL /* 1G pages (PDPT entries 0..) */
#define DATA 0x800000ULL	   /* physical data area: 8 MiB up (tables are below) */
#define N4K 96			   /* 6 pages per set of the 16-set L1 DTLB: evictions */
#define N2M 40			   /* 5 per set of the 8-set 2M L1 DTLB */
#define N1G 6			   /* more than the 4-entry 1G L1 DTLB */

/* Two machines with the same page tables; slow drops its fast path after each step. */
struct twin {
	struct env fast, slow;
	uint64_t root;
	uint64_t l1d_hits;    /* fast machine: L1 DTLB hits before the last statistics reset */
	uint64_t inline_hits; /* ... of them through inline fast entries (counted in place) */
	uint8_t *watch;	      /* the fast machine's write-watch bitmap, or NULL */
	uint64_t watched_writes; /* its writes to watched frames */
};

#define WATCH_FRAMES (ENV_RAM >> 12)

/* Adds or removes (by bit 0 of r) a frame of the data area to the fast machine's
 * write-watch bitmap, as the CPU's decoded-code cache does. */
static void twin_toggle_watch(struct twin *tw, uint64_t r)
{
	uint64_t frame = (DATA >> 12) + (r >> 8) % 1024;
	uint8_t bit = (uint8_t)(1u << (frame & 7));
	if (r & 1) {
		if (!(tw->watch[frame >> 3] & bit)) {
			tw->watch[frame >> 3] |= bit;
			mmu_write_watch_frame(&tw->fast.m, frame << 12);
		}
	} else {
		tw->watch[frame >> 3] &= (uint8_t)~bit;
	}
}

/* The physical address twin_map maps la to. */
static uint64_t twin_pa(uint64_t la)
{
	if (la >= LA1G)
		return (la - LA1G) & 0x3fffffffULL;
	if (la >= LA2M)
		return DATA + (((la - LA2M) >> 21) % 4) * 0x200000ULL + (la & 0x1fffffULL);
	return DATA + (((la - LA4K) >> 12) % 512) * 0x1000ULL + (la & 0xfffULL);
}

/* No write fast entry of the fast machine maps a watched frame. */
static void twin_check_watch(struct twin *tw)
{
	const struct tlb *t = &tw->fast.m.tlb;
	for (unsigned mode = 0; mode < TLB_NR_FAST_MODES; mode++)
		for (unsigned i = 0; i < TLB_FAST_SIZE; i++) {
			const struct tlb_fast_entry *fe = &t->fast[mode][MMU_WRITE][i];
			if (fe->tag == TLB_FAST_EMPTY)
				continue;
			uintptr_t host = (uintptr_t)(fe->tag & ~0xfffULL) + fe->addend;
			uint64_t pa = host - (uintptr_t)tw->fast.bus.ram;
			assert_false(mmu_frame_watched(&tw->fast.m, pa));
		}
}

/* The fast machine's L1 DTLB hits, and those of them counted in place by the inline path
 * (the 4K array's hits minus those added to its counters). */
static void twin_fast_hits(struct twin *tw, uint64_t *l1d, uint64_t *inl)
{
	const struct tlb *t = &tw->fast.m.tlb;
	*l1d = mmu_tlb_level_hits(&tw->fast.m, TLB_LEVEL_L1D);
	const struct tlb_array *a = &t->a[t->inline_array[TLB_LEVEL_L1D]];
	*inl = tlb_array_hits(t, a) - a->st.hits;
}

static void twin_map(struct env *e, uint64_t *root, uint64_t cr4_extra)
{
	*root = env_table(e);
	for (unsigned i = 0; i < N4K; i++)
		env_map64(e, *root, 4, LA4K + i * 0x1000ULL, DATA + (i % 512) * 0x1000ULL, 12,
			  ENV_ALL, ENV_ALL, NULL);
	for (unsigned i = 0; i < N2M; i++)
		env_map64(e, *root, 4, LA2M + i * 0x200000ULL, DATA + (i % 4) * 0x200000ULL, 21,
			  ENV_ALL, ENV_ALL, NULL);
	/* 1G pages start at physical 0: only offsets in the data area are accessed. */
	for (unsigned i = 0; i < N1G; i++)
		env_map64(e, *root, 4, LA1G + i * 0x40000000ULL, 0, 30, ENV_ALL, ENV_ALL, NULL);
	/* CR4.PCIDE needs long mode first. */
	env_long_mode(e, false, *root, cr4_extra & ~CR4_PCIDE);
	if (cr4_extra & CR4_PCIDE) {
		struct x86_fault f;
		assert_true(mmu_set_cr4(&e->m, e->m.cr4 | CR4_PCIDE, &f));
	}
}

static void twin_init(struct twin *tw, const char *tlb, uint64_t cr4_extra)
{
	uint64_t root2;
	env_init_cfg(&tw->fast, tlb);
	env_init_cfg(&tw->slow, tlb);
	twin_map(&tw->fast, &tw->root, cr4_extra);
	twin_map(&tw->slow, &root2, cr4_extra);
	assert_int_equal(tw->root, root2);
}

static void twin_destroy(struct twin *tw)
{
	env_destroy(&tw->fast);
	env_destroy(&tw->slow);
}

/* After each step: the slow machine's fast path goes, so its next access takes the TLB. */
static void twin_step_done(struct twin *tw)
{
	tlb_fast_flush(&tw->slow.m.tlb);
}

/* Both machines print the same statistics (every counter, as JSON). */
static void twin_compare_stats(struct twin *tw, int step)
{
	static char a[16384], b[16384];
	assert_true(mmu_stats_json_buf(&tw->fast.m, a, sizeof(a)) < (int)sizeof(a));
	mmu_stats_json_buf(&tw->slow.m, b, sizeof(b));
	if (strcmp(a, b))
		fail_msg("step %d: statistics differ\nfast path: %s\nTLB only:  %s", step, a, b);
}

/* Both machines' TLB arrays hold the same entries in the same ways. */
static void twin_compare_tlbs(struct twin *tw)
{
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		const struct tlb_array *x = &tw->fast.m.tlb.a[i], *y = &tw->slow.m.tlb.a[i];
		for (uint32_t j = 0; j < x->entries; j++) {
			const struct tlb_entry *p = &x->e[j], *q = &y->e[j];
			bool pv = p->flags & TLBE_VALID, qv = q->flags & TLBE_VALID;
			if (pv != qv || (pv && (p->vpn != q->vpn || p->pcid != q->pcid)))
				fail_msg("array %s way %u differs", x->name, j);
		}
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A linear address in one of the mapped pages (4K pages most often) whose physical byte
 * is in the data area, and the access size; sometimes unaligned, sometimes crossing into
 * the next 4K page. */
static uint64_t pick_address(uint64_t r, unsigned *size, bool large_heavy)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	uint64_t off = (r >> 20) & 0xfff, la;
	unsigned kind = (unsigned)(r >> 40) % 8;
	*size = sizes[(r >> 34) & 3];
	if ((r >> 36) & 7)
		off &= ~(uint64_t)(*size - 1);
	if (large_heavy)
		kind = kind < 1 ? 0 : kind < 7 ? 5 : 7;
	if (kind < 5) /* page i+1 exists for a crossing: i < N4K - 1 */
		la = LA4K + ((r >> 8) % (N4K - 1)) * 0x1000ULL + off;
	else if (kind < 7 && large_heavy) /* a working set the fast path holds */
		la = LA2M + ((r >> 8) % 8) * 0x200000ULL + ((r >> 44) % 4) * 0x1000ULL + off;
	else if (kind < 7)
		la = LA2M + ((r >> 8) % N2M) * 0x200000ULL + ((r >> 44) % 16) * 0x1000ULL + off;
	else
		la = LA1G + ((r >> 8) % N1G) * 0x40000000ULL + DATA + ((r >> 44) % 16) * 0x1000ULL +
		     off;
	return la;
}

/* One access of either kind on machine e; a fault is no error here (both must agree). */
static bool access(struct env *e, uint64_t la, unsigned size, unsigned kind, uint64_t *v)
{
	struct x86_fault f;
	if (kind == MMU_WRITE)
		return mmu_write(&e->m, la, size, *v, 0, &f);
	if (kind == MMU_FETCH)
		return mmu_fetch(&e->m, la, size, v, &f);
	return mmu_read(&e->m, la, size, v, 0, &f);
}

/* One random operation on both machines: mostly accesses, and the operations that change
 * what the TLBs and the fast path hold (CPL, INVLPG, INVPCID, MOV to CR3 between two
 * PCIDs with and without the no-flush bit), statistics read or reset in between. */
static void twin_random_step(struct twin *tw, uint64_t *rng, int step, bool pcid, bool large_heavy)
{
	uint64_t r = xorshift(rng);
	unsigned op = (unsigned)(r % 100), size;
	struct x86_fault f;
	struct env *m[2] = {&tw->fast, &tw->slow};
	for (int i = 0; i < 2; i++) {
		struct mmu *mm = &m[i]->m;
		if (op < 90) {
			uint64_t la = pick_address(r, &size, large_heavy), v1 = r, v2 = r;
			unsigned kind =
			    (unsigned)(r >> 60) % 4 == 3 ? MMU_FETCH : (r >> 60) % 4 == 2;
			if (tw->watch && (r >> 50) % 16 == 0)
				twin_toggle_watch(tw, xorshift(rng));
			if (tw->watch && kind == MMU_WRITE &&
			    mmu_frame_watched(&tw->fast.m, twin_pa(la)))
				tw->watched_writes++;
			bool ok1 = access(&tw->fast, la, size, kind, &v1);
			bool ok2 = access(&tw->slow, la, size, kind, &v2);
			assert_int_equal(ok1, ok2);
			assert_int_equal(v1, v2);
			break; /* both done */
		} else if (op < 93) {
			mmu_set_cpl(mm, (r >> 10) & 1 ? 3 : 0);
		} else if (op < 95) {
			unsigned size2;
			mmu_invlpg(mm, pick_address(r, &size2, large_heavy));
		} else if (op < 97 && pcid) {
			uint64_t noflush = (r >> 12) & 1 ? CR3_NOFLUSH : 0;
			assert_true(mmu_set_cr3(mm, tw->root | ((r >> 14) & 1) | noflush, &f));
		} else if (op < 98 && pcid) {
			unsigned size2;
			uint64_t la = pick_address(r, &size2, large_heavy);
			assert_true(mmu_invpcid(mm, (r >> 16) % 4, (r >> 18) & 1, la, &f));
		} else if (op < 99) {
			if (i == 0)
				twin_compare_stats(tw, step);
		} else if ((r >> 20) % 8 == 0) {
			if (i == 0) {
				uint64_t l1d, inl;
				twin_fast_hits(tw, &l1d, &inl);
				tw->l1d_hits += l1d;
				tw->inline_hits += inl;
			}
			mmu_stats_reset(mm);
		}
	}
	twin_step_done(tw);
}

/* Twin runs of random operations with the given TLB geometry and CR4 bits: statistics
 * equal throughout, and the TLBs hold the same entries at the end. With watch, the fast
 * machine write-watches frames of the data area, changing which as it goes. */
static void twin_random_run_watched(const char *tlb, uint64_t cr4_extra, uint64_t seed,
				    bool large_heavy, bool watch)
{
	static uint8_t bitmap[WATCH_FRAMES / 8];
	struct twin tw;
	uint64_t rng = seed;
	memset(&tw, 0, sizeof(tw));
	twin_init(&tw, tlb, cr4_extra);
	if (watch) {
		memset(bitmap, 0, sizeof(bitmap));
		tw.watch = bitmap;
		tw.fast.m.write_watch = bitmap;
		tw.fast.m.write_watch_frames = WATCH_FRAMES;
	}
	bool moved = false; /* the inline fast entries went to another array at some point */
	for (int step = 0; step < (large_heavy ? 120000 : 30000); step++) {
		twin_random_step(&tw, &rng, step, cr4_extra & CR4_PCIDE, large_heavy);
		moved |= tw.fast.m.tlb.inline_array[TLB_LEVEL_L1D] != TLB_L1D_4K;
	}
	assert_int_equal(moved, large_heavy);
	twin_compare_stats(&tw, -1);
	twin_compare_tlbs(&tw);
	/* The fast machine did take hits, many of them on inline fast entries. */
	uint64_t l1d, inl;
	twin_fast_hits(&tw, &l1d, &inl);
	assert_true(tw.l1d_hits + l1d > 2000);
	assert_true(tw.inline_hits + inl > 400);
	if (watch) {
		twin_check_watch(&tw);
		assert_true(tw.watched_writes > 100);
	}
	twin_destroy(&tw);
}

static void twin_random_run(const char *tlb, uint64_t cr4_extra, uint64_t seed, bool large_heavy)
{
	twin_random_run_watched(tlb, cr4_extra, seed, large_heavy, false);
}

static void test_fast_path_twin_lru_statistics_equal_tlb_only(void **state)
{
	twin_random_run(NULL, 0, 0x1234567, false);
}

/* Mostly 2M pages: the inline fast entries move to the 2M array and back. */
static void test_fast_path_twin_large_pages_statistics_equal_tlb_only(void **state)
{
	twin_random_run(NULL, 0, 0x5151, true);
}

static void test_fast_path_twin_pcid_switches_statistics_equal_tlb_only(void **state)
{
	twin_random_run(NULL, CR4_PCIDE | CR4_PGE, 0xabcdef, false);
}

static void test_fast_path_twin_fifo_and_random_statistics_equal_tlb_only(void **state)
{
	twin_random_run("l1d4k=64:4:fifo,l1d2m=32:4:random,l1i4k=128:8:fifo,seed=3", 0, 0x777,
			false);
}

/* Frames whose writes are kept off the fast path (the CPU's frames with code), changing
 * as the run goes: the statistics are still those of the TLB alone, and no write fast
 * entry ever maps a watched frame. */
static void test_fast_path_twin_write_watch_statistics_equal_tlb_only(void **state)
{
	twin_random_run_watched(NULL, 0, 0x2468, false, true);
	twin_random_run_watched(NULL, 0, 0x1357, true, true);
}

/* A write fast entry goes when its frame becomes watched (the read entry of the same page
 * stays), none is made while it is watched, and one is made again once it is not. */
static void test_fast_path_write_watch_drops_and_keeps_off_write_entries(void **state)
{
	static uint8_t bitmap[WATCH_FRAMES / 8];
	struct twin tw;
	struct x86_fault f;
	uint64_t v;
	memset(&tw, 0, sizeof(tw));
	memset(bitmap, 0, sizeof(bitmap));
	twin_init(&tw, NULL, 0);
	struct mmu *m = &tw.fast.m;
	m->write_watch = bitmap;
	m->write_watch_frames = WATCH_FRAMES;
	const uint64_t la = LA4K + 5 * 0x1000ULL, frame = (DATA >> 12) + 5;
	assert_true(mmu_write(m, la, 8, 0x1122, 0, &f));
	assert_true(mmu_read(m, la, 8, &v, 0, &f));
	assert_non_null(mmu_fast_peek(m, la, 8, MMU_WRITE));
	assert_non_null(mmu_fast_peek(m, la, 8, MMU_READ));
	bitmap[frame >> 3] |= (uint8_t)(1u << (frame & 7));
	mmu_write_watch_frame(m, frame << 12);
	assert_null(mmu_fast_peek(m, la, 8, MMU_WRITE));
	assert_non_null(mmu_fast_peek(m, la, 8, MMU_READ));
	assert_true(mmu_write(m, la + 8, 8, 0x3344, 0, &f));
	assert_null(mmu_fast_peek(m, la, 8, MMU_WRITE));
	assert_int_equal(rd64(&tw.fast, DATA + 5 * 0x1000ULL + 8), 0x3344);
	bitmap[frame >> 3] = 0;
	assert_true(mmu_write(m, la + 16, 8, 0x5566, 0, &f));
	assert_non_null(mmu_fast_peek(m, la, 8, MMU_WRITE));
	twin_destroy(&tw);
}

/* Small arrays: most accesses evict, so most evictions fall on entries with fast hits. */
static void test_fast_path_twin_small_tlb_statistics_equal_tlb_only(void **state)
{
	twin_random_run("l1d4k=8:4,l1d2m=4:2,l1d1g=2:2,l1i4k=8:2,l2=32:4", 0, 0x99, false);
}

/* LRU with a fast hit as the only use: l1d4k is one set of 4 ways; pages 0..3 are filled
 * in order, then page 0 is read again through the fast path (the only entry used since),
 * so page 4 must replace page 1, the least recently used, and page 0 must still hit. */
static void test_fast_path_hit_refreshes_lru_before_eviction(void **state)
{
	struct twin tw;
	struct x86_fault f;
	uint64_t v;
	twin_init(&tw, "none,l1d4k=4:4", 0);
	struct env *e = &tw.fast;
	for (unsigned i = 0; i < 4; i++)
		assert_true(mmu_read(&e->m, LA4K + i * 0x1000ULL, 8, &v, 0, &f));
	assert_true(mmu_read(&e->m, LA4K, 8, &v, 0, &f)); /* fast hit */
	assert_int_equal(mmu_tlb_level_hits(&e->m, TLB_LEVEL_L1D), 1);
	assert_true(mmu_read(&e->m, LA4K + 4 * 0x1000ULL, 8, &v, 0, &f));
	uint64_t misses = e->m.tlb.lv[TLB_LEVEL_L1D].misses;
	assert_int_equal(misses, 5);
	assert_true(mmu_read(&e->m, LA4K, 8, &v, 0, &f));
	assert_int_equal(e->m.tlb.lv[TLB_LEVEL_L1D].misses, misses); /* 0 stayed */
	assert_true(mmu_read(&e->m, LA4K + 0x1000ULL, 8, &v, 0, &f));
	assert_int_equal(e->m.tlb.lv[TLB_LEVEL_L1D].misses, misses + 1); /* 1 went */
	twin_destroy(&tw);
}

/* The same with global pages and a MOV to CR3 between the fast hit and the eviction: the
 * CR3 write drops the fast path, the global entries stay, and the use made through the
 * dropped fast entry still counts for LRU (and as a hit). */
static void test_fast_path_hit_before_cr3_write_still_orders_lru(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	env_init_cfg(&e, "none,l1d4k=2:2");
	uint64_t root = env_table(&e);
	for (unsigned i = 0; i < 3; i++)
		env_map64(&e, root, 4, LA4K + i * 0x1000ULL, DATA + i * 0x1000ULL, 12,
			  ENV_ALL | PTE_G, ENV_ALL, NULL);
	env_long_mode(&e, false, root, CR4_PGE);
	assert_true(mmu_read(&e.m, LA4K, 8, &v, 0, &f));
	assert_true(mmu_read(&e.m, LA4K + 0x1000, 8, &v, 0, &f));
	assert_true(mmu_read(&e.m, LA4K, 8, &v, 0, &f)); /* fast hit: 0 is now the newer */
	assert_true(mmu_set_cr3(&e.m, root, &f));	 /* globals survive, fast path goes */
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 1);
	assert_true(mmu_read(&e.m, LA4K + 0x2000, 8, &v, 0, &f)); /* evicts page 1 */
	uint64_t misses = e.m.tlb.lv[TLB_LEVEL_L1D].misses;
	assert_true(mmu_read(&e.m, LA4K, 8, &v, 0, &f));
	assert_int_equal(e.m.tlb.lv[TLB_LEVEL_L1D].misses, misses);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 2);
	env_destroy(&e);
}

/* Fast hits on a 2M page are hits of the 2M array, visible before anything drops them,
 * gone after a statistics reset, and counted again from zero after it. */
static void test_fast_path_large_page_hits_counted_in_their_array(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	env_init(&e);
	uint64_t root = env_table(&e);
	env_map64(&e, root, 4, LA2M, DATA, 21, ENV_ALL, ENV_ALL, NULL);
	env_long_mode(&e, false, root, 0);
	for (int i = 0; i < 10; i++)
		assert_true(mmu_read(&e.m, LA2M + (i % 3) * 0x1000ULL, 8, &v, 0, &f));
	/* Three 4K parts of one 2M entry: 1 miss, then 9 hits, 2 of them through new fast
	 * entries made on the first use of a part (those are modelled hits). */
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_2M]), 9);
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_4K]), 0);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 9);
	mmu_stats_reset(&e.m);
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_2M]), 0);
	assert_true(mmu_read(&e.m, LA2M, 8, &v, 0, &f));
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_2M]), 1);
	mmu_invlpg(&e.m, LA2M); /* drops the entry and its fast entries: the hit stays */
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_2M]), 1);
	env_destroy(&e);
}

/* A run of 2M-page reads gives the inline fast entries to the 2M array (its hits are then
 * counted by the tick) and a run of 4K-page reads gives them back; every read after the
 * first of each page is one hit of its array throughout. */
static void test_fast_path_inline_entries_follow_the_busy_array(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	env_init(&e);
	uint64_t root = env_table(&e);
	env_map64(&e, root, 4, LA2M, DATA, 21, ENV_ALL, ENV_ALL, NULL);
	env_map64(&e, root, 4, LA4K, DATA, 12, ENV_ALL, ENV_ALL, NULL);
	env_long_mode(&e, false, root, 0);
	const struct tlb *t = &e.m.tlb;
	assert_int_equal(t->inline_array[TLB_LEVEL_L1D], TLB_L1D_4K);
	for (int i = 0; i < 3 * TLB_FAST_REBALANCE; i++)
		assert_true(mmu_read(&e.m, LA2M + (i % 4) * 0x1000ULL, 8, &v, 0, &f));
	assert_int_equal(t->inline_array[TLB_LEVEL_L1D], TLB_L1D_2M);
	assert_int_equal(tlb_array_hits(t, &t->a[TLB_L1D_2M]), 3 * TLB_FAST_REBALANCE - 1);
	for (int i = 0; i < 3 * TLB_FAST_REBALANCE; i++)
		assert_true(mmu_read(&e.m, LA4K, 8, &v, 0, &f));
	assert_int_equal(t->inline_array[TLB_LEVEL_L1D], TLB_L1D_4K);
	assert_int_equal(tlb_array_hits(t, &t->a[TLB_L1D_4K]), 3 * TLB_FAST_REBALANCE - 1);
	assert_int_equal(tlb_array_hits(t, &t->a[TLB_L1D_2M]), 3 * TLB_FAST_REBALANCE - 1);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 6 * TLB_FAST_REBALANCE - 2);
	env_destroy(&e);
}

/* With paging off, every access counts as one unpaged access, fast or not. */
static void test_fast_path_paging_off_accesses_counted_once(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	env_init(&e);
	for (int i = 0; i < 50; i++)
		assert_true(mmu_read(&e.m, DATA + (i % 5) * 0x1000ULL, 4, &v, 0, &f));
	assert_int_equal(mmu_unpaged_accesses(&e.m), 50);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 0);
	mmu_stats_reset(&e.m);
	assert_true(mmu_read(&e.m, DATA, 4, &v, 0, &f));
	assert_int_equal(mmu_unpaged_accesses(&e.m), 1);
	env_destroy(&e);
}

/* Two machines with the same 4K pages at LA4K (and a 2M page at LA2M), the write fast
 * entries of the first two and of a 4K part of the 2M page (in a slot of its own) made on
 * both. */
static void span_pair_init(struct env *e)
{
	struct x86_fault f;
	for (unsigned i = 0; i < 2; i++) {
		env_init(&e[i]);
		uint64_t root = env_table(&e[i]);
		env_map64(&e[i], root, 4, LA4K, DATA, 12, ENV_ALL, ENV_ALL, NULL);
		env_map64(&e[i], root, 4, LA4K + 0x1000, DATA + 0x1000, 12, ENV_ALL, ENV_ALL, NULL);
		env_map64(&e[i], root, 4, LA2M, DATA + 0x200000, 21, ENV_ALL, ENV_ALL, NULL);
		env_long_mode(&e[i], false, root, 0);
		assert_true(mmu_write(&e[i].m, LA4K, 8, 0, 0, &f));
		assert_true(mmu_write(&e[i].m, LA4K + 0x1000, 8, 0, 0, &f));
		assert_true(mmu_write(&e[i].m, LA2M + 0x5000, 8, 0, 0, &f)); /* another slot */
	}
}

/*
 * A misaligned store's accesses counted on the inline fast entry as translations
 * (mmu_fast_count_translated) leave what mmu_translate leaves: an 80-bit store at LA4K +
 * 4 as the CPU's slow paths make it (the 8-byte part's probe translated, the 2-byte
 * part's an inline hit, then the same for the writes), on one machine through
 * mmu_translate and mmu_write, on the other counted on the entry of mmu_fast_peek_span.
 * The ticks, the modelled hits, every array's hits, the L1 entry's and the fast entry's
 * LRU stamps and the JSON statistics are equal.
 */
static void test_fast_path_count_translated_equals_translation(void **state)
{
	struct env e[2];
	struct x86_fault f;
	uint64_t pa;
	char js[2][4096];
	span_pair_init(e);
	for (unsigned pass = 0; pass < 2; pass++) {
		assert_true(mmu_translate(&e[0].m, LA4K + 4, MMU_WRITE, &pa, &f));
		assert_true(mmu_write(&e[0].m, LA4K + 12, 2, 0, 0, &f));
	}
	struct tlb_fast_entry *fe = mmu_fast_peek_span(&e[1].m, LA4K + 4, 10, MMU_WRITE);
	assert_non_null(fe);
	for (unsigned pass = 0; pass < 2; pass++) {
		mmu_fast_count_translated(&e[1].m, fe, LA4K + 4, MMU_WRITE);
		mmu_fast_count(&e[1].m, fe, MMU_WRITE);
	}
	const struct tlb *t0 = &e[0].m.tlb, *t1 = &e[1].m.tlb;
	assert_memory_equal(t0->tick, t1->tick, sizeof(t0->tick));
	assert_memory_equal(t0->tick_other, t1->tick_other, sizeof(t0->tick_other));
	for (unsigned a = 0; a < TLB_NR_ARRAYS; a++) {
		assert_int_equal(t0->a[a].st.hits, t1->a[a].st.hits);
		assert_int_equal(tlb_array_hits(t0, &t0->a[a]), tlb_array_hits(t1, &t1->a[a]));
	}
	const struct tlb_entry *te0 = tlb_array_find(&e[0].m.tlb.a[TLB_L1D_4K], LA4K, 0);
	const struct tlb_entry *te1 = tlb_array_find(&e[1].m.tlb.a[TLB_L1D_4K], LA4K, 0);
	assert_non_null(te0);
	assert_non_null(te1);
	assert_int_equal(te0->stamp, te1->stamp);
	assert_int_equal(mmu_fast_peek_span(&e[0].m, LA4K, 8, MMU_WRITE)->stamp, fe->stamp);
	assert_int_equal(t1->a[TLB_L1D_4K].st.hits, 2); /* the two translated ones */
	mmu_stats_json_buf(&e[0].m, js[0], sizeof(js[0]));
	mmu_stats_json_buf(&e[1].m, js[1], sizeof(js[1]));
	assert_string_equal(js[0], js[1]);
	env_destroy(&e[0]);
	env_destroy(&e[1]);
}

/* mmu_fast_peek_span: the inline entry for a span of any alignment inside its page, up
 * to its last byte; NULL for a span that crosses into the next page (even one whose own
 * entry is there), for a page with no entry of that kind, and for an out-of-line mirror
 * (a 2M page's, while the 4K array's mirrors are the inline ones). Nothing counted. */
static void test_fast_path_peek_span_takes_spans_within_one_page(void **state)
{
	struct env e[2];
	span_pair_init(e);
	struct mmu *m = &e[0].m;
	uint64_t tick = m->tlb.tick[TLB_LEVEL_L1D];
	struct tlb_fast_entry *fe = mmu_fast_peek_span(m, LA4K, 8, MMU_WRITE);
	assert_non_null(fe);
	assert_ptr_equal(mmu_fast_peek_span(m, LA4K + 3, 10, MMU_WRITE), fe);
	assert_ptr_equal(mmu_fast_peek_span(m, LA4K + 0xff6, 10, MMU_WRITE), fe);
	assert_ptr_equal(mmu_fast_peek_span(m, LA4K + 0xffc, 4, MMU_WRITE), fe);
	assert_null(mmu_fast_peek_span(m, LA4K + 0xff7, 10, MMU_WRITE));
	assert_null(mmu_fast_peek_span(m, LA4K + 0xffd, 4, MMU_WRITE));
	assert_null(mmu_fast_peek_span(m, LA4K + 0x2000, 2, MMU_WRITE)); /* not mapped */
	assert_null(mmu_fast_peek_span(m, LA4K + 0x1000, 8, MMU_FETCH)); /* no fetch entry */
	assert_int_equal(m->fast_cur[MMU_WRITE][((LA2M + 0x5000) >> 12) % TLB_FAST_SIZE].tag,
			 (LA2M + 0x5000) | TLB_FAST_SLOW);
	assert_null(mmu_fast_peek_span(m, LA2M + 0x5000, 8, MMU_WRITE)); /* out of line */
	assert_int_equal(m->tlb.tick[TLB_LEVEL_L1D], tick);
	env_destroy(&e[0]);
	env_destroy(&e[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fast_path_empty_entries_never_match_misaligned_keys),
	    cmocka_unit_test(test_fast_path_twin_lru_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_twin_large_pages_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_twin_pcid_switches_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_twin_fifo_and_random_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_twin_small_tlb_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_twin_write_watch_statistics_equal_tlb_only),
	    cmocka_unit_test(test_fast_path_write_watch_drops_and_keeps_off_write_entries),
	    cmocka_unit_test(test_fast_path_hit_refreshes_lru_before_eviction),
	    cmocka_unit_test(test_fast_path_hit_before_cr3_write_still_orders_lru),
	    cmocka_unit_test(test_fast_path_large_page_hits_counted_in_their_array),
	    cmocka_unit_test(test_fast_path_inline_entries_follow_the_busy_array),
	    cmocka_unit_test(test_fast_path_paging_off_accesses_counted_once),
	    cmocka_unit_test(test_fast_path_count_translated_equals_translation),
	    cmocka_unit_test(test_fast_path_peek_span_takes_spans_within_one_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
