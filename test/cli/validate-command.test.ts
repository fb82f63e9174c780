import { describe, expect, it } from "vitest";
import { FIXTURES, runCli } from "./support/spawn-cli.js";

const INVALID = `${FIXTURES}/invalid`;

describe("flockflow validate", () => {
  it("exits 0 and prints valid: <path> for a valid workflow", async () => {
    const r = await runCli(["validate", `${FIXTURES}/ok`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`valid: ${FIXTURES}/ok\n`);
    expect(r.stderr).toBe("");
  });

  it("exits 0 with warnings, each naming its location", async () => {
    const r = await runCli(["validate", `${FIXTURES}/warn`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`valid: ${FIXTURES}/warn\n`);
    expect(r.stderr).toBe('warning: edges[0]: edge "first" -> "second" has no mapping; the full upstream payload is passed on\n');
  });

  it.each([
    ["missing-start.json", "error: start: `start` must be a non-empty string naming the first node"],
    ["edge-to-missing-node.json", "error: edges[0].to: edge target 'ghost' is not a node"],
    ["javascript-without-code.json", "error: nodes[0].code: a javascript node needs a non-blank `code`"],
    ["python-without-code.json", "error: nodes[1].code: a python node needs a non-blank `code`"],
    ["mapping-not-string.json", "error: edges[0].mapping.k: mapping values must be path strings; got 42"],
    ["invalid-json.json", "error: line 4, column 17: invalid JSON: comma expected"],
  ])("exits 2 for %s, naming the place", async (file, line) => {
    const r = await runCli(["validate", `${INVALID}/${file}`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\ninvalid: ${INVALID}/${file} (1 error)\n`);
  });

  it("exits 2 for a workflow that does not exist", async () => {
    const r = await runCli(["validate", `${FIXTURES}/nowhere`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${FIXTURES}/nowhere: Workflow not found: ${FIXTURES}/nowhere\n`);
  });
});

describe("flockflow validate --json", () => {
  it("prints {valid: true} with the warnings and exits 0", async () => {
    const r = await runCli(["validate", `${FIXTURES}/warn`, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(["valid", "errors", "warnings"]);
    expect(report).toEqual({
      valid: true,
      errors: [],
      warnings: [
        {
          location: "edges[0]",
          rule: "implicit_full_payload_edge",
          message: 'edge "first" -> "second" has no mapping; the full upstream payload is passed on',
        },
      ],
    });
  });

  it("prints {valid: false} with located errors and exits 2", async () => {
    const r = await runCli(["validate", `${INVALID}/mapping-not-string.json`, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      errors: [{ location: "edges[0].mapping.k", rule: "type", message: "mapping values must be path strings; got 42" }],
      warnings: [],
    });
  });

  it("reports invalid JSON as an error at line and column", async () => {
    const r = await runCli(["validate", `${INVALID}/invalid-json.json`, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).errors).toEqual([
      { location: "line 4, column 17", rule: "invalid_json", message: "invalid JSON: comma expected" },
    ]);
  });
});
