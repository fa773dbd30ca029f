/*
 * Fields of user-visible structures (stat buffers, signal frames, FPU images) read and
 * written at their byte offsets, as the uapi headers lay them out: little-endian, any
 * alignment. Wider values are truncated to the field's width.
 */
#ifndef KSIM_UAPI_BYTES_H
#define KSIM_UAPI_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void put16(uint8_t *b, size_t off, uint64_t v)
{
	uint16_t x = (uint16_t)v;
	memcpy(b + off, &x, 2);
}

static inline void put32(uint8_t *b, size_t off, uint64_t v)
{
	uint32_t x = (uint32_t)v;
	memcpy(b + off, &x, 4);
}

static inline void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static inline uint16_t get16(const uint8_t *b, size_t off)
{
	uint16_t v;
	memcpy(&v, b + off, 2);
	return v;
}

static inline uint32_t get32(const uint8_t *b, size_t off)
{
	uint32_t v;
	memcpy(&v, b + off, 4);
	return v;
}

static inline uint64_t get64(const uint8_t *b, size_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

#endif /* KSIM_UAPI_BYTES_H */
