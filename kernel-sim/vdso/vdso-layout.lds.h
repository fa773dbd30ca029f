/* One read-execute PT_LOAD holding headers, symbols and code, as Linux's vdso-layout.lds.S:
 * the whole vDSO fits in its two pages. */
SECTIONS
{
	. = SIZEOF_HEADERS;
	.hash : { *(.hash) } :text
	.gnu.hash : { *(.gnu.hash) }
	.dynsym : { *(.dynsym) }
	.dynstr : { *(.dynstr) }
	.gnu.version : { *(.gnu.version) }
	.gnu.version_d : { *(.gnu.version_d) }
	.gnu.version_r : { *(.gnu.version_r) }
	.dynamic : { *(.dynamic) } :text :dynamic
	.rodata : { *(.rodata*) } :text
	.eh_frame_hdr : { *(.eh_frame_hdr) } :text
	.eh_frame : { KEEP (*(.eh_frame)) } :text
	.text : { *(.text*) } :text =0x90909090
	/DISCARD/ : { *(.note.GNU-stack) *(.comment) }
}

PHDRS
{
	text PT_LOAD FLAGS(5) FILEHDR PHDRS;
	dynamic PT_DYNAMIC FLAGS(4);
}
