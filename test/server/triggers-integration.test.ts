/**
 * Triggers through the service's own routes (issue 5 items 6 and the webhook/schedule acceptance
 * lines, end to end; the trigger engineer covers the policies at unit level): webhook `api_key`
 * right/wrong, `hmac` right/stale, each accepted call recorded as a run with the trigger's
 * identity; a schedule trigger with `intervalSeconds: 1` fires runs visible in the history; a
 * workflow edited on disk restarts its triggers.
 */
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, tempDir, until, writeWorkflow, type TestService } from "./support/service.js";

const SECRET = "hmac-secret-for-tests";
const echo = { start: "a", nodes: [{ id: "a", type: "javascript", code: "outputs.got = inputs;" }], edges: [] };

let t: TestService;
beforeAll(async () => {
  const dir = tempDir();
  const secrets = path.join(dir, "secrets.json");
  writeFileSync(secrets, JSON.stringify({ hook_secret: SECRET }), { mode: 0o600 });
  t = await startTestService({
    dir,
    env: { FLOCKFLOW_SECRETS: secrets },
    workflows: {
      hooks: {
        ...echo,
        triggers: [
          { id: "keyed", type: "webhook", auth: { type: "api_key", apiKey: "k-123" }, mapping: { alert: "$.body.alert" } },
          { id: "signed", type: "webhook", auth: { type: "hmac", secretRef: "hook_secret" } },
        ],
      },
    },
  });
});
afterAll(async () => {
  await t.close();
});

function sign(body: string, timestamp: number): Record<string, string> {
  const signature = createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex");
  return { "content-type": "application/json", "x-flockflow-signature": `sha256=${signature}`, "x-flockflow-timestamp": String(timestamp) };
}

async function runsOf(id: string): Promise<any[]> {
  return (await t.api("GET", `/api/workflows/${id}/runs?limit=100`)).body.runs;
}

describe("webhooks through POST /webhook/:workflowId/:triggerId", () => {
  it("api_key: the right key starts a recorded run with the mapped inputs; a wrong one 401 and no run", async () => {
    const before = (await runsOf("hooks")).length;
    const denied = await t.api("POST", "/webhook/hooks/keyed", { alert: "x" }, { "content-type": "application/json", "x-api-key": "nope" });
    expect(denied.status).toBe(401);
    const missing = await t.api("POST", "/webhook/hooks/keyed", { alert: "x" }, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect((await runsOf("hooks")).length).toBe(before);

    const accepted = await t.api("POST", "/webhook/hooks/keyed", { alert: "disk full" }, { "content-type": "application/json", "x-api-key": "k-123" });
    expect(accepted.status).toBe(202);
    const { runId } = accepted.body;
    const record = await until(async () => {
      const r = (await t.api("GET", `/api/runs/${runId}`)).body;
      return r.status === "succeeded" ? r : undefined;
    }, "the webhook run");
    expect(record.trigger).toMatchObject({ id: "keyed", type: "webhook" });
    expect(record.outputs.got.alert).toBe("disk full");
    expect(record.outputs.got._trigger).toBe("webhook");
    expect(record.outputs.got._flocks.trigger).toMatchObject({ id: "keyed", type: "webhook" });
  });

  it("hmac: a fresh signature over the exact bytes is accepted; a stale timestamp or wrong signature is 401", async () => {
    const body = '{"n": 1,  "spaced":true}';
    const now = Math.floor(Date.now() / 1000);
    const ok = await t.api("POST", "/webhook/hooks/signed", body, sign(body, now));
    expect(ok.status).toBe(202);
    expect(typeof ok.body.runId).toBe("string");

    const before = (await runsOf("hooks")).length;
    const stale = await t.api("POST", "/webhook/hooks/signed", body, sign(body, now - 301));
    expect(stale.status).toBe(401);
    const tampered = await t.api("POST", "/webhook/hooks/signed", body.replace("1", "2"), sign(body, now));
    expect(tampered.status).toBe(401);
    expect((await runsOf("hooks")).length).toBe(before);
  });

  it("a non-JSON body reaches the trigger as text; unknown triggers are 404", async () => {
    const response = await t.api("POST", "/webhook/hooks/keyed?api_key=k-123", "plain words", { "content-type": "text/plain" });
    expect(response.status).toBe(202);
    expect((await t.api("POST", "/webhook/hooks/nope", "{}", { "content-type": "application/json" })).status).toBe(404);
    expect((await t.api("POST", "/webhook/missing/keyed", "{}", { "content-type": "application/json" })).status).toBe(404);
  });
});

describe("schedules", () => {
  it("an interval trigger of 1 s fires runs visible in the history, and stops when removed on disk", async () => {
    writeWorkflow(t.workflowsDir, "ticker", { ...echo, triggers: [{ id: "tick", type: "schedule", source: { mode: "interval", intervalSeconds: 1 } }] });
    // Picked up by the folder watcher (no API call): the schedule starts by itself.
    const runs = await until(async () => {
      const list = await runsOf("ticker");
      return list.filter((r) => r.status === "succeeded").length >= 2 ? list : undefined;
    }, "two scheduled runs", 5000);
    expect(runs[0].trigger).toMatchObject({ id: "tick", type: "schedule" });

    writeWorkflow(t.workflowsDir, "ticker", echo);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const settled = (await runsOf("ticker")).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await runsOf("ticker")).length).toBe(settled);
  });
});
