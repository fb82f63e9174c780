/**
 * The run store (SPEC §7 "Run store"): SQLite in WAL mode through better-sqlite3, under the data
 * dir. better-sqlite3 is synchronous, which is what the durability promise rests on: a step row is
 * committed before the call that writes it returns, so once a `node.finished` event has been
 * handled the step survives a crash of the process (WAL with `synchronous = NORMAL` loses nothing
 * committed when the process dies; only a power loss can take the last commits).
 *
 * Writes are small and append-only: a run row when the run starts, one step row per finished step,
 * one row per event, and the final update of the run row (never a growing blob rewritten per step,
 * the quadratic pattern of reference §8). Payloads are compacted on the way in (compact-payload.ts).
 * Retention runs after each final write: it keeps the newest `retentionRuns` finished runs of the
 * workflow and deletes older ones with their steps and events; running runs are never deleted.
 *
 * On open, runs still `running` belong to a process that died: they become `interrupted`.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { StepRecord } from "../engine/types.js";
import { compactJson, DEFAULT_COMPACTION, truncateText, type CompactionLimits } from "./compact-payload.js";
import { migrate } from "./migrations.js";
import type { NewRun, NewStep, ReleaseRecord, RunFinish, RunRecord, RunSummary, ServiceRunStatus, StoredEvent, StoredStep } from "./types.js";

export const DEFAULT_RETENTION_RUNS = 200;
export const STORE_FILE_NAME = "flockflow.db";
export const INTERRUPTED_ERROR = "interrupted: the service stopped while the run was running";

/** An event to write: its sequence number in the run and the event object (with `type`). */
export interface PendingEvent {
  seq: number;
  event: { type: string; ts?: unknown };
}

export interface RunStoreOptions {
  /** Folder of the database file (created if missing). Ignored when `file` is `:memory:`. */
  dataDir?: string;
  /** Database file; default `<dataDir>/flockflow.db`. `:memory:` for a throwaway store. */
  file?: string;
  /** Finished runs kept per workflow (default 200). */
  retentionRuns?: number;
  compaction?: Partial<CompactionLimits>;
}

interface RunRow {
  run_id: string;
  workflow_id: string;
  release_id: string | null;
  status: ServiceRunStatus;
  trigger: string | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  inputs: string;
  outputs: string | null;
  error: string | null;
  step_count?: number;
}

interface StepRow {
  node_id: string;
  status: StoredStep["status"];
  started_at: number;
  duration_ms: number;
  outputs: string | null;
  error: string | null;
  error_type: string | null;
  traceback: string | null;
  stdout: string;
}

