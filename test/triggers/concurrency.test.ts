import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "../../src/triggers/concurrency-gate.js";
import { createManager, jsonRequest, settle, workflowWith } from "./trigger-fixtures.js";

function webhookManager(concurrency: Record<string, unknown>) {
  const setup = createManager();
  setup.manager.sync("wf", workflowWith({ id: "hook", type: "webhook", auth: { type: "api_key", apiKey: "k" }, concurrency, mapping: { n: "$.body.n" } }));
  const call = (n: number) => setup.manager.handleWebhook("wf", "hook", jsonRequest({ n }, { "x-api-key": "k" }));
  const started = () => setup.runs.map((r) => (r.inputs.n as number) ?? null);
  return { ...setup, call, started };
}

describe("concurrency policies over webhooks", () => {
  it("allow: runs every call at once, whatever maxParallel says", async () => {
    const { call, runs, manager } = webhookManager({ policy: "allow", maxParallel: 1 });
    const statuses = [];
    for (let n = 1; n <= 5; n++) statuses.push((await call(n)).statusCode);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect(runs).toHaveLength(5);
    expect(manager.stats("wf", "hook")).toEqual({ running: 5, queued: 0 });
  });

  it("no_overlap: 409 while a run is active, accepted again once it finished", async () => {
    const { call, runs, manager } = webhookManager({ policy: "no_overlap", maxParallel: 4 });
    expect((await call(1)).statusCode).toBe(202);
    const refused = await call(2);
    expect(refused).toEqual({ statusCode: 409, body: { error: "a run of this trigger is already active" } });
    runs[0]!.finish();
    await settle();
    expect(manager.stats("wf", "hook")).toEqual({ running: 0, queued: 0 });
    expect((await call(3)).statusCode).toBe(202);
    expect(runs).toHaveLength(2);
  });

  it("queue with queueSize 1: the first runs, the second waits (202 queued), the third is refused; the second starts when the first finishes", async () => {
    const { call, runs, manager, started } = webhookManager({ policy: "queue", maxParallel: 1, queueSize: 1 });
    const first = await call(1);
    const second = await call(2);
    const third = await call(3);
    expect(first).toEqual({ statusCode: 202, body: { runId: "run-1", deliveryId: expect.any(String) } });
    expect(second).toEqual({ statusCode: 202, body: { queued: true, deliveryId: expect.any(String) } });
    expect(third).toEqual({ statusCode: 429, body: { error: "the queue of trigger 'hook' is full" } });
    expect(manager.stats("wf", "hook")).toEqual({ running: 1, queued: 1 });
    expect(started()).toEqual([1]);
    runs[0]!.finish();
    await settle();
    expect(started()).toEqual([1, 2]);
    expect(runs[1]!.trigger.deliveryId).toBe((second.body as { deliveryId: string }).deliveryId);
    expect(manager.stats("wf", "hook")).toEqual({ running: 1, queued: 0 });
    runs[1]!.finish();
    await settle();
    expect(manager.stats("wf", "hook")).toEqual({ running: 0, queued: 0 });
    expect(runs).toHaveLength(2);
  });

  it("queue: maxParallel runs at once, then FIFO", async () => {
    const { call, runs, started } = webhookManager({ policy: "queue", maxParallel: 2, queueSize: 10 });
    for (let n = 1; n <= 5; n++) await call(n);
    expect(started()).toEqual([1, 2]);
    runs[1]!.finish();
    await settle();
    expect(started()).toEqual([1, 2, 3]);
    runs[0]!.finish();
    runs[2]!.finish();
    await settle();
    expect(started()).toEqual([1, 2, 3, 4, 5]);
  });

  it("drop_newest: a call that finds the queue full is dropped with 200 accepted:false", async () => {
    const { call, runs, started, manager } = webhookManager({ policy: "drop_newest", maxParallel: 1, queueSize: 2 });
    const statuses = [];
    for (let n = 1; n <= 5; n++) statuses.push(await call(n));
    expect(statuses.map((r) => r.statusCode)).toEqual([202, 202, 202, 200, 200]);
    expect(statuses[3]!.body).toEqual({ accepted: false, reason: "dropped", deliveryId: expect.any(String) });
    expect(manager.stats("wf", "hook")).toEqual({ running: 1, queued: 2 });
    for (let i = 0; i < 3; i++) {
      runs[i]!.finish();
      await settle();
    }
    expect(started()).toEqual([1, 2, 3]);
  });

  it("drop_oldest: a call that finds the queue full pushes out the oldest waiting one", async () => {
    const { call, runs, started, manager } = webhookManager({ policy: "drop_oldest", maxParallel: 1, queueSize: 2 });
    const statuses = [];
    for (let n = 1; n <= 5; n++) statuses.push((await call(n)).statusCode);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect(manager.stats("wf", "hook")).toEqual({ running: 1, queued: 2 });
    for (let i = 0; i < 3; i++) {
      runs[i]!.finish();
      await settle();
    }
    expect(started()).toEqual([1, 4, 5]);
  });

  it("a queued run whose start fails is reported and frees its slot for the next", async () => {
    const setup = webhookManager({ policy: "queue", maxParallel: 1, queueSize: 5 });
    await setup.call(1);
    await setup.call(2);
    await setup.call(3);
    setup.failNext(new Error("no space left"));
    setup.runs[0]!.finish();
    await settle();
    expect(setup.errors.map((e) => [(e.error as Error).message, e.context])).toEqual([["no space left", { workflowId: "wf", triggerId: "hook" }]]);
    expect(setup.started()).toEqual([1, 3]);
  });

  it("a removed trigger loses its waiting calls; its running run is left alone", async () => {
    const setup = webhookManager({ policy: "queue", maxParallel: 1, queueSize: 5 });
    await setup.call(1);
    await setup.call(2);
    setup.manager.sync("wf", workflowWith());
    setup.runs[0]!.finish();
    await settle();
    expect(setup.started()).toEqual([1]);
  });

  it("a changed trigger keeps counting its running run (no_overlap still refuses)", async () => {
    const setup = webhookManager({ policy: "no_overlap" });
    await setup.call(1);
    setup.manager.sync("wf", workflowWith({ id: "hook", type: "webhook", auth: { type: "api_key", apiKey: "k" }, concurrency: { policy: "no_overlap" }, inputs: { v: 2 } }));
    expect((await setup.call(2)).statusCode).toBe(409);
    expect(setup.manager.stats("wf", "hook")).toEqual({ running: 1, queued: 0 });
  });

  it("close drops waiting calls and starts nothing more", async () => {
    const setup = webhookManager({ policy: "queue", maxParallel: 1, queueSize: 5 });
    await setup.call(1);
    await setup.call(2);
    setup.manager.close();
    setup.runs[0]!.finish();
    await settle();
    expect(setup.started()).toEqual([1]);
    expect(setup.manager.stats("wf", "hook")).toEqual({ running: 0, queued: 0 });
  });
});

