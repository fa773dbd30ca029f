/*
 * The replay machine that drives the simulated kernel (emu/replay_kernel.h): exec, then
 * the recorded address-space operations, kernel touches of user pages and translations,
 * each through the path `mmemu run` takes.
 */
#include "emu/replay_kernel.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/fpu.h"
#include "kernel-sim/exec.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/signal.h"
#include "kernel-sim/swap.h"
#include "kernel-sim/syscall.h"
#include "kernel-sim/trace_mm.h"
#include "kernel-sim/uaccess.h"
#include "kernel-sim/x86_tables.h"
#include "mmu/paging.h"

#define MAX_RETRIES 3 /* faults one recorded access may take before it is given up */

/* Sets r->err to "event N: " and the message; returns -1. */
static int __attribute__((format(printf, 2, 3))) fail(struct kreplay *r, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof(r->err), "event %llu: ", (unsigned long long)r->event_no);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Long mode with 4-level paging on the process's tables, as `mmemu run` sets the CPU up
 * (emu/run.c setup_cpu): the same CR0, CR4 and EFER bits, so the same translations. */
static bool setup_paging(struct kreplay *r)
{
	struct mmu *mmu = &r->m.mmu;
	struct x86_fault f;
	return mmu_set_cr4(mmu, CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT, &f) &&
	       mmu_set_efer(mmu, EFER_LME | EFER_NXE | EFER_SCE, &f) &&
	       mmu_set_cr3(mmu, __pa(&r->m.kernel, r->task->mm->pgd), &f) &&
	       mmu_set_cr0(mmu, CR0_PE | CR0_MP | CR0_NE | CR0_PG | CR0_WP | CR0_AM, &f);
}

int kreplay_init(struct kreplay *r, const struct boot_params *p, const struct tlb_config *tlb,
		 const struct kreplay_program *prog)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	if (machine_create(&r->m, p, tlb, err, sizeof(err)) < 0) {
		snprintf(r->err, sizeof(r->err), "%s", err);
		r->m.kernel.bus = NULL; /* nothing to destroy */
		return -1;
	}
	struct kernel *k = &r->m.kernel;
	/* The same kernel allocations as `mmemu run` makes before and around exec. */
	if (x86_cpu_tables_init(k, 0, &r->m.tables) < 0) {
		snprintf(r->err, sizeof(r->err), "out of memory for the CPU tables");
		return -1;
	}
	struct exec_request req = {prog->host_path, prog->filename, prog->argc, prog->argv,
				   prog->envc,	    prog->envp,	    0,		0};
	struct pt_regs regs;
	int e = 0;
	r->task = exec_new_task(k, &req, &regs, &e, err, sizeof(err));
	if (!r->task) {
		snprintf(r->err, sizeof(r->err), "cannot exec the recorded program: %s", err);
		return -1;
	}
	if (!setup_paging(r) || task_setup_files(k, r->task, NULL) < 0 ||
	    task_set_exe_path(k, r->task, prog->host_path) < 0) {
		snprintf(r->err, sizeof(r->err), "cannot set the process up");
		return -1;
	}
	return 0;
}

/* The exec event: this exec must have built the recorded address space. */
static int check_exec(struct kreplay *r, const struct trace_event *ev)
{
	const struct mm_struct *mm = r->task->mm;
	if (r->started)
		return fail(r, "the trace execs a second program; replay through the kernel "
			       "follows one process");
	r->started = true;
	if (ev->a != mm->start_code || ev->b != mm->start_brk || ev->c != mm->start_stack ||
	    ev->d != mm->mmap_base || ev->la != (uint64_t)mm->map_count)
		return fail(r,
			    "the program at its recorded path is not the one recorded: its exec "
			    "lays the address space out differently (text %#llx, brk %#llx, stack "
			    "%#llx recorded; %#lx, %#lx, %#lx here)",
			    (unsigned long long)ev->a, (unsigned long long)ev->b,
			    (unsigned long long)ev->c, mm->start_code, mm->start_brk,
			    mm->start_stack);
	return 0;
}

/* A recorded file: a file of the same size whose bytes are zero (page cache over a zero
 * host mapping), or a shmem file (swap-backed, as the recorded one). */
