/**
 * SIGINT / SIGTERM while a 30 s tool call runs: the run is cancelled, its result printed and the
 * process exits 130 within a second of the signal (SPEC §7). The `sleep` fixture writes
 * `started_file` when its node starts, so the signal is sent only once the node is running.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, TOOLS, spawnCli, waitForFile } from "./support/spawn-cli.js";

function startedFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), "flockflow-cli-signal-")), "started");
}

describe.each(["SIGINT", "SIGTERM"] as const)("%s during run", (signal) => {
  it("--json: exits 130 within 1 s with status cancelled and the sleeping step cancelled", async () => {
    const marker = startedFile();
    const proc = spawnCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS, "--inputs", JSON.stringify({ started_file: marker }), "--json"]);
    await waitForFile(marker);
    const sentAt = performance.now();
    proc.child.kill(signal);
    const r = await proc.done;
    const elapsedMs = r.exitedAt - sentAt;
    console.info(`${signal} --json: exit ${elapsedMs.toFixed(0)} ms after the signal`);
    expect(r.code).toBe(130);
    expect(r.signal).toBeNull();
    expect(elapsedMs).toBeLessThan(1_000);
    expect(r.stderr).toBe("");
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("cancelled");
    expect(result.steps).toBe(1);
    expect(result.error).toMatch(/^RunCancelledError: /);
    expect(result.history).toEqual([expect.objectContaining({ nodeId: "nap", status: "cancelled", errorType: "RunCancelledError" })]);
    expect(result.history[0].durationMs).toBeLessThan(10_000);
  });

  it("progress mode: waits for the node's ▶ line, then reports the cancel and exits 130 within 1 s", async () => {
    const proc = spawnCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS]);
    await proc.waitForStderr("▶ nap (tool)\n");
    const sentAt = performance.now();
    proc.child.kill(signal);
    const r = await proc.done;
    const elapsedMs = r.exitedAt - sentAt;
    console.info(`${signal} progress: exit ${elapsedMs.toFixed(0)} ms after the signal`);
    expect(r.code).toBe(130);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(r.stderr).toContain(`${signal}: cancelling the run…\n`);
    expect(r.stderr).toMatch(/^✗ nap cancelled \d+ ms: Run cancelled: /m);
    expect(r.stderr).toMatch(/^run [0-9a-f]{32} cancelled: 1 step in \d+ ms$/m);
    expect(JSON.parse(r.stdout)).toEqual({});
  });
});

describe("a tool that ignores its abort signal", () => {
  it("is abandoned: the run still ends cancelled and the bin exits 130 after its grace period, saying why", async () => {
    const marker = startedFile();
    const proc = spawnCli(["run", `${FIXTURES}/stubborn`, "--tools", TOOLS, "--inputs", JSON.stringify({ started_file: marker }), "--json"]);
    await waitForFile(marker);
    const sentAt = performance.now();
    proc.child.kill("SIGINT");
    const r = await proc.done;
    const elapsedMs = r.exitedAt - sentAt;
    console.info(`SIGINT with a stubborn tool: exit ${elapsedMs.toFixed(0)} ms after the signal`);
    expect(r.code).toBe(130);
    expect(elapsedMs).toBeGreaterThanOrEqual(500);
    expect(elapsedMs).toBeLessThan(2_000);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "cancelled", history: [{ nodeId: "nap", status: "cancelled" }] });
    expect(r.stderr).toBe("warning: work left behind by a tools module kept flockflow running 500 ms after the run ended; exiting\n");
  });
});

describe("a second signal", () => {
  it("still ends the process with 130 at once", async () => {
    const marker = startedFile();
    const proc = spawnCli(["run", `${FIXTURES}/sleep`, "--tools", TOOLS, "--inputs", JSON.stringify({ started_file: marker }), "--json"]);
    await waitForFile(marker);
    const sentAt = performance.now();
    proc.child.kill("SIGINT");
    proc.child.kill("SIGINT");
    const r = await proc.done;
    expect(r.code).toBe(130);
    expect(r.exitedAt - sentAt).toBeLessThan(1_000);
  });
});
