/*
 * The physical memory bus: RAM, MMIO ranges with callbacks, and the open bus.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/mmu/mmu_test_env.h"

struct dev {
	uint64_t last_off;
	uint64_t last_val;
	unsigned last_size;
	unsigned reads, writes;
};

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
	struct dev *d = opaque;
	d->reads++;
	d->last_off = off;
	d->last_size = size;
	return 0x1122334455667788ULL >> (8 * (8 - size)) ^ off;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct dev *d = opaque;
	d->writes++;
	d->last_off = off;
	d->last_val = val;
	d->last_size = size;
}

static const struct mmio_ops dev_ops = {dev_read, dev_write};

static void test_bus_init_refuses_bad_sizes(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 0), -EINVAL);
	assert_int_equal(bus_init(&bus, 4097), -EINVAL);
	bus_destroy(&bus); /* safe on a failed init */
}

static void test_bus_ram_reads_back_writes_little_endian(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	bus_store(&bus, 0x1000, 0x0102030405060708ULL, 8);
	assert_int_equal(bus.ram[0x1000], 0x08);
	assert_int_equal(bus_load(&bus, 0x1000, 2), 0x0708);
	assert_int_equal(bus_load(&bus, 0x1004, 4), 0x01020304);
	assert_int_equal(bus_load(&bus, 0x2000, 8), 0); /* zero-filled */
	bus_destroy(&bus);
}

static void test_bus_unclaimed_addresses_read_all_ones(void **state)
{
	struct phys_bus bus;
	uint8_t buf[8];
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	assert_int_equal(bus_load(&bus, 1 << 20, 4), 0xffffffffULL);
	assert_int_equal(bus_load(&bus, (1ULL << 52) - 4, 8), ~0ULL);
	bus_store(&bus, 5ULL << 40, 0x1234, 8); /* dropped */
	/* A read straddling the end of RAM: RAM bytes, then open bus. */
	bus_store(&bus, (1 << 20) - 2, 0xabcd, 2);
	bus_read(&bus, (1 << 20) - 2, buf, 4);
	assert_int_equal(buf[0], 0xcd);
	assert_int_equal(buf[1], 0xab);
	assert_int_equal(buf[2], 0xff);
	assert_int_equal(buf[3], 0xff);
	bus_destroy(&bus);
}

static void test_bus_mmio_callbacks_see_offset_and_size(void **state)
{
	struct phys_bus bus;
	struct dev d = {0};
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	assert_int_equal(bus_register_mmio(&bus, 0xfee00000, 0x1000, &dev_ops, &d, "lapic"), 0);
	assert_int_equal(bus_load(&bus, 0xfee00020, 4), 0x11223344 ^ 0x20);
	assert_int_equal(d.last_size, 4);
	bus_store(&bus, 0xfee000b0, 0x55, 4);
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.last_off, 0xb0);
	assert_int_equal(d.last_val, 0x55);
	bus_destroy(&bus);
}

static void test_bus_mmio_registration_refuses_overlaps(void **state)
{
	struct phys_bus bus;
	struct dev d = {0};
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	assert_int_equal(bus_register_mmio(&bus, 0x80000, 0x1000, &dev_ops, &d, "in-ram"), -EINVAL);
	assert_int_equal(bus_register_mmio(&bus, 0x200000, 0x2000, &dev_ops, &d, "a"), 0);
	assert_int_equal(bus_register_mmio(&bus, 0x201000, 0x2000, &dev_ops, &d, "b"), -EINVAL);
	assert_int_equal(bus_register_mmio(&bus, 0x300000, 0, &dev_ops, &d, "empty"), -EINVAL);
	assert_int_equal(bus_register_mmio(&bus, ~0ULL - 10, 0x100, &dev_ops, &d, "wrap"), -EINVAL);
	for (int i = 1; i < BUS_MAX_MMIO; i++)
		assert_int_equal(
		    bus_register_mmio(&bus, 0x1000000 + i * 0x1000ULL, 0x1000, &dev_ops, &d, "n"),
		    0);
	assert_int_equal(bus_register_mmio(&bus, 0x9000000, 0x1000, &dev_ops, &d, "full"), -ENOSPC);
	bus_destroy(&bus);
}

