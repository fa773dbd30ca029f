/* Machine options: QEMU-style memory and NUMA settings; see emu/options.h. */
#include "emu/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char machine_options_help[] =
	"machine options:\n"
	"  -m SIZE                 RAM size (K, M, G, T suffixes; default 512M)\n"
	"  -smp N                  number of CPUs (default 1)\n"
	"  -numa node,mem=SIZE[,cpus=A[-B]][,nodeid=N]\n"
	"                          add a NUMA node (repeat, in node order)\n"
	"  -numa dist,src=A,dst=B,val=D\n"
	"                          SLIT distance between two nodes (default 10 local, 20 remote)\n"
	"  --arch x86_64|i386      kernel configuration: zone layout (default x86_64)\n"
	"  --movablecore SIZE      memory for ZONE_MOVABLE (Linux's movablecore=)\n"
	"  --min-free-kbytes N     vm.min_free_kbytes (default: derived as Linux does)\n"
	"  --seed N                seed of the run's randomness (default 0)\n"
	"  --tlb SPEC              TLB geometry, e.g. skylake,l2=2048:16 (see docs/mmu.md)\n"
	"  --swap SIZE[,file=PATH] a swap area of SIZE bytes, in host memory or in PATH\n"
	"  --zswap                 compress swapped pages into a pool in guest RAM first\n";

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits "key=value" items of a comma list; calls fn for each. */
typedef int (*kv_fn)(const char *key, const char *val, void *ctx, char *err, unsigned errlen);

static int for_each_kv(const char *list, kv_fn fn, void *ctx, char *err, unsigned errlen)
{
	char buf[256];
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "-numa: argument too long");
		return -1;
	}
	strcpy(buf, list);
	for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, "-numa: expected key=value, got '%s'", item);
			return -1;
		}
		*eq = '\0';
		if (fn(item, eq + 1, ctx, err, errlen) < 0)
			return -1;
	}
	return 0;
}

struct node_ctx {
	struct numa_node_params node;
	long nodeid;
	bool mem_given;
};

