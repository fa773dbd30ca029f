/*
 * cpu/fxsave.c - the FPU state images: FXSAVE/FXRSTOR (SDM Vol. 1, 10.5.1, Table 10-2),
 * FNSAVE/FRSTOR and FNSTENV/FLDENV (Vol. 1, 8.1.10, Figures 8-9 to 8-12), LDMXCSR/STMXCSR.
 *
 * Environment formats (offsets in bytes; "32-bit" also serves 64-bit mode):
 *
 *   32-bit protected          16-bit protected       real/V86 32-bit          real 16-bit
 *   0  FCW                    0  FCW                 0  FCW                   0  FCW
 *   4  FSW                    2  FSW                 4  FSW                   2  FSW
 *   8  FTW                    4  FTW                 8  FTW                   4  FTW
 *   12 FIP[31:0]              6  FIP[15:0]           12 FIP[15:0]             6  FIP[15:0]
 *   16 FCS, FOP in 26:16      8  FCS                 16 FOP | FIP[31:16]<<12  8  FOP |
 * FIP[19:16]<<12 20 FDP[31:0]              10 FDP[15:0]           20 FDP[15:0]             10
 * FDP[15:0] 24 FDS                    12 FDS                 24 FDP[31:16] << 12      12 FDP[19:16]
 * << 12
 *
 * The unused upper halves of the 32-bit slots (reserved in the SDM) are written as FFFFh,
 * as the reference host (AMD family 17h) writes them. FNSAVE/FRSTOR add the eight
 * registers, ST(0) first, 10 bytes each, after the environment (14 or 28 bytes).
 */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "cpu/fpu.h"

unsigned x87_tag_of(const struct x87_reg *r)
{
	unsigned exp = r->sexp & 0x7fff;
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return r->mant == 0 ? 1 : 2;
	return (r->mant >> 63) ? 0 : 2;
}

void fx_put_x87(const struct x87_state *f, struct fxsave_image *img)
{
	uint8_t ftw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((f->ftw >> (2 * i)) & 3) != 3)
			ftw |= (uint8_t)(1u << i);
	memcpy(img->b + FX_FCW, &f->fcw, 2);
	memcpy(img->b + FX_FSW, &f->fsw, 2);
	img->b[FX_FTW] = ftw;
	img->b[FX_FTW + 1] = 0;
	memcpy(img->b + FX_FOP, &f->fop, 2);
	for (unsigned i = 0; i < 8; i++) {
		const struct x87_reg *r = &f->st[x87_phys(f, i)];
		uint8_t *p = img->b + FX_ST + 16 * i;
		memcpy(p, &r->mant, 8);
		memcpy(p + 8, &r->sexp, 2);
		memset(p + 10, 0, 6);
	}
}

/* The full tag word from the abridged one and the registers (physical order). */
static uint16_t full_tags(const struct x87_state *f, uint8_t abridged)
{
	uint16_t ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (abridged >> i) & 1 ? x87_tag_of(&f->st[i]) : 3;
		ftw |= (uint16_t)(t << (2 * i));
	}
	return ftw;
}

void fx_get_x87(struct x87_state *f, const struct fxsave_image *img)
{
	memcpy(&f->fcw, img->b + FX_FCW, 2);
	memcpy(&f->fsw, img->b + FX_FSW, 2);
	for (unsigned i = 0; i < 8; i++) {
		struct x87_reg *r = &f->st[x87_phys(f, i)];
		const uint8_t *p = img->b + FX_ST + 16 * i;
		memcpy(&r->mant, p, 8);
		memcpy(&r->sexp, p + 8, 2);
	}
	f->ftw = full_tags(f, img->b[FX_FTW]);
}

/* ES and B summarise the unmasked exception flags; a loaded status word gets them
 * recomputed, as FLDENV/FRSTOR/FXRSTOR do on the hardware. */
uint16_t x87_fcw_normalise(uint16_t fcw)
{
	return (uint16_t)((fcw & 0x1f3f) | 0x0040); /* bit 6 reads as 1, 7 and 13-15 as 0 */
}

