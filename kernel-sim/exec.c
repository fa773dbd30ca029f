/*
 * load_elf_binary's mapping half and the start of a process (fs/exec.c, fs/binfmt_elf.c):
 *
 *   elf_parse -> mm_alloc (+ the i386 layout) -> each PT_LOAD mmap'd MAP_PRIVATE|MAP_FIXED
 *   from the file's page cache -> the partial page after p_filesz zeroed (padzero) and the
 *   rest of p_memsz as anonymous memory (the bss) -> brk after the bss (a static PIE's at
 *   ELF_ET_DYN_BASE) -> the stack VMA, 128 KiB below the argument pages, with the strings
 *   and tables create_elf_tables lays out -> start_thread's registers.
 */
#include "kernel-sim/exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/vdso.h"

#define ELF_PAGESTART(v) ((v) & ~(PAGE_SIZE - 1))
#define ELF_PAGEOFFSET(v) ((v) & (PAGE_SIZE - 1))
#define ELF_PAGEALIGN(v) (((v) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static int fail(char *err, size_t errlen, int code, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return code;
}

/* The whole executable in host memory (static programs are small). Like execve, anything
 * but a regular file is -EACCES. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	int r = 0;
	*size = (size_t)st.st_size;
	if (!(*data = malloc(*size ? *size : 1)))
		r = -ENOMEM;
	else if (fread(*data, 1, *size, f) != *size)
		r = -EIO;
	fclose(f);
	if (r && *data) {
		free(*data);
		*data = NULL;
	}
	return r;
}

static unsigned long elf_prot(uint32_t p_flags)
{
	return ((p_flags & ELF_PF_R) ? PROT_READ : 0) | ((p_flags & ELF_PF_W) ? PROT_WRITE : 0) |
	       ((p_flags & ELF_PF_X) ? PROT_EXEC : 0);
}

/* Maps one PT_LOAD: the file part, then the zeroed tail of its last page and the bss. */
static int map_segment(struct kernel *k, struct mm_struct *mm, struct file *file,
		       const struct elf_segment *seg, uint64_t bias)
{
	uint64_t addr = bias + seg->vaddr, prot = elf_prot(seg->flags);
	uint64_t start = ELF_PAGESTART(addr);
	uint64_t file_end = addr + seg->filesz, mem_end = addr + seg->memsz;
	if (seg->filesz) {
		long r = vm_mmap(k, mm, file, start, ELF_PAGEALIGN(file_end) - start, prot,
				 MAP_PRIVATE | MAP_FIXED, seg->offset - ELF_PAGEOFFSET(addr));
		if (r < 0)
			return (int)r;
	}
	if (seg->memsz > seg->filesz && ELF_PAGEOFFSET(file_end) && (seg->flags & ELF_PF_W)) {
		/* padzero: the file's bytes past p_filesz on the last page must read as zero. */
		if (clear_user_mm(k, mm, file_end, PAGE_SIZE - ELF_PAGEOFFSET(file_end)))
			return -EFAULT;
	}
	uint64_t bss = seg->filesz ? ELF_PAGEALIGN(file_end) : start;
	if (ELF_PAGEALIGN(mem_end) > bss) {
		long r = vm_mmap(k, mm, NULL, bss, ELF_PAGEALIGN(mem_end) - bss, prot,
				 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, 0);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

/* A static PIE goes where the mmap area has room for all of it, top-down, as Linux places
 * an ET_DYN without an interpreter. Returns the load bias, or a negative errno. */
static long pie_load_bias(struct kernel *k, struct mm_struct *mm, const struct elf_image *img,
			  struct file *file)
{
	uint64_t lo = ELF_PAGESTART(img->load[0].vaddr);
	uint64_t total = ELF_PAGEALIGN(elf_image_end(img)) - lo;
	long addr = get_unmapped_area(k, mm, file, 0, total, 0, MAP_PRIVATE);
	if (addr < 0)
		return addr;
	return addr - (long)lo;
}

static int map_image(struct kernel *k, struct mm_struct *mm, const struct elf_image *img,
		     struct file *file, uint64_t *bias)
{
	*bias = 0;
	if (img->pie) {
		long b = pie_load_bias(k, mm, img, file);
		if (b < 0)
			return (int)b;
		*bias = (uint64_t)b;
	}
	for (int i = 0; i < img->nr_load; i++) {
		int r = map_segment(k, mm, file, &img->load[i], *bias);
		if (r < 0)
			return r;
	}
	return 0;
}

/* start_code..end_data and brk, as load_elf_binary computes them. */
static void set_mm_layout(struct mm_struct *mm, const struct elf_image *img, uint64_t bias)
{
	mm->start_code = ~0UL;
	for (int i = 0; i < img->nr_load; i++) {
		const struct elf_segment *s = &img->load[i];
		uint64_t start = bias + s->vaddr;
		if (start < mm->start_code)
			mm->start_code = start;
		if ((s->flags & ELF_PF_X) && start + s->filesz > mm->end_code)
			mm->end_code = start + s->filesz;
		if (start > mm->start_data)
			mm->start_data = start;
		if (start + s->filesz > mm->end_data)
			mm->end_data = start + s->filesz;
	}
	uint64_t brk = bias + elf_image_end(img);
	if (img->pie)
		brk = ELF_ET_DYN_BASE_64;
	mm_set_brk_base(mm, ELF_PAGEALIGN(brk));
}

static int setup_stack(struct kernel *k, struct task_struct *task, const struct exec_request *req,
		       const struct elf_image *img, uint64_t bias, uint64_t *sp)
{
	struct mm_struct *mm = task->mm;
	struct exec_stack_args a = {
		.abi32 = task->abi32,
		.stack_top = mm->task_size,
		.argc = req->argc, .argv = req->argv,
		.envc = req->envc, .envp = req->envp,
		.execfn = req->filename,
		.platform = task->abi32 ? "i686" : "x86_64",
	};
	for (int i = 0; i < 16; i++)
		a.random[i] = (uint8_t)(k->params.seed >> (8 * (i % 8)) ^ (uint64_t)(i * 0x9d));
	struct elf_auxv_info info = {
		.phdr = img->phdr_vaddr + bias, .phent = img->phentsize, .phnum = img->phnum,
		.entry = img->entry + bias, .hwcap = req->hwcap, .hwcap2 = req->hwcap2,
		.minsigstksz = task->abi32 ? 1024 : 2048,
	};
	int r = arch_setup_additional_pages(k, mm, task->abi32, &info.vdso, &info.vsyscall);
	if (r < 0)
		return r;
	elf_fill_auxv(&a, &info);
	struct exec_stack st;
	r = create_elf_tables(&a, &st);
	if (r < 0)
		return r;
	/* /proc/PID/auxv shows the vector as written (Linux's mm->saved_auxv): read it back
	 * from the stack image, after argc, argv[], NULL, envp[], NULL. */
	size_t word = task->abi32 ? 4 : 8;
	const uint8_t *auxv = st.bytes + (st.sp - st.base) +
			      word * (size_t)(1 + a.argc + 1 + a.envc + 1);
	for (int i = 0; i < a.nr_auxv && 2 * i + 3 < AT_VECTOR_WORDS; i++) {
		for (int j = 0; j < 2; j++) {
			uint64_t v = 0;
			memcpy(&v, auxv + word * (size_t)(2 * i + j), word);
			task->saved_auxv[2 * i + j] = v;
		}
	}
	uint64_t vm_start = ELF_PAGESTART(st.arg_start) - STACK_EXPAND;
	r = setup_stack_vma(k, mm, a.stack_top, a.stack_top - vm_start);
	if (!r)
		r = copy_to_user_mm(k, mm, st.sp, st.bytes + (st.sp - st.base), a.stack_top - 8 - st.sp)
			    ? -EFAULT
			    : 0;
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;
	*sp = st.sp;
	exec_stack_free(&st);
	return r;
}

/* Linux's start_thread: every register zero but the entry point and the stack. */
static void start_thread(struct pt_regs *regs, bool abi32, uint64_t ip, uint64_t sp)
{
	memset(regs, 0, sizeof(*regs));
	regs->ip = ip;
	regs->sp = sp;
	regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	regs->cs = abi32 ? __USER32_CS : __USER_CS;
	regs->ss = __USER_DS;
	regs->orig_ax = (uint64_t)-1;
}

static void set_comm(struct task_struct *task, const char *filename)
{
	const char *base = strrchr(filename, '/');
	snprintf(task->comm, sizeof(task->comm), "%s", base ? base + 1 : filename);
}

/* Maps the program into a fresh mm and fills regs; 0 or -errno with err. */
static int load_elf_binary(struct kernel *k, struct task_struct *task,
			   const struct exec_request *req, const struct elf_image *img,
			   struct pt_regs *regs, char *err, size_t errlen)
{
	int r;
	/* The file's name in maps is its canonical path, as Linux's d_path gives. */
	char path[PATH_MAX];
	if (!realpath(req->host_path, path))
		snprintf(path, sizeof(path), "%s", req->host_path);
	struct file *file = file_open_host(k, path, FMODE_READ | FMODE_EXEC, &r);
	if (!file)
		return fail(err, errlen, r, "%s: cannot open", req->filename);
	task->abi32 = img->elf_class == 32;
	task->mm = mm_alloc(k);
	if (!task->mm) {
		fput(k, file);
		return fail(err, errlen, -ENOMEM, "%s: out of memory", req->filename);
	}
	task->mm->pid = task->pid;
	if (task->abi32)
		arch_pick_mmap_layout(k, task->mm, IA32_PAGE_OFFSET);
	uint64_t bias, sp;
	r = map_image(k, task->mm, img, file, &bias);
	fput(k, file); /* the VMAs hold their own references */
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot map the program's segments", req->filename);
	set_mm_layout(task->mm, img, bias);
	r = setup_stack(k, task, req, img, bias, &sp);
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot set up the stack (arguments too long?)",
			    req->filename);
	start_thread(regs, task->abi32, img->entry + bias, sp);
	return 0;
}

struct task_struct *exec_new_task(struct kernel *k, const struct exec_request *req,
				  struct pt_regs *regs, int *errp, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t size = 0;
	struct elf_image img;
	int r = read_file(req->host_path, &data, &size);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", req->filename, strerror(-r));
		*errp = r;
		return NULL;
	}
	char why[256];
	r = elf_parse(data, size, &img, why, sizeof(why));
	free(data);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", req->filename, why);
		*errp = r;
		return NULL;
	}
	struct task_struct *task = alloc_task_struct(k);
	if (!task) {
		snprintf(err, errlen, "%s: out of memory", req->filename);
		*errp = -ENOMEM;
		return NULL;
	}
	set_comm(task, req->filename);
	r = load_elf_binary(k, task, req, &img, regs, err, errlen);
	if (r < 0) {
		*errp = r;
		release_task(k, task);
		return NULL;
	}
	k->current = task;
	trace_sched_process_exec(k, task);
	return task;
}

void release_task(struct kernel *k, struct task_struct *task)
{
	exit_task_files(k, task);
	if (task->mm)
		mmput(k, task->mm);
	free(task->exe_path);
	if (k->current == task)
		k->current = NULL;
	kmem_cache_free(k, k->task_cachep, task);
}
