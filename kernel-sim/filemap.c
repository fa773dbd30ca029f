/*
 * Files that can be mapped, and their page cache, as a small slice of Linux's VFS
 * (struct file, struct inode, struct address_space), mm/filemap.c (filemap_fault's page
 * lookup and read-in, filemap_map_pages' lookup for fault-around), mm/readahead.c (the
 * mmap read-around window) and mm/shmem.c (shmem_file_setup for shared anonymous memory).
 *
 * An inode's bytes come from its backing: a host buffer (tests, embedded images), a host
 * file descriptor (the ELF loader mapping a program from the host's disk) or nothing
 * (shmem: pages start zeroed). A page-cache miss reads the page from the backing into a
 * new frame of guest RAM: that is a major fault's I/O. Pages stay cached until reclaim
 * evicts them (leaving shadow entries, kernel-sim/workingset.c) or the inode's last file is
 * released. Dirty pages of a host file opened for writing are written back to it
 * (kernel-sim/page_writeback.c: filemap_writepage is the write side of read_page); a shmem
 * file's slots hold swap entries for its pages in swap (kernel-sim/shmem.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"

/* ---- inodes and files ---- */

static struct inode *inode_alloc(struct kernel *k, uint64_t size, enum inode_backing backing)
{
	struct inode *inode = kmem_cache_zalloc(k, k->vm->inode_cachep, GFP_KERNEL);
	if (!inode)
		return NULL;
	unsigned long slots = (unsigned long)((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	if (slots) {
		inode->i_data.i_pages = kzalloc(k, slots * sizeof(struct page *), GFP_KERNEL);
		if (!inode->i_data.i_pages) {
			kmem_cache_free(k, k->vm->inode_cachep, inode);
			return NULL;
		}
	}
	inode->i_data.host = inode;
	INIT_LIST_HEAD(&inode->i_data.i_mmap);
	mapping_init_shadows(&inode->i_data);
	inode->i_data.nr_slots = slots;
	inode->i_size = size;
	inode->i_count = 1;
	inode->backing = backing;
	inode->host_fd = -1;
	inode->i_ino = k->vm->next_ino++;
	return inode;
}

/* Takes a page out of the cache and frees it; it must be mapped nowhere. */
static void delete_from_page_cache(struct kernel *k, struct page *page)
{
	bool shmem = PageFlag(page, PG_swapbacked);
	BUG_ON(page->_mapcount != -1 || page_count(page) != 1);
	if (PageFlag(page, PG_dirty) && !shmem) {
		__mod_node_page_state(page_pgdat(k, page), NR_FILE_DIRTY, -1);
		__mod_zone_page_state(page_zone(k, page), NR_ZONE_WRITE_PENDING, -1);
	}
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, -1);
	if (shmem)
		__mod_node_page_state(page_pgdat(k, page), NR_SHMEM, -1);
	ClearPageFlag(page, PG_uptodate);
	__free_page(k, page);
}

void __filemap_remove_page(struct kernel *k, struct page *page, void *shadow)
{
	struct address_space *as = page->mapping;
	BUG_ON(PageAnon(page) || !as || as->i_pages[page->index] != page);
	mapping_set_entry(k, as, page->index, shadow);
	as->nrpages--;
	delete_from_page_cache(k, page);
}

static void iput(struct kernel *k, struct inode *inode)
{
	if (--inode->i_count)
		return;
	struct address_space *as = &inode->i_data;
	/* The file outlives the machine: what was written through mappings goes to it. */
	filemap_write_and_wait_range(k, as, 0, as->nr_slots);
	for (unsigned long i = 0; i < as->nr_slots; i++) {
		struct page *entry = as->i_pages[i];
		if (entry)
			mapping_set_entry(k, as, i, NULL); /* shadows go with the inode */
		if (xa_page(entry))
			delete_from_page_cache(k, entry);
		else if (entry && shmem_mapping(as)) /* a swapped-out shmem page */
			free_swap_and_cache(k, radix_to_swp_entry(entry));
	}
	kfree(k, as->i_pages);
	if (inode->host_fd >= 0)
		close(inode->host_fd);
	kmem_cache_free(k, k->vm->inode_cachep, inode);
}

static struct file *file_alloc(struct kernel *k, struct inode *inode, const char *path,
			       unsigned int mode)
{
	struct file *f = kmem_cache_zalloc(k, k->vm->filp_cachep, GFP_KERNEL);
	char *name = kstrdup(k, path, GFP_KERNEL);
	if (!f || !name) {
		if (f)
			kmem_cache_free(k, k->vm->filp_cachep, f);
		kfree(k, name);
		iput(k, inode);
		return NULL;
	}
	f->f_inode = inode;
	f->f_mode = mode;
	f->f_count = 1;
	f->f_path = name;
	return f;
}

struct file *file_from_buffer(struct kernel *k, const char *path, const void *buf,
			      uint64_t size, unsigned int mode)
{
	struct inode *inode = inode_alloc(k, size, INODE_BACKING_BUFFER);
	if (!inode)
		return NULL;
	inode->buf = buf;
	return file_alloc(k, inode, path, mode);
}

struct file *file_open_host(struct kernel *k, const char *host_path, unsigned int mode,
			    int *err)
{
	struct stat st;
	int fd = open(host_path, ((mode & FMODE_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = -EACCES;
		close(fd);
		return NULL;
	}
	struct inode *inode = inode_alloc(k, (uint64_t)st.st_size, INODE_BACKING_HOSTFD);
	if (!inode) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	inode->host_fd = fd;
	inode->writable = (mode & FMODE_WRITE) != 0;
	inode->i_ino = (unsigned long)st.st_ino;
	inode->i_dev_major = major(st.st_dev);
	inode->i_dev_minor = minor(st.st_dev);
	struct file *f = file_alloc(k, inode, host_path, mode);
	*err = f ? 0 : -ENOMEM;
	return f;
}

struct file *shmem_file_setup(struct kernel *k, const char *name, uint64_t size)
{
	struct inode *inode = inode_alloc(k, size, INODE_BACKING_SHMEM);
	if (!inode)
		return NULL;
	inode->i_dev_minor = 1; /* the internal tmpfs mount, 00:01 as on Linux */
	char path[128];
	snprintf(path, sizeof(path), "/%s (deleted)", name);
	return file_alloc(k, inode, path, FMODE_READ | FMODE_WRITE);
}

struct file *get_file(struct file *f)
{
	f->f_count++;
	return f;
}

void fput(struct kernel *k, struct file *f)
{
	if (--f->f_count)
		return;
	iput(k, f->f_inode);
	kfree(k, f->f_path);
	kmem_cache_free(k, k->vm->filp_cachep, f);
}

/* ---- the page cache ---- */

struct page *find_get_page(struct file *file, unsigned long index)
{
	struct address_space *as = &file->f_inode->i_data;
	return index < as->nr_slots ? xa_page(as->i_pages[index]) : NULL;
}

/* Fills dst with page index of inode from its backing; bytes past EOF are zero. */
static void read_page(const struct inode *inode, unsigned long index, uint8_t *dst)
{
	uint64_t pos = (uint64_t)index << PAGE_SHIFT;
	size_t n = inode->i_size - pos < PAGE_SIZE ? (size_t)(inode->i_size - pos) : PAGE_SIZE;
	size_t got = 0;
	if (inode->backing == INODE_BACKING_BUFFER) {
		memcpy(dst, (const uint8_t *)inode->buf + pos, n);
		got = n;
	} else if (inode->backing == INODE_BACKING_HOSTFD) {
		while (got < n) {
			ssize_t r = pread(inode->host_fd, dst + got, n - got, (off_t)(pos + got));
			if (r <= 0)
				break; /* the host file shrank or failed: the rest reads as zeroes */
			got += (size_t)r;
		}
	}
	memset(dst + got, 0, PAGE_SIZE - got);
}

int filemap_writepage(struct kernel *k, struct page *page)
{
	const struct address_space *as = page->mapping;
	const struct inode *inode = as->host;
	uint64_t pos = (uint64_t)page->index << PAGE_SHIFT;
	BUG_ON(!mapping_can_writeback(as));
	if (pos >= inode->i_size)
		return 0; /* wholly past the end: nothing of the file to write */
	size_t n = inode->i_size - pos < PAGE_SIZE ? (size_t)(inode->i_size - pos) : PAGE_SIZE;
	const uint8_t *src = page_address(k, page);
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(inode->host_fd, src + done, n - done, (off_t)(pos + done));
		if (w <= 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* Reads page index into a new cache page: on the inactive list, or on the active list
 * when the slot's shadow entry shows a refault of the workingset (Linux's
 * filemap_add_folio). NULL when out of memory. */
static struct page *add_to_page_cache(struct kernel *k, struct inode *inode,
				      unsigned long index, uint32_t owner)
{
	struct page *page = alloc_page(k, GFP_HIGHUSER_MOVABLE);
	if (!page)
		return NULL;
	bool shmem = inode->backing == INODE_BACKING_SHMEM;
	read_page(inode, index, page_address(k, page));
	page->mapping = &inode->i_data;
	page->index = index;
	page->owner = owner;
	SetPageFlag(page, PG_uptodate);
	__mod_node_page_state(page_pgdat(k, page), NR_FILE_PAGES, 1);
	if (shmem) {
		SetPageFlag(page, PG_swapbacked);
		__mod_node_page_state(page_pgdat(k, page), NR_SHMEM, 1);
	} else {
		k->vm_events[PGPGIN] += PAGE_SIZE >> 10;
	}
	/* The allocation may have reclaimed: the slot's shadow is read after it. */
	struct page *shadow = mapping_set_entry(k, &inode->i_data, index, page);
	BUG_ON(xa_page(shadow) || (shadow && shmem));
	inode->i_data.nrpages++;
	if (shadow)
		workingset_refault(k, page, shadow);
	lru_cache_add(k, page);
	return page;
}

void page_cache_readahead(struct kernel *k, struct file *file, unsigned long index,
			  unsigned long nr)
{
	struct inode *inode = file->f_inode;
	unsigned long end = index + nr;
	if (end > inode->i_data.nr_slots || end < index)
		end = inode->i_data.nr_slots;
	for (unsigned long i = index; i < end; i++) {
		struct page *entry = inode->i_data.i_pages[i];
		/* Empty, or a shadow; a shmem swap entry is read back only by a fault. */
		bool absent = !entry || (xa_is_value(entry) && !shmem_mapping(&inode->i_data));
		if (absent && !add_to_page_cache(k, inode, i, 0))
			return;
	}
}

/* The pages filemap_fault reads on a miss at index: one for VM_RAND_READ, a window from
 * index for VM_SEQ_READ, else a window centred on index (Linux's do_sync_mmap_readahead). */
static void mmap_readahead(struct kernel *k, struct file *file, unsigned long index,
			   const struct vm_area_struct *vma)
{
	unsigned long ra = k->vm->ra_pages;
	if (!vma || (vma->vm_flags & VM_RAND_READ)) {
		page_cache_readahead(k, file, index, 1);
	} else if (vma->vm_flags & VM_SEQ_READ) {
		page_cache_readahead(k, file, index, ra);
	} else {
		unsigned long start = index > ra / 2 ? index - ra / 2 : 0;
		page_cache_readahead(k, file, start, ra);
	}
}

struct page *filemap_get_page(struct kernel *k, struct file *file, unsigned long index,
			      struct vm_area_struct *vma, bool *major)
{
	struct inode *inode = file->f_inode;
	if (index >= inode->i_data.nr_slots)
		return NULL;
	struct page *entry = inode->i_data.i_pages[index];
	struct page *page = xa_page(entry);
	if (page)
		return page;
	uint32_t owner = vma ? (uint32_t)vma->vm_mm->pid : 0;
	if (inode->backing == INODE_BACKING_SHMEM && entry) /* swapped out */
		return shmem_swapin_page(k, &inode->i_data, index, major);
	if (inode->backing == INODE_BACKING_SHMEM) /* a new zeroed page: no I/O, minor */
		return add_to_page_cache(k, inode, index, owner);
	*major = true;
	count_vm_event(k, PGMAJFAULT);
	page = add_to_page_cache(k, inode, index, owner);
	if (page) {
		/* Reclaim inside read-ahead's allocations must leave the page we return. */
		bool locked = trylock_page(page);
		mmap_readahead(k, file, index, vma);
		if (locked)
			unlock_page(page);
	}
	return page;
}