uint16_t x87_fsw_normalise(uint16_t fsw, uint16_t fcw)
{
	fsw &= ~(FSW_ES | FSW_B);
	if (fsw & ~fcw & 0x3f)
		fsw |= FSW_ES | FSW_B;
	return fsw;
}

/* The abridged tag byte: 1 for every non-empty physical register. */
static uint8_t abridged_tags(uint16_t ftw)
{
	uint8_t t = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != 3)
			t |= (uint8_t)(1u << i);
	return t;
}

/* ---- memory blocks ---- */

/* One access of k bytes (1..8) at part i of a block; k a constant where it can be, so
 * that the access is one host load or store rather than a copy of a variable size. */
static inline __attribute__((always_inline)) bool read_part(struct cpu *cpu, unsigned seg,
							    uint64_t off, unsigned asz,
							    uint8_t *p, unsigned i, unsigned k)
{
	uint64_t v;
	if (!cpu_read_mem(cpu, seg, (off + i) & size_mask(asz), k, &v))
		return false;
	memcpy(p + i, &v, k);
	return true;
}

static inline __attribute__((always_inline)) bool store_part(struct cpu *cpu, unsigned seg,
							     uint64_t off, unsigned asz,
							     const uint8_t *p, unsigned i,
							     unsigned k)
{
	uint64_t v = 0;
	memcpy(&v, p + i, k);
	return cpu_write_mem(cpu, seg, (off + i) & size_mask(asz), k, v);
}

/* Reads n bytes (n <= 512) of guest memory at seg:off into buf, 8 at a time. */
bool fpu_read_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, void *buf,
		    unsigned n)
{
	uint8_t *p = buf;
	switch (n) { /* the x87 operands: the same accesses as the loop makes */
	case 2:
		return read_part(cpu, seg, off, asz, p, 0, 2);
	case 4:
		return read_part(cpu, seg, off, asz, p, 0, 4);
	case 8:
		return read_part(cpu, seg, off, asz, p, 0, 8);
	case 10:
		return read_part(cpu, seg, off, asz, p, 0, 8) &&
		       read_part(cpu, seg, off, asz, p, 8, 2);
	}
	for (unsigned i = 0; i < n; i += 8)
		if (!read_part(cpu, seg, off, asz, p, i, n - i < 8 ? n - i : 8))
			return false;
	return true;
}

bool fpu_probe_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, unsigned n)
{
	if (n <= 8) /* one access */
		return cpu_probe_write(cpu, seg, off & size_mask(asz), n);
	for (unsigned i = 0; i < n; i += 8) {
		unsigned k = n - i < 8 ? n - i : 8;
		if (!cpu_probe_write(cpu, seg, (off + i) & size_mask(asz), k))
			return false;
	}
	return true;
}

/* Writes n bytes; the whole range is probed first so that a fault leaves memory as it was. */
bool fpu_write_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, const void *buf,
		     unsigned n)
{
	return fpu_probe_block(cpu, seg, off, asz, n) &&
	       fpu_store_block(cpu, seg, off, asz, buf, n);
}

bool fpu_store_block(struct cpu *cpu, unsigned seg, uint64_t off, unsigned asz, const void *buf,
		     unsigned n)
{
	const uint8_t *p = buf;
	switch (n) { /* as in fpu_read_block */
	case 2:
		return store_part(cpu, seg, off, asz, p, 0, 2);
	case 4:
		return store_part(cpu, seg, off, asz, p, 0, 4);
	case 8:
		return store_part(cpu, seg, off, asz, p, 0, 8);
	case 10:
		return store_part(cpu, seg, off, asz, p, 0, 8) &&
		       store_part(cpu, seg, off, asz, p, 8, 2);
	}
	for (unsigned i = 0; i < n; i += 8)
		if (!store_part(cpu, seg, off, asz, p, i, n - i < 8 ? n - i : 8))
			return false;
	return true;
}

/* ---- FNSTENV / FLDENV ---- */

