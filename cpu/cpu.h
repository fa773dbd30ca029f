/*
 * cpu/cpu.h - the x86 CPU model: architectural state and the interpreter's interface.
 *
 * A struct cpu is one logical processor. It owns the general registers, RIP, RFLAGS, the
 * x87/SSE state and the MSRs; the state that address translation depends on (CR0, CR3,
 * CR4, EFER, CPL, the segment registers and descriptor-table registers) lives in the
 * struct mmu it points to, so that there is exactly one copy of it.
 *
 * Execution: cpu_run() fetches, decodes (through the decoded-instruction cache) and
 * executes instructions until an exit condition. Every guest access goes through the MMU;
 * a fault is a value (struct x86_fault) that the loop delivers through the IDT after
 * restoring the state of the faulting instruction (precise exceptions).
 *
 * Kernel entry points: the simulated kernel's handlers are C functions registered at
 * kernel text addresses (cpu_register_kentry). When RIP reaches such an address at CPL 0,
 * the CPU calls the function instead of fetching; the function works on the frame the
 * hardware pushed (or on the SYSCALL registers) and returns how to leave the kernel:
 * IRET (the CPU executes IRETQ/IRETD with the current stack), SYSRET, or stop the run.
 */
#ifndef MMEMU_CPU_CPU_H
#define MMEMU_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/decode.h"
#include "mmu/mmu.h"

/* General registers in encoding order. */
enum cpu_gpr {
	RAX,
	RCX,
	RDX,
	RBX,
	RSP,
	RBP,
	RSI,
	RDI,
	R8,
	R9,
	R10,
	R11,
	R12,
	R13,
	R14,
	R15,
};

/* RFLAGS (SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF (1ULL << 0)
#define RFLAGS_FIXED1 (1ULL << 1) /* always 1 */
#define RFLAGS_PF (1ULL << 2)
#define RFLAGS_AF (1ULL << 4)
#define RFLAGS_ZF (1ULL << 6)
#define RFLAGS_SF (1ULL << 7)
#define RFLAGS_TF (1ULL << 8)
#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_DF (1ULL << 10)
#define RFLAGS_OF (1ULL << 11)
#define RFLAGS_IOPL (3ULL << 12)
#define RFLAGS_NT (1ULL << 14)
#define RFLAGS_RF (1ULL << 16)
#define RFLAGS_VM (1ULL << 17)
/* RFLAGS_AC is in mmu/paging.h: the MMU needs it for SMAP. */
#define RFLAGS_VIF (1ULL << 19)
#define RFLAGS_VIP (1ULL << 20)
#define RFLAGS_ID (1ULL << 21)
/* The six arithmetic status flags. */
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Exception vectors (SDM Vol. 3, 6.3.1); the MMU's are in mmu/mmu.h. */
#define X86_VEC_DE 0
#define X86_VEC_DB 1
#define X86_VEC_NMI 2
#define X86_VEC_BP 3
#define X86_VEC_OF 4
#define X86_VEC_BR 5
#define X86_VEC_NM 7
#define X86_VEC_DF 8
#define X86_VEC_MF 16
#define X86_VEC_MC 18
#define X86_VEC_XM 19

/* DR6 and DR7 (SDM Vol. 3, 18.2): the bits that read as 1, and DR6's single-step bit. */
#define DR6_RESERVED 0xffff0ff0ULL
#define DR6_BS (1ULL << 14)
#define DR7_RESERVED 0x400ULL

/* Model-specific registers the CPU implements (SDM Vol. 4). */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* One x87 data register in the 80-bit extended format. */
struct x87_reg {
	uint64_t mant; /* significand, explicit integer bit 63 */
	uint16_t sexp; /* sign (bit 15) and biased exponent (bits 14:0) */
};

/* The x87 FPU state (SDM Vol. 1, chapter 8). Physical registers, not stack order. */
struct x87_state {
	struct x87_reg st[8]; /* R0..R7; ST(i) is R[(TOP + i) & 7] */
	uint16_t fcw;	      /* control word; 0x037f after FNINIT */
	uint16_t fsw;	      /* status word, TOP in bits 13:11 */
	uint16_t ftw;	      /* full tag word: 2 bits per register, 11 = empty */
	uint16_t fop;	      /* last non-control opcode, 11 bits */
	uint64_t fip;	      /* last instruction pointer */
	uint64_t fdp;	      /* last data pointer */
	uint16_t fcs;	      /* last instruction's CS (legacy formats) */
	uint16_t fds;	      /* last data's DS (legacy formats) */
};

