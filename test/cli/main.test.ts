import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./support/spawn-cli.js";

describe("flockflow", () => {
  it("--version prints the package.json version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("--help lists the commands", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: flockflow /);
    for (const command of ["run", "validate", "graph"]) expect(r.stdout).toContain(`  ${command} [options] <workflow>`);
  });

  it.each([
    ["run", ["--inputs <json>", "--inputs-file <file>", "--config <file>", "--tools <module>", "--workflows <dir>", "--timeout <seconds>", "--node-timeout <seconds>", "--max-parallel <n>", "--history <mode>", "--json"]],
    ["validate", ["--json"]],
    ["graph", ["--format <format>"]],
  ])("%s --help shows its options and exits 0", async (command, options) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: flockflow ${command} [options] <workflow>`);
    for (const option of options) expect(r.stdout).toContain(option);
  });

  it("exits 2 with the help on stderr when no command is given", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: flockflow");
  });

  it("exits 2 on an unknown command", async () => {
    const r = await runCli(["launch"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown command 'launch'");
  });
});
