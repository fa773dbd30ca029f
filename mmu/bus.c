/*
 * The physical memory bus: guest RAM as a lazily committed memfd mapping (with private
 * ranges where asked), plus a small sorted table of MMIO regions. See mmu/bus.h.
 */
#define _GNU_SOURCE
#include "mmu/bus.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Maps the memfd at a host address that is a multiple of BUS_RAM_ALIGN, so that the host's
 * huge pages line up with 2 MiB-aligned ranges of guest RAM (bus_commit_private). */
static void *map_ram(int fd, uint64_t size)
{
	size_t span = size + BUS_RAM_ALIGN;
	uint8_t *area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			     -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	uint8_t *at = (uint8_t *)(((uintptr_t)area + BUS_RAM_ALIGN - 1) &
				  ~(uintptr_t)(BUS_RAM_ALIGN - 1));
	void *ram = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
			 fd, 0);
	if (ram == MAP_FAILED) {
		int err = errno;
		munmap(area, span);
		errno = err;
		return MAP_FAILED;
	}
	if (at > area)
		munmap(area, (size_t)(at - area));
	if (area + span > at + size)
		munmap(at + size, (size_t)(area + span - (at + size)));
	return ram;
}

int bus_init(struct phys_bus *bus, uint64_t ram_size)
{
	memset(bus, 0, sizeof(*bus));
	bus->ram_fd = -1;
	if (ram_size == 0 || (ram_size & 4095))
		return -EINVAL;
	int fd = memfd_create("mmemu-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)ram_size) < 0)
		goto out_close;
	void *ram = map_ram(fd, ram_size);
	if (ram == MAP_FAILED)
		goto out_close;
	bus->ram = ram;
	bus->ram_size = ram_size;
	bus->ram_fd = fd;
	return 0;

out_close: {
	int err = errno;
	close(fd);
	return -err;
}
}

void bus_destroy(struct phys_bus *bus)
{
	if (bus->ram)
		munmap(bus->ram, bus->ram_size);
	if (bus->ram_fd >= 0)
		close(bus->ram_fd);
	memset(bus, 0, sizeof(*bus));
	bus->ram_fd = -1;
}

/* True when no page of [start, end) (page-aligned) is committed: nothing wrote or read it. */
static bool ram_untouched(const struct phys_bus *bus, uint64_t start, uint64_t end)
{
	unsigned char vec[512];
	for (uint64_t pos = start; pos < end;) {
		uint64_t n = (end - pos) >> 12;
		if (n > sizeof(vec))
			n = sizeof(vec);
		if (mincore(bus->ram + pos, n << 12, vec) < 0)
			return false;
		for (uint64_t i = 0; i < n; i++)
			if (vec[i] & 1)
				return false;
		pos += n << 12;
	}
	return true;
}

/* The entry of priv[] that [start, end) would go into: one it continues, else a free one;
 * -1 when priv[] is full. */
static int priv_slot(const struct phys_bus *bus, uint64_t start, uint64_t end)
{
	for (int i = 0; i < bus->nr_priv; i++)
		if (bus->priv[i].end == start || bus->priv[i].start == end)
			return i;
	return bus->nr_priv < BUS_MAX_PRIVATE ? bus->nr_priv : -1;
}

/* Anonymous memory in place of the memfd at [start, end), recorded in priv[]. */
static void make_private(struct phys_bus *bus, uint64_t start, uint64_t end)
{
	uint8_t *at = bus->ram + start;
	size_t len = (size_t)(end - start);
	int i = priv_slot(bus, start, end);
	if (i < 0)
		return;
	if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED) {
		/* put the memfd back (a failed MAP_FIXED may have unmapped the range) */
		mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
		     bus->ram_fd, (off_t)start);
		return;
	}
#ifdef MADV_HUGEPAGE
	madvise(at, len, MADV_HUGEPAGE); /* a hint the host may not take */
#endif
	if (i == bus->nr_priv) {
		bus->priv[i].start = start;
		bus->priv[i].end = end;
		bus->nr_priv++;
	} else if (bus->priv[i].end == start) {
		bus->priv[i].end = end;
	} else {
		bus->priv[i].start = start;
	}
}

