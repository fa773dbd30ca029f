/*
 * The SSE handlers specialised at decode time (cpu/exec_sse_special.c) against the generic
 * handlers of the dispatch table (cpu/exec_sse.c: the host stubs for the integer and
 * floating-point operations, the C models of the moves), which the host differential tests
 * check against the CPU: for every specialised form, in its register form and its memory
 * form with an aligned and a misaligned operand in every operand shape that has a handler
 * of its own, from many random XMM, MXCSR (every exception masked, or some unmasked; each
 * rounding mode, FTZ, DAZ, MXCSR.MM; held by the host or not), register and memory states,
 * with the TLB warm or cold, both must leave the same XMM registers, MXCSR, general
 * registers, flags, memory, fault and MMU statistics. (test_sse_diff.c runs the same forms
 * against the host through cpu_run, where the specialised handlers are the ones used.)
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

/* What a handler leaves behind. */
struct outcome {
	bool ok;
	uint8_t vector;
	uint32_t error_code;
	union xmm_reg xmm[16];
	uint32_t mxcsr;
	uint64_t gpr[16];
	uint64_t rflags;
	uint8_t data[256];
	/* What the run added to the TLB's counters, per level: the misses, and the tick
	 * that orders its LRU stamps and from which the hits are counted (one advance per
	 * hit or fill, inline fast-path hits included). */
	uint64_t misses[TLB_NR_LEVELS], ticks[TLB_NR_LEVELS];
};

/* The TLB's counters now, per level, for struct outcome. */
static void tlb_counts(const struct mmu *m, uint64_t *misses, uint64_t *ticks)
{
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++) {
		misses[lv] = m->tlb.lv[lv].misses;
		ticks[lv] = m->tlb.tick[lv];
	}
}

#define DATA_OFF 0x100 /* RBX points here in the data page; [rbx + disp8] stays in it */

/* How a run starts: the TLB as the previous run left it or flushed (cold), and the guest's
 * MXCSR loaded in the host when it masks every exception (held: the fast forms' case). */
enum { RUN_WARM = 0, RUN_COLD = 1, RUN_HELD = 2 };

static void run_one(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in,
		    struct outcome *o, unsigned how)
{
	struct x86_fault f;
	memset(o, 0, sizeof(*o));
	e->cpu.fault.vector = 0;
	e->cpu.fault.error_code = 0;
	if (how & RUN_COLD)
		assert_true(mmu_set_cr3(&e->m, e->m.cr3, &f));
	if ((how & RUN_HELD) && (e->cpu.mxcsr & MXCSR_MASKS) == MXCSR_MASKS)
		fpu_hold_mxcsr(&e->cpu);
	uint64_t misses[TLB_NR_LEVELS], ticks[TLB_NR_LEVELS];
	tlb_counts(&e->m, misses, ticks);
	o->ok = fn(&e->cpu, in);
	tlb_counts(&e->m, o->misses, o->ticks);
	for (unsigned lv = 0; lv < TLB_NR_LEVELS; lv++) {
		o->misses[lv] -= misses[lv];
		o->ticks[lv] -= ticks[lv];
	}
	cpu_fpu_sync(&e->cpu);
	o->vector = o->ok ? 0 : e->cpu.fault.vector;
	o->error_code = o->ok ? 0 : e->cpu.fault.error_code;
	memcpy(o->xmm, e->cpu.xmm, sizeof(o->xmm));
	o->mxcsr = e->cpu.mxcsr;
	memcpy(o->gpr, e->cpu.gpr, sizeof(o->gpr));
	o->rflags = cpu_rflags(&e->cpu);
	memcpy(o->data, e->bus.ram + ENV_DATA_PA + DATA_OFF - 128, sizeof(o->data));
}

/* Lane values that make floating-point operations interesting: zeros, ones, denormals,
 * the smallest normals, the largest finite numbers, infinities, quiet and signalling NaNs. */
static const uint32_t lane32[] = {0,	      0x80000000, 0x3f800000, 0xbfc00000, 0x00000001,
				  0x807fffff, 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000,
				  0x7fc00000, 0x7f800001, 0x0c000000, 0x3f000001};
static const uint64_t lane64[] = {0,
				  0x8000000000000000ULL,
				  0x3ff0000000000000ULL,
				  0xbff8000000000000ULL,
				  0x0000000000000001ULL,
				  0x800fffffffffffffULL,
				  0x0010000000000000ULL,
				  0x7fefffffffffffffULL,
				  0x7ff0000000000000ULL,
				  0x7ff8000000000000ULL,
				  0x7ff0000000000001ULL,
				  0x2010000000000000ULL,
				  0x3ff0000000000001ULL};

static void random_xmm(union xmm_reg *x, uint64_t *s)
{
	uint64_t kind = env_rnd(s) % 4;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t r = env_rnd(s);
		if (kind == 0)
			x->d[i] = lane32[r % (sizeof(lane32) / 4)];
		else if (kind == 1)
			x->q[i / 2] = lane64[r % (sizeof(lane64) / 8)];
		else if (kind == 2) /* ordinary doubles near 1 */
			x->q[i / 2] = 0x3fe0000000000000ULL + r % 0x0030000000000000ULL;
		else
			x->d[i] = (uint32_t)r;
	}
}

/* MXCSR: every exception masked two times in three, else some unmasked; any rounding,
 * FTZ, DAZ and MM; some sticky flags. */
static uint32_t random_mxcsr(uint64_t *s)
{
	uint64_t r = env_rnd(s);
	uint32_t mx = MXCSR_MASKS | (uint32_t)(r & 3) << 13 | (uint32_t)(r & 0x3c);
	if (r % 3 == 0)
		mx &= ~(uint32_t)((env_rnd(s) & 0x3f) << 7);
	if (r % 5 == 0)
		mx |= MXCSR_FTZ;
	if (r % 7 == 0)
		mx |= MXCSR_DAZ;
	if (r % 4 == 0)
		mx |= MXCSR_MM;
	return mx;
}

