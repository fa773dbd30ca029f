/*
 * cpu/icache.h - the decoded-instruction cache.
 *
 * Decoding costs far more than executing a simple instruction, so decoded instructions are
 * kept with their handlers in blocks: a block is a run of consecutive instructions of one
 * page, decoded together, keyed by the guest physical address of its first byte and the
 * code-segment size it was decoded in. It ends after a control transfer (or an
 * instruction that changes how the next one is fetched), before an instruction that
 * crosses the page or does not decode, or when it is full. The physical key makes the
 * cache independent of CR3 switches and of aliases: two linear mappings of one code frame
 * share blocks, and a change of a page-table entry cannot make a block stale (every
 * instruction's fetch is translated first).
 *
 * The fetch loop (cpu/exec.c) keeps a cursor in the block it runs: when the next
 * instruction's physical address is the one after the instruction just executed, its
 * decoding is the block's next entry, with no lookup; the entries of a block sit next to
 * each other in host memory, so a loop's decodings stay in the host's caches.
 *
 * Self-modifying code, and every other writer of guest memory: an entry keeps the
 * instruction's bytes, and it is used only while the bytes in memory are still those
 * (compared at a block's entry, or once per run of the fetch loop while no store of the
 * CPU lands in a page with code: cpu/exec.c, run_block). Whoever changed them -- a store of
 * this CPU (even one of the same block, to the next instruction), the simulated kernel
 * copying through a host pointer or the bus, a frame freed and reused, another alias
 * such as the kernel's vmalloc mirror -- the next fetch decodes the new bytes into a new
 * block starting there. No writer but the CPU's own stores needs a hook. An instruction
 * that crosses a page boundary is a block of its own: its first part is checked as above,
 * its second part is fetched through the MMU at every execution (the next page could be
 * remapped) and compared.
 *
 * A bitmap over guest RAM marks the pages that hold blocks. It is also the MMU's bitmap of
 * write-watched frames (mmu/mmu.h): a store into such a page never takes the write fast
 * path, so only the slow path looks there (cpu_note_store); and cpu_icache_invalidate_phys
 * (dropping blocks early, e.g. when the kernel frees a frame) costs one bit test for a
 * page without code.
 *
 *   physical address of the block's first instruction
 *   +--------------------------------+--------------+
 *   |          page number           | offset 11:0  |   slot = hash(pa) mod ICACHE_BLOCKS
 *   +--------------------------------+--------------+
 *   tag = pa << 3 | mode / 16 (1: 16-bit, 2: 32-bit, 4: 64-bit); 0 = empty
 */
#ifndef MMEMU_CPU_ICACHE_H
#define MMEMU_CPU_ICACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "mmu/bus.h"
#include "mmu/mmu.h"

#define ICACHE_BLOCK_BITS 12
#define ICACHE_BLOCKS (1u << ICACHE_BLOCK_BITS) /* block slots */
#define ICACHE_BLOCK_MAX 32			/* instructions per block at most */
/* The bytes of a block at most: ICACHE_BLOCK_MAX instructions of 15 bytes, in 8-byte words. */
#define ICACHE_BLOCK_WORDS ((ICACHE_BLOCK_MAX * X86_MAX_INSN_LEN + 7) / 8)

/* One decoded instruction. */
struct icache_entry {
	cpu_exec_fn fn;	     /* the handler */
	uint64_t bytes[2];   /* the instruction's bytes (len of them), then zeros */
	uint64_t mask[2];    /* which bits of bytes[] are the instruction's */
	struct x86_instr in; /* the decoded instruction */
};

struct icache_block;

/* The RIP of an empty chain: never a RIP (not canonical, and above 4 GiB). */
#define ICACHE_CHAIN_NONE 0x8000000000000000ULL

/*
 * A block the fetch loop went on to after this one: the host address of its first byte
 * and the block, valid while the block's generation is still gen (the slot was not
 * refilled or dropped since). It spares the loop the hash and the tag array on the way
 * from a block to one of its usual successors; the successor's bytes are still compared.
 */
struct icache_link {
	const uint8_t *at;
	struct icache_block *to;
	uint32_t gen;
};

/* Consecutive instructions of one page; entry i + 1 starts where entry i ends. A block
 * may hold conditional branches before its last entry (grown past them: cpu/exec.c);
 * such a branch, when taken, ends the block's run. */
