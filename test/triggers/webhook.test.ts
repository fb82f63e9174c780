import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createManager, jsonRequest, SECRETS, settle, signedRequest, workflowWith } from "./trigger-fixtures.js";

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

function apiKeyManager(auth: Record<string, unknown> = { type: "api_key", secretRef: "hook_key" }, extra: Record<string, unknown> = {}) {
  const setup = createManager({ now: () => NOW_MS });
  setup.manager.sync("wf", workflowWith({ id: "hook", type: "webhook", auth, ...extra }));
  return setup;
}

function hmacManager(extra: Record<string, unknown> = {}) {
  const setup = createManager({ now: () => NOW_MS });
  setup.manager.sync("wf", workflowWith({ id: "signed", type: "webhook", auth: { type: "hmac", secretRef: "hook_hmac" }, ...extra }));
  return setup;
}

describe("webhook api_key auth", () => {
  it("answers 202 with the run id once the run is recorded, given the right key in x-api-key", async () => {
    const { manager, runs } = apiKeyManager();
    const response = await manager.handleWebhook("wf", "hook", jsonRequest({ alert: "disk" }, { "x-api-key": SECRETS.hook_key! }));
    expect(response.statusCode).toBe(202);
    expect(response.body).toEqual({ runId: "run-1", deliveryId: expect.any(String) });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.workflowId).toBe("wf");
    expect(runs[0]!.inputs._trigger).toBe("webhook");
  });

  it("answers 401 and starts no run for a wrong or missing key", async () => {
    const { manager, runs } = apiKeyManager();
    const wrong = await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "s3cret-kez" }));
    const prefix = await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "s3cret" }));
    const missing = await manager.handleWebhook("wf", "hook", jsonRequest({}));
    expect([wrong.statusCode, prefix.statusCode, missing.statusCode]).toEqual([401, 401, 401]);
    expect(wrong.body).toEqual({ error: "missing or invalid API key" });
    expect(runs).toHaveLength(0);
  });

  it("accepts the key in the api_key query parameter, and a literal apiKey", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "literal-key" });
    const response = await manager.handleWebhook("wf", "hook", jsonRequest({}, {}, { api_key: "literal-key" }));
    expect(response.statusCode).toBe(202);
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({}, {}, { api_key: "other" }))).statusCode).toBe(401);
    expect(runs).toHaveLength(1);
  });

  it("honours headerName and queryParam", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", secretRef: "hook_key", headerName: "X-Hook-Token", queryParam: "token" });
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-hook-token": SECRETS.hook_key! }))).statusCode).toBe(202);
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({}, {}, { token: SECRETS.hook_key! }))).statusCode).toBe(202);
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": SECRETS.hook_key! }))).statusCode).toBe(401);
    expect(runs).toHaveLength(2);
  });

  it("keeps the key out of the event, so no run's inputs carry it", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", secretRef: "hook_key" }, { mapping: { headers: "$.headers", query: "$.query" } });
    await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": SECRETS.hook_key!, "x-other": "1" }, { api_key: "junk", page: "2" }));
    expect(runs[0]!.inputs.headers).toEqual({ "content-type": "application/json", "x-other": "1" });
    expect(runs[0]!.inputs.query).toEqual({ page: "2" });
    expect(JSON.stringify(runs[0]!.inputs)).not.toContain(SECRETS.hook_key);
  });

  it("fails closed with 401 and reports once when the secretRef is unknown", async () => {
    const { manager, runs, errors } = apiKeyManager({ type: "api_key", secretRef: "nope" });
    const first = await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "" }));
    const second = await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "anything" }));
    expect([first.statusCode, second.statusCode]).toEqual([401, 401]);
    expect(first.body).toEqual({ error: "unauthorized" });
    expect(runs).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.context).toEqual({ workflowId: "wf", triggerId: "hook" });
    expect(String(errors[0]!.error)).toContain("secretRef 'nope'");
  });

  it("answers 401 for a webhook without auth that reached the manager anyway, and reports it", async () => {
    const setup = createManager();
    setup.manager.sync("wf", workflowWith({ id: "open", type: "webhook", auth: { type: "none" } }));
    const response = await setup.manager.handleWebhook("wf", "open", jsonRequest({}));
    expect(response.statusCode).toBe(401);
    expect(setup.runs).toHaveLength(0);
    expect(setup.errors).toHaveLength(1);
  });
});

