import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, TOOLS, runCli } from "./support/spawn-cli.js";

const RESULT_KEYS = ["status", "runId", "steps", "lastNodeId", "outputs", "error", "history"];
const STEP_KEYS = ["nodeId", "status", "durationMs", "error", "errorType", "traceback", "stdout"];

describe("flockflow run --json", () => {
  it("prints exactly one JSON object with the documented keys, writes nothing to stderr and exits 0", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", TOOLS, "--inputs", '{"n": 21}', "--json"], { timeoutMs: 10_000 });
    expect(r.hung).toBe(false);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result)).toEqual(RESULT_KEYS);
    expect(result.status).toBe("succeeded");
    expect(result.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.steps).toBe(2);
    expect(result.lastNodeId).toBe("echo");
    expect(result.outputs).toEqual({ echoed: { tag: "cli", value: 42 } });
    expect(result.error).toBeNull();
    expect(result.history).toHaveLength(2);
    for (const step of result.history) expect(Object.keys(step)).toEqual(STEP_KEYS);
    expect(result.history.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ["double", "succeeded"],
      ["echo", "succeeded"],
    ]);
    expect(result.history[0].stdout).toBe("doubling 21\n");
    expect(result.history[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it("exits 1 with status failed and the step's error when a node fails", async () => {
    const r = await runCli(["run", `${FIXTURES}/fails`, "--tools", TOOLS, "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("failed");
    expect(result.error).toBe("boom: ToolError: Tool 'fail' failed: Error: kaput");
    expect(result.history).toHaveLength(1);
    expect(result.history[0]).toMatchObject({ nodeId: "boom", status: "failed", errorType: "ToolError" });
  });

  it("exits 1 with status timed_out when --timeout ends the run", async () => {
    const started = performance.now();
    const r = await runCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS, "--timeout", "0.3", "--json"]);
    expect(r.code).toBe(1);
    expect(r.exitedAt - started).toBeLessThan(8_000);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("timed_out");
    expect(result.error).toMatch(/^TimeoutError: Run timed out: .* timeout_s=0\.3$/);
    expect(result.history).toEqual([expect.objectContaining({ nodeId: "nap", status: "timed_out", errorType: "TimeoutError" })]);
  });

  it("keeps every step in history with --history summary", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", TOOLS, "--history", "summary", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).history.map((s: { nodeId: string }) => s.nodeId)).toEqual(["double", "echo"]);
  });
});

describe("flockflow run without --json", () => {
  it("prints progress and a summary on stderr and the outputs as pretty JSON on stdout", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", TOOLS, "--inputs", '{"n": 5}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ echoed: { tag: "cli", value: 10 } }, null, 2)}\n`);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe("▶ double (javascript)");
    expect(lines[1]).toMatch(/^✓ double succeeded \d+ ms$/);
    expect(lines[2]).toBe("▶ echo (tool)");
    expect(lines[3]).toMatch(/^✓ echo succeeded \d+ ms$/);
    expect(lines[4]).toMatch(/^run [0-9a-f]{32} succeeded: 2 steps in \d+ ms$/);
  });

  it("prints lint warnings with their location before the progress", async () => {
    const r = await runCli(["run", `${FIXTURES}/warn`]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe('warning: edges[0]: edge "first" -> "second" has no mapping; the full upstream payload is passed on');
    expect(lines[1]).toBe("▶ first (javascript)");
    expect(JSON.parse(r.stdout)).toEqual({ y: 2 });
  });

  it("prints nothing but the JSON object in --json mode even when lint warns", async () => {
    const r = await runCli(["run", `${FIXTURES}/warn`, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).outputs).toEqual({ y: 2 });
  });

  it("shows a failed node with its error and exits 1", async () => {
    const r = await runCli(["run", `${FIXTURES}/fails`, "--tools", TOOLS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ boom failed \d+ ms: Tool 'fail' failed: Error: kaput$/m);
    expect(r.stderr).toMatch(/^run [0-9a-f]{32} failed: 1 step in \d+ ms$/m);
    expect(r.stderr).toContain("error: boom: ToolError: Tool 'fail' failed: Error: kaput\n");
    expect(JSON.parse(r.stdout)).toEqual({});
  });

  it("shows a timed-out node and exits 1", async () => {
    const r = await runCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS, "--timeout", "0.3"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ nap timed_out \d+ ms: Run timed out: /m);
    expect(r.stderr).toMatch(/^run [0-9a-f]{32} timed_out: 1 step in \d+ ms$/m);
  });
});