static void put16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint64_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Real-address or virtual-8086 mode: the environment holds linear 20/32-bit pointers. */
static bool env_real(const struct cpu *cpu)
{
	return !(cpu->mmu->cr0 & CR0_PE) || (cpu->rflags & RFLAGS_VM);
}

unsigned x87_env_size(unsigned opsize)
{
	return opsize == 2 ? 14 : 28;
}

void x87_env_store(const struct cpu *cpu, unsigned opsize, uint8_t *p)
{
	const struct x87_state *f = &cpu->fpu;
	FPU_ASSERT_X87_SYNCED(cpu);
	memset(p, 0, x87_env_size(opsize));
	if (opsize == 2) {
		put16(p, f->fcw);
		put16(p + 2, f->fsw);
		put16(p + 4, f->ftw);
		put16(p + 6, f->fip);
		put16(p + 10, f->fdp);
		if (env_real(cpu)) {
			put16(p + 8, (f->fop & 0x7ff) | ((f->fip >> 4) & 0xf000));
			put16(p + 12, (f->fdp >> 4) & 0xf000);
		} else {
			put16(p + 8, f->fcs);
			put16(p + 12, f->fds);
		}
		return;
	}
	put32(p, 0xffff0000u | f->fcw);
	put32(p + 4, 0xffff0000u | f->fsw);
	put32(p + 8, 0xffff0000u | f->ftw);
	if (env_real(cpu)) {
		put16(p + 12, f->fip);
		put32(p + 16, (f->fop & 0x7ff) | ((f->fip >> 4) & 0x0ffff000));
		put16(p + 20, f->fdp);
		put32(p + 24, (f->fdp >> 4) & 0x0ffff000);
	} else {
		put32(p + 12, f->fip);
		put32(p + 16, f->fcs | (uint32_t)(f->fop & 0x7ff) << 16);
		put32(p + 20, f->fdp);
		put32(p + 24, 0xffff0000u | f->fds);
	}
}

void x87_env_load(struct cpu *cpu, unsigned opsize, const uint8_t *p)
{
	struct x87_state *f = &cpu->fpu;
	FPU_ASSERT_X87_SYNCED(cpu);
	if (opsize == 2) {
		f->fcw = get16(p);
		f->fsw = get16(p + 2);
		f->ftw = get16(p + 4);
		f->fip = get16(p + 6);
		f->fdp = get16(p + 10);
		if (env_real(cpu)) {
			f->fop = get16(p + 8) & 0x7ff;
			f->fip |= (uint64_t)(get16(p + 8) & 0xf000) << 4;
			f->fdp |= (uint64_t)(get16(p + 12) & 0xf000) << 4;
		} else {
			f->fcs = get16(p + 8);
			f->fds = get16(p + 12);
		}
	} else {
		f->fcw = get16(p);
		f->fsw = get16(p + 4);
		f->ftw = get16(p + 8);
		if (env_real(cpu)) {
			f->fip = get16(p + 12) | (uint64_t)(get32(p + 16) & 0x0ffff000) << 4;
			f->fop = get32(p + 16) & 0x7ff;
			f->fdp = get16(p + 20) | (uint64_t)(get32(p + 24) & 0x0ffff000) << 4;
		} else {
			f->fip = get32(p + 12);
			f->fcs = get16(p + 16);
			f->fop = (get32(p + 16) >> 16) & 0x7ff;
			f->fdp = get32(p + 20);
			f->fds = get16(p + 24);
		}
	}
	f->fcw = x87_fcw_normalise(f->fcw);
	f->fsw = x87_fsw_normalise(f->fsw, f->fcw);
	/* Only empty versus non-empty counts: the other tags follow the contents. */
	f->ftw = full_tags(f, abridged_tags(f->ftw));
}

void x87_regs_store(const struct x87_state *f, uint8_t *p)
{
	for (unsigned i = 0; i < 8; i++) {
		const struct x87_reg *r = &f->st[x87_phys(f, i)];
		memcpy(p + 10 * i, &r->mant, 8);
		memcpy(p + 10 * i + 8, &r->sexp, 2);
	}
}

