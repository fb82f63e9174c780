import { describe, expect, it } from "vitest";
import { summarize } from "../../src/engine/summarize.js";

describe("history summaries", () => {
  it("keeps 50 entries at the top, previews lists and lists 20 keys of a dict two levels down", () => {
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    const deep = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i}`, { x: i }]));
    const summary = summarize({ wide, list: [[1, 2], "a", 3, 4], nested: { deep, s: "y".repeat(201) } }) as Record<string, any>;
    expect(Object.keys(summary.wide)).toHaveLength(50);
    expect(summary.list).toEqual({ _type: "list", count: 4, preview: [{ _type: "list", count: 2 }, "a", 3] });
    expect(summary.nested.deep).toEqual({ _type: "dict", keys: Object.keys(deep).slice(0, 20) });
    expect(summary.nested.s).toEqual({ _type: "string", chars: 201, preview: "y".repeat(200) });
    expect(Object.keys(summarize(wide) as object)).toEqual(Object.keys(wide).slice(0, 50));
  });

  it("keeps a '__proto__' key as data, in its place", () => {
    const value = JSON.parse('{"a": 1, "__proto__": {"polluted": true}, "b": {"__proto__": 2}}');
    const summary = summarize(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(summary)).toBe(Object.prototype);
    expect(JSON.stringify(summary)).toBe('{"a":1,"__proto__":{"polluted":true},"b":{"__proto__":2}}');
    expect((summary as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
