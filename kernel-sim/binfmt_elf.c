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
