/*
 * cpu/cpuid.c - the CPUID model (SDM Vol. 2 CPUID; AMD's CPUID Specification #25481 for
 * the extended leaves).
 *
 * The model advertises only what is implemented: the feature bits are those the
 * instruction families set in struct cpu_features when they registered their handlers
 * (cpu/exec_*.c), so adding a family adds its bits. The identity is an AMD family 17h
 * processor (the host the undefined flags were taken from) named "mmemu virtual CPU".
 *
 *   leaf         EAX                 EBX              ECX            EDX
 *   0            max basic leaf (7)  "Auth"           "cAMD"         "enti"
 *   1            family/model/step   CLFLUSH 64, 1 LP features       features
 *   7/0          0                   features         0              0
 *   80000000     max ext (80000008)  vendor as leaf 0
 *   80000001     family/model/step   0                ext features   ext features
 *   80000002-4   brand string
 *   80000008     phys/linear bits    0                0 (1 core)     0
 *   other        all zero
 */
#include <string.h>

#include "cpu/cpu.h"

#define CPUID_MAX_BASIC 7u
#define CPUID_MAX_EXT 0x80000008u
/* Family 17h (0Fh + 08h), model 01h, stepping 2. */
#define CPUID_SIGNATURE 0x00800f12u

static void put_string(uint32_t *regs, const char *s, unsigned n)
{
	memcpy(regs, s, n);
}

static void vendor(uint32_t out[4])
{
	out[0] = 0;
	put_string(&out[1], "Auth", 4);
	put_string(&out[3], "enti", 4);
	put_string(&out[2], "cAMD", 4);
}

static void brand(uint32_t leaf, uint32_t out[4])
{
	static const char name[48] = "mmemu virtual CPU";
	put_string(out, name + 16 * (leaf - 0x80000002u), 16);
}

void cpu_cpuid(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	const struct cpu_features *f = &cpu->features;
	memset(out, 0, 4 * sizeof(uint32_t));
	switch (leaf) {
	case 0:
		vendor(out);
		out[0] = CPUID_MAX_BASIC;
		break;
	case 1:
		out[0] = CPUID_SIGNATURE;
		out[1] = 8u << 8 | 1u << 16; /* CLFLUSH line 8 * 8 bytes, one logical CPU */
		out[2] = f->leaf1_ecx;
		out[3] = f->leaf1_edx;
		break;
	case 7:
		if (subleaf == 0)
			out[1] = f->leaf7_ebx;
		break;
	case 0x80000000u:
		vendor(out);
		out[0] = CPUID_MAX_EXT;
		break;
	case 0x80000001u:
		out[0] = CPUID_SIGNATURE;
		out[2] = f->ext1_ecx;
		out[3] = f->ext1_edx;
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		brand(leaf, out);
		break;
	case 0x80000008u:
		out[0] = cpu->mmu->maxphyaddr | 48u << 8;
		break;
	default:
		break;
	}
}
