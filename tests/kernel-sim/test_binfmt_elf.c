/* ELF parsing: real static executables read right, every kind of lying file refused. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel-sim/binfmt_elf.h"

struct blob {
	uint8_t *data;
	size_t size;
};

static struct blob read_guest(const char *name)
{
	char path[1024];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(path, sizeof(path), "%s/guests/%s", build ? build : "build", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (built by the guests target)", path);
	fseek(f, 0, SEEK_END);
	struct blob b = {NULL, (size_t)ftell(f)};
	fseek(f, 0, SEEK_SET);
	b.data = malloc(b.size);
	assert_int_equal(fread(b.data, 1, b.size, f), b.size);
	fclose(f);
	return b;
}

/* An independent reading of an ELF64 file with <elf.h>'s structs, no libelf. */
static void check_against_raw64(const struct blob *b, const struct elf_image *img)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
	assert_int_equal(img->entry, eh->e_entry);
	assert_int_equal(img->phnum, eh->e_phnum);
	int n = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(b->data + eh->e_phoff) + i;
		if (ph->p_type != PT_LOAD)
			continue;
		assert_int_equal(img->load[n].vaddr, ph->p_vaddr);
		assert_int_equal(img->load[n].memsz, ph->p_memsz);
		assert_int_equal(img->load[n].offset, ph->p_offset);
		assert_int_equal(img->load[n].filesz, ph->p_filesz);
		assert_int_equal(img->load[n].flags, ph->p_flags & 7);
		n++;
	}
	assert_int_equal(img->nr_load, n);
}

static void test_elf_parse_static_glibc_x86_64(void **state)
{
	struct blob b = read_guest("hello");
	struct elf_image img;
	char err[256];
	assert_int_equal(elf_parse(b.data, b.size, &img, err, sizeof(err)), 0);
	assert_int_equal(img.elf_class, 64);
	assert_int_equal(img.machine, EM_X86_64);
	assert_false(img.pie);
	assert_true(img.has_tls);
	assert_int_equal(img.exstack, EXSTACK_DISABLE_X);
	assert_true(img.phdr_vaddr >= img.load[0].vaddr);
	check_against_raw64(&b, &img);
	assert_true(elf_image_end(&img) > img.load[img.nr_load - 1].vaddr);
	free(b.data);
}

static void test_elf_parse_static_pie_and_asm(void **state)
{
	struct blob b = read_guest("hello-pie");
	struct elf_image img;
	char err[256];
	assert_int_equal(elf_parse(b.data, b.size, &img, err, sizeof(err)), 0);
	assert_true(img.pie);
	assert_int_equal(img.load[0].vaddr, 0);
	check_against_raw64(&b, &img);
	free(b.data);
	b = read_guest("hello_asm64");
	assert_int_equal(elf_parse(b.data, b.size, &img, err, sizeof(err)), 0);
	assert_false(img.has_tls);
	check_against_raw64(&b, &img);
	free(b.data);
}

static void test_elf_parse_i386(void **state)
{
	struct blob b = read_guest("hello-i386");
	struct elf_image img;
	char err[256];
	assert_int_equal(elf_parse(b.data, b.size, &img, err, sizeof(err)), 0);
	assert_int_equal(img.elf_class, 32);
	assert_int_equal(img.machine, EM_386);
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)b.data;
	assert_int_equal(img.entry, eh->e_entry);
	free(b.data);
}

/* A mutation applied to a copy of a good executable, and the error it must give. */
typedef void (*mutate_fn)(struct blob *b);

static Elf64_Phdr *first_phdr(struct blob *b, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->data;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(b->data + eh->e_phoff) + i;
		if (ph->p_type == type)
			return ph;
	}
	fail_msg("no program header of type %u", type);
	return NULL;
}

