/*
 * The x87 handlers specialised at decode time (cpu/exec_x87.c, cpu_x87_specialise) against
 * the generic handler of the dispatch table (exec_x87, which the host differential tests
 * check against the CPU): every register form of D8, D9, DC, DD and DE that decodes, and
 * every load and store (D8-DF) in the flat shapes [rbx+disp8], [rbx+rsi*8+disp8] and
 * [rip+disp32], from random x87 states (TOP, tags, special and ordinary values, every
 * precision and rounding control, exceptions masked or not, some pending), with the state
 * held by the host or not, the TLB warm or cold, operands aligned, misaligned and across a
 * page end. Both must leave the same FPU state (registers, FCW, FSW, tags, FIP, FDP, FOP,
 * FCS, FDS), general registers, flags, memory, fault and TLB counters. Directed cases
 * check results worked out from the SDM, the choice of forms, and precise faults.
 */
#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"
#include "tests/cpu/cpu_test_env.h"

static int setup(void **state)
{
	static struct cpu_env env;
	struct x86_fault f;
	env_init(&env);
	assert_true(mmu_set_cr0(&env.m, env.m.cr0 | CR0_MP | CR0_NE, &f));
	assert_true(mmu_set_cr4(&env.m, env.m.cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT, &f));
	*state = &env;
	return 0;
}

static int teardown(void **state)
{
	env_destroy(*state);
	return 0;
}

#define WINDOW 8192 /* the first two data pages, compared after every run */

/* What a handler leaves behind. */
struct outcome {
	bool ok;
	uint8_t vector;
	uint32_t error_code;
	struct x87_reg st[8];
	uint16_t fcw, fsw, ftw, fop, fcs, fds;
	uint64_t fip, fdp;
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t misses[TLB_NR_LEVELS], ticks[TLB_NR_LEVELS]; /* what the run added */
	uint64_t others[TLB_NR_LEVELS];	  /* what it added to the ticks of modelled hits */
	uint64_t hits[TLB_NR_ARRAYS];	  /* ... to the arrays' counted hits */
	uint64_t stamps[3][2][2];	  /* data page, read/write: L1 entry, fast entry */
	uint8_t data[WINDOW];
};

/* How a run starts: the TLB warm or flushed, the x87 state held by the host or not. */
enum { RUN_WARM = 0, RUN_COLD = 1, RUN_HELD = 2 };

static void tlb_counts(const struct mmu *m, uint64_t *misses, uint64_t *ticks, uint64_t *others,
		       uint64_t *hits)
{
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++) {
		misses[lv] = m->tlb.lv[lv].misses;
		ticks[lv] = m->tlb.tick[lv];
		others[lv] = m->tlb.tick_other[lv];
	}
	for (unsigned a = 0; a < TLB_NR_ARRAYS; a++)
		hits[a] = m->tlb.a[a].st.hits;
}

/* A use stamp relative to the L1D tick t0 before the run (0: not used since). */
static uint64_t stamp_since(uint64_t stamp, uint64_t t0)
{
	return stamp > t0 ? stamp - t0 : 0;
}

/* The LRU stamps the run left on the first three data pages: of the L1D entry of each
 * page, and of its read and write fast entries (the MMU carries the latter over lazily,
 * so a hit counted on the wrong one would show only later). */
static void tlb_stamps(struct mmu *m, uint64_t t0, uint64_t stamps[3][2][2])
{
	for (unsigned pg = 0; pg < 3; pg++) {
		uint64_t la = ENV_DATA + pg * 4096;
		struct tlb_entry *te = tlb_array_find(&m->tlb.a[TLB_L1D_4K], la, m->pcid);
		for (unsigned k = 0; k < 2; k++) {
			const struct tlb_fast_entry *fe = &m->fast_cur[k][(la >> 12) % TLB_FAST_SIZE];
			stamps[pg][k][0] = te ? stamp_since(te->stamp, t0) : 0;
			stamps[pg][k][1] = fe->tag == la ? stamp_since(fe->stamp, t0) : 0;
		}
	}
}

static void run_one(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in,
		    struct outcome *o, unsigned how)
{
	struct x86_fault f;
	uint64_t misses[TLB_NR_LEVELS], ticks[TLB_NR_LEVELS], others[TLB_NR_LEVELS];
	uint64_t hits[TLB_NR_ARRAYS];
	memset(o, 0, sizeof(*o));
	e->cpu.fault.vector = 0;
	e->cpu.fault.error_code = 0;
	if (how & RUN_COLD)
		assert_true(mmu_set_cr3(&e->m, e->m.cr3, &f));
	if (how & RUN_HELD)
		fpu_hold_x87(&e->cpu);
	tlb_counts(&e->m, misses, ticks, others, hits);
	o->ok = fn(&e->cpu, in);
	tlb_counts(&e->m, o->misses, o->ticks, o->others, o->hits);
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++) {
		o->misses[lv] -= misses[lv];
		o->ticks[lv] -= ticks[lv];
		o->others[lv] -= others[lv];
	}
	for (unsigned a = 0; a < TLB_NR_ARRAYS; a++)
		o->hits[a] -= hits[a];
	tlb_stamps(&e->m, ticks[TLB_LEVEL_L1D], o->stamps);
	cpu_fpu_sync(&e->cpu);
	o->vector = o->ok ? 0 : e->cpu.fault.vector;
	o->error_code = o->ok ? 0 : e->cpu.fault.error_code;
	const struct x87_state *x = &e->cpu.fpu;
	for (unsigned i = 0; i < 8; i++) {
		o->st[i].mant = x->st[i].mant;
		o->st[i].sexp = x->st[i].sexp;
	}
	o->fcw = x->fcw;
	o->fsw = x->fsw;
	o->ftw = x->ftw;
	o->fop = x->fop;
	o->fcs = x->fcs;
	o->fds = x->fds;
	o->fip = x->fip;
	o->fdp = x->fdp;
	memcpy(o->gpr, e->cpu.gpr, sizeof(o->gpr));
	o->rflags = cpu_rflags(&e->cpu);
	memcpy(o->data, e->bus.ram + ENV_DATA_PA, WINDOW);
}

