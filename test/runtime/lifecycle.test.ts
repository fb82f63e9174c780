import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "test/fixtures/lifecycle/run-and-close.mjs");

function runChild(mode: string): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [script, mode], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child did not exit by itself within 10 s; stdout=${stdout} stderr=${stderr}`));
    }, 10_000);
    child.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - t0 });
    });
  });
}

describe.skipIf(!existsSync(path.join(root, "dist/index.js")))("runtime lifecycle (needs `npm run build`)", () => {
  it("after runtime.close() the process exits by itself, and a normal run writes nothing to stderr", async () => {
    const { code, stdout, stderr } = await runChild("normal");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ status: "succeeded", outputs: { path: "/x/1" }, steps: [["a", "succeeded"], ["b", "succeeded"], ["c", "succeeded"], ["d", "succeeded"]] });
  });

  it("close() during a run cancels it, waits for its work to stop, and the process still exits by itself", async () => {
    const { code, stdout, stderr, elapsedMs } = await runChild("close-mid-run");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(elapsedMs).toBeLessThan(5000);
    expect(JSON.parse(stdout)).toMatchObject({ status: "cancelled", steps: [["a", "succeeded"], ["b", "succeeded"], ["c", "cancelled"]] });
  });
});
