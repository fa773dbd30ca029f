/*
 * cpu/disas.c - the -d in_asm instruction log and one-instruction disassembly, through
 * Capstone in Intel syntax.
 *
 * The log follows QEMU's in_asm: code is logged when it is first decoded (here: at a miss
 * of the decoded-instruction cache, QEMU: at translation), and a run of consecutive
 * instructions up to a control transfer forms a block under an "IN:" header:
 *
 *     ----------------
 *     IN:
 *     0x0000000000401000:  mov rax, 1
 *     0x0000000000401007:  syscall
 *
 * Reading guest code for disassembly (cpu_disas_one) walks the page tables with mmu_probe,
 * so that a debugger's look changes neither the TLBs nor their statistics.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"

struct disas {
	csh handle[3]; /* 16-, 32- and 64-bit; 0 when not opened */
	bool opened[3];
};

static int mode_index(unsigned mode)
{
	return mode == X86_MODE_64 ? 2 : mode == X86_MODE_32 ? 1 : 0;
}

/* The Capstone handle for mode, opened on first use; NULL when Capstone fails. */
static csh *handle_for(struct cpu *cpu, unsigned mode)
{
	static const cs_mode cs_modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
	int i = mode_index(mode);
	if (!cpu->disas && !(cpu->disas = calloc(1, sizeof(*cpu->disas))))
		return NULL;
	if (!cpu->disas->opened[i]) {
		if (cs_open(CS_ARCH_X86, cs_modes[i], &cpu->disas->handle[i]) != CS_ERR_OK)
			return NULL;
		cpu->disas->opened[i] = true;
	}
	return &cpu->disas->handle[i];
}

void cpu_disas_close(struct cpu *cpu)
{
	if (!cpu->disas)
		return;
	for (int i = 0; i < 3; i++)
		if (cpu->disas->opened[i])
			cs_close(&cpu->disas->handle[i]);
	free(cpu->disas);
	cpu->disas = NULL;
}

/* Formats one instruction of bytes (n available) at address la; returns its length or 0. */
static int format_insn(struct cpu *cpu, unsigned mode, uint64_t la, const uint8_t *bytes, size_t n,
		       char *buf, size_t len)
{
	csh *h = handle_for(cpu, mode);
	cs_insn *insn;
	if (!h || cs_disasm(*h, bytes, n, la, 1, &insn) != 1) {
		snprintf(buf, len, "(bad)");
		return 0;
	}
	int size = (int)insn->size;
	/* The whole text first, then as much as the caller's buffer holds (a log line may be
	 * cut; the compiler cannot prove a direct snprintf never truncates). */
	char text[sizeof(insn->mnemonic) + sizeof(insn->op_str) + 2];
	snprintf(text, sizeof(text), insn->op_str[0] ? "%s %s" : "%s", insn->mnemonic, insn->op_str);
	size_t tlen = strlen(text);
	if (len) {
		tlen = tlen < len - 1 ? tlen : len - 1;
		memcpy(buf, text, tlen);
		buf[tlen] = '\0';
	}
	cs_free(insn, 1);
	return size;
}

/*
 * Does in end a block, as a control transfer ends a QEMU translation block? Jcc, JMP,
 * CALL, RET, LOOP/JrCXZ, INT n/INT3/INTO/INT1, IRET, HLT, UD2, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT and the indirect and far forms of group 5.
 */
static bool ends_block(const struct x86_instr *in)
{
	uint8_t op = in->opcode;
	if (in->map == 1)
		return (op >= 0x80 && op <= 0x8f) || op == 0x05 || op == 0x07 || op == 0x0b ||
		       op == 0x34 || op == 0x35;
	if (in->map != 0)
		return false;
	if ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || (op >= 0xe8 && op <= 0xeb))
		return true;
	if (op == 0xff)
		return ((in->modrm >> 3) & 7) >= 2 && ((in->modrm >> 3) & 7) <= 5;
	return op == 0xc2 || op == 0xc3 || op == 0xca || op == 0xcb || (op >= 0xcc && op <= 0xcf) ||
	       op == 0x9a || op == 0xf1 || op == 0xf4;
}

void cpu_log_insn(struct cpu *cpu, uint64_t la, const uint8_t *bytes, const struct x86_instr *in)
{
	char text[160];
	format_insn(cpu, cpu->mode, la, bytes, in->len, text, sizeof(text));
	if (la != cpu->log_next)
		fprintf(cpu->log_in_asm, "----------------\nIN: \n");
	fprintf(cpu->log_in_asm, "0x%016" PRIx64 ":  %s\n", la, text);
	cpu->log_next = ends_block(in) ? ~0ULL : la + in->len;
}

void cpu_set_log_in_asm(struct cpu *cpu, FILE *out)
{
	cpu->log_in_asm = out;
	cpu->log_next = ~0ULL;
	/* Cached code was decoded before logging began: decode it again to log it. */
	cpu_icache_flush(cpu);
}

int cpu_disas_one(struct cpu *cpu, uint64_t la, char *buf, size_t len)
{
	uint8_t bytes[X86_MAX_INSN_LEN];
	size_t n = 0;
	for (; n < sizeof(bytes); n++) {
		struct mmu_walk_trace tr;
		uint64_t a = la + n;
		if (cpu->mmu->mode == PG_MODE_NONE)
			tr.pa = a & 0xffffffffULL;
		else if (!mmu_probe(cpu->mmu, a, &tr))
			break;
		if (!bus_is_ram(cpu->mmu->bus, tr.pa))
			break;
		bus_read(cpu->mmu->bus, tr.pa, &bytes[n], 1);
	}
	if (n == 0) {
		snprintf(buf, len, "(unmapped)");
		return 0;
	}
	return format_insn(cpu, cpu->mode, la, bytes, n, buf, len);
}
