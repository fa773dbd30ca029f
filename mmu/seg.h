/*
 * Segmentation (Intel SDM volume 3, chapter 3 "Protected-Mode Memory Management", 5.5-5.8
 * for privilege checks, and volume 2 MOV/POP Sreg, LLDT, LTR for the load rules).
 *
 * A selector:          15                       3   2   1 0
 *                      +------------------------+----+-----+
 *                      |          index         | TI | RPL |
 *                      +------------------------+----+-----+
 *
 * A segment descriptor (two dwords; system descriptors in long mode add two more):
 *
 *   31      24 23 22  21 20  19   16 15 14 13 12 11    8 7        0
 *  +----------+--+---+--+---+-------+--+-----+--+-------+----------+
 *  |base 31:24| G|D/B| L|AVL|lim19:16| P| DPL | S| type  |base 23:16|  high dword
 *  +----------+--+---+--+---+-------+--+-----+--+-------+----------+
 *  |          base 15:0             |         limit 15:0           |  low dword
 *  +--------------------------------+------------------------------+
 *
 * Each segment register holds a selector and, hidden, a cached copy of its descriptor
 * (struct seg_cache). Accesses check the cache, never the table: a descriptor changed in
 * memory takes effect at the next load of the register, as on hardware.
 */
#ifndef MMU_SEG_H
#define MMU_SEG_H

#include <stdbool.h>
#include <stdint.h>

struct mmu;
struct phys_bus;
struct x86_fault;

/* Segment registers, in the SDM's Sreg encoding order. */
enum seg_reg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NR };

#define SEL_RPL(sel) ((sel)&3u)
#define SEL_TI 4u /* table indicator: 1 = LDT */
#define SEL_INDEX(sel) ((sel) >> 3)

/* Descriptor type field (bits 11:8 of the high dword) for code/data (S=1). */
#define SEG_TYPE_A 1u	 /* accessed */
#define SEG_TYPE_W 2u	 /* data: writable */
#define SEG_TYPE_E 4u	 /* data: expand-down */
#define SEG_TYPE_R 2u	 /* code: readable */
#define SEG_TYPE_C 4u	 /* code: conforming */
#define SEG_TYPE_CODE 8u /* 1: code segment, 0: data segment */

/* System descriptor types (S=0). */
#define SEG_SYS_LDT 2u
#define SEG_SYS_TSS16_AVAIL 1u
#define SEG_SYS_TSS16_BUSY 3u
#define SEG_SYS_TSS_AVAIL 9u /* 32-bit TSS, or 64-bit TSS in long mode */
#define SEG_SYS_TSS_BUSY 11u
#define SEG_SYS_TASK_GATE 5u /* legacy mode only */

/* A decoded descriptor; also the hidden part of a segment register. */
struct seg_cache {
	uint16_t selector; /* visible part */
	uint64_t base;	   /* linear base (64 bits for system descriptors in long mode) */
	uint32_t limit;	   /* byte-granular limit: G already applied */
	uint8_t type;	   /* type field, 4 bits */
	uint8_t dpl;	   /* descriptor privilege level */
	bool s;		   /* 1: code or data, 0: system */
	bool p;		   /* present */
	bool avl;	   /* available to software */
	bool l;		   /* 64-bit code segment */
	bool db;	   /* D/B: default operand size / stack size / upper bound 32-bit */
	bool g;		   /* granularity: limit in 4K units */
	bool usable;	   /* false after loading a null selector */
};

/* A descriptor-table register. */
struct dtr {
	uint64_t base;	/* linear address */
	uint16_t limit; /* last valid byte offset */
};

struct seg_unit {
	struct seg_cache sreg[SEG_NR]; /* ES, CS, SS, DS, FS, GS */
	struct seg_cache ldtr;	       /* LDT register */
	struct seg_cache tr;	       /* task register */
	struct dtr gdtr;	       /* GDT register */
	struct dtr idtr;	       /* IDT register */
};

/* Decodes an 8-byte descriptor (hi: the next 8 bytes, used for system descriptors in long
 * mode; pass 0 otherwise). */
void seg_decode(uint64_t lo, uint64_t hi, bool long_sys, struct seg_cache *d);
/* Encodes a code/data descriptor (limit in units of G). */
uint64_t seg_encode(uint32_t base, uint32_t limit, uint8_t type, bool s, uint8_t dpl, bool p,
		    bool avl, bool l, bool db, bool g);

/* True in IA-32e mode with CS.L = 1 (64-bit mode). */
bool seg_in_64bit_mode(const struct mmu *m);
/* True in IA-32e mode with CS.L = 0 (compatibility mode). */
bool seg_in_compat_mode(const struct mmu *m);

/* Resets the unit to the power-on state (real mode, CS base 0xffff0000... simplified to
 * flat 64K real-mode segments at base 0). */
void seg_reset(struct mmu *m);

/*
 * MOV/POP to DS, ES, FS, GS or SS (reg) of sel in protected, compatibility or 64-bit mode,
 * or a real-mode load (base = sel * 16). Reads the descriptor through the MMU (an implicit
 * supervisor access), checks the rules of MOV Sreg, sets the descriptor's Accessed bit,
 * and loads the hidden cache. false with #GP(sel), #NP(sel), #SS(sel), #GP(0) or a #PF
 * from the table read otherwise; the register is unchanged then.
 */
