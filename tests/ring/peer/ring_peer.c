// ring_peer: a small C peer for the FMAD ring (version 0x100), written from
// the layout in fmadio/platform include/fmadio_packet.h, for fmagent's
// interop tests and benchmarks.
//
//   ring_peer produce RING [--reset] [--no-eof] [--stdio] [--no-flow] [--pps N [--burst N]]
//                          [--long-slots] FILE|-
//   ring_peer consume RING [--latest] [--stdio] [--count N] [--delay-us N] OUT|-
//   ring_peer stat RING
//
// Fast mode (default): the producer maps its input and publishes Put every
// few packets; the consumer writes 256 KB+ at a time and publishes Get after
// each write; both spin, then sched_yield while waiting. --stdio is the
// reference behaviour of pcap2fmadio / fmadio2pcap: records through 4 KB
// stdio buffers, one packet per Put/Get, usleep(0) while waiting.
//
// Producer options that play a pcap2fmadio on a ring it created itself:
// --no-flow writes IsTxFlowControl = 0 into the header (of a new ring and of
// an existing one) and never waits for Get, so it laps a slow consumer; it
// publishes Put after every packet, as the spec's producer does. --pps N
// paces the producer to about N packets a second (so it is still writing
// while a consumer reads): bursts of --burst packets (default 64) at full
// speed, then a sleep until the schedule catches up. --long-slots keeps each packet's caplen (up to
// 65,535) in LengthCapture and copies as many bytes as the slot has room for
// (12,264), where the default cuts both to 10,240.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct __attribute__((packed)) {
	uint64_t TS;
	uint16_t LengthWire;
	uint16_t LengthCapture;
	uint8_t Port;
	uint8_t Flag;
	uint8_t pad1, pad2;
	uint64_t StorageID;
	uint8_t Payload[10240];
	uint8_t padAlign[2024];
} Slot;

// Payload bytes a slot really has: all of it after the 24-byte slot header.
#define SLOT_ROOM (sizeof(Slot) - offsetof(Slot, Payload))

typedef struct __attribute__((packed)) {
	uint32_t Version, Size, SizePacket;
	uint8_t Path[128];
	uint64_t Depth, Mask;
	uint32_t IsTxFlowControl;
	uint64_t TxTimeout, PendingB;
	uint8_t align0[4096 - 4 * 4 - 4 * 8 - 128];
	volatile int64_t Put;
	volatile uint64_t PutByte, PutPktTS;
	uint8_t align1[4096 - 3 * 8];
	volatile int64_t Get;
	volatile uint64_t GetByte, GetPktTS;
	uint8_t align2[4096 - 3 * 8];
	Slot Packet[1024];
} Ring;

_Static_assert(sizeof(Slot) == 12288, "slot size");
_Static_assert(sizeof(Ring) == 12595200, "ring size");
_Static_assert(SLOT_ROOM == 12264, "slot payload room");

#define FLAG_EOF 1
#define FLAG_FCS 2