int bus_commit_private(struct phys_bus *bus, uint64_t pa, uint64_t len)
{
	if (!bus_ram_ptr(bus, pa, len))
		return -EINVAL;
	uint64_t start = (pa + 4095) & ~4095ULL, end = (pa + len) & ~4095ULL;
	if (start < end && bus_ram_shared(bus, start, end - start) &&
	    ram_untouched(bus, start, end))
		make_private(bus, start, end);
#ifdef MADV_POPULATE_WRITE
	uint64_t first = pa & ~4095ULL, last = (pa + len + 4095) & ~4095ULL;
	if (madvise(bus->ram + first, last - first, MADV_POPULATE_WRITE) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

bool bus_ram_shared(const struct phys_bus *bus, uint64_t pa, uint64_t len)
{
	for (int i = 0; i < bus->nr_priv; i++)
		if (pa < bus->priv[i].end && bus->priv[i].start < pa + len)
			return false;
	return true;
}

int bus_unshare(struct phys_bus *bus)
{
	uint64_t pos = 0;
	while (pos < bus->ram_size) {
		/* the memfd's run from pos: up to the next private range */
		uint64_t stop = bus->ram_size, skip_to = bus->ram_size;
		for (int i = 0; i < bus->nr_priv; i++)
			if (bus->priv[i].start >= pos && bus->priv[i].start < stop) {
				stop = bus->priv[i].start;
				skip_to = bus->priv[i].end;
			}
		if (stop > pos && mmap(bus->ram + pos, (size_t)(stop - pos), PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, bus->ram_fd,
				       (off_t)pos) == MAP_FAILED)
			return -errno;
		pos = skip_to;
	}
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int bus_register_mmio(struct phys_bus *bus, uint64_t base, uint64_t size,
		      const struct mmio_ops *ops, void *opaque, const char *name)
{
	if (size == 0 || base + size < base || !ops)
		return -EINVAL;
	if (ranges_overlap(base, size, 0, bus->ram_size))
		return -EINVAL;
	for (int i = 0; i < bus->nr_mmio; i++)
		if (ranges_overlap(base, size, bus->mmio[i].base, bus->mmio[i].size))
			return -EINVAL;
	if (bus->nr_mmio == BUS_MAX_MMIO)
		return -ENOSPC;
	int pos = bus->nr_mmio;
	while (pos > 0 && bus->mmio[pos - 1].base > base) {
		bus->mmio[pos] = bus->mmio[pos - 1];
		pos--;
	}
	bus->mmio[pos] = (struct mmio_region){base, size, ops, opaque, name};
	bus->nr_mmio++;
	return 0;
}

static struct mmio_region *mmio_find(struct phys_bus *bus, uint64_t pa)
{
	for (int i = 0; i < bus->nr_mmio; i++)
		if (pa >= bus->mmio[i].base && pa - bus->mmio[i].base < bus->mmio[i].size)
			return &bus->mmio[i];
	return NULL;
}

/* One byte through MMIO or the open bus; used only off the RAM fast path. */
static uint8_t slow_read_byte(struct phys_bus *bus, uint64_t pa)
{
	struct mmio_region *r = mmio_find(bus, pa);
	if (!r)
		return 0xff;
	return (uint8_t)r->ops->read(r->opaque, pa - r->base, 1);
}

static void slow_write_byte(struct phys_bus *bus, uint64_t pa, uint8_t val)
{
	struct mmio_region *r = mmio_find(bus, pa);
	if (r && r->ops->write)
		r->ops->write(r->opaque, pa - r->base, val, 1);
}

void bus_read(struct phys_bus *bus, uint64_t pa, void *buf, size_t len)
{
	uint8_t *out = buf;
	void *ram = bus_ram_ptr(bus, pa, len);
	if (ram) {
		memcpy(out, ram, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t a = pa + i;
		out[i] = bus_is_ram(bus, a) ? bus->ram[a] : slow_read_byte(bus, a);
	}
}

void bus_write(struct phys_bus *bus, uint64_t pa, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	void *ram = bus_ram_ptr(bus, pa, len);
	if (ram) {
		memcpy(ram, in, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t a = pa + i;
		if (bus_is_ram(bus, a))
			bus->ram[a] = in[i];
		else
			slow_write_byte(bus, a, in[i]);
	}
}

uint64_t bus_load(struct phys_bus *bus, uint64_t pa, unsigned size)
{
	struct mmio_region *r;
	uint64_t val = 0;
	if (!bus_is_ram(bus, pa) && (r = mmio_find(bus, pa)) && pa + size <= r->base + r->size)
		return r->ops->read(r->opaque, pa - r->base, size);
	bus_read(bus, pa, &val, size);
	return val;
}

void bus_store(struct phys_bus *bus, uint64_t pa, uint64_t val, unsigned size)
{
	struct mmio_region *r;
	if (!bus_is_ram(bus, pa) && (r = mmio_find(bus, pa)) && pa + size <= r->base + r->size) {
		if (r->ops->write)
			r->ops->write(r->opaque, pa - r->base, val, size);
		return;
	}
	bus_write(bus, pa, &val, size);
}
