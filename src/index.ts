/** flockflow's public API (SPEC §7 "Library"). */
export { createRuntime } from "./runtime/create-runtime.js";
export type { Runtime, RuntimeOptions, RunOptions } from "./runtime/create-runtime.js";
export { loadWorkflow, validateWorkflow } from "./model/load-workflow.js";
export type { Workflow, WorkflowNode, WorkflowEdge, WorkflowTrigger, NodeType } from "./model/types.js";
export type { RunResult, StepRecord, RunEvent, RunStatus, StepStatus, HistoryMode, EventListener } from "./engine/types.js";
export type { ToolContext, ToolDefinition, ToolEntry, ToolFunction, RunSafeEnvelope } from "./tools/tool-registry.js";
export type { FlockflowConfig } from "./config/load-config.js";
export { startMockLlmServer } from "./mock-llm/index.js";
export type { MockBehavior, MockLlmServer, MockLlmServerOptions, MockRule, MockStats } from "./mock-llm/index.js";
export {
  RunCancelledError,
  FlockflowError,
  TimeoutError,
  WorkflowValidationError,
  WorkflowNotFoundError,
  ToolError,
  ToolNotFoundError,
  CodeError,
  ConfigError,
  HttpRequestError,
  InvalidOptionError,
  JoinConflictError,
  MaxStepsExceededError,
  NodeUnavailableError,
  PendingJoinError,
  RuntimeClosedError,
  SubworkflowError,
  TemplateError,
  ToolModuleError,
  WorkerCrashError,
  isCancellation,
  isTimeout,
} from "./errors.js";
export type { ValidationIssue } from "./errors.js";