/* One 128-bit XMM register. */
union xmm_reg {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
};

/* What of the guest's FPU state the host FPU holds (struct cpu's fpu_held). */
#define FPU_HELD_X87 1	 /* the x87 registers, tags, FCW and FSW */
#define FPU_HELD_MXCSR 2 /* MXCSR (every exception masked), its flags accumulating */
#define FPU_HELD_X87_QUIET 4 /* with FPU_HELD_X87: the FCW masks every exception and none is
			      * pending (cpu/fpu.h: the FSW kept beside it may be stale) */

/* FIP and FOP of the last x87 instruction run by a handler specialised at decode time,
 * as it ran (cpu/exec_x87.c, note_fast); cpu->fpu gets them when the host gives the state
 * back (fpu_x87_give). */
struct x87_note {
	uint8_t insn[16];  /* bytes 8-23 of its struct x86_instr (len to base); len 0: none */
	uint64_t next_rip; /* the address after it */
};

/* Features the instruction families report to CPUID (cpu/cpuid.c reads them). A family's
 * registration function sets its bits: CPUID advertises only what is implemented. */
struct cpu_features {
	uint32_t leaf1_edx; /* CPUID.01H:EDX bits */
	uint32_t leaf1_ecx; /* CPUID.01H:ECX bits */
	uint32_t leaf7_ebx; /* CPUID.(07H,0):EBX bits */
	uint32_t ext1_edx;  /* CPUID.80000001H:EDX bits */
	uint32_t ext1_ecx;  /* CPUID.80000001H:ECX bits */
};

struct cpu;
struct x86_instr;

/*
 * An instruction handler: executes in (already decoded) on cpu. cpu->next_rip holds the
 * address of the next instruction; a control transfer changes it. Returns true when the
 * instruction completed, false with cpu->fault set when it faulted (the loop then
 * restores RIP and delivers the fault; the handler must not have changed architectural
 * state the restart would see twice, see docs/cpu.md "Precise exceptions").
 */
typedef bool (*cpu_exec_fn)(struct cpu *cpu, const struct x86_instr *in);

/* The dispatch table: a handler per (map, opcode, mandatory prefix column, ModRM.reg). */
#define CPU_OPS_MAPS 4
struct cpu_ops {
	cpu_exec_fn fn[CPU_OPS_MAPS][256][4][8];
	/* D8-DF's handlers, which use RFLAGS in place: fn[0][D8..DF] call them with the
	 * lazy flags materialised (cpu/exec.c). */
	cpu_exec_fn x87[8];
};

/* What a kernel entry function asks the CPU to do when it returns. */
enum kentry_ret {
	KENTRY_IRET,	 /* execute IRET (64-bit: IRETQ) with the current RSP */
	KENTRY_SYSRET,	 /* execute SYSRET to 64-bit mode (RCX, R11) */
	KENTRY_SYSRET32, /* execute SYSRET to compatibility mode */
	KENTRY_STOP,	 /* stop cpu_run with CPU_EXIT_STOP; RIP stays at the entry */
	KENTRY_CONTINUE, /* the function set RIP/CS itself: continue there */
};

typedef enum kentry_ret (*cpu_kentry_fn)(struct cpu *cpu, void *opaque);

#define CPU_MAX_KENTRIES 512

struct cpu_kentry {
	uint64_t addr;	  /* kernel text address (linear) */
	cpu_kentry_fn fn; /* called at CPL 0 when RIP == addr */
	void *opaque;	  /* passed back */
	const char *name; /* for logs */
};

/* Why cpu_run returned. */
enum cpu_exit {
	CPU_EXIT_LIMIT,	   /* the instruction budget is spent */
	CPU_EXIT_HLT,	   /* HLT executed (RIP after it) */
	CPU_EXIT_STOP,	   /* a kernel entry asked to stop, or cpu_request_stop */
	CPU_EXIT_FAULT,	   /* stop_on_fault: cpu->fault holds the fault, state precise */
	CPU_EXIT_SHUTDOWN, /* triple fault: the machine shuts down */
};