static int add_file(struct kreplay *r, const struct trace_event *ev)
{
	if (ev->a != r->nfiles + 1)
		return fail(r, "file id %llu out of order", (unsigned long long)ev->a);
	if (ev->b > (1ULL << 40))
		return fail(r, "a recorded file of %llu bytes is too large to stand in for",
			    (unsigned long long)ev->b);
	struct kreplay_file *f = realloc(r->files, (r->nfiles + 1) * sizeof(*f));
	if (!f)
		return fail(r, "out of memory");
	r->files = f;
	f = &r->files[r->nfiles];
	*f = (struct kreplay_file){NULL, NULL, ev->b};
	char name[TRACE_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%.*s", (int)ev->text_len, ev->text);
	struct kernel *k = &r->m.kernel;
	if (ev->c == TRACE_FILE_SHMEM) {
		f->file = shmem_file_setup(k, name, ev->b);
	} else {
		if (ev->b) {
			f->buf = mmap(NULL, ev->b, PROT_READ,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (f->buf == MAP_FAILED)
				f->buf = NULL;
		}
		if (f->buf || !ev->b)
			f->file =
			    file_from_buffer(k, name, f->buf, ev->b, FMODE_READ | FMODE_WRITE);
	}
	if (!f->file) {
		if (f->buf)
			munmap(f->buf, f->size);
		return fail(r, "cannot make a file of %llu bytes to stand for %s",
			    (unsigned long long)ev->b, name);
	}
	r->nfiles++;
	return 0;
}

static bool is_error(int64_t v)
{
	return v < 0 && v >= -4095;
}

/* An address-space system call again, through the kernel's function for it. */
static int apply_mm_op(struct kreplay *r, const struct trace_event *ev)
{
	struct kernel *k = &r->m.kernel;
	struct mm_struct *mm = r->task->mm;
	const uint64_t *a = ev->arg;
	int64_t want = (int64_t)ev->b, got;
	static const uint8_t nargs[MM_OP_NR] = {5, 2, 3, 5, 3, 3, 2, 1, 1, 0}; /* mm_op_kind */
	if (ev->a >= MM_OP_NR || ev->nsteps != nargs[ev->a] || ev->c > r->nfiles)
		return fail(r, "malformed address-space operation");
	if (is_error(want) && ev->a != MM_OP_BRK)
		return 0; /* it failed and changed nothing */
	r->mm_ops++;
	switch (ev->a) {
	case MM_OP_MMAP:
		got = vm_mmap(k, mm, ev->c ? r->files[ev->c - 1].file : NULL, a[0], a[1], a[2],
			      a[3], a[4]);
		break;
	case MM_OP_MUNMAP:
		got = do_munmap(k, mm, a[0], a[1]);
		break;
	case MM_OP_MPROTECT:
		got = do_mprotect(k, mm, a[0], a[1], a[2]);
		break;
	case MM_OP_MREMAP:
		got = do_mremap(k, mm, a[0], a[1], a[2], a[3], a[4]);
		break;
	case MM_OP_MADVISE:
		got = do_madvise(k, mm, a[0], a[1], (int)a[2]);
		break;
	case MM_OP_MLOCK:
		got = do_mlock(k, mm, a[0], a[1], (unsigned)a[2]);
		break;
	case MM_OP_MUNLOCK:
		got = do_munlock(k, mm, a[0], a[1]);
		break;
	case MM_OP_MLOCKALL:
		got = do_mlockall(k, mm, (unsigned)a[0]);
		break;
	case MM_OP_MUNLOCKALL:
		got = do_munlockall(k, mm);
		break;
	case MM_OP_BRK:
		got = (int64_t)do_brk(k, mm, a[0]);
		break;
	default:
		return fail(r, "unknown address-space operation %llu", (unsigned long long)ev->a);
	}
	if (got != want)
		return fail(r,
			    "address-space operation %llu returned %#llx in the recording and "
			    "%#llx here",
			    (unsigned long long)ev->a, (unsigned long long)want,
			    (unsigned long long)got);
	return 0;
}

/* The kernel reaching a user page (a read() into a buffer, a signal frame): one byte of
 * it through the uaccess path, which faults the page in as the recorded kernel did. */
static void apply_uaccess(struct kreplay *r, const struct trace_event *ev)
{
	struct kernel *k = &r->m.kernel;
	uint8_t b = 0;
	r->uaccesses++;
	if (ev->flags == MMU_WRITE)
		copy_to_user_mm(k, r->task->mm, ev->la, &b, 1);
	else
		copy_from_user_mm(k, r->task->mm, &b, ev->la, 1);
}

/* True once the process has a SIGKILL coming (the OOM killer chose it). */
static bool being_killed(const struct kreplay *r)
{
	const struct task_struct *t = r->task;
	return t->exited || (t->signal && (t->signal->pending & ksigmask(SIGKILL)));
}

/* One recorded translation. 1 when the process has been killed. */
static int translate(struct kreplay *r, const struct trace_event *ev)
{
	struct mmu *mmu = &r->m.mmu;
	uint64_t pa;
	struct x86_fault f;
	r->accesses++;
	if (__builtin_expect(mmu_fast_lookup(mmu, ev->la, 1, ev->flags) != NULL, 1))
		return 0;
	for (int round = 0; round < MAX_RETRIES; round++) {
		if (mmu_translate(mmu, ev->la, ev->flags, &pa, &f))
			return 0;
		/* Only a user page's #PF is the kernel's to resolve; a fault on a kernel address
		 * (the recorded kernel's own stacks and tables) has no counterpart here. */
		if (f.vector != 14 || ev->la >= r->task->mm->task_size) {
			if (ev->type == TEV_FAULT) { /* delivered in the run too */
				r->m.cpu.nr_faults++;
				r->fault_counted = f.vector;
			}
			return 0;
		}
		struct pt_regs regs = {0};
		const struct task_struct *t = r->task;
		uint64_t pending = t->signal ? t->signal->pending : 0;
		r->m.cpu.nr_faults++;
		r->user_faults++;
		exc_page_fault(&r->m.kernel, &regs, f.error_code, ev->la);
		kswapd_run_pending(&r->m.kernel); /* the exit to user mode's safe point */
		if (being_killed(r)) {
			r->killed = true;
			return 1;
		}
		if (t->signal && t->signal->pending != pending) {
			r->signals++; /* SIGSEGV or SIGBUS: the access does not restart */
			return 0;
		}
		if (ev->type == TEV_FAULT)
			return 0; /* the recording holds the restarted access */
		r->retries += round == 0;
	}
	return 0;
}

/* A FETCH_RUN: its fetches of one page, each the translation of an ACCESS. */
static int translate_run(struct kreplay *r, const struct trace_event *ev)
{
	struct trace_event one = {.type = TEV_ACCESS, .flags = MMU_FETCH, .la = ev->la, .pa = ev->pa};
	for (uint64_t i = 0; i < ev->a; i++)
		if (translate(r, &one))
			return 1;
	return 0;
}

/* An exception other than #PF: the CPU counted it in the run. The FAULT of a #GP the MMU
 * raised (a non-canonical address) was counted already; format 1.1 traces have only it. */
static void count_exception(struct kreplay *r, const struct trace_event *ev)
{
	r->exceptions++;
	r->exc_signals += ev->a != 0;
	if (r->fault_counted && r->fault_counted == ev->vector)
		r->fault_counted = 0;
	else
		r->m.cpu.nr_faults++;
}

static int keep_kstats(struct kreplay *r, const struct trace_event *ev)
{
	free(r->recorded_kstats);
	r->recorded_kstats = trace_event_text_dup(ev);
	return r->recorded_kstats ? 0 : fail(r, "out of memory");
}

/* An EXT page_ref (format 1.3): with verify_refs, each frame it names must have the
 * recorded counts here. The recorder writes them at each return to user mode, which is
 * where this replay stands when it reads them (after the fault, kswapd and the uaccesses
 * of a signal frame); a frame past this machine's RAM is a difference too. */
static int check_page_refs(struct kreplay *r, const struct trace_event *ev)
{
	const struct kernel *k = &r->m.kernel;
	struct trace_page_refs_iter it;
	struct trace_page_ref e;
	if (!r->verify_refs)
		return 0;
	r->refs_events++;
	trace_page_refs_begin(&it, ev);
	while (trace_page_refs_next(&it, &e)) {
		if (e.pfn >= k->max_pfn || !pfn_valid(k, (unsigned long)e.pfn))
			return fail(r, "page_ref: frame %#llx is not in this machine's RAM",
				    (unsigned long long)e.pfn);
		const struct page *page = pfn_to_page(k, (unsigned long)e.pfn);
		if (page_count(page) != e.refcount || page_mapcount(page) != e.mapcount)
			return fail(r,
				    "page_ref: frame %#llx has refcount %d mapcount %d here, %d and "
				    "%d in the recording",
				    (unsigned long long)e.pfn, page_count(page), page_mapcount(page),
				    e.refcount, e.mapcount);
		r->refs_checked++;
	}
	return 0;
}

static int apply_ext(struct kreplay *r, const struct trace_event *ev)
{
	switch (ev->sub) {
	case TEXT_EXEC:
		return check_exec(r, ev);
	case TEXT_FILE:
		return add_file(r, ev);
	case TEXT_MM_OP:
		return r->started ? apply_mm_op(r, ev) : 0;
	case TEXT_UACCESS:
		if (r->started)
			apply_uaccess(r, ev);
		return 0;
	case TEXT_KSTATS:
		return keep_kstats(r, ev);
	case TEXT_FETCH_RUN:
		return r->started ? translate_run(r, ev) : 0;
	case TEXT_EXCEPTION:
		if (r->started)
			count_exception(r, ev);
		return 0;
	case TEXT_SYS_WORK:
		r->sys_own = ev->a != 0;
		return 0;
	case TEXT_PAGE_REF:
		return r->started ? check_page_refs(r, ev) : 0;
	default:
		return 0; /* the recorded kernel's own activity: this one has its own */
	}
}

/* A CR3 write: the first after exec is the process's; another means a second process. */
static int check_cr3(struct kreplay *r, const struct trace_event *ev)
{
	if (ev->a != 3 || !r->started)
		return 0;
	uint64_t root = ev->b & 0x000ffffffffff000ULL;
	if (!r->cr3)
		r->cr3 = root;
	else if (root != r->cr3)
		return fail(r, "the trace switches to another address space; replay through the "
			       "kernel follows one process");
	return 0;
}

/* The program is over, as `mmemu run` ends it (end_program): its task and address space
 * freed, the CPU tables with them. The recording writes its STATS after that, then the
 * counts of the frames it changed. */
static void end_program(struct kreplay *r)
{
	struct kernel *k = &r->m.kernel;
	if (r->task) {
		release_task(k, r->task);
		r->task = NULL;
	}
	/* The recorded guest's files went with its exit; the files standing for them go now,
	 * their page cache with them. */
	for (size_t i = 0; i < r->nfiles; i++) {
		if (r->files[i].file)
			fput(k, r->files[i].file);
		r->files[i].file = NULL;
	}
	if (!r->ended)
		x86_cpu_tables_free(k, &r->m.tables);
	r->ended = true;
}

/* An event after the recorded program's end (its STATS): the counts its release left and
 * the run's statistics; anything else (which no recorder writes there) has no process to
 * apply to and is left alone. */
static int after_end(struct kreplay *r, const struct trace_event *ev)
{
	if (ev->type != TEV_EXT)
		return 0;
	if (ev->sub == TEXT_PAGE_REF)
		return check_page_refs(r, ev);
	return ev->sub == TEXT_KSTATS ? keep_kstats(r, ev) : 0;
}

int kreplay_event(struct kreplay *r, const struct trace_event *ev)
{
	r->event_no++;
	if (r->killed)
		return 1;
	if (r->ended)
		return after_end(r, ev);
	switch (ev->type) {
	case TEV_ACCESS:
	case TEV_FAULT:
		return r->started ? translate(r, ev) : 0;
	case TEV_MODE:
	case TEV_KEYFRAME:
		mmu_set_cpl(&r->m.mmu, ev->cpl);
		mmu_set_ac(&r->m.mmu, ev->ac);
		return 0;
	case TEV_CR:
		return check_cr3(r, ev);
	case TEV_SYSCALL:
		/* An i386 program enters through INT 0x80, an exception the CPU counts. */
		r->m.cpu.nr_faults += r->task->abi32;
		/* The recorded kernel returned to user mode here: kswapd's safe point. */
		kswapd_run_pending(&r->m.kernel);
		return 0;
	case TEV_EXT:
		return apply_ext(r, ev);
	case TEV_PAGE:
		kreplay_page_event(r, ev);
		return 0;
	case TEV_STATS: /* the recorded program is over */
		if (r->started)
			end_program(r);
		return 0;
	default:
		return 0;
	}
}

void kreplay_finish(struct kreplay *r)
{
	end_program(r);
}

void kreplay_destroy(struct kreplay *r)
{
	if (r->m.kernel.bus) {
		struct kernel *k = &r->m.kernel;
		if (r->task)
			release_task(k, r->task);
		r->task = NULL;
		for (size_t i = 0; i < r->nfiles; i++)
			if (r->files[i].file)
				fput(k, r->files[i].file);
		machine_destroy(&r->m);
	}
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].buf)
			munmap(r->files[i].buf, r->files[i].size);
	free(r->files);
	kreplay_blocks_release(r);
	free(r->recorded_kstats);
	r->files = NULL;
	r->recorded_kstats = NULL;
}