static int die(const char* what) {
	fprintf(stderr, "ring_peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static Ring* map_ring(const char* path, int create, int reset) {
	struct stat st;
	if (create && (stat(path, &st) != 0 || st.st_size != sizeof(Ring))) {
		int fd = open(path, O_RDWR | O_CREAT, 0666);
		if (fd < 0) die("create ring");
		if (ftruncate(fd, 0) != 0 || ftruncate(fd, sizeof(Ring)) != 0) die("size ring");
		close(fd);
	}
	int fd = open(path, O_RDWR);
	if (fd < 0) die("open ring");
	if (fstat(fd, &st) != 0 || st.st_size != sizeof(Ring)) {
		fprintf(stderr, "ring_peer: ring size %lld, expected %zu\n", (long long)st.st_size, sizeof(Ring));
		exit(2);
	}
	Ring* r = mmap(NULL, sizeof(Ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) die("mmap ring");
	close(fd);
	if (create && (reset || r->Version != 0x100)) {
		memset(r, 0, 3 * 4096);
		r->Size = sizeof(Ring);
		r->SizePacket = sizeof(Slot);
		r->Depth = 1024;
		r->Mask = 1023;
		r->IsTxFlowControl = 1;
		r->TxTimeout = 30000000000ULL;
		strncpy((char*)r->Path, path, sizeof(r->Path));
		__atomic_thread_fence(__ATOMIC_RELEASE);
		r->Version = 0x100;
	}
	if (r->Version != 0x100 || r->Size != sizeof(Ring) || r->SizePacket != sizeof(Slot) ||
	    r->Depth != 1024 || r->Mask != 1023) {
		fprintf(stderr, "ring_peer: bad ring header (version 0x%x)\n", r->Version);
		exit(2);
	}
	return r;
}

static void wait_round(int* spins, int stdio) {
	if (stdio) {
		usleep(0);
		return;
	}
	// Spin ~50 us, yield until ~20 ms (a busy peer answers within a batch), then sleep.
	if (++*spins < 1000) {
		__builtin_ia32_pause();
	} else if (*spins < 40000) {
		sched_yield();
	} else {
		usleep(1000);
	}
}

// ---------------------------------------------------------------- producer

typedef struct {
	int swap;
	uint64_t scale;
} PcapInfo;

static uint32_t rd32(const uint8_t* p, int swap) {
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int parse_header(const uint8_t* h, PcapInfo* info) {
	uint32_t magic;
	memcpy(&magic, h, 4);
	switch (magic) {
	case 0xa1b2c3d4: *info = (PcapInfo){0, 1000}; return 0;
	case 0xa1b23c4d: *info = (PcapInfo){0, 1}; return 0;
	case 0xd4c3b2a1: *info = (PcapInfo){1, 1000}; return 0;
	case 0x4d3cb2a1: *info = (PcapInfo){1, 1}; return 0;
	}
	fprintf(stderr, "ring_peer: not a classic pcap (magic 0x%08x)\n", magic);
	return -1;
}

static Ring* R;
static int64_t Put;
static uint64_t PutByte, LastTS;
// Producer options (see the top of the file).
static int NoFlow, LongSlots;
static uint64_t Pps, Burst = 64, PacedFrom, Paced;

static void publish_put(void) {
	__atomic_store_n(&R->Put, Put, __ATOMIC_RELEASE);
	R->PutByte = PutByte;
	R->PutPktTS = LastTS;
}

static uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

// --pps: every --burst packets, sleep until the schedule catches up.
static void pace(void) {
	if (Pps == 0 || ++Paced % Burst != 0) return;
	uint64_t due = PacedFrom + Paced * 1000000000ULL / Pps;
	uint64_t now = now_ns();
	if (due > now) usleep((useconds_t)((due - now) / 1000));
}

static void wait_room(int stdio) {
	if (NoFlow) return; // pcap2fmadio's rings: the producer never waits for the consumer
	int spins = 0;
	while (Put - __atomic_load_n(&R->Get, __ATOMIC_ACQUIRE) >= 1023) {
		publish_put();
		wait_round(&spins, stdio);
	}
}

static void put_packet(uint64_t ts, uint32_t wire, uint32_t cap, const uint8_t* data, int stdio) {
	// What the slot claims, and what it holds.
	uint32_t claim = cap, copy = cap;
	if (LongSlots) {
		if (claim > 65535) claim = 65535;
		if (copy > SLOT_ROOM) copy = SLOT_ROOM;
	} else {
		if (claim > 10240) claim = copy = 10240;
	}
	if (wire > 65535) wire = 65535;
	wait_room(stdio);
	Slot* s = &R->Packet[Put & 1023];
	s->TS = ts;
	s->LengthWire = wire;
	s->LengthCapture = claim;
	s->Port = 0;
	s->Flag = 0;
	s->StorageID = 0;
	memcpy((uint8_t*)s + offsetof(Slot, Payload), data, copy);
	Put++;
	PutByte += claim;
	LastTS = ts;
	// Without flow control Put goes out after every packet: a consumer's check for
	// overwritten slots relies on it (a slot is rewritten only after Put passed it).
	if (stdio || NoFlow || (Put & 15) == 0) publish_put();
	pace();
}

static int produce(const char* ring, const char* file, int reset, int eof, int stdio) {
	R = map_ring(ring, 1, reset);
	if (NoFlow) R->IsTxFlowControl = 0;
	Put = R->Put;
	PutByte = R->PutByte;
	PacedFrom = now_ns();
	PcapInfo info;
	uint64_t packets = 0;
	if (!stdio && strcmp(file, "-") != 0) {
		int fd = open(file, O_RDONLY);
		if (fd < 0) die("open input");
		struct stat st;
		fstat(fd, &st);
		size_t size = st.st_size;
		if (size < 24) { fprintf(stderr, "ring_peer: short input\n"); return 2; }
		const uint8_t* map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (map == MAP_FAILED) die("mmap input");
		madvise((void*)map, size, MADV_SEQUENTIAL);
		if (parse_header(map, &info) != 0) return 2;
		size_t at = 24;
		while (at + 16 <= size) {
			const uint8_t* h = map + at;
			uint32_t cap = rd32(h + 8, info.swap);
			if (at + 16 + cap > size) break;
			uint64_t ts = rd32(h, info.swap) * 1000000000ULL + rd32(h + 4, info.swap) * info.scale;
			put_packet(ts, rd32(h + 12, info.swap), cap, h + 16, 0);
			packets++;
			at += 16 + cap;
		}
	} else {
		FILE* in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
		if (in == NULL) die("open input");
		static char inbuf[4096];
		setvbuf(in, inbuf, _IOFBF, sizeof(inbuf));
		uint8_t h[24];
		static uint8_t data[262144];
		if (fread(h, 1, 24, in) != 24 || parse_header(h, &info) != 0) return 2;
		while (fread(h, 1, 16, in) == 16) {
			uint32_t cap = rd32(h + 8, info.swap);
			if (cap > sizeof(data) || fread(data, 1, cap, in) != cap) break;
			uint64_t ts = rd32(h, info.swap) * 1000000000ULL + rd32(h + 4, info.swap) * info.scale;
			put_packet(ts, rd32(h + 12, info.swap), cap, data, stdio);
			packets++;
		}
	}
	publish_put();
	if (eof) {
		wait_room(stdio);
		Slot* s = &R->Packet[Put & 1023];
		s->TS = LastTS;
		s->LengthWire = 0;
		s->LengthCapture = 0;
		s->Port = 0;
		s->Flag = FLAG_EOF;
		Put++;
		publish_put();
	}
	fprintf(stderr, "ring_peer produce: %llu packets\n", (unsigned long long)packets);
	return 0;
}

// ---------------------------------------------------------------- consumer

static int out_fd;
static uint8_t* obuf;
static size_t oused;
static const size_t OBUF = 4 << 20;

static void out_flush(void) {
	size_t done = 0;
	while (done < oused) {
		ssize_t n = write(out_fd, obuf + done, oused - done);
		if (n < 0) {
			if (errno == EINTR) continue;
			die("write");
		}
		done += n;
	}
	oused = 0;
}

static int consume(const char* ring, const char* out, int latest, int stdio, long long count, int delay_us) {
	R = map_ring(ring, 0, 0);
	int64_t get = R->Get;
	uint64_t getByte = R->GetByte, lastTS = R->GetPktTS;
	if (latest) {
		get = R->Put;
		R->Get = get;
	}
	out_fd = strcmp(out, "-") == 0 ? 1 : open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (out_fd < 0) die("open output");
	FILE* fout = NULL;
	if (stdio) {
		fout = fdopen(out_fd, "wb");
		static char sbuf[4096];
		setvbuf(fout, sbuf, _IOFBF, sizeof(sbuf));
	}
	obuf = malloc(OBUF);
	const uint32_t hdr[6] = {0xa1b23c4d, 2 | (4 << 16), 0, 0, 65535, 1};
	if (stdio) fwrite(hdr, 1, 24, fout);
	else { memcpy(obuf, hdr, 24); oused = 24; }
	long long packets = 0, bytes = 0, fcs = 0;
	int64_t published = get;
	int spins = 0;
	int eof = 0;
	while (!eof && (count == 0 || packets < count)) {
		int64_t put = __atomic_load_n(&R->Put, __ATOMIC_ACQUIRE);
		if (put <= get) {
			if (!stdio && published != get) {
				out_flush();
				R->GetByte = getByte;
				R->GetPktTS = lastTS;
				__atomic_store_n(&R->Get, get, __ATOMIC_RELEASE);
				published = get;
			}
			wait_round(&spins, stdio);
			continue;
		}
		spins = 0;
		while (get < put && (count == 0 || packets < count)) {
			Slot* s = &R->Packet[get & 1023];
			lastTS = s->TS;
			if (s->Flag & FLAG_EOF) { get++; eof = 1; break; }
			uint32_t cap = s->LengthCapture;
			if (cap > 10240) cap = 10240;
			getByte += cap;
			if (cap > 0) {
				uint32_t rec[4] = {(uint32_t)(s->TS / 1000000000ULL), (uint32_t)(s->TS % 1000000000ULL), cap, s->LengthWire};
				if (stdio) {
					fwrite(rec, 1, 16, fout);
					fwrite(s->Payload, 1, cap, fout);
				} else {
					if (oused + 16 + cap > OBUF) out_flush();
					memcpy(obuf + oused, rec, 16);
					memcpy(obuf + oused + 16, s->Payload, cap);
					oused += 16 + cap;
				}
				packets++;
				bytes += cap;
				if (s->Flag & FLAG_FCS) fcs++;
			}
			get++;
			if (stdio) {
				R->GetByte = getByte;
				R->GetPktTS = lastTS;
				__atomic_store_n(&R->Get, get, __ATOMIC_RELEASE);
				published = get;
			}
			if (delay_us > 0) usleep(delay_us);
		}
		if (!stdio && (oused >= 256 * 1024 || get - published >= 512 || eof)) {
			out_flush();
			R->GetByte = getByte;
			R->GetPktTS = lastTS;
			__atomic_store_n(&R->Get, get, __ATOMIC_RELEASE);
			published = get;
		}
	}
	if (stdio) {
		fflush(fout);
	} else {
		out_flush();
	}
	R->GetByte = getByte;
	R->GetPktTS = lastTS;
	__atomic_store_n(&R->Get, get, __ATOMIC_RELEASE);
	fprintf(stderr, "ring_peer consume: %lld packets %lld bytes %lld fcs\n", packets, bytes, fcs);
	return 0;
}

// ---------------------------------------------------------------- stat

static int stat_ring(const char* ring) {
	int fd = open(ring, O_RDONLY);
	if (fd < 0) die("open ring");
	Ring* r = mmap(NULL, sizeof(Ring), PROT_READ, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) die("mmap ring");
	printf("{\"version\":%u,\"size\":%u,\"sizePacket\":%u,\"path\":\"%.128s\",\"depth\":%llu,\"mask\":%llu,"
	       "\"flowControl\":%u,\"txTimeout\":%llu,\"pendingB\":%llu,\"put\":%lld,\"putByte\":%llu,"
	       "\"putPktTS\":\"%llu\",\"get\":%lld,\"getByte\":%llu,\"getPktTS\":\"%llu\"}\n",
	       r->Version, r->Size, r->SizePacket, (const char*)r->Path, (unsigned long long)r->Depth,
	       (unsigned long long)r->Mask, r->IsTxFlowControl, (unsigned long long)r->TxTimeout,
	       (unsigned long long)r->PendingB, (long long)r->Put, (unsigned long long)r->PutByte,
	       (unsigned long long)r->PutPktTS, (long long)r->Get, (unsigned long long)r->GetByte,
	       (unsigned long long)r->GetPktTS);
	return 0;
}

int main(int argc, char** argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: ring_peer produce|consume|stat RING [options] [FILE]\n");
		return 2;
	}
	const char* mode = argv[1];
	const char* ring = argv[2];
	int reset = 0, eof = 1, stdio = 0, latest = 0, delay = 0;
	long long count = 0;
	const char* file = "-";
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--reset") == 0) reset = 1;
		else if (strcmp(argv[i], "--no-eof") == 0) eof = 0;
		else if (strcmp(argv[i], "--stdio") == 0) stdio = 1;
		else if (strcmp(argv[i], "--latest") == 0) latest = 1;
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) count = atoll(argv[++i]);
		else if (strcmp(argv[i], "--delay-us") == 0 && i + 1 < argc) delay = atoi(argv[++i]);
		else if (strcmp(argv[i], "--no-flow") == 0) NoFlow = 1;
		else if (strcmp(argv[i], "--long-slots") == 0) LongSlots = 1;
		else if (strcmp(argv[i], "--pps") == 0 && i + 1 < argc) Pps = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--burst") == 0 && i + 1 < argc) Burst = strtoull(argv[++i], NULL, 10);
		else file = argv[i];
	}
	if (Burst == 0) Burst = 1;
	if (strcmp(mode, "produce") == 0) return produce(ring, file, reset, eof, stdio);
	if (strcmp(mode, "consume") == 0) return consume(ring, file, latest, stdio, count, delay);
	if (strcmp(mode, "stat") == 0) return stat_ring(ring);
	fprintf(stderr, "ring_peer: unknown mode %s\n", mode);
	return 2;
}
