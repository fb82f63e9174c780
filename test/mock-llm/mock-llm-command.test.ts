/**
 * `flockflow mock-llm` as users run it: the built CLI in a child process (`npm run build` first),
 * talking to it over loopback, then stopping it with a signal.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliProcess } from "../cli/support/spawn-cli.js";

const LISTENING = /^mock-llm listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)\n$/;

/** The base URL from the listening line, once it has been printed. */
function listeningUrl(proc: CliProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    proc.child.stdout!.on("data", (chunk: string) => {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match) resolve(match[1]!);
    });
    proc.done.then((r) => reject(new Error(`mock-llm exited ${r.code} before listening: ${r.stderr}`)), reject);
  });
}

describe.each(["SIGINT", "SIGTERM"] as const)("mock-llm --port 0, stopped by %s", (signal) => {
  it("prints the listening line, serves the API, then exits 0 with nothing on stderr", async () => {
    const proc = spawnCli(["mock-llm", "--port", "0"]);
    const url = await listeningUrl(proc);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
    const models = await request(`${url}/models`);
    expect(await models.body.json()).toEqual({ object: "list", data: [{ id: "mock-model", object: "model", owned_by: "flockflow-mock" }] });
    const chat = await request(`${url}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hi" }] }) });
    expect(await chat.body.json()).toMatchObject({ choices: [{ message: { content: "mock reply from mock-model: hi" } }] });
    const sentAt = performance.now();
    proc.child.kill(signal);
    const r = await proc.done;
    expect(r.code).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.exitedAt - sentAt).toBeLessThan(1_000);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(LISTENING);
  });
});

describe("mock-llm options", () => {
  it("--models, --api-key and --rules shape what it serves; a stalled request does not hold up the exit", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flockflow-mock-llm-"));
    const rulesFile = path.join(dir, "rules.json");
    writeFileSync(rulesFile, JSON.stringify([{ match: { model: "b" }, behavior: { reply: "from the rules file" } }, { match: { model: "stall" }, behavior: { stallAfterHeaders: true } }]));
    const proc = spawnCli(["mock-llm", "--port", "0", "--models", "a, b", "--api-key", "sk-local", "--rules", rulesFile]);
    const url = await listeningUrl(proc);
    const auth = { authorization: "Bearer sk-local" };
    expect((await request(`${url}/models`)).statusCode).toBe(401);
    const models = (await (await request(`${url}/models`, { headers: auth })).body.json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(["a", "b"]);
    const chat = await request(`${url}/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "b", messages: [] }) });
    expect(await chat.body.json()).toMatchObject({ choices: [{ message: { content: "from the rules file" } }] });
    const stalled = await request(`${url}/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "stall", messages: [], stream: true }) });
    expect(stalled.statusCode).toBe(200);
    const stalledBody = stalled.body.text().catch((error: { code?: string }) => error.code);
    proc.child.kill("SIGINT");
    const r = await proc.done;
    expect(await stalledBody).toBe("UND_ERR_SOCKET");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });

  it("--help lists the options", async () => {
    const r = await runCli(["mock-llm", "--help"]);
    expect(r.code).toBe(0);
    for (const option of ["--host <host>", "--port <n>", "--models <names>", "--rules <file>", "--api-key <key>"]) expect(r.stdout).toContain(option);
  });

  it.each([
    [["--port", "70000"], "--port must be an integer from 0 to 65535."],
    [["--models", " , "], "--models must name at least one model."],
    [["--rules", "/nonexistent/rules.json"], "error: --rules: cannot read /nonexistent/rules.json: "],
  ])("exits 2 on a bad option: %j", async (args, message) => {
    const r = await runCli(["mock-llm", "--port", "0", ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });

  it("exits 2 naming the bad field of a rules file", async () => {
    const rulesFile = path.join(mkdtempSync(path.join(os.tmpdir(), "flockflow-mock-llm-")), "rules.json");
    writeFileSync(rulesFile, JSON.stringify([{ behavior: { failFirst: -1 } }]));
    const r = await runCli(["mock-llm", "--port", "0", "--rules", rulesFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${rulesFile}[0].behavior.failFirst must be an integer >= 0\n`);
  });
});
