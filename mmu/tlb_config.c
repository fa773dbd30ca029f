/*
 * TLB geometry: the default (Intel Skylake) and the --tlb string that changes it.
 *
 *   spec   := item { "," item }
 *   item   := preset | "seed=" number | array "=" geom
 *   preset := "skylake" | "none"          (sets every array; later items override)
 *   array  := l1i4k | l1i2m | l1i1g | l1d4k | l1d2m | l1d1g | l2 | l21g
 *           | pde | pdpte | pml4e | pml5e
 *   geom   := "off" | entries [ ":" ways [ ":" policy ] ]
 *   ways   := number | "full"             (omitted: fully associative)
 *   policy := "lru" | "fifo" | "random"   (omitted: lru)
 *
 * Example: "skylake,l2=2048:16,l1d1g=off,pde=64:4:fifo".
 */
#include "mmu/tlb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLB_MAX_ENTRIES (1u << 20)

static const char *const array_names[TLB_NR_ARRAYS] = {
    "l1i4k", "l1i2m", "l1i1g", "l1d4k", "l1d2m", "l1d1g",
    "l2",    "l21g",  "pde",   "pdpte", "pml4e", "pml5e",
};

static const char *const repl_names[] = {"lru", "fifo", "random"};

const char *tlb_array_name(enum tlb_array_id id)
{
	return (unsigned)id < TLB_NR_ARRAYS ? array_names[id] : "?";
}

/*
 * Intel 64 and IA-32 Architectures Optimization Reference Manual (248966-045), table
 * "TLB Parameters of the Skylake Microarchitecture". The page-walk cache sizes are not
 * documented by Intel; ours are assumptions (docs/mmu.md).
 */
void tlb_config_default(struct tlb_config *cfg)
{
	/* clang-format off */
	static const struct tlb_geom skylake[TLB_NR_ARRAYS] = {
		[TLB_L1I_4K] = {128, 8, TLB_REPL_LRU},   [TLB_L1I_2M] = {8, 8, TLB_REPL_LRU},
		[TLB_L1I_1G] = {0, 0, TLB_REPL_LRU},     [TLB_L1D_4K] = {64, 4, TLB_REPL_LRU},
		[TLB_L1D_2M] = {32, 4, TLB_REPL_LRU},    [TLB_L1D_1G] = {4, 4, TLB_REPL_LRU},
		[TLB_L2] = {1536, 12, TLB_REPL_LRU},     [TLB_L2_1G] = {16, 4, TLB_REPL_LRU},
		[TLB_PWC_PDE] = {32, 4, TLB_REPL_LRU},   [TLB_PWC_PDPTE] = {4, 4, TLB_REPL_LRU},
		[TLB_PWC_PML4E] = {2, 2, TLB_REPL_LRU},  [TLB_PWC_PML5E] = {2, 2, TLB_REPL_LRU},
	};
	/* clang-format on */
	memcpy(cfg->geom, skylake, sizeof(skylake));
	cfg->seed = 1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!errlen)
		return -1;
	int n = snprintf(err, errlen, "--tlb: ");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parses a decimal number filling the whole of s (1..TLB_MAX_ENTRIES); 0 on error. */
static uint32_t parse_count(const char *s)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 8)
		return 0;
	unsigned long v = strtoul(s, NULL, 10);
	return v <= TLB_MAX_ENTRIES ? (uint32_t)v : 0;
}

static int find_array(const char *name)
{
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		if (!strcmp(name, array_names[i]))
			return i;
	return -1;
}

