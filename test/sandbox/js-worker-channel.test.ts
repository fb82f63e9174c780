/**
 * The shared-memory transport between the host and a JavaScript worker (src/sandbox/js/
 * shared-channel.js): payloads that fit the shared regions, payloads that take the port instead,
 * the order of host calls and results, and the spin slots of a pool.
 */
import { afterAll, describe, expect, it } from "vitest";
import { JsWorkerPool } from "../../src/sandbox/js/js-worker-pool.js";
import type { HostCall } from "../../src/sandbox/protocol.js";

const pool = new JsWorkerPool({ maxWorkers: 2 });
afterAll(() => pool.close());

const noCalls = () => Promise.reject(new Error("unused"));
const run = (code: string, inputs: Record<string, unknown> = {}, hostCalls: (call: HostCall, signal: AbortSignal) => Promise<unknown> = noCalls, nodeId = "n") =>
  pool.run({ nodeId, code, inputs, signal: new AbortController().signal, hostCalls });

describe("javascript worker channel", () => {
  it("carries non-ASCII text both ways", async () => {
    const text = "é ü 中文 🚀 \u0000 end";
    const result = await run("console.log(inputs.t); outputs.t = inputs.t + '!'; outputs.n = inputs.t.length", { t: text });
    expect(result).toEqual({ outputs: { t: `${text}!`, n: text.length }, stdout: `${text}\n` });
  });

  it("falls back to the port for inputs, outputs and stdout larger than the shared regions", async () => {
    const big = "x".repeat(200_000) + "é";
    const result = await run("outputs.len = inputs.big.length; outputs.copy = inputs.big; console.log(inputs.big.slice(0, 3))", { big });
    expect(result.outputs).toEqual({ len: big.length, copy: big });
    expect(result.stdout).toBe("xxx\n");
    const noisy = await run("for (let i = 0; i < 20000; i++) console.log('line ' + i); outputs.ok = true");
    expect(noisy.outputs).toEqual({ ok: true });
    expect(noisy.stdout.split("\n")).toHaveLength(20001);
    // And the next small job goes through the shared region again.
    expect((await run("outputs.i = inputs.i + 1", { i: 1 })).outputs).toEqual({ i: 2 });
  });

  it("a large error message and traceback still fail the job with a CodeError", async () => {
    await expect(run("throw new Error('e'.repeat(100000))", {}, noCalls, "big-error")).rejects.toMatchObject({
      name: "CodeError",
      errorType: "Error",
      message: "e".repeat(100000),
    });
  });

  it("names the node in tracebacks when several nodes share the same code (one compiled function)", async () => {
    const code = "const a = 1;\nnull.prop;";
    const first = run(code, {}, noCalls, "first").catch((error: unknown) => error);
    const second = run(code, {}, noCalls, "second").catch((error: unknown) => error);
    const [a, b] = (await Promise.all([first, second])) as Array<{ traceback: string }>;
    expect(a.traceback).toMatch(/<first>:2:\d+/);
    expect(a.traceback).not.toMatch(/<code>|<second>/);
    expect(b.traceback).toMatch(/<second>:2:\d+/);
  });

  it("serves every host call a job made, fire-and-forget ones included, before its result settles it", async () => {
    const served: string[] = [];
    const hostCalls = async (call: HostCall) => {
      served.push(call.kind === "llm" ? call.prompt : call.name);
      return { ok: true };
    };
    const result = await run("tool.runAsync('a'); tool.run('b'); tool.runAsync('c'); outputs.done = true", {}, hostCalls);
    expect(result.outputs).toEqual({ done: true });
    expect(served).toEqual(["a", "b", "c"]);
  });

  it("an abort right after dispatch terminates the worker and rejects with exactly the reason", async () => {
    const local = new JsWorkerPool({ maxWorkers: 1 });
    try {
      await local.run({ nodeId: "warm", code: "outputs.x = 1", inputs: {}, signal: new AbortController().signal, hostCalls: noCalls });
      const controller = new AbortController();
      const reason = new Error("stop now");
      const running = local.run({ nodeId: "n", code: "while (true) {}", inputs: {}, signal: controller.signal, hostCalls: noCalls });
      await Promise.resolve();
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      expect(local.size).toBe(0);
      const after = await local.run({ nodeId: "again", code: "outputs.y = 2", inputs: {}, signal: new AbortController().signal, hostCalls: noCalls });
      expect(after.outputs).toEqual({ y: 2 });
    } finally {
      await local.close();
    }
  });

  it("a chain of many jobs gives the same results with spinning and polling on or off", async () => {
    for (const [idleSpinMs, resultPollMs] of [[0, 0], [0.2, 0.1], [5, 5]]) {
      const local = new JsWorkerPool({ maxWorkers: 2, idleSpinMs, resultPollMs });
      try {
        let i = 0;
        for (let k = 0; k < 300; k++) {
          const result = await local.run({ nodeId: `n${k}`, code: "outputs.i = (inputs.i ?? 0) + 1", inputs: { i }, signal: new AbortController().signal, hostCalls: noCalls });
          i = result.outputs.i as number;
        }
        expect(i).toBe(300);
      } finally {
        await local.close();
      }
    }
  });
});
