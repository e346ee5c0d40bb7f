/** LINKTYPE_* values fmagent names (tcpdump.org/linktypes). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;

/** The largest caplen fmagent accepts in a record, as libpcap does (MAXIMUM_SNAPLEN). */
export const MAX_SNAPLEN = 262144;
