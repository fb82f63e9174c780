/**
 * Workflow folders (issue 5 item 2): `<root>/<id>/workflow.json` with optional meta.json and
 * workflow.md; ids checked against path traversal; atomic writes; first root wins and takes new
 * workflows; changes made on disk are picked up.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isValidWorkflowId, WorkflowFolders } from "../../src/server/index.js";
import { tempDir, writeWorkflow } from "./support/service.js";

const WF = { start: "a", nodes: [{ id: "a", type: "javascript", code: "outputs.x = 1;" }], edges: [] };

describe("workflow ids", () => {
  it.each(["ok", "a.b", "A-1_x", "x".repeat(128)])("accepts %s", (id) => expect(isValidWorkflowId(id)).toBe(true));
  it.each(["", "..", "../etc", "a/b", "a\\b", ".hidden", "-x", "a..b", "x".repeat(129), "a b", "a%2Fb"])("rejects %j", (id) =>
    expect(isValidWorkflowId(id)).toBe(false),
  );

  it("no path is built from an invalid id", () => {
    const root = tempDir();
    const folders = new WorkflowFolders([path.join(root, "wf")]);
    writeWorkflow(root, "outside", WF);
    expect(folders.read("../outside")).toBeUndefined();
    expect(() => folders.create("../outside2", WF)).toThrow(/invalid workflow id/);
    expect(existsSync(path.join(root, "outside2"))).toBe(false);
  });
});

describe("WorkflowFolders", () => {
  it("creates in the first root: workflow.json, meta.json, workflow.md; no temporary files left", () => {
    const root = tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const folders = new WorkflowFolders([a, b]);
    expect(folders.create("w1", { ...WF, name: "First" }, "# Title\n")).toBe(true);
    expect(folders.create("w1", WF)).toBe(false);
    expect(readdirSync(path.join(a, "w1")).sort()).toEqual(["meta.json", "workflow.json", "workflow.md"]);
    expect(JSON.parse(readFileSync(path.join(a, "w1", "workflow.json"), "utf8"))).toEqual({ ...WF, name: "First" });
    expect(JSON.parse(readFileSync(path.join(a, "w1", "meta.json"), "utf8"))).toMatchObject({ id: "w1", name: "First" });
    expect(folders.readMarkdown("w1")).toBe("# Title\n");
    expect(folders.summary("w1")).toMatchObject({ id: "w1", name: "First", readable: true });
  });

  it("the first root wins; update writes where the workflow lives; delete removes it from every root", () => {
    const root = tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    writeWorkflow(a, "both", { ...WF, name: "from a" });
    writeWorkflow(b, "both", { ...WF, name: "from b" });
    writeWorkflow(b, "onlyb", WF);
    const folders = new WorkflowFolders([a, b]);
    expect(folders.ids()).toEqual(["both", "onlyb"]);
    expect((folders.read("both")!.value as { name: string }).name).toBe("from a");
    expect(folders.update("onlyb", { ...WF, name: "updated" })).toBe(true);
    expect(JSON.parse(readFileSync(path.join(b, "onlyb", "workflow.json"), "utf8")).name).toBe("updated");
    expect(readdirSync(path.join(b, "onlyb"))).toEqual(["workflow.json"]);
    expect(folders.update("missing", WF)).toBe(false);
    expect(folders.remove("both")).toBe(true);
    expect(existsSync(path.join(a, "both")) || existsSync(path.join(b, "both"))).toBe(false);
    expect(folders.remove("both")).toBe(false);
  });

  it("picks up edits, new folders and deletions made on disk", () => {
    const root = tempDir();
    const folders = new WorkflowFolders([root]);
    const seen: Array<[string, boolean]> = [];
    folders.onChange((id, draft) => seen.push([id, draft !== undefined]));
    writeWorkflow(root, "ext", { ...WF, name: "v1" });
    expect(folders.pollChanges().map((c) => c.id)).toEqual(["ext"]);
    expect(folders.pollChanges()).toEqual([]);
    writeFileSync(path.join(root, "ext", "workflow.json"), JSON.stringify({ ...WF, name: "v2, longer" }));
    // A read notices the change by itself (mtime/size check), without waiting for a poll.
    expect((folders.read("ext")!.value as { name: string }).name).toBe("v2, longer");
    expect(folders.pollChanges()).toEqual([]);
    writeFileSync(path.join(root, "ext", "workflow.json"), "{ not json");
    expect(folders.read("ext")!.parseIssues[0]).toMatchObject({ location: "line 1, column 3", rule: "invalid_json" });
    folders.remove("ext");
    writeWorkflow(root, "gone", WF);
    folders.pollChanges();
    rmSync(path.join(root, "gone"), { recursive: true });
    expect(folders.pollChanges()).toEqual([{ id: "gone", draft: undefined }]);
    expect(seen).toEqual([
      ["ext", true],
      ["ext", true],
      ["ext", true],
      ["gone", true],
      ["gone", false],
    ]);
  });
});

