/** `python` code nodes run in the runtime's Python worker processes (SPEC §4); the inputs travel as JSON (a copy). */
import { requirements } from "../model/metadata.js";
import type { NodeContext, NodeExecutor, NodeResult } from "./types.js";

/** Runs Python code for this node (also used by Python `logic` nodes). */
export function runPythonCode(ctx: NodeContext, code: string): Promise<NodeResult> {
  return ctx.services.pythonPool.run({
    nodeId: ctx.node.id,
    code,
    inputs: ctx.inputs,
    requirements: requirements(ctx.workflow),
    signal: ctx.signal,
    hostCalls: ctx.hostCalls,
  });
}

export const executePython: NodeExecutor = (ctx) => runPythonCode(ctx, ctx.node.code!);
