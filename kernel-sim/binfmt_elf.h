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
