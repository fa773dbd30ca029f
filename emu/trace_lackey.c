/*
 * Importing Valgrind lackey traces (`valgrind --tool=lackey --trace-mem=yes PROG`), as text
 * or gzip-compressed text. Lackey prints one line per access of the program:
 *
 *   I  0023C790,2      instruction fetch of 2 bytes
 *    L BE801950,4      load
 *    S BE80199C,4      store
 *    M 0025747C,1      modify: a load and a store of the same bytes
 *
 * and Valgrind's own messages start with "==PID==". The accesses are replayed as a
 * user-mode process on a fresh MMU in 4-level paging: each page the program touches
 * first faults (not present) and is then given a frame, as demand paging does for a
 * process that has every page it uses mapped but not yet populated.
 */
#include "emu/trace_lackey.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mmu/paging.h"

/* Parses one lackey line: kind (MMU_READ/WRITE/FETCH; M gives MMU_WRITE with *modify),
 * address and size. 1 for an access, 0 for a line to skip, -1 for a malformed one. */
int lackey_parse_line(const char *line, unsigned *kind, bool *modify, uint64_t *la,
		      unsigned *size)
{
	const char *p = line;
	if (*p == '=' || *p == '\n' || *p == '\0' || *p == '-')
		return 0; /* Valgrind's messages, blank lines */
	while (*p == ' ')
		p++;
	*modify = false;
	switch (*p) {
	case 'I': *kind = MMU_FETCH; break;
	case 'L': *kind = MMU_READ; break;
	case 'S': *kind = MMU_WRITE; break;
	case 'M':
		*kind = MMU_WRITE;
		*modify = true;
		break;
	default: return -1;
	}
	p++;
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	char *end;
	unsigned long long a = strtoull(p, &end, 16);
	if (end == p || *end != ',')
		return -1;
	p = end + 1;
	unsigned long s = strtoul(p, &end, 10);
	if (end == p || (*end != '\n' && *end != '\0' && *end != '\r') || s == 0 || s > 4096)
		return -1;
	*la = a;
	*size = (unsigned)s;
	return 1;
}

/* Long mode with 4-level paging on an empty root, CPL 3: a process with nothing mapped. */
static int setup_process(struct lackey_replay *lr)
{
	struct replay *r = &lr->r;
	struct x86_fault f;
	lr->next_frame = 2 << 20; /* above low memory, as a kernel leaves it */
	uint64_t root = r->arena_next;
	r->arena_next += 4096;
	if (!mmu_set_cr4(&r->mmu, CR4_PAE | CR4_PGE, &f) ||
	    !mmu_set_efer(&r->mmu, EFER_LME | EFER_NXE, &f) || !mmu_set_cr3(&r->mmu, root, &f) ||
	    !mmu_set_cr0(&r->mmu, CR0_PE | CR0_PG | CR0_WP, &f)) {
		snprintf(r->err, sizeof(r->err), "cannot set up 4-level paging");
		return -1;
	}
	mmu_set_cpl(&r->mmu, 3);
	return 0;
}

int lackey_replay_init(struct lackey_replay *lr, uint64_t ram, const struct tlb_config *cfg)
{
	memset(lr, 0, sizeof(*lr));
	if (replay_init(&lr->r, ram, cfg, false) < 0)
		return -1;
	lr->ram = ram;
	return setup_process(lr);
}

/* Maps the 4K page of la to the next free frame (user, writable), building the tables. */
static int map_page(struct lackey_replay *lr, uint64_t la)
{
	struct replay *r = &lr->r;
	if (lr->next_frame + 4096 > lr->ram) {
		snprintf(r->err, sizeof(r->err), "out of memory: the program touches more than "
						 "-m allows (swap is not modelled in replay)");
		return -1;
	}
	struct trace_event ev = {.type = TEV_WALK, .la = la, .nsteps = 4};
	for (unsigned i = 0; i < 3; i++)
		ev.step[i] = (struct mmu_walk_step){.level = (uint8_t)(PG_PML4 + i),
						    .entry = PTE_P | PTE_RW | PTE_US};
	ev.step[3] = (struct mmu_walk_step){.level = PG_PT,
					    .entry = lr->next_frame | PTE_P | PTE_RW | PTE_US};
	lr->next_frame += 4096;
	lr->pages++;
	return replay_event(r, &ev);
}

/* One page's part of an access: translate; a not-present fault maps the page and retries,
 * as the kernel's demand paging would. */
static int access_page(struct lackey_replay *lr, uint64_t la, unsigned kind)
{
	struct replay *r = &lr->r;
	uint64_t pa;
	struct x86_fault f;
	r->accesses++;
	if (mmu_fast_lookup(&r->mmu, la, 1, kind) || mmu_translate(&r->mmu, la, kind, &pa, &f))
		return 0;
	if (f.vector != X86_VEC_PF || (f.error_code & PF_ERR_P)) {
		snprintf(r->err, sizeof(r->err), "address %#llx cannot be replayed (fault %u)",
			 (unsigned long long)la, f.vector);
		return -1;
	}
	lr->page_faults++;
	r->faults++;
	if (map_page(lr, la) < 0)
		return -1;
	return mmu_translate(&r->mmu, la, kind, &pa, &f) ? 0 : -1;
}

int lackey_replay_access(struct lackey_replay *lr, uint64_t la, unsigned size, unsigned kind)
{
	uint64_t last = la + size - 1;
	if (access_page(lr, la, kind) < 0)
		return -1;
	for (uint64_t p = (la | 0xfff) + 1; p && p <= last; p += 4096)
		if (access_page(lr, p, kind) < 0)
			return -1;
	return 0;
}

int lackey_replay_file(struct lackey_replay *lr, const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char line[512];
	uint64_t lineno = 0;
	if (!gz) {
		snprintf(lr->r.err, sizeof(lr->r.err), "%s: cannot open", path);
		return -1;
	}
	int ret = 0;
	while (gzgets(gz, line, sizeof(line))) {
		unsigned kind, size;
		bool modify;
		uint64_t la;
		lineno++;
		int k = lackey_parse_line(line, &kind, &modify, &la, &size);
		if (k < 0) {
			snprintf(lr->r.err, sizeof(lr->r.err), "%s:%llu: not a lackey line", path,
				 (unsigned long long)lineno);
			ret = -1;
			break;
		}
		if (k == 0)
			continue;
		lr->lines++;
		if ((modify && lackey_replay_access(lr, la, size, MMU_READ) < 0) ||
		    lackey_replay_access(lr, la, size, kind) < 0) {
			ret = -1;
			break;
		}
	}
	int errnum = 0;
	if (ret == 0 && !gzeof(gz) && (gzerror(gz, &errnum), errnum != Z_OK)) {
		snprintf(lr->r.err, sizeof(lr->r.err), "%s: damaged compressed data", path);
		ret = -1;
	}
	gzclose(gz);
	return ret;
}

void lackey_replay_destroy(struct lackey_replay *lr)
{
	replay_destroy(&lr->r);
}
