/*
 * Reading ELF executables (the checking half of Linux's load_elf_binary): libelf parses the
 * headers; every field that later decides where memory goes is checked against the file's
 * real size and against the user address space, so a truncated or lying file is refused
 * here, before any mapping exists.
 */
#include "kernel-sim/binfmt_elf.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define ELF_PAGE_SIZE 4096ULL
/* The user address space the segments must fit in (TASK_SIZE). */
#define TASK_SIZE_64 0x00007ffffffff000ULL
#define TASK_SIZE_32 0xffffe000ULL

static int refuse(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static int check_header(Elf *elf, const GElf_Ehdr *eh, struct elf_image *img, char *err,
			size_t errlen)
{
	int cls = gelf_getclass(elf);
	img->elf_class = cls == ELFCLASS64 ? 64 : cls == ELFCLASS32 ? 32 : 0;
	if (!img->elf_class)
		return refuse(err, errlen, -ENOEXEC, "unknown ELF class");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return refuse(err, errlen, -ENOEXEC, "not a little-endian ELF file");
	img->machine = eh->e_machine;
	if ((img->elf_class == 64 && eh->e_machine != EM_X86_64) ||
	    (img->elf_class == 32 && eh->e_machine != EM_386))
		return refuse(err, errlen, -ENOEXEC,
			      "wrong architecture: ELF%d for machine %u (x86-64 or i386 only)",
			      img->elf_class, eh->e_machine);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return refuse(err, errlen, -ENOEXEC, "not an executable (ELF type %u)", eh->e_type);
	img->pie = eh->e_type == ET_DYN;
	img->entry = eh->e_entry;
	img->phoff = eh->e_phoff;
	img->phentsize = eh->e_phentsize;
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0 || phnum > 65536 / 32)
		return refuse(err, errlen, -ENOEXEC, "bad program header count");
	img->phnum = (uint16_t)phnum;
	size_t want = img->elf_class == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (eh->e_phentsize != want)
		return refuse(err, errlen, -ENOEXEC, "bad program header size %u", eh->e_phentsize);
	return 0;
}

static struct elf_segment segment_of(const GElf_Phdr *ph)
{
	return (struct elf_segment){ph->p_vaddr, ph->p_memsz, ph->p_offset, ph->p_filesz,
				    ph->p_align, ph->p_flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X)};
}

/* A PT_LOAD must come from inside the file, fit the address space, and have its file
 * offset and address agree modulo the page size (so it can be mapped page by page). */
static int check_load(const struct elf_image *img, const GElf_Phdr *ph, size_t size,
		      char *err, size_t errlen)
{
	uint64_t task = img->elf_class == 64 ? TASK_SIZE_64 : TASK_SIZE_32;
	if (ph->p_filesz > ph->p_memsz)
		return refuse(err, errlen, -ENOEXEC, "segment at %#llx: file size above memory size",
			      (unsigned long long)ph->p_vaddr);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return refuse(err, errlen, -ENOEXEC, "segment at %#llx lies past the end of the file",
			      (unsigned long long)ph->p_vaddr);
	if (ph->p_vaddr >= task || ph->p_memsz > task - ph->p_vaddr)
		return refuse(err, errlen, -EINVAL, "segment at %#llx outside user space",
			      (unsigned long long)ph->p_vaddr);
	if ((ph->p_vaddr - ph->p_offset) % ELF_PAGE_SIZE)
		return refuse(err, errlen, -EINVAL, "segment at %#llx: address and offset disagree",
			      (unsigned long long)ph->p_vaddr);
	return 0;
}

static int add_load(struct elf_image *img, const GElf_Phdr *ph, char *err, size_t errlen)
{
	if (img->nr_load == ELF_MAX_LOAD)
		return refuse(err, errlen, -ENOEXEC, "more than %d loadable segments", ELF_MAX_LOAD);
	struct elf_segment seg = segment_of(ph);
	if (img->nr_load) {
		const struct elf_segment *prev = &img->load[img->nr_load - 1];
		/* Linux requires ascending segments; overlapping ones would map over each other. */
		if (seg.vaddr < prev->vaddr + prev->memsz)
			return refuse(err, errlen, -ENOEXEC, "loadable segments overlap or are unsorted");
	}
	img->load[img->nr_load++] = seg;
	return 0;
}

/* AT_PHDR: PT_PHDR's address, else where the first segment maps the file's phoff. */
static void find_phdr_vaddr(struct elf_image *img, uint64_t pt_phdr)
{
	img->phdr_vaddr = pt_phdr;
	for (int i = 0; i < img->nr_load && !img->phdr_vaddr; i++) {
		const struct elf_segment *s = &img->load[i];
		if (img->phoff >= s->offset && img->phoff < s->offset + s->filesz)
			img->phdr_vaddr = s->vaddr + (img->phoff - s->offset);
	}
}