static void random_state(struct cpu_env *e, uint64_t *s)
{
	cpu_fpu_sync(&e->cpu);
	for (unsigned r = 0; r < 16; r++)
		e->cpu.gpr[r] = env_rnd(s) % 4 ? env_rnd(s) : env_rnd(s) % 70; /* shift counts near the widths */
	e->cpu.gpr[RBX] = ENV_DATA + DATA_OFF;
	e->cpu.gpr[RSI] = env_rnd(s) % 2; /* the index of [rbx + rsi * 8 + disp], [rsi * 8 + disp] */
	e->cpu.gpr[RSP] = ENV_DATA + DATA_OFF + 0x800;
	for (unsigned i = 0; i < 16; i++)
		random_xmm(&e->cpu.xmm[i], s);
	if (env_rnd(s) % 3 == 0) /* shift counts of the register forms */
		e->cpu.xmm[env_rnd(s) % 16].q[0] = env_rnd(s) % 2 ? env_rnd(s) % 70 : 1ULL << 32;
	e->cpu.mxcsr = random_mxcsr(s);
	cpu_set_rflags(&e->cpu, RFLAGS_FIXED1 | (env_rnd(s) & RFLAGS_STATUS));
	for (unsigned i = 0; i < 256; i += 16) {
		union xmm_reg v;
		random_xmm(&v, s);
		memcpy(e->bus.ram + ENV_DATA_PA + DATA_OFF - 128 + i, v.b, 16);
	}
}

/* run_one of fn from the random state of seed s0, with RIP at ENV_CODE + 0x100. */
static void run_from(struct cpu_env *e, cpu_exec_fn fn, const struct x86_instr *in, uint64_t s0,
		     struct outcome *o, unsigned how)
{
	uint64_t s = s0;
	random_state(e, &s);
	e->cpu.rip = ENV_CODE + 0x100;
	e->cpu.next_rip = e->cpu.rip + in->len;
	run_one(e, fn, in, o, how);
}

/* Decodes bytes (64-bit mode, mandatory-prefix column col), checks that a specialised
 * handler exists for them, and compares it with the table's from 200 random states: after
 * a run of the generic handler that warms the TLB, both from a warm TLB (with the MXCSR
 * held by the host every other round) and, every fourth round, from a cold one. */
static void check_form(struct cpu_env *e, const uint8_t *bytes, size_t len, unsigned col,
		       uint64_t seed)
{
	struct x86_instr in;
	assert_int_equal(x86_decode(&in, bytes, len, X86_MODE_64), X86_DECODE_OK);
	assert_int_equal(in.len, len);
	cpu_exec_fn special = cpu_specialise(&in, col);
	assert_non_null(special);
	unsigned reg = (in.modrm >> 3) & 7;
	cpu_exec_fn generic = e->cpu.ops->fn[in.map][in.opcode][col][reg];
	assert_non_null(generic);
	assert_ptr_not_equal(special, generic);
	for (unsigned round = 0; round < 200; round++) {
		struct outcome a, b;
		unsigned how = round % 4 == 3 ? RUN_COLD : round % 2 ? RUN_HELD : RUN_WARM;
		uint64_t s0 = seed * 1000003 + round * 7919 + 1;
		run_from(e, generic, &in, s0, &a, RUN_WARM); /* the TLB the compared runs find */
		run_from(e, generic, &in, s0, &a, how);
		run_from(e, special, &in, s0, &b, how);
		if (memcmp(&a, &b, sizeof(a)) != 0) {
			fprintf(stderr, "mismatch, round %u:", round);
			for (size_t i = 0; i < len; i++)
				fprintf(stderr, " %02x", bytes[i]);
			fprintf(stderr, "\n");
			for (unsigned i = 0; i < 16; i++)
				if (memcmp(&a.xmm[i], &b.xmm[i], 16))
					fprintf(stderr, "  xmm%u %016llx%016llx / %016llx%016llx\n",
						i, (unsigned long long)a.xmm[i].q[1],
						(unsigned long long)a.xmm[i].q[0],
						(unsigned long long)b.xmm[i].q[1],
						(unsigned long long)b.xmm[i].q[0]);
		}
		assert_int_equal(a.ok, b.ok);
		assert_int_equal(a.vector, b.vector);
		assert_int_equal(a.error_code, b.error_code);
		assert_memory_equal(a.xmm, b.xmm, sizeof(a.xmm));
		assert_int_equal(a.mxcsr, b.mxcsr);
		assert_memory_equal(a.gpr, b.gpr, sizeof(a.gpr));
		assert_int_equal(a.rflags, b.rflags);
		assert_memory_equal(a.data, b.data, sizeof(a.data));
		assert_memory_equal(a.misses, b.misses, sizeof(a.misses));
		assert_memory_equal(a.ticks, b.ticks, sizeof(a.ticks));
	}
}

static const uint8_t pfx_of[4] = {0, 0x66, 0xf3, 0xf2};

/*
 * Checks opcode (0F map) in column col in nine forms: xmm, xmm with registers drawn from
 * all sixteen (a REX prefix when one is above 7); xmm, [rbx+0x40] (aligned) and xmm,
 * [rbx+0x48] (misaligned), both flat (64-bit addresses: the handlers that take the
 * effective address as the linear one); the same with a 67 prefix (32-bit addresses
 * [ebx+disp8]: the handlers that go through the segment); and the other flat shapes:
 * [rbx+rsi*8+0x40], [rip+disp32] to the aligned and to the misaligned operand, [rsi*8+disp32]
 * (RSI is 0 or 1: aligned or not). imm >= 0 appends an imm8. reg_form/mem_form choose.
 */
static void check_op_w(struct cpu_env *e, unsigned col, uint8_t opcode, int imm, bool reg_form,
		       bool mem_form, bool w, uint64_t seed)
{
	uint8_t b[16];
	unsigned n;
	for (unsigned form = 0; form < 9; form++) {
		if ((form == 0 && !reg_form) || (form > 0 && !mem_form))
			continue;
		unsigned r = (unsigned)(env_rnd(&seed) % 16), m = (unsigned)(env_rnd(&seed) % 16);
		n = 0;
		if (form == 3 || form == 4)
			b[n++] = 0x67;
		if (col)
			b[n++] = pfx_of[col];
		uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (r >= 8 ? 4 : 0) |
					(form == 0 && m >= 8 ? 1 : 0));
		if (rex != 0x40)
			b[n++] = rex;
		b[n++] = 0x0f;
		b[n++] = opcode;
		unsigned rip_disp = 0; /* where a disp32 relative to the next RIP goes */
		uint64_t target = 0;
		if (form == 0) {
			b[n++] = (uint8_t)(0xc0 | (r & 7) << 3 | (m & 7));
		} else if (form <= 4) {
			b[n++] = (uint8_t)(0x43 | (r & 7) << 3);
			b[n++] = form % 2 ? 0x40 : 0x48;
		} else if (form == 5) { /* ModRM 01 reg 100, SIB 11 110 011: [rbx + rsi*8 + disp8] */
			b[n++] = (uint8_t)(0x44 | (r & 7) << 3);
			b[n++] = 0xf3;
			b[n++] = 0x40;
		} else if (form <= 7) { /* ModRM 00 reg 101: [rip + disp32] */
			b[n++] = (uint8_t)(0x05 | (r & 7) << 3);
			rip_disp = n;
			target = ENV_DATA + DATA_OFF + (form == 6 ? 0x40 : 0x48);
			n += 4;
		} else { /* ModRM 00 reg 100, SIB 11 110 101: [rsi*8 + disp32] */
			b[n++] = (uint8_t)(0x04 | (r & 7) << 3);
			b[n++] = 0xf5;
			uint32_t d = (uint32_t)(ENV_DATA + DATA_OFF + 0x40);
			memcpy(b + n, &d, 4);
			n += 4;
		}
		if (imm >= 0)
			b[n++] = (uint8_t)imm;
		if (rip_disp) { /* check_form runs the instruction at ENV_CODE + 0x100 */
			uint32_t d = (uint32_t)(target - (ENV_CODE + 0x100 + n));
			memcpy(b + rip_disp, &d, 4);
		}
		check_form(e, b, n, col, seed + form);
	}
}

