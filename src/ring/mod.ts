/**
 * The FMAD ring's public API, for mod.ts to re-export: produce capture files
 * into a ring, consume a ring into a pcap (or any sink), read its counters,
 * and the layout spec for tools of one's own.
 */
export {
  type CaptureSource,
  type EpochTime,
  type PacketMatcher,
  type ProduceOptions,
  type ProduceSummary,
  produceToRing,
} from "./producer.ts";
export {
  consumeFromRing,
  type ConsumeOptions,
  type ConsumeSummary,
  type RingPacketSink,
} from "./consumer.ts";
export { pcapSink, type PcapSinkOptions } from "./pcap_sink.ts";
export { textSink } from "./text_sink.ts";
export { type ProducerOpenOptions, type ProducerOpenReport, Ring } from "./ring.ts";
export { RingError } from "./ring_error.ts";
export {
  formatSnapshot,
  openRingForStat,
  type RingSnapshot,
  snapshotRecord,
  takeSnapshot,
} from "./ring_stat.ts";
export * as ringLayout from "./layout.ts";
export { DEFAULT_RING_PATH } from "./options.ts";
