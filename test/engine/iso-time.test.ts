import { describe, expect, it } from "vitest";
import { isoTime } from "../../src/engine/iso-time.js";

describe("step start times", () => {
  it("formats like Date.prototype.toISOString", () => {
    const day = 86_400_000;
    const times = [0, 1, 999, day - 1, day, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.now()];
    // Every day boundary (and a time inside it) of 1970–2400, leap years and century rules included.
    for (let d = 0; d < 157_000; d++) times.push(d * day, d * day + ((d * 7_919_993) % day));
    expect(times.filter((ms) => isoTime(ms) !== new Date(ms).toISOString())).toEqual([]);
  });

  it("falls back to toISOString outside years 1970–9999", () => {
    for (const ms of [-1, -62_198_755_200_000, 253_402_300_800_000, 8.64e15, 1.5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
