import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { branch, workflow } from "../support/workflows.js";

const runtime = createRuntime();
afterAll(() => runtime.close());

describe("run ids", () => {
  it("are random version 4 UUIDs without dashes, distinct across many runs", async () => {
    const wf = workflow("b", [branch("b")]);
    const ids: string[] = [];
    // More than one pool of random bytes (128 ids).
    for (let i = 0; i < 300; i++) ids.push((await runtime.run(wf)).runId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a caller's run id is kept (trimmed)", async () => {
    expect((await runtime.run(workflow("b", [branch("b")]), { runId: "  mine " })).runId).toBe("mine");
  });
});
