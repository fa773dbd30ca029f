/*
 * The physical memory bus: guest RAM as a lazily committed memfd mapping, plus a small
 * sorted table of MMIO regions. See mmu/bus.h.
 */
#define _GNU_SOURCE
#include "mmu/bus.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
	void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			 fd, 0);
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

int bus_populate(struct phys_bus *bus, uint64_t pa, uint64_t len)
{
#ifdef MADV_POPULATE_WRITE
	uint64_t start = pa & ~4095ULL, end = (pa + len + 4095) & ~4095ULL;
	if (!bus_ram_ptr(bus, start, end - start))
		return -EINVAL;
	if (madvise(bus->ram + start, end - start, MADV_POPULATE_WRITE) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
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
