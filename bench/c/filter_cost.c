/*
 * Per-packet cost of libpcap's BPF interpreter, for bench/filter_bench.ts.
 *   filter_cost FILE COUNT ROUNDS PASSES EXPR...
 * Loads the first COUNT packets of FILE into one buffer, compiles each EXPR
 * with pcap_compile (optimised, as tcpdump does) and times ROUNDS rounds of
 * PASSES passes of pcap_offline_filter over all packets, keeping the best
 * round. Prints one line per expression:
 *   ns_per_packet <TAB> matches_per_pass <TAB> program_length
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: filter_cost FILE COUNT ROUNDS PASSES EXPR...\n");
    return 2;
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (!p) {
    fprintf(stderr, "filter_cost: %s\n", err);
    return 1;
  }
  long want = atol(argv[2]);
  int rounds = atoi(argv[3]);
  int passes = atoi(argv[4]);
  size_t cap = 1 << 20, used = 0;
  unsigned char *data = malloc(cap);
  struct pcap_pkthdr *hdrs = malloc(sizeof *hdrs * want);
  size_t *offs = malloc(sizeof *offs * want);
  long n = 0;
  struct pcap_pkthdr *h;
  const u_char *bytes;
  while (n < want && pcap_next_ex(p, &h, &bytes) == 1) {
    while (used + h->caplen > cap) data = realloc(data, cap *= 2);
    memcpy(data + used, bytes, h->caplen);
    hdrs[n] = *h;
    offs[n] = used;
    used += h->caplen;
    n++;
  }
  for (int e = 5; e < argc; e++) {
    struct bpf_program fp;
    if (pcap_compile(p, &fp, argv[e], 1, PCAP_NETMASK_UNKNOWN) != 0) {
      fprintf(stderr, "filter_cost: %s: %s\n", argv[e], pcap_geterr(p));
      return 1;
    }
    long matches = 0;
    for (long i = 0; i < n; i++) matches += pcap_offline_filter(&fp, &hdrs[i], data + offs[i]) != 0;
    double best = 1e300;
    for (int r = 0; r < rounds; r++) {
      double t0 = now_ns();
      long m = 0;
      for (int pass = 0; pass < passes; pass++) {
        for (long i = 0; i < n; i++) m += pcap_offline_filter(&fp, &hdrs[i], data + offs[i]) != 0;
      }
      double t = now_ns() - t0;
      if (m != matches * passes) return 3;
      if (t < best) best = t;
    }
    printf("%.3f\t%ld\t%u\n", best / ((double)n * passes), matches, fp.bf_len);
    pcap_freecode(&fp);
  }
  return 0;
}