struct icache;
struct disas;

struct cpu {
	uint64_t gpr[16];	/* RAX..R15 */
	uint64_t rip;		/* address of the next instruction to execute (while a
				 * block runs, handlers use insn_rip: cpu/cpu_internal.h) */
	uint64_t rflags;	/* RFLAGS; bit 1 always set; AC mirrored in mmu->ac; status
				 * bits stale while lf_op != 0: read it with cpu_rflags() */
	uint32_t lf_op;		/* lazy flags (cpu/flags.h): kind << 4 | size, or 0 */
	uint64_t lf_a, lf_b, lf_r; /* their operands and result */
	uint64_t lf_cfof;	   /* CF and OF of a later rotate (LF_CFOF) */
	struct mmu *mmu;	/* translation, control registers, segments (not owned) */
	const uint8_t *ram;	/* mmu->bus->ram: turns a fast-path host pointer into physical */
	uint8_t mode;		/* enum x86_mode of the code segment: 16, 32 or 64 */
	uint64_t next_rip;	/* during execution: the fall-through address */
	struct x86_fault fault; /* the fault an instruction handler reported */

	uint64_t cr2;  /* page-fault linear address */
	uint64_t cr8;  /* task priority */
	uint64_t xcr0; /* XCR0 (x87 | SSE) */
	uint64_t dr[4]; /* DR0-DR3: breakpoint addresses (stored; breakpoints are not armed) */
	uint64_t dr6;	/* DR6: debug status (BS set by a single-step trap) */
	uint64_t dr7;	/* DR7: debug control (stored) */

	/* MSRs. */
	uint64_t star;		 /* SYSCALL/SYSRET selectors (63:48 ret, 47:32 call), EIP */
	uint64_t lstar;		 /* SYSCALL target in 64-bit mode */
	uint64_t cstar;		 /* SYSCALL target from compatibility mode */
	uint64_t sfmask;	 /* RFLAGS bits SYSCALL clears */
	uint64_t kernel_gs_base; /* swapped with GS.base by SWAPGS */
	uint64_t sysenter_cs;	 /* IA32_SYSENTER_CS */
	uint64_t sysenter_esp;	 /* IA32_SYSENTER_ESP */
	uint64_t sysenter_eip;	 /* IA32_SYSENTER_EIP */
	uint64_t pat;		 /* IA32_PAT */
	uint64_t tsc_aux;	 /* IA32_TSC_AUX (RDTSCP's ECX) */
	int64_t tsc_offset;	 /* TSC = icount + tsc_offset (a write to IA32_TSC moves it) */

	/* x87 / SSE (executed by cpu/exec_x87.c and cpu/exec_sse.c). While the host FPU holds
	 * the guest's state (fpu_held, cpu/fpu_owner.c), the x87 registers and tags and the
	 * MXCSR flags here are stale: cpu_fpu_sync brings them back. */
	struct x87_state fpu;  /* x87 registers */
	union xmm_reg xmm[16]; /* XMM0..XMM15 */
	uint32_t mxcsr;	       /* SSE control/status; 0x1f80 at reset */
	uint8_t fpu_held;      /* FPU_HELD_X87 | FPU_HELD_MXCSR: loaded in the host FPU */
	uint16_t host_fcw;     /* the host's x87 control word, while FPU_HELD_X87 */
	uint32_t host_mxcsr;   /* the host's MXCSR, while FPU_HELD_MXCSR */
	struct x87_note x87_note; /* while FPU_HELD_X87: FIP/FOP not yet in fpu */

	/* Virtual time and statistics. */
	uint64_t icount;    /* instructions retired: the machine's virtual clock (written
			     * back when the fetch loop leaves a block: nothing a block runs
			     * reads it; RDTSC and RDMSR are blocks of their own) */
	uint64_t nr_faults; /* exceptions delivered */