static int scan_phdrs(Elf *elf, size_t size, struct elf_image *img, char *err, size_t errlen)
{
	uint64_t pt_phdr = 0;
	for (unsigned i = 0; i < img->phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return refuse(err, errlen, -ENOEXEC, "program headers lie past the end of the file");
		int r = 0;
		switch (ph.p_type) {
		case PT_LOAD:
			r = check_load(img, &ph, size, err, errlen);
			if (!r)
				r = add_load(img, &ph, err, errlen);
			break;
		case PT_INTERP:
			return refuse(err, errlen, -ENOEXEC,
				      "dynamically linked executables are not supported yet (PT_INTERP)");
		case PT_TLS:
			img->has_tls = true;
			img->tls = segment_of(&ph);
			break;
		case PT_GNU_STACK:
			img->exstack = (ph.p_flags & ELF_PF_X) ? EXSTACK_ENABLE_X : EXSTACK_DISABLE_X;
			break;
		case PT_PHDR:
			pt_phdr = ph.p_vaddr;
			break;
		}
		if (r)
			return r;
	}
	if (!img->nr_load)
		return refuse(err, errlen, -ENOEXEC, "no loadable segment");
	find_phdr_vaddr(img, pt_phdr);
	return 0;
}

int elf_parse(const void *data, size_t size, struct elf_image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG))
		return refuse(err, errlen, -ENOEXEC, "not an ELF executable");
	/* Said before libelf, whose message for a short file names no cause. */
	uint8_t cls = ((const uint8_t *)data)[EI_CLASS];
	size_t ehsize = cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (size < ehsize)
		return refuse(err, errlen, -ENOEXEC, "truncated ELF header (%zu bytes)", size);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return refuse(err, errlen, -ENOEXEC, "libelf: %s", elf_errmsg(-1));
	/* libelf wants a writable image pointer but never writes to it in read mode. */
	Elf *elf = elf_memory((char *)data, size);
	if (!elf)
		return refuse(err, errlen, -ENOEXEC, "libelf: %s", elf_errmsg(-1));
	GElf_Ehdr eh;
	int r;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		r = refuse(err, errlen, -ENOEXEC, "malformed ELF header");
	else if (!(r = check_header(elf, &eh, img, err, errlen)))
		r = scan_phdrs(elf, size, img, err, errlen);
	elf_end(elf);
	return r;
}

uint64_t elf_image_end(const struct elf_image *img)
{
	uint64_t end = 0;
	for (int i = 0; i < img->nr_load; i++)
		if (img->load[i].vaddr + img->load[i].memsz > end)
			end = img->load[i].vaddr + img->load[i].memsz;
	return end;
}

/* ---- the initial stack ---------------------------------------------------------------- */

#define EXEC_STRINGS_MAX (128 * ELF_PAGE_SIZE)
/* Room below the strings for the platform string, the random bytes and the pointer arrays. */
#define EXEC_TABLES_MAX (8 * ELF_PAGE_SIZE)

struct stack_writer {
	const struct exec_stack_args *a;
	struct exec_stack *st;
	uint64_t p;                  /* current lowest address, moving down */
};

static void *at(struct stack_writer *w, uint64_t addr)
{
	return w->st->bytes + (addr - w->st->base);
}

/* Copies a NUL-terminated string just below p (copy_strings). */
static void push_string(struct stack_writer *w, const char *s)
{
	size_t len = strlen(s) + 1;
	w->p -= len;
	memcpy(at(w, w->p), s, len);
}

static void put_word(struct stack_writer *w, uint64_t addr, uint64_t v)
{
	if (w->a->abi32) {
		uint32_t v32 = (uint32_t)v;
		memcpy(at(w, addr), &v32, 4);
	} else {
		memcpy(at(w, addr), &v, 8);
	}
}

static size_t strings_size(const struct exec_stack_args *a)
{
	size_t n = strlen(a->execfn) + 1;
	for (int i = 0; i < a->argc; i++)
		n += strlen(a->argv[i]) + 1;
	for (int i = 0; i < a->envc; i++)
		n += strlen(a->envp[i]) + 1;
	return n;
}

/* The strings, as bprm setup leaves them: execfn highest, then envp, then argv, each list
 * in order from low to high addresses. Returns the address of execfn. */
static uint64_t push_strings(struct stack_writer *w, uint64_t *argv_at, uint64_t *envp_at)
{
	const struct exec_stack_args *a = w->a;
	w->p = a->stack_top - 8; /* Linux leaves sizeof(void *) of the kernel, 8, free at the top */
	push_string(w, a->execfn);
	uint64_t execfn = w->p;
	w->st->env_end = w->p;
	for (int i = a->envc - 1; i >= 0; i--) {
		push_string(w, a->envp[i]);
		envp_at[i] = w->p;
	}
	w->st->env_start = w->st->arg_end = w->p;
	for (int i = a->argc - 1; i >= 0; i--) {
		push_string(w, a->argv[i]);
		argv_at[i] = w->p;
	}
	w->st->arg_start = w->p;
	return execfn;
}

