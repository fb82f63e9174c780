/** `javascript` code nodes run in the runtime's worker pool (SPEC §4); the pool copies the inputs. */
import type { NodeExecutor } from "./types.js";

export const executeJavascript: NodeExecutor = (ctx) =>
  ctx.services.jsPool.run({
    nodeId: ctx.node.id,
    code: ctx.node.code!,
    inputs: ctx.inputs,
    signal: ctx.signal,
    hostCalls: ctx.hostCalls,
  });
