/**
 * The run store (SPEC §7 "Run store"): run rows and append-only step rows, events for replay,
 * compaction in storage only, retention per workflow, versioned migrations, and runs left `running`
 * by a dead process becoming `interrupted` when the store is opened again.
 */
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { INTERRUPTED_ERROR, LATEST_SCHEMA_VERSION, MIGRATIONS, RunStore, migrate, type NewStep } from "../../src/store/index.js";

const stores: RunStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function open(options: ConstructorParameters<typeof RunStore>[0] = { file: ":memory:" }): RunStore {
  const store = new RunStore(options);
  stores.push(store);
  return store;
}

const dataDir = () => mkdtempSync(path.join(os.tmpdir(), "flockflow-store-"));

function step(index: number, nodeId: string, extra: Partial<NewStep> = {}): NewStep {
  return {
    index,
    nodeId,
    nodeType: "javascript",
    status: "succeeded",
    startedAtMs: Date.parse("2026-01-01T00:00:00.000Z") + index * 1000,
    durationMs: 12.5,
    outputs: null,
    error: null,
    errorType: null,
    traceback: null,
    stdout: "",
    ...extra,
  };
}

function startRun(store: RunStore, runId: string, workflowId = "wf", startedAtMs = Date.now()): void {
  store.createRun({ runId, workflowId, releaseId: null, trigger: { type: "api" }, inputs: { n: 1 }, startedAtMs });
}

