/**
 * The lifecycle of Python worker processes (issue 4 item 2, SPEC §1.6 and §4): a node deadline or
 * a cancel kills the worker's whole process group (a subprocess the node started goes too), the
 * pool replaces the worker, and no python process outlives `runtime.close()` or its host process.
 * Processes are checked by pid: the nodes report `os.getpid()` and the pids of what they start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/index.js";
import { runNode, type NodeRun } from "../support/run-node.js";
import { edge, workflow } from "../support/workflows.js";
import { hasPython, lines, pidState, py, waitUntilGone, waitUntilNotRunning } from "../fixtures/python/python-support.js";

const tempDirs: string[] = [];
const runtimes: Runtime[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-py-life-"));
  tempDirs.push(dir);
  return dir;
}

function newRuntime(maxWorkers: number): Runtime {
  const dir = tempDir();
  const runtime = createRuntime({ config: { python: { max_workers: maxWorkers } }, workspaceDir: path.join(dir, "ws"), dataDir: path.join(dir, "data") });
  runtimes.push(runtime);
  return runtime;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
});
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A node that starts `sleep 30`, writes its own pid and the sleep's pid into `dir`, then runs `body`. */
const startsSleepThen = (id: string, body: string, extra: Record<string, unknown> = {}) =>
  py(
    id,
    lines(
      "import os, subprocess",
      "child = subprocess.Popen(['sleep', '30'])",
      "open(os.path.join(inputs['dir'], 'child.tmp'), 'w').write(str(child.pid))",
      "open(os.path.join(inputs['dir'], 'worker.tmp'), 'w').write(str(os.getpid()))",
      "os.rename(os.path.join(inputs['dir'], 'child.tmp'), os.path.join(inputs['dir'], 'child'))",
      "os.rename(os.path.join(inputs['dir'], 'worker.tmp'), os.path.join(inputs['dir'], 'worker'))",
      body,
    ),
    extra,
  );

const readPid = (file: string): number => Number(readFileSync(file, "utf8"));

async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!existsSync(file)) {
    if (performance.now() > end) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.skipIf(!hasPython)("python node deadlines and cancels kill the worker's process group", () => {
  it("acceptance: `while True: pass` with timeout_s 1 is killed within 1.5 s, the step is timed_out, and neither the worker nor its subprocess is left", async () => {
    const runtime = newRuntime(1);
    const dir = tempDir();
    const wf = workflow(
      "first",
      [
        py("first", "import os\noutputs['pid'] = os.getpid()\noutputs['dir'] = inputs['dir']"),
        startsSleepThen("spin", "while True: pass", { timeout_s: 1 }),
        py("next", "import os\noutputs['pid'] = os.getpid()"),
      ],
      [edge("first", "spin"), edge("spin", "next")],
    );
    const result = await runtime.run(wf, { inputs: { dir } });
    const [first, spin, next] = result.history;
    console.info(`python spin node killed after ${spin!.durationMs.toFixed(0)} ms`);
    expect(result.status).toBe("succeeded");
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["first", "succeeded"], ["spin", "timed_out"], ["next", "succeeded"]]);
    expect(spin!.errorType).toBe("TimeoutError");
    expect(spin!.error).toBe("Node 'spin' timed out after 1.0s");
    expect(spin!.outputs).toEqual({});
    expect(spin!.durationMs).toBeGreaterThanOrEqual(950);
    expect(spin!.durationMs).toBeLessThan(1_500);

    // One worker (max_workers 1): the spin node ran in the process that ran `first`.
    const workerPid = (first!.outputs as { pid: number }).pid;
    expect(readPid(path.join(dir, "worker"))).toBe(workerPid);
    expect(await waitUntilGone(workerPid, 500)).toBe("gone");
    // The subprocess went with the process group (it would sleep 30 s otherwise).
    const childPid = readPid(path.join(dir, "child"));
    expect(childPid).not.toBe(workerPid);
    expect(await waitUntilNotRunning(childPid, 500)).not.toBe("running");

    // The pool replaced the worker: `next` ran in a new process.
    expect(next!.nodeId).toBe("next");
    const nextPid = (result.outputs as { pid: number }).pid;
    expect(nextPid).not.toBe(workerPid);
    expect(pidState(nextPid)).toBe("running");
  });

  it("a cancel kills the worker and the subprocess it started, and the run settles cancelled within 300 ms of the cancel", async () => {
    const runtime = newRuntime(1);
    const dir = tempDir();
    const controller = new AbortController();
    const running = runtime.run(workflow("nap", [startsSleepThen("nap", "import time\nwhile True: time.sleep(0.01)")]), { inputs: { dir }, signal: controller.signal });
    await waitForFile(path.join(dir, "worker"));
    const workerPid = readPid(path.join(dir, "worker"));
    const childPid = readPid(path.join(dir, "child"));
    expect(pidState(workerPid)).toBe("running");
    expect(pidState(childPid)).toBe("running");
    const cancelledAt = performance.now();
    controller.abort();
    const result = await running;
    const settleMs = performance.now() - cancelledAt;
    console.info(`cancelled python node settled ${settleMs.toFixed(0)} ms after the cancel`);
    expect(settleMs).toBeLessThan(300);
    expect(result.status).toBe("cancelled");
    expect(result.outputs).toEqual({});
    expect(result.history.map((s) => [s.nodeId, s.status, s.errorType])).toEqual([["nap", "cancelled", "RunCancelledError"]]);
    // The step settles only after the worker has exited (SPEC §1.6): no wait needed for it.
    expect(pidState(workerPid)).toBe("gone");
    expect(await waitUntilNotRunning(childPid, 500)).not.toBe("running");
  });

  it("a node that fails normally keeps its worker: the next node runs in the same process", async () => {
    const runtime = newRuntime(1);
    const wf = workflow("a", [py("a", "import os\noutputs['pid'] = os.getpid()")]);
    const first = await runtime.run(wf);
    const failed = await runtime.run(workflow("b", [py("b", "raise ValueError('nope')")]));
    const again = await runtime.run(wf);
    expect(failed.error).toBe("b: ValueError: Runtime error (ValueError): nope");
    expect(again.outputs).toEqual(first.outputs);
  });
});

