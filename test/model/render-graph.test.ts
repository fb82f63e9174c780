import { describe, expect, it } from "vitest";
import { validateWorkflow } from "../../src/model/load-workflow.js";
import { renderGraph } from "../../src/model/render-graph.js";
import type { Workflow } from "../../src/model/types.js";

/** a → branch br (true → llm x, false → tool y) → join j. */
function small(): Workflow {
  return validateWorkflow({
    start: "a",
    nodes: [
      { id: "a", type: "python", code: "outputs['ok'] = True" },
      { id: "br", type: "branch", select_key: "ok" },
      { id: "x", type: "llm", prompt: "Summarise" },
      { id: "y", type: "tool", tool_name: "lookup" },
      { id: "j", type: "python", code: "pass", join: true },
    ],
    edges: [
      { from: "a", to: "br" },
      { from: "br", to: "x", label: "true" },
      { from: "br", to: "y", label: "false" },
      { from: "x", to: "j" },
      { from: "y", to: "j" },
    ],
  });
}

function hostile(): Workflow {
  return validateWorkflow({
    start: 'a"b\\c',
    nodes: [
      { id: 'a"b\\c', code: "pass" },
      { id: "a-->b", code: "pass" },
      { id: "x|y #1 <b>", type: "loop" },
    ],
    edges: [
      { from: 'a"b\\c', to: "a-->b", label: 'say "hi"|x' },
      { from: "a-->b", to: "x|y #1 <b>" },
    ],
  });
}

describe("renderGraph mermaid", () => {
  it("renders shapes by type, the start marker, labelled edges and the join class", () => {
    expect(renderGraph(small(), "mermaid")).toBe(
      [
        "flowchart TD",
        '  start(("start"))',
        '  n0["a"]',
        '  n1{"br"}',
        '  n2(["x"])',
        '  n3[/"y"/]',
        '  n4["j (join)"]',
        "  start --> n0",
        "  n0 --> n1",
        '  n1 -->|"true"| n2',
        '  n1 -->|"false"| n3',
        "  n2 --> n4",
        "  n3 --> n4",
        "  classDef join stroke-width:3px",
        "  class n4 join",
        "",
      ].join("\n"),
    );
  });

  it("uses generated ids and entity-escaped labels for hostile ids such as a-->b", () => {
    const text = renderGraph(hostile(), "mermaid");
    expect(text).toBe(
      [
        "flowchart TD",
        '  start(("start"))',
        '  n0["a#quot;b\\c"]',
        '  n1["a--#gt;b"]',
        '  n2{"x#124;y #35;1 #lt;b#gt;"}',
        "  start --> n0",
        '  n0 -->|"say #quot;hi#quot;#124;x"| n1',
        "  n1 --> n2",
        "",
      ].join("\n"),
    );
    // The only arrows left are real edges between generated ids.
    for (const line of text.split("\n").filter((l) => l.includes("-->"))) {
      expect(line).toMatch(/^ {2}(start|n\d+) -->(\|"[^"|]*"\|)? n\d+$/);
    }
  });

  it("is deterministic", () => {
    expect(renderGraph(small(), "mermaid")).toBe(renderGraph(small(), "mermaid"));
  });
});

describe("renderGraph dot", () => {
  it("renders quoted ids, labels, diamond branches, the start and the join", () => {
    expect(renderGraph(small(), "dot")).toBe(
      [
        "digraph workflow {",
        "  rankdir=TB;",
        '  "a" [label="a", shape=box, peripheries=2];',
        '  "br" [label="br", shape=diamond];',
        '  "x" [label="x", shape=ellipse];',
        '  "y" [label="y", shape=parallelogram];',
        '  "j" [label="j (join)", shape=box, style=bold];',
        '  "a" -> "br";',
        '  "br" -> "x" [label="true"];',
        '  "br" -> "y" [label="false"];',
        '  "x" -> "j";',
        '  "y" -> "j";',
        "}",
        "",
      ].join("\n"),
    );
  });

  it('escapes quotes and backslashes in ids and labels (a"b\\c)', () => {
    expect(renderGraph(hostile(), "dot")).toBe(
      [
        "digraph workflow {",
        "  rankdir=TB;",
        '  "a\\"b\\\\c" [label="a\\"b\\\\c", shape=box, peripheries=2];',
        '  "a-->b" [label="a-->b", shape=box];',
        '  "x|y #1 <b>" [label="x|y #1 <b>", shape=diamond];',
        '  "a\\"b\\\\c" -> "a-->b" [label="say \\"hi\\"|x"];',
        '  "a-->b" -> "x|y #1 <b>";',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps an id ending in a backslash from swallowing its closing quote", () => {
    const workflow = validateWorkflow({ start: "a\\", nodes: [{ id: "a\\", code: "pass" }] });
    expect(renderGraph(workflow, "dot")).toContain('  "a\\\\" [label="a\\\\", shape=box, peripheries=2];\n');
  });

  it("writes a line break in a label as \\n", () => {
    const workflow = validateWorkflow({
      start: "a",
      nodes: [{ id: "a", code: "pass" }, { id: "b", code: "pass" }],
      edges: [{ from: "a", to: "b", label: "two\nlines" }],
    });
    expect(renderGraph(workflow, "dot")).toContain('  "a" -> "b" [label="two\\nlines"];\n');
    expect(renderGraph(workflow, "mermaid")).toContain('  n0 -->|"two lines"| n1\n');
  });
});
