/*
 * Swap areas, as Linux's mm/swapfile.c (swapon, get_swap_pages / scan_swap_map_slots,
 * swap_duplicate, swap_free, swap_show) and mm/page_io.c (the slot I/O).
 *
 * An area is max slots of one page; slot 0 holds the swap header on Linux and is never
 * handed out, so the area offers pages = max - 1 slots, which /proc/swaps shows as its
 * size. swap_map[offset] is the slot's count: swap ptes holding it, plus SWAP_HAS_CACHE
 * while the swap cache holds its page. The backing ("disk") is host memory or a host file;
 * swap_map and the swap cache's slot array are kernel memory in guest RAM (vzalloc, as
 * Linux vmallocs swap_map).
 *
 * Slots are handed out next-fit from cluster_next, wrapping once (Linux scans by clusters
 * of 256 slots per CPU; with one CPU and no discard the order is the same: increasing
 * offsets until the end, then the lowest free ones).
 */
#include "kernel-sim/swap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/seq_file.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/vmalloc.h"
#include "kernel-sim/zswap.h"

#define MAX_SWAP_BYTES (1ULL << 40) /* 1 TiB: more is surely a typo */

int swap_init(struct kernel *k)
{
	struct swap_state *ss = kzalloc(k, sizeof(*ss), GFP_KERNEL);
	if (!ss)
		return -ENOMEM;
	ss->page_cluster = 3;
	ss->swappiness = 60;
	k->swap = ss;
	workingset_init(k);
	return 0;
}

static void swap_area_free(struct kernel *k, struct swap_info_struct *si)
{
	for (unsigned long off = 0; si->cache && si->swap_space.nrshadows && off < si->max; off++)
		if (xa_is_value(si->cache[off]))
			mapping_set_entry(k, &si->swap_space, off, NULL);
	if (si->mem)
		munmap(si->mem, si->max * PAGE_SIZE);
	if (si->fd >= 0)
		close(si->fd);
	vfree(k, si->swap_map);
	vfree(k, si->cache);
	kfree(k, si);
}

void swap_shutdown(struct kernel *k)
{
	struct swap_state *ss = k->swap;
	if (!ss)
		return;
	zswap_shutdown(k);
	for (int i = 0; i < ss->nr_swapfiles; i++)
		swap_area_free(k, ss->info[i]);
	kfree(k, ss);
	k->swap = NULL;
}

