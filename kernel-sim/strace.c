/*
 * strace(1)'s output format for the system calls static programs make: each argument
 * printed by its type (strings quoted and escaped as strace does, flags as OR-ed names,
 * structures it knows in braces), the result aligned at column 40, errors as
 * "-1 ENOENT (No such file or directory)".
 */
#include "kernel-sim/strace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-sim/errno_names.h"
#include "kernel-sim/syscall_names.h"

/* How an argument is printed. */
enum arg_type {
	A_INT,      /* signed decimal */
	A_UINT,     /* unsigned decimal */
	A_HEX,      /* 0x... */
	A_PTR,      /* NULL or 0x... */
	A_OFF,      /* 0, or 0x... (file offsets of mmap) */
	A_PATH,     /* NUL-terminated string, whole */
	A_BUF_IN,   /* buffer whose length is the next argument, read on entry */
	A_BUF_OUT,  /* buffer the call filled: the return value is its length */
	A_STR_OUT,  /* NUL-terminated string the call filled (getcwd) */
	A_FD,       /* file descriptor, AT_FDCWD for -100 */
	A_OFLAGS,   /* open flags */
	A_MODE,     /* file mode, octal */
	A_PROT,     /* PROT_* */
	A_MAPFLAGS, /* MAP_* */
	A_MREMAP,   /* MREMAP_* */
	A_MADV,     /* MADV_* */
	A_MCL,      /* MCL_* (mlockall) */
	A_MINCORE_VEC, /* mincore's vector: one byte per page of the previous length */
	A_WHENCE,   /* SEEK_* */
	A_ATFLAGS,  /* AT_* */
	A_AMODE,    /* F_OK, R_OK|W_OK, ... */
	A_SIG,      /* signal number */
	A_SIGHOW,   /* SIG_BLOCK, ... */
	A_CLOCK,    /* CLOCK_* */
	A_RLIMIT,   /* RLIMIT_* */
	A_RLIM_IN,  /* struct rlimit64 * read on entry */
	A_RLIM_OUT, /* struct rlimit64 * filled by the call */
	A_ARCHCODE, /* ARCH_SET_FS, ... */
	A_GRND,     /* GRND_* */
	A_IOCTL,    /* ioctl request */
	A_FCNTL,    /* F_* command */
	A_FUTEX,    /* FUTEX_* operation */
	A_STAT_OUT, /* struct stat * filled by the call (x86-64 layout) */
	A_RLIM32_OUT, /* struct rlimit * of two 32-bit values filled by the call (i386) */
	A_STATX_FLAGS, /* AT_STATX_* sync type and AT_* flags */
	A_STATX_MASK, /* STATX_* */
};

struct syscall_sig {
	const char *name;
	uint8_t nargs;
	uint8_t arg[6];
	uint8_t ret_hex; /* the result is an address: print it in hex */
};