/* 80-bit values: zeros, ones, the largest and smallest normals, a denormal, a pseudo-
 * denormal, infinities, the real indefinite, a quiet and a signalling NaN, an unnormal. */
static const struct x87_reg specials[] = {
    {0, 0},
    {0, 0x8000},
    {1ULL << 63, 0x3fff},
    {0xc000000000000000ULL, 0xbfff},
    {~0ULL, 0x7ffe},
    {1ULL << 63, 0x0001},
    {1, 0},
    {1ULL << 63, 0},
    {1ULL << 63, 0x7fff},
    {1ULL << 63, 0xffff},
    {0xc000000000000000ULL, 0xffff},
    {0xc000000000000001ULL, 0x7fff},
    {0x8000000000000001ULL, 0x7fff},
    {0x4000000000000000ULL, 0x3fff},
};

static struct x87_reg random_value(uint64_t *s)
{
	uint64_t r = env_rnd(s);
	if (r % 3 == 0)
		return specials[env_rnd(s) % (sizeof(specials) / sizeof(specials[0]))];
	struct x87_reg v = {env_rnd(s) | 1ULL << 63, (uint16_t)(0x3ff0 + env_rnd(s) % 32)};
	if (r % 2)
		v.sexp |= 0x8000;
	return v;
}

/* A random x87 state, synced: TOP, each register empty or valid, the control word (any
 * precision and rounding; every exception masked two times in three), sticky flags, ES
 * and B as the flags and masks make them; memory of random bytes with 80-bit values at
 * every 16 bytes now and then. */
static void random_state(struct cpu_env *e, uint64_t *s)
{
	struct x87_state *x = &e->cpu.fpu;
	cpu_fpu_sync(&e->cpu);
	for (unsigned r = 0; r < 16; r++)
		e->cpu.gpr[r] = env_rnd(s);
	e->cpu.gpr[RBX] = ENV_DATA + (env_rnd(s) % 4 ? 0x100 : 0xfb8); /* +0x40: a page end */
	e->cpu.gpr[RSI] = env_rnd(s) % 2;
	x->ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		x->st[i] = random_value(s);
		if (env_rnd(s) % 4 == 0)
			x->ftw |= (uint16_t)(3u << (2 * i));
		else
			x->ftw |= (uint16_t)(x87_tag_of(&x->st[i]) << (2 * i));
	}
	uint64_t r = env_rnd(s);
	x->fcw = (uint16_t)(0x0040 | (r & 0x0f00) | 0x3f);
	if (r % 3 == 0)
		x->fcw &= (uint16_t)~(env_rnd(s) & 0x3f);
	x->fcw = x87_fcw_normalise(x->fcw);
	uint16_t flags = env_rnd(s) % 2 ? (uint16_t)(env_rnd(s) & 0x3f) : 0;
	x->fsw = x87_fsw_normalise((uint16_t)((env_rnd(s) % 8) << FSW_TOP_SHIFT | flags |
					      (env_rnd(s) & 0x4700)),
				   x->fcw);
	x->fop = (uint16_t)(env_rnd(s) & 0x7ff);
	x->fip = env_rnd(s);
	x->fdp = env_rnd(s);
	cpu_set_rflags(&e->cpu, RFLAGS_FIXED1 | (env_rnd(s) & RFLAGS_STATUS));
	if (env_rnd(s) % 2) { /* the status flags lazy: a CMP of two random values */
		uint64_t a = env_rnd(s), b = env_rnd(s) % 4 ? env_rnd(s) : a;
		flags_set_lazy(&e->cpu, LF_SUB, 8, a, b, a - b);
	}
	for (unsigned i = 0; i < WINDOW; i += 8)
		env_wr64(e, ENV_DATA_PA + i, env_rnd(s));
	for (unsigned i = 0; i < WINDOW; i += 16)
		if (env_rnd(s) % 2) {
			struct x87_reg v = random_value(s);
			memcpy(e->bus.ram + ENV_DATA_PA + i + (env_rnd(s) % 2) * 8, &v.mant, 8);
			memcpy(e->bus.ram + ENV_DATA_PA + i + 8, &v.sexp, 2);
		}
}

/* run_one of fn from the random state of seed s0, with RIP at ENV_CODE + 0x100; unless the
 * run is cold, the first three data pages' translations are in the TLB for writing, so
 * that a form whose general form faults before any access (a segment check) still finds
 * them there. */
static void run_from(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in, uint64_t s0,
		     struct outcome *o, unsigned how)
{
	uint64_t s = s0;
	random_state(e, &s);
	if (!(how & RUN_COLD)) /* the first data pages in the TLB for writing, whatever ran before */
		for (uint64_t la = ENV_DATA; la < ENV_DATA + 3 * 4096; la += 4096) {
			struct x86_fault f;
			uint64_t v;
			assert_true(mmu_read(&e->m, la, 1, &v, 0, &f));
			assert_true(mmu_write(&e->m, la, 1, v, 0, &f));
		}
	e->cpu.rip = ENV_CODE + 0x100;
	e->cpu.next_rip = e->cpu.rip + in->len;
	run_one(e, fn, in, o, how);
}