struct icache_block {
	uint8_t mode; /* enum x86_mode the block was decoded in */
	uint8_t n;    /* entries filled, 1..ICACHE_BLOCK_MAX (0 while being built) */
	uint8_t cross; /* 0, or: one instruction crossing the page, this many bytes in the first */
	uint8_t sync;  /* one system instruction that the fetch loop leaves to step() (exec.c) */
	uint8_t watch; /* ends in a Jcc it may grow past: its exits are being counted (exec.c) */
	uint8_t falls; /* of those exits, the ones to the instruction after the block */
	uint16_t len;  /* bytes of the block's instructions (the crossing one's: in the first page) */
	uint32_t gen;  /* bumped whenever the slot gets another block or is dropped */
	uint32_t exits; /* exits counted while watched */
	uint64_t checked; /* cpu->code_epoch when its bytes were last compared whole; 0 never */
	struct icache_link link[2]; /* the last two successors, the most recent first */
	/* successors its host code goes on to directly (cpu/jit.h): blocks by their RIP,
	 * valid while to->gen is still gen and, in another page, while the fetch
	 * translation of that page still puts to's first byte at host address at; the most
	 * recent first; an empty one's RIP is ICACHE_CHAIN_NONE */
	struct icache_chain {
		uint64_t rip;
		struct icache_block *to;
		const uint8_t *at;
		uint32_t gen;
	} chain[2];
	uint8_t jit_n;	  /* entries its host code covers (cpu/jit.h); the code is current
			   * while that is n (growing the block changes n) */
	const uint8_t *jit_code; /* that code (its first entry's), while jit_n is n */
	uint8_t jit_heat;	 /* runs without code, up to JIT_HOT (cpu/jit.h) */
	uint16_t off[ICACHE_BLOCK_MAX];	   /* each entry's offset from the block's first byte */
	uint16_t jit_at[ICACHE_BLOCK_MAX]; /* each entry's host code, from its slot's area */
	uint64_t code[ICACHE_BLOCK_WORDS]; /* those bytes, then zeros: icache_block_equal */
	/* a crossing instruction's bytes in its second page, from that page's first byte,
	 * and which bits of cross_code are them (the fetch compares them) */
	uint64_t cross_code[2], cross_mask[2];
	struct icache_entry e[ICACHE_BLOCK_MAX];
};

struct icache {
	uint64_t tag[ICACHE_BLOCKS];	 /* per slot: pa << 3 | mode / 16 of its block; 0 empty */
	struct icache_block *block;	 /* ICACHE_BLOCKS blocks, by slot */
	struct jit *jit;		 /* their host code (cpu/jit.h), NULL: none */
	struct icache_entry uncached;	 /* the last decoding that could not be cached */
	uint8_t *code_pages;		 /* bit per 4K page of guest RAM: has cached blocks */
	uint64_t nr_pages;		 /* pages the bitmap covers */
	const uint8_t *ram;		 /* guest RAM base, to turn host pointers into physical */
	struct mmu *mmu;		 /* whose write-watch bitmap code_pages is */
	uint64_t misses;		 /* instructions decoded into blocks */
	uint64_t blocks;		 /* blocks built */
	uint64_t grown;			 /* blocks grown past their last conditional branch */
	uint64_t stale;			 /* entries refused because the bytes had changed */
	uint64_t invalidations;		 /* pages dropped by cpu_icache_invalidate_phys */
};

/* The cache for mmu's RAM, whose frames with code it makes mmu's write-watched frames
 * (mmu/mmu.h: stores into them always take the MMU's slow path). */
struct icache *icache_create(struct mmu *mmu); /* NULL when out of memory */
void icache_destroy(struct icache *ic);

static inline uint64_t icache_tag(uint64_t pa, unsigned mode)
{
	return pa << 3 | mode >> 4;
}

/* The page number a tag names. */
static inline uint64_t icache_tag_page(uint64_t tag)
{
	return tag >> 15;
}

bool icache_bytes_match_slow(struct icache *ic, const struct icache_entry *e, const uint8_t *host);

/* True when the bytes at host (guest RAM) are still the entry's. The two 8-byte loads
 * may read past the instruction, even into the next page (the masks ignore those bytes),
 * but never past the end of RAM: blocks never hold the last 16 bytes of RAM. */
static inline bool icache_bytes_equal(const struct icache_entry *e, const uint8_t *host)
{
	uint64_t w0, w1;
	memcpy(&w0, host, 8);
	memcpy(&w1, host + 8, 8);
	return !(((w0 ^ e->bytes[0]) & e->mask[0]) | ((w1 ^ e->bytes[1]) & e->mask[1]));
}

