import { describe, expect, it } from "vitest";
import { normalizeTrigger } from "../../src/triggers/normalize-trigger.js";
import { buildTriggerEvent, buildTriggerInputs, createTriggerIdentity, lookupMappingPath, triggerContext } from "../../src/triggers/trigger-inputs.js";
import { createManager, jsonRequest } from "./trigger-fixtures.js";

describe("mapping paths (Flocks' lookup_mapping_path)", () => {
  const data = { body: { alert: { name: "disk", hosts: ["a", "b"] }, "odd key": 1, zero: 0, none: null }, headers: { "x-id": "7" } };

  it.each([
    ["$.body.alert.name", "disk"],
    ["body.alert.name", "disk"],
    ["$.body.alert.hosts[1]", "b"],
    ["$.body.alert.hosts.0", "a"],
    ["$.headers['x-id']", "7"],
    ['$.body["odd key"]', 1],
    ["$.body.zero", 0],
    ["$.body.none", null],
    ["$.body.missing", null],
    ["$.body.alert.hosts[9]", null],
    ["$.body.alert.name.length", null],
    ["$.body.constructor", null],
    ["$.body[0", null],
  ])("%s → %j", (path, expected) => {
    expect(lookupMappingPath(data, path)).toEqual(expected);
  });

  it("treats '' and '$' as the whole context", () => {
    expect(lookupMappingPath(data, "$")).toBe(data);
    expect(lookupMappingPath(data, " ")).toBe(data);
  });
});

describe("trigger inputs", () => {
  it("builds inputs in Flocks' order: static inputs, then mapping (missing → null), then _flocks.trigger and _trigger", () => {
    const trigger = normalizeTrigger(
      { id: "Alert Hook!", type: "webhook", source: { path: "alerts" }, inputs: { team: "soc", alert: "overwritten" }, mapping: { alert: "$.body.alert", missing: "$.body.nope", id: "$.event.source.deliveryId" } },
      0,
    );
    const identity = createTriggerIdentity(trigger, Date.UTC(2026, 0, 1));
    const event = buildTriggerEvent({ workflowId: "wf", trigger, identity, body: { alert: { sev: 3 } }, headers: {}, query: {} });
    const inputs = buildTriggerInputs(trigger, triggerContext(event), identity);
    expect(inputs).toEqual({
      team: "soc",
      alert: { sev: 3 },
      missing: null,
      id: identity.deliveryId,
      _flocks: { trigger: { id: "Alert-Hook", type: "webhook", source: { path: "alerts" }, deliveryId: identity.deliveryId, receivedAt: "2026-01-01T00:00:00.000Z", attempt: 1 } },
      _trigger: "webhook",
    });
    expect(event.source).toEqual({ workflowId: "wf", triggerId: "Alert-Hook", triggerType: "webhook", source: "alerts", deliveryId: identity.deliveryId, receivedAt: Date.UTC(2026, 0, 1), attempt: 1 });
  });

  it("replaces a _flocks given in the inputs and keeps a given _trigger", () => {
    const trigger = normalizeTrigger({ type: "webhook", inputs: { _flocks: { mine: true }, _trigger: "mine" } }, 0);
    const identity = createTriggerIdentity(trigger, 0);
    const inputs = buildTriggerInputs(trigger, triggerContext(buildTriggerEvent({ workflowId: "wf", trigger, identity })), identity);
    expect(inputs._flocks).toEqual({ trigger: identity });
    expect(inputs._trigger).toBe("mine");
  });

  it("does not share static inputs between runs", () => {
    const trigger = normalizeTrigger({ type: "webhook", inputs: { list: [1] } }, 0);
    const identity = createTriggerIdentity(trigger, 0);
    const context = triggerContext(buildTriggerEvent({ workflowId: "wf", trigger, identity }));
    (buildTriggerInputs(trigger, context, identity).list as number[]).push(2);
    expect(buildTriggerInputs(trigger, context, identity).list).toEqual([1]);
  });

  it("gives a webhook run the mapped request parts and the identity it was started with", async () => {
    const { manager, runs } = createManager({ now: () => Date.UTC(2026, 2, 3, 4, 5, 6) });
    manager.sync(
      "wf",
      {
        start: "a",
        nodes: [],
        edges: [],
        metadata: {},
        triggers: [
          {
            id: "hook",
            type: "webhook",
            auth: { type: "api_key", apiKey: "k" },
            inputs: { mode: "auto" },
            mapping: { alert: "$.body.alert", env: "$.headers.x-env", page: "query.page", wf: "$.pathParams.workflowId", whole: "$.payload" },
          },
        ],
      },
    );
    const response = await manager.handleWebhook("wf", "hook", jsonRequest({ alert: { id: 9 } }, { "x-api-key": "k", "x-env": "prod" }, { page: "3" }));
    expect(response.statusCode).toBe(202);
    const run = runs[0]!;
    expect(run.trigger).toEqual({ id: "hook", type: "webhook", source: {}, deliveryId: (response.body as { deliveryId: string }).deliveryId, receivedAt: "2026-03-03T04:05:06.000Z", attempt: 1 });
    expect(run.inputs).toEqual({ mode: "auto", alert: { id: 9 }, env: "prod", page: "3", wf: "wf", whole: { alert: { id: 9 } }, _flocks: { trigger: run.trigger }, _trigger: "webhook" });
  });
});
