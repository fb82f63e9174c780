/** Node types whose runtime is not part of this build fail with a clear message, never silently. */
import { NodeUnavailableError } from "../errors.js";
import type { NodeExecutor } from "./types.js";

const REASON: Record<string, string> = {
};

export const executeUnavailable: NodeExecutor = (ctx) =>
  Promise.reject(new NodeUnavailableError(`node '${ctx.node.id}': ${REASON[ctx.node.type] ?? `${ctx.node.type} nodes are not supported`}`));
