/**
 * Workflow routes (SPEC §7): create, read, replace, delete, validate, list; bodies validated with a
 * schema whose 400 names the field; an invalid workflow answers 400 with each issue's location; a
 * webhook trigger without auth is rejected when saved; body size limit.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, startTestService, WORKFLOWS, type TestService } from "./support/service.js";

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ workflows: { hello: WORKFLOWS.twoSteps }, server: { body_limit_bytes: 64 * 1024 } });
});
afterAll(async () => {
  await t.close();
});

async function call(method: string, url: string, payload?: unknown) {
  const response = await t.service.app.inject({
    method: method as "GET",
    url,
    headers: { ...AUTH, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
    payload: payload === undefined ? undefined : typeof payload === "string" ? payload : JSON.stringify(payload),
  });
  return { status: response.statusCode, body: response.body === "" ? null : response.json() };
}

const VALID = { name: "made by api", start: "a", nodes: [{ id: "a", type: "javascript", code: "outputs.v = 1;" }], edges: [] };

describe("bad bodies answer 400 naming the field", () => {
  it.each([
    ["POST", "/api/workflows", {}, "body/workflow is required"],
    ["POST", "/api/workflows", { workflow: [] }, "body/workflow must be object"],
    ["POST", "/api/workflows", { workflow: VALID, markdown: 5 }, "body/markdown must be string"],
    ["POST", "/api/workflows", { workflow: VALID, id: "../x" }, 'body/id must match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"'],
    ["POST", "/api/workflows", { workflow: VALID, id: "a..b" }, 'body/id must not contain ".."'],
    ["POST", "/api/workflows", { workflow: VALID, extra: 1 }, "body/extra is not an allowed property"],
    ["PUT", "/api/workflows/hello", { markdown: "x" }, "body/workflow is required"],
    ["POST", "/api/workflows/hello/runs", { inputs: 5 }, "body/inputs must be object"],
    ["POST", "/api/workflows/hello/runs", { inputs: {}, timeout_s: 0 }, "body/timeout_s must be > 0"],
    ["POST", "/api/workflows/hello/runs", { inputs: {}, timeout_s: "5" }, "body/timeout_s must be number"],
    ["POST", "/api/workflows/hello/runs", { inputs: {}, node_timeout_s: -1 }, "body/node_timeout_s must be >= 0"],
    ["POST", "/api/workflows/hello/runs", { inputs: {}, wait: "true" }, "body/wait must be boolean"],
    ["POST", "/api/workflows/hello/runs", "[1, 2]", "body must be object"],
    ["POST", "/api/workflows/hello/publish", { rotateKey: "yes" }, "body/rotateKey must be boolean"],
    ["POST", "/api/workflows/hello/validate", { workflow: 1 }, "body/workflow must be object"],
    ["POST", "/api/workflows/hello/unpublish", { force: true }, "body/force is not an allowed property"],
    ["POST", "/api/runs/r1/cancel", { reason: "x" }, "body/reason is not an allowed property"],
    ["GET", "/api/workflows/hello/runs?limit=abc", undefined, 'querystring/limit must match pattern "^[0-9]{1,6}$"'],
    ["GET", "/api/workflows/..%2Fetc", undefined, 'params/id must match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"'],
  ])("%s %s %j → %s", async (method, url, body, message) => {
    const response = await call(method, url, body);
    expect([response.status, response.body]).toEqual([400, { error: message }]);
  });

  it("invalid JSON is a 400 too", async () => {
    const response = await call("POST", "/api/workflows", "{ nope");
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/JSON/);
  });

  it("a body over the limit is 413", async () => {
    const response = await call("POST", "/api/workflows", { workflow: { ...VALID, description: "x".repeat(70 * 1024) } });
    expect(response.status).toBe(413);
    expect(typeof response.body.error).toBe("string");
  });
});

describe("invalid workflows answer 400 with their issues", () => {
  it("validation issues carry locations", async () => {
    const response = await call("POST", "/api/workflows", {
      id: "bad",
      workflow: { start: "nope", nodes: [{ id: "a", type: "javascript" }, { id: "b", type: "teleport" }], edges: [{ from: "a", to: "zz" }] },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("invalid workflow");
    const locations = response.body.issues.map((i: { location: string }) => i.location);
    expect(locations).toEqual(expect.arrayContaining(["nodes[0].code", "nodes[1].type", "start", "edges[0].to"]));
    for (const issue of response.body.issues) expect(Object.keys(issue).sort()).toEqual(["location", "message", "rule", "severity"]);
    expect(existsSync(path.join(t.workflowsDir, "bad"))).toBe(false);
  });

  it("a webhook trigger without auth is rejected when saved (PUT too), and nothing is written", async () => {
    const withTrigger = { ...VALID, triggers: [{ id: "hook", type: "webhook" }] };
    const created = await call("POST", "/api/workflows", { id: "hooked", workflow: withTrigger });
    expect(created.status).toBe(400);
    expect(created.body.issues.some((i: { location: string; severity: string }) => i.location.startsWith("triggers[0]") && i.severity === "error")).toBe(true);
    const put = await call("PUT", "/api/workflows/hello", { workflow: withTrigger });
    expect(put.status).toBe(400);
    expect(JSON.parse(readFileSync(path.join(t.workflowsDir, "hello", "workflow.json"), "utf8")).name).toBe("two steps");
  });
});

describe("CRUD", () => {
  it("create → 201 {id}; read; list; replace; validate; delete → 204", async () => {
    const created = await call("POST", "/api/workflows", { id: "crud", workflow: VALID, markdown: "# CRUD\n" });
    expect(created).toEqual({ status: 201, body: { id: "crud", warnings: [] } });
    expect((await call("POST", "/api/workflows", { id: "crud", workflow: VALID })).status).toBe(409);

    const read = await call("GET", "/api/workflows/crud");
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: "crud", workflow: VALID, markdown: "# CRUD\n", meta: { id: "crud", name: "made by api" }, published: null });

    const list = await call("GET", "/api/workflows");
    expect(list.body.workflows.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining(["crud", "hello"]));
    expect(list.body.workflows.find((w: { id: string }) => w.id === "crud")).toMatchObject({ name: "made by api", published: false });

    const replaced = await call("PUT", "/api/workflows/crud", { workflow: { ...VALID, name: "renamed" } });
    expect(replaced).toEqual({ status: 200, body: { id: "crud", warnings: [] } });
    expect((await call("GET", "/api/workflows/crud")).body.workflow.name).toBe("renamed");
    expect((await call("GET", "/api/workflows/crud")).body.markdown).toBe("# CRUD\n");

    expect(await call("POST", "/api/workflows/crud/validate")).toEqual({ status: 200, body: { valid: true, issues: [] } });
    const invalid = await call("POST", "/api/workflows/crud/validate", { workflow: { start: "x", nodes: [] } });
    expect(invalid.status).toBe(200);
    expect(invalid.body.valid).toBe(false);
    expect(invalid.body.issues[0].location).toBeDefined();

    expect(await call("DELETE", "/api/workflows/crud")).toEqual({ status: 204, body: null });
    expect((await call("GET", "/api/workflows/crud")).status).toBe(404);
    expect((await call("DELETE", "/api/workflows/crud")).status).toBe(404);
    expect((await call("PUT", "/api/workflows/crud", { workflow: VALID })).status).toBe(404);
    expect(existsSync(path.join(t.workflowsDir, "crud"))).toBe(false);
  });

  it("without an id, a new id is generated", async () => {
    const created = await call("POST", "/api/workflows", { workflow: VALID });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(existsSync(path.join(t.workflowsDir, created.body.id, "workflow.json"))).toBe(true);
  });

  it("a workflow edited on disk is seen at once; broken JSON shows its issue", async () => {
    writeFileSync(path.join(t.workflowsDir, "hello", "meta.json"), JSON.stringify({ name: "Hello!" }));
    expect((await call("GET", "/api/workflows/hello")).body.meta).toEqual({ name: "Hello!" });
    const file = path.join(t.workflowsDir, "ondisk", "workflow.json");
    await call("POST", "/api/workflows", { id: "ondisk", workflow: VALID });
    writeFileSync(file, "{\n  \"start\": ,\n}");
    const read = await call("GET", "/api/workflows/ondisk");
    expect([read.status, read.body.workflow, read.body.issues[0].location]).toEqual([200, null, "line 2, column 12"]);
    const run = await call("POST", "/api/workflows/ondisk/runs", { inputs: {} });
    expect([run.status, run.body.error, run.body.issues[0].rule]).toEqual([400, "invalid workflow", "invalid_json"]);
    expect((await call("POST", "/api/workflows/ondisk/validate")).body.valid).toBe(false);
  });

  it("unknown workflows are 404", async () => {
    expect((await call("GET", "/api/workflows/nope")).status).toBe(404);
    expect((await call("POST", "/api/workflows/nope/runs", { inputs: {} })).status).toBe(404);
    expect((await call("POST", "/api/workflows/nope/validate")).status).toBe(404);
    expect((await call("POST", "/api/workflows/nope/publish", {})).status).toBe(404);
    expect((await call("POST", "/api/workflows/nope/unpublish")).status).toBe(404);
    expect(await call("GET", "/api/workflows/nope/runs")).toEqual({ status: 200, body: { runs: [] } });
  });
});
