/**
 * The run store's vocabulary: what the service writes (a run row, append-only step rows, the run's
 * events, releases, API keys) and the records it reads back (SPEC §7 "Run store"). Statuses are the
 * engine's, plus the two only the service knows: `running` and `interrupted` (SPEC §3).
 */
import type { RunStatus, StepStatus } from "../engine/types.js";

export const SERVICE_RUN_STATUSES = ["running", "succeeded", "failed", "timed_out", "cancelled", "interrupted"] as const;
export type ServiceRunStatus = RunStatus | "running" | "interrupted";

/** The row written before a run starts (the service answers 202 only after this). */
export interface NewRun {
  runId: string;
  workflowId: string;
  releaseId: string | null;
  /** Who started it: a trigger's identity, `{type: "api"}`, `{type: "invoke"}`. */
  trigger: Record<string, unknown> | null;
  inputs: Record<string, unknown>;
  startedAtMs: number;
}

/** What a step records, however it is timed. */
interface StepFields {
  nodeId: string;
  status: StepStatus;
  durationMs: number;
  outputs: unknown;
  error: string | null;
  errorType: string | null;
  traceback: string | null;
  stdout: string;
}

/** One finished step, as known when its `node.finished` event arrives. */
export interface NewStep extends StepFields {
  /** 0-based position in the run's history (the order of `node.finished` events). */
  index: number;
  nodeType: string;
  startedAtMs: number;
}

export interface RunFinish {
  status: RunStatus;
  finishedAtMs: number;
  outputs: unknown;
  error: string | null;
}

/** A step as the API shows it (SPEC §7): times ISO 8601. */
export interface StoredStep extends StepFields {
  startedAt: string;
}

/** The fields every view of a run has (SPEC §7 run record, without its steps). */
export interface RunFields {
  runId: string;
  workflowId: string;
  releaseId: string | null;
  status: ServiceRunStatus;
  trigger: Record<string, unknown> | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  inputs: unknown;
  outputs: unknown;
  error: string | null;
}

/** A run without its steps (history lists). */
export interface RunSummary extends RunFields {
  stepCount: number;
}

/** The run record of SPEC §7: `GET /api/runs/:runId`. */
export interface RunRecord extends RunFields {
  steps: StoredStep[];
}

/** One event of a run, numbered from 1 in the order it was emitted. */
export interface StoredEvent {
  seq: number;
  /** The event object as emitted (SPEC §3), with its `type`. */
  data: Record<string, unknown> & { type: string };
}

export interface ReleaseRecord {
  workflowId: string;
  releaseId: string;
  /** The `workflow.json` value as it was when published; never changes afterwards. */
  snapshot: unknown;
  createdAt: string;
  active: boolean;
}
