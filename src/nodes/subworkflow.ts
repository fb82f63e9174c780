/**
 * `subworkflow` nodes: child inputs from `inputs_mapping` (a missing path gives null, key kept, as
 * in Flocks) or a copy of the inputs, then `inputs_const`. The engine runs the child (lookup, depth
 * limit, cancellation and the remaining run budget); its full outputs land under `output_key`.
 */
import { SubworkflowError } from "../errors.js";
import { getPath } from "../model/get-path.js";
import type { NodeExecutor } from "./types.js";

export const executeSubworkflow: NodeExecutor = async (ctx) => {
  const { node, inputs } = ctx;
  const childInputs: Record<string, unknown> = {};
  if (node.inputsMapping) {
    for (const [dst, src] of Object.entries(node.inputsMapping)) childInputs[dst] = getPath(inputs, src);
  } else {
    Object.assign(childInputs, inputs);
  }
  if (node.inputsConst) Object.assign(childInputs, node.inputsConst);
  const result = await ctx.runChild(node.workflowId!, childInputs, ctx.signal);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (result.status !== "succeeded") {
    throw new SubworkflowError(`Sub-workflow '${node.workflowId}' ${result.status}: ${result.error ?? "no error reported"}`);
  }
  return { outputs: { [node.outputKey ?? "output"]: result.outputs } };
};
