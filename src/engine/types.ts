/**
 * Run and step records, run options and events: the engine's public vocabulary. Statuses and
 * event names are the exact strings of SPEC §3, each defined once here.
 */

export const STEP_STATUSES = ["succeeded", "failed", "timed_out", "cancelled"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_STATUSES = ["succeeded", "failed", "timed_out", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type HistoryMode = "full" | "summary";

export interface StepRecord {
  nodeId: string;
  nodeType: string;
  status: StepStatus;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** The node's payload (summarised in summary history mode). */
  inputs: unknown;
  /** The node's outputs (summarised in summary history mode). */
  outputs: unknown;
  error: string | null;
  errorType: string | null;
  traceback: string | null;
  stdout: string;
}

export interface RunResult {
  status: RunStatus;
  runId: string;
  /** Number of executed steps. */
  steps: number;
  lastNodeId: string | null;
  /** Full outputs of the last step (never summarised). */
  outputs: Record<string, unknown>;
  /** `"<node id>: <errorType>: <message>"` for node failures, else the run-level reason. */
  error: string | null;
  history: StepRecord[];
}

export const EVENT_TYPES = [
  "run.started",
  "node.started",
  "node.finished",
  "llm.request",
  "llm.retry",
  "llm.token",
  "run.finished",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type RunEvent =
  | { type: "run.started"; runId: string; workflow: string | null; ts: number }
  | { type: "node.started"; runId: string; nodeId: string; nodeType: string; ts: number }
  | {
      type: "node.finished";
      runId: string;
      nodeId: string;
      nodeType: string;
      status: StepStatus;
      durationMs: number;
      error: string | null;
      ts: number;
    }
  | { type: "run.finished"; runId: string; status: RunStatus; steps: number; durationMs: number; error: string | null; ts: number }
  | { type: "llm.request" | "llm.retry" | "llm.token"; runId: string; nodeId?: string; ts: number; [key: string]: unknown };

export type EventListener = (event: RunEvent) => void;

/** Options of one run, already converted to milliseconds. */
export interface EngineRunOptions {
  runId: string;
  inputs: Record<string, unknown>;
  signal?: AbortSignal;
  /** Wall-clock budget of the whole run; undefined = none. */
  runTimeoutMs?: number;
  /** Overrides the workflow's node timeout (node `timeout_s` still wins); 0 = off. */
  nodeTimeoutMs?: number;
  maxParallel: number;
  historyMode: HistoryMode;
  maxSteps: number;
  stopOnError: boolean;
  onEvent?: EventListener;
  /** Called with each step record as soon as it is recorded (before the next batch starts). */
  onStep?: (step: StepRecord) => void;
  /** 0 for a top-level run, 1 inside a sub-workflow. */
  depth: number;
  /** Run-level LLM override (model, key, base URL, proxy policy) for every call of the run. */
  llm?: import("../nodes/index.js").RunLlmOverrides;
}

/** Engine-internal options a parent run hands to its sub-workflow runs. */
export interface ChildRunLink {
  /** The parent run's LLM budget: one budget per run, sub-workflows included. */
  llmBudget: import("../nodes/index.js").ConcurrencyBudget;
}