describe("webhook hmac auth", () => {
  it("accepts a correct signature over '<timestamp>.<raw body>'", async () => {
    const { manager, runs } = hmacManager();
    const response = await manager.handleWebhook("wf", "signed", signedRequest({ n: 1 }, NOW_S));
    expect(response.statusCode).toBe(202);
    expect(runs).toHaveLength(1);
  });

  it("rejects a wrong signature, a signature over other bytes and a missing header with 401", async () => {
    const { manager, runs } = hmacManager();
    const wrongSecret = signedRequest({ n: 1 }, NOW_S, "not-the-secret");
    const tampered = signedRequest({ n: 1 }, NOW_S);
    tampered.rawBody = Buffer.from(JSON.stringify({ n: 2 }));
    const unsigned = jsonRequest({ n: 1 }, { "x-flockflow-timestamp": String(NOW_S) });
    const bodyOnly = jsonRequest({ n: 1 }, { "x-flockflow-timestamp": String(NOW_S) });
    // Flocks' scheme: the body alone, no timestamp.
    bodyOnly.headers["x-flockflow-signature"] = `sha256=${createHmac("sha256", SECRETS.hook_hmac!).update(bodyOnly.rawBody).digest("hex")}`;
    for (const request of [wrongSecret, tampered, unsigned, bodyOnly]) {
      expect((await manager.handleWebhook("wf", "signed", request)).statusCode).toBe(401);
    }
    expect(runs).toHaveLength(0);
  });

  it("accepts a timestamp exactly 300 s old and rejects one 301 s old", async () => {
    const { manager, runs } = hmacManager();
    expect((await manager.handleWebhook("wf", "signed", signedRequest({ a: 1 }, NOW_S - 300))).statusCode).toBe(202);
    const stale = await manager.handleWebhook("wf", "signed", signedRequest({ a: 2 }, NOW_S - 301));
    expect(stale.statusCode).toBe(401);
    expect(stale.body).toEqual({ error: expect.stringContaining("300 s") });
    expect(runs).toHaveLength(1);
  });

  it("rejects a timestamp more than 300 s in the future", async () => {
    const { manager, runs } = hmacManager();
    expect((await manager.handleWebhook("wf", "signed", signedRequest({ a: 1 }, NOW_S + 301))).statusCode).toBe(401);
    expect((await manager.handleWebhook("wf", "signed", signedRequest({ a: 1 }, NOW_S + 299))).statusCode).toBe(202);
    expect(runs).toHaveLength(1);
  });

  it("rejects a replayed request: once its timestamp is old (401), and while still fresh (409)", async () => {
    let now = NOW_MS;
    const setup = createManager({ now: () => now });
    setup.manager.sync("wf", workflowWith({ id: "signed", type: "webhook", auth: { type: "hmac", secretRef: "hook_hmac" } }));
    const original = signedRequest({ alert: 1 }, NOW_S);
    expect((await setup.manager.handleWebhook("wf", "signed", original)).statusCode).toBe(202);
    const again = await setup.manager.handleWebhook("wf", "signed", { ...original, headers: { ...original.headers } });
    expect(again.statusCode).toBe(409);
    now = NOW_MS + 301_000;
    expect((await setup.manager.handleWebhook("wf", "signed", original)).statusCode).toBe(401);
    expect(setup.runs).toHaveLength(1);
  });

  it("lets the sender retry the same signed request after a refusal for back-pressure", async () => {
    const { manager, runs } = hmacManager({ concurrency: { policy: "no_overlap" } });
    expect((await manager.handleWebhook("wf", "signed", signedRequest({ a: 1 }, NOW_S))).statusCode).toBe(202);
    const retried = signedRequest({ a: 2 }, NOW_S);
    expect((await manager.handleWebhook("wf", "signed", retried)).statusCode).toBe(409);
    runs[0]!.finish();
    await settle();
    expect((await manager.handleWebhook("wf", "signed", retried)).statusCode).toBe(202);
    expect(runs).toHaveLength(2);
  });

  it("tolerates upper-case hex and a missing sha256= prefix", async () => {
    const { manager } = hmacManager();
    const request = signedRequest({ a: 1 }, NOW_S);
    request.headers["x-flockflow-signature"] = (request.headers["x-flockflow-signature"] as string).slice(7).toUpperCase();
    expect((await manager.handleWebhook("wf", "signed", request)).statusCode).toBe(202);
  });
});

