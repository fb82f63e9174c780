import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowNotFoundError, WorkflowValidationError } from "../../src/errors.js";
import { loadWorkflow, parseJsonText, resolveWorkflowFile } from "../../src/model/load-workflow.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = path.join(repoRoot, "test/fixtures/workflows");
const shippedRoot = path.resolve(repoRoot, "../shared/flocks-workflows");
const SHIPPED = ["tdp_alert_triage", "tdp_alert_triage_fixed", "stream_alert_triage"];

async function loadError(workflowPath: string): Promise<WorkflowValidationError | WorkflowNotFoundError> {
  try {
    await loadWorkflow(workflowPath);
  } catch (error) {
    return error as WorkflowValidationError | WorkflowNotFoundError;
  }
  throw new Error(`expected ${workflowPath} to fail to load`);
}

describe("loadWorkflow", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "flockflow-load-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("loads a folder through its workflow.json and records the absolute source path", async () => {
    const workflow = await loadWorkflow(path.join(fixtures, "minimal"));
    expect(workflow.sourcePath).toBe(path.join(fixtures, "minimal", "workflow.json"));
    expect(workflow.name).toBe("minimal");
    expect(workflow.start).toBe("a");
    expect(workflow.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(workflow.edges[0]?.mapping).toEqual({ mapped_x: "x" });
  });

  it("loads the same workflow when given the file itself", async () => {
    const file = path.join(fixtures, "minimal", "workflow.json");
    const fromFile = await loadWorkflow(file);
    const fromFolder = await loadWorkflow(path.join(fixtures, "minimal"));
    expect(fromFile).toEqual(fromFolder);
    expect(await resolveWorkflowFile(path.join(fixtures, "minimal"))).toBe(file);
  });

  it("resolves a relative path against the current directory", async () => {
    const relative = path.relative(process.cwd(), path.join(fixtures, "minimal"));
    const workflow = await loadWorkflow(relative);
    expect(workflow.sourcePath).toBe(path.join(fixtures, "minimal", "workflow.json"));
  });

  it("throws WorkflowNotFoundError for a path that does not exist", async () => {
    const error = await loadError(path.join(fixtures, "does-not-exist"));
    expect(error).toBeInstanceOf(WorkflowNotFoundError);
    expect(error.name).toBe("WorkflowNotFoundError");
    expect(error.code).toBe("FF_WORKFLOW_NOT_FOUND");
    expect(error.message).toContain("does-not-exist");
  });

  it("throws WorkflowNotFoundError for a folder without workflow.json", async () => {
    const error = await loadError(scratch);
    expect(error).toBeInstanceOf(WorkflowNotFoundError);
    expect(error.code).toBe("FF_WORKFLOW_NOT_FOUND");
    expect(error.message).toContain("has no workflow.json");
  });

  it("reports invalid JSON with the line and column of the missing comma", async () => {
    const error = await loadError(path.join(fixtures, "missing-comma"));
    expect(error).toBeInstanceOf(WorkflowValidationError);
    const issues = (error as WorkflowValidationError).issues;
    // The fixture's node on line 5 lacks its comma; the next object starts at line 6, column 5.
    expect(issues).toEqual([
      { location: "line 6, column 5", rule: "invalid_json", message: "invalid JSON: comma expected", severity: "error" },
    ]);
    expect(error.code).toBe("FF_WORKFLOW_INVALID");
    expect(error.message).toContain("line 6, column 5");
    expect((error as WorkflowValidationError).source).toBe(path.join(fixtures, "missing-comma", "workflow.json"));
  });

  it("accepts a UTF-8 byte order mark", async () => {
    const workflow = await loadWorkflow(path.join(fixtures, "bom"));
    expect(workflow.start).toBe("a");
    expect(workflow.nodes[0]?.code).toBe('outputs["ok"] = True');
  });

  it("rejects a top level that is not an object, at location `$`", async () => {
    const error = await loadError(path.join(fixtures, "top-level-array"));
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).issues.map((i) => [i.location, i.rule])).toEqual([["$", "type"]]);
  });

  it("reports every validation issue of a parsed file with its location", async () => {
    const file = path.join(scratch, "invalid.json");
    await writeFile(file, JSON.stringify({ start: "a", nodes: [{ id: "a", code: "pass" }], edges: [{ from: "a", to: "b" }] }));
    const error = await loadError(file);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).issues.map((i) => [i.location, i.rule])).toEqual([["edges[0].to", "unknown_node"]]);
  });
});

describe("parseJsonText", () => {
  it("counts lines across CRLF line ends", () => {
    expect.assertions(1);
    try {
      parseJsonText('{\r\n  "a": 1\r\n  "b": 2\r\n}', "crlf.json");
    } catch (error) {
      expect((error as WorkflowValidationError).issues[0]?.location).toBe("line 3, column 3");
    }
  });

  it("reports a trailing comma and an empty document", () => {
    const locate = (text: string): string | undefined => {
      try {
        parseJsonText(text, "x.json");
      } catch (error) {
        return (error as WorkflowValidationError).issues[0]?.location;
      }
      return undefined;
    };
    expect(locate('{\n  "a": 1,\n}')).toBe("line 3, column 1");
    expect(locate("")).toBe("line 1, column 1");
  });

  it("rejects comments: workflow.json is strict JSON", () => {
    expect(() => parseJsonText('{ "a": 1 // note\n}', "c.json")).toThrow(WorkflowValidationError);
  });
});

// Data files from the public Flocks project, kept beside the repository (not in it): skipped in a
// fresh clone.
describe.skipIf(!existsSync(shippedRoot))(`shipped Flocks workflows (skipped when ${shippedRoot} is absent)`, () => {
  it.each(SHIPPED)("loads and validates %s", async (name) => {
    const workflow = await loadWorkflow(path.join(shippedRoot, name));
    expect(workflow.nodes.length).toBeGreaterThan(0);
    expect(workflow.nodes.some((n) => n.id === workflow.start)).toBe(true);
    expect(workflow.nodes.every((n) => n.type === "python")).toBe(true);
  });

  it("reads the fan-out and join of tdp_alert_triage", async () => {
    const workflow = await loadWorkflow(path.join(shippedRoot, "tdp_alert_triage"));
    expect(workflow.start).toBe("receive_alert");
    expect(workflow.nodes).toHaveLength(6);
    expect(workflow.edges).toHaveLength(7);
    expect(workflow.nodes.filter((n) => n.join).map((n) => n.id)).toEqual(["join_results"]);
    expect(workflow.metadata.node_timeout_s).toBe(600);
  });

  it("keeps the disabled schedule trigger of stream_alert_triage", async () => {
    const workflow = await loadWorkflow(path.join(shippedRoot, "stream_alert_triage"));
    expect(workflow.triggers.map((t) => [t.type, t.enabled])).toEqual([["schedule", false]]);
    expect(workflow.nodes).toHaveLength(3);
  });
});