static void assert_same(const struct outcome *a, const struct outcome *b, const uint8_t *bytes,
			size_t len, unsigned round)
{
	if (a->ok != b->ok || a->vector != b->vector || a->fsw != b->fsw || a->ftw != b->ftw ||
	    memcmp(a->st, b->st, sizeof(a->st)) || memcmp(a->data, b->data, WINDOW)) {
		fprintf(stderr, "mismatch, round %u:", round);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, " %02x", bytes[i]);
		fprintf(stderr, " (fsw %04x / %04x)\n", a->fsw, b->fsw);
	}
	assert_int_equal(a->ok, b->ok);
	assert_int_equal(a->vector, b->vector);
	assert_int_equal(a->error_code, b->error_code);
	assert_memory_equal(a->st, b->st, sizeof(a->st));
	assert_int_equal(a->fcw, b->fcw);
	assert_int_equal(a->fsw, b->fsw);
	assert_int_equal(a->ftw, b->ftw);
	assert_int_equal(a->fop, b->fop);
	assert_int_equal(a->fcs, b->fcs);
	assert_int_equal(a->fds, b->fds);
	assert_int_equal(a->fip, b->fip);
	assert_int_equal(a->fdp, b->fdp);
	assert_memory_equal(a->gpr, b->gpr, sizeof(a->gpr));
	assert_int_equal(a->rflags, b->rflags);
	assert_memory_equal(a->misses, b->misses, sizeof(a->misses));
	assert_memory_equal(a->ticks, b->ticks, sizeof(a->ticks));
	assert_memory_equal(a->others, b->others, sizeof(a->others));
	assert_memory_equal(a->hits, b->hits, sizeof(a->hits));
	assert_memory_equal(a->stamps, b->stamps, sizeof(a->stamps));
	assert_memory_equal(a->data, b->data, WINDOW);
}

/* Decodes bytes in the CPU's mode; checks that a specialised handler exists
 * and compares it with the table's over rounds random states (each after a warming run
 * of the generic handler: warm with the state held every other round, cold every
 * fourth). Returns false when the bytes do not decode. */
static bool check_form(struct cpu_env *e, const uint8_t *bytes, size_t len, unsigned rounds,
		       uint64_t seed)
{
	static struct outcome a, b;
	struct x86_instr in;
	if (x86_decode(&in, bytes, len, (enum x86_mode)e->cpu.mode) != X86_DECODE_OK)
		return false;
	assert_int_equal(in.len, len);
	cpu_exec_fn special = cpu_specialise(&in, 0);
	assert_non_null(special);
	cpu_exec_fn generic = e->cpu.ops->fn[0][in.opcode][0][(in.modrm >> 3) & 7];
	assert_non_null(generic);
	assert_ptr_not_equal(special, generic);
	for (unsigned round = 0; round < rounds; round++) {
		unsigned how = round % 4 == 3 ? RUN_COLD : round % 2 ? RUN_HELD : RUN_WARM;
		uint64_t s0 = seed * 1000003 + round * 7919 + 1;
		run_from(e, generic, &in, s0, &a, RUN_WARM); /* the TLB the compared runs find */
		run_from(e, generic, &in, s0, &a, how);
		run_from(e, special, &in, s0, &b, how);
		assert_same(&a, &b, bytes, len, round);
	}
	return true;
}

/* Every register form of D8, D9, DC, DD and DE that decodes (the undefined D9 forms do
 * not). */
static void test_exec_x87_special_register_forms_match_generic(void **state)
{
	static const uint8_t escapes[] = {0xd8, 0xd9, 0xdc, 0xdd, 0xde};
	struct cpu_env *e = *state;
	unsigned checked = 0;
	for (unsigned i = 0; i < sizeof(escapes); i++)
		for (unsigned modrm = 0xc0; modrm <= 0xff; modrm++) {
			uint8_t b[] = {escapes[i], (uint8_t)modrm};
			checked += check_form(e, b, sizeof(b), 24, i * 256 + modrm);
		}
	assert_true(checked >= 280); /* 320 less the undefined D9, DD and DE forms */
}

/* The register forms that use RFLAGS: FCMOVcc (DA and DB C0-DF) and FCOMI, FUCOMI,
 * FCOMIP, FUCOMIP (DB and DF E8-F7), in 64-bit and in compatibility mode, from random
 * states whose status flags are current or a lazy CMP record (so FCMOVcc's condition
 * takes each value). */
static void test_exec_x87_special_flag_forms_match_generic(void **state)
{
	struct cpu_env *e = *state;
	static const struct {
		uint8_t esc, lo, hi;
	} ranges[] = {{0xda, 0xc0, 0xdf}, {0xdb, 0xc0, 0xdf}, {0xdb, 0xe8, 0xf7}, {0xdf, 0xe8, 0xf7}};
	for (unsigned mode = 0; mode < 2; mode++) {
		if (mode)
			cpu_enter_compat_mode_flat(&e->cpu);
		for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
			for (unsigned modrm = ranges[i].lo; modrm <= ranges[i].hi; modrm++) {
				uint8_t b[] = {ranges[i].esc, (uint8_t)modrm};
				assert_true(check_form(e, b, sizeof(b), mode ? 12 : 32,
						       50000 + mode * 4096 + i * 256 + modrm));
			}
	}
}

/* The memory forms the handlers are made for (D9 /0 /2 /3, DB /0-/3 /5 /7, DD /0-/3, all
 * of D8, DA, DC, DE and DF): each in es:[rbx+0x40] (ES with a selector of its own: the
 * handlers for any segment), [rbx+0x40] (at a page end for one RBX in four: an 80-bit
 * operand then crosses it), [rbx+0x43] (misaligned, odd), [rbx+0x44] (4-aligned, as
 * i386 lays out long double and double), [rbx+0x3e] (misaligned, even; at a page end an
 * 80-bit operand there ends on it exactly, wider ones cross), [rbx+rsi*8+0x40] and
 * [rip+disp32] (the handlers for DS). Each with the MMU's counts compared access by
 * access: the hits counted inline and those counted as translations, and the LRU stamps
 * they leave. */
