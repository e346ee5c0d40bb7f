/**
 * fmagent as a library: capture files, the FMAD ring, the filter compiler and
 * the CLI core. Re-exports only; each name is documented where it is defined.
 * @module
 */

// Capture files
export {
  type CaptureFormat,
  CaptureReader,
  type CaptureReaderOptions,
} from "./src/pcap/capture_reader.ts";
export { CaptureError } from "./src/pcap/capture_error.ts";
export { type OpenCapture, openCaptureFile } from "./src/pcap/open_capture.ts";
export {
  PcapWriter,
  type PcapWriterOptions,
  type TimestampPrecision,
} from "./src/pcap/pcap_writer.ts";
export {
  copyPacket,
  newPacketBatch,
  type Packet,
  type PacketBatch,
} from "./src/pcap/packet_batch.ts";
export { followFile, type FollowOptions } from "./src/pcap/follow_reader.ts";
export { bytesReader } from "./src/pcap/bytes_reader.ts";
export {
  epochNsHigh,
  epochNsLow,
  formatEpoch,
  nanosOfEpochNs,
  secondsOfEpochNs,
} from "./src/pcap/timestamp.ts";
export { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "./src/pcap/link_type.ts";

// The filter language → classic BPF → verdicts
export {
  type CompiledFilter,
  compileFilter,
  type CompileOptions,
  compileProgram,
} from "./src/bpf/compile_filter.ts";
export { FilterRangeError, FilterSemanticError, FilterSyntaxError } from "./src/bpf/errors.ts";
export type { RawInstruction, RawProgram } from "./src/bpf/program/raw_instruction.ts";
export { interpret, type PacketMatcher } from "./src/bpf/program/interpret.ts";
export { jitCompile } from "./src/bpf/program/jit.ts";
export { type DumpLevel, dumpProgram } from "./src/bpf/program/dump.ts";
export { parseProgramText } from "./src/bpf/program/parse_program.ts";
export { type OptimizeOptions, optimizeProgram } from "./src/bpf/program/optimize.ts";
export { validateProgram } from "./src/bpf/program/validate.ts";

// Printing
export { formatPacketLine } from "./src/print/packet_line.ts";
export { sampleCapture } from "./src/demo/sample_capture.ts";

// CLI core
export { main } from "./src/cli/main.ts";
export type { ByteReader, ByteWriter, Io } from "./src/cli/io.ts";
export { VERSION } from "./src/version.ts";
