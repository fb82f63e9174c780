/**
 * Issue 3 acceptance, CLI: a workflow with an `llm` node and a JavaScript node calling `llm.ask`
 * runs from the real CLI against a config that points at mock-llm (started here, on port 0, so the
 * test can script it and read its counters); SIGINT during a stalled call exits 130 within 1 s and
 * the server sees the request closed; progress shows LLM retries and fallbacks; and the README demo
 * (`node examples/alert-triage/demo.mjs`) runs with no configuration at all.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockLlmServer, type MockRule } from "../../src/mock-llm/index.js";
import { spawnCli } from "./support/spawn-cli.js";
import { sigintDuringStalledCall, untilStalled } from "./support/stalled-llm.js";
import { runNode } from "../support/run-node.js";

const FIXTURES = "test/fixtures/cli-llm";
const ASK = `${FIXTURES}/ask`;
const ASK_INPUTS = JSON.stringify({ customer: "acme", issue: "login fails" });

let mock: MockLlmServer;
let configFile: string;

beforeAll(async () => {
  mock = await startMockLlmServer();
  configFile = path.join(mkdtempSync(path.join(os.tmpdir(), "flockflow-cli-llm-")), "flockflow.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      provider: { mock: { npm: "@ai-sdk/openai-compatible", options: { baseURL: mock.url } } },
      default_models: { llm: { provider_id: "mock", model_id: "mock-model" } },
    }),
  );
});
afterEach(() => {
  mock.setRules([]);
  mock.reset();
});
afterAll(async () => {
  await mock.close();
});

/** The last user message of each request the mock has seen, in arrival order. */
function promptsSeen(): string[] {
  return mock.requests().map((r) => {
    const messages = (r.body as { messages?: Array<{ role: string; content: string }> } | null)?.messages ?? [];
    return messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
  });
}

describe("flockflow run with LLM nodes, against mock-llm through --config", () => {
  it("--json: the llm node and the JavaScript node's llm.ask get the mock's replies; two requests; exit 0", async () => {
    const r = await spawnCli(["run", ASK, "--config", configFile, "--inputs", ASK_INPUTS, "--json"]).done;
    expect(r.hung).toBe(false);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("succeeded");
    const summary = "mock reply from mock-model: Summarize the ticket from acme: login fails";
    expect(result.outputs).toEqual({ summary, verdict: `mock reply from mock-model: Escalate? ${summary}` });
    expect(result.history.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ["summarize", "succeeded"],
      ["decide", "succeeded"],
    ]);
    expect(mock.stats().requests).toBe(2);
    expect(mock.stats().requestsByModel).toEqual({ "mock-model": 2 });
    expect(promptsSeen()).toEqual(["Summarize the ticket from acme: login fails", `Escalate? ${summary}`]);
  });

  describe.each([
    { node: "summarize", kind: "llm", marker: "Summarize the ticket", requestsBefore: 1, steps: [["summarize", "cancelled"]] },
    { node: "decide", kind: "javascript (llm.ask)", marker: "Escalate?", requestsBefore: 2, steps: [["summarize", "succeeded"], ["decide", "cancelled"]] },
  ])("SIGINT while the $kind node's call is stalled after its headers", ({ node, marker, requestsBefore, steps }) => {
    it("exits 130 within 1 s with status cancelled, and the server sees the request closed within 1 s", async () => {
      mock.setRules([{ match: { promptIncludes: marker }, behavior: { stallAfterHeaders: true } }]);
      const proc = spawnCli(["run", ASK, "--config", configFile, "--inputs", ASK_INPUTS, "--json"]);
      await untilStalled(mock, requestsBefore, `the ${node} request`);
      const { result } = await sigintDuringStalledCall(mock, proc, { requests: requestsBefore, label: `a stalled ${node} call` });
      expect(result.history.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual(steps);
      expect(result.history.at(-1).errorType).toBe("RunCancelledError");
    });
  });
});

