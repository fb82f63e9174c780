/** The executor of each node type. */
import type { NodeType } from "../model/types.js";
import { executeBranch } from "./branch.js";
import { executeHttpRequest } from "./http-request.js";
import { executeJavascript } from "./javascript.js";
import { executeLlm } from "./llm.js";
import { executePython } from "./python.js";
import { executeLogic } from "./logic.js";
import { executeSubworkflow } from "./subworkflow.js";
import { executeTool } from "./tool.js";
import type { NodeExecutor } from "./types.js";

export const EXECUTORS: Record<NodeType, NodeExecutor> = {
  branch: executeBranch,
  loop: executeBranch,
  tool: executeTool,
  javascript: executeJavascript,
  http_request: executeHttpRequest,
  subworkflow: executeSubworkflow,
  llm: executeLlm,
  python: executePython,
  logic: executeLogic,
};

export { createHostCallHandler } from "./host-calls.js";
export { LlmSession } from "./llm-session.js";
export type { ConcurrencyBudget, LlmCallOptions, LlmEvent, LlmEventSink, RunLlmOverrides } from "./llm-session.js";
export type { ChildRunResult, NodeContext, NodeExecutor, NodeResult, NodeServices } from "./types.js";
