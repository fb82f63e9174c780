/**
 * `metadata.requirements` (issue 4 item 7): which module each requirement provides, which are
 * importable by the interpreter (one `python3 -I` process), `flockflow validate` listing them as a
 * warning, and a node importing a missing requirement failing with a message that names it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { checkRequirements, requirementModules } from "../../src/sandbox/python/check-requirements.js";
import { runCli } from "../cli/support/spawn-cli.js";
import { workflow } from "../support/workflows.js";

const MISSING = "flockflow-missing-pkg>=1.0";
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function workflowFolder(metadata: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ff-reqs-"));
  tempDirs.push(dir);
  writeFileSync(path.join(dir, "workflow.json"), JSON.stringify({ start: "p", nodes: [{ id: "p", type: "python", code: "outputs['ok'] = True" }], edges: [], metadata }));
  return dir;
}

describe("the module a requirement provides", () => {
  it.each([
    ["datasketch>=1.5", ["datasketch"]],
    ["requests[socks]>=2.31; python_version > '3.8'", ["requests"]],
    ["typing-extensions==4.*", ["typing_extensions"]],
    ["PyMySQL", ["PyMySQL", "pymysql"]],
    ["zope.interface", ["zope.interface"]],
    ["pkg @ https://example.com/pkg-1.0.tar.gz", ["pkg"]],
    ["pyyaml", ["yaml"]],
    ["PyYAML>=6", ["yaml"]],
    ["beautifulsoup4", ["bs4"]],
    ["python-dateutil", ["dateutil"]],
    ["python_dateutil", ["dateutil"]],
    ["scikit-learn", ["sklearn"]],
    ["==1.0", []],
  ])("%s → %j", (spec, modules) => {
    expect(requirementModules(spec)).toEqual(modules);
  });
});

describe("checkRequirements", () => {
  it("reports a missing module as not importable and standard-library modules as importable", async () => {
    expect(await checkRequirements([MISSING, "json", "sqlite3>=3"])).toEqual([
      { name: MISSING, module: "flockflow_missing_pkg", importable: false },
      { name: "json", module: "json", importable: true },
      { name: "sqlite3>=3", module: "sqlite3", importable: true },
    ]);
  });

  it("runs nothing for no requirements, and names a missing interpreter", async () => {
    expect(await checkRequirements([], { executable: "/nonexistent/python3" })).toEqual([]);
    await expect(checkRequirements(["json"], { executable: "/nonexistent/python3" })).rejects.toMatchObject({
      name: "WorkerCrashError",
      message: "Python not found: '/nonexistent/python3' is not on PATH; install python3 (>= 3.9) or set config python.executable",
    });
  });
});

describe("flockflow validate and metadata.requirements", () => {
  it("lists the requirements, warns about the missing one, and still exits 0", async () => {
    const dir = workflowFolder({ requirements: ["json", MISSING] });
    const r = await runCli(["validate", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`requirements: ${MISSING} (missing), json (ok)\nvalid: ${dir}\n`);
    expect(r.stderr).toBe(`warning: metadata.requirements: requirement '${MISSING}' (module 'flockflow_missing_pkg') is not importable by python3; install it for that interpreter\n`);
  });

  it("--json adds a requirements field with each one's module and whether it is importable", async () => {
    const dir = workflowFolder({ requirements: { packages: [MISSING, "json"] } });
    const r = await runCli(["validate", dir, "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual({
      valid: true,
      errors: [],
      warnings: [
        {
          location: "metadata.requirements",
          rule: "requirement_missing",
          message: `requirement '${MISSING}' (module 'flockflow_missing_pkg') is not importable by python3; install it for that interpreter`,
        },
      ],
      requirements: [
        { name: MISSING, module: "flockflow_missing_pkg", importable: false },
        { name: "json", module: "json", importable: true },
      ],
    });
  });

  it("prints no requirements line, and no field, when the workflow lists none", async () => {
    const dir = workflowFolder({});
    const human = await runCli(["validate", dir]);
    expect([human.code, human.stdout, human.stderr]).toEqual([0, `valid: ${dir}\n`, ""]);
    const json = await runCli(["validate", dir, "--json"]);
    expect(Object.keys(JSON.parse(json.stdout))).toEqual(["valid", "errors", "warnings"]);
  });
});

describe("a node importing a missing requirement", () => {
  const executable = spawnSync("python3", ["-I", "-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();

  it("fails with a message naming the requirement and the interpreter; an unlisted module keeps the generic message", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "ff-reqs-run-"));
    tempDirs.push(root);
    const runtime = createRuntime({ workspaceDir: path.join(root, "ws"), dataDir: path.join(root, "data"), env: { PATH: process.env.PATH, HOME: root } });
    try {
      const spec = "Flockflow-Missing_Pkg[fast]>=1.0; python_version > '3'";
      const listed = workflow("p", [{ id: "p", type: "python", code: "print('before')\nfrom flockflow_missing_pkg.sub import thing\n" }], [], { requirements: [spec, "json"] });
      const result = await runtime.run(listed);
      const message = `Module not found: flockflow_missing_pkg \u2014 requirement '${spec}' from metadata.requirements is not installed for ${executable}`;
      expect(result.status).toBe("failed");
      expect(result.error).toBe(`p: ModuleNotFoundError: ${message}`);
      expect(result.history[0]).toMatchObject({ status: "failed", errorType: "ModuleNotFoundError", error: message, stdout: "before\n" });
      expect(result.history[0]!.traceback).toContain("line 2");

      const unlisted = workflow("p", [{ id: "p", type: "python", code: "import flockflow_other_missing\n" }], [], { requirements: [spec] });
      const other = await runtime.run(unlisted);
      expect(other.error).toBe("p: ModuleNotFoundError: Module not found: flockflow_other_missing (install it for python3, or list it in metadata.requirements)");
    } finally {
      await runtime.close();
    }
  });
});
