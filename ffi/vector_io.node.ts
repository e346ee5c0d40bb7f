/**
 * VectorIo on Node (the npm package): not provided. The ring's hot paths
 * then copy packet bytes in JavaScript, as they do for any output or input
 * that is not a plain file descriptor.
 */
import type { VectorIo } from "./vector_io.ts";

export const vectorIo: VectorIo | undefined = undefined;
