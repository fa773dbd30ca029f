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
static void m_truncate_header(struct blob *b) { b->size = 40; }
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
		{"truncated header", m_truncate_header, -ENOEXEC, "truncated ELF header (40 bytes)"},
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

/* Prints the stack image the way guests/auxv_dump.c prints the real one. */
static void dump_like_guest(const struct exec_stack *st, uint64_t top_real, int abi32,
			    char *out, size_t len)
{
	size_t word = abi32 ? 4 : 8, n = 0;
#define AT(addr) (st->bytes + ((addr) - st->base))
#define WORD(addr) (abi32 ? (uint64_t)*(uint32_t *)AT(addr) : *(uint64_t *)AT(addr))
	uint64_t argc = WORD(st->sp), argv = st->sp + word;
	uint64_t envp = argv + word * (argc + 1), p = envp;
	while (WORD(p))
		p += word;
	uint64_t auxv = p + word, execfn = 0;
	for (uint64_t a = auxv; WORD(a); a += 2 * word)
		if (WORD(a) == AT_EXECFN)
			execfn = WORD(a + word);
	uint64_t top = execfn + strlen((char *)AT(execfn)) + 1 + word;
	(void)top_real;
	n += (size_t)snprintf(out + n, len - n, "argc %d, argv at top-%lu\n", (int)argc,
			      (unsigned long)(top - argv));
	for (uint64_t i = 0; i < argc; i++) {
		uint64_t s = WORD(argv + i * word);
		n += (size_t)snprintf(out + n, len - n, "argv[%d] at top-%lu: %s\n", (int)i,
				      (unsigned long)(top - s), (char *)AT(s));
	}
	for (uint64_t i = 0; WORD(envp + i * word); i++) {
		uint64_t s = WORD(envp + i * word);
		n += (size_t)snprintf(out + n, len - n, "envp[%d] at top-%lu: %s\n", (int)i,
				      (unsigned long)(top - s), (char *)AT(s));
	}
	static const struct {
		uint64_t t;
		const char *name;
		int show;
	} names[] = {
		{AT_NULL, "AT_NULL", 0}, {AT_PHDR, "AT_PHDR", 0}, {AT_PHENT, "AT_PHENT", 1},
		{AT_PHNUM, "AT_PHNUM", 0}, {AT_PAGESZ, "AT_PAGESZ", 1}, {AT_BASE, "AT_BASE", 1},
		{AT_FLAGS, "AT_FLAGS", 1}, {AT_ENTRY, "AT_ENTRY", 0}, {AT_UID, "AT_UID", 0},
		{AT_EUID, "AT_EUID", 0}, {AT_GID, "AT_GID", 0}, {AT_EGID, "AT_EGID", 0},
		{AT_PLATFORM, "AT_PLATFORM", 2}, {AT_HWCAP, "AT_HWCAP", 0}, {AT_CLKTCK, "AT_CLKTCK", 1},
		{AT_SECURE, "AT_SECURE", 1}, {AT_RANDOM, "AT_RANDOM", 2}, {AT_HWCAP2, "AT_HWCAP2", 0},
		{AT_EXECFN, "AT_EXECFN", 2}, {AT_SYSINFO, "AT_SYSINFO", 0},
		{AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR", 0}, {AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ", 0},
		{AT_RSEQ_FEATURE_SIZE, "AT_RSEQ_FEATURE_SIZE", 1}, {AT_RSEQ_ALIGN, "AT_RSEQ_ALIGN", 1},
	};
	for (uint64_t a = auxv;; a += 2 * word) {
		uint64_t t = WORD(a), v = WORD(a + word);
		const char *name = "AT_?";
		int show = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i].t == t)
				name = names[i].name, show = names[i].show;
		n += (size_t)snprintf(out + n, len - n, "%s", name);
		if (show == 1)
			n += (size_t)snprintf(out + n, len - n, " %lu", (unsigned long)v);
		else if (show == 2)
			n += (size_t)snprintf(out + n, len - n, " top-%lu", (unsigned long)(top - v));
		if (t == AT_PLATFORM || t == AT_EXECFN)
			n += (size_t)snprintf(out + n, len - n, " \"%s\"", (char *)AT(v));
		n += (size_t)snprintf(out + n, len - n, "\n");
		if (!t)
			break;
	}
#undef WORD
#undef AT
}

/* The initial stack against the host kernel's: auxv_dump run natively with ASLR off and a
 * fixed environment prints its stack's layout; the same arguments through
 * create_elf_tables must print the same. */
static void compare_initial_stack(const char *guest, int abi32)
{
	char path[1024], cmd[2048];
	const char *build = getenv("MMEMU_BUILD");
	snprintf(path, sizeof(path), "%s/guests/%s", build ? build : "build", guest);
	snprintf(cmd, sizeof(cmd), "setarch -R env -i A=1 BB=22 %s x yy", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	static char native[8192], ours[8192];
	size_t got = fread(native, 1, sizeof(native) - 1, f);
	native[got] = '\0';
	assert_int_equal(pclose(f), 0);

	const char *argv[] = {path, "x", "yy"};
	const char *envp[] = {"A=1", "BB=22"};
	struct exec_stack_args a = {.abi32 = abi32, .stack_top = abi32 ? 0xffffe000ULL : 0x7ffffffff000ULL,
				    .argc = 3, .argv = argv, .envc = 2, .envp = envp, .execfn = path,
				    .platform = abi32 ? "i686" : "x86_64"};
	struct elf_auxv_info info = {.phent = abi32 ? 32 : 56, .vdso = 0x1000, .vsyscall = 0x1100};
	elf_fill_auxv(&a, &info);
	struct exec_stack st;
	assert_int_equal(create_elf_tables(&a, &st), 0);
	assert_int_equal(st.sp & 15, 0);
	dump_like_guest(&st, a.stack_top, abi32, ours, sizeof(ours));
	assert_string_equal(ours, native);
	assert_int_equal(st.arg_start + strlen(path) + 1, st.arg_end - 5);
	assert_memory_equal(st.bytes + (st.random - st.base), a.random, 16);
	exec_stack_free(&st);
}

static void test_initial_stack_matches_linux_x86_64(void **state)
{
	compare_initial_stack("auxv_dump", 0);
}

static void test_initial_stack_matches_linux_i386(void **state)
{
	compare_initial_stack("auxv_dump-i386", 1);
}

static void test_initial_stack_too_big_is_e2big(void **state)
{
	static char big[600000];
	memset(big, 'a', sizeof(big) - 1);
	const char *argv[] = {big};
	struct exec_stack_args a = {.stack_top = 0x7ffffffff000ULL, .argc = 1, .argv = argv,
				    .execfn = "/x"};
	struct exec_stack st;
	assert_int_equal(create_elf_tables(&a, &st), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_parse_static_glibc_x86_64),
		cmocka_unit_test(test_elf_parse_static_pie_and_asm),
		cmocka_unit_test(test_elf_parse_i386),
		cmocka_unit_test(test_elf_parse_refuses_lying_files),
		cmocka_unit_test(test_elf_parse_random_corruption_never_crashes),
		cmocka_unit_test(test_initial_stack_matches_linux_x86_64),
		cmocka_unit_test(test_initial_stack_matches_linux_i386),
		cmocka_unit_test(test_initial_stack_too_big_is_e2big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
