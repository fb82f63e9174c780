/** `tool` nodes: arguments `{...tool_args, ...inputs}` (inputs win, as in Flocks), raw result under `output_key`. */
import type { NodeExecutor } from "./types.js";

export const executeTool: NodeExecutor = async (ctx) => {
  const { node } = ctx;
  const args = { ...(node.toolArgs ?? {}), ...ctx.inputs };
  const value = await ctx.services.tools.run(node.toolName!, args, { signal: ctx.signal, runId: ctx.runId, nodeId: node.id });
  return { outputs: { [node.outputKey ?? "result"]: value } };
};