static void check_op(struct cpu_env *e, unsigned col, uint8_t opcode, int imm, bool reg_form,
		     bool mem_form, uint64_t seed)
{
	check_op_w(e, col, opcode, imm, reg_form, mem_form, false, seed);
}

/* The integer operations of 66 0F, the logic operations of 0F and 66 0F 54..57, and the
 * unpacks of 0F and 66 0F 14/15. */
static void test_exec_sse_special_integer_ops_match_generic(void **state)
{
	static const uint8_t ops[] = {0x60, 0x61, 0x62, 0x64, 0x65, 0x66, 0x68, 0x69, 0x6a, 0x6c,
				      0x6d, 0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xdb, 0xdf,
				      0xe1, 0xe2, 0xeb, 0xef, 0xf1, 0xf2, 0xf3, 0xf8, 0xf9, 0xfa,
				      0xfb, 0xfc, 0xfd, 0xfe, 0xd5, 0xd8, 0xd9, 0xda, 0xdc, 0xdd,
				      0xde, 0xe0, 0xe3, 0xe8, 0xe9, 0xea, 0xec, 0xed, 0xee, 0xf4,
				      0x63, 0x67, 0x6b, 0xe4, 0xe5, 0xf5, 0xf6};
	struct cpu_env *e = *state;
	for (unsigned i = 0; i < sizeof(ops); i++)
		check_op(e, 1, ops[i], -1, true, true, 100 + i);
	for (unsigned op = 0x54; op <= 0x57; op++)
		for (unsigned col = 0; col < 2; col++)
			check_op(e, col, (uint8_t)op, -1, true, true, 200 + op * 2 + col);
	for (unsigned op = 0x14; op <= 0x15; op++)
		for (unsigned col = 0; col < 2; col++)
			check_op(e, col, (uint8_t)op, -1, true, true, 300 + op * 2 + col);
}

/* SQRT, ADD, MUL, SUB, MIN, DIV, MAX in their PS, PD, SS and SD forms. */
static void test_exec_sse_special_fp_ops_match_generic(void **state)
{
	static const uint8_t ops[] = {0x51, 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f};
	struct cpu_env *e = *state;
	for (unsigned i = 0; i < sizeof(ops); i++)
		for (unsigned col = 0; col < 4; col++)
			check_op(e, col, ops[i], -1, true, true, 300 + i * 4 + col);
}

/* COMISS/COMISD/UCOMISS/UCOMISD, and CVTSI2SS/SD, CVT(T)SS2SI, CVT(T)SD2SI with and
 * without REX.W (general registers drawn from all sixteen). */
static void test_exec_sse_special_compares_and_conversions_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned op = 0x2e; op <= 0x2f; op++)
		for (unsigned col = 0; col < 2; col++)
			check_op(e, col, (uint8_t)op, -1, true, true, 350 + op * 2 + col);
	for (unsigned op = 0x2a; op <= 0x2d; op++)
		for (unsigned col = 2; col < 4; col++)
			for (unsigned w = 0; w < 2; w++)
				if (op != 0x2b)
					check_op_w(e, col, (uint8_t)op, -1, true, true, w,
						   380 + op * 4 + col * 2 + w);
}

/* 66 0F 71/72/73 by immediates around the lane widths, and PSHUFD. */
static void test_exec_sse_special_shifts_and_pshufd_match_generic(void **state)
{
	static const uint8_t counts[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200, 255};
	static const uint8_t digits[3][4] = {{2, 4, 6, 0}, {2, 4, 6, 0}, {2, 3, 6, 7}};
	struct cpu_env *e = *state;
	for (unsigned op = 0; op < 3; op++)
		for (unsigned d = 0; d < 4; d++) {
			if (!digits[op][d])
				continue;
			for (unsigned c = 0; c < sizeof(counts); c++) {
				unsigned rm = (op * 5 + d * 3 + c) % 16;
				uint8_t b[] = {0x66, (uint8_t)(rm >= 8 ? 0x41 : 0x40), 0x0f,
					       (uint8_t)(0x71 + op),
					       (uint8_t)(0xc0 | digits[op][d] << 3 | (rm & 7)),
					       counts[c]};
				check_form(e, b, sizeof(b), 1, 400 + op * 64 + d * 16 + c);
			}
		}
	for (unsigned k = 0; k < 6; k++)
		check_op(e, 1, 0x70, (int)(k * 0x2b + 0x1b) & 0xff, true, true, 500 + k);
}

/* MOVUPS/MOVUPD/MOVSS/MOVSD (0F 10/11), MOVAPS/MOVAPD (28/29), MOVDQA/MOVDQU (6F/7F),
 * MOVQ (F3 0F 7E, 66 0F D6), MOVD/MOVQ with a general register (66 0F 6E/7E). */