/* Signatures by name, so the x86-64 and i386 numberings share them. Sorted by name. */
static const struct syscall_sig sigs[] = {
	{"access", 2, {A_PATH, A_AMODE}, 0},
	{"arch_prctl", 2, {A_ARCHCODE, A_HEX}, 0},
	{"brk", 1, {A_PTR}, 1},
	{"chdir", 1, {A_PATH}, 0},
	{"clock_gettime", 2, {A_CLOCK, A_PTR}, 0},
	{"close", 1, {A_FD}, 0},
	{"dup", 1, {A_FD}, 0},
	{"dup2", 2, {A_FD, A_FD}, 0},
	{"dup3", 3, {A_FD, A_FD, A_OFLAGS}, 0},
	{"execve", 3, {A_PATH, A_PTR, A_PTR}, 0},
	{"exit", 1, {A_INT}, 0},
	{"exit_group", 1, {A_INT}, 0},
	{"faccessat", 3, {A_FD, A_PATH, A_AMODE}, 0},
	{"faccessat2", 4, {A_FD, A_PATH, A_AMODE, A_ATFLAGS}, 0},
	{"fcntl", 3, {A_FD, A_FCNTL, A_HEX}, 0},
	{"fcntl64", 3, {A_FD, A_FCNTL, A_HEX}, 0},
	{"fstat", 2, {A_FD, A_STAT_OUT}, 0},
	{"fstat64", 2, {A_FD, A_PTR}, 0},
	{"fstatfs", 2, {A_FD, A_PTR}, 0},
	{"fstatfs64", 3, {A_FD, A_UINT, A_PTR}, 0},
	{"futex", 3, {A_PTR, A_FUTEX, A_INT}, 0},
	{"getcwd", 2, {A_STR_OUT, A_UINT}, 0},
	{"getdents64", 3, {A_FD, A_PTR, A_UINT}, 0},
	{"getegid", 0, {0}, 0},
	{"getegid32", 0, {0}, 0},
	{"geteuid", 0, {0}, 0},
	{"geteuid32", 0, {0}, 0},
	{"getgid", 0, {0}, 0},
	{"getgid32", 0, {0}, 0},
	{"getpid", 0, {0}, 0},
	{"getppid", 0, {0}, 0},
	{"getrandom", 3, {A_BUF_OUT, A_UINT, A_GRND}, 0},
	{"getrlimit", 2, {A_RLIMIT, A_RLIM_OUT}, 0},
	{"gettid", 0, {0}, 0},
	{"gettimeofday", 2, {A_PTR, A_PTR}, 0},
	{"getuid", 0, {0}, 0},
	{"getuid32", 0, {0}, 0},
	{"ioctl", 3, {A_FD, A_IOCTL, A_PTR}, 0},
	{"kill", 2, {A_INT, A_SIG}, 0},
	{"lseek", 3, {A_FD, A_INT, A_WHENCE}, 0},
	{"lstat", 2, {A_PATH, A_STAT_OUT}, 0},
	{"madvise", 3, {A_PTR, A_UINT, A_MADV}, 0},
	{"mincore", 3, {A_PTR, A_UINT, A_MINCORE_VEC}, 0},
	{"mlock", 2, {A_PTR, A_UINT}, 0},
	{"mlockall", 1, {A_MCL}, 0},
	{"mmap", 6, {A_PTR, A_UINT, A_PROT, A_MAPFLAGS, A_FD, A_OFF}, 1},
	{"mmap2", 6, {A_PTR, A_UINT, A_PROT, A_MAPFLAGS, A_FD, A_OFF}, 1},
	{"mprotect", 3, {A_PTR, A_UINT, A_PROT}, 0},
	{"mremap", 4, {A_PTR, A_UINT, A_UINT, A_MREMAP}, 1},
	{"munlock", 2, {A_PTR, A_UINT}, 0},
	{"munlockall", 0, {0}, 0},
	{"munmap", 2, {A_PTR, A_UINT}, 0},
	{"nanosleep", 2, {A_PTR, A_PTR}, 0},
	{"newfstatat", 4, {A_FD, A_PATH, A_STAT_OUT, A_ATFLAGS}, 0},
	{"open", 3, {A_PATH, A_OFLAGS, A_MODE}, 0},
	{"openat", 4, {A_FD, A_PATH, A_OFLAGS, A_MODE}, 0},
	{"pread64", 4, {A_FD, A_BUF_OUT, A_UINT, A_INT}, 0},
	{"prlimit64", 4, {A_INT, A_RLIMIT, A_RLIM_IN, A_RLIM_OUT}, 0},
	{"pwrite64", 4, {A_FD, A_BUF_IN, A_UINT, A_INT}, 0},
	{"read", 3, {A_FD, A_BUF_OUT, A_UINT}, 0},
	{"readlink", 3, {A_PATH, A_BUF_OUT, A_UINT}, 0},
	{"readlinkat", 4, {A_FD, A_PATH, A_BUF_OUT, A_UINT}, 0},
	{"readv", 3, {A_FD, A_PTR, A_INT}, 0},
	{"rseq", 4, {A_PTR, A_HEX, A_INT, A_HEX}, 0},
	{"rt_sigaction", 4, {A_SIG, A_PTR, A_PTR, A_UINT}, 0},
	{"rt_sigprocmask", 4, {A_SIGHOW, A_PTR, A_PTR, A_UINT}, 0},
	{"sched_yield", 0, {0}, 0},
	{"set_robust_list", 2, {A_PTR, A_UINT}, 0},
	{"set_thread_area", 1, {A_PTR}, 0},
	{"set_tid_address", 1, {A_PTR}, 0},
	{"sigaltstack", 2, {A_PTR, A_PTR}, 0},
	{"stat", 2, {A_PATH, A_STAT_OUT}, 0},
	{"statfs", 2, {A_PATH, A_PTR}, 0},
	{"statfs64", 3, {A_PATH, A_UINT, A_PTR}, 0},
	{"statx", 5, {A_FD, A_PATH, A_STATX_FLAGS, A_STATX_MASK, A_PTR}, 0},
	{"tgkill", 3, {A_INT, A_INT, A_SIG}, 0},
	{"time", 1, {A_PTR}, 0},
	{"ugetrlimit", 2, {A_RLIMIT, A_RLIM32_OUT}, 0},
	{"uname", 1, {A_PTR}, 0},
	{"write", 3, {A_FD, A_BUF_IN, A_UINT}, 0},
	{"writev", 3, {A_FD, A_PTR, A_INT}, 0},
};

