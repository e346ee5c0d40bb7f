/**
 * The frame every pcapng block shares (draft-ietf-opsawg-pcapng §3.1):
 * u32 type, u32 total length, body, u32 total length again. Lengths are
 * multiples of 4 and at least 12.
 */
export const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
export const BLOCK_PACKET_OBSOLETE = 0x00000002;
export const BLOCK_SIMPLE_PACKET = 0x00000003;
export const BLOCK_ENHANCED_PACKET = 0x00000006;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const BLOCK_MIN_LENGTH = 12;
/** libpcap refuses blocks larger than this (MAX_BLOCKSIZE); so do we, to bound memory. */
export const BLOCK_MAX_LENGTH = 16 * 1024 * 1024;

/** Why a block length is unacceptable, or "" when it is fine. */
export function checkBlockLength(length: number): string {
  if (length < BLOCK_MIN_LENGTH) return `corrupt pcapng block: length ${length} is less than 12`;
  if (length % 4 !== 0) return `corrupt pcapng block: length ${length} is not a multiple of 4`;
  if (length > BLOCK_MAX_LENGTH) {
    return `corrupt pcapng block: length ${length} larger than ${BLOCK_MAX_LENGTH}`;
  }
  return "";
}
