/**
 * The npm package's `fmagent` bin: the same `main()` as the Deno entry, with
 * Node's process streams. Like main.ts, the only place that exits.
 */
import { main } from "./main.ts";
import { nodeIo } from "./io_node.ts";
import { Deno as NodeDeno } from "./deno_shim.node.ts";

const { io, dispose } = nodeIo();
const code = await main(NodeDeno.args, io);
dispose();
NodeDeno.exit(code);
