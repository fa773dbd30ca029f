/*
 * The 32-bit vDSO for i386 programs, as Linux's vdso32.so: __kernel_vsyscall (AT_SYSINFO,
 * the way glibc makes every system call) and the time functions, all entering the kernel
 * with INT 0x80. The cdecl functions move their stack arguments into the system call's
 * registers.
 */
	.text
	.globl __kernel_vsyscall
	.type __kernel_vsyscall, @function
__kernel_vsyscall:
	int	$0x80
	ret
	.size __kernel_vsyscall, . - __kernel_vsyscall

	.macro vdso_syscall2 name, nr
	.globl \name
	.type \name, @function
\name:
	push	%ebx
	mov	8(%esp), %ebx
	mov	12(%esp), %ecx
	mov	$\nr, %eax
	int	$0x80
	pop	%ebx
	ret
	.size \name, . - \name
	.endm

	vdso_syscall2 __vdso_clock_gettime, 265
	vdso_syscall2 __vdso_gettimeofday, 78
	vdso_syscall2 __vdso_time, 13
	vdso_syscall2 __vdso_clock_getres, 266
	vdso_syscall2 __vdso_clock_gettime64, 403

/* Signal return trampolines (Linux's vdso32/sigreturn.S): the kernel points a handler's
 * return address here when sigaction gave no SA_RESTORER, as i386 glibc does. */
	.globl __kernel_sigreturn
	.type __kernel_sigreturn, @function
__kernel_sigreturn:
	popl	%eax
	movl	$119, %eax		/* __NR_sigreturn */
	int	$0x80
	.size __kernel_sigreturn, . - __kernel_sigreturn

	.globl __kernel_rt_sigreturn
	.type __kernel_rt_sigreturn, @function
__kernel_rt_sigreturn:
	movl	$173, %eax		/* __NR_rt_sigreturn */
	int	$0x80
	.size __kernel_rt_sigreturn, . - __kernel_rt_sigreturn

	.section .note.GNU-stack,"",@progbits