static void test_exec_x87_special_memory_forms_match_generic(void **state)
{
	static const uint8_t regs[8] = {0xff, 0x0d, 0xff, 0xaf, 0xff, 0x0f, 0xff, 0xff};
	struct cpu_env *e = *state;
	for (unsigned esc = 0xd8; esc <= 0xdf; esc++)
		for (unsigned reg = 0; reg < 8; reg++) {
			if (!(regs[esc - 0xd8] >> reg & 1))
				continue;
			uint8_t base[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x40};
			uint8_t odd[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x43};
			uint8_t al4[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x44};
			uint8_t end6[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x3e};
			uint8_t bi[] = {(uint8_t)esc, (uint8_t)(0x44 | reg << 3), 0xf3, 0x40};
			uint8_t rip[6] = {(uint8_t)esc, (uint8_t)(0x05 | reg << 3)};
			uint32_t d = (uint32_t)(ENV_DATA + 0x140 - (ENV_CODE + 0x100 + sizeof(rip)));
			memcpy(rip + 2, &d, 4);
			uint8_t es[] = {0x26, (uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x40};
			uint64_t seed = esc * 8 + reg;
			uint16_t es_sel = e->m.seg.sreg[SEG_ES].selector;
			e->m.seg.sreg[SEG_ES].selector = 0x3b; /* told apart from DS in FDS */
			assert_true(check_form(e, es, sizeof(es), 12, seed + 12000));
			e->m.seg.sreg[SEG_ES].selector = es_sel;
			assert_true(check_form(e, base, sizeof(base), 60, seed));
			assert_true(check_form(e, odd, sizeof(odd), 20, seed + 3000));
			assert_true(check_form(e, al4, sizeof(al4), 20, seed + 15000));
			assert_true(check_form(e, end6, sizeof(end6), 20, seed + 18000));
			assert_true(check_form(e, bi, sizeof(bi), 40, seed + 6000));
			assert_true(check_form(e, rip, sizeof(rip), 40, seed + 9000));
		}
}

/* A data segment of the compatibility-mode tests: base, limit and type as given (the
 * selector stays). */
static void set_data_seg(struct cpu_env *e, unsigned seg, uint64_t base, uint32_t limit,
			 uint8_t type)
{
	struct seg_cache *s = &e->m.seg.sreg[seg];
	s->base = base;
	s->limit = limit;
	s->type = type;
}

/*
 * Compatibility mode (32-bit code, 32-bit addresses): the same memory forms in [ebx+0x40]
 * (a page end for one EBX in four), [ebx+0x43], [ebx+0x44] and [ebx+0x3e] (misaligned, as
 * in 64-bit code), [ebx+esi*8+0x40], [disp32],
 * [ebp+0x40] (SS, EBP random: mostly #PF), fs:[ebx+0x40] (FS based at 4 KiB, a selector
 * of its own); then through segments that are
 * not flat: DS with a base (the linear address moves, FDP does not), a limit that cuts
 * some operands (#GP in the general form), read-only (a store: #GP), an expand-down
 * segment and a code segment (the general form's cases); and the register forms in
 * 32-bit code, whose FIP is 32 bits.
 */
static void test_exec_x87_special_legacy_memory_forms_match_generic(void **state)
{
	static const uint8_t regs[8] = {0xff, 0x0d, 0xff, 0xaf, 0xff, 0x0f, 0xff, 0xff};
	struct cpu_env *e = *state;
	cpu_enter_compat_mode_flat(&e->cpu);
	for (unsigned esc = 0xd8; esc <= 0xdf; esc++)
		for (unsigned reg = 0; reg < 8; reg++) {
			if (!(regs[esc - 0xd8] >> reg & 1))
				continue;
			uint8_t base[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x40};
			uint8_t odd[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x43};
			uint8_t al4[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x44};
			uint8_t end6[] = {(uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x3e};
			uint8_t bi[] = {(uint8_t)esc, (uint8_t)(0x44 | reg << 3), 0xf3, 0x40};
			uint8_t ebp[] = {(uint8_t)esc, (uint8_t)(0x45 | reg << 3), 0x40};
			uint8_t fs[] = {0x64, (uint8_t)esc, (uint8_t)(0x43 | reg << 3), 0x40};
			uint8_t abs[6] = {(uint8_t)esc, (uint8_t)(0x05 | reg << 3)};
			uint32_t d = (uint32_t)(ENV_DATA + 0x140);
			memcpy(abs + 2, &d, 4);
			uint64_t seed = 20000 + esc * 8 + reg;
			assert_true(check_form(e, base, sizeof(base), 40, seed));
			assert_true(check_form(e, odd, sizeof(odd), 12, seed + 3000));
			assert_true(check_form(e, al4, sizeof(al4), 16, seed + 30000));
			assert_true(check_form(e, end6, sizeof(end6), 16, seed + 33000));
			assert_true(check_form(e, bi, sizeof(bi), 24, seed + 6000));
			assert_true(check_form(e, abs, sizeof(abs), 24, seed + 9000));
			assert_true(check_form(e, ebp, sizeof(ebp), 8, seed + 12000));
			struct seg_cache fsc = e->m.seg.sreg[SEG_FS];
			e->m.seg.sreg[SEG_FS].selector = 0x2b; /* told apart from DS in FDS */
			set_data_seg(e, SEG_FS, 0x1000, 0xffffffff, fsc.type);
			assert_true(check_form(e, fs, sizeof(fs), 12, seed + 15000));
			e->m.seg.sreg[SEG_FS] = fsc;
			struct seg_cache ds = e->m.seg.sreg[SEG_DS];
			set_data_seg(e, SEG_DS, 0x1000, 0xffffffff, ds.type);
			assert_true(check_form(e, base, sizeof(base), 12, seed + 18000));
			set_data_seg(e, SEG_DS, 0, (uint32_t)ENV_DATA + 0x145, ds.type);
			assert_true(check_form(e, abs, sizeof(abs), 8, seed + 21000));
			set_data_seg(e, SEG_DS, 0, 0xffffffff, (uint8_t)(ds.type & ~SEG_TYPE_W));
			assert_true(check_form(e, base, sizeof(base), 8, seed + 24000));
			set_data_seg(e, SEG_DS, 0, 0xfff, (uint8_t)(ds.type | SEG_TYPE_E));
			assert_true(check_form(e, base, sizeof(base), 8, seed + 27000));
			e->m.seg.sreg[SEG_DS] = ds;
		}
	static const uint8_t escapes[] = {0xd8, 0xd9, 0xdc, 0xdd, 0xde};
	for (unsigned i = 0; i < sizeof(escapes); i++)
		for (unsigned modrm = 0xc0; modrm <= 0xff; modrm += 7) {
			uint8_t b[] = {escapes[i], (uint8_t)modrm};
			check_form(e, b, sizeof(b), 8, 40000 + i * 256 + modrm);
		}
}

/* The instruction t + 1 (t[0] bytes long) in mode decodes and gets a fast handler, or
 * none (yes false). */
static void expect_specialised(const uint8_t *t, enum x86_mode mode, bool yes)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, t + 1, t[0], mode), X86_DECODE_OK);
	if (yes)
		assert_non_null(cpu_specialise(&in, 0));
	else
		assert_null(cpu_specialise(&in, 0));
}

