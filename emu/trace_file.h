/* The byte layout of a trace file's blocks, shared by its writer and reader
 * (docs/trace-format.md). All integers little-endian. */
#ifndef EMU_TRACE_FILE_H
#define EMU_TRACE_FILE_H

/* "MMEMUTRC", u16 major, u16 minor, u32 header length; then the header text and its CRC-32. */
#define TRACE_FILE_HEADER_LEN 16
/* u32 magic, u32 compressed length, u32 raw length, u32 events, u64 first event,
 * u32 CRC-32 of the compressed bytes, u32 zero. The index block has the same size of
 * header: u32 magic, u32 chunks, u32 CRC-32 of the entries, then zeroes. */
#define TRACE_CHUNK_HEADER_LEN 32
#define TRACE_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define TRACE_INDEX_MAGIC 0x58444e49u /* "INDX" */
/* u64 offset, u64 first event, u32 events, u32 raw length, u32 compressed length, u32 zero */
#define TRACE_INDEX_ENTRY_LEN 32
/* u64 offset of the index block, u64 events, "MMTRCEND" */
#define TRACE_TRAILER_LEN 24

#endif /* EMU_TRACE_FILE_H */