struct flag_name {
	uint64_t value;
	const char *name;
};

#define END {0, NULL}

static const struct flag_name oflag_names[] = {
	{0100, "O_CREAT"},        {0200, "O_EXCL"},         {0400, "O_NOCTTY"},
	{01000, "O_TRUNC"},       {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},
	{04010000, "O_SYNC"},     {010000, "O_DSYNC"},      {020000, "O_ASYNC"},
	{040000, "O_DIRECT"},     {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"},
	{0400000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},
	{010000000, "O_PATH"},    {020200000, "O_TMPFILE"}, END,
};
static const struct flag_name prot_names[] = {
	{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}, {8, "PROT_SEM"},
	{0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"}, END,
};
static const struct flag_name mcl_names[] = {
	{1, "MCL_CURRENT"}, {2, "MCL_FUTURE"}, {4, "MCL_ONFAULT"}, END,
};
static const struct flag_name map_names[] = {
	{0x10, "MAP_FIXED"},         {0x20, "MAP_ANONYMOUS"},   {0x40, "MAP_32BIT"},
	{0x100, "MAP_GROWSDOWN"},    {0x800, "MAP_DENYWRITE"},  {0x1000, "MAP_EXECUTABLE"},
	{0x2000, "MAP_LOCKED"},      {0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"},
	{0x10000, "MAP_NONBLOCK"},   {0x20000, "MAP_STACK"},    {0x40000, "MAP_HUGETLB"},
	{0x80000, "MAP_SYNC"},       {0x100000, "MAP_FIXED_NOREPLACE"}, END,
};
static const struct flag_name mremap_names[] = {
	{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}, END,
};
static const struct flag_name atflag_names[] = {
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"},
	{0x800, "AT_NO_AUTOMOUNT"},     {0x1000, "AT_EMPTY_PATH"}, END,
};
static const struct flag_name statx_sync_names[] = {
	{0, "AT_STATX_SYNC_AS_STAT"}, {0x2000, "AT_STATX_FORCE_SYNC"}, {0x4000, "AT_STATX_DONT_SYNC"},
	END,
};
static const struct flag_name statx_mask_names[] = {
	{0x7ff, "STATX_BASIC_STATS"}, {0x1, "STATX_TYPE"},    {0x2, "STATX_MODE"},
	{0x4, "STATX_NLINK"},         {0x8, "STATX_UID"},     {0x10, "STATX_GID"},
	{0x20, "STATX_ATIME"},        {0x40, "STATX_MTIME"},  {0x80, "STATX_CTIME"},
	{0x100, "STATX_INO"},         {0x200, "STATX_SIZE"},  {0x400, "STATX_BLOCKS"},
	{0x800, "STATX_BTIME"},       {0x1000, "STATX_MNT_ID"}, END,
};
static const struct flag_name amode_names[] = {
	{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}, END,
};
static const struct flag_name grnd_names[] = {
	{1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}, END,
};
static const struct flag_name madv_names[] = {
	{0, "MADV_NORMAL"},   {1, "MADV_RANDOM"},      {2, "MADV_SEQUENTIAL"},
	{3, "MADV_WILLNEED"}, {4, "MADV_DONTNEED"},    {8, "MADV_FREE"},
	{9, "MADV_REMOVE"},   {10, "MADV_DONTFORK"},   {11, "MADV_DOFORK"},
	{12, "MADV_MERGEABLE"}, {13, "MADV_UNMERGEABLE"}, {14, "MADV_HUGEPAGE"},
	{15, "MADV_NOHUGEPAGE"}, {16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"}, END,
};
static const struct flag_name whence_names[] = {
	{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}, END,
};
static const struct flag_name sighow_names[] = {
	{0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}, END,
};
static const struct flag_name clock_names[] = {
	{0, "CLOCK_REALTIME"},         {1, "CLOCK_MONOTONIC"},
	{2, "CLOCK_PROCESS_CPUTIME_ID"}, {3, "CLOCK_THREAD_CPUTIME_ID"},
	{4, "CLOCK_MONOTONIC_RAW"},    {5, "CLOCK_REALTIME_COARSE"},
	{6, "CLOCK_MONOTONIC_COARSE"}, {7, "CLOCK_BOOTTIME"}, END,
};
static const struct flag_name rlimit_names[] = {
	{0, "RLIMIT_CPU"},     {1, "RLIMIT_FSIZE"},   {2, "RLIMIT_DATA"},      {3, "RLIMIT_STACK"},
	{4, "RLIMIT_CORE"},    {5, "RLIMIT_RSS"},     {6, "RLIMIT_NPROC"},     {7, "RLIMIT_NOFILE"},
	{8, "RLIMIT_MEMLOCK"}, {9, "RLIMIT_AS"},      {10, "RLIMIT_LOCKS"},    {11, "RLIMIT_SIGPENDING"},
	{12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"}, {14, "RLIMIT_RTPRIO"},   {15, "RLIMIT_RTTIME"},
	END,
};
static const struct flag_name arch_names[] = {
	{0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"}, {0x1003, "ARCH_GET_FS"},
	{0x1004, "ARCH_GET_GS"}, {0x1011, "ARCH_GET_CPUID"}, {0x1012, "ARCH_SET_CPUID"}, END,
};
static const struct flag_name ioctl_names[] = {
	{0x5401, "TCGETS"},     {0x5402, "TCSETS"},     {0x5403, "TCSETSW"},  {0x5404, "TCSETSF"},
	{0x540f, "TIOCGPGRP"},  {0x5410, "TIOCSPGRP"},  {0x5413, "TIOCGWINSZ"},
	{0x5414, "TIOCSWINSZ"}, {0x541b, "FIONREAD"},   END,
};
static const struct flag_name fcntl_names[] = {
	{0, "F_DUPFD"}, {1, "F_GETFD"},  {2, "F_SETFD"},  {3, "F_GETFL"},          {4, "F_SETFL"},
	{5, "F_GETLK"}, {6, "F_SETLK"},  {7, "F_SETLKW"}, {1030, "F_DUPFD_CLOEXEC"}, END,
};
static const struct flag_name futex_names[] = {
	{0, "FUTEX_WAIT"}, {1, "FUTEX_WAKE"}, {2, "FUTEX_FD"}, {3, "FUTEX_REQUEUE"},
	{4, "FUTEX_CMP_REQUEUE"}, {5, "FUTEX_WAKE_OP"}, {9, "FUTEX_WAIT_BITSET"},
	{10, "FUTEX_WAKE_BITSET"}, END,
};

static const char *const sig_names[] = {
	NULL,      "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
	"SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
	"SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
	"SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
	"SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig < (int)(sizeof(sig_names) / sizeof(sig_names[0])))
		return sig_names[sig];
	return NULL;
}

static const struct syscall_sig *find_sig(const char *name)
{
	size_t lo = 0, hi = sizeof(sigs) / sizeof(sigs[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, sigs[mid].name);
		if (!c)
			return &sigs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *lookup(const struct flag_name *t, uint64_t v)
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	return NULL;
}

/* Flags as NAME|NAME|0x..., in table order; zero prints zero_name. */
static void print_flags(struct seq_file *m, const struct flag_name *t, uint64_t v,
			const char *zero_name)
{
	if (!v) {
		seq_puts(m, zero_name);
		return;
	}
	const char *sep = "";
	for (; t->name; t++) {
		if (t->value && (v & t->value) == t->value) {
			seq_printf(m, "%s%s", sep, t->name);
			v &= ~t->value;
			sep = "|";
		}
	}
	if (v)
		seq_printf(m, "%s%#llx", sep, (unsigned long long)v);
}

static void print_enum(struct seq_file *m, const struct flag_name *t, uint64_t v)
{
	const char *name = lookup(t, v);
	if (name)
		seq_puts(m, name);
	else
		seq_printf(m, "%#llx", (unsigned long long)v);
}

/* strace's quoting: the whole string in \x escapes if any byte is neither printable nor
 * whitespace; otherwise C escapes for whitespace, quote and backslash. */
static void print_quoted(struct seq_file *m, const uint8_t *s, size_t len, bool truncated)
{
	bool hex = false;
	for (size_t i = 0; i < len; i++)
		if (s[i] > 0x7e || (s[i] < ' ' && (unsigned)(s[i] - 9) >= 5))
			hex = true;
	seq_putc(m, '"');
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		if (hex) {
			seq_printf(m, "\\x%02x", c);
			continue;
		}
		switch (c) {
		case '\t': seq_puts(m, "\\t"); break;
		case '\n': seq_puts(m, "\\n"); break;
		case '\v': seq_puts(m, "\\v"); break;
		case '\f': seq_puts(m, "\\f"); break;
		case '\r': seq_puts(m, "\\r"); break;
		case '"': seq_puts(m, "\\\""); break;
		case '\\': seq_puts(m, "\\\\"); break;
		default: seq_putc(m, (char)c);
		}
	}
	seq_putc(m, '"');
	if (truncated)
		seq_puts(m, "...");
}

#define STRACE_STRLEN 32 /* strace's default -s */
#define STRACE_PATHMAX 4096

static void print_ptr(struct seq_file *m, uint64_t p)
{
	if (p)
		seq_printf(m, "%#llx", (unsigned long long)p);
	else
		seq_puts(m, "NULL");
}

/* A buffer of len bytes at addr, at most STRACE_STRLEN of them shown. */
static void print_buffer(struct seq_file *m, const struct strace_user *u, uint64_t addr,
			 uint64_t len)
{
	uint8_t buf[STRACE_STRLEN];
	size_t want = len < STRACE_STRLEN ? (size_t)len : STRACE_STRLEN;
	if (!addr || u->read(u->ctx, addr, buf, want) != want) {
		print_ptr(m, addr);
		return;
	}
	print_quoted(m, buf, want, len > STRACE_STRLEN);
}

/* mincore's vector for len bytes: each page's residency bit, at most STRACE_STRLEN shown. */
static void print_mincore_vec(struct seq_file *m, const struct strace_user *u, uint64_t addr,
			      uint64_t len)
{
	uint8_t buf[STRACE_STRLEN];
	uint64_t pages = len / 4096 + (len % 4096 != 0);
	size_t want = pages < STRACE_STRLEN ? (size_t)pages : STRACE_STRLEN;
	if (!addr || u->read(u->ctx, addr, buf, want) != want) {
		print_ptr(m, addr);
		return;
	}
	seq_puts(m, "[");
	for (size_t i = 0; i < want; i++)
		seq_printf(m, "%s%u", i ? ", " : "", buf[i] & 1);
	seq_puts(m, pages > want ? ", ...]" : "]");
}

/* A NUL-terminated string at addr, at most max bytes shown. */
static void print_string(struct seq_file *m, const struct strace_user *u, uint64_t addr,
			 size_t max)
{
	uint8_t *buf = malloc(max + 1);
	size_t got = addr ? u->read(u->ctx, addr, buf, max + 1) : 0;
	size_t len = 0;
	while (len < got && buf[len])
		len++;
	if (!addr || (len == got && got <= max))
		print_ptr(m, addr); /* unreadable, or no NUL before the end of readable memory */
	else
		print_quoted(m, buf, len > max ? max : len, len > max);
	free(buf);
}

static void print_rlim_value(struct seq_file *m, uint64_t v, bool rlim32)
{
	if (rlim32 && v == 0xffffffffULL)
		seq_puts(m, "RLIM_INFINITY");
	else if (v == ~0ULL)
		seq_puts(m, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		seq_printf(m, "%llu*1024", (unsigned long long)(v / 1024));
	else
		seq_printf(m, "%llu", (unsigned long long)v);
}

/* struct rlimit: two 64-bit values, or two 32-bit ones for i386's ugetrlimit. */
static void print_rlimit(struct seq_file *m, const struct strace_user *u, uint64_t addr,
			 bool rlim32)
{
	uint64_t lim[2];
	uint32_t lim32[2];
	size_t size = rlim32 ? sizeof(lim32) : sizeof(lim);
	if (!addr || u->read(u->ctx, addr, rlim32 ? (void *)lim32 : (void *)lim, size) != size) {
		print_ptr(m, addr);
		return;
	}
	if (rlim32) {
		lim[0] = lim32[0];
		lim[1] = lim32[1];
	}
	seq_puts(m, "{rlim_cur=");
	print_rlim_value(m, lim[0], rlim32);
	seq_puts(m, ", rlim_max=");
	print_rlim_value(m, lim[1], rlim32);
	seq_putc(m, '}');
}

/* struct stat as x86-64 lays it out: st_mode at 24, st_rdev at 40, st_size at 48. */
static void print_stat(struct seq_file *m, const struct strace_user *u, uint64_t addr)
{
	uint8_t st[144];
	if (!addr || u->read(u->ctx, addr, st, sizeof(st)) != sizeof(st)) {
		print_ptr(m, addr);
		return;
	}
	uint32_t mode;
	uint64_t rdev, size;
	memcpy(&mode, st + 24, 4);
	memcpy(&rdev, st + 40, 8);
	memcpy(&size, st + 48, 8);
	static const struct flag_name types[] = {
		{0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"},
		{0060000, "S_IFBLK"},  {0040000, "S_IFDIR"}, {0020000, "S_IFCHR"},
		{0010000, "S_IFIFO"},  END,
	};
	const char *type = lookup(types, mode & 0170000);
	seq_printf(m, "{st_mode=%s|%#o, ", type ? type : "0", mode & 07777);
	if ((mode & 0170000) == 0020000 || (mode & 0170000) == 0060000) {
		unsigned major = (unsigned)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffULL));
		unsigned minor = (unsigned)((rdev & 0xff) | ((rdev >> 12) & ~0xffULL));
		seq_printf(m, "st_rdev=makedev(%#x, %#x), ...}", major, minor);
	} else {
		seq_printf(m, "st_size=%llu, ...}", (unsigned long long)size);
	}
}

static void print_fd(struct seq_file *m, int64_t fd)
{
	if ((int)fd == -100)
		seq_puts(m, "AT_FDCWD");
	else
		seq_printf(m, "%d", (int)fd);
}

static void print_oflags(struct seq_file *m, uint64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	seq_puts(m, acc[v & 3]);
	v &= ~3ULL;
	if (v) {
		seq_putc(m, '|');
		print_flags(m, oflag_names, v, "0");
	}
}

static void print_sig(struct seq_file *m, int64_t sig)
{
	const char *name = signal_name((int)sig);
	if (name)
		seq_puts(m, name);
	else if (sig >= 32 && sig <= 64)
		seq_printf(m, "SIGRT_%d", (int)sig - 32);
	else
		seq_printf(m, "%d", (int)sig);
}

static void print_futex_op(struct seq_file *m, uint64_t op)
{
	print_enum(m, futex_names, op & 127);
	if (op & 128)
		seq_puts(m, "_PRIVATE");
}

struct call {
	const struct syscall_sig *sig;
	const struct strace_user *u;
	uint64_t a[6];   /* arguments, truncated to 32 bits for i386 */
	int64_t ret;
	bool done;       /* the call returned (output arguments are valid) */
};

static void print_arg(struct seq_file *m, const struct call *c, int i)
{
	uint64_t v = c->a[i];
	bool ok = c->done && c->ret >= 0;
	switch (c->sig->arg[i]) {
	case A_INT: seq_printf(m, "%lld", (long long)(int64_t)v); break;
	case A_UINT: seq_printf(m, "%llu", (unsigned long long)v); break;
	case A_HEX: seq_printf(m, "%#llx", (unsigned long long)v); break;
	case A_PTR: print_ptr(m, v); break;
	case A_OFF: seq_printf(m, v ? "%#llx" : "%llu", (unsigned long long)v); break;
	case A_PATH: print_string(m, c->u, v, STRACE_PATHMAX); break;
	case A_BUF_IN: print_buffer(m, c->u, v, c->a[i + 1]); break;
	case A_BUF_OUT:
		if (ok)
			print_buffer(m, c->u, v, (uint64_t)c->ret);
		else
			print_ptr(m, v);
		break;
	case A_STR_OUT:
		if (ok)
			print_string(m, c->u, v, STRACE_PATHMAX);
		else
			print_ptr(m, v);
		break;
	case A_FD: print_fd(m, (int64_t)v); break;
	case A_OFLAGS: print_oflags(m, v); break;
	case A_MODE: seq_printf(m, "%#llo", (unsigned long long)v); break;
	case A_PROT: print_flags(m, prot_names, v, "PROT_NONE"); break;
	case A_MAPFLAGS: {
		static const char *const type[] = {"0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"};
		seq_puts(m, type[v & 3]);
		if (v & ~3ULL) {
			seq_putc(m, '|');
			print_flags(m, map_names, v & ~3ULL, "0");
		}
		break;
	}
	case A_MREMAP: print_flags(m, mremap_names, v, "0"); break;
	case A_MADV: print_enum(m, madv_names, v); break;
	case A_MCL: print_flags(m, mcl_names, v, "0"); break;
	case A_MINCORE_VEC:
		if (ok)
			print_mincore_vec(m, c->u, v, c->a[i - 1]);
		else
			print_ptr(m, v);
		break;
	case A_WHENCE: print_enum(m, whence_names, v); break;
	case A_ATFLAGS: print_flags(m, atflag_names, v, "0"); break;
	case A_AMODE: print_flags(m, amode_names, v, "F_OK"); break;
	case A_SIG: print_sig(m, (int64_t)v); break;
	case A_SIGHOW: print_enum(m, sighow_names, v); break;
	case A_CLOCK: print_enum(m, clock_names, v); break;
	case A_RLIMIT: print_enum(m, rlimit_names, v); break;
	case A_RLIM_IN: print_rlimit(m, c->u, v, false); break;
	case A_RLIM_OUT:
	case A_RLIM32_OUT:
		if (ok)
			print_rlimit(m, c->u, v, c->sig->arg[i] == A_RLIM32_OUT);
		else
			print_ptr(m, v);
		break;
	case A_ARCHCODE: print_enum(m, arch_names, v); break;
	case A_GRND: print_flags(m, grnd_names, v, "0"); break;
	case A_IOCTL: print_enum(m, ioctl_names, v); break;
	case A_FCNTL: print_enum(m, fcntl_names, v); break;
	case A_FUTEX: print_futex_op(m, v); break;
	case A_STATX_FLAGS:
		print_enum(m, statx_sync_names, v & 0x6000);
		if (v & ~0x6000ULL) {
			seq_putc(m, '|');
			print_flags(m, atflag_names, v & ~0x6000ULL, "0");
		}
		break;
	case A_STATX_MASK: print_flags(m, statx_mask_names, v, "0"); break;
	case A_STAT_OUT:
		if (ok)
			print_stat(m, c->u, v);
		else
			print_ptr(m, v);
		break;
	}
}

/* How many arguments this call shows: open/openat show the mode only with O_CREAT or
 * O_TMPFILE, mremap the new address only with MREMAP_FIXED, as strace does. */
static int shown_args(const struct call *c)
{
	const char *n = c->sig->name;
	if (!strcmp(n, "open") || !strcmp(n, "openat")) {
		uint64_t flags = c->a[c->sig->nargs - 2];
		if (!(flags & 0100) && (flags & 020200000) != 020200000)
			return c->sig->nargs - 1;
	}
	if (!strcmp(n, "mremap") && (c->a[3] & 2))
		return 5;
	return c->sig->nargs;
}

static void print_result(struct seq_file *m, const struct call *c, size_t line_start, bool noreturn)
{
	size_t col = m->count - line_start;
	if (col < 39)
		seq_printf(m, "%*s", (int)(39 - col), "");
	seq_puts(m, " = ");
	if (noreturn) {
		seq_puts(m, "?\n");
		return;
	}
	int64_t r = c->ret;
	if (r < 0 && r >= -4095) {
		int e = (int)-r;
		const char *name = e < NR_ERRNO_NAMES ? errno_names[e] : NULL;
		if (name)
			seq_printf(m, "-1 %s (%s)\n", name, strerror(e));
		else
			seq_printf(m, "-1 E??? (errno %d)\n", e);
		return;
	}
	if (c->sig && c->sig->ret_hex)
		seq_printf(m, "%#llx\n", (unsigned long long)r);
	else
		seq_printf(m, "%lld\n", (long long)r);
}

void strace_syscall(struct seq_file *m, const struct strace_user *u, bool abi32, unsigned long nr,
		    const uint64_t args[6], int64_t ret, bool noreturn)
{
	struct call c = {NULL, u, {0}, ret, !noreturn};
	size_t start = m->count;
	for (int i = 0; i < 6; i++)
		c.a[i] = abi32 ? (uint32_t)args[i] : args[i];
	if (abi32 && ret > 0)
		c.ret = (int64_t)(uint32_t)ret;
	const char *name = syscall_name(nr, abi32);
	c.sig = name ? find_sig(name) : NULL;
	if (!c.sig) {
		/* No signature: six raw arguments, as strace prints an unknown call. */
		if (name)
			seq_printf(m, "%s(", name);
		else
			seq_printf(m, "syscall_%#lx(", nr);
		for (int i = 0; i < 6; i++)
			seq_printf(m, "%s%#llx", i ? ", " : "", (unsigned long long)c.a[i]);
	} else {
		seq_printf(m, "%s(", name);
		int n = shown_args(&c);
		for (int i = 0; i < n; i++) {
			if (i)
				seq_puts(m, ", ");
			print_arg(m, &c, i);
		}
	}
	seq_putc(m, ')');
	print_result(m, &c, start, noreturn);
}

void strace_exit(struct seq_file *m, int status)
{
	seq_printf(m, "+++ exited with %d +++\n", status);
}

void strace_killed(struct seq_file *m, int sig, bool core)
{
	seq_puts(m, "+++ killed by ");
	print_sig(m, sig);
	seq_puts(m, core ? " (core dumped) +++\n" : " +++\n");
}

void strace_signal(struct seq_file *m, int sig, int si_code, uint64_t si_addr)
{
	static const struct flag_name segv_codes[] = {
		{1, "SEGV_MAPERR"}, {2, "SEGV_ACCERR"}, {3, "SEGV_BNDERR"}, {4, "SEGV_PKUERR"}, END,
	};
	static const struct flag_name generic_codes[] = {
		{0, "SI_USER"}, {0x80, "SI_KERNEL"}, {(uint64_t)-6, "SI_TKILL"}, END,
	};
	seq_puts(m, "--- ");
	print_sig(m, sig);
	seq_puts(m, " {si_signo=");
	print_sig(m, sig);
	const char *code = sig == 11 ? lookup(segv_codes, (uint64_t)si_code) : NULL;
	if (!code)
		code = lookup(generic_codes, (uint64_t)(int64_t)si_code);
	if (code)
		seq_printf(m, ", si_code=%s", code);
	else
		seq_printf(m, ", si_code=%d", si_code);
	if (sig == 11 || sig == 7 || sig == 4 || sig == 8) {
		seq_puts(m, ", si_addr=");
		print_ptr(m, si_addr);
	}
	seq_puts(m, "} ---\n");
}
