/*
 * ELF executables, as Linux's fs/binfmt_elf.c reads them: the header and program headers
 * of a static ELF64 (x86-64) or ELF32 (i386) executable, ET_EXEC or static-PIE (ET_DYN
 * without PT_INTERP), checked the way load_elf_binary checks them before it maps anything.
 * Parsing goes through libelf; mapping the segments into an mm is load_elf_binary's job.
 */
#ifndef KSIM_BINFMT_ELF_H
#define KSIM_BINFMT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elf.h>

#define ELF_MAX_LOAD 16

/* p_flags bits, as the ELF specification numbers them. */
#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

/* What PT_GNU_STACK asked for (Linux's EXSTACK_*). */
enum elf_exstack {
	EXSTACK_DEFAULT,   /* no PT_GNU_STACK: the architecture's default */
	EXSTACK_DISABLE_X, /* PT_GNU_STACK without PF_X */
	EXSTACK_ENABLE_X,  /* PT_GNU_STACK with PF_X */
};

struct elf_segment {
	uint64_t vaddr;  /* p_vaddr (before the load bias of a static-PIE) */
	uint64_t memsz;  /* bytes in memory; the tail past filesz is bss */
	uint64_t offset; /* p_offset in the file */
	uint64_t filesz; /* bytes from the file */
	uint64_t align;  /* p_align */
	uint32_t flags;  /* ELF_PF_* */
};

struct elf_image {
	int elf_class;          /* 32 or 64 */
	uint16_t machine;       /* EM_X86_64 or EM_386 */
	bool pie;               /* ET_DYN: placed at a load bias */
	uint64_t entry;         /* e_entry (before the load bias) */
	uint64_t phoff;         /* e_phoff */
	uint16_t phnum;         /* program headers */
	uint16_t phentsize;     /* bytes per program header */
	uint64_t phdr_vaddr;    /* where the program headers are in memory (AT_PHDR), 0: not mapped */
	int nr_load;            /* PT_LOAD segments, sorted by vaddr */
	struct elf_segment load[ELF_MAX_LOAD];
	bool has_tls;           /* PT_TLS present */
	struct elf_segment tls; /* the TLS template */
	enum elf_exstack exstack;
};

/* Parses and checks the executable in data[0..size). 0, or -ENOEXEC (not an executable we
 * run: not ELF, wrong class/machine/type, dynamic, malformed or lying headers) or -EINVAL,
 * with a one-line reason in err. Never reads outside data. */
int elf_parse(const void *data, size_t size, struct elf_image *img, char *err, size_t errlen);

/* The highest address of any segment (end of bss), for the start of brk. */
uint64_t elf_image_end(const struct elf_image *img);

#endif /* KSIM_BINFMT_ELF_H */

/* ---- the initial stack (create_elf_tables) ---- */

/* Auxiliary vector types: <elf.h> has them (AT_PHDR, AT_RANDOM, ...); newer ones here. */
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#define AT_RSEQ_ALIGN 28
#endif
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

#define EXEC_MAX_AUXV 32

struct exec_stack_args {
	bool abi32;                  /* 4-byte words (i386 programs) */
	uint64_t stack_top;          /* end of the stack VMA, 16-byte aligned */
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;
	const char *execfn;          /* the path execve was given (AT_EXECFN) */
	const char *platform;        /* AT_PLATFORM string, "x86_64" or "i686"; NULL: none */
	uint8_t random[16];          /* AT_RANDOM's bytes */
	int nr_auxv;                 /* entries below, AT_NULL excluded */
	uint64_t auxv[EXEC_MAX_AUXV][2]; /* type, value; AT_RANDOM, AT_EXECFN and AT_PLATFORM
					  * values are filled in with their stack addresses */
};

struct exec_stack {
	uint64_t sp;                 /* the stack pointer at the entry point: &argc */
	uint64_t base;               /* lowest address written */
	uint8_t *bytes;              /* host copy of [base, stack_top), malloc'd */
	uint64_t arg_start, arg_end; /* mm->arg_start..arg_end: the argv strings */
	uint64_t env_start, env_end; /* mm->env_start..env_end: the envp strings */
	uint64_t random;             /* address of AT_RANDOM's bytes */
};

/* Lays out the initial stack the way Linux's bprm setup and create_elf_tables do: strings
 * at the top (argv, envp, execfn, then a pointer-sized gap), AT_PLATFORM's string and the
 * 16 random bytes below them, then argc, argv[], NULL, envp[], NULL, auxv[], AT_NULL with
 * the stack pointer 16-byte aligned. The caller copies st->bytes into the stack VMA.
 * 0, or -E2BIG when the strings need more than 128 pages (Linux's limit is a quarter of the
 * stack rlimit; ours is fixed). */
int create_elf_tables(const struct exec_stack_args *a, struct exec_stack *st);
void exec_stack_free(struct exec_stack *st);

/* What the auxiliary vector tells the program (values; order is Linux's). */
struct elf_auxv_info {
	uint64_t phdr, phent, phnum;  /* the program headers in memory */
	uint64_t entry;               /* the program's entry point (after the load bias) */
	uint64_t base;                /* the interpreter's base, 0 for static programs */
	uint64_t hwcap, hwcap2;       /* CPUID-derived capability bits */
	uint64_t minsigstksz;         /* the signal frame size the CPU model needs */
	uint64_t vdso;                /* the vDSO's ELF header (AT_SYSINFO_EHDR); 0: none */
	uint64_t vsyscall;            /* i386: the vDSO's system call entry (AT_SYSINFO); 0: none */
	uint32_t uid, euid, gid, egid;
	bool secure;                  /* AT_SECURE */
};

/* Fills a->auxv with the entries Linux 6.x's create_elf_tables writes, in its order. */
void elf_fill_auxv(struct exec_stack_args *a, const struct elf_auxv_info *info);
