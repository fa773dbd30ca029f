/*
 * cpu/alu_fast.h's inline ADD/ADC/SUB/SBB/CMP/AND/OR/XOR and INC/DEC must agree bit for
 * bit with cpu/alu.c's alu_binop and alu_unary (which tests/cpu/test_alu_host.c checks
 * against the host): results and all six status flags, every size, every incoming CF,
 * edge operands and random ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/alu_fast.h"

static const uint64_t edges[] = {0,
				 1,
				 2,
				 0x0f,
				 0x10,
				 0x7f,
				 0x80,
				 0xff,
				 0x100,
				 0x7fff,
				 0x8000,
				 0xffff,
				 0x7fffffff,
				 0x80000000,
				 0xffffffff,
				 0x100000000ULL,
				 0x7fffffffffffffffULL,
				 0x8000000000000000ULL,
				 0xffffffffffffffffULL};
#define NR_EDGES (sizeof(edges) / sizeof(edges[0]))

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Compares alu_op and alu_binop for op on (a, b) with incoming flags fl. */
static void check_binop(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t fl)
{
	struct cpu cpu = {.rflags = fl};
	uint64_t ref_fl = fl;
	uint64_t r = alu_op(&cpu, op, a, b, size);
	uint64_t ref = alu_binop((enum x86_alu_op)op, size, a, b, &ref_fl);
	if (op == ALU_CMP)
		ref = a & size_mask(size); /* alu_op returns the unchanged destination */
	if (r != ref || cpu_rflags(&cpu) != ref_fl)
		fail_msg("op %u size %u a %#llx b %#llx fl %#llx: fast %#llx/%#llx, alu.c "
			 "%#llx/%#llx",
			 op, size, (unsigned long long)a, (unsigned long long)b,
			 (unsigned long long)fl, (unsigned long long)r,
			 (unsigned long long)cpu_rflags(&cpu), (unsigned long long)ref,
			 (unsigned long long)ref_fl);
}

static void check_incdec(bool dec, unsigned size, uint64_t a, uint64_t fl)
{
	struct cpu cpu = {.rflags = fl};
	uint64_t ref_fl = fl;
	uint64_t r = alu_incdec(&cpu, a, dec, size);
	uint64_t ref = alu_unary(dec ? UNARY_DEC : UNARY_INC, size, a, &ref_fl);
	if (r != ref || cpu_rflags(&cpu) != ref_fl)
		fail_msg("%s size %u a %#llx: fast %#llx/%#llx, alu.c %#llx/%#llx",
			 dec ? "dec" : "inc", size, (unsigned long long)a, (unsigned long long)r,
			 (unsigned long long)cpu_rflags(&cpu), (unsigned long long)ref,
			 (unsigned long long)ref_fl);
}

static void test_alu_fast_binop_edges_agree_with_alu_c(void **state)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	for (unsigned op = ALU_ADD; op <= ALU_CMP; op++)
		for (unsigned s = 0; s < 4; s++)
			for (unsigned i = 0; i < NR_EDGES; i++)
				for (unsigned j = 0; j < NR_EDGES; j++)
					for (uint64_t fl = 0x2; fl <= 0x3; fl++)
						check_binop(op, sizes[s], edges[i], edges[j],
							    fl | (j & 1 ? 0x8d4 : 0));
}

static void test_alu_fast_binop_random_agree_with_alu_c(void **state)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	uint64_t s = 0x853c49e6748fea9bULL;
	for (int n = 0; n < 200000; n++) {
		uint64_t a = rnd(&s), b = rnd(&s), fl = 0x2 | (rnd(&s) & 0x8d5);
		check_binop((unsigned)(rnd(&s) % 8), sizes[rnd(&s) % 4], a, b, fl);
	}
}

static void test_alu_fast_incdec_agree_with_alu_c(void **state)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	for (unsigned s = 0; s < 4; s++)
		for (unsigned i = 0; i < NR_EDGES; i++)
			for (uint64_t fl = 0x2; fl <= 0x8d7; fl += 0x8d5) {
				check_incdec(false, sizes[s], edges[i], fl);
				check_incdec(true, sizes[s], edges[i], fl);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alu_fast_binop_edges_agree_with_alu_c),
	    cmocka_unit_test(test_alu_fast_binop_random_agree_with_alu_c),
	    cmocka_unit_test(test_alu_fast_incdec_agree_with_alu_c),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
