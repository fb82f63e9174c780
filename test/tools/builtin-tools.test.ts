/**
 * The built-in `write` and `read` tools (issue 4 item 6): what they do in the workspace, what they
 * refuse (`..`, absolute paths elsewhere, symbolic links that lead out), config
 * `tools.allowed_dirs`, and a user tool of the same name replacing a built-in.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createRuntime, type Runtime } from "../../src/index.js";
import { builtinTools } from "../../src/tools/builtin/index.js";
import { ToolRegistry } from "../../src/tools/tool-registry.js";
import { SYNC_WRITE_BYTES } from "../../src/tools/builtin/write-tool.js";
import { js, workflow } from "../support/workflows.js";

const tempDirs: string[] = [];
const runtimes: Runtime[] = [];

function tempDir(prefix = "ff-builtin-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
});
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const ctx = () => ({ signal: new AbortController().signal, runId: "r", nodeId: "n" });

/** A registry with only the built-ins, over a fresh workspace (and `outside`, a folder next to it). */
function setup(allowedDirs: string[] = []) {
  const root = tempDir();
  const workspace = path.join(root, "workspace");
  const outside = path.join(root, "outside");
  mkdirSync(workspace);
  mkdirSync(outside);
  const registry = new ToolRegistry();
  registry.registerAll(builtinTools({ workspaceDir: workspace, allowedDirs, homeDir: path.join(root, "home") }));
  const write = (args: Record<string, unknown>) => registry.run("write", args, ctx());
  const read = (args: Record<string, unknown>) => registry.run("read", args, ctx());
  return { root, workspace, outside, registry, write, read };
}

describe("write and read in the workspace", () => {
  it("round-trips text through a relative path and reports the absolute path and UTF-8 bytes", async () => {
    const { workspace, write, read } = setup();
    const content = "# 报告\nverdict: attack_success\n";
    const written = await write({ filePath: "report.md", content });
    expect(written).toEqual({ path: path.join(workspace, "report.md"), bytes: Buffer.byteLength(content) });
    expect(Buffer.byteLength(content)).toBeGreaterThan(content.length);
    expect(readFileSync(path.join(workspace, "report.md"), "utf8")).toBe(content);
    expect(await read({ filePath: "report.md" })).toBe(content);
    expect(await read({ filePath: path.join(workspace, "report.md") })).toBe(content);
  });

  it("creates missing folders, and replaces an existing file", async () => {
    const { workspace, write, read } = setup();
    await write({ filePath: "outputs/2026-05-18/artifacts/final_report.md", content: "first" });
    const second = await write({ filePath: path.join(workspace, "outputs/2026-05-18/artifacts/final_report.md"), content: "second" });
    expect(second).toEqual({ path: path.join(workspace, "outputs/2026-05-18/artifacts/final_report.md"), bytes: 6 });
    expect(await read({ filePath: "outputs/2026-05-18/artifacts/final_report.md" })).toBe("second");
  });

  it("replaces a longer file with shorter content exactly, small (in place) or large (thread pool)", async () => {
    const { workspace, write } = setup();
    const file = path.join(workspace, "r.md");
    await write({ filePath: "r.md", content: "报告".repeat(100) });
    expect(await write({ filePath: "r.md", content: "short" })).toEqual({ path: file, bytes: 5 });
    expect(readFileSync(file, "utf8")).toBe("short");
    const large = `${"x".repeat(SYNC_WRITE_BYTES)}tail`;
    expect(await write({ filePath: "r.md", content: large })).toEqual({ path: file, bytes: SYNC_WRITE_BYTES + 4 });
    expect(readFileSync(file, "utf8")).toBe(large);
    await write({ filePath: "r.md", content: "again" });
    expect(readFileSync(file, "utf8")).toBe("again");
  });

  it("writes objects and lists as indented JSON, as Flocks does", async () => {
    const { write, read } = setup();
    await write({ filePath: "data.json", content: { verdict: "benign", tags: ["a"] } });
    expect(await read({ filePath: "data.json" })).toBe('{\n  "verdict": "benign",\n  "tags": [\n    "a"\n  ]\n}');
  });

  it("reads `limit` lines from line `offset` (0-based)", async () => {
    const { write, read } = setup();
    await write({ filePath: "lines.txt", content: "l0\nl1\nl2\nl3\nl4" });
    expect(await read({ filePath: "lines.txt", offset: 1, limit: 2 })).toBe("l1\nl2");
    expect(await read({ filePath: "lines.txt", offset: 3 })).toBe("l3\nl4");
    expect(await read({ filePath: "lines.txt", limit: 1, offset: null })).toBe("l0");
    await expect(read({ filePath: "lines.txt", offset: -1 })).rejects.toThrow("Tool 'read' failed: Error: offset must be an integer >= 0; got -1");
  });

  it("reports a missing file by its absolute path", async () => {
    const { workspace, read } = setup();
    await expect(read({ filePath: "nope.md" })).rejects.toMatchObject({ name: "ToolError", message: `Tool 'read' failed: Error: File not found: ${path.join(workspace, "nope.md")}` });
  });

  it("refuses a call without a path or without content", async () => {
    const { write } = setup();
    await expect(write({ content: "x" })).rejects.toThrow("Tool 'write' failed: Error: filePath must be a non-empty string");
    await expect(write({ filePath: "x.md" })).rejects.toThrow("Tool 'write' failed: Error: content is required");
  });
});