/* Which forms get a handler of their own: the register forms of D8, D9, DC, DD, DE,
 * FCMOVcc and the FCOMI family; the loads and stores with a flat operand of the three
 * shapes. Not: the other register forms of DA, DB, DF (FUCOMPP, FNSTSW AX, FNINIT,
 * FNCLEX), the control forms (FLDCW, FNSTSW m16), operands through
 * a segment in 64-bit code (67 prefix, FS) or with no base ([rsi*8+disp32]); in 32-bit
 * code the operands of 32-bit addresses with a base or none at all, through any segment. */
static void test_exec_x87_special_choice_of_forms(void **state)
{
	static const uint8_t yes[][7] = {
	    {2, 0xd8, 0xc1},			/* fadd st, st(1) */
	    {2, 0xd9, 0xfa},			/* fsqrt */
	    {2, 0xdd, 0xd9},			/* fstp st(1) */
	    {3, 0xdb, 0x6b, 0x10},		/* fld tbyte [rbx+0x10] */
	    {4, 0xdd, 0x5c, 0x24, 0x08},	/* fstp qword [rsp+8] */
	    {6, 0xdf, 0x2d, 0, 0, 0, 0},	/* fild qword [rip] */
	    {2, 0xdb, 0xe9},			/* fucomi st, st(1) */
	    {2, 0xda, 0xc1},			/* fcmovb st, st(1) */
	    {2, 0xdf, 0xf1},			/* fcomip st, st(1) */
	};
	static const uint8_t no[][8] = {
	    {2, 0xdf, 0xe0},			  /* fnstsw ax */
	    {2, 0xdb, 0xe3},			  /* fninit */
	    {2, 0xda, 0xe9},			  /* fucompp */
	    {2, 0xd9, 0x2b},			  /* fldcw [rbx] */
	    {2, 0xdd, 0x3b},			  /* fnstsw [rbx] */
	    {3, 0x67, 0xdb, 0x2b},		  /* fld tbyte [ebx] */
	    {3, 0x64, 0xdb, 0x2b},		  /* fld tbyte fs:[rbx] */
	    {7, 0xdb, 0x2c, 0xf5, 0, 0, 0, 0}, /* fld tbyte [rsi*8] */
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		expect_specialised(yes[i], X86_MODE_64, true);
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		expect_specialised(no[i], X86_MODE_64, false);
	/* 32-bit code: [base + disp], [base + index * scale + disp], [disp32], any segment;
	 * not a 16-bit address or [index * scale + disp32]. */
	static const uint8_t yes32[][7] = {
	    {2, 0xdd, 0x03},			/* fld qword [ebx] */
	    {4, 0xdc, 0x44, 0xf3, 0x08},	/* fadd qword [ebx+esi*8+8] */
	    {6, 0xdd, 0x1d, 0, 0, 0, 0x10},	/* fstp qword [0x10000000] */
	    {3, 0x65, 0xdb, 0x2b},		/* fld tbyte gs:[ebx] */
	    {2, 0xd8, 0xc9},			/* fmul st, st(1) */
	};
	static const uint8_t no32[][8] = {
	    {3, 0x67, 0xdd, 0x07},		  /* fld qword [bx] */
	    {7, 0xdd, 0x04, 0xf5, 0, 0, 0, 0}, /* fld qword [esi*8] */
	    {2, 0xd9, 0x2b},			  /* fldcw [ebx] */
	    {2, 0xdb, 0xe2},			  /* fnclex */
	};
	for (unsigned i = 0; i < sizeof(yes32) / sizeof(yes32[0]); i++)
		expect_specialised(yes32[i], X86_MODE_32, true);
	for (unsigned i = 0; i < sizeof(no32) / sizeof(no32[0]); i++)
		expect_specialised(no32[i], X86_MODE_32, false);
}

/* ---- directed cases ---- */

static void put80(struct cpu_env *e, uint64_t pa, uint64_t mant, uint16_t sexp)
{
	memcpy(e->bus.ram + pa, &mant, 8);
	memcpy(e->bus.ram + pa + 8, &sexp, 2);
}

static void assert80(struct cpu_env *e, uint64_t pa, uint64_t mant, uint16_t sexp)
{
	uint64_t m;
	uint16_t x;
	memcpy(&m, e->bus.ram + pa, 8);
	memcpy(&x, e->bus.ram + pa + 8, 2);
	assert_int_equal(m, mant);
	assert_int_equal(x, sexp);
}

static void reset_fpu(struct cpu_env *e)
{
	cpu_fpu_sync(&e->cpu);
	x87_init(&e->cpu.fpu);
	e->cpu.gpr[RBX] = ENV_DATA;
	e->cpu.gpr[RSI] = 1;
}

/*
 * fld tbyte [rbx+rsi*8+0x10] (1.5); fld st(0); fmulp (2.25); fsqrt (1.5); fadd st, st(0)
 * (3.0); fstp tbyte [rbx+0x20]; fld qword [rip+...] (the double 0.5); fstp qword
 * [rbx+0x30], run twice so that the second pass finds the state held: every step is
 * exact (no flag), 3.0 is 1.1b x 2^1 (significand C000..., exponent 4000h), the stack is
 * empty again at TOP 0, and FOP/FIP/FDP name the last FSTP.
 */
static void test_exec_x87_special_results_and_pointers(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {
	    0xdb, 0x6c, 0xf3, 0x10, /* fld tbyte [rbx+rsi*8+0x10] */
	    0xd9, 0xc0,		    /* fld st(0) */
	    0xde, 0xc9,		    /* fmulp st(1), st */
	    0xd9, 0xfa,		    /* fsqrt */
	    0xd8, 0xc0,		    /* fadd st, st(0) */
	    0xdb, 0x7b, 0x20,	    /* fstp tbyte [rbx+0x20] */
	    0xdd, 0x05, 0, 0, 0, 0, /* fld qword [rip+disp32] */
	    0xdd, 0x5b, 0x30,	    /* fstp qword [rbx+0x30] */
	    0xcc};
	uint8_t c[sizeof(code)];
	memcpy(c, code, sizeof(code));
	uint32_t d = (uint32_t)(ENV_DATA + 0x40 - (ENV_CODE + 21));
	memcpy(c + 17, &d, 4);
	for (unsigned pass = 0; pass < 2; pass++) {
		reset_fpu(e);
		put80(e, ENV_DATA_PA + 0x18, 0xc000000000000000ULL, 0x3fff);
		env_wr64(e, ENV_DATA_PA + 0x40, 0x3fe0000000000000ULL); /* 0.5 */
		env_wr64(e, ENV_DATA_PA + 0x30, 0);
		if (pass)
			fpu_hold_x87(&e->cpu);
		env_run_to_int3(e, c, sizeof(c));
		assert80(e, ENV_DATA_PA + 0x20, 0xc000000000000000ULL, 0x4000);
		assert_int_equal(env_rd64(e, ENV_DATA_PA + 0x30), 0x3fe0000000000000ULL);
		assert_int_equal(e->cpu.fpu.fsw & 0x38ff, 0); /* TOP 0, no flag, no ES */
		assert_int_equal(e->cpu.fpu.ftw, 0xffff);
		assert_int_equal(e->cpu.fpu.fop, 0x55b); /* DD 5B */
		assert_int_equal(e->cpu.fpu.fip, ENV_CODE + 21);
		assert_int_equal(e->cpu.fpu.fdp, ENV_DATA + 0x30);
	}
}

/* A 16- or 32-bit little-endian field of guest RAM. */
static uint32_t rd_le(struct cpu_env *e, uint64_t pa, unsigned n)
{
	uint32_t v = 0;
	memcpy(&v, e->bus.ram + pa, n);
	return v;
}

/*
 * 32-bit code with DS based at 4 KiB: fld qword [ebx+8]; fmul st, st(0); fstp qword
 * [0x10100010]; then FNSTENV [ebx+0x40], whose 28-byte
 * protected-mode image (SDM Vol. 1, figure 8-9) names the last FSTP: FIP its 32-bit
 * offset, FCS the code selector, FOP 0x51D (DD 1D), FDP the operand's offset (not its
 * linear address), FDS the data selector. Then fld tbyte [ebx+esi*8+0x18], fsqrt,
 * FNSTENV again: FOP 0x1FA (D9 FA), FIP the FSQRT, FDP/FDS still the FLD's operand
 * (SDM: a register form leaves them). Twice, the state held in the second pass.
 */
static void test_exec_x87_special_legacy_pointers_in_fnstenv(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t code[] = {
	    0xdd, 0x43, 0x08,		      /* +0  fld qword [ebx+8] */
	    0xd8, 0xc8,			      /* +3  fmul st, st(0) */
	    0xdd, 0x1d, 0x10, 0, 0x10, 0x10, /* +5  fstp qword [0x10100010] */
	    0xd9, 0x73, 0x40,		      /* +11 fnstenv [ebx+0x40] */
	    0xdb, 0x6c, 0xf3, 0x10,	      /* +14 fld tbyte [ebx+esi*8+0x10] */
	    0xd9, 0xfa,			      /* +18 fsqrt */
	    0xd9, 0x73, 0x60,		      /* +20 fnstenv [ebx+0x60] */
	    0xcc};
	const uint64_t base = 0x1000, pa = ENV_DATA_PA + base; /* DS offset ENV_DATA */
	cpu_enter_compat_mode_flat(&e->cpu);
	uint16_t cs = e->m.seg.sreg[SEG_CS].selector, ds = e->m.seg.sreg[SEG_DS].selector;
	for (unsigned pass = 0; pass < 2; pass++) {
		reset_fpu(e);
		e->m.seg.sreg[SEG_DS].base = base;
		env_wr64(e, pa + 8, 0x4008000000000000ULL); /* 3.0 */
		put80(e, pa + 0x18, 0x8000000000000000ULL, 0x4002); /* 8.0 */
		if (pass)
			fpu_hold_x87(&e->cpu);
		env_run_to_int3(e, code, sizeof(code));
		assert_int_equal(env_rd64(e, pa + 0x10), 0x4022000000000000ULL); /* 9.0 */
		assert_int_equal(rd_le(e, pa + 0x40 + 12, 4), ENV_CODE + 5);	   /* FIP */
		assert_int_equal(rd_le(e, pa + 0x40 + 16, 2), cs);		   /* FCS */
		assert_int_equal(rd_le(e, pa + 0x40 + 18, 2), 0x51d);		   /* FOP */
		assert_int_equal(rd_le(e, pa + 0x40 + 20, 4), ENV_DATA + 0x10);	   /* FDP */
		assert_int_equal(rd_le(e, pa + 0x40 + 24, 2), ds);		   /* FDS */
		assert_int_equal(rd_le(e, pa + 0x60 + 12, 4), ENV_CODE + 18);
		assert_int_equal(rd_le(e, pa + 0x60 + 16, 2), cs);
		assert_int_equal(rd_le(e, pa + 0x60 + 18, 2), 0x1fa);
		assert_int_equal(rd_le(e, pa + 0x60 + 20, 4), ENV_DATA + 0x18);
		assert_int_equal(rd_le(e, pa + 0x60 + 24, 2), ds);
		cpu_fpu_sync(&e->cpu);
		assert_int_equal(e->cpu.fpu.st[(e->cpu.fpu.fsw >> FSW_TOP_SHIFT) & 7].mant,
				 0xb504f333f9de6484ULL); /* sqrt(8) = 2.828..., rounded to nearest */
		e->m.seg.sreg[SEG_DS].base = 0;
	}
}

/*
 * Faults through the specialised forms are precise: FSTP tbyte into a page that is not
 * present and FLD tbyte whose last two bytes are in it raise #PF with CR2 at the page
 * and leave TOP, the registers and memory as they were; with CR0.TS, #NM; with a pending
 * unmasked exception, #MF; in each case with the state held by the host before.
 */
static void test_exec_x87_special_faults_are_precise(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t end = ENV_DATA + ENV_PAGES * 4096; /* first page not mapped */
	static const uint8_t fld1_fstp[] = {0xd9, 0xe8, 0xdb, 0x3b, 0xcc}; /* fstp [rbx] */
	static const uint8_t fld1_fld[] = {0xd9, 0xe8, 0xdb, 0x2b, 0xcc};  /* fld [rbx] */
	static const uint8_t fld1_fadd[] = {0xd9, 0xe8, 0xd8, 0xc0, 0xcc}; /* fadd st, st */
	struct x86_fault f;
	for (unsigned k = 0; k < 2; k++) {
		reset_fpu(e);
		e->cpu.gpr[RBX] = k ? end - 8 : end;
		uint8_t tail[8];
		memcpy(tail, e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, 8);
		env_load_code(e, k ? fld1_fld : fld1_fstp, 5);
		assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, X86_VEC_PF);
		assert_int_equal(e->cpu.fault.cr2, end);
		assert_int_equal(e->cpu.rip, ENV_CODE + 2);
		cpu_fpu_sync(&e->cpu);
		assert_int_equal((e->cpu.fpu.fsw >> FSW_TOP_SHIFT) & 7, 7); /* FLD1's push only */
		assert_int_equal(e->cpu.fpu.ftw, 0x3fff);
		assert_memory_equal(e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, tail, 8);
	}
	/* #NM: FLD1 takes the state into the host, then TS is set before FADD. */
	reset_fpu(e);
	env_load_code(e, fld1_fadd, sizeof(fld1_fadd));
	assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
	fpu_hold_x87(&e->cpu);
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 | CR0_TS, &f));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_NM);
	assert_int_equal(e->cpu.rip, ENV_CODE + 2);
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 & ~CR0_TS, &f));
	/* #MF: a pending unmasked ZE (set with the state synced), then FADD. */
	reset_fpu(e);
	env_load_code(e, fld1_fadd, sizeof(fld1_fadd));
	assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT);
	e->cpu.fpu.fcw = x87_fcw_normalise(0x037b); /* ZM clear */
	e->cpu.fpu.fsw = x87_fsw_normalise((uint16_t)(e->cpu.fpu.fsw | FSW_ZE), e->cpu.fpu.fcw);
	fpu_hold_x87(&e->cpu);
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_MF);
	assert_int_equal(e->cpu.rip, ENV_CODE + 2);
}

