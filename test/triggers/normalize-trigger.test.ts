import { describe, expect, it } from "vitest";
import type { WorkflowTrigger } from "../../src/model/types.js";
import { normalizeTriggers, sanitizeTriggerId } from "../../src/triggers/index.js";

const t = (trigger: Record<string, unknown>) => trigger as WorkflowTrigger;

describe("trigger normalisation (reference flocks-engine.md §1.4)", () => {
  it.each([
    ["alerts hook", "alerts-hook"],
    ["--a//b--", "a-b"],
    ["ok_id.v2-x", "ok_id.v2-x"],
    ["   ", "trigger"],
    ["ü", "trigger"],
  ])("sanitises %j to %j", (raw, expected) => {
    expect(sanitizeTriggerId(raw)).toBe(expected);
  });

  it("derives missing ids from the type and source, and applies defaults", () => {
    const triggers = normalizeTriggers([
      t({ type: "webhook", source: { path: "/alerts/in" } }),
      t({ type: "kafka", source: { topic: "events" } }),
      t({ type: "Schedule" }),
      t({ type: "manual", id: "" }),
    ]);
    expect(triggers.map((x) => x.id)).toEqual(["webhook-alerts-in", "kafka-events", "schedule-default", "manual-default"]);
    expect(triggers[0]).toMatchObject({ enabled: true, mapping: {}, inputs: {}, concurrency: { policy: "allow", maxParallel: 1, queueSize: 100 } });
  });

  it("lets the later definition of an id win", () => {
    const triggers = normalizeTriggers([t({ id: "a", type: "webhook", inputs: { v: 1 } }), t({ id: "b", type: "manual" }), t({ id: "a", type: "webhook", inputs: { v: 2 } })]);
    expect(triggers.map((x) => [x.id, x.inputs, x.index])).toEqual([
      ["b", {}, 1],
      ["a", { v: 2 }, 2],
    ]);
  });

  it("gives schedules Flocks' noOverlap default unless a policy is declared", () => {
    const [plain, free, declared] = normalizeTriggers([
      t({ id: "a", type: "schedule" }),
      t({ id: "b", type: "schedule", runtime: { noOverlap: false } }),
      t({ id: "c", type: "schedule", concurrency: { policy: "queue", maxParallel: 2 } }),
    ]);
    expect([plain!.concurrency.policy, free!.concurrency.policy, declared!.concurrency]).toEqual(["no_overlap", "allow", { policy: "queue", maxParallel: 2, queueSize: 100 }]);
  });
});