describe("progress (without --json) shows LLM retries and fallbacks", () => {
  it("prints a ↻ line for a retried 503 and a ↪ line for a 404 that falls back to the default model", async () => {
    const rules: MockRule[] = [
      { match: { model: "bad-model" }, behavior: { status: 404 } },
      { match: { promptIncludes: "Draft a reply" }, behavior: { status: 503, failFirst: 1 } },
    ];
    mock.setRules(rules);
    const r = await spawnCli(["run", `${FIXTURES}/retry-fallback`, "--config", configFile, "--inputs", JSON.stringify({ customer: "acme" })]).done;
    expect(r.code).toBe(0);
    const draft = "mock reply from mock-model: Draft a reply to acme";
    expect(JSON.parse(r.stdout)).toEqual({ draft, polished: `mock reply from mock-model: Polish: ${draft}` });
    const lines = r.stderr.trimEnd().split("\n");
    const retry = lines.find((line) => line.startsWith("↻ "));
    const fallback = lines.find((line) => line.startsWith("↪ "));
    console.info(`progress:\n  ${retry}\n  ${fallback}`);
    // metadata.llm: max_retries 1, retry_delay_s 0.05 (±20 % jitter).
    expect(retry).toMatch(/^↻ draft llm retry \(attempt 2\) on mock\/mock-model in (\d+) ms: HTTP 503: .+$/);
    const waitMs = Number(/in (\d+) ms/.exec(retry!)![1]);
    expect(waitMs).toBeGreaterThanOrEqual(40);
    expect(waitMs).toBeLessThanOrEqual(60);
    expect(fallback).toMatch(/^↪ polish llm fallback from mock\/bad-model to mock\/mock-model: HTTP 404: .+$/);
    const order = lines.filter((line) => /^[▶✓✗↻↪] /.test(line)).map((line) => line.split(" ").slice(0, 2).join(" "));
    expect(order).toEqual(["▶ draft", "↻ draft", "✓ draft", "▶ polish", "↪ polish", "✓ polish"]);
    expect(lines.at(-1)).toMatch(/^run [0-9a-f]{32} succeeded: 2 steps in \d+ ms$/);
    expect(mock.stats().requestsByModel).toEqual({ "mock-model": 3, "bad-model": 1 });
  });

  it("prints no ↪ line when the only candidate fails: there was nothing to fall back to", async () => {
    mock.setRules([{ behavior: { status: 503 } }]);
    const r = await spawnCli(["run", ASK, "--config", configFile, "--inputs", ASK_INPUTS]).done;
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^[↪↻] /m);
    expect(r.stderr).toMatch(/^✗ summarize failed \d+ ms: The LLM model is unavailable\. Details: mock\/mock-model: HTTP 503: /m);
    expect(mock.stats().requests).toBe(1);
  });
});

describe("the README demo", () => {
  it("`node examples/alert-triage/demo.mjs` runs the example against mock-llm with no configuration and exits 0", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "flockflow-demo-home-"));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USERPROFILE: home };
    for (const name of ["FLOCKFLOW_CONFIG", "FLOCKFLOW_SECRETS", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL", "NODE_OPTIONS"]) delete env[name];
    const { code, stdout, stderr } = await runNode(["examples/alert-triage/demo.mjs"], { env });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('"summary": "3 alerts triaged, 2 escalated"');
    const outputs = JSON.parse(stdout);
    expect(outputs.results.map((r: Record<string, unknown>) => [r.id, r.score, r.level, r.attack, r.verdict])).toEqual([
      ["a-1", 100, "high", "jndi_injection", "malicious"],
      ["a-2", 0, "low", "none", "benign"],
      ["a-3", 92, "high", "sql_injection", "malicious"],
    ]);
    expect(outputs.results[0].analyst_note).toMatch(/^Log4Shell/);
    expect(outputs.results[2].notice).toEqual({ ticket: "SEC-1002", note: "escalated a-3 (score 92) as SEC-1002" });
    expect(stderr).toMatch(/^demo: mock-llm listening on http:\/\/127\.0\.0\.1:\d+\/v1; /m);
    expect(stderr).toMatch(/^↻ note llm retry \(attempt 2\) on openai\/mock-model in \d+ ms: HTTP 503: /m);
    expect(stderr).toMatch(/^run [0-9a-f]{32} succeeded: 36 steps in \d+ ms$/m);
  });
});