bool seg_load(struct mmu *m, enum seg_reg reg, uint16_t sel, struct x86_fault *f);

/*
 * Loads CS for a far JMP/CALL to a code segment (no gates) at the current CPL: a
 * conforming segment needs DPL <= CPL, a non-conforming one RPL <= CPL and DPL == CPL;
 * in IA-32e mode L=1 with D=1 is refused. CPL does not change; CS.RPL becomes CPL.
 */
bool seg_load_cs_far(struct mmu *m, uint16_t sel, struct x86_fault *f);

/*
 * Loads CS and SS for a return (far RET/IRET) to privilege RPL(cs_sel) >= CPL, checking
 * the return rules, then sets the CPL. For the same privilege, ss_sel is ignored.
 */
bool seg_load_cs_ret(struct mmu *m, uint16_t cs_sel, uint16_t ss_sel, struct x86_fault *f);

/* LLDT: loads LDTR from the GDT (null selector: an unusable LDTR). */
bool seg_lldt(struct mmu *m, uint16_t sel, struct x86_fault *f);
/* LTR: loads TR from an available TSS descriptor in the GDT and marks it busy. */
bool seg_ltr(struct mmu *m, uint16_t sel, struct x86_fault *f);

/* Sets a segment register's cache directly (SYSCALL/SYSRET/SYSENTER and reset do this). */
void seg_set_cache(struct mmu *m, enum seg_reg reg, const struct seg_cache *c);
/* Writes the FS or GS base (WRFSBASE, the FS.base/GS.base MSRs, SWAPGS). */
void seg_set_base(struct mmu *m, enum seg_reg reg, uint64_t base);

/*
 * Effective address -> linear address for an access of size bytes at offset off through
 * segment reg, kind MMU_READ/MMU_WRITE/MMU_FETCH: null, type and limit checks outside
 * 64-bit mode (#GP(0), or #SS(0) for SS), base and canonical check in 64-bit mode.
 * off is already truncated to the address size by the caller.
 */
bool seg_linear(struct mmu *m, enum seg_reg reg, uint64_t off, unsigned size, unsigned kind,
		uint64_t *la, struct x86_fault *f);

/* Linux's GDT entries and selectors (arch/x86/include/asm/segment.h). */
#define GDT_ENTRY_KERNEL32_CS 1
#define GDT_ENTRY_KERNEL_CS 2
#define GDT_ENTRY_KERNEL_DS 3
#define GDT_ENTRY_DEFAULT_USER32_CS 4
#define GDT_ENTRY_DEFAULT_USER_DS 5
#define GDT_ENTRY_DEFAULT_USER_CS 6
#define GDT_ENTRY_TSS 8	 /* 16 bytes: entries 8 and 9 */
#define GDT_ENTRY_LDT 10 /* 16 bytes: entries 10 and 11 */
#define GDT_ENTRY_TLS_MIN 12
#define GDT_ENTRY_TLS_MAX 14
#define GDT_ENTRY_CPUNODE 15
#define GDT_ENTRIES 16
#define __KERNEL32_CS (GDT_ENTRY_KERNEL32_CS * 8)
#define __KERNEL_CS (GDT_ENTRY_KERNEL_CS * 8)
#define __KERNEL_DS (GDT_ENTRY_KERNEL_DS * 8)
#define __USER32_CS (GDT_ENTRY_DEFAULT_USER32_CS * 8 + 3)
#define __USER_DS (GDT_ENTRY_DEFAULT_USER_DS * 8 + 3)
#define __USER_CS (GDT_ENTRY_DEFAULT_USER_CS * 8 + 3)
#define __TSS_SEL (GDT_ENTRY_TSS * 8)

/* The i386 kernel's GDT (CONFIG_X86_32 layout of the same header). */
#define GDT32_ENTRY_TLS_MIN 6
#define GDT32_ENTRY_KERNEL_CS 12
#define GDT32_ENTRY_KERNEL_DS 13
#define GDT32_ENTRY_DEFAULT_USER_CS 14
#define GDT32_ENTRY_DEFAULT_USER_DS 15
#define GDT32_ENTRY_TSS 16
#define GDT32_ENTRY_LDT 17
#define GDT32_ENTRY_PERCPU 27
#define GDT32_ENTRIES 32

/*
 * Writes Linux's x86-64 GDT (GDT_ENTRIES descriptors) at guest physical address pa, with
 * the TSS descriptor pointing at tss_base/tss_limit; returns the GDTR limit, or -1 when
 * the table does not fit in RAM.
 */
int seg_write_linux_gdt64(struct phys_bus *bus, uint64_t pa, uint64_t tss_base, uint32_t tss_limit);
/* The same for the i386 layout (GDT32_ENTRIES descriptors, TSS at entry 16). */
int seg_write_linux_gdt32(struct phys_bus *bus, uint64_t pa, uint32_t tss_base, uint32_t tss_limit);

#endif /* MMU_SEG_H */
