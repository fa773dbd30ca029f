/*
 * The 64-bit vDSO mmemu maps into every x86-64 program, as Linux maps its vdso64.so: the
 * time functions glibc and musl look up through AT_SYSINFO_EHDR. Linux computes them from
 * the [vvar] page without entering the kernel; here each one enters the kernel with
 * SYSCALL, so the result is the kernel's virtual time exactly. Arguments are already where
 * the system call wants them.
 */
	.text
	.macro vdso_syscall name, nr
	.globl \name
	.type \name, @function
\name:
	mov	$\nr, %eax
	syscall
	ret
	.size \name, . - \name
	.endm

	vdso_syscall __vdso_clock_gettime, 228
	vdso_syscall __vdso_gettimeofday, 96
	vdso_syscall __vdso_time, 201
	vdso_syscall __vdso_clock_getres, 229
	vdso_syscall __vdso_getcpu, 309

	.section .note.GNU-stack,"",@progbits
