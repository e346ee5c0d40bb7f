/*
 * libpcap as an oracle for the BPF program tests (compiled by the tests with
 * gcc -lpcap). Reads binary requests on stdin, little-endian:
 *   'I' u16 code, u8 jt, u8 jf, u32 k, u32 n      -> bpf_image(insn, n) + "\n"
 *   'D' u8 option, u32 count, count x insn          -> bpf_dump(program, option) output
 *   'K' u32 caplen, u32 wirelen, caplen bytes     -> keeps the packet (no output)
 *   'P' u32 count, count x (u16 code, u8 jt, u8 jf, u32 k)
 *       -> "V<bpf_validate>\n", then pcap_offline_filter's verdict "%u\n" for
 *          every packet kept so far, in order
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get(void *p, size_t n) { return fread(p, 1, n, stdin) == n; }

int main(void) {
  static struct bpf_insn prog[65536];
  struct bpf_program fp = {0, prog};
  struct pcap_pkthdr *hdrs = NULL;
  unsigned char **pkts = NULL;
  size_t kept = 0, room = 0;
  int tag;
  while ((tag = getchar()) != EOF) {
    if (tag == 'I') {
      struct bpf_insn insn;
      uint32_t n;
      if (!get(&insn.code, 2) || !get(&insn.jt, 1) || !get(&insn.jf, 1) || !get(&insn.k, 4) || !get(&n, 4)) return 2;
      printf("%s\n", bpf_image(&insn, (int)n));
    } else if (tag == 'D') {
      unsigned char option;
      uint32_t count;
      if (!get(&option, 1) || !get(&count, 4) || count > 65536) return 2;
      for (uint32_t i = 0; i < count; i++) {
        if (!get(&prog[i].code, 2) || !get(&prog[i].jt, 1) || !get(&prog[i].jf, 1) || !get(&prog[i].k, 4)) return 2;
      }
      struct bpf_program p = {count, prog};
      fflush(stdout);
      bpf_dump(&p, option);
      fflush(stdout);
    } else if (tag == 'K') {
      uint32_t caplen, wirelen;
      if (!get(&caplen, 4) || !get(&wirelen, 4) || caplen > 262144) return 2;
      if (kept == room) {
        room = room ? room * 2 : 1024;
        hdrs = realloc(hdrs, room * sizeof *hdrs);
        pkts = realloc(pkts, room * sizeof *pkts);
        if (!hdrs || !pkts) return 3;
      }
      memset(&hdrs[kept], 0, sizeof hdrs[kept]);
      hdrs[kept].caplen = caplen;
      hdrs[kept].len = wirelen;
      pkts[kept] = malloc(caplen ? caplen : 1);
      if (!pkts[kept] || !get(pkts[kept], caplen)) return 2;
      kept++;
    } else if (tag == 'P') {
      uint32_t count;
      if (!get(&count, 4) || count > 65536) return 2;
      for (uint32_t i = 0; i < count; i++) {
        if (!get(&prog[i].code, 2) || !get(&prog[i].jt, 1) || !get(&prog[i].jf, 1) || !get(&prog[i].k, 4)) return 2;
      }
      fp.bf_len = count;
      printf("V%d\n", bpf_validate(prog, (int)count));
      for (size_t i = 0; i < kept; i++) printf("%u\n", pcap_offline_filter(&fp, &hdrs[i], pkts[i]));
    } else {
      return 2;
    }
  }
  return 0;
}