static void m_truncate(struct blob *b) { b->size = 100; }
static void m_magic(struct blob *b) { b->data[1] = 'X'; }
static void m_machine(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_machine = EM_AARCH64; }
static void m_class_machine(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_machine = EM_386; }
static void m_type(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_type = ET_REL; }
static void m_phentsize(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_phentsize = 40; }
static void m_phoff(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_phoff = b->size - 8; }
static void m_phnum(struct blob *b) { ((Elf64_Ehdr *)b->data)->e_phnum = 0; }
static void m_filesz(struct blob *b) { first_phdr(b, PT_LOAD)->p_filesz = 1ULL << 40; }
static void m_memsz(struct blob *b)
{
	Elf64_Phdr *ph = first_phdr(b, PT_LOAD);
	ph->p_memsz = ph->p_filesz - 1;
}
static void m_offset(struct blob *b) { first_phdr(b, PT_LOAD)->p_offset = b->size + 4096; }
static void m_kernel_addr(struct blob *b) { first_phdr(b, PT_LOAD)->p_vaddr = 0xffff800000000000ULL; }
static void m_wrap(struct blob *b) { first_phdr(b, PT_LOAD)->p_memsz = ~0ULL - 4096; }
static void m_misaligned(struct blob *b) { first_phdr(b, PT_LOAD)->p_vaddr += 100; }
static void m_interp(struct blob *b) { first_phdr(b, PT_NOTE)->p_type = PT_INTERP; }
static void m_overlap(struct blob *b)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->data;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b->data + eh->e_phoff);
	Elf64_Phdr *loads[2];
	int n = 0;
	for (int i = 0; i < eh->e_phnum && n < 2; i++)
		if (ph[i].p_type == PT_LOAD)
			loads[n++] = &ph[i];
	loads[1]->p_vaddr = loads[0]->p_vaddr;
	loads[1]->p_offset = loads[0]->p_offset;
}
static void m_no_load(struct blob *b)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->data;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b->data + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			ph[i].p_type = PT_NULL;
}

static void test_elf_parse_refuses_lying_files(void **state)
{
	static const struct {
		const char *name;
		mutate_fn fn;
		int err;
		const char *says;
	} cases[] = {
		{"truncated", m_truncate, -ENOEXEC, ""},
		{"bad magic", m_magic, -ENOEXEC, "not an ELF"},
		{"arm64", m_machine, -ENOEXEC, "wrong architecture"},
		{"ELF64 for i386", m_class_machine, -ENOEXEC, "wrong architecture"},
		{"relocatable", m_type, -ENOEXEC, "not an executable"},
		{"phentsize", m_phentsize, -ENOEXEC, "program header size"},
		{"phoff past end", m_phoff, -ENOEXEC, "program header"},
		{"no phdrs", m_phnum, -ENOEXEC, "program header"},
		{"filesz huge", m_filesz, -ENOEXEC, ""},
		{"memsz < filesz", m_memsz, -ENOEXEC, "file size above memory size"},
		{"offset past end", m_offset, -ENOEXEC, "past the end"},
		{"kernel address", m_kernel_addr, -EINVAL, "outside user space"},
		{"wrapping size", m_wrap, -EINVAL, "outside user space"},
		{"misaligned", m_misaligned, -EINVAL, "disagree"},
		{"dynamic", m_interp, -ENOEXEC, "dynamically linked"},
		{"overlap", m_overlap, -ENOEXEC, "overlap"},
		{"no PT_LOAD", m_no_load, -ENOEXEC, "no loadable"},
	};
	struct blob good = read_guest("hello");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob b = {malloc(good.size), good.size};
		memcpy(b.data, good.data, good.size);
		cases[i].fn(&b);
		struct elf_image img;
		char err[256] = "";
		int r = elf_parse(b.data, b.size, &img, err, sizeof(err));
		if (r != cases[i].err || !strstr(err, cases[i].says))
			fail_msg("%s: got %d '%s', expected %d '%s'", cases[i].name, r, err,
				 cases[i].err, cases[i].says);
		assert_int_not_equal(err[0], '\0');
		free(b.data);
	}
	free(good.data);
}

/* Random corruption of the headers never crashes the parser: it accepts or refuses. */
static void test_elf_parse_random_corruption_never_crashes(void **state)
{
	struct blob good = read_guest("hello");
	uint64_t s = 0x1234567;
	int refused = 0;
	size_t hdr = 64 + 56 * ((Elf64_Ehdr *)good.data)->e_phnum;
	for (int round = 0; round < 3000; round++) {
		struct blob b = {malloc(good.size), good.size};
		memcpy(b.data, good.data, good.size);
		for (int k = 0; k < 4; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			b.data[s % hdr] ^= (uint8_t)(s >> 32);
		}
		struct elf_image img;
		char err[256];
		if (elf_parse(b.data, b.size, &img, err, sizeof(err)) != 0)
			refused++;
		else
			assert_true(img.nr_load > 0 && img.nr_load <= ELF_MAX_LOAD);
		free(b.data);
	}
	assert_true(refused > 0);
	free(good.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_parse_static_glibc_x86_64),
		cmocka_unit_test(test_elf_parse_static_pie_and_asm),
		cmocka_unit_test(test_elf_parse_i386),
		cmocka_unit_test(test_elf_parse_refuses_lying_files),
		cmocka_unit_test(test_elf_parse_random_corruption_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
