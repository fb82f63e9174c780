/**
 * The host ↔ Python worker protocol (runner.py's header): node code sent once per worker and named
 * by id after that, within a bounded table; frames bounded in size both ways; the host's line
 * splitter. Runs real worker processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CodeError, WorkerCrashError } from "../../src/errors.js";
import { FrameLines } from "../../src/sandbox/python/frame-lines.js";
import { CODE_TABLE_LIMIT, PythonWorker, type PythonJob } from "../../src/sandbox/python/python-worker.js";
import { pythonEnvironment } from "../../src/sandbox/python/python-pool.js";
import { hasPython } from "../fixtures/python/python-support.js";

describe("FrameLines", () => {
  const collect = (max: number) => {
    const lines: string[] = [];
    let oversize = 0;
    const splitter = new FrameLines(max, (line) => lines.push(line), () => oversize++);
    return { lines, splitter, oversize: () => oversize };
  };

  it("joins a line split across chunks, even inside a multi-byte character", () => {
    const { lines, splitter } = collect(1024);
    const bytes = Buffer.from('{"a":"报告"}\n{"b":1}\n{"c"', "utf8");
    const cut = bytes.indexOf(Buffer.from("报", "utf8")) + 1; // inside the first character's 3 bytes
    splitter.push(bytes.subarray(0, cut));
    splitter.push(bytes.subarray(cut));
    splitter.push(Buffer.from(":2}\n", "utf8"));
    expect(lines).toEqual(['{"a":"报告"}', '{"b":1}', '{"c":2}']);
  });

  it("stops at the bound while a line is still arriving, once", () => {
    const { lines, splitter, oversize } = collect(10);
    splitter.push(Buffer.from("12345\n123456"));
    splitter.push(Buffer.from("78901"));
    splitter.push(Buffer.from("more\nlater\n"));
    expect(lines).toEqual(["12345"]);
    expect(oversize()).toBe(1);
  });
});

describe.skipIf(!hasPython)("the Python worker protocol", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-py-protocol-"));
  const workers: PythonWorker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (maxFrameBytes?: number): PythonWorker => {
    const worker = new PythonWorker({ executable: "python3", env: pythonEnvironment(process.env, dir, dir), cwd: dir, maxFrameBytes });
    workers.push(worker);
    return worker;
  };
  const job = (nodeId: string, code: string, inputs: Record<string, unknown> = {}): PythonJob => ({
    nodeId,
    code,
    inputs,
    requirements: [],
    signal: new AbortController().signal,
    hostCalls: () => Promise.reject(new Error("no host calls here")),
  });
  /** The number of codes the worker holds (runner.py runs as __main__). */
  const held = "import sys\noutputs['held'] = len(sys.modules['__main__']._codes)";

  it("sends each code once; the same code under another node id keeps that node's line numbers", async () => {
    const worker = start();
    const code = "x = inputs['n'] * 2\nif x > 10:\n    raise ValueError('too big')\noutputs['x'] = x";
    await expect(worker.run(job("a", code, { n: 1 }))).resolves.toMatchObject({ outputs: { x: 2 } });
    await expect(worker.run(job("a", code, { n: 4 }))).resolves.toMatchObject({ outputs: { x: 8 } });
    const failure = await worker.run(job("b", code, { n: 6 })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CodeError);
    expect((failure as CodeError).message).toContain("too big");
    expect((failure as CodeError).traceback).toContain("line 3");
    // "a" and "b" are two entries (each compiled with its own node id), plus this node's own.
    await expect(worker.run(job("c", held))).resolves.toMatchObject({ outputs: { held: 3 } });
  });

  it("reports a syntax error on every run of the same code, not only the first", async () => {
    const worker = start();
    for (let i = 0; i < 2; i++) {
      const failure = await worker.run(job("bad", "x = 1\ny = (\n")).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CodeError);
      expect((failure as CodeError).message).toMatch(/^Syntax error in code at line 2: /);
    }
  });

  it(`holds at most ${CODE_TABLE_LIMIT} codes: past the bound both sides forget, and every job still runs its own code`, async () => {
    const worker = start();
    const distinct = CODE_TABLE_LIMIT + 20;
    for (let i = 0; i < distinct; i++) {
      await expect(worker.run(job("n", `outputs['i'] = ${i}`))).resolves.toMatchObject({ outputs: { i } });
    }
    // The first codes were forgotten; the host sends them again and each still runs its own text.
    for (const i of [0, 1, distinct - 1]) {
      await expect(worker.run(job("n", `outputs['i'] = ${i}`))).resolves.toMatchObject({ outputs: { i } });
    }
    const { outputs } = await worker.run(job("n", held));
    expect(outputs.held).toBeGreaterThan(0);
    expect(outputs.held).toBeLessThanOrEqual(CODE_TABLE_LIMIT);
  });

  it("refuses inputs larger than the frame bound before sending, and the worker goes on", async () => {
    const worker = start(4096);
    const code = "outputs['size'] = len(inputs['s'])";
    const failure = await worker.run(job("big", code, { s: "报".repeat(2000) })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerCrashError);
    expect((failure as Error).message).toBe("the inputs of node 'big' are larger than 4096 bytes");
    // The code did not reach the worker, so the next job must carry its text again.
    await expect(worker.run(job("big", code, { s: "ok" }))).resolves.toMatchObject({ outputs: { size: 2 } });
  });

  it("stops a worker whose frame is larger than the bound, and the job fails saying so", async () => {
    const worker = start(4096);
    const failure = await worker.run(job("huge", "outputs['s'] = 'x' * 10000")).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerCrashError);
    expect((failure as Error).message).toBe("a message from the Python worker is larger than 4096 bytes");
    expect(worker.exited).toBe(true);
  });
});
