import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RunCancelledError, TimeoutError, ToolError, isCancellation } from "../src/errors.js";

const root = path.resolve(import.meta.dirname, "..");

function codesInSource(): string[] {
  const source = readFileSync(path.join(root, "src/errors.ts"), "utf8");
  const literal = [...source.matchAll(/"(FF_[A-Z_]+)"/g)].map((m) => m[1]!);
  const kinds = /export type TimeoutKind = ([^;]+);/.exec(source)![1]!.match(/"(\w+)"/g)!.map((k) => `FF_TIMEOUT_${k.replace(/"/g, "").toUpperCase()}`);
  return [...new Set([...literal, ...kinds])].sort();
}

function codesInDocs(): string[] {
  const doc = readFileSync(path.join(root, "docs/errors.md"), "utf8");
  return [...doc.matchAll(/^\| `(FF_[A-Z_]+)` \|/gm)].map((m) => m[1]!).sort();
}

describe("error codes", () => {
  it("docs/errors.md lists exactly the codes src/errors.ts can raise", () => {
    expect(codesInDocs()).toEqual(codesInSource());
  });

  it("recognises cancellation by name, also when rebuilt across a boundary", () => {
    const rebuilt = Object.assign(new Error("Run cancelled: run_id=x"), { name: "RunCancelledError" });
    expect(isCancellation(rebuilt)).toBe(true);
    expect(isCancellation(new RunCancelledError("x"))).toBe(true);
    expect(isCancellation(new TimeoutError("node", 1000))).toBe(false);
    expect(new RunCancelledError("abc").message).toBe("Run cancelled: run_id=abc");
  });

  it("TimeoutError carries its kind and a code per kind; ToolError names the tool", () => {
    const t = new TimeoutError("node", 1500);
    expect([t.name, t.code, t.kind, t.message]).toEqual(["TimeoutError", "FF_TIMEOUT_NODE", "node", "node timeout after 1.5s"]);
    expect(new ToolError("x", new RangeError("r")).message).toBe("Tool 'x' failed: RangeError: r");
  });
});
