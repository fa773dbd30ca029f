/*
 * Architectural names of x86 paging: the bits of paging-structure entries, of the #PF error
 * code, and of the control registers that steer translation (Intel SDM volume 3, chapter 4
 * "Paging", and chapter 2 "System Architecture Overview").
 *
 * A 64-bit paging-structure entry (PAE, 4-level and 5-level paging):
 *
 *   63  62:59  58:52   51:M   M-1:12     11:9  8  7   6  5  4   3   2   1   0
 *  +--+------+-------+------+----------+-----+--+--+--+--+---+---+---+---+---+
 *  |XD| PKEY |ignored| rsvd | address  | ign | G|PS| D| A|PCD|PWT|U/S|R/W| P |
 *  +--+------+-------+------+----------+-----+--+--+--+--+---+---+---+---+---+
 *
 * In a large-page leaf (PS=1) bit 12 is PAT and the address field starts at the page size.
 * A 32-bit paging entry has the same low 12 bits, the address in bits 31:12 and no XD.
 */
#ifndef MMU_PAGING_H
#define MMU_PAGING_H

#include <stdint.h>

/* Paging-structure entry bits. */
#define PTE_P (1ULL << 0)	   /* present */
#define PTE_RW (1ULL << 1)	   /* writable */
#define PTE_US (1ULL << 2)	   /* user-mode accessible */
#define PTE_PWT (1ULL << 3)	   /* page-level write-through */
#define PTE_PCD (1ULL << 4)	   /* page-level cache disable */
#define PTE_A (1ULL << 5)	   /* accessed */
#define PTE_D (1ULL << 6)	   /* dirty (leaf only) */
#define PTE_PS (1ULL << 7)	   /* page size: this entry maps a large page */
#define PTE_G (1ULL << 8)	   /* global (leaf only, with CR4.PGE) */
#define PTE_PAT_LARGE (1ULL << 12) /* PAT bit of a large-page leaf */
#define PTE_NX (1ULL << 63)	   /* execute-disable (XD), with EFER.NXE */

/* #PF error code bits (SDM 4.7). */
#define PF_ERR_P (1u << 0)    /* 0: not-present page; 1: protection violation */
#define PF_ERR_W (1u << 1)    /* the access was a write */
#define PF_ERR_U (1u << 2)    /* the access was a user-mode access */
#define PF_ERR_RSVD (1u << 3) /* a reserved bit was set in a paging-structure entry */
#define PF_ERR_I (1u << 4)    /* the access was an instruction fetch */

/* CR0. */
#define CR0_PE (1ULL << 0)  /* protection enable */
#define CR0_WP (1ULL << 16) /* write protect: supervisor writes honour R/W */
#define CR0_AM (1ULL << 18) /* alignment mask: with RFLAGS.AC, #AC at CPL 3 */
#define CR0_PG (1ULL << 31) /* paging */

/* CR3 (the PWT/PCD bits when CR4.PCIDE=0, the PCID when CR4.PCIDE=1). */
#define CR3_PCID_MASK 0xfffULL
#define CR3_NOFLUSH (1ULL << 63) /* MOV to CR3 source bit: keep the PCID's TLB entries */

/* CR4. */
#define CR4_DE (1ULL << 3)     /* debugging extensions: DR4/DR5 are #UD */
#define CR4_PSE (1ULL << 4)    /* 4-MByte pages in 32-bit paging */
#define CR4_PAE (1ULL << 5)    /* physical address extension */
#define CR4_PGE (1ULL << 7)    /* global pages */
#define CR4_LA57 (1ULL << 12)  /* 57-bit linear addresses: 5-level paging */
#define CR4_PCIDE (1ULL << 17) /* process-context identifiers */
#define CR4_SMEP (1ULL << 20)  /* supervisor-mode execution prevention */
#define CR4_SMAP (1ULL << 21)  /* supervisor-mode access prevention */

/* IA32_EFER. */
#define EFER_SCE (1ULL << 0)  /* SYSCALL enable */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active (set by the processor) */
#define EFER_NXE (1ULL << 11) /* execute-disable bit enable */

/* RFLAGS.AC: with CR4.SMAP, lets explicit supervisor accesses reach user pages. */
#define RFLAGS_AC (1ULL << 18)

#define PAGE_SHIFT_4K 12
#define PAGE_SHIFT_2M 21
#define PAGE_SHIFT_4M 22
#define PAGE_SHIFT_1G 30

#endif /* MMU_PAGING_H */