static int node_kv(const char *key, const char *val, void *ctx, char *err, unsigned errlen)
{
	struct node_ctx *c = ctx;
	long a, b;
	if (!strcmp(key, "mem")) {
		if (parse_size(val, &c->node.mem) < 0)
			goto bad;
		c->mem_given = true;
	} else if (!strcmp(key, "cpus")) {
		const char *dash = strchr(val, '-');
		char first[32];
		snprintf(first, sizeof(first), "%.*s", dash ? (int)(dash - val) : (int)strlen(val), val);
		if (parse_int(first, 0, NR_CPUS - 1, &a) < 0 ||
		    (dash && parse_int(dash + 1, a, NR_CPUS - 1, &b) < 0))
			goto bad;
		c->node.cpu_first = (int)a;
		c->node.cpu_last = dash ? (int)b : (int)a;
	} else if (!strcmp(key, "nodeid")) {
		if (parse_int(val, 0, MAX_NUMNODES - 1, &c->nodeid) < 0)
			goto bad;
	} else {
		snprintf(err, errlen, "-numa node: unknown key '%s'", key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "-numa node: bad value '%s' for %s", val, key);
	return -1;
}

struct dist_ctx {
	long src, dst, val;
};

static int dist_kv(const char *key, const char *val, void *ctx, char *err, unsigned errlen)
{
	struct dist_ctx *c = ctx;
	long *slot = !strcmp(key, "src") ? &c->src : !strcmp(key, "dst") ? &c->dst
				       : !strcmp(key, "val") ? &c->val : NULL;
	if (!slot) {
		snprintf(err, errlen, "-numa dist: unknown key '%s'", key);
		return -1;
	}
	if (parse_int(val, 0, 255, slot) < 0) {
		snprintf(err, errlen, "-numa dist: bad value '%s' for %s", val, key);
		return -1;
	}
	return 0;
}

static int numa_node_option(const char *arg, struct boot_params *p, bool *numa_given,
			    char *err, unsigned errlen)
{
	struct node_ctx c = {{0, -1, -1}, -1, false};
	if (for_each_kv(arg, node_kv, &c, err, errlen) < 0)
		return -1;
	if (!c.mem_given) {
		snprintf(err, errlen, "-numa node: mem=SIZE is required");
		return -1;
	}
	int n = *numa_given ? p->nr_nodes : 0;
	if (c.nodeid >= 0 && c.nodeid != n) {
		snprintf(err, errlen, "-numa node: nodeid=%ld given out of order (expected %d)",
			 c.nodeid, n);
		return -1;
	}
	if (n == MAX_NUMNODES) {
		snprintf(err, errlen, "-numa: at most %d nodes", MAX_NUMNODES);
		return -1;
	}
	p->node[n] = c.node;
	p->nr_nodes = n + 1;
	*numa_given = true;
	return 0;
}

static int numa_dist_option(const char *arg, struct boot_params *p, char *err, unsigned errlen)
{
	struct dist_ctx c = {-1, -1, -1};
	if (for_each_kv(arg, dist_kv, &c, err, errlen) < 0)
		return -1;
	if (c.src < 0 || c.dst < 0 || c.val < 0) {
		snprintf(err, errlen, "-numa dist: src=, dst= and val= are required");
		return -1;
	}
	if (c.src >= MAX_NUMNODES || c.dst >= MAX_NUMNODES || c.val < 10 ||
	    (c.src == c.dst && c.val != 10) || (c.src != c.dst && c.val == 10)) {
		snprintf(err, errlen, "-numa dist: distance %ld from %ld to %ld is invalid "
			 "(10 is local, remote must be 11..255)", c.val, c.src, c.dst);
		return -1;
	}
	p->distance[c.src][c.dst] = (uint8_t)c.val;
	/* QEMU makes a one-way distance symmetric unless the other way is given too. */
	if (!p->distance[c.dst][c.src])
		p->distance[c.dst][c.src] = (uint8_t)c.val;
	return 0;
}

/* --swap SIZE[,file=PATH]. 1, or -1 with err. */
static int swap_option(const char *arg, struct boot_params *p, char *err, unsigned errlen)
{
	char size[64];
	const char *comma = strchr(arg, ',');
	size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
	p->swap_path[0] = '\0';
	if (n >= sizeof(size) || (snprintf(size, sizeof(size), "%.*s", (int)n, arg),
				  parse_size(size, &p->swap_size) < 0) || p->swap_size == 0) {
		snprintf(err, errlen, "--swap: invalid size in '%s' (e.g. 64M)", arg);
		return -1;
	}
	if (!comma)
		return 1;
	if (strncmp(comma + 1, "file=", 5) || !comma[6] ||
	    strlen(comma + 6) >= sizeof(p->swap_path)) {
		snprintf(err, errlen, "--swap: expected SIZE[,file=PATH] but got '%s'", arg);
		return -1;
	}
	snprintf(p->swap_path, sizeof(p->swap_path), "%s", comma + 6);
	return 1;
}

int machine_option(int argc, char **argv, int *i, struct machine_opts *o, char *err,
		   unsigned errlen)
{
	struct boot_params *p = &o->params;
	const char *opt = argv[*i];
	static const char *const with_arg[] = {"-m", "-smp", "-numa", "--arch", "--movablecore",
					       "--min-free-kbytes", "--seed", "--tlb", "--swap",
					       NULL};
	int known = 0;
	if (!strcmp(opt, "--zswap")) {
		p->zswap = true;
		(*i)++;
		return 1;
	}
	for (int j = 0; with_arg[j]; j++)
		known |= !strcmp(opt, with_arg[j]);
	if (!known)
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs an argument", opt);
		return -1;
	}
	const char *arg = argv[*i + 1];
	long v;
	*i += 2;
	if (!strcmp(opt, "-m")) {
		if (parse_size(arg, &p->ram_size) < 0)
			goto bad;
		o->ram_given = true;
	} else if (!strcmp(opt, "-smp")) {
		if (parse_int(arg, 1, NR_CPUS, &v) < 0)
			goto bad;
		p->nr_cpus = (int)v;
	} else if (!strcmp(opt, "-numa")) {
		int r;
		if (!strncmp(arg, "node,", 5))
			r = numa_node_option(arg + 5, p, &o->numa_given, err, errlen);
		else if (!strncmp(arg, "dist,", 5))
			r = numa_dist_option(arg + 5, p, err, errlen);
		else {
			snprintf(err, errlen, "-numa: expected node,... or dist,... but got '%s'", arg);
			r = -1;
		}
		return r < 0 ? -1 : 1;
	} else if (!strcmp(opt, "--arch")) {
		if (!strcmp(arg, "x86_64"))
			p->arch = KARCH_X86_64;
		else if (!strcmp(arg, "i386"))
			p->arch = KARCH_I386;
		else
			goto bad;
	} else if (!strcmp(opt, "--movablecore")) {
		if (parse_size(arg, &p->movablecore) < 0)
			goto bad;
	} else if (!strcmp(opt, "--min-free-kbytes")) {
		if (parse_int(arg, 1, 1L << 30, &v) < 0)
			goto bad;
		p->min_free_kbytes = (int)v;
	} else if (!strcmp(opt, "--tlb")) {
		char why[200];
		if (tlb_config_parse(&o->tlb, arg, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
	} else if (!strcmp(opt, "--swap")) {
		return swap_option(arg, p, err, errlen);
	} else if (!strcmp(opt, "--seed")) {
		char *end;
		errno = 0;
		p->seed = strtoull(arg, &end, 0);
		if (errno || *end || !*arg)
			goto bad;
	}
	return 1;
bad:
	snprintf(err, errlen, "%s: invalid value '%s'", opt, arg);
	return -1;
}

void machine_opts_init(struct machine_opts *o)
{
	boot_params_default(&o->params);
	tlb_config_default(&o->tlb);
	o->ram_given = false;
	o->numa_given = false;
}

int machine_options_finish(struct machine_opts *o, char *err, unsigned errlen)
{
	struct boot_params *p = &o->params;
	if (!o->numa_given) {
		p->nr_nodes = 1;
		p->node[0] = (struct numa_node_params){p->ram_size, -1, -1};
	} else if (!o->ram_given) {
		uint64_t sum = 0;
		for (int n = 0; n < p->nr_nodes; n++)
			sum += p->node[n].mem;
		p->ram_size = sum;
	}
	return boot_params_finish(p, err, errlen) < 0 ? -1 : 0;
}
