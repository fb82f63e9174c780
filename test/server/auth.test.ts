/**
 * Authentication (SPEC §7, issue 5 acceptance): every route except `/health` and webhooks answers
 * 401 without a valid token — walked over the app's own route table, so a route added later is
 * covered too; `/invoke` answers 401 without its key. Tokens: config, env, or generated on first
 * start with mode 0600.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerToken, resolveApiTokens, routesOf, TokenSet } from "../../src/server/index.js";
import { AUTH, startTestService, tempDir, TOKEN, WORKFLOWS, type TestService } from "./support/service.js";

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ workflows: { hello: WORKFLOWS.twoSteps } });
});
afterAll(async () => {
  await t.close();
});

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => (name === "id" || name === "workflowId" ? "hello" : name === "runId" ? "r0" : "t0"));
}

describe("bearer authentication", () => {
  it("the route table has every SPEC §7 route", () => {
    const routes = routesOf(t.service.app).filter((r) => r.method !== "HEAD").map((r) => `${r.method} ${r.url}`);
    expect(routes.sort()).toEqual(
      [
        "GET /health",
        "GET /api/workflows",
        "POST /api/workflows",
        "GET /api/workflows/:id",
        "PUT /api/workflows/:id",
        "DELETE /api/workflows/:id",
        "POST /api/workflows/:id/validate",
        "POST /api/workflows/:id/runs",
        "GET /api/workflows/:id/runs",
        "GET /api/runs/:runId",
        "POST /api/runs/:runId/cancel",
        "GET /api/runs/:runId/events",
        "POST /api/workflows/:id/publish",
        "POST /api/workflows/:id/unpublish",
        "POST /invoke/:id",
        "POST /webhook/:workflowId/:triggerId",
      ].sort(),
    );
  });

  it("every route but /health and webhooks answers 401 without a valid token, before looking at the body", async () => {
    const routes = routesOf(t.service.app).filter((r) => !(r.url === "/health" || r.url.startsWith("/webhook/")));
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
        const response = await t.service.app.inject({
          method: route.method as "GET",
          url: concrete(route.url),
          headers: { ...headers, "content-type": "application/json" },
          payload: route.method === "GET" || route.method === "HEAD" ? undefined : "{ this is not json",
        });
        expect([`${route.method} ${route.url}`, response.statusCode]).toEqual([`${route.method} ${route.url}`, 401]);
      }
    }
  });

  it("the same routes pass authentication with the token", async () => {
    const response = await t.service.app.inject({ method: "GET", url: "/api/workflows", headers: AUTH });
    expect(response.statusCode).toBe(200);
    const lower = await t.service.app.inject({ method: "GET", url: "/api/workflows", headers: { authorization: `bearer ${TOKEN}` } });
    expect(lower.statusCode).toBe(200);
  });

  it("an unknown path is 401 without a token and 404 with one", async () => {
    expect((await t.service.app.inject({ method: "GET", url: "/api/nothing-here" })).statusCode).toBe(401);
    const found = await t.service.app.inject({ method: "GET", url: "/api/nothing-here", headers: AUTH });
    expect([found.statusCode, found.json()]).toEqual([404, { error: "not found: GET /api/nothing-here" }]);
  });

  it("/health and webhooks need no bearer token (over real HTTP)", async () => {
    const health = await t.api("GET", "/health", undefined, {});
    expect([health.status, health.body.ok, typeof health.body.version]).toEqual([200, true, "string"]);
    const webhook = await t.api("POST", "/webhook/hello/none", { x: 1 }, {});
    expect(webhook.status).toBe(404);
  });
});

describe("tokens", () => {
  it("TokenSet matches exact tokens only; bearerToken parses the header", () => {
    const set = new TokenSet(["alpha", "beta", ""]);
    expect([set.has("alpha"), set.has("beta"), set.has("alph"), set.has("alphaa"), set.has("")]).toEqual([true, true, false, false, false]);
    expect([bearerToken("Bearer abc"), bearerToken("bearer  abc "), bearerToken("Basic abc"), bearerToken(undefined), bearerToken("Bearer a b")]).toEqual([
      "abc",
      "abc",
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("config tokens win, then $FLOCKFLOW_API_TOKEN, else a token generated once with mode 0600", () => {
    const dataDir = path.join(tempDir(), "data");
    expect(resolveApiTokens({ configTokens: ["c1", " "], env: { FLOCKFLOW_API_TOKEN: "e" }, dataDir })).toEqual({ tokens: ["c1"], source: "config" });
    expect(resolveApiTokens({ configTokens: [], env: { FLOCKFLOW_API_TOKEN: "e" }, dataDir })).toEqual({ tokens: ["e"], source: "env" });
    const first = resolveApiTokens({ env: {}, dataDir });
    expect(first.generated).toMatch(/^fft_[A-Za-z0-9_-]{32}$/);
    expect(first.tokens).toEqual([first.generated]);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.file!, "utf8").trim()).toBe(first.generated);
    const second = resolveApiTokens({ env: {}, dataDir });
    expect(second).toEqual({ tokens: [first.generated], source: "file", file: first.file });
  });
});