describe("flockflow run flags reach the runtime", () => {
  it("--workflows adds a sub-workflow root", async () => {
    const args = ["run", `${FIXTURES}/parent`, "--inputs", '{"name": "ann"}', "--json"];
    const without = await runCli(args);
    expect(without.code).toBe(1);
    expect(JSON.parse(without.stdout).history[0]).toMatchObject({ status: "failed", errorType: "WorkflowNotFoundError" });
    const r = await runCli([...args, "--workflows", `${FIXTURES}/subflows`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outputs).toEqual({ child: { greeting: "hi ann" } });
  });

  it("--config loads the tools modules the config names", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flockflow-cli-config-"));
    const config = path.join(dir, "flockflow.json");
    writeFileSync(config, JSON.stringify({ tools: { modules: [path.resolve(TOOLS)] } }));
    const r = await runCli(["run", `${FIXTURES}/ok`, "--config", config, "--inputs", '{"n": 1}', "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outputs).toEqual({ echoed: { tag: "cli", value: 2 } });
  });

  it("--node-timeout times the node out; by default the run carries on and succeeds", async () => {
    const r = await runCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS, "--node-timeout", "0.2", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("succeeded");
    expect(result.history[0]).toMatchObject({ nodeId: "nap", status: "timed_out", error: "Node 'nap' timed out after 0.2s" });
  });

  it("ends the process by itself once the run is done (worker threads and pools closed)", async () => {
    const started = performance.now();
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", TOOLS, "--json"], { timeoutMs: 5_000 });
    expect(r.hung).toBe(false);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.exitedAt - started).toBeLessThan(5_000);
  });
});

describe("flockflow run: invalid workflow, inputs and usage exit 2", () => {
  it("prints the validation error naming the location", async () => {
    const r = await runCli(["run", `${FIXTURES}/invalid/edge-to-missing-node.json`, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: Invalid workflow .*edge-to-missing-node\.json:\n {2}edges\[0\]\.to: edge target 'ghost' is not a node\n$/);
  });

  it("reports invalid JSON with line and column", async () => {
    const r = await runCli(["run", `${FIXTURES}/invalid/invalid-json.json`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("line 4, column 17: invalid JSON: comma expected");
  });

  it("reports a missing workflow", async () => {
    const r = await runCli(["run", `${FIXTURES}/no-such-workflow`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: Workflow not found: ${FIXTURES}/no-such-workflow\n`);
  });

  it("rejects --inputs that is not JSON, naming the flag and the position", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--inputs", '{"n": ', "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: --inputs is not valid JSON: line 1, column 7: value expected\n");
  });

  it("rejects --inputs that is JSON but not an object", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--inputs", "[1, 2]"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --inputs must be a JSON object; got an array\n");
  });

  it("reads --inputs-file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flockflow-cli-inputs-"));
    const file = path.join(dir, "inputs.json");
    writeFileSync(file, '{\n  "n": 4\n}\n');
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", TOOLS, "--inputs-file", file, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outputs).toEqual({ echoed: { tag: "cli", value: 8 } });
  });

  it("exits 2 on an unknown option, not commander's 1", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: unknown option '--bogus'");
  });

  it("exits 2 when the workflow argument is missing", async () => {
    const r = await runCli(["run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: missing required argument 'workflow'");
  });

  it.each([
    ["--timeout", "abc", "--timeout must be a number"],
    ["--timeout", "0", "--timeout must be a positive number of seconds"],
    ["--node-timeout", "-1", "--node-timeout must be a number of seconds >= 0"],
    ["--max-parallel", "1.5", "--max-parallel must be an integer >= 1"],
    ["--max-parallel", "0", "--max-parallel must be an integer >= 1"],
  ])("rejects %s %s naming the flag", async (flag, value, message) => {
    const r = await runCli(["run", `${FIXTURES}/ok`, flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("rejects an unknown --history mode", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--history", "all"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are full, summary");
  });

  it("exits 2 when a --tools module cannot be loaded", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--tools", `${FIXTURES}/missing-tools.mjs`, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: Tools module .*missing-tools\.mjs: cannot be imported/);
  });

  it("exits 2 when --config names a missing file", async () => {
    const r = await runCli(["run", `${FIXTURES}/ok`, "--config", `${FIXTURES}/missing-config.json`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --config: file not found: .*missing-config\.json\n$/);
  });
});
