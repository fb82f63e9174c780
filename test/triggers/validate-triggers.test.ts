import { describe, expect, it } from "vitest";
import type { Workflow } from "../../src/model/types.js";
import { validateWorkflowValue } from "../../src/model/validate-workflow.js";
import { TriggerManager } from "../../src/triggers/index.js";
import { workflowWith } from "./trigger-fixtures.js";

const errors = (workflow: Workflow) =>
  TriggerManager.validate(workflow)
    .filter((i) => i.severity === "error")
    .map((i) => [i.location, i.rule]);

describe("TriggerManager.validate", () => {
  it("accepts well-formed webhook and schedule triggers", () => {
    const workflow = workflowWith(
      { id: "a", type: "webhook", auth: { type: "api_key", secretRef: "k" }, filter: { expr: "body.x == 1" }, mapping: { x: "$.body.x" }, concurrency: { policy: "queue", maxParallel: 2, queueSize: 5 } },
      { id: "b", type: "webhook", auth: { type: "hmac", secretRef: "h" } },
      { id: "c", type: "schedule", source: { mode: "interval", intervalSeconds: 1 } },
      { id: "d", type: "schedule", source: { mode: "cron", cron: "0 */5 * * * *", timezone: "Europe/Berlin" } },
      { id: "e", type: "manual" },
    );
    expect(TriggerManager.validate(workflow)).toEqual([]);
  });

  it("rejects a webhook without auth, with type none, or with an unusable auth, naming the field", () => {
    const workflow = workflowWith(
      { id: "a", type: "webhook" },
      { id: "b", type: "webhook", auth: { type: "none" } },
      { id: "c", type: "webhook", auth: { type: "api_key" } },
      { id: "d", type: "webhook", auth: { type: "hmac", apiKey: "x" } },
      { id: "e", type: "webhook", enabled: false, auth: {} },
      { id: "f", type: "webhook", auth: "api_key" },
    );
    expect(errors(workflow)).toEqual([
      ["triggers[0].auth", "trigger_auth"],
      ["triggers[1].auth.type", "trigger_auth"],
      ["triggers[2].auth.apiKey", "trigger_auth"],
      ["triggers[3].auth.secretRef", "trigger_auth"],
      ["triggers[4].auth.type", "trigger_auth"],
      ["triggers[5].auth", "trigger_auth"],
    ]);
  });

  it("rejects bad schedule sources", () => {
    const workflow = workflowWith(
      { type: "schedule", source: { mode: "interval", intervalSeconds: 0.5 } },
      { type: "schedule", source: { mode: "hourly" } },
      { type: "schedule", source: { mode: "cron" } },
      { type: "schedule", source: { cron: "61 * * * *" } },
      { type: "schedule", source: { cron: "* * * *" } },
      { type: "schedule", source: { cron: "0 0 30 2 *" } },
      { type: "schedule", source: { cron: "0 9 * * *", timezone: "Mars/Olympus" } },
      { type: "schedule", source: { cron: "2030-01-01T00:00:00" } },
      { type: "schedule", source: { mode: "interval", intervalSeconds: "60" } },
    );
    expect(errors(workflow)).toEqual([
      ["triggers[0].source.intervalSeconds", "trigger_schedule"],
      ["triggers[1].source.mode", "trigger_schedule"],
      ["triggers[2].source.cron", "trigger_schedule"],
      ["triggers[3].source.cron", "trigger_schedule"],
      ["triggers[4].source.cron", "trigger_schedule"],
      ["triggers[5].source.cron", "trigger_schedule"],
      ["triggers[6].source.timezone", "trigger_schedule"],
      ["triggers[7].source.cron", "trigger_schedule"],
      ["triggers[8].source.intervalSeconds", "trigger_schedule"],
    ]);
  });

  it("rejects bad policies, filters and mappings", () => {
    const auth = { type: "api_key", apiKey: "k" };
    const workflow = workflowWith(
      { id: "a", type: "webhook", auth, concurrency: { policy: "parallel" } },
      { id: "b", type: "webhook", auth, concurrency: { maxParallel: 0, queueSize: 1.5 } },
      { id: "c", type: "webhook", auth, filter: { expr: "body.x = 1" } },
      { id: "d", type: "webhook", auth, filter: { expr: "__import__('os')" } },
      { id: "e", type: "webhook", auth, mapping: { x: 1, y: "$.body[0" } },
      { id: "f", type: "webhook", auth, source: { maxBodyBytes: -1 } },
    );
    expect(errors(workflow)).toEqual([
      ["triggers[0].concurrency.policy", "enum"],
      ["triggers[1].concurrency.maxParallel", "type"],
      ["triggers[1].concurrency.queueSize", "type"],
      ["triggers[2].filter.expr", "trigger_filter"],
      ["triggers[3].filter.expr", "trigger_filter"],
      ["triggers[4].mapping.x", "type"],
      ["triggers[4].mapping.y", "trigger_mapping"],
      ["triggers[5].source.maxBodyBytes", "type"],
    ]);
  });

  it("warns about duplicate ids, inactive types and filter keys Flocks ignores", () => {
    const workflow = workflowWith(
      { id: "x", type: "manual" },
      { id: "x", type: "syslog" },
      { id: "y", type: "webhook", auth: { type: "api_key", apiKey: "k" }, filter: { path: "$.body.a", equals: 1 } },
    );
    const issues = TriggerManager.validate(workflow);
    expect(issues.map((i) => [i.location, i.rule, i.severity])).toEqual([
      ["triggers[1].id", "trigger_duplicate_id", "warning"],
      ["triggers[1].type", "trigger_inactive", "warning"],
      ["triggers[2].filter.path", "trigger_filter_ignored", "warning"],
    ]);
  });

  it("locates triggers read from metadata.triggers there", () => {
    const { workflow } = validateWorkflowValue({ start: "a", nodes: [{ id: "a", type: "python", code: "x" }], metadata: { triggers: [{ type: "webhook" }] } });
    expect(errors(workflow!)).toEqual([["metadata.triggers[0].auth", "trigger_auth"]]);
  });
});
