/** Storage compaction (reference flocks-service.md §4.3): Flocks' rules and limits, configurable. */
import { describe, expect, it } from "vitest";
import { compactPayload, DEFAULT_COMPACTION, truncateText } from "../../src/store/index.js";

describe("compactPayload", () => {
  it("leaves small values alone", () => {
    const value = { a: 1, b: "text", c: [1, 2, { d: null }], e: true };
    expect(compactPayload(value)).toEqual(value);
  });

  it("long strings, long lists and wide dicts become previews", () => {
    const wide = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, i]));
    const out = compactPayload({ s: "y".repeat(20_001), l: Array.from({ length: 1001 }, (_, i) => ({ i })), d: wide }) as Record<string, any>;
    expect(out.s).toEqual({ _type: "string", chars: 20_001, preview: "y".repeat(500) });
    expect(out.l).toEqual({ _type: "list", count: 1001, preview: [{ i: 0 }, { i: 1 }, { i: 2 }] });
    expect(out.d._type).toBe("dict");
    expect(out.d.key_count).toBe(250);
    expect(out.d.keys).toHaveLength(30);
  });

  it("Flocks' alert lists over 100 items become _<key>_count", () => {
    const out = compactPayload({ raw_alerts: Array.from({ length: 101 }, () => 1), unique_alerts: [1, 2], other: Array.from({ length: 101 }, () => 1) }) as Record<string, any>;
    expect(out._raw_alerts_count).toBe(101);
    expect("raw_alerts" in out).toBe(false);
    expect(out.unique_alerts).toEqual([1, 2]);
    expect(out.other).toHaveLength(101);
  });

  it("recursion stops at depth 2, but a large value below it is still cut down", () => {
    const small = { a: { b: { c: { d: "deep" } } } };
    expect(compactPayload(small)).toEqual(small);
    const out = compactPayload({ a: { b: { c: "z".repeat(30_000) } } }) as any;
    expect(out.a.b._type).toBe("truncated");
    expect(out.a.b.chars).toBeGreaterThan(30_000);
    expect(out.a.b.preview).toHaveLength(DEFAULT_COMPACTION.stringPreviewChars);
  });

  it("truncateText keeps the head and says how long the text was", () => {
    expect(truncateText("abc", 5)).toBe("abc");
    expect(truncateText("abcdefgh", 3)).toBe("abc… [truncated: 8 chars]");
  });
});
