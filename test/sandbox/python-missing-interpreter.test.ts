import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";

describe("a Python interpreter that cannot be started", () => {
  it("fails the node naming the interpreter and the config key, every time, and close() still resolves", async () => {
    const runtime = createRuntime({ pythonExecutable: "/nonexistent/python3", workspaceDir: path.join(os.tmpdir(), "ff-missing-python-ws") });
    const workflow = { start: "p", nodes: [{ id: "p", type: "python", code: "outputs['x'] = 1" }], edges: [] };
    const expected = "p: WorkerCrashError: Python not found: '/nonexistent/python3' is not on PATH; install python3 (>= 3.9) or set config python.executable";
    const first = await runtime.run(workflow);
    const second = await runtime.run(workflow);
    expect([first.status, first.error]).toEqual(["failed", expected]);
    expect([second.status, second.error]).toEqual(["failed", expected]);
    const t0 = performance.now();
    await runtime.close();
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