/*
 * The same in 32-bit code: FSTP and FLD tbyte whose last two bytes are in the page that
 * is not present (#PF, CR2 at the page), also misaligned (i386's 4-aligned long double:
 * the 8-byte part crosses; at an odd address 9 bytes before the end: the 2-byte part
 * does), FSTP qword 4 bytes before the end, and FLD qword through a DS whose limit ends
 * inside the operand (#GP(0)); the state held and the first part's page in the TLB
 * before (the fast forms' common case), TOP and the tags as FLD1 left them, memory
 * unchanged.
 */
static void test_exec_x87_special_legacy_faults_are_precise(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t end = ENV_DATA + ENV_PAGES * 4096;
	static const uint8_t fld1_fstp[] = {0xd9, 0xe8, 0xdb, 0x3b, 0xcc}; /* fstp [ebx] */
	static const uint8_t fld1_fld[] = {0xd9, 0xe8, 0xdb, 0x2b, 0xcc};  /* fld [ebx] */
	static const uint8_t fld1_fldq[] = {0xd9, 0xe8, 0xdd, 0x03, 0xcc}; /* fld qword [ebx] */
	static const uint8_t fld1_fstq[] = {0xd9, 0xe8, 0xdd, 0x1b, 0xcc}; /* fstp qword [ebx] */
	static const struct {
		const uint8_t *code;
		unsigned before_end; /* EBX = end - before_end */
		bool gp;	     /* DS's limit 2 bytes short of the end: #GP(0) */
	} cases[] = {
	    {fld1_fstp, 8, false}, {fld1_fld, 8, false}, {fld1_fldq, 8, true},
	    {fld1_fstp, 4, false}, {fld1_fld, 4, false}, {fld1_fstp, 9, false},
	    {fld1_fld, 9, false},  {fld1_fstq, 4, false},
	};
	cpu_enter_compat_mode_flat(&e->cpu);
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		reset_fpu(e);
		e->cpu.gpr[RBX] = end - cases[k].before_end;
		uint32_t limit = e->m.seg.sreg[SEG_DS].limit;
		uint8_t tail[16];
		memcpy(tail, e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 16, 16);
		if (cases[k].gp)
			e->m.seg.sreg[SEG_DS].limit = (uint32_t)(end - 2);
		env_load_code(e, cases[k].code, 5);
		assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT); /* FLD1 */
		struct x86_fault f;
		uint64_t v;
		assert_true(mmu_read(&e->m, end - 16, 8, &v, 0, &f)); /* the first part's page */
		assert_true(mmu_write(&e->m, end - 16, 8, v, 0, &f)); /* in the TLB */
		fpu_hold_x87(&e->cpu); /* the common case of the fast forms */
		assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
		e->m.seg.sreg[SEG_DS].limit = limit;
		assert_int_equal(e->cpu.fault.vector, cases[k].gp ? X86_VEC_GP : X86_VEC_PF);
		if (!cases[k].gp)
			assert_int_equal(e->cpu.fault.cr2, end);
		else
			assert_int_equal(e->cpu.fault.error_code, 0);
		assert_int_equal(e->cpu.rip, ENV_CODE + 2);
		cpu_fpu_sync(&e->cpu);
		assert_int_equal((e->cpu.fpu.fsw >> FSW_TOP_SHIFT) & 7, 7);
		assert_int_equal(e->cpu.fpu.ftw, 0x3fff);
		assert_memory_equal(e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 16, tail, 16);
	}
}

