/* Memory-pressure guest for reclaim and swap, in several modes:
 *
 *   reclaim pattern MIB          writes a pattern into MIB MiB of anonymous memory, reads
 *                                it all back and reports whether every byte is intact
 *   reclaim shmpattern MIB       the same in shared anonymous memory (MAP_SHARED |
 *                                MAP_ANONYMOUS: shmem)
 *   reclaim filescan PATH HOTMIB keeps HOTMIB MiB of anonymous memory hot while it reads
 *                                the file PATH through a mapping, twice
 *   reclaim workingset HOTMIB STREAMMIB
 *                                keeps HOTMIB MiB hot while it writes once through a
 *                                mapping of STREAMMIB MiB (which must go to swap)
 *   reclaim fileswitch OLD NEW STREAM ROUNDS
 *                                reads the file OLD through a mapping ROUNDS times while
 *                                a stream (the file STREAM, read once in 2 x ROUNDS
 *                                chunks) passes, then does the same with the file NEW:
 *                                the page cache's workingset moves from OLD to NEW
 *   reclaim sharedwrite PATH     writes every 8-byte word of the file PATH through a
 *                                MAP_SHARED mapping (the word at offset o becomes o + 1),
 *                                then reads the mapping back and reports whether it holds
 *                                what was written
 *   reclaim fileverify PATH      checks the same pattern with read()
 *
 * stdout gets the verdicts; stderr the kernel's counters (from /proc/vmstat and
 * /proc/self/status) that the tests compare. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Word i's value: equal for runs of 16 words, so pages compress (zswap) yet every page's
 * contents are its own. */
static uint64_t pattern(uint64_t i)
{
	uint64_t x = (i >> 4) * 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void *map_anon_flags(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void *map_anon(size_t len)
{
	return map_anon_flags(len, MAP_PRIVATE);
}

/* Prints the named lines of a /proc file to stderr. */
static void show_proc(const char *path, const char *const *keys)
{
	char buf[16384];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		for (int i = 0; keys[i]; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				fprintf(stderr, "%s\n", line);
}

static void show_counters(void)
{
	static const char *const vm[] = {"pswpin ",
					 "pswpout ",
					 "pgsteal_anon ",
					 "pgsteal_file ",
					 "pgscan_kswapd ",
					 "pgscan_direct ",
					 "pgmajfault ",
					 "pgactivate ",
					 "pgdeactivate ",
					 "oom_kill ",
					 "workingset_",
					 "nr_dirty ",
					 "nr_writeback ",
					 "nr_vmscan_write ",
					 "nr_written ",
					 NULL};
	static const char *const st[] = {"VmSwap:", "RssAnon:", NULL};
	static const char *const mi[] = {"Zswapped:", "Active(file):", "Inactive(file):",
					 "Dirty:",    "Writeback:",    "Shmem:",
					 NULL};
	show_proc("/proc/vmstat", vm);
	show_proc("/proc/self/status", st);
	show_proc("/proc/meminfo", mi);
}

static long majflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_majflt;
}

static int mode_pattern(long mib, int flags)
{
	size_t words = ((size_t)mib << 20) / 8;
	uint64_t *p = map_anon_flags(words * 8, flags);
	for (size_t i = 0; i < words; i++)
		p[i] = pattern(i);
	size_t bad = 0;
	for (size_t i = 0; i < words; i++)
		bad += p[i] != pattern(i);
	if (bad)
		printf("pattern: %zu of %zu words wrong\n", bad, words);
	else
		printf("pattern: %ld MiB intact\n", mib);
	show_counters();
	return bad != 0;
}

static unsigned long touch(volatile uint8_t *p, size_t len)
{
	unsigned long sum = 0;
	for (size_t off = 0; off < len; off += 4096)
		sum += p[off]++;
	return sum;
}

static int mode_filescan(const char *path, long hot_mib)
{
	size_t hot_len = (size_t)hot_mib << 20;
	uint8_t *hot = map_anon(hot_len);
	memset(hot, 1, hot_len);
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	const uint8_t *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED) {
		perror("mmap file");
		return 1;
	}
	unsigned long sum = 0;
	long hot_majflt = 0;
	for (int pass = 0; pass < 2; pass++)
		for (off_t off = 0; off < st.st_size; off += 4096) {
			sum += f[off];
			if ((off >> 12) % 256 == 0) {
				long before = majflt();
				touch(hot, hot_len);
				hot_majflt += majflt() - before;
			}
		}
	printf("filescan: read %lld MiB twice, hot set faults %ld, sum %lu\n",
	       (long long)(st.st_size >> 20), hot_majflt, sum & 0xff);
	show_counters();
	return 0;
}

static const uint8_t *map_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(1);
	}
	const uint8_t *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED) {
		perror("mmap file");
		exit(1);
	}
	close(fd);
	*len = (size_t)st.st_size;
	return f;
}