describe("RunStore", () => {
  it("opens a WAL database under the data dir and records the schema version", () => {
    const dir = dataDir();
    const store = open({ dataDir: dir });
    expect(store.file).toBe(path.join(dir, "flockflow.db"));
    expect(existsSync(store.file)).toBe(true);
    const db = new Database(store.file, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const versions = db.prepare("SELECT version FROM schema_version ORDER BY version").all() as Array<{ version: number }>;
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it("writes a run row, step rows and the final record; ISO times; steps in order", () => {
    const store = open();
    startRun(store, "r1", "wf", Date.parse("2026-01-01T00:00:00.000Z"));
    expect(store.getRun("r1")).toMatchObject({ runId: "r1", workflowId: "wf", status: "running", trigger: { type: "api" }, inputs: { n: 1 }, steps: [] });
    // Steps are appended with their full record as they finish (the engine's onStep)...
    store.appendStep("r1", step(0, "a", { outputs: { y: 2 }, stdout: "hello\n", startedAtMs: Date.parse("2026-01-01T00:00:00.000Z"), durationMs: 10 }));
    store.appendStep("r1", step(1, "b", { status: "failed", error: "boom", errorType: "Error", traceback: "line 1", outputs: {}, startedAtMs: Date.parse("2026-01-01T00:00:01.000Z"), durationMs: 20 }));
    expect(store.getRun("r1")!.steps.map((s) => [s.nodeId, s.status, s.error])).toEqual([
      ["a", "succeeded", null],
      ["b", "failed", "boom"],
    ]);
    // ...so the final write leaves them as they are and adds only steps not yet written.
    store.finishRun(
      "r1",
      { status: "failed", finishedAtMs: Date.parse("2026-01-01T00:00:02.500Z"), outputs: { x: 1 }, error: "b: Error: boom" },
      [
        { nodeId: "a", nodeType: "javascript", status: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", durationMs: 10, inputs: {}, outputs: { y: 2 }, error: null, errorType: null, traceback: null, stdout: "hello\n" },
        { nodeId: "b", nodeType: "javascript", status: "failed", startedAt: "2026-01-01T00:00:01.000Z", durationMs: 20, inputs: {}, outputs: {}, error: "boom", errorType: "Error", traceback: "line 1", stdout: "" },
      ],
    );
    expect(store.getRun("r1")).toEqual({
      runId: "r1",
      workflowId: "wf",
      releaseId: null,
      status: "failed",
      trigger: { type: "api" },
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:00:02.500Z",
      durationMs: 2500,
      inputs: { n: 1 },
      outputs: { x: 1 },
      error: "b: Error: boom",
      steps: [
        { nodeId: "a", status: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", durationMs: 10, outputs: { y: 2 }, error: null, errorType: null, traceback: null, stdout: "hello\n" },
        { nodeId: "b", status: "failed", startedAt: "2026-01-01T00:00:01.000Z", durationMs: 20, outputs: {}, error: "boom", errorType: "Error", traceback: "line 1", stdout: "" },
      ],
    });
    expect(store.getRun("missing")).toBeUndefined();
  });

  it("stores events in order and returns those after a sequence number", () => {
    const store = open();
    startRun(store, "r1");
    store.appendEvents("r1", [{ seq: 1, event: { type: "run.started", ts: 1 } }]);
    store.appendEvents("r1", [
      { seq: 2, event: { type: "llm.token", ts: 2 } },
      { seq: 3, event: { type: "run.finished", ts: 3 } },
    ]);
    expect(store.eventsAfter("r1").map((e) => [e.seq, e.data.type])).toEqual([
      [1, "run.started"],
      [2, "llm.token"],
      [3, "run.finished"],
    ]);
    expect(store.eventsAfter("r1", 2).map((e) => e.seq)).toEqual([3]);
  });

  it("compacts large payloads in storage (reference §4.3 limits)", () => {
    const store = open();
    const big = "x".repeat(25_000);
    store.createRun({ runId: "r1", workflowId: "wf", releaseId: null, trigger: null, inputs: { big, list: Array.from({ length: 1500 }, (_, i) => i) }, startedAtMs: 1 });
    const inputs = store.getRun("r1")!.inputs as Record<string, any>;
    expect(inputs.big).toEqual({ _type: "string", chars: 25_000, preview: "x".repeat(500) });
    expect(inputs.list).toEqual({ _type: "list", count: 1500, preview: [0, 1, 2] });
  });

  it("limits are configurable", () => {
    const store = open({ file: ":memory:", compaction: { maxStringChars: 10, stringPreviewChars: 3 } });
    store.createRun({ runId: "r1", workflowId: "wf", releaseId: null, trigger: null, inputs: { s: "abcdefghijkl" }, startedAtMs: 1 });
    expect(store.getRun("r1")!.inputs).toEqual({ s: { _type: "string", chars: 12, preview: "abc" } });
  });

  it("retention trims in batches of an eighth of the limit, back to exactly the limit", () => {
    const store = open({ file: ":memory:", retentionRuns: 16 });
    const finishOne = (i: number): void => {
      const runId = `r${i}`;
      store.createRun({ runId, workflowId: "wf", releaseId: null, trigger: null, inputs: {}, startedAtMs: 1_000 + i });
      store.finishRun(runId, { status: "succeeded", finishedAtMs: 2_000 + i, outputs: {}, error: null });
    };
    for (let i = 0; i < 18; i++) finishOne(i);
    expect(store.listRuns("wf", 100)).toHaveLength(18);
    finishOne(18);
    const kept = store.listRuns("wf", 100).map((r) => r.runId);
    expect(kept).toHaveLength(16);
    expect(kept).toContain("r18");
    expect(kept).not.toContain("r2");
  });

  it("retention keeps the newest N finished runs per workflow with their steps and events; running runs stay", () => {
    const store = open({ file: ":memory:", retentionRuns: 3 });
    startRun(store, "running-old", "wf", 1);
    for (let i = 1; i <= 6; i++) {
      startRun(store, `r${i}`, "wf", 100 + i);
      store.appendStep(`r${i}`, step(0, "a"));
      store.appendEvents(`r${i}`, [{ seq: 1, event: { type: "run.started", ts: 1 } }]);
      store.finishRun(`r${i}`, { status: "succeeded", finishedAtMs: 200 + i, outputs: {}, error: null });
    }
    startRun(store, "other", "wf2", 1);
    store.finishRun("other", { status: "succeeded", finishedAtMs: 2, outputs: {}, error: null });
    expect(store.listRuns("wf", 100).map((r) => r.runId)).toEqual(["r6", "r5", "r4", "running-old"]);
    expect(store.getRun("r1")).toBeUndefined();
    expect(store.eventsAfter("r1")).toEqual([]);
    expect(store.listRuns("wf2", 100).map((r) => r.runId)).toEqual(["other"]);
    expect(store.listRuns("wf", 2).map((r) => [r.runId, r.stepCount])).toEqual([
      ["r6", 1],
      ["r5", 1],
    ]);
  });

  it("on open, runs left running by a dead process become interrupted; their finished steps stay", () => {
    const dir = dataDir();
    const first = new RunStore({ dataDir: dir });
    startRun(first, "r1", "wf", 1000);
    first.appendEvents("r1", [{ seq: 1, event: { type: "node.finished", ts: 1500 } }]);
    first.appendStep("r1", step(0, "a"));
    startRun(first, "r2", "wf", 1000);
    first.finishRun("r2", { status: "succeeded", finishedAtMs: 1100, outputs: {}, error: null });
    // No close(): the process "dies" here. A second connection sees what was committed.
    const second = open({ dataDir: dir });
    expect(second.interruptedOnOpen).toBe(1);
    const run = second.getRun("r1")!;
    expect([run.status, run.error, run.finishedAt, run.durationMs]).toEqual(["interrupted", INTERRUPTED_ERROR, new Date(1500).toISOString(), 500]);
    expect(run.steps.map((s) => s.nodeId)).toEqual(["a"]);
    expect(second.runStatus("r2")).toBe("succeeded");
    first.close();
  });

  it("releases: each publish a new snapshot, one active per workflow; API key hashes", () => {
    const store = open();
    store.createRelease("wf", "rel1", { v: 1 });
    store.createRelease("wf", "rel2", { v: 2 });
    expect(store.activeRelease("wf")).toMatchObject({ releaseId: "rel2", snapshot: { v: 2 }, active: true });
    expect(store.deactivateReleases("wf")).toBe(1);
    expect(store.activeRelease("wf")).toBeUndefined();
    expect(store.apiKeyHash("wf")).toBeUndefined();
    store.setApiKeyHash("wf", "aa");
    store.setApiKeyHash("wf", "bb");
    expect(store.apiKeyHash("wf")).toBe("bb");
    store.deleteApiKey("wf");
    expect(store.apiKeyHash("wf")).toBeUndefined();
  });
});

describe("migrations", () => {
  it("apply once, in order; reopening applies nothing", () => {
    const db = new Database(":memory:");
    try {
      expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(migrate(db)).toEqual([]);
      const extra = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: "extra column", sql: "ALTER TABLE runs ADD COLUMN note TEXT" }];
      expect(migrate(db, extra)).toEqual([LATEST_SCHEMA_VERSION + 1]);
      expect(() => migrate(db)).toThrow(/schema version 2 is newer than this flockflow supports \(1\)/);
    } finally {
      db.close();
    }
  });

  it("a failing migration leaves the database at the previous version", () => {
    const db = new Database(":memory:");
    try {
      migrate(db);
      const broken = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: "broken", sql: "CREATE TABLE t (a); SELECT * FROM nope" }];
      expect(() => migrate(db, broken)).toThrow(/no such table/);
      expect((db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as { v: number }).v).toBe(LATEST_SCHEMA_VERSION);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