describe("confinement to the workspace and the allowed folders", () => {
  it("refuses ../ out of the workspace, naming the path and the allowed roots; nothing is written", async () => {
    const { root, workspace, write, read } = setup();
    const escaped = path.join(root, "x.md");
    const message = `Tool 'write' failed: Error: path '../x.md' resolves to ${escaped}, outside the workspace and the allowed folders (allowed roots: ${workspace})`;
    await expect(write({ filePath: "../x.md", content: "x" })).rejects.toMatchObject({ name: "ToolError", code: "FF_TOOL_FAILED", message });
    await expect(write({ filePath: "sub/../../x.md", content: "x" })).rejects.toThrow(`resolves to ${escaped}, outside`);
    expect(existsSync(escaped)).toBe(false);
    writeFileSync(escaped, "secret");
    await expect(read({ filePath: "../x.md" })).rejects.toThrow(`Tool 'read' failed: Error: path '../x.md' resolves to ${escaped}, outside the workspace`);
  });

  it("refuses an absolute path elsewhere, and ~ outside the workspace", async () => {
    const { root, workspace, outside, write, read } = setup();
    const target = path.join(outside, "a.md");
    await expect(write({ filePath: target, content: "x" })).rejects.toThrow(`path '${target}' resolves to ${target}, outside the workspace and the allowed folders (allowed roots: ${workspace})`);
    expect(existsSync(target)).toBe(false);
    await expect(read({ filePath: "/etc/hostname" })).rejects.toThrow("path '/etc/hostname' resolves to /etc/hostname, outside");
    await expect(write({ filePath: "~/notes.md", content: "x" })).rejects.toThrow(`resolves to ${path.join(root, "home", "notes.md")}, outside`);
  });

  it("refuses a symbolic link in the workspace that leads out: a linked folder, a linked file, a dangling link", async () => {
    const { workspace, outside, write, read } = setup();
    symlinkSync(outside, path.join(workspace, "linked-dir"));
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    symlinkSync(path.join(outside, "secret.txt"), path.join(workspace, "linked-file.txt"));
    symlinkSync(path.join(outside, "not-yet.txt"), path.join(workspace, "dangling.txt"));

    await expect(write({ filePath: "linked-dir/new/x.md", content: "x" })).rejects.toThrow(
      `path 'linked-dir/new/x.md' leads through a symbolic link to ${path.join(outside, "new", "x.md")}, outside the workspace and the allowed folders (allowed roots: ${workspace})`,
    );
    await expect(write({ filePath: "linked-file.txt", content: "overwritten" })).rejects.toThrow("leads through a symbolic link");
    await expect(read({ filePath: "linked-file.txt" })).rejects.toThrow(`leads through a symbolic link to ${path.join(outside, "secret.txt")}`);
    await expect(write({ filePath: "dangling.txt", content: "x" })).rejects.toThrow(`path 'dangling.txt' goes through a symbolic link that points to nothing: ${path.join(workspace, "dangling.txt")}`);

    expect(existsSync(path.join(outside, "new"))).toBe(false);
    expect(existsSync(path.join(outside, "not-yet.txt"))).toBe(false);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("secret");
  });

  it("follows a link that stays inside, and accepts a workspace that is itself reached through a link", async () => {
    const root = tempDir();
    const real = path.join(root, "real-ws");
    mkdirSync(path.join(real, "data"), { recursive: true });
    symlinkSync(real, path.join(root, "ws-link"));
    symlinkSync(path.join(real, "data"), path.join(real, "data-link"));
    const registry = new ToolRegistry();
    registry.registerAll(builtinTools({ workspaceDir: path.join(root, "ws-link"), allowedDirs: [] }));
    await expect(registry.run("write", { filePath: "data-link/a.md", content: "in" }, ctx())).resolves.toEqual({ path: path.join(root, "ws-link", "data-link", "a.md"), bytes: 2 });
    expect(readFileSync(path.join(real, "data", "a.md"), "utf8")).toBe("in");
  });

  it("allows the folders config tools.allowed_dirs lists, and lists them among the roots", async () => {
    const root = tempDir();
    const workspace = path.join(root, "ws");
    const extra = path.join(root, "extra");
    const runtime = createRuntime({ config: { tools: { allowed_dirs: [extra] } }, workspaceDir: workspace, env: {} });
    runtimes.push(runtime);
    const wf = workflow("w", [js("w", "outputs.r = tool.run('write', { filePath: inputs.p, content: 'hi' })")]);

    const ok = await runtime.run(wf, { inputs: { p: path.join(extra, "deep", "a.md") } });
    expect([ok.status, ok.outputs]).toEqual(["succeeded", { r: { path: path.join(extra, "deep", "a.md"), bytes: 2 } }]);
    expect(readFileSync(path.join(extra, "deep", "a.md"), "utf8")).toBe("hi");

    const refused = await runtime.run(wf, { inputs: { p: path.join(root, "elsewhere.md") } });
    expect(refused.status).toBe("failed");
    expect(refused.error).toBe(
      `w: ToolError: Tool 'write' failed: Error: path '${path.join(root, "elsewhere.md")}' resolves to ${path.join(root, "elsewhere.md")}, outside the workspace and the allowed folders (allowed roots: ${workspace}, ${extra})`,
    );
  });

  it("config files: tools.allowed_dirs must be a list of strings, and is relative to the config file", () => {
    const dir = tempDir();
    const file = path.join(dir, "flockflow.json");
    writeFileSync(file, JSON.stringify({ tools: { allowed_dirs: ["reports", "/abs/elsewhere"] } }));
    expect(loadConfig({ explicitPath: file, env: {} }).config.tools?.allowed_dirs).toEqual([path.join(dir, "reports"), "/abs/elsewhere"]);
    writeFileSync(file, JSON.stringify({ tools: { allowed_dirs: "reports" } }));
    expect(() => loadConfig({ explicitPath: file, env: {} })).toThrow(expect.objectContaining({ name: "ConfigError", message: expect.stringContaining("tools.allowed_dirs") }));
  });
});

