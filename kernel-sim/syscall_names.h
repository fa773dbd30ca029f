/* System call names by number, for strace output and "unknown system call" reports. */
#ifndef KSIM_SYSCALL_NAMES_H
#define KSIM_SYSCALL_NAMES_H

#define NR_SYSCALLS_64 451
#define NR_SYSCALLS_32 451

extern const char *const syscall_names_64[NR_SYSCALLS_64];
extern const char *const syscall_names_32[NR_SYSCALLS_32];

/* The name of system call nr in the 64-bit (abi32 false) or i386 table, or NULL. */
static inline const char *syscall_name(unsigned long nr, int abi32)
{
	if (abi32)
		return nr < NR_SYSCALLS_32 ? syscall_names_32[nr] : 0;
	return nr < NR_SYSCALLS_64 ? syscall_names_64[nr] : 0;
}

#endif /* KSIM_SYSCALL_NAMES_H */