static void test_exec_sse_special_moves_match_generic(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned col = 0; col < 4; col++) {
		check_op(e, col, 0x10, -1, true, true, 600 + col);
		check_op(e, col, 0x11, -1, true, true, 610 + col);
	}
	for (unsigned col = 0; col < 2; col++) {
		check_op(e, col, 0x28, -1, true, true, 620 + col);
		check_op(e, col, 0x29, -1, true, true, 630 + col);
	}
	for (unsigned col = 1; col < 3; col++) {
		check_op(e, col, 0x6f, -1, true, true, 640 + col);
		check_op(e, col, 0x7f, -1, true, true, 650 + col);
	}
	check_op(e, 2, 0x7e, -1, true, true, 660);
	check_op(e, 1, 0xd6, -1, true, true, 661);
	for (unsigned w = 0; w < 2; w++)
		for (unsigned k = 0; k < 4; k++) {
			uint8_t rex = (uint8_t)(0x40 | w * 8 | (k & 1) * 4 | (k >> 1));
			uint8_t to_xmm[] = {0x66, rex, 0x0f, 0x6e, (uint8_t)(0xc0 | k << 3 | 6)};
			uint8_t to_gpr[] = {0x66, rex, 0x0f, 0x7e, (uint8_t)(0xc0 | k << 3 | 2)};
			check_form(e, to_xmm, sizeof(to_xmm), 1, 670 + w * 4 + k);
			check_form(e, to_gpr, sizeof(to_gpr), 1, 680 + w * 4 + k);
		}
}

/* A memory form gets a handler of its own when its operand is flat (64-bit addresses, no
 * FS/GS) and another one when it goes through a segment (a 67 prefix, an FS override). */
static void test_exec_sse_special_flat_and_segment_forms_differ(void **state)
{
	static const uint8_t flat[] = {0xf2, 0x0f, 0x58, 0x03};		/* addsd xmm0, [rbx] */
	static const uint8_t a32[] = {0x67, 0xf2, 0x0f, 0x58, 0x03};	/* addsd xmm0, [ebx] */
	static const uint8_t fs[] = {0x64, 0xf2, 0x0f, 0x58, 0x03};	/* addsd xmm0, fs:[rbx] */
	struct x86_instr a, b, c;
	(void)state;
	assert_int_equal(x86_decode(&a, flat, sizeof(flat), X86_MODE_64), X86_DECODE_OK);
	assert_int_equal(x86_decode(&b, a32, sizeof(a32), X86_MODE_64), X86_DECODE_OK);
	assert_int_equal(x86_decode(&c, fs, sizeof(fs), X86_MODE_64), X86_DECODE_OK);
	cpu_exec_fn fa = cpu_specialise(&a, 3), fb = cpu_specialise(&b, 3), fc = cpu_specialise(&c, 3);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_ptr_not_equal(fa, fb);
	assert_ptr_equal(fb, fc);
}

/* The flat shapes [base + disp], [base + index * scale + disp] and [rip + disp] each have a
 * handler of their own, the other flat operands ([index * scale + disp32]) the general flat
 * one; a base of RSP (segment SS) is a [base + disp] too. */
static void test_exec_sse_special_flat_shapes_have_own_forms(void **state)
{
	static const uint8_t shapes[][9] = {
	    {0xf2, 0x0f, 0x58, 0x03},			   /* addsd xmm0, [rbx] */
	    {0xf2, 0x0f, 0x58, 0x04, 0xf3},		   /* addsd xmm0, [rbx+rsi*8] */
	    {0xf2, 0x0f, 0x58, 0x05, 0, 0, 0, 0},	   /* addsd xmm0, [rip] */
	    {0xf2, 0x0f, 0x58, 0x04, 0xf5, 0, 0, 0, 0}, /* addsd xmm0, [rsi*8+0] */
	};
	static const uint8_t len[] = {4, 5, 8, 9};
	static const uint8_t rsp[] = {0xf2, 0x0f, 0x58, 0x44, 0x24, 0x08}; /* [rsp+8] */
	cpu_exec_fn fn[4];
	struct x86_instr in;
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(x86_decode(&in, shapes[i], len[i], X86_MODE_64), X86_DECODE_OK);
		fn[i] = cpu_specialise(&in, 3);
		assert_non_null(fn[i]);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(fn[i], fn[j]);
	}
	assert_int_equal(x86_decode(&in, rsp, sizeof(rsp), X86_MODE_64), X86_DECODE_OK);
	assert_ptr_equal(cpu_specialise(&in, 3), fn[0]);
}

/* ---- directed cases: results worked out from the SDM's instruction pages ---- */

/* Runs code (ending in INT3) from a fresh SSE state: MXCSR 1F80h, XMM0..3 cleared,
 * RBX at the data page. */
static void run_code(struct cpu_env *e, const uint8_t *code, size_t len)
{
	env_run_to_int3(e, code, len);
}

static void reset_sse(struct cpu_env *e)
{
	cpu_fpu_sync(&e->cpu);
	e->cpu.mxcsr = 0x1f80;
	memset(e->cpu.xmm, 0, sizeof(e->cpu.xmm));
	e->cpu.gpr[RBX] = ENV_DATA;
}

static void set_x(struct cpu_env *e, unsigned r, uint64_t lo, uint64_t hi)
{
	e->cpu.xmm[r].q[0] = lo;
	e->cpu.xmm[r].q[1] = hi;
}

static void assert_x(const struct cpu_env *e, unsigned r, uint64_t lo, uint64_t hi)
{
	assert_int_equal(e->cpu.xmm[r].q[0], lo);
	assert_int_equal(e->cpu.xmm[r].q[1], hi);
}

/* PADDB wraps each byte; PCMPGTB compares signed bytes; PUNPCKLBW interleaves the low
 * bytes, the destination's first. */