describe("the built-ins in a runtime", () => {
  it("are registered before user tools, so a user tool named write replaces the built-in", async () => {
    const workspace = path.join(tempDir(), "ws");
    const calls: unknown[] = [];
    const runtime = createRuntime({ workspaceDir: workspace, env: {}, tools: { write: (args) => (calls.push(args), "user write") } });
    runtimes.push(runtime);
    expect(runtime.tools.has("read")).toBe(true);
    const result = await runtime.run(workflow("w", [js("w", "outputs.r = tool.run('write', { filePath: 'a.md', content: 'x' })")]));
    expect(result.outputs).toEqual({ r: "user write" });
    expect(calls).toEqual([{ filePath: "a.md", content: "x" }]);
    expect(existsSync(path.join(workspace, "a.md"))).toBe(false);
  });

  it("serve a Python node's tool.run('write', filePath=..., content=...) and tool.run('read', ...), and refuse an escape there too", async () => {
    const root = tempDir();
    const workspace = path.join(root, "ws");
    const runtime = createRuntime({ workspaceDir: workspace, env: { PATH: process.env.PATH, HOME: path.join(root, "home") } });
    runtimes.push(runtime);
    const code = [
      "from flocks.workspace.manager import WorkspaceManager",
      "target = str(WorkspaceManager.get_instance().get_workspace_dir() / 'notes' / 'today.md')",
      "outputs['written'] = tool.run('write', filePath=target, content='héllo 世界')",
      "outputs['back'] = tool.run('read', filePath='notes/today.md')",
      "try:",
      "    tool.run('write', filePath='../escape.md', content='x')",
      "except Exception as exc:",
      "    outputs['refused'] = type(exc).__name__ + ': ' + str(exc)",
    ].join("\n");
    const result = await runtime.run(workflow("p", [{ id: "p", type: "python", code }]));
    expect(result.status).toBe("succeeded");
    expect(result.outputs).toEqual({
      written: { path: path.join(workspace, "notes", "today.md"), bytes: Buffer.byteLength("héllo 世界") },
      back: "héllo 世界",
      refused: `ToolError: Tool 'write' failed: Error: path '../escape.md' resolves to ${path.join(root, "escape.md")}, outside the workspace and the allowed folders (allowed roots: ${workspace})`,
    });
    expect(existsSync(path.join(root, "escape.md"))).toBe(false);
  });
});
