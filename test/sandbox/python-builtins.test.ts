import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import { hasPython } from "../fixtures/python/python-support.js";

describe.skipIf(!hasPython)("python workers between nodes", () => {
  const runtime = createRuntime({ config: { python: { max_workers: 1 } } });
  afterAll(() => runtime.close());

  it("a change a node makes to the builtins module does not reach the next node on the same worker", async () => {
    const result = await runtime.run({
      start: "a",
      nodes: [
        { id: "a", type: "python", code: "import builtins\nbuiltins.leak = 42\nbuiltins.len = lambda x: -1\noutputs['pid'] = __import__('os').getpid()" },
        { id: "b", type: "python", code: "import os\noutputs['leak'] = 'leak' in dir(__builtins__) if isinstance(__builtins__, type(os)) else 'leak' in __builtins__\noutputs['len'] = len([1, 2])\noutputs['same'] = os.getpid() == inputs['pid']" },
      ],
      edges: [{ from: "a", to: "b" }],
    });
    expect(result.outputs).toEqual({ leak: false, len: 2, same: true });
  });
});