/* As icache_bytes_equal, counting a mismatch as a stale entry. */
static inline bool icache_bytes_match(struct icache *ic, const struct icache_entry *e,
				      const uint8_t *host)
{
	if (__builtin_expect(icache_bytes_equal(e, host), 1))
		return true;
	return icache_bytes_match_slow(ic, e, host);
}

/*
 * True when all the bytes of blk (at host in guest RAM) are still its bytes: one compare
 * per 8 bytes, the last 8 taken where the block ends (overlapping the word before), so
 * that no load goes past the block's last byte. A block shorter than 8 bytes compares one
 * masked word from its start (its first instruction lies before the last 16 bytes of RAM).
 */
static inline bool icache_block_equal(const struct icache_block *blk, const uint8_t *host)
{
	unsigned len = blk->len;
	uint64_t w, t;
	if (__builtin_expect(len < 8, 0)) {
		memcpy(&w, host, 8);
		return !((w ^ blk->code[0]) & ((1ULL << (8 * len)) - 1));
	}
	for (unsigned i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, host + i, 8);
		if (w != blk->code[i / 8])
			return false;
	}
	memcpy(&w, host + len - 8, 8);
	memcpy(&t, (const uint8_t *)blk->code + len - 8, 8);
	return w == t;
}

/* The offset of entry i (i <= blk->n) from the block's first byte. */
static inline unsigned icache_block_offset(const struct icache_block *blk, unsigned i)
{
	if (i < blk->n)
		return blk->off[i];
	return i ? blk->off[i - 1] + blk->e[i - 1].in.len : 0;
}

/* True when the entries [e, end) of a block, the first of them at host, still have their
 * bytes there. */
static inline bool icache_entries_equal(const struct icache_entry *e,
					const struct icache_entry *end, const uint8_t *host)
{
	for (; e < end; host += e->in.len, e++)
		if (!icache_bytes_equal(e, host))
			return false;
	return true;
}

/* The slot of a block starting at pa (a multiplicative hash: code at the same offset
 * of different pages, e.g. aligned function entries, spreads over the slots). */
static inline unsigned icache_slot(uint64_t pa)
{
	return (unsigned)((pa * 0x9e3779b97f4a7c15ULL) >> (64 - ICACHE_BLOCK_BITS));
}

/* The block starting at (pa, mode), or NULL. Its entries' bytes are not checked here. */
static inline struct icache_block *icache_lookup(struct icache *ic, uint64_t pa, unsigned mode)
{
	unsigned s = icache_slot(pa);
	if (__builtin_expect(ic->tag[s] == icache_tag(pa, mode), 1))
		return &ic->block[s];
	return NULL;
}

/* The block that the link names if it still stands for the code at host address at. */
static inline struct icache_block *icache_link_follow(const struct icache_link *l,
						      const uint8_t *at)
{
	if (l->at == at && l->to->gen == l->gen)
		return l->to;
	return NULL;
}

/* Records next (at host address at) as the most recent successor of blk. */
static inline void icache_link_add(struct icache_block *blk, struct icache_block *next,
				   const uint8_t *at)
{
	blk->link[1] = blk->link[0];
	blk->link[0] = (struct icache_link){at, next, next->gen};
}

/* An empty block for (pa, mode), replacing what its slot held; marks the page. */
struct icache_block *icache_block_new(struct icache *ic, uint64_t pa, unsigned mode);

/*
 * Appends the decoding of the instruction at pa + (its offset in the block) to blk: in
 * with its bytes (wholly inside the page) and handler. Returns the entry, or NULL (nothing
 * stored) when the block is full or the instruction lies in the last 16 bytes of RAM,
 * whose check could not load 16 bytes.
 */
struct icache_entry *icache_block_add(struct icache *ic, struct icache_block *blk, uint64_t pa,
				      const struct x86_instr *in, const uint8_t *bytes,
				      cpu_exec_fn fn);

/* Makes blk (one instruction) a page-crossing one with first bytes in its first page:
 * only those are compared by icache_bytes_match; the fetch compares the rest (cross_code,
 * cross_mask). */
void icache_block_set_crossing(struct icache_block *blk, unsigned first);

/* Drops every block of the 4K page of pa and clears its bit. */
void icache_drop_page(struct icache *ic, uint64_t pa);
void icache_drop_all(struct icache *ic);

/* True when 4K page number page holds cached blocks. */
static inline bool icache_page_has_code(const struct icache *ic, uint64_t page)
{
	return (ic->code_pages[page >> 3] >> (page & 7)) & 1;
}

#endif /* MMEMU_CPU_ICACHE_H */