	/* Behaviour. */
	bool stop_on_fault;    /* return CPU_EXIT_FAULT instead of delivering through the IDT */
	union {
		struct {
			uint8_t exit_request; /* nonzero: leave cpu_run after this instruction
					       * with exit_request - 1 (HLT, cpu_request_stop,
					       * shutdown) */
			bool code_written;    /* see code_pages below */
			bool rip_redirect;    /* the instruction that just ran set next_rip
					       * elsewhere than after itself without ending its
					       * block (a REP instruction cut into chunks) */
			bool side_exit;	      /* a conditional branch inside a block (one the
					       * block grew past: cpu/exec.c) was taken */
		};
		uint32_t loop_break; /* any: the fetch loop looks at all with one test */
	};
	bool halted;	       /* HLT executed; cleared by the next cpu_run */
	bool shutdown;	       /* triple fault: the processor stopped (cpu_run returns SHUTDOWN) */
	bool interrupt_shadow; /* STI/MOV SS: no interrupt before the next instruction */
	FILE *msg_out;	       /* machine messages (the shutdown notice): stderr, NULL: silent */
	FILE *log_in_asm;      /* -d in_asm: each instruction at its first decoding, or NULL */
	uint64_t log_next;     /* linear address after the last logged instruction */
	struct disas *disas;   /* Capstone handles (cpu/disas.c), opened on first use */

	/* Stores into code (cpu/exec.c, run_block): a store of this CPU into a page that
	 * holds decoded blocks (a bit in code_pages, the cache's bitmap over guest RAM, of
	 * code_nr_pages pages) sets code_written and advances code_epoch. A block whose
	 * bytes were compared with memory at the current code_epoch is entered without
	 * comparing them again; the epoch also advances every time the fetch loop is
	 * entered, since the kernel and the bus write guest memory between its runs. */
	const uint8_t *code_pages;
	uint64_t code_nr_pages;
	uint64_t code_epoch;
	/* Blocks' host code going on from block to block (cpu/jit.h) keeps the fetch loop's
	 * state here: the instruction count at the start of the block it is in, the count
	 * up to which fetch hits were counted and the fast entry they go to (the loop's
	 * ic0, counted and cfe: cpu/exec.c); the block it went to (NULL: it stayed in its
	 * first; the loop sets it back) and that block's RIP. */
	uint64_t jit_ic0;
	uint64_t jit_counted;
	struct tlb_fast_entry *jit_cfe;
	struct icache_block *jit_blk;
	uint64_t jit_brip;

	/* Decoding and dispatch. */
	struct cpu_ops *ops;	      /* handler table (built by cpu_init) */
	struct cpu_features features; /* what CPUID advertises */
	struct icache *icache;	      /* decoded-instruction cache */

	/* Kernel entry points. */
	struct cpu_kentry kentry[CPU_MAX_KENTRIES]; /* registered, sorted by addr */
	int nr_kentries;			    /* used entries */
	uint64_t kentry_lo;			    /* lowest registered address (quick reject) */
	uint64_t kentry_hi;			    /* highest registered address */
};

/*
 * Sets up cpu over mmu (which the caller owns and keeps alive) in the reset state:
 * real mode at RIP 0 with the reset values of RFLAGS, MXCSR and the x87 control word.
 * 0 or -ENOMEM.
 */
int cpu_init(struct cpu *cpu, struct mmu *mmu);
void cpu_destroy(struct cpu *cpu);

/*
 * Puts the CPU in 64-bit mode at privilege cpl with flat Linux segments (CS = __USER_CS or
 * __KERNEL_CS, data segments __USER_DS/__KERNEL_DS), as the kernel does before entering a
 * program. Paging (CR0/CR3/CR4/EFER) must already be set through the mmu. The GDTR/IDTR/TR
 * are left to the caller.
 */
void cpu_enter_long_mode_flat(struct cpu *cpu, unsigned cpl);
/* The same for compatibility mode (CS = __USER32_CS, 32-bit flat data) at CPL 3. */
void cpu_enter_compat_mode_flat(struct cpu *cpu);
/* 32-bit protected mode with flat 4 GiB segments at cpl (paging as the mmu has it). */
void cpu_enter_protected_mode_flat(struct cpu *cpu, unsigned cpl);

/* Recomputes cpu->mode from CS and EFER.LMA (after any CS or EFER change). */
void cpu_update_mode(struct cpu *cpu);