/* Parses geom text g ("64:4:lru", "off") for the item it came from. */
static int parse_geom(const char *item, char *g, struct tlb_geom *out, char *err, size_t errlen)
{
	char *ways = strchr(g, ':'), *policy = NULL;
	if (!strcmp(g, "off") || !strcmp(g, "0")) {
		*out = (struct tlb_geom){0, 0, TLB_REPL_LRU};
		return 0;
	}
	if (ways) {
		*ways++ = 0;
		policy = strchr(ways, ':');
		if (policy)
			*policy++ = 0;
	}
	uint32_t n = parse_count(g);
	if (!n)
		return fail(err, errlen, "\"%s\": entries must be 1..%u or \"off\"", item,
			    TLB_MAX_ENTRIES);
	uint32_t w = (!ways || !strcmp(ways, "full")) ? n : parse_count(ways);
	if (!w || w > n)
		return fail(err, errlen, "\"%s\": ways must be 1..%u or \"full\"", item, n);
	if (n % w)
		return fail(err, errlen, "\"%s\": %u entries are not a multiple of %u ways", item,
			    n, w);
	enum tlb_repl r = TLB_REPL_LRU;
	if (policy) {
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(policy, repl_names[i]))
				k = i;
		if (k < 0)
			return fail(err, errlen, "\"%s\": policy must be lru, fifo or random",
				    item);
		r = (enum tlb_repl)k;
	}
	*out = (struct tlb_geom){n, w, r};
	return 0;
}

static int parse_item(struct tlb_config *cfg, const char *item, char *err, size_t errlen)
{
	char buf[128];
	if (strlen(item) >= sizeof(buf))
		return fail(err, errlen, "item too long: \"%.20s...\"", item);
	strcpy(buf, item);
	if (!strcmp(buf, "skylake")) {
		tlb_config_default(cfg);
		return 0;
	}
	if (!strcmp(buf, "none")) {
		memset(cfg->geom, 0, sizeof(cfg->geom));
		return 0;
	}
	char *eq = strchr(buf, '=');
	if (!eq)
		return fail(err, errlen,
			    "\"%s\": expected name=entries[:ways[:policy]] or a preset "
			    "(skylake, none)",
			    item);
	*eq = 0;
	if (!strcmp(buf, "seed")) {
		char *end;
		cfg->seed = strtoull(eq + 1, &end, 0);
		if (!eq[1] || *end)
			return fail(err, errlen, "\"%s\": seed must be a number", item);
		return 0;
	}
	int id = find_array(buf);
	if (id < 0)
		return fail(err, errlen,
			    "unknown array \"%s\" (known: l1i4k l1i2m l1i1g l1d4k "
			    "l1d2m l1d1g l2 l21g pde pdpte pml4e pml5e)",
			    buf);
	return parse_geom(item, eq + 1, &cfg->geom[id], err, errlen);
}

int tlb_config_parse(struct tlb_config *cfg, const char *s, char *err, size_t errlen)
{
	struct tlb_config tmp = *cfg;
	const char *p = s;
	if (!s || !*s)
		return fail(err, errlen, "empty geometry string");
	for (;;) {
		size_t n = strcspn(p, ",");
		char item[160];
		if (n == 0)
			return fail(err, errlen, "empty item in \"%s\"", s);
		snprintf(item, sizeof(item), "%.*s", (int)(n < 159 ? n : 159), p);
		if (n >= 159)
			return fail(err, errlen, "item too long: \"%.20s...\"", item);
		if (parse_item(&tmp, item, err, errlen))
			return -1;
		if (!p[n])
			break;
		p += n + 1;
	}
	*cfg = tmp;
	return 0;
}

int tlb_config_format(const struct tlb_config *cfg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "none");
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		const struct tlb_geom *g = &cfg->geom[i];
		if (!g->entries)
			continue;
		size_t off = (size_t)n < len ? (size_t)n : len;
		n += snprintf(buf + off, len - off, ",%s=%u:%u:%s", array_names[i], g->entries,
			      g->ways, repl_names[g->repl]);
	}
	size_t off = (size_t)n < len ? (size_t)n : len;
	n += snprintf(buf + off, len - off, ",seed=%llu", (unsigned long long)cfg->seed);
	return n;
}
