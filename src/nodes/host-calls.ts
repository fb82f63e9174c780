/**
 * The host side of code nodes' `tool.*` and `llm.*` calls: one handler per node execution, bound
 * to the run and node. The sandbox forwards calls here without knowing what they are.
 */
import type { HostCallHandler } from "../sandbox/protocol.js";
import type { ToolRegistry } from "../tools/tool-registry.js";
import type { LlmCallOptions } from "./llm-session.js";

export type AskLlm = (prompt: string, options: LlmCallOptions, signal: AbortSignal) => Promise<string>;

export function createHostCallHandler(tools: ToolRegistry, runId: string, nodeId: string, askLlm: AskLlm): HostCallHandler {
  return (call, signal) => {
    switch (call.kind) {
      case "tool":
        return tools.run(call.name, call.args, { signal, runId, nodeId });
      case "tool_safe":
        return tools.runSafe(call.name, call.args, { signal, runId, nodeId });
      case "llm":
        return askLlm(call.prompt, call.options as LlmCallOptions, signal);
    }
  };
}