describe.skipIf(!hasPython)("runtime.close() and the host process", () => {
  it("after close() no worker of the pool remains (two parallel nodes on two workers, both pids gone)", async () => {
    const runtime = newRuntime(2);
    const pidNode = (id: string) => py(id, "import os, time\ntime.sleep(0.2)\noutputs['pid'] = os.getpid()");
    const wf = workflow("root", [py("root", "outputs['go'] = True"), pidNode("a"), pidNode("b")], [edge("root", "a"), edge("root", "b", { order: 1 })]);
    const result = await runtime.run(wf, { maxParallel: 2 });
    expect(result.history.map((s) => [s.nodeId, s.status])).toEqual([["root", "succeeded"], ["a", "succeeded"], ["b", "succeeded"]]);
    const pids = result.history.slice(1).map((s) => (s.outputs as { pid: number }).pid);
    expect(new Set(pids).size).toBe(2);
    expect(pids.map(pidState)).toEqual(["running", "running"]);
    await runtime.close();
    expect(pids.map(pidState)).toEqual(["gone", "gone"]);
  });

  function runScript(mode: string): Promise<NodeRun> {
    const dir = tempDir();
    return runNode(["test/fixtures/python/run-and-close.mjs", mode, path.join(dir, "ws"), path.join(dir, "data")]);
  }

  // BUG (src/sandbox/python/python-worker.ts terminate(), line ~152): an idle worker is unref'd,
  // and terminate() awaits its 'close' event without ref'ing it again, so `await runtime.close()`
  // leaves nothing to keep the event loop alive: the process exits with code 13 (unsettled
  // top-level await) and the code after close() never runs. The same makes `flockflow run` of any
  // workflow with a Python node exit 13 (see test/cli/python-cli.test.ts).
  it("a script that runs Python nodes from dist/ and closes the runtime exits 0 by itself with empty stderr, leaving no worker", async () => {
    const r = await runScript("normal");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("succeeded");
    expect(out.stdout).toBe("hello from a\n");
    expect(out.outputs.pids).toEqual([out.firstPid, out.firstPid]);
    expect(await waitUntilNotRunning(out.firstPid, 500)).not.toBe("running");
  });

  it("close() while a Python node spins: the run ends cancelled, the script exits 0 with empty stderr, no worker left", async () => {
    const r = await runScript("close-mid-run");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: "cancelled", outputs: {}, steps: [["a", "succeeded"], ["b", "cancelled"]] });
    expect(pidState(out.firstPid)).not.toBe("running");
  });

  it("without close(), idle workers do not keep the host alive, and they exit once the host is gone", async () => {
    const r = await runScript("no-close");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("succeeded");
    // The orphaned worker sees stdin close and exits (then it is PID 1's to reap).
    expect(await waitUntilNotRunning(out.firstPid, 2_000)).not.toBe("running");
  });
});