/* Runs at most max_insns instructions (0: no limit). Returns why it stopped. */
enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max_insns);
/* Executes one instruction (or delivers one pending exception). */
enum cpu_exit cpu_step(struct cpu *cpu);
/*
 * Brings the guest's x87 state and MXCSR back from the host FPU into cpu->fpu and
 * cpu->mxcsr and gives the host its own FPU state again (a no-op when the host holds
 * nothing). cpu_run and cpu_step return synced, and a kernel entry runs synced; anyone else
 * who reads or writes the FPU state while guest code runs calls it first.
 */
void cpu_fpu_sync(struct cpu *cpu);
/* Makes cpu_run return CPU_EXIT_STOP after the current instruction. */
void cpu_request_stop(struct cpu *cpu);

/* Registers fn at kernel text address addr. 0, -ENOSPC or -EEXIST. */
int cpu_register_kentry(struct cpu *cpu, uint64_t addr, cpu_kentry_fn fn, void *opaque,
			const char *name);

/*
 * Delivers exception or interrupt vec through the IDT as the hardware does: IDT gate,
 * privilege change with the TSS stack (IST in long mode), frame and error code. rip is the
 * return address pushed. soft: INT n/INT3/INTO (gate DPL checked against CPL). Returns
 * false when delivery itself faulted and escalated to shutdown.
 */
bool cpu_deliver(struct cpu *cpu, uint8_t vec, bool has_error, uint32_t error, uint64_t rip,
		 bool soft);

/* IRET as the CPU executes it (for kernel entries returning with KENTRY_IRET): operand
 * size 8 in long mode, 4 otherwise. false with cpu->fault on a fault. */
bool cpu_iret(struct cpu *cpu, unsigned opsize);
/* SYSRET to 64-bit (to64) or compatibility mode; false with cpu->fault (#GP). */
bool cpu_sysret(struct cpu *cpu, bool to64);

/* RFLAGS writes that keep the MMU's copy of AC in step. */
void cpu_set_rflags(struct cpu *cpu, uint64_t rflags);
/* The architectural RFLAGS (cpu/flags.h: the status flags may be kept lazily). */
uint64_t cpu_rflags(const struct cpu *cpu);

/* Reads/writes an MSR; false with #GP(0) in cpu->fault for an unknown MSR or bad value. */
bool cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
bool cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

/* CPUID leaf/subleaf as this model answers (cpu/cpuid.c). */
void cpu_cpuid(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* The time-stamp counter: virtual time. */
static inline uint64_t cpu_tsc(const struct cpu *cpu)
{
	return cpu->icount + (uint64_t)cpu->tsc_offset;
}

/* Drops cached decodings of instructions in guest physical [pa, pa+len). Never needed for
 * correctness (a cached decoding is used only while its bytes are unchanged, whoever
 * writes them); it frees the entries early. A page without cached code costs one bit
 * test. */
void cpu_icache_invalidate_phys(struct cpu *cpu, uint64_t pa, uint64_t len);
/* Drops every cached decoding. */
void cpu_icache_flush(struct cpu *cpu);

/* Gives the fetch loop host code for its blocks (cpu/jit.h; on: the default where the
 * host supports it) or takes it away. Returns whether blocks now get host code: false
 * when asked to stop, or when the host cannot run generated code. Runs behave the same
 * either way; only their speed differs. */
bool cpu_set_jit(struct cpu *cpu, bool on);

/* Starts (out != NULL) or stops the -d in_asm log: each newly reached block of guest code
 * is disassembled through Capstone, one "0x<addr>:  <mnemonic> <operands>" line per
 * instruction, QEMU's format. */
void cpu_set_log_in_asm(struct cpu *cpu, FILE *out);
/* Disassembles one instruction at linear la (for logs and debuggers) into buf. Returns its
 * length, or 0 when the bytes cannot be read or decoded. */
int cpu_disas_one(struct cpu *cpu, uint64_t la, char *buf, size_t len);

/* Dumps the registers in QEMU's -d cpu style. */
void cpu_dump(const struct cpu *cpu, FILE *out);

#endif /* MMEMU_CPU_CPU_H */