describe("webhook dispatch", () => {
  it("answers 404 for an unknown workflow or trigger, 400 for a non-webhook trigger, 403 when disabled", async () => {
    const setup = createManager();
    setup.manager.sync(
      "wf",
      workflowWith(
        { id: "tick", type: "schedule", enabled: false, source: { mode: "interval", intervalSeconds: 60 } },
        { id: "off", type: "webhook", enabled: false, auth: { type: "api_key", apiKey: "k" } },
      ),
    );
    const request = jsonRequest({}, { "x-api-key": "k" });
    expect((await setup.manager.handleWebhook("nope", "hook", request)).statusCode).toBe(404);
    expect((await setup.manager.handleWebhook("wf", "nope", request)).statusCode).toBe(404);
    expect((await setup.manager.handleWebhook("wf", "tick", request)).statusCode).toBe(400);
    expect((await setup.manager.handleWebhook("wf", "off", request)).statusCode).toBe(403);
    expect(setup.runs).toHaveLength(0);
  });

  it("answers 413 for a body over the limit before checking auth", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "k" }, { source: { maxBodyBytes: 16 } });
    const response = await manager.handleWebhook("wf", "hook", jsonRequest({ long: "x".repeat(32) }, { "x-api-key": "wrong" }));
    expect(response.statusCode).toBe(413);
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({ s: 1 }, { "x-api-key": "k" }))).statusCode).toBe(202);
    expect(runs).toHaveLength(1);
  });

  it("applies the default 1 MiB limit", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "k" });
    const request = { headers: { "x-api-key": "k" }, query: {}, rawBody: Buffer.alloc(1024 * 1024 + 1, 0x20), body: "" };
    expect((await manager.handleWebhook("wf", "hook", request)).statusCode).toBe(413);
    expect(runs).toHaveLength(0);
  });

  it("answers 200 {accepted: false, reason: 'filtered'} and starts no run when filter.expr does not match", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "k" }, { filter: { expr: "body.severity in ['high', 'critical'] and headers['x-env'] == 'prod'" } });
    const low = await manager.handleWebhook("wf", "hook", jsonRequest({ severity: "low" }, { "x-api-key": "k", "x-env": "prod" }));
    expect(low.statusCode).toBe(200);
    expect(low.body).toEqual({ accepted: false, reason: "filtered", matched: false, executed: false, deliveryId: expect.any(String) });
    const high = await manager.handleWebhook("wf", "hook", jsonRequest({ severity: "high" }, { "x-api-key": "k", "x-env": "prod" }));
    expect(high.statusCode).toBe(202);
    expect(runs).toHaveLength(1);
  });

  it("answers 400 when the filter cannot be evaluated on the event", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "k" }, { filter: { expr: "body['count'] > 3" } });
    const response = await manager.handleWebhook("wf", "hook", jsonRequest({ other: 1 }, { "x-api-key": "k" }));
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ error: expect.stringContaining("not found") });
    expect(runs).toHaveLength(0);
  });

  it("answers 500 and reports when startRun fails, and frees the slot", async () => {
    const setup = apiKeyManager({ type: "api_key", apiKey: "k" }, { concurrency: { policy: "no_overlap" } });
    setup.failNext(new Error("store is down"));
    const failed = await setup.manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "k" }));
    expect(failed).toEqual({ statusCode: 500, body: { error: "the run could not be started" } });
    expect(setup.errors.map((e) => (e.error as Error).message)).toEqual(["store is down"]);
    expect(setup.manager.stats("wf", "hook")).toEqual({ running: 0, queued: 0 });
    expect((await setup.manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "k" }))).statusCode).toBe(202);
  });

  it("answers 503 after close", async () => {
    const { manager, runs } = apiKeyManager({ type: "api_key", apiKey: "k" });
    manager.close();
    expect((await manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "k" }))).statusCode).toBe(503);
    expect(runs).toHaveLength(0);
  });

  it("follows the workflow: a trigger removed by sync answers 404, a changed key takes effect", async () => {
    const setup = createManager();
    setup.manager.sync("wf", workflowWith({ id: "hook", type: "webhook", auth: { type: "api_key", apiKey: "old" } }));
    setup.manager.sync("wf", workflowWith({ id: "hook", type: "webhook", auth: { type: "api_key", apiKey: "new" } }));
    expect((await setup.manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "old" }))).statusCode).toBe(401);
    expect((await setup.manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "new" }))).statusCode).toBe(202);
    setup.manager.sync("wf", undefined);
    expect((await setup.manager.handleWebhook("wf", "hook", jsonRequest({}, { "x-api-key": "new" }))).statusCode).toBe(404);
    expect(setup.manager.stats("wf", "hook")).toBeUndefined();
  });
});