/* argc, argv[], NULL, envp[], NULL and the auxv pairs from sp upwards. */
static void write_tables(struct stack_writer *w, uint64_t sp, const uint64_t *argv_at,
			 const uint64_t *envp_at, const uint64_t auxv[][2], int nr_auxv)
{
	const struct exec_stack_args *a = w->a;
	uint64_t word = a->abi32 ? 4 : 8, q = sp;
	put_word(w, q, (uint64_t)a->argc), q += word;
	for (int i = 0; i < a->argc; i++)
		put_word(w, q, argv_at[i]), q += word;
	put_word(w, q, 0), q += word;
	for (int i = 0; i < a->envc; i++)
		put_word(w, q, envp_at[i]), q += word;
	put_word(w, q, 0), q += word;
	for (int i = 0; i < nr_auxv; i++) {
		put_word(w, q, auxv[i][0]), q += word;
		put_word(w, q, auxv[i][1]), q += word;
	}
	put_word(w, q, AT_NULL), q += word;
	put_word(w, q, 0);
}

int create_elf_tables(const struct exec_stack_args *a, struct exec_stack *st)
{
	memset(st, 0, sizeof(*st));
	if (a->argc < 0 || a->envc < 0 || a->nr_auxv > EXEC_MAX_AUXV ||
	    strings_size(a) > EXEC_STRINGS_MAX ||
	    (uint64_t)(a->argc + a->envc) * 8 > EXEC_TABLES_MAX / 2)
		return -E2BIG;
	st->base = a->stack_top - EXEC_STRINGS_MAX - EXEC_TABLES_MAX;
	st->bytes = calloc(1, EXEC_STRINGS_MAX + EXEC_TABLES_MAX);
	if (!st->bytes)
		return -ENOMEM;
	struct stack_writer w = {a, st, 0};
	uint64_t *argv_at = calloc((size_t)a->argc + 1, sizeof(uint64_t));
	uint64_t *envp_at = calloc((size_t)a->envc + 1, sizeof(uint64_t));
	uint64_t execfn = push_strings(&w, argv_at, envp_at);
	w.p &= ~15ULL; /* arch_align_stack, without randomisation */
	uint64_t platform = 0;
	if (a->platform) {
		push_string(&w, a->platform);
		platform = w.p;
	}
	w.p -= 16;
	memcpy(at(&w, w.p), a->random, 16);
	st->random = w.p;
	uint64_t auxv[EXEC_MAX_AUXV][2];
	for (int i = 0; i < a->nr_auxv; i++) {
		auxv[i][0] = a->auxv[i][0];
		auxv[i][1] = a->auxv[i][0] == AT_RANDOM ? st->random
			     : a->auxv[i][0] == AT_EXECFN ? execfn
			     : a->auxv[i][0] == AT_PLATFORM ? platform
							    : a->auxv[i][1];
	}
	/* Linux: sp = p - (auxv words incl. AT_NULL); sp -= argc + envc + 3 words; round to 16. */
	uint64_t word = a->abi32 ? 4 : 8;
	uint64_t sp = w.p - word * 2 * ((uint64_t)a->nr_auxv + 1);
	sp = (sp - word * ((uint64_t)a->argc + a->envc + 3)) & ~15ULL;
	write_tables(&w, sp, argv_at, envp_at, (const uint64_t(*)[2])auxv, a->nr_auxv);
	st->sp = sp;
	free(argv_at);
	free(envp_at);
	return 0;
}

void exec_stack_free(struct exec_stack *st)
{
	free(st->bytes);
	st->bytes = NULL;
}

static void aux(struct exec_stack_args *a, uint64_t type, uint64_t value)
{
	a->auxv[a->nr_auxv][0] = type;
	a->auxv[a->nr_auxv][1] = value;
	a->nr_auxv++;
}

void elf_fill_auxv(struct exec_stack_args *a, const struct elf_auxv_info *in)
{
	a->nr_auxv = 0;
	if (a->abi32 && in->vsyscall)
		aux(a, AT_SYSINFO, in->vsyscall);
	if (in->vdso)
		aux(a, AT_SYSINFO_EHDR, in->vdso);
	aux(a, AT_MINSIGSTKSZ, in->minsigstksz);
	aux(a, AT_HWCAP, in->hwcap);
	aux(a, AT_PAGESZ, ELF_PAGE_SIZE);
	aux(a, AT_CLKTCK, 100);
	aux(a, AT_PHDR, in->phdr);
	aux(a, AT_PHENT, in->phent);
	aux(a, AT_PHNUM, in->phnum);
	aux(a, AT_BASE, in->base);
	aux(a, AT_FLAGS, 0);
	aux(a, AT_ENTRY, in->entry);
	aux(a, AT_UID, in->uid);
	aux(a, AT_EUID, in->euid);
	aux(a, AT_GID, in->gid);
	aux(a, AT_EGID, in->egid);
	aux(a, AT_SECURE, in->secure);
	aux(a, AT_RANDOM, 0);
	aux(a, AT_HWCAP2, in->hwcap2);
	aux(a, AT_EXECFN, 0);
	if (a->platform)
		aux(a, AT_PLATFORM, 0);
	aux(a, AT_RSEQ_FEATURE_SIZE, 28); /* offsetof(struct rseq, end) */
	aux(a, AT_RSEQ_ALIGN, 32);
}
