/*
 * Zone watermarks and reserves, as Linux's init_per_zone_wmark_min():
 *
 *  - min_free_kbytes = sqrt(16 * lowmem KiB), clamped to [128, 262144];
 *  - each lowmem zone's min watermark is its share of min_free_kbytes by managed pages;
 *    HighMem and Movable zones get a small fixed min (managed/1024, clamped to [32, 128]);
 *  - low = min + gap and high = min + 2 * gap, where gap is the larger of min/4 and
 *    watermark_scale_factor/10000 of the zone;
 *  - lowmem_reserve[j] of zone i: the pages of zones i+1..j divided by
 *    lowmem_reserve_ratio[i], kept from allocations that could have used a higher zone;
 *  - totalreserve_pages: what no user allocation can take (high mark + largest reserve).
 */
#include "kernel-sim/page_alloc.h"

#define SWAP_CLUSTER_MAX 32UL

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);
	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

#define for_each_zone(k, zone)                                                                 \
	for (int __nid = 0; __nid < (k)->nr_node_ids; __nid++)                                 \
		for (struct zone *zone = NODE_DATA(k, __nid)->node_zones;                      \
		     zone < NODE_DATA(k, __nid)->node_zones + MAX_NR_ZONES; zone++)

static unsigned long lowmem_managed_pages(const struct kernel *k)
{
	unsigned long pages = 0;
	for_each_zone(k, zone)
		if (!is_highmem_idx(zone->idx) && zone->idx != ZONE_MOVABLE)
			pages += zone->managed_pages;
	return pages;
}

static void calculate_min_free_kbytes(struct kernel *k)
{
	if (k->params.min_free_kbytes) {
		k->min_free_kbytes = k->params.min_free_kbytes;
		return;
	}
	unsigned long lowmem_kbytes = lowmem_managed_pages(k) * (PAGE_SIZE >> 10);
	unsigned long kb = int_sqrt(lowmem_kbytes * 16);
	if (kb < 128)
		kb = 128;
	if (kb > 262144)
		kb = 262144;
	k->min_free_kbytes = (int)kb;
}

static void setup_per_zone_wmarks(struct kernel *k)
{
	unsigned long pages_min = (unsigned long)k->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = lowmem_managed_pages(k);
	for_each_zone(k, zone) {
		unsigned long managed = zone->managed_pages;
		unsigned long tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		if (is_highmem_idx(zone->idx) || zone->idx == ZONE_MOVABLE) {
			unsigned long min_pages = managed / 1024;
			min_pages = min_pages < SWAP_CLUSTER_MAX ? SWAP_CLUSTER_MAX : min_pages;
			min_pages = min_pages > 128 ? 128 : min_pages;
			zone->_watermark[WMARK_MIN] = managed ? min_pages : 0;
		} else {
			zone->_watermark[WMARK_MIN] = tmp;
		}
		unsigned long scaled = managed * (unsigned long)k->watermark_scale_factor / 10000;
		tmp = (tmp >> 2) > scaled ? tmp >> 2 : scaled;
		zone->watermark_boost = 0;
		zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + tmp;
		zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + tmp;
		zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + tmp;
	}
}

static void setup_per_zone_lowmem_reserve(struct kernel *k)
{
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			int ratio = k->lowmem_reserve_ratio[i];
			bool clear = !ratio || !zone->managed_pages;
			unsigned long upper = 0;
			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				upper += pgdat->node_zones[j].managed_pages;
				zone->lowmem_reserve[j] = clear ? 0 : (long)(upper / (unsigned)ratio);
			}
		}
	}
}

static void calculate_totalreserve_pages(struct kernel *k)
{
	unsigned long total = 0;
	for_each_online_node(k, nid) {
		pg_data_t *pgdat = NODE_DATA(k, nid);
		pgdat->totalreserve_pages = 0;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			long max = 0;
			for (int j = i; j < MAX_NR_ZONES; j++)
				if (zone->lowmem_reserve[j] > max)
					max = zone->lowmem_reserve[j];
			unsigned long reserve = (unsigned long)max + high_wmark_pages(zone);
			if (reserve > zone->managed_pages)
				reserve = zone->managed_pages;
			pgdat->totalreserve_pages += reserve;
			total += reserve;
		}
	}
	k->totalreserve_pages = total;
}

void init_per_zone_wmark_min(struct kernel *k)
{
	calculate_min_free_kbytes(k);
	setup_per_zone_wmarks(k);
	setup_per_zone_lowmem_reserve(k);
	calculate_totalreserve_pages(k);
}