/* The backing of si: an anonymous host mapping, or path made size bytes long. */
static int swap_open_backing(struct swap_info_struct *si, uint64_t size, const char *path,
			     char *err, size_t errlen)
{
	if (!path) {
		void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED) {
			snprintf(err, errlen, "cannot reserve %llu bytes of host memory for swap",
				 (unsigned long long)size);
			return -ENOMEM;
		}
		si->mem = mem;
		snprintf(si->path, sizeof(si->path), "/dev/swap0");
		return 0;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || posix_fallocate(fd, 0, (off_t)size)) {
		int e = errno ? errno : ENOSPC;
		snprintf(err, errlen, "swap file %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	si->fd = fd;
	si->is_file = true;
	snprintf(si->path, sizeof(si->path), "%s", path);
	return 0;
}

int swapon(struct kernel *k, uint64_t size, const char *path, char *err, size_t errlen)
{
	struct swap_state *ss = k->swap;
	if (ss->nr_swapfiles >= MAX_SWAPFILES) {
		snprintf(err, errlen, "only %d swap area is supported", MAX_SWAPFILES);
		return -EPERM;
	}
	if (size < 2 * PAGE_SIZE || size > MAX_SWAP_BYTES) {
		snprintf(err, errlen, "swap size must be 8K .. 1T, not %llu bytes",
			 (unsigned long long)size);
		return -EINVAL;
	}
	struct swap_info_struct *si = kzalloc(k, sizeof(*si), GFP_KERNEL);
	if (!si) {
		snprintf(err, errlen, "out of memory for the swap area");
		return -ENOMEM;
	}
	si->fd = -1;
	si->max = size >> PAGE_SHIFT;
	si->pages = si->max - 1;
	si->cluster_next = 1;
	si->type = ss->nr_swapfiles;
	si->prio = -2 - si->type; /* Linux numbers areas without a priority -2, -3, ... */
	si->swap_map = vzalloc(k, si->max);
	si->cache = vzalloc(k, si->max * sizeof(struct page *));
	si->swap_space.i_pages = si->cache;
	si->swap_space.nr_slots = si->max;
	mapping_init_shadows(&si->swap_space);
	INIT_LIST_HEAD(&si->swap_space.i_mmap);
	int r = si->swap_map && si->cache
		    ? swap_open_backing(si, si->max * PAGE_SIZE, path, err, errlen)
		    : -ENOMEM;
	if (r < 0) {
		if (r == -ENOMEM && (!si->swap_map || !si->cache))
			snprintf(err, errlen, "out of memory for the swap map");
		swap_area_free(k, si);
		return r;
	}
	ss->info[ss->nr_swapfiles++] = si;
	ss->total_swap_pages += si->pages;
	ss->nr_swap_pages += si->pages;
	printk(k, KERN_INFO, "Adding %luk swap on %s.  Priority:%d extents:1 across:%luk %s",
	       si->pages << 2, si->path, si->prio, si->pages << 2, si->is_file ? "FS" : "SS");
	return 0;
}

struct swap_info_struct *swp_swap_info(struct kernel *k, swp_entry_t entry)
{
	struct swap_state *ss = k->swap;
	unsigned type = swp_type(entry);
	if (!ss || type >= (unsigned)ss->nr_swapfiles)
		return NULL;
	struct swap_info_struct *si = ss->info[type];
	uint64_t off = swp_offset(entry);
	return off >= 1 && off < si->max ? si : NULL;
}

/* The area and slot of an entry that must be valid (our own entries). */
static struct swap_info_struct *swap_info_get(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swp_swap_info(k, entry);
	BUG_ON(!si);
	return si;
}

swp_entry_t get_swap_page(struct kernel *k)
{
	struct swap_state *ss = k->swap;
	for (int t = 0; t < ss->nr_swapfiles; t++) {
		struct swap_info_struct *si = ss->info[t];
		if (si->inuse_pages == si->pages)
			continue;
		unsigned long off = si->cluster_next;
		for (unsigned long n = 0; n < si->pages; n++, off++) {
			if (off >= si->max)
				off = 1;
			if (si->swap_map[off])
				continue;
			si->swap_map[off] = SWAP_HAS_CACHE;
			si->inuse_pages++;
			ss->nr_swap_pages--;
			si->cluster_next = off + 1;
			return swp_entry((unsigned)t, off);
		}
	}
	return (swp_entry_t){0};
}

/* The slot's count reached 0: it is free again. */
static void swap_slot_free(struct kernel *k, struct swap_info_struct *si, uint64_t off)
{
	zswap_invalidate(k, swp_entry((unsigned)si->type, off));
	if (xa_is_value(si->cache[off]))
		mapping_set_entry(k, &si->swap_space, off, NULL); /* clear_shadow_from_swap_cache */
	si->inuse_pages--;
	k->swap->nr_swap_pages++;
	if (si->mem)
		madvise(si->mem + off * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
}

void swap_duplicate(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	uint8_t *map = &si->swap_map[swp_offset(entry)];
	BUG_ON(!*map || (*map & ~SWAP_HAS_CACHE) >= SWAP_MAP_MAX);
	(*map)++;
}

int swap_count(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	return si->swap_map[swp_offset(entry)] & ~SWAP_HAS_CACHE;
}

void swap_free(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	uint64_t off = swp_offset(entry);
	BUG_ON(!(si->swap_map[off] & ~SWAP_HAS_CACHE));
	if (--si->swap_map[off] == 0)
		swap_slot_free(k, si, off);
}

void swapcache_clear(struct kernel *k, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	uint64_t off = swp_offset(entry);
	BUG_ON(!(si->swap_map[off] & SWAP_HAS_CACHE));
	si->swap_map[off] &= (uint8_t)~SWAP_HAS_CACHE;
	if (si->swap_map[off] == 0)
		swap_slot_free(k, si, off);
}

int swap_write_slot(struct kernel *k, swp_entry_t entry, const void *src)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	uint64_t pos = swp_offset(entry) * PAGE_SIZE;
	zswap_invalidate(k, entry); /* the area's copy is the current one now */
	if (si->mem) {
		memcpy(si->mem + pos, src, PAGE_SIZE);
		return 0;
	}
	return pwrite(si->fd, src, PAGE_SIZE, (off_t)pos) == (ssize_t)PAGE_SIZE ? 0 : -EIO;
}

int swap_read_slot(struct kernel *k, swp_entry_t entry, void *dst)
{
	struct swap_info_struct *si = swap_info_get(k, entry);
	uint64_t pos = swp_offset(entry) * PAGE_SIZE;
	if (si->mem) {
		memcpy(dst, si->mem + pos, PAGE_SIZE);
		return 0;
	}
	return pread(si->fd, dst, PAGE_SIZE, (off_t)pos) == (ssize_t)PAGE_SIZE ? 0 : -EIO;
}

unsigned long total_swap_pages(const struct kernel *k)
{
	return k->swap ? k->swap->total_swap_pages : 0;
}

unsigned long nr_free_swap_pages(const struct kernel *k)
{
	return k->swap ? k->swap->nr_swap_pages : 0;
}

unsigned long swap_check_orphans(struct kernel *k)
{
	unsigned long bad = 0;
	for (int t = 0; k->swap && t < k->swap->nr_swapfiles; t++) {
		struct swap_info_struct *si = k->swap->info[t];
		for (unsigned long off = 1; off < si->max; off++) {
			uint8_t c = si->swap_map[off];
			bool cached = xa_page(si->cache[off]) != NULL;
			if (cached != ((c & SWAP_HAS_CACHE) != 0))
				bad++;
		}
	}
	return bad;
}

/* Linux's swap_show, with its tab-and-width layout. */
void proc_swaps_show(struct seq_file *m, struct kernel *k)
{
	seq_puts(m, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	for (int t = 0; k->swap && t < k->swap->nr_swapfiles; t++) {
		struct swap_info_struct *si = k->swap->info[t];
		unsigned long bytes = si->pages << 2, inuse = si->inuse_pages << 2;
		int len = (int)strlen(si->path);
		seq_printf(m, "%s%*s%s\t%lu\t%s%lu\t%s%d\n", si->path, len < 40 ? 40 - len : 1, " ",
			   si->is_file ? "file\t" : "partition", bytes,
			   bytes < 10000000 ? "\t" : "", inuse, inuse < 10000000 ? "\t" : "",
			   si->prio);
	}
}
