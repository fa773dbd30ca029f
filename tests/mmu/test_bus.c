/*
 * The physical memory bus: RAM, MMIO ranges with callbacks, and the open bus.
 */
#include <errno.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bus_init_refuses_bad_sizes),
	    cmocka_unit_test(test_bus_ram_reads_back_writes_little_endian),
	    cmocka_unit_test(test_bus_unclaimed_addresses_read_all_ones),
	    cmocka_unit_test(test_bus_mmio_callbacks_see_offset_and_size),
	    cmocka_unit_test(test_bus_mmio_registration_refuses_overlaps),
	    cmocka_unit_test(test_bus_ram_ptr_refuses_ranges_past_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