describe("ConcurrencyGate", () => {
  it("releases a slot once however often release is called", () => {
    const launched: string[] = [];
    const gate = new ConcurrencyGate<string>({ policy: "queue", maxParallel: 1, queueSize: 3 }, (job) => launched.push(job));
    const first = gate.offer("a");
    expect(first.kind).toBe("start");
    expect(gate.offer("b")).toEqual({ kind: "queued" });
    expect(gate.offer("c")).toEqual({ kind: "queued" });
    if (first.kind !== "start") throw new Error("unreachable");
    first.release();
    first.release();
    expect(launched).toEqual(["b"]);
    expect([gate.running, gate.queued]).toEqual([1, 1]);
  });

  it("configure applies new limits: more slots start waiting jobs, a smaller queue drops the oldest", () => {
    const launched: string[] = [];
    const gate = new ConcurrencyGate<string>({ policy: "queue", maxParallel: 1, queueSize: 5 }, (job) => launched.push(job));
    for (const job of ["a", "b", "c", "d", "e"]) gate.offer(job);
    gate.configure({ policy: "queue", maxParallel: 2, queueSize: 1 });
    expect(launched).toEqual(["b"]);
    expect([gate.running, gate.queued]).toEqual([2, 1]);
    gate.configure({ policy: "no_overlap", maxParallel: 1, queueSize: 1 });
    expect(gate.queued).toBe(0);
  });
});
