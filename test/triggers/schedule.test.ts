/** Schedule triggers under vitest's fake clock (STYLE.md: fake clocks for schedule triggers). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TriggerManager } from "../../src/triggers/index.js";
import { createManager, settle, workflowWith } from "./trigger-fixtures.js";

const START = Date.UTC(2026, 0, 15, 12, 0, 0);

function every(seconds: number, extra: Record<string, unknown> = {}) {
  return { id: "tick", type: "schedule", source: { mode: "interval", intervalSeconds: seconds }, ...extra };
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("interval schedules", () => {
  it("fires every intervalSeconds, the first tick one interval after the start", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1, { concurrency: { policy: "allow" } })));
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(3);
    manager.close();
  });

  it("gives each run inputs, mapping, _flocks.trigger and _trigger", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(60, { inputs: { team: "soc", _trigger: "custom" }, mapping: { fired: "$.event.source.triggerId", none: "$.body.x" } })));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(1);
    const { inputs, trigger } = runs[0]!;
    expect(trigger).toEqual({
      id: "tick",
      type: "schedule",
      source: { mode: "interval", intervalSeconds: 60 },
      deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      receivedAt: "2026-01-15T12:01:00.000Z",
      attempt: 1,
    });
    expect(inputs).toEqual({ team: "soc", _trigger: "custom", fired: "tick", none: null, input_date: "2026-01-15", _flocks: { trigger } });
    manager.close();
  });

  it("gives every tick its own delivery id", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1, { concurrency: { policy: "allow" } })));
    await vi.advanceTimersByTimeAsync(3000);
    expect(new Set(runs.map((r) => r.trigger.deliveryId)).size).toBe(3);
    manager.close();
  });

  it("no_overlap skips a tick while a run of the trigger is active", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1, { concurrency: { policy: "no_overlap" } })));
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(1);
    expect(manager.stats("wf", "tick")).toEqual({ running: 1, queued: 0 });
    runs[0]!.finish();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(2);
    manager.close();
  });

  it("defaults to no_overlap, as Flocks' poller does, unless runtime.noOverlap is false", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1), { ...every(1), id: "free", runtime: { noOverlap: false } }));
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs.filter((r) => r.trigger.id === "tick")).toHaveLength(1);
    expect(runs.filter((r) => r.trigger.id === "free")).toHaveLength(3);
    manager.close();
  });

  it("queue with queueSize 1 keeps one waiting tick and drops the rest", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1, { concurrency: { policy: "queue", maxParallel: 1, queueSize: 1 } })));
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(1);
    expect(manager.stats("wf", "tick")).toEqual({ running: 1, queued: 1 });
    runs[0]!.finish();
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.trigger.receivedAt).toBe("2026-01-15T12:00:02.000Z");
    expect(manager.stats("wf", "tick")).toEqual({ running: 1, queued: 0 });
    manager.close();
  });

  it("skips ticks whose event the filter rejects", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1, { concurrency: { policy: "allow" }, filter: { expr: "event.source.triggerType == 'webhook'" } })));
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs).toHaveLength(0);
    manager.close();
  });

  it("reports a tick whose run cannot start, and keeps ticking", async () => {
    const { manager, runs, errors, failNext } = createManager();
    manager.sync("wf", workflowWith(every(1)));
    failNext(new Error("store is down"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors.map((e) => [(e.error as Error).message, e.context])).toEqual([["store is down", { workflowId: "wf", triggerId: "tick" }]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    manager.close();
  });
});

describe("cron schedules", () => {
  it("fires on a six-field (seconds) pattern", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith({ id: "c", type: "schedule", source: { mode: "cron", cron: "*/2 * * * * *" }, concurrency: { policy: "allow" } }));
    await vi.advanceTimersByTimeAsync(6000);
    expect(runs.map((r) => r.trigger.receivedAt)).toEqual(["2026-01-15T12:00:02.000Z", "2026-01-15T12:00:04.000Z", "2026-01-15T12:00:06.000Z"]);
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fires on a five-field pattern, in UTC by default", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith({ id: "c", type: "schedule", source: { cron: "30 12 * * *" } }));
    await vi.advanceTimersByTimeAsync(29 * 60_000);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs.map((r) => r.trigger.receivedAt)).toEqual(["2026-01-15T12:30:00.000Z"]);
    manager.close();
  });

  it("honours timezone", async () => {
    vi.setSystemTime(Date.UTC(2026, 0, 15, 23, 59, 0));
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith({ id: "c", type: "schedule", source: { mode: "cron", cron: "0 9 * * *", timezone: "Asia/Tokyo" } }));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs.map((r) => [r.trigger.receivedAt, r.inputs.input_date])).toEqual([["2026-01-16T00:00:00.000Z", "2026-01-16"]]);
    manager.close();
  });
});

describe("schedule lifecycle", () => {
  it("keeps an unchanged schedule running through sync (same phase), restarts a changed one", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(10, { concurrency: { policy: "allow" } })));
    await vi.advanceTimersByTimeAsync(6000);
    manager.sync("wf", workflowWith(every(10, { concurrency: { policy: "allow" }, description: "cosmetic edit" })));
    await vi.advanceTimersByTimeAsync(4000);
    expect(runs.map((r) => r.trigger.receivedAt)).toEqual(["2026-01-15T12:00:10.000Z"]);
    manager.sync("wf", workflowWith(every(3, { concurrency: { policy: "allow" } })));
    await vi.advanceTimersByTimeAsync(6000);
    expect(runs.map((r) => r.trigger.receivedAt)).toEqual(["2026-01-15T12:00:10.000Z", "2026-01-15T12:00:13.000Z", "2026-01-15T12:00:16.000Z"]);
    expect(vi.getTimerCount()).toBe(1);
    manager.close();
  });

  it("stops a removed schedule and a disabled one", async () => {
    const { manager, runs } = createManager();
    manager.sync("wf", workflowWith(every(1), { ...every(1), id: "other" }));
    expect(vi.getTimerCount()).toBe(2);
    manager.sync("wf", workflowWith({ ...every(1), id: "other", enabled: false }));
    expect(vi.getTimerCount()).toBe(0);
    manager.sync("wf2", workflowWith(every(1)));
    manager.sync("wf2", undefined);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(0);
    expect(manager.stats("wf", "tick")).toBeUndefined();
  });

  it("does not start a schedule whose source is invalid, and reports it", async () => {
    const { manager, errors } = createManager();
    manager.sync("wf", workflowWith({ id: "bad", type: "schedule", source: { mode: "cron", cron: "61 * * * *" } }));
    expect(vi.getTimerCount()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!.error)).toContain("source.cron");
  });

  it("close stops every interval and cron schedule and leaves no timer", async () => {
    const { manager, runs } = createManager();
    manager.sync("a", workflowWith(every(1), { id: "c", type: "schedule", source: { cron: "* * * * *" } }));
    manager.sync("b", workflowWith({ id: "c", type: "schedule", source: { cron: "*/5 * * * * *" } }));
    expect(vi.getTimerCount()).toBe(3);
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toHaveLength(0);
    manager.sync("c", workflowWith(every(1)));
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leaves no timer behind after validating a cron expression", () => {
    // Validation builds a paused croner job to check the pattern; it must be stopped again.
    expect(TriggerManager.validate(workflowWith({ type: "schedule", source: { cron: "0 9 * * 1-5" } }))).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