void x87_regs_load(struct x87_state *f, const uint8_t *p)
{
	for (unsigned i = 0; i < 8; i++) {
		struct x87_reg *r = &f->st[x87_phys(f, i)];
		memcpy(&r->mant, p + 10 * i, 8);
		memcpy(&r->sexp, p + 10 * i + 8, 2);
	}
	f->ftw = full_tags(f, abridged_tags(f->ftw));
}

void x87_init(struct x87_state *f)
{
	f->fcw = 0x037f;
	f->fsw = 0;
	f->ftw = 0xffff;
	f->fop = 0;
	f->fip = 0;
	f->fdp = 0;
	f->fcs = 0;
	f->fds = 0;
}

/* ---- FXSAVE / FXRSTOR ---- */

/*
 * The FXSAVE image of the guest state. rexw selects the 64-bit FIP/FDP layout; outside
 * 64-bit mode only XMM0-7 are part of the image. The reserved bytes after the last XMM
 * register are left alone, as the host leaves them: the caller writes only *len bytes.
 */
void fxsave_fill(const struct cpu *cpu, bool rexw, struct fxsave_image *img, unsigned *len)
{
	const struct x87_state *f = &cpu->fpu;
	unsigned nxmm = cpu->mode == X86_MODE_64 ? 16 : 8;
	FPU_ASSERT_SYNCED(cpu);
	memset(img->b, 0, sizeof(img->b));
	fx_put_x87(f, img);
	if (!(f->fsw & FSW_ES)) {
		/* AMD: the error pointers are saved only while an exception is pending. */
		memset(img->b + FX_FOP, 0, 18);
	} else if (rexw) {
		memcpy(img->b + FX_FIP, &f->fip, 8);
		memcpy(img->b + FX_FDP, &f->fdp, 8);
	} else {
		put32(img->b + FX_FIP, f->fip);
		put16(img->b + FX_FCS, f->fcs);
		put32(img->b + FX_FDP, f->fdp);
		put16(img->b + FX_FDS, f->fds);
	}
	put32(img->b + FX_MXCSR, cpu->mxcsr);
	put32(img->b + FX_MXCSR_MASK, MXCSR_MASK_MODEL);
	if (cpu->mmu->cr4 & CR4_OSFXSR)
		memcpy(img->b + FX_XMM, cpu->xmm, 16 * nxmm);
	*len = FX_XMM + 16 * nxmm; /* the reserved bytes after the registers stay untouched */
}

/* Loads an FXSAVE image; false when MXCSR has reserved bits set (the caller's #GP). */
bool fxrstor_load(struct cpu *cpu, bool rexw, const struct fxsave_image *img)
{
	struct x87_state *f = &cpu->fpu;
	unsigned nxmm = cpu->mode == X86_MODE_64 ? 16 : 8;
	uint32_t mxcsr = get32(img->b + FX_MXCSR);
	FPU_ASSERT_SYNCED(cpu);
	if (mxcsr & ~MXCSR_MASK_MODEL)
		return false;
	fx_get_x87(f, img);
	f->fcw = x87_fcw_normalise(f->fcw);
	f->fsw = x87_fsw_normalise(f->fsw, f->fcw);
	f->fop = get16(img->b + FX_FOP) & 0x7ff;
	if (rexw) {
		memcpy(&f->fip, img->b + FX_FIP, 8);
		memcpy(&f->fdp, img->b + FX_FDP, 8);
		f->fcs = 0; /* the 64-bit layout has no selectors */
		f->fds = 0;
	} else {
		f->fip = get32(img->b + FX_FIP);
		f->fcs = get16(img->b + FX_FCS);
		f->fdp = get32(img->b + FX_FDP);
		f->fds = get16(img->b + FX_FDS);
	}
	if (cpu->mmu->cr4 & CR4_OSFXSR) {
		cpu->mxcsr = mxcsr;
		memcpy(cpu->xmm, img->b + FX_XMM, 16 * nxmm);
	}
	return true;
}
