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

  it("each kind of change is undone before the next node: an impostor equal to every builtin, a replaced all() or map(), a deleted builtin, a renamed last one", async () => {
    const changes: Record<string, string> = {
      impostor: "import builtins\nclass Same:\n    def __eq__(self, other): return True\n    def __hash__(self): return 0\nbuiltins.abs = Same()",
      allAndMap: "import builtins\nbuiltins.all = lambda items: True\nbuiltins.map = lambda f, *its: []",
      deleted: "import builtins\ndel builtins.sorted",
      renamedLast: "import builtins\nd = vars(builtins)\nlast = list(d)[-1]\nd['renamed_' + last] = d.pop(last)",
    };
    const check = [
      "import builtins",
      "names = vars(builtins)",
      "outputs['ok'] = [abs(-3) == 3, all([False]) is False, list(map(str, [1])) == ['1'], sorted([2, 1]) == [1, 2],",
      "                 not [n for n in names if n.startswith('renamed_')]]",
    ].join("\n");
    for (const [name, change] of Object.entries(changes)) {
      const result = await runtime.run({
        start: "change",
        nodes: [
          { id: "change", type: "python", code: change },
          { id: "check", type: "python", code: check },
        ],
        edges: [{ from: "change", to: "check" }],
      });
      expect([name, result.error, result.outputs]).toEqual([name, null, { ok: [true, true, true, true, true] }]);
    }
  });

  it("a node that patches os.write or json.loads does not break the protocol for the nodes after it", async () => {
    const result = await runtime.run({
      start: "patch",
      nodes: [
        { id: "patch", type: "python", code: "import os, json\nos.write = lambda fd, data: 0\njson.loads = lambda raw: None\noutputs['a'] = 1" },
        { id: "after", type: "python", code: "outputs['b'] = inputs['a'] + 1" },
      ],
      edges: [{ from: "patch", to: "after" }],
    });
    expect([result.error, result.outputs]).toEqual([null, { b: 2 }]);
  });
});
