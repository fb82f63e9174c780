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

  it("an impostor equal to every builtin, a deleted builtin, or a renamed last one is undone too", async () => {
    const impostor = "import builtins\nclass Same:\n    def __eq__(self, other): return True\n    def __hash__(self): return 0\nbuiltins.abs = Same()";
    const renameLast = "import builtins\nd = vars(builtins)\nlast = list(d)[-1]\nvalue = d.pop(last)\nd['renamed_' + last] = value\noutputs['last'] = last";
    const check = "import builtins\noutputs['abs'] = abs(-3)\noutputs['sorted'] = sorted([2, 1])\noutputs['renamed'] = [n for n in vars(builtins) if n.startswith('renamed_')]\noutputs['last_back'] = inputs['last'] in vars(builtins)";
    const result = await runtime.run({
      start: "a",
      nodes: [
        { id: "a", type: "python", code: impostor },
        { id: "b", type: "python", code: "import builtins\ndel builtins.sorted" },
        { id: "c", type: "python", code: renameLast },
        { id: "d", type: "python", code: check },
      ],
      edges: [
        { from: "a", to: "b" },
        { from: "b", to: "c" },
        { from: "c", to: "d" },
      ],
    });
    expect(result.error).toBeNull();
    expect(result.outputs).toMatchObject({ abs: 3, sorted: [1, 2], renamed: [], last_back: true });
  });
});