/*
 * Misaligned loads and stores take the fast forms too (the page's inline entry, counted
 * as the MMU's slow path counts a misaligned access in one page), but not while
 * misaligned data raise #AC: CPL 3 with CR0.AM and RFLAGS.AC, fld tbyte [ebx+4], fstp
 * tbyte [ebx+4] and fld qword [rbx+0x12] (64-bit code) raise #AC(0) with the state held
 * and the page in the TLB, nothing loaded or stored; with AC clear they load 1.5, or store
 * FLD1's 1.0 (popping it).
 */
static void test_exec_x87_special_misaligned_access_checks_alignment(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t fld80[] = {0xdb, 0x6b, 0x04, 0xcc};	       /* fld tbyte [ebx+4] */
	static const uint8_t fld64[] = {0xdd, 0x43, 0x12, 0xcc};	       /* fld qword [rbx+0x12] */
	static const uint8_t fstp80[] = {0xd9, 0xe8, 0xdb, 0x7b, 0x04, 0xcc}; /* fld1; fstp [ebx+4] */
	struct x86_fault f;
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 | CR0_AM, &f));
	for (unsigned k = 0; k < 6; k++) {
		bool store = k >= 4;
		if (k < 2 || store)
			cpu_enter_compat_mode_flat(&e->cpu);
		else
			cpu_enter_long_mode_flat(&e->cpu, 3);
		reset_fpu(e);
		put80(e, ENV_DATA_PA + 4, 0xc000000000000000ULL, 0x3fff);   /* 1.5 */
		env_wr64(e, ENV_DATA_PA + 0x12, 0x3ff8000000000000ULL);   /* 1.5 */
		uint64_t v;
		assert_true(mmu_read(&e->m, ENV_DATA, 8, &v, 0, &f)); /* the page in the TLB */
		assert_true(mmu_write(&e->m, ENV_DATA, 8, v, 0, &f));
		if (store)
			env_load_code(e, fstp80, sizeof(fstp80));
		else
			env_load_code(e, k < 2 ? fld80 : fld64, 4);
		cpu_set_rflags(&e->cpu, RFLAGS_FIXED1 | (k % 2 ? 0 : RFLAGS_AC));
		if (store)
			assert_int_equal(cpu_run(&e->cpu, 1), CPU_EXIT_LIMIT); /* FLD1 */
		fpu_hold_x87(&e->cpu);
		enum cpu_exit x = cpu_run(&e->cpu, 10);
		assert_int_equal(x, CPU_EXIT_FAULT);
		cpu_fpu_sync(&e->cpu);
		if (k % 2 == 0) {
			assert_int_equal(e->cpu.fault.vector, X86_VEC_AC);
			assert_int_equal(e->cpu.rip, ENV_CODE + (store ? 2 : 0));
			assert_int_equal(e->cpu.fpu.ftw, store ? 0x3fff : 0xffff);
			assert80(e, ENV_DATA_PA + 4, 0xc000000000000000ULL, 0x3fff);
		} else if (store) {
			assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
			assert_int_equal(e->cpu.fpu.ftw, 0xffff);
			assert80(e, ENV_DATA_PA + 4, 0x8000000000000000ULL, 0x3fff); /* 1.0 */
		} else {
			assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
			assert_int_equal(e->cpu.fpu.st[7].mant, 0xc000000000000000ULL);
			assert_int_equal(e->cpu.fpu.st[7].sexp, 0x3fff);
		}
	}
	assert_true(mmu_set_cr0(&e->m, e->m.cr0 & ~CR0_AM, &f));
}