static void test_exec_sse_special_integer_results(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t paddb[] = {0x66, 0x0f, 0xfc, 0xc1, 0xcc};
	static const uint8_t pcmpgtb[] = {0x66, 0x0f, 0x64, 0xc1, 0xcc};
	static const uint8_t punpcklbw[] = {0x66, 0x0f, 0x60, 0xc1, 0xcc};
	static const uint8_t psubw_mem[] = {0x66, 0x0f, 0xf9, 0x03, 0xcc}; /* psubw xmm0, [rbx] */
	reset_sse(e);
	set_x(e, 0, 0x01017f80ffULL, 0x11);
	set_x(e, 1, 0x0101018001ULL, 0xff);
	run_code(e, paddb, sizeof(paddb));
	assert_x(e, 0, 0x0202800000ULL, 0x10);
	set_x(e, 0, 0x057f8001ULL, 0);
	set_x(e, 1, 0x05807fffULL, 0);
	run_code(e, pcmpgtb, sizeof(pcmpgtb));
	assert_x(e, 0, 0x00ff00ffULL, 0);
	set_x(e, 0, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
	set_x(e, 1, 0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL);
	run_code(e, punpcklbw, sizeof(punpcklbw));
	assert_x(e, 0, 0x1303120211011000ULL, 0x1707160615051404ULL);
	/* 0 - 1 = FFFFh, 8000h - 1 = 7FFFh in each word */
	set_x(e, 0, 0x0000800000008000ULL, 0x8000800080008000ULL);
	env_wr64(e, ENV_DATA_PA, 0x0001000100010001ULL);
	env_wr64(e, ENV_DATA_PA + 8, 0x0001000100010001ULL);
	run_code(e, psubw_mem, sizeof(psubw_mem));
	assert_x(e, 0, 0xffff7fffffff7fffULL, 0x7fff7fff7fff7fffULL);
}

/* Saturation, minimum, average and the unsigned doubleword product, lane by lane. */
static void test_exec_sse_special_saturating_results(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t paddsb[] = {0x66, 0x0f, 0xec, 0xc1, 0xcc};
	static const uint8_t psubusb[] = {0x66, 0x0f, 0xd8, 0xc1, 0xcc};
	static const uint8_t paddusw[] = {0x66, 0x0f, 0xdd, 0xc1, 0xcc};
	static const uint8_t psubsw[] = {0x66, 0x0f, 0xe9, 0xc1, 0xcc};
	static const uint8_t pminsw[] = {0x66, 0x0f, 0xea, 0xc1, 0xcc};
	static const uint8_t pavgb[] = {0x66, 0x0f, 0xe0, 0xc1, 0xcc};
	static const uint8_t pmuludq[] = {0x66, 0x0f, 0xf4, 0xc1, 0xcc};
	reset_sse(e);
	/* bytes: 7F+01 = 7F, 80+FF = 80, 10+20 = 30, F0+F0 = E0 */
	set_x(e, 0, 0xf010807fULL, 0);
	set_x(e, 1, 0xf020ff01ULL, 0);
	run_code(e, paddsb, sizeof(paddsb));
	assert_x(e, 0, 0xe030807fULL, 0);
	/* bytes: 01-02 = 0, FF-01 = FE, 00-FF = 0 */
	set_x(e, 0, 0x00ff01ULL, 0);
	set_x(e, 1, 0xff0102ULL, 0);
	run_code(e, psubusb, sizeof(psubusb));
	assert_x(e, 0, 0x00fe00ULL, 0);
	/* words: FFFF+0001 = FFFF, 8000+7FFF = FFFF, 0001+0002 = 0003 */
	set_x(e, 0, 0x00018000ffffULL, 0);
	set_x(e, 1, 0x00027fff0001ULL, 0);
	run_code(e, paddusw, sizeof(paddusw));
	assert_x(e, 0, 0x0003ffffffffULL, 0);
	/* words: 8000-0001 = 8000, 7FFF-FFFF = 7FFF, 0005-0007 = FFFE */
	set_x(e, 0, 0x00057fff8000ULL, 0);
	set_x(e, 1, 0x0007ffff0001ULL, 0);
	run_code(e, psubsw, sizeof(psubsw));
	assert_x(e, 0, 0xfffe7fff8000ULL, 0);
	/* signed words: min(8000, 7FFF) = 8000, min(0001, FFFF) = FFFF */
	set_x(e, 0, 0x00018000ULL, 0);
	set_x(e, 1, 0xffff7fffULL, 0);
	run_code(e, pminsw, sizeof(pminsw));
	assert_x(e, 0, 0xffff8000ULL, 0);
	/* bytes: (FF+00+1)/2 = 80, (FF+FF+1)/2 = FF, (02+03+1)/2 = 03 */
	set_x(e, 0, 0x02ffffULL, 0);
	set_x(e, 1, 0x03ff00ULL, 0);
	run_code(e, pavgb, sizeof(pavgb));
	assert_x(e, 0, 0x03ff80ULL, 0);
	/* FFFFFFFFh * FFFFFFFFh; the odd doublewords are ignored */
	set_x(e, 0, 0x12345678ffffffffULL, 0x0000000300000002ULL);
	set_x(e, 1, 0x9abcdef0ffffffffULL, 0x0000000500000007ULL);
	run_code(e, pmuludq, sizeof(pmuludq));
	assert_x(e, 0, 0xfffffffe00000001ULL, 14);
}

/* The shifts: the count of the register forms is the source's whole low quadword (2^32
 * clears, it is not taken modulo anything); PSRA fills with the sign for counts above
 * the lane width; PSLLDQ moves whole bytes. */
static void test_exec_sse_special_shift_counts(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t psrad[] = {0x66, 0x0f, 0xe2, 0xc1, 0xcc};
	static const uint8_t psllq[] = {0x66, 0x0f, 0xf3, 0xc1, 0xcc};
	static const uint8_t psraw_200[] = {0x66, 0x0f, 0x71, 0xe0, 200, 0xcc};
	static const uint8_t psrlw_16[] = {0x66, 0x0f, 0x71, 0xd0, 16, 0xcc};
	static const uint8_t pslldq_3[] = {0x66, 0x0f, 0x73, 0xf8, 3, 0xcc};
	static const uint8_t psrld_5[] = {0x66, 0x0f, 0x72, 0xd0, 5, 0xcc};
	reset_sse(e);
	set_x(e, 0, 0x7fffffff80000000ULL, 0x00000001fffffffeULL);
	set_x(e, 1, 40, 0);
	run_code(e, psrad, sizeof(psrad));
	assert_x(e, 0, 0x00000000ffffffffULL, 0x00000000ffffffffULL);
	set_x(e, 0, 0x0123456789abcdefULL, 1);
	set_x(e, 1, 1ULL << 32, 0);
	run_code(e, psllq, sizeof(psllq));
	assert_x(e, 0, 0, 0);
	set_x(e, 0, 0x0123456789abcdefULL, 1);
	set_x(e, 1, 4, 0xffffffffffffffffULL); /* the high quadword is not part of the count */
	run_code(e, psllq, sizeof(psllq));
	assert_x(e, 0, 0x123456789abcdef0ULL, 0x10);
	set_x(e, 0, 0x80007fff00018000ULL, 0);
	run_code(e, psraw_200, sizeof(psraw_200));
	assert_x(e, 0, 0xffff00000000ffffULL, 0);
	set_x(e, 0, 0xffffffffffffffffULL, 0xffffffffffffffffULL);
	run_code(e, psrlw_16, sizeof(psrlw_16));
	assert_x(e, 0, 0, 0);
	set_x(e, 0, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
	run_code(e, pslldq_3, sizeof(pslldq_3));
	assert_x(e, 0, 0x0403020100000000ULL, 0x0c0b0a0908070605ULL);
	set_x(e, 0, 0x00000020ffffffffULL, 0x8000000000000000ULL);
	run_code(e, psrld_5, sizeof(psrld_5));
	assert_x(e, 0, 0x0000000107ffffffULL, 0x0400000000000000ULL);
}

/* PSHUFD 1Bh (lane i from source lane 3 - i) reverses the doublewords; MOVSS between registers merges the low lane, from
 * memory it zero-extends; MOVQ clears the upper half; MOVD to a register zero-extends. */
static void test_exec_sse_special_shuffle_and_move_results(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t pshufd[] = {0x66, 0x0f, 0x70, 0xc1, 0x1b, 0xcc};
	static const uint8_t movss_rr[] = {0xf3, 0x0f, 0x10, 0xc1, 0xcc};
	static const uint8_t movss_load[] = {0xf3, 0x0f, 0x10, 0x0b, 0xcc};  /* xmm1, [rbx] */
	static const uint8_t movq_load[] = {0xf3, 0x0f, 0x7e, 0x13, 0xcc};   /* xmm2, [rbx] */
	static const uint8_t movq_store[] = {0x66, 0x0f, 0xd6, 0x43, 0x10, 0xcc}; /* [rbx+16] */
	static const uint8_t movd_out[] = {0x66, 0x0f, 0x7e, 0xc8, 0xcc};   /* eax, xmm1 */
	reset_sse(e);
	set_x(e, 1, 0x1111111122222222ULL, 0x3333333344444444ULL);
	run_code(e, pshufd, sizeof(pshufd));
	assert_x(e, 0, 0x4444444433333333ULL, 0x2222222211111111ULL);
	set_x(e, 0, 0xaaaaaaaabbbbbbbbULL, 0xccccccccddddddddULL);
	run_code(e, movss_rr, sizeof(movss_rr));
	assert_x(e, 0, 0xaaaaaaaa22222222ULL, 0xccccccccddddddddULL);
	env_wr64(e, ENV_DATA_PA, 0x9999999988888888ULL);
	run_code(e, movss_load, sizeof(movss_load));
	assert_x(e, 1, 0x88888888ULL, 0);
	set_x(e, 2, 1, 2);
	run_code(e, movq_load, sizeof(movq_load));
	assert_x(e, 2, 0x9999999988888888ULL, 0);
	env_wr64(e, ENV_DATA_PA + 24, 0x5555555555555555ULL);
	run_code(e, movq_store, sizeof(movq_store));
	assert_int_equal(env_rd64(e, ENV_DATA_PA + 16), 0xaaaaaaaa22222222ULL);
	assert_int_equal(env_rd64(e, ENV_DATA_PA + 24), 0x5555555555555555ULL);
	e->cpu.gpr[RAX] = ~0ULL;
	run_code(e, movd_out, sizeof(movd_out));
	assert_int_equal(e->cpu.gpr[RAX], 0x88888888ULL);
}

/* ADDSD 1 + 2^-60 under each rounding mode that matters: to nearest and toward zero give
 * 1, upward the next double; PE is set. SQRTSD of -1 gives the default NaN and IE (masked).
 * MINSD returns the source when either operand is a NaN, and sets IE even for a QNaN. */
static void test_exec_sse_special_fp_results(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t addsd[] = {0xf2, 0x0f, 0x58, 0xc1, 0xcc};
	static const uint8_t sqrtsd[] = {0xf2, 0x0f, 0x51, 0xc1, 0xcc};
	static const uint8_t minsd[] = {0xf2, 0x0f, 0x5d, 0xc1, 0xcc};
	static const uint8_t mulpd_mem[] = {0x66, 0x0f, 0x59, 0x03, 0xcc}; /* xmm0, [rbx] */
	reset_sse(e);
	set_x(e, 0, 0x3ff0000000000000ULL, 7);
	set_x(e, 1, 0x3c30000000000000ULL, 9);
	run_code(e, addsd, sizeof(addsd));
	assert_x(e, 0, 0x3ff0000000000000ULL, 7);
	assert_int_equal(e->cpu.mxcsr, 0x1f80 | MXCSR_PE);
	e->cpu.mxcsr = 0x1f80 | 2u << 13; /* RC = up */
	run_code(e, addsd, sizeof(addsd));
	assert_x(e, 0, 0x3ff0000000000001ULL, 7);
	assert_int_equal(e->cpu.mxcsr, 0x1f80 | 2u << 13 | MXCSR_PE);
	reset_sse(e);
	set_x(e, 1, 0xbff0000000000000ULL, 0);
	run_code(e, sqrtsd, sizeof(sqrtsd));
	assert_x(e, 0, 0xfff8000000000000ULL, 0);
	assert_int_equal(e->cpu.mxcsr, 0x1f80 | MXCSR_IE);
	reset_sse(e);
	set_x(e, 0, 0x3ff0000000000000ULL, 0);
	set_x(e, 1, 0x7ff8000000000000ULL, 0);
	run_code(e, minsd, sizeof(minsd));
	assert_x(e, 0, 0x7ff8000000000000ULL, 0);
	assert_int_equal(e->cpu.mxcsr, 0x1f80 | MXCSR_IE); /* a QNaN is invalid for MIN */
	set_x(e, 1, 0x4000000000000000ULL, 0);
	run_code(e, minsd, sizeof(minsd));
	assert_x(e, 0, 0x4000000000000000ULL, 0);
	/* 1.5 * 2 = 3, -0.5 * 4 = -2 */
	reset_sse(e);
	set_x(e, 0, 0x3ff8000000000000ULL, 0xbfe0000000000000ULL);
	env_wr64(e, ENV_DATA_PA, 0x4000000000000000ULL);
	env_wr64(e, ENV_DATA_PA + 8, 0x4010000000000000ULL);
	run_code(e, mulpd_mem, sizeof(mulpd_mem));
	assert_x(e, 0, 0x4008000000000000ULL, 0xc000000000000000ULL);
	assert_int_equal(e->cpu.mxcsr, 0x1f80);
}

/* ---- directed cases: faults ---- */

/* The memory forms of the specialised handlers, with xmm0 and [rbx] (ModRM 03h). */
struct mem_form {
	uint8_t bytes[5]; /* prefix (0: none), 0F, opcode, ModRM, imm8 */
	uint8_t len;
	bool store;
	uint8_t align; /* 0 none, 1 legacy SSE (MXCSR.MM lifts it), 2 always */
	uint8_t size;  /* memory operand bytes */
};

#define MF(p, op, st, al, sz) {{p, 0x0f, op, 0x03}, 4, st, al, sz}
static const struct mem_form mem_forms[] = {
    MF(0x66, 0xfe, false, 1, 16), /* paddd */
    MF(0x66, 0xef, false, 1, 16), /* pxor */
    MF(0x00, 0x57, false, 1, 16), /* xorps */
    MF(0x66, 0x76, false, 1, 16), /* pcmpeqd */
    MF(0x66, 0x62, false, 1, 16), /* punpckldq */
    MF(0x66, 0xd2, false, 1, 16), /* psrld xmm0, m128 */
    MF(0x66, 0x58, false, 1, 16), /* addpd */
    MF(0x00, 0x59, false, 1, 16), /* mulps */
    MF(0xf2, 0x58, false, 0, 8),  /* addsd */
    MF(0xf3, 0x5e, false, 0, 4),  /* divss */
    MF(0xf2, 0x51, false, 0, 8),  /* sqrtsd */
    MF(0x66, 0x2f, false, 0, 8),  /* comisd */
    MF(0x00, 0x2e, false, 0, 4),  /* ucomiss */
    MF(0xf2, 0x2a, false, 0, 4),  /* cvtsi2sd xmm0, m32 */
    MF(0xf2, 0x2c, false, 0, 8),  /* cvttsd2si eax, m64 */
    MF(0xf3, 0x2d, false, 0, 4),  /* cvtss2si eax, m32 */
    MF(0x00, 0x10, false, 0, 16), /* movups load */
    MF(0x00, 0x11, true, 0, 16),  /* movups store */
    MF(0x66, 0x28, false, 2, 16), /* movapd load */
    MF(0x00, 0x29, true, 2, 16),  /* movaps store */
    MF(0x66, 0x6f, false, 2, 16), /* movdqa load */
    MF(0x66, 0x7f, true, 2, 16),  /* movdqa store */
    MF(0xf3, 0x6f, false, 0, 16), /* movdqu load */
    MF(0xf3, 0x7f, true, 0, 16),  /* movdqu store */
    MF(0xf2, 0x10, false, 0, 8),  /* movsd load */
    MF(0xf2, 0x11, true, 0, 8),   /* movsd store */
    MF(0xf3, 0x11, true, 0, 4),   /* movss store */
    MF(0xf3, 0x7e, false, 0, 8),  /* movq load */
    MF(0x66, 0xd6, true, 0, 8),   /* movq store */
    {{0x66, 0x0f, 0x70, 0x03, 0x1b}, 5, false, 1, 16}, /* pshufd */
};
#define NR_MEM_FORMS (sizeof(mem_forms) / sizeof(mem_forms[0]))

/* Loads form f (without its absent prefix) and INT3 at ENV_CODE; returns its length. */
static size_t load_form(struct cpu_env *e, const struct mem_form *f)
{
	uint8_t code[8];
	size_t n = f->bytes[0] ? 0 : 1;
	size_t len = f->len - n;
	memcpy(code, f->bytes + n, len);
	code[len] = 0xcc;
	env_load_code(e, code, len + 1);
	return len;
}

/* Runs the loaded form: it must fault with vector before completing (RIP unchanged). */
static void expect_fault(struct cpu_env *e, const struct mem_form *f, uint8_t vector)
{
	if (cpu_run(&e->cpu, 10) != CPU_EXIT_FAULT || e->cpu.fault.vector != vector)
		fail_msg("%02x 0f %02x: expected vector %u, got %u", f->bytes[0], f->bytes[2],
			 vector, e->cpu.fault.vector);
	assert_int_equal(e->cpu.rip, ENV_CODE);
}

/* A memory operand in a page that is not present: #PF with CR2 and the error code of the
 * access (a user read, or a user write for the stores), and nothing changed: the XMM
 * registers, MXCSR and the bytes of a store's first, present page. A 16-byte operand that
 * starts 8 bytes before the page ends touches both. */
static void test_exec_sse_special_memory_fault_is_precise(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t end = ENV_DATA + ENV_PAGES * 4096; /* first page not mapped */
	for (unsigned i = 0; i < NR_MEM_FORMS; i++) {
		const struct mem_form *f = &mem_forms[i];
		for (unsigned cross = 0; cross < 2; cross++) {
			union xmm_reg before[16];
			uint8_t page_tail[8];
			reset_sse(e);
			for (unsigned r = 0; r < 16; r++)
				set_x(e, r, 0x1111111111111111ULL * (r + 1), ~(uint64_t)r);
			e->cpu.mxcsr = 0x1f80 | MXCSR_MM; /* misalignment is not the fault here */
			memcpy(before, e->cpu.xmm, sizeof(before));
			uint64_t at = cross ? end - (f->size > 8 ? 8 : f->size / 2) : end;
			if (cross && f->align == 2)
				continue; /* that would be #GP (next test) */
			e->cpu.gpr[RBX] = at;
			memcpy(page_tail, e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, 8);
			load_form(e, f);
			expect_fault(e, f, X86_VEC_PF);
			assert_int_equal(e->cpu.fault.error_code, PF_ERR_U | (f->store ? PF_ERR_W : 0));
			assert_int_equal(e->cpu.fault.cr2, end);
			cpu_fpu_sync(&e->cpu);
			assert_memory_equal(e->cpu.xmm, before, sizeof(before));
			assert_int_equal(e->cpu.mxcsr, 0x1f80 | MXCSR_MM);
			assert_memory_equal(e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8,
					    page_tail, 8);
		}
	}
}

/* A store whose second half lands in a read-only page: #PF (present, write, user) and no
 * byte written in the first page. */
static void test_exec_sse_special_store_into_readonly_page_writes_nothing(void **state)
{
	struct cpu_env *e = *state;
	const uint64_t ro = ENV_DATA + ENV_PAGES * 4096;
	env_map(e, ro, ENV_DATA_PA + ENV_PAGES * 4096, PTE_P | PTE_US);
	for (unsigned i = 0; i < NR_MEM_FORMS; i++) {
		const struct mem_form *f = &mem_forms[i];
		uint8_t tail[8];
		if (!f->store || f->align == 2)
			continue;
		reset_sse(e);
		set_x(e, 0, 0x0123456789abcdefULL, 0xfedcba9876543210ULL);
		memset(e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, 0x5a, 8);
		memcpy(tail, e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, 8);
		e->cpu.gpr[RBX] = ro - (f->size > 8 ? 8 : f->size / 2);
		load_form(e, f);
		expect_fault(e, f, X86_VEC_PF);
		assert_int_equal(e->cpu.fault.error_code, PF_ERR_P | PF_ERR_W | PF_ERR_U);
		assert_int_equal(e->cpu.fault.cr2, ro);
		assert_memory_equal(e->bus.ram + ENV_DATA_PA + ENV_PAGES * 4096 - 8, tail, 8);
	}
}

/* 16-byte operands 8 bytes off their alignment: #GP(0) for MOVAPS/MOVAPD/MOVDQA always and
 * for the other legacy-SSE 16-byte operands unless MXCSR.MM; the unaligned moves and the
 * scalar forms run. The destination and memory stay as they were on a fault. */
static void test_exec_sse_special_misaligned_operand_gp(void **state)
{
	struct cpu_env *e = *state;
	for (unsigned i = 0; i < NR_MEM_FORMS; i++) {
		const struct mem_form *f = &mem_forms[i];
		for (unsigned mm = 0; mm < 2; mm++) {
			uint8_t data[32];
			reset_sse(e);
			set_x(e, 0, 0x3ff0000000000000ULL, 0x4000000000000000ULL);
			e->cpu.mxcsr = 0x1f80 | (mm ? MXCSR_MM : 0);
			e->cpu.gpr[RBX] = ENV_DATA + 0x108;
			memcpy(data, e->bus.ram + ENV_DATA_PA + 0x100, 32);
			bool faults = f->align == 2 || (f->align == 1 && !mm);
			size_t len = load_form(e, f);
			if (!faults) {
				assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
				assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
				assert_int_equal(e->cpu.rip, ENV_CODE + len);
				continue;
			}
			expect_fault(e, f, X86_VEC_GP);
			assert_int_equal(e->cpu.fault.error_code, 0);
			cpu_fpu_sync(&e->cpu);
			assert_x(e, 0, 0x3ff0000000000000ULL, 0x4000000000000000ULL);
			assert_memory_equal(e->bus.ram + ENV_DATA_PA + 0x100, data, 32);
		}
	}
}

/* Gating (SDM Vol. 3, 13.1): CR0.TS makes every form #NM, CR4.OSFXSR clear makes it #UD,
 * register forms included. */
static void test_exec_sse_special_gating_nm_ud(void **state)
{
	struct cpu_env *e = *state;
	struct x86_fault fl;
	uint64_t cr0 = e->m.cr0, cr4 = e->m.cr4;
	for (unsigned i = 0; i < NR_MEM_FORMS; i++) {
		struct mem_form f = mem_forms[i];
		for (unsigned regs = 0; regs < 2; regs++) {
			if (regs)
				f.bytes[3] = 0xc1; /* xmm0, xmm1 */
			reset_sse(e);
			set_x(e, 0, 5, 6);
			assert_true(mmu_set_cr0(&e->m, cr0 | CR0_TS, &fl));
			load_form(e, &f);
			expect_fault(e, &f, X86_VEC_NM);
			assert_true(mmu_set_cr0(&e->m, cr0, &fl));
			assert_true(mmu_set_cr4(&e->m, cr4 & ~CR4_OSFXSR, &fl));
			load_form(e, &f);
			expect_fault(e, &f, X86_VEC_UD);
			assert_true(mmu_set_cr4(&e->m, cr4, &fl));
			assert_x(e, 0, 5, 6);
		}
	}
}

/* The floating-point handlers with an exception unmasked take the generic path's rules:
 * ADDPD of the largest double to itself with OM clear is #XM, the destination unchanged,
 * OE set, PE clear (2 x DBL_MAX is exact with an unbounded exponent, which is what PE
 * reports for an unmasked overflow). */
static void test_exec_sse_special_unmasked_overflow_xm(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t addpd[] = {0x66, 0x0f, 0x58, 0xc1, 0xcc};
	reset_sse(e);
	set_x(e, 0, 0x7fefffffffffffffULL, 0x3ff0000000000000ULL);
	set_x(e, 1, 0x7fefffffffffffffULL, 0x3ff0000000000000ULL);
	e->cpu.mxcsr = 0x1f80 & ~0x0400u; /* OM clear */
	env_load_code(e, addpd, sizeof(addpd));
	assert_int_equal(cpu_run(&e->cpu, 10), CPU_EXIT_FAULT);
	assert_int_equal(e->cpu.fault.vector, X86_VEC_XM);
	assert_int_equal(e->cpu.rip, ENV_CODE);
	assert_x(e, 0, 0x7fefffffffffffffULL, 0x3ff0000000000000ULL);
	assert_int_equal(e->cpu.mxcsr, (0x1f80 & ~0x0400u) | MXCSR_OE);
}

/* MOVUPS and MOVSD stores into the code that follows them in the same block (self-modifying
 * code), after a NOP (the block's first instruction runs alone): the new instruction runs.
 * Twice, so that the second pass finds the store's page in the TLB (the fast forms). XMM0
 * holds the new code, "mov eax, 11111111h; int3". */
static void test_exec_sse_special_store_into_code_is_seen(void **state)
{
	struct cpu_env *e = *state;
	static const uint8_t stores[2][9] = {
	    {0x90, 0x0f, 0x11, 0x05, 8, 0, 0, 0, 0x90}, /* nop; movups [rip+8], xmm0 */
	    {0x90, 0xf2, 0x0f, 0x11, 0x05, 7, 0, 0, 0}, /* nop; movsd [rip+7], xmm0 */
	};
	for (unsigned k = 0; k < 2; k++)
		for (unsigned pass = 0; pass < 2; pass++) {
			uint8_t code[0x16];
			memset(code, 0x90, sizeof(code));
			memcpy(code, stores[k], 9);
			memcpy(code + 0x10, (uint8_t[]){0xb8, 0x22, 0x22, 0x22, 0x22, 0xcc}, 6);
			reset_sse(e);
			set_x(e, 0, 0x9090cc11111111b8ULL, 0x9090909090909090ULL);
			env_load_code(e, code, sizeof(code));
			assert_int_equal(cpu_run(&e->cpu, 100), CPU_EXIT_FAULT);
			assert_int_equal(e->cpu.fault.vector, X86_VEC_BP);
			assert_int_equal(e->cpu.gpr[RAX] & 0xffffffff, 0x11111111);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_integer_ops_match_generic, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_fp_ops_match_generic, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_exec_sse_special_compares_and_conversions_match_generic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_shifts_and_pshufd_match_generic,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_moves_match_generic, setup,
					    teardown),
	    cmocka_unit_test(test_exec_sse_special_flat_and_segment_forms_differ),
	    cmocka_unit_test(test_exec_sse_special_flat_shapes_have_own_forms),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_integer_results, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_saturating_results, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_shift_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_shuffle_and_move_results, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_fp_results, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_memory_fault_is_precise, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_exec_sse_special_store_into_readonly_page_writes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_misaligned_operand_gp, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_gating_nm_ud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_unmasked_overflow_xm, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec_sse_special_store_into_code_is_seen, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
