/**
 * Publishing (SPEC §7, issue 5 acceptance): publish → 201 with a key shown once; `/invoke` with the
 * right key 200, a wrong or missing key 401; editing the draft changes nothing until republish;
 * republish keeps the key unless rotated; unpublish stops it; per-workflow concurrency limit (429)
 * and timeout.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { startTestService, TOOLS_FIXTURE, until, WORKFLOWS, type TestService } from "./support/service.js";

let t: TestService;
beforeAll(async () => {
  t = await startTestService({
    workflows: { hello: WORKFLOWS.twoSteps, sleepy: WORKFLOWS.sleepy },
    toolModules: [TOOLS_FIXTURE],
    server: { invoke_concurrency: 2, invoke_timeout_s: 5 },
  });
});
afterAll(async () => {
  await t.close();
});

const invoke = (id: string, key: string | undefined, body: unknown = { inputs: { name: "ivy" } }) =>
  t.api("POST", `/invoke/${id}`, body, key === undefined ? {} : { "x-api-key": key });

describe("publish and invoke", () => {
  it("publish returns a key once; invoke runs the release with the right key only", async () => {
    const first = await t.api("POST", "/api/workflows/hello/publish", {});
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ releaseId: expect.stringMatching(/^[0-9a-f]{32}$/), apiKey: expect.stringMatching(/^[0-9a-f]{64}$/), invokeUrl: `${t.url}/invoke/hello` });
    const key: string = first.body.apiKey;

    const ok = await invoke("hello", key);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: "succeeded", runId: expect.any(String), outputs: { upper: "HI IVY" }, error: null, durationMs: expect.any(Number) });
    const record = (await t.api("GET", `/api/runs/${ok.body.runId}`)).body;
    expect(record).toMatchObject({ workflowId: "hello", releaseId: first.body.releaseId, trigger: { type: "invoke" }, status: "succeeded" });

    for (const bad of [undefined, "", "wrong", `${key}0`, key.toUpperCase()]) {
      const denied = await invoke("hello", bad);
      expect([bad, denied.status]).toEqual([bad, 401]);
    }
    // Not even the body is looked at without the key.
    expect((await invoke("hello", "wrong", { inputs: 5 })).status).toBe(401);
    expect((await invoke("hello", key, { inputs: 5 })).body).toEqual({ error: "body/inputs must be object" });
    // A workflow with no key at all: 401 too (its existence is not revealed).
    expect((await invoke("nope", key)).status).toBe(401);

    // The key is stored only as a hash.
    const db = new Database(path.join(t.dataDir, "flockflow.db"), { readonly: true });
    try {
      const row = db.prepare("SELECT key_hash FROM api_keys WHERE workflow_id = 'hello'").get() as { key_hash: string };
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.key_hash).not.toBe(key);
    } finally {
      db.close();
    }
  });

  it("editing the draft changes nothing until republish; republish keeps the key; rotate replaces it", async () => {
    const published = await t.api("POST", "/api/workflows/hello/publish", { rotateKey: true });
    const key: string = published.body.apiKey;
    const draft = JSON.parse(readFileSync(path.join(t.workflowsDir, "hello", "workflow.json"), "utf8"));
    draft.nodes[1].code = "outputs.upper = 'EDITED ' + inputs.greeting;";
    expect((await t.api("PUT", "/api/workflows/hello", { workflow: draft })).status).toBe(200);

    expect((await invoke("hello", key)).body.outputs).toEqual({ upper: "HI IVY" });
    expect((await t.api("POST", "/api/workflows/hello/runs", { inputs: { name: "ivy" }, wait: true })).body.outputs).toEqual({ upper: "EDITED hi ivy" });

    const republished = await t.api("POST", "/api/workflows/hello/publish");
    expect(republished.status).toBe(201);
    expect(republished.body.apiKey).toBeNull();
    expect(republished.body.releaseId).not.toBe(published.body.releaseId);
    const after = await invoke("hello", key);
    expect([after.status, after.body.outputs]).toEqual([200, { upper: "EDITED hi ivy" }]);
    expect((await t.api("GET", `/api/runs/${after.body.runId}`)).body.releaseId).toBe(republished.body.releaseId);

    const rotated = await t.api("POST", "/api/workflows/hello/publish", { rotateKey: true });
    expect(rotated.body.apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect((await invoke("hello", key)).status).toBe(401);
    expect((await invoke("hello", rotated.body.apiKey)).status).toBe(200);
  });

  it("unpublish stops invoke; GET shows the publish state", async () => {
    const published = await t.api("POST", "/api/workflows/hello/publish", { rotateKey: true });
    expect((await t.api("GET", "/api/workflows/hello")).body.published).toEqual({ releaseId: published.body.releaseId, publishedAt: expect.any(String) });
    const unpublished = await t.api("POST", "/api/workflows/hello/unpublish");
    expect(unpublished.body).toEqual({ workflowId: "hello", published: false, releaseId: published.body.releaseId });
    const after = await invoke("hello", published.body.apiKey);
    expect([after.status, after.body.error]).toEqual([404, "workflow 'hello' is not published"]);
    expect((await t.api("GET", "/api/workflows/hello")).body.published).toBeNull();
  });

  it("per-workflow concurrency limit: 429 beyond it; timeout_s lowers the run timeout", async () => {
    const { body } = await t.api("POST", "/api/workflows/sleepy/publish", {});
    const key: string = body.apiKey;
    const slow = [invoke("sleepy", key, { inputs: { ms: 800 } }), invoke("sleepy", key, { inputs: { ms: 800 } })];
    await until(() => (t.service.runs.activeFor("sleepy").length === 2 ? true : undefined), "two invocations in flight");
    const third = await invoke("sleepy", key, { inputs: { ms: 1 } });
    expect([third.status, third.headers.get("retry-after")]).toEqual([429, "1"]);
    expect(third.body.error).toMatch(/too many invocations/);
    expect((await Promise.all(slow)).map((r) => [r.status, r.body.status])).toEqual([
      [200, "succeeded"],
      [200, "succeeded"],
    ]);

    const t0 = performance.now();
    const timedOut = await invoke("sleepy", key, { inputs: { ms: 30_000 }, timeout_s: 0.3 });
    expect([timedOut.status, timedOut.body.status]).toEqual([200, "timed_out"]);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
