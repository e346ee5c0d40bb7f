/*
 * The portable binary's layout, shared by the packer and the launcher:
 *
 *   [static launcher][zstd frame: archive][manifest][trailer]
 *
 * The archive is a stream of entries, each a 16-byte little-endian header
 * (u32 path length, u32 mode, u64 size), the relative path, then `size`
 * bytes; an entry with path length 0 ends it. The manifest is a list of
 * NUL-terminated strings: "arg:X" (argv to exec, the first is the program),
 * "env:NAME=VALUE" (set), "unset:NAME". "{dir}" in them expands to the
 * extraction directory, "{argv0}" to the launcher's argv[0].
 * The trailer is the last TRAILER_SIZE bytes of the file; compile/portable/
 * build.ts writes it (and its hash) with the same field offsets.
 */
#ifndef FMAGENT_PAYLOAD_FORMAT_H
#define FMAGENT_PAYLOAD_FORMAT_H

#define TRAILER_MAGIC "FMAGENT\001"
#define TRAILER_MAGIC_SIZE 8
#define TRAILER_HASH_SIZE 32 /* hex digits of the payload's SHA-256, no NUL */
#define TRAILER_SIZE (TRAILER_MAGIC_SIZE + 4 * 8 + TRAILER_HASH_SIZE)

/* Byte offsets inside the trailer. */
#define TRAILER_PAYLOAD_OFFSET 8
#define TRAILER_PAYLOAD_SIZE 16
#define TRAILER_MANIFEST_OFFSET 24
#define TRAILER_MANIFEST_SIZE 32
#define TRAILER_HASH 40

#define ENTRY_HEADER_SIZE 16
#define ENTRY_PATH_MAX 1024

#endif