/* Reads one byte of every page of [f, f + len): the major faults it took. */
static long read_pages(const volatile uint8_t *f, size_t len, unsigned long *sum)
{
	long before = majflt();
	for (size_t off = 0; off < len; off += 4096)
		*sum += f[off];
	return majflt() - before;
}

static int mode_fileswitch(const char *old_path, const char *new_path, const char *stream_path,
			   long rounds)
{
	size_t len[3];
	const uint8_t *f[3] = {map_file(old_path, &len[0]), map_file(new_path, &len[1]),
			       map_file(stream_path, &len[2])};
	size_t chunk = (len[2] / (size_t)(2 * rounds)) & ~(size_t)4095;
	unsigned long sum = 0;
	for (int set = 0; set < 2; set++) {
		long first = 0, last = 0, later = 0;
		for (long r = 0; r < rounds; r++) {
			long faults = read_pages(f[set], len[set], &sum);
			if (r == 0)
				first = faults;
			last = faults;
			later += r ? faults : 0;
			read_pages(f[2] + (size_t)(set * rounds + r) * chunk, chunk, &sum);
		}
		printf("fileswitch: %s set %zu pages, major faults first round %ld, later rounds "
		       "%ld, last round %ld\n",
		       set ? "new" : "old", len[set] >> 12, first, later, last);
	}
	printf("fileswitch: sum %lu\n", sum & 0xff);
	show_counters();
	return 0;
}

static int mode_sharedwrite(const char *path)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	size_t words = (size_t)st.st_size / 8;
	uint64_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap shared");
		return 1;
	}
	close(fd);
	for (size_t i = 0; i < words; i++)
		p[i] = i * 8 + 1;
	size_t bad = 0;
	for (size_t i = 0; i < words; i++)
		bad += p[i] != i * 8 + 1;
	printf("sharedwrite: %lld MiB written, %zu words wrong\n", (long long)(st.st_size >> 20),
	       bad);
	show_counters();
	return bad != 0;
}

static int mode_fileverify(const char *path)
{
	static uint64_t buf[8192];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	size_t bad = 0, word = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (size_t i = 0; i < (size_t)n / 8; i++, word++)
			bad += buf[i] != word * 8 + 1;
	close(fd);
	printf("fileverify: %zu words, %zu wrong\n", word, bad);
	return bad != 0;
}

static int mode_workingset(long hot_mib, long stream_mib)
{
	size_t hot_len = (size_t)hot_mib << 20, chunk = 1 << 20;
	uint8_t *hot = map_anon(hot_len);
	memset(hot, 1, hot_len);
	uint8_t *stream = map_anon((size_t)stream_mib << 20);
	long hot_majflt = 0;
	for (long c = 0; c < stream_mib; c++) {
		memset(stream + c * chunk, (int)c, chunk); /* each stream page is used once */
		long before = majflt();
		touch(hot, hot_len);
		hot_majflt += majflt() - before;
	}
	printf("workingset: %ld MiB hot, %ld MiB streamed, hot set major faults %ld\n", hot_mib,
	       stream_mib, hot_majflt);
	show_counters();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "pattern"))
		return mode_pattern(atol(argv[2]), MAP_PRIVATE);
	if (argc >= 3 && !strcmp(argv[1], "shmpattern"))
		return mode_pattern(atol(argv[2]), MAP_SHARED);
	if (argc >= 4 && !strcmp(argv[1], "filescan"))
		return mode_filescan(argv[2], atol(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "workingset"))
		return mode_workingset(atol(argv[2]), atol(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "sharedwrite"))
		return mode_sharedwrite(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "fileverify"))
		return mode_fileverify(argv[2]);
	if (argc >= 6 && !strcmp(argv[1], "fileswitch") && atol(argv[5]) > 0)
		return mode_fileswitch(argv[2], argv[3], argv[4], atol(argv[5]));
	fprintf(stderr, "usage: reclaim pattern MIB | shmpattern MIB | filescan PATH HOTMIB | "
			"workingset HOTMIB STREAMMIB | fileswitch OLD NEW STREAM ROUNDS | "
			"sharedwrite PATH | fileverify PATH\n");
	return 2;
}
