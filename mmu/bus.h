/*
 * The physical memory bus: guest RAM plus memory-mapped I/O ranges.
 *
 * Every physical access of the machine -- the CPU's, the page walker's, the simulated
 * kernel's -- reaches memory through this bus. Guest RAM is one host mapping of a memfd
 * that the host commits page by page on first touch, so a machine with far more RAM than
 * the host can boot as long as it touches little of it. The memfd lets other host ranges
 * alias guest frames (the kernel's vmalloc mirror does this), the way one physical frame
 * appears at several virtual addresses on real hardware.
 *
 * Frames the machine keeps to itself for its whole life, like the kernel's mem_map, can be
 * private memory of the process instead (bus_commit_private): cheaper for the host to
 * commit and release, but never aliased.
 *
 * Physical addresses outside RAM and outside every MMIO range read as all ones and drop
 * writes, as an unclaimed PCI read does on a PC.
 */
#ifndef MMU_BUS_H
#define MMU_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BUS_MAX_MMIO 16
#define BUS_MAX_PRIVATE 16 /* ranges of RAM that are private memory (bus_commit_private) */
#define BUS_RAM_ALIGN (2ULL << 20) /* RAM's host address: a multiple of a huge page */

struct mmio_ops {
	/* Reads size (1, 2, 4 or 8) bytes at offset into the region; returns the value. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	/* Writes the low size bytes of val at offset into the region. */
	void (*write)(void *opaque, uint64_t offset, uint64_t val, unsigned size);
};

struct mmio_region {
	uint64_t base;              /* first physical address of the region */
	uint64_t size;              /* bytes */
	const struct mmio_ops *ops; /* callbacks; never NULL for a registered region */
	void *opaque;               /* passed back to the callbacks */
	const char *name;           /* for logs and /proc/iomem-like listings */
};

struct phys_bus {
	uint8_t *ram;                /* host mapping of guest RAM: physical 0 .. ram_size-1 */
	uint64_t ram_size;           /* bytes, a multiple of 4096 */
	int ram_fd;                  /* memfd behind ram, for aliases of guest frames */
	struct mmio_region mmio[BUS_MAX_MMIO]; /* sorted by base, never overlapping */
	int nr_mmio;                 /* used entries of mmio[] */
	struct {
		uint64_t start, end; /* [start, end) of RAM, whole pages */
	} priv[BUS_MAX_PRIVATE];     /* RAM not in the memfd: anonymous memory; unsorted,
				      * never overlapping */
	int nr_priv;                 /* used entries of priv[] */
};

/* Maps ram_size bytes of guest RAM (zero-filled, committed lazily). 0 or -errno. */
int bus_init(struct phys_bus *bus, uint64_t ram_size);
/* Unmaps guest RAM and forgets every MMIO region. Safe on a zeroed or destroyed bus. */
void bus_destroy(struct phys_bus *bus);

/*
 * For RAM that nothing has touched yet and that the machine keeps to itself until it is
 * destroyed (the mem_map, written whole right after): asks the host to commit [pa, pa+len)
 * now, in one call. The pages wholly inside the range become anonymous memory of this
 * process, in transparent huge pages where the host gives them: several times cheaper to
 * commit and to release than memfd pages one at a time (docs/performance.md, "Start-up").
 * Those frames can no longer be aliased through ram_fd (bus_ram_shared). A range of which
 * a page was touched already, or for which priv[] is full, is committed in the memfd.
 * Only a hint: 0 or -errno, RAM reading the same either way.
 */
int bus_commit_private(struct phys_bus *bus, uint64_t pa, uint64_t len);

/* True when every frame of [pa, pa+len) is in the memfd: ram_fd can alias it. */
bool bus_ram_shared(const struct phys_bus *bus, uint64_t pa, uint64_t len);

/* In a child after fork(): makes guest RAM the child's own (copy-on-write), contents
 * kept, so that its writes no longer reach the parent's machine. 0 or -errno. */
int bus_unshare(struct phys_bus *bus);

/* Claims [base, base+size) for MMIO. -EINVAL if it overlaps RAM or another region,
 * -ENOSPC if the table is full, else 0. */
int bus_register_mmio(struct phys_bus *bus, uint64_t base, uint64_t size,
		      const struct mmio_ops *ops, void *opaque, const char *name);

/* Host pointer to guest RAM at pa when [pa, pa+len) lies wholly in RAM, else NULL. */
static inline void *bus_ram_ptr(const struct phys_bus *bus, uint64_t pa, uint64_t len)
{
	if (pa >= bus->ram_size || len > bus->ram_size - pa)
		return NULL;
	return bus->ram + pa;
}

/* Little-endian load of size (1..8) bytes at host address p (guest RAM). The sizes
 * accesses have are constant copies, one host load each: a copy of a size known only at
 * run time is a library call or a string instruction, several times slower. */
static inline uint64_t bus_host_load(const void *p, unsigned size)
{
	uint64_t v = 0;
	switch (size) {
	case 1: memcpy(&v, p, 1); break;
	case 2: memcpy(&v, p, 2); break;
	case 4: memcpy(&v, p, 4); break;
	case 8: memcpy(&v, p, 8); break;
	default: memcpy(&v, p, size); break;
	}
	return v;
}

/* Stores the low size (1..8) bytes of v at host address p (guest RAM), as bus_host_load. */
static inline void bus_host_store(void *p, uint64_t v, unsigned size)
{
	switch (size) {
	case 1: memcpy(p, &v, 1); break;
	case 2: memcpy(p, &v, 2); break;
	case 4: memcpy(p, &v, 4); break;
	case 8: memcpy(p, &v, 8); break;
	default: memcpy(p, &v, size); break;
	}
}

/* True when pa lies in guest RAM. */
static inline bool bus_is_ram(const struct phys_bus *bus, uint64_t pa)
{
	return pa < bus->ram_size;
}

/* Physical address of a host pointer into guest RAM (the caller guarantees it is one). */
static inline uint64_t bus_ram_addr(const struct phys_bus *bus, const void *host)
{
	return (uint64_t)((const uint8_t *)host - bus->ram);
}

/* Copies len bytes at physical pa into buf, through RAM and MMIO as the ranges fall;
 * bytes nothing claims read as 0xff. */
void bus_read(struct phys_bus *bus, uint64_t pa, void *buf, size_t len);
/* Copies len bytes from buf to physical pa; writes nothing claims are dropped. */
void bus_write(struct phys_bus *bus, uint64_t pa, const void *buf, size_t len);

/* Sized little-endian accessors; size is 1, 2, 4 or 8. */
uint64_t bus_load(struct phys_bus *bus, uint64_t pa, unsigned size);
void bus_store(struct phys_bus *bus, uint64_t pa, uint64_t val, unsigned size);

#endif /* MMU_BUS_H */