/* FSTP tbyte into the code that follows it in the same block (self-modifying code): the
 * new instruction runs. Twice, so that the second pass finds the store's page in the TLB
 * and the state held (the fast form). The 80-bit value's significand is the new code,
 * "mov eax, 11111111h; int3; nop; nop" (its top bit set: a normal number, stored as
 * loaded). */
static void test_exec_x87_special_store_into_code_is_seen(void **state)
{
	struct cpu_env *e = *state;
	uint8_t code[0x16];
	memset(code, 0x90, sizeof(code));
	memcpy(code, (uint8_t[]){0xdb, 0x2b, 0xdb, 0x3d, 8, 0, 0, 0}, 8); /* fld [rbx]; fstp [rip+8] */
	memcpy(code + 0x10, (uint8_t[]){0xb8, 0x22, 0x22, 0x22, 0x22, 0xcc}, 6);
	for (unsigned pass = 0; pass < 2; pass++) {
		reset_fpu(e);
		put80(e, ENV_DATA_PA, 0x9090cc11111111b8ULL, 0x3fff);
		env_load_code(e, code, sizeof(code));
		assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
		assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
		assert_int_equal(e->cpu.gpr[RAX] & 0xffffffff, 0x11111111);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_register_forms_match_generic,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_flag_forms_match_generic,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_memory_forms_match_generic,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_legacy_memory_forms_match_generic,
					    setup, teardown),
	    cmocka_unit_test(test_exec_x87_special_choice_of_forms),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_results_and_pointers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_legacy_pointers_in_fnstenv,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_faults_are_precise, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_legacy_faults_are_precise,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_misaligned_access_checks_alignment,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_x87_special_store_into_code_is_seen, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
