/* No libc: write(1, msg, len) and exit(0) through INT 0x80, as 32-bit Linux takes them. */
	.globl _start
	.text
_start:
	mov	$4, %eax		/* __NR_write (i386) */
	mov	$1, %ebx
	mov	$msg, %ecx
	mov	$len, %edx
	int	$0x80
	mov	$252, %eax		/* __NR_exit_group (i386) */
	xor	%ebx, %ebx
	int	$0x80
	.section .rodata
msg:	.ascii	"hello from 32-bit assembly\n"
	.set	len, . - msg
	.section .note.GNU-stack,"",@progbits
