/**
 * The host side of code nodes' `tool.*` and `llm.*` calls: one handler per node execution, bound
 * to the run and node ids. The sandbox forwards calls here without knowing what they are.
 */
import { NodeUnavailableError } from "../errors.js";
import type { HostCallHandler } from "../sandbox/protocol.js";
import type { ToolRegistry } from "../tools/tool-registry.js";

export function createHostCallHandler(tools: ToolRegistry, runId: string, nodeId: string): HostCallHandler {
  return (call, signal) => {
    switch (call.kind) {
      case "tool":
        return tools.run(call.name, call.args, { signal, runId, nodeId });
      case "tool_safe":
        return tools.runSafe(call.name, call.args, { signal, runId, nodeId });
      case "llm":
        return Promise.reject(new NodeUnavailableError("llm.ask needs the LLM runtime, which this build of flockflow does not include yet"));
    }
  };
}
