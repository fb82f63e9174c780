import { describe, expect, it } from "vitest";
import { FIXTURES, runCli } from "./support/spawn-cli.js";

describe("flockflow graph", () => {
  it("prints Mermaid by default", async () => {
    const r = await runCli(["graph", `${FIXTURES}/ok`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart TD");
    expect(lines).toContain('  n0["double"]');
    expect(lines).toContain('  n1[/"echo"/]');
    expect(lines).toContain("  start --> n0");
    expect(lines).toContain("  n0 --> n1");
    expect(r.stdout.endsWith("\n")).toBe(true);
  });

  it("prints Graphviz DOT with --format dot", async () => {
    const r = await runCli(["graph", `${FIXTURES}/ok`, "--format", "dot"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("digraph")).toBe(true);
    expect(r.stdout).toContain('"double" -> "echo";');
    expect(r.stdout.trimEnd().endsWith("}")).toBe(true);
  });

  it("exits 2 on an unknown format", async () => {
    const r = await runCli(["graph", `${FIXTURES}/ok`, "--format", "svg"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("argument 'svg' is invalid. Allowed choices are mermaid, dot.");
  });

  it("exits 2 on an invalid workflow, naming the location", async () => {
    const r = await runCli(["graph", `${FIXTURES}/invalid/edge-to-missing-node.json`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("edges[0].to: edge target 'ghost' is not a node");
  });
});