static void test_bus_ram_ptr_refuses_ranges_past_ram(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 1 << 20), 0);
	assert_non_null(bus_ram_ptr(&bus, (1 << 20) - 8, 8));
	assert_null(bus_ram_ptr(&bus, (1 << 20) - 7, 8));
	assert_null(bus_ram_ptr(&bus, ~0ULL, 2));
	bus_destroy(&bus);
}

#define MiB (1ULL << 20)

static void test_bus_ram_is_mapped_at_a_huge_page_boundary(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 8 * MiB + 4096), 0);
	assert_int_equal((uintptr_t)bus.ram % (2 * MiB), 0);
	bus_destroy(&bus);
}

/* What ram_fd shows at pa: the memfd's byte, seen through a mapping of its own. */
static uint8_t memfd_byte(const struct phys_bus *bus, uint64_t pa)
{
	uint8_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, bus->ram_fd, (off_t)(pa & ~4095ULL));
	assert_true(p != MAP_FAILED);
	uint8_t v = p[pa & 4095];
	munmap(p, 4096);
	return v;
}

static void test_bus_commit_private_untouched_range_leaves_the_memfd(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 8 * MiB), 0);
	assert_int_equal(bus_commit_private(&bus, 2 * MiB, 2 * MiB), 0);
	assert_false(bus_ram_shared(&bus, 2 * MiB, 2 * MiB));
	assert_false(bus_ram_shared(&bus, 4 * MiB - 4096, 4096));
	assert_false(bus_ram_shared(&bus, 0, 8 * MiB));
	assert_true(bus_ram_shared(&bus, 0, 2 * MiB));
	assert_true(bus_ram_shared(&bus, 4 * MiB, 4 * MiB));
	assert_int_equal(bus_load(&bus, 3 * MiB, 8), 0); /* zero-filled still */
	bus_store(&bus, 3 * MiB, 0x5a, 1);
	bus_store(&bus, 5 * MiB, 0xa5, 1);
	assert_int_equal(bus_load(&bus, 3 * MiB, 1), 0x5a);
	/* the private frame's bytes are not in the memfd; a shared frame's are */
	assert_int_equal(memfd_byte(&bus, 3 * MiB), 0);
	assert_int_equal(memfd_byte(&bus, 5 * MiB), 0xa5);
	bus_destroy(&bus);
}

static void test_bus_commit_private_touched_range_stays_shared(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 8 * MiB), 0);
	bus_store(&bus, 2 * MiB + 12345, 0x77, 1);
	assert_int_equal(bus_commit_private(&bus, 2 * MiB, 2 * MiB), 0);
	assert_true(bus_ram_shared(&bus, 2 * MiB, 2 * MiB));
	assert_int_equal(bus_load(&bus, 2 * MiB + 12345, 1), 0x77);
	/* a read commits a page too: its range is not taken either */
	assert_int_equal(bus_load(&bus, 6 * MiB, 8), 0);
	assert_int_equal(bus_commit_private(&bus, 6 * MiB, MiB), 0);
	assert_true(bus_ram_shared(&bus, 6 * MiB, MiB));
	bus_destroy(&bus);
}

static void test_bus_commit_private_takes_whole_pages_only(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, MiB), 0);
	assert_int_equal(bus_commit_private(&bus, 0x1800, 0x3000), 0); /* 0x1800..0x47ff */
	assert_true(bus_ram_shared(&bus, 0x1000, 0x1000));
	assert_false(bus_ram_shared(&bus, 0x2000, 0x1000));
	assert_false(bus_ram_shared(&bus, 0x3000, 0x1000));
	assert_true(bus_ram_shared(&bus, 0x4000, 0x1000));
	assert_int_equal(bus_commit_private(&bus, 0x10800, 0x400), 0); /* no whole page */
	assert_true(bus_ram_shared(&bus, 0x10000, 0x1000));
	assert_int_equal(bus_commit_private(&bus, MiB - 4096, 8192), -EINVAL);
	bus_destroy(&bus);
}