export class RunStore {
  readonly file: string;
  /** Runs found `running` when the store was opened, now `interrupted`. */
  readonly interruptedOnOpen: number;
  readonly retentionRuns: number;
  readonly #db: Database.Database;
  readonly #limits: CompactionLimits;
  readonly #sql: ReturnType<typeof prepareStatements>;
  /** Transaction functions, made once (not wrapped anew per call). */
  readonly #tx: {
    step: (runId: string, step: NewStep, events: readonly PendingEvent[]) => void;
    finish: (runId: string, finish: RunFinish, history: readonly StepRecord[], events: readonly PendingEvent[]) => void;
    events: (runId: string, events: readonly PendingEvent[]) => void;
  };
  /** Finished runs per workflow, counted on first need and then kept up to date by #trim. */
  readonly #finishedCounts = new Map<string, number>();
  /** How many of a running run's steps were already written in full (appendStep), by run id. */
  readonly #stepsWritten = new Map<string, number>();
  /** `/invoke` looks these up on every call; undefined values are cached too. */
  readonly #activeReleaseIds = new Map<string, string | undefined>();
  readonly #apiKeyHashes = new Map<string, string | undefined>();
  #closed = false;

  constructor(options: RunStoreOptions = {}) {
    const file = options.file ?? path.join(requiredDataDir(options.dataDir), STORE_FILE_NAME);
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.file = file;
    this.retentionRuns = options.retentionRuns ?? DEFAULT_RETENTION_RUNS;
    if (!Number.isInteger(this.retentionRuns) || this.retentionRuns < 1) throw new RangeError("retentionRuns must be an integer >= 1");
    this.#limits = { ...DEFAULT_COMPACTION, ...options.compaction };
    this.#db = new Database(file);
    try {
      this.#db.pragma("journal_mode = WAL");
      // NORMAL in WAL mode: every commit is in the WAL before the call returns, so a process crash
      // loses nothing committed; only the fsync per commit is saved.
      this.#db.pragma("synchronous = NORMAL");
      this.#db.pragma("busy_timeout = 5000");
      this.#db.pragma("foreign_keys = OFF");
      migrate(this.#db, undefined, file);
      this.#sql = prepareStatements(this.#db);
      this.#tx = {
        step: this.#db.transaction((runId: string, step: NewStep, events: readonly PendingEvent[]) => this.#writeStep(runId, step, events)),
        finish: this.#db.transaction((runId: string, finish: RunFinish, history: readonly StepRecord[], events: readonly PendingEvent[]) =>
          this.#writeFinish(runId, finish, history, events),
        ),
        events: this.#db.transaction((runId: string, events: readonly PendingEvent[]) => {
          for (const { seq, event } of events) this.#insertEvent(runId, seq, event);
        }),
      };
      this.interruptedOnOpen = this.#sql.markInterrupted.run(INTERRUPTED_ERROR).changes;
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  // ---- runs -------------------------------------------------------------------------------------

  createRun(run: NewRun): void {
    this.#sql.insertRun.run(
      run.runId,
      run.workflowId,
      run.releaseId,
      run.trigger === null ? null : JSON.stringify(run.trigger),
      run.startedAtMs,
      compactJson(run.inputs, this.#limits),
    );
  }

  /**
   * Written when the step's `node.finished` event arrives, together with the run's events not yet
   * written (one transaction): committed before this returns.
   */
  appendStep(runId: string, step: NewStep, events: readonly PendingEvent[] = []): void {
    this.#tx.step(runId, step, events);
  }

  #writeStep(runId: string, step: NewStep, events: readonly PendingEvent[]): void {
    for (const { seq, event } of events) this.#insertEvent(runId, seq, event);
    this.#sql.upsertStep.run(this.#stepParams(runId, step));
    this.#stepsWritten.set(runId, Math.max(this.#stepsWritten.get(runId) ?? 0, step.index + 1));
  }

  /**
   * The final write of a run, in one transaction: its remaining events, the steps' full records
   * (the engine's history, which has what a `node.finished` event does not carry: outputs, error
   * type, traceback, stdout), the run row, then retention for its workflow.
   */
  finishRun(runId: string, finish: RunFinish, history: readonly StepRecord[] = [], events: readonly PendingEvent[] = []): void {
    this.#tx.finish(runId, finish, history, events);
  }

  #writeFinish(runId: string, finish: RunFinish, history: readonly StepRecord[], events: readonly PendingEvent[]): void {
    for (const { seq, event } of events) this.#insertEvent(runId, seq, event);
    // Steps appended as they finished already hold their full record; only the rest are written.
    const written = this.#stepsWritten.get(runId) ?? 0;
    this.#stepsWritten.delete(runId);
    history.forEach((step, index) => {
      if (index < written) return;
      this.#sql.upsertStep.run(
        this.#stepParams(runId, {
          index,
          nodeId: step.nodeId,
          nodeType: step.nodeType,
          status: step.status,
          startedAtMs: Date.parse(step.startedAt),
          durationMs: step.durationMs,
          outputs: step.outputs,
          error: step.error,
          errorType: step.errorType,
          traceback: step.traceback,
          stdout: step.stdout,
        }),
      );
    });
    const info = this.#sql.finishRun.run(
      finish.status,
      finish.finishedAtMs,
      finish.finishedAtMs,
      compactJson(finish.outputs, this.#limits),
      finish.error === null ? null : truncateText(finish.error, this.#limits.maxStringChars),
      runId,
    );
    if (info.changes === 0) return;
    const row = this.#sql.workflowOf.get(runId) as { workflow_id: string } | undefined;
    if (row) this.#trim(row.workflow_id);
  }

  /**
   * Retention, exact and cheap: the number of finished runs per workflow is counted once, then
   * kept up to date, so a trim is needed only when it exceeds the limit, and then deletes just the
   * oldest surplus (an index walk from the old end, no OFFSET scan over the kept runs).
   */
  #trim(workflowId: string): void {
    let finished = this.#finishedCounts.get(workflowId);
    if (finished === undefined) finished = (this.#sql.countFinished.get(workflowId) as { n: number }).n;
    else finished += 1;
    // Trimmed in batches (an eighth of the limit, so 25 for the default 200): one delete pass every
    // few runs instead of one per finished run.
    if (finished > this.retentionRuns + Math.floor(this.retentionRuns / 8)) {
      const old = this.#sql.oldestFinished.all(workflowId, finished - this.retentionRuns) as Array<{ run_id: string }>;
      for (const { run_id: id } of old) {
        this.#sql.deleteSteps.run(id);
        this.#sql.deleteEvents.run(id);
        this.#sql.deleteRun.run(id);
      }
      finished -= old.length;
    }
    this.#finishedCounts.set(workflowId, finished);
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.#sql.getRun.get(runId) as RunRow | undefined;
    if (!row) return undefined;
    return { ...runFields(row), steps: (this.#sql.stepsOf.all(runId) as StepRow[]).map(toStoredStep) };
  }

  runStatus(runId: string): ServiceRunStatus | undefined {
    return (this.#sql.statusOf.get(runId) as { status: ServiceRunStatus } | undefined)?.status;
  }

  /** Newest first. */
  listRuns(workflowId: string, limit: number): RunSummary[] {
    return (this.#sql.listRuns.all(workflowId, limit) as RunRow[]).map(toSummary);
  }

  // ---- events -----------------------------------------------------------------------------------

  appendEvents(runId: string, events: readonly PendingEvent[]): void {
    if (events.length === 0) return;
    if (events.length === 1) {
      this.#insertEvent(runId, events[0]!.seq, events[0]!.event);
      return;
    }
    this.#tx.events(runId, events);
  }

  #insertEvent(runId: string, seq: number, event: { type: string; ts?: unknown }): void {
    const ts = typeof event.ts === "number" ? event.ts : Date.now();
    this.#sql.insertEvent.run(runId, seq, event.type, ts, compactJson(event, this.#limits));
  }

  /** The run's events with `seq > afterSeq`, in order. */
  eventsAfter(runId: string, afterSeq = 0): StoredEvent[] {
    return (this.#sql.eventsAfter.all(runId, afterSeq) as Array<{ seq: number; data: string }>).map((row) => ({
      seq: row.seq,
      data: JSON.parse(row.data) as StoredEvent["data"],
    }));
  }

  // ---- releases and API keys --------------------------------------------------------------------

  /** A new immutable snapshot, made the workflow's only active release. */
  createRelease(workflowId: string, releaseId: string, snapshot: unknown, createdAtMs = Date.now()): ReleaseRecord {
    const snapshotText = JSON.stringify(snapshot);
    this.#db.transaction(() => {
      this.#sql.deactivateReleases.run(workflowId);
      this.#activeReleaseIds.delete(workflowId);
      this.#sql.insertRelease.run(releaseId, workflowId, snapshotText, createdAtMs);
    })();
    return { workflowId, releaseId, snapshot: JSON.parse(snapshotText), createdAt: new Date(createdAtMs).toISOString(), active: true };
  }

  activeRelease(workflowId: string): ReleaseRecord | undefined {
    const row = this.#sql.activeRelease.get(workflowId) as { release_id: string; snapshot: string; created_at: number } | undefined;
    if (!row) return undefined;
    return { workflowId, releaseId: row.release_id, snapshot: JSON.parse(row.snapshot), createdAt: new Date(row.created_at).toISOString(), active: true };
  }

  /** The active release's id only: what `/invoke` checks per call, without reading the snapshot. */
  activeReleaseId(workflowId: string): string | undefined {
    // Cached: this store is the only writer of releases, and every write below clears the entry.
    if (!this.#activeReleaseIds.has(workflowId)) {
      const id = (this.#sql.activeReleaseId.get(workflowId) as { release_id: string } | undefined)?.release_id;
      this.#activeReleaseIds.set(workflowId, id);
    }
    return this.#activeReleaseIds.get(workflowId);
  }

  release(releaseId: string): ReleaseRecord | undefined {
    const row = this.#sql.release.get(releaseId) as { workflow_id: string; snapshot: string; created_at: number; active: number } | undefined;
    if (!row) return undefined;
    return { workflowId: row.workflow_id, releaseId, snapshot: JSON.parse(row.snapshot), createdAt: new Date(row.created_at).toISOString(), active: row.active === 1 };
  }

  /** Returns the number of releases that were active (0 or 1). */
  deactivateReleases(workflowId: string): number {
    this.#activeReleaseIds.delete(workflowId);
    return this.#sql.deactivateReleases.run(workflowId).changes;
  }

  /** Stores the hash of a workflow's invoke key (replacing the previous one). */
  setApiKeyHash(workflowId: string, keyHash: string): void {
    this.#apiKeyHashes.delete(workflowId);
    this.#sql.upsertApiKey.run(workflowId, keyHash, Date.now());
  }

  apiKeyHash(workflowId: string): string | undefined {
    // Cached like activeReleaseId: every write of a key goes through this store and clears it.
    if (!this.#apiKeyHashes.has(workflowId)) {
      this.#apiKeyHashes.set(workflowId, (this.#sql.apiKeyHash.get(workflowId) as { key_hash: string } | undefined)?.key_hash);
    }
    return this.#apiKeyHashes.get(workflowId);
  }

  deleteApiKey(workflowId: string): void {
    this.#apiKeyHashes.delete(workflowId);
    this.#sql.deleteApiKey.run(workflowId);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #stepParams(runId: string, step: NewStep): unknown[] {
    const max = this.#limits.maxStringChars;
    return [
      runId,
      step.index,
      step.nodeId,
      step.nodeType,
      step.status,
      Number.isFinite(step.startedAtMs) ? step.startedAtMs : Date.now(),
      step.durationMs,
      compactJson(step.outputs, this.#limits),
      step.error === null ? null : truncateText(step.error, max),
      step.errorType,
      step.traceback === null ? null : truncateText(step.traceback, max),
      truncateText(step.stdout, max),
    ];
  }
}

function requiredDataDir(dataDir: string | undefined): string {
  if (!dataDir) throw new RangeError("RunStore needs a dataDir or a file");
  return dataDir;
}

function prepareStatements(db: Database.Database) {
  return {
    insertRun: db.prepare(
      "INSERT INTO runs (run_id, workflow_id, release_id, status, trigger, started_at, inputs) VALUES (?, ?, ?, 'running', ?, ?, ?)",
    ),
    finishRun: db.prepare(
      "UPDATE runs SET status = ?, finished_at = ?, duration_ms = ? - started_at, outputs = ?, error = ? WHERE run_id = ? AND status = 'running'",
    ),
    // The best estimate of when a dead process stopped: its run's last recorded event.
    markInterrupted: db.prepare(`
      UPDATE runs SET
        status = 'interrupted',
        finished_at = COALESCE((SELECT MAX(ts) FROM events WHERE events.run_id = runs.run_id), started_at),
        duration_ms = COALESCE((SELECT MAX(ts) FROM events WHERE events.run_id = runs.run_id), started_at) - started_at,
        error = ?
      WHERE status = 'running'`),
    workflowOf: db.prepare("SELECT workflow_id FROM runs WHERE run_id = ?"),
    statusOf: db.prepare("SELECT status FROM runs WHERE run_id = ?"),
    getRun: db.prepare("SELECT * FROM runs WHERE run_id = ?"),
    listRuns: db.prepare(
      `SELECT runs.*, (SELECT COUNT(*) FROM steps WHERE steps.run_id = runs.run_id) AS step_count
       FROM runs WHERE workflow_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?`,
    ),
    countFinished: db.prepare("SELECT COUNT(*) AS n FROM runs WHERE workflow_id = ? AND status != 'running'"),
    oldestFinished: db.prepare("SELECT run_id FROM runs WHERE workflow_id = ? AND status != 'running' ORDER BY started_at ASC, rowid ASC LIMIT ?"),
    deleteRun: db.prepare("DELETE FROM runs WHERE run_id = ?"),
    deleteSteps: db.prepare("DELETE FROM steps WHERE run_id = ?"),
    deleteEvents: db.prepare("DELETE FROM events WHERE run_id = ?"),
    upsertStep: db.prepare(`
      INSERT INTO steps (run_id, idx, node_id, node_type, status, started_at, duration_ms, outputs, error, error_type, traceback, stdout)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, idx) DO UPDATE SET
        node_id = excluded.node_id, node_type = excluded.node_type, status = excluded.status,
        started_at = excluded.started_at, duration_ms = excluded.duration_ms, outputs = excluded.outputs,
        error = excluded.error, error_type = excluded.error_type, traceback = excluded.traceback, stdout = excluded.stdout`),
    stepsOf: db.prepare("SELECT * FROM steps WHERE run_id = ? ORDER BY idx"),
    insertEvent: db.prepare("INSERT OR IGNORE INTO events (run_id, seq, type, ts, data) VALUES (?, ?, ?, ?, ?)"),
    eventsAfter: db.prepare("SELECT seq, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq"),
    insertRelease: db.prepare("INSERT INTO releases (release_id, workflow_id, snapshot, created_at, active) VALUES (?, ?, ?, ?, 1)"),
    deactivateReleases: db.prepare("UPDATE releases SET active = 0 WHERE workflow_id = ? AND active = 1"),
    activeRelease: db.prepare("SELECT release_id, snapshot, created_at FROM releases WHERE workflow_id = ? AND active = 1"),
    activeReleaseId: db.prepare("SELECT release_id FROM releases WHERE workflow_id = ? AND active = 1"),
    release: db.prepare("SELECT workflow_id, snapshot, created_at, active FROM releases WHERE release_id = ?"),
    upsertApiKey: db.prepare(
      "INSERT INTO api_keys (workflow_id, key_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (workflow_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at",
    ),
    apiKeyHash: db.prepare("SELECT key_hash FROM api_keys WHERE workflow_id = ?"),
    deleteApiKey: db.prepare("DELETE FROM api_keys WHERE workflow_id = ?"),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function toSummary(row: RunRow): RunSummary {
  return { ...runFields(row), stepCount: row.step_count ?? 0 };
}

function runFields(row: RunRow): Omit<RunRecord, "steps"> {
  return {
    runId: row.run_id,
    workflowId: row.workflow_id,
    releaseId: row.release_id,
    status: row.status,
    trigger: parseJson(row.trigger) as Record<string, unknown> | null,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: iso(row.finished_at),
    durationMs: row.duration_ms,
    inputs: parseJson(row.inputs),
    outputs: parseJson(row.outputs),
    error: row.error,
  };
}

function toStoredStep(row: StepRow): StoredStep {
  return {
    nodeId: row.node_id,
    status: row.status,
    startedAt: new Date(row.started_at).toISOString(),
    durationMs: row.duration_ms,
    outputs: parseJson(row.outputs),
    error: row.error,
    errorType: row.error_type,
    traceback: row.traceback,
    stdout: row.stdout,
  };
}