static void test_bus_commit_private_joins_ranges_and_falls_back_when_full(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 8 * MiB), 0);
	/* top-down, as memblock hands out one section's mem_map after another */
	assert_int_equal(bus_commit_private(&bus, 6 * MiB, 2 * MiB), 0);
	assert_int_equal(bus_commit_private(&bus, 4 * MiB, 2 * MiB), 0);
	assert_int_equal(bus.nr_priv, 1);
	assert_false(bus_ram_shared(&bus, 4 * MiB, 4 * MiB));
	/* ranges with gaps between them, until the table is full */
	for (int i = 1; i < BUS_MAX_PRIVATE; i++)
		assert_int_equal(bus_commit_private(&bus, (uint64_t)i * 2 * 4096, 4096), 0);
	assert_int_equal(bus.nr_priv, BUS_MAX_PRIVATE);
	uint64_t last = (uint64_t)BUS_MAX_PRIVATE * 2 * 4096;
	assert_int_equal(bus_commit_private(&bus, last, 4096), 0);
	assert_true(bus_ram_shared(&bus, last, 4096)); /* committed in the memfd */
	bus_store(&bus, last, 0x42, 1);
	assert_int_equal(memfd_byte(&bus, last), 0x42);
	bus_destroy(&bus);
}

static void test_bus_unshare_child_writes_do_not_reach_the_parent(void **state)
{
	struct phys_bus bus;
	assert_int_equal(bus_init(&bus, 8 * MiB), 0);
	assert_int_equal(bus_commit_private(&bus, 2 * MiB, 2 * MiB), 0);
	bus_store(&bus, 1 * MiB, 0x11, 1); /* memfd, before the private range */
	bus_store(&bus, 3 * MiB, 0x33, 1); /* private */
	bus_store(&bus, 5 * MiB, 0x55, 1); /* memfd, after it */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = bus_unshare(&bus) < 0;
		/* the contents are kept ... */
		bad |= bus_load(&bus, 1 * MiB, 1) != 0x11 || bus_load(&bus, 3 * MiB, 1) != 0x33 ||
		       bus_load(&bus, 5 * MiB, 1) != 0x55;
		bus_store(&bus, 1 * MiB, 0xee, 1);
		bus_store(&bus, 3 * MiB, 0xee, 1);
		bus_store(&bus, 5 * MiB, 0xee, 1);
		bad |= bus_load(&bus, 5 * MiB, 1) != 0xee;
		_exit(bad);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* ... and the child's writes stayed in the child */
	assert_int_equal(bus_load(&bus, 1 * MiB, 1), 0x11);
	assert_int_equal(bus_load(&bus, 3 * MiB, 1), 0x33);
	assert_int_equal(bus_load(&bus, 5 * MiB, 1), 0x55);
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bus_init_refuses_bad_sizes),
	    cmocka_unit_test(test_bus_ram_reads_back_writes_little_endian),
	    cmocka_unit_test(test_bus_unclaimed_addresses_read_all_ones),
	    cmocka_unit_test(test_bus_mmio_callbacks_see_offset_and_size),
	    cmocka_unit_test(test_bus_mmio_registration_refuses_overlaps),
	    cmocka_unit_test(test_bus_ram_ptr_refuses_ranges_past_ram),
	    cmocka_unit_test(test_bus_ram_is_mapped_at_a_huge_page_boundary),
	    cmocka_unit_test(test_bus_commit_private_untouched_range_leaves_the_memfd),
	    cmocka_unit_test(test_bus_commit_private_touched_range_stays_shared),
	    cmocka_unit_test(test_bus_commit_private_takes_whole_pages_only),
	    cmocka_unit_test(test_bus_commit_private_joins_ranges_and_falls_back_when_full),
	    cmocka_unit_test(test_bus_unshare_child_writes_do_not_reach_the_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
