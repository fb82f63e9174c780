import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readInputs } from "../../src/cli/read-inputs.js";

function tempFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "flockflow-read-inputs-")), "inputs.json");
  writeFileSync(file, text);
  return file;
}

describe("readInputs", () => {
  it("is {} when neither flag is given", async () => {
    await expect(readInputs({})).resolves.toEqual({});
  });

  it("parses --inputs", async () => {
    await expect(readInputs({ inputs: '{"a": [1, {"b": null}]}' })).resolves.toEqual({ a: [1, { b: null }] });
  });

  it("reads --inputs-file, BOM and all", async () => {
    await expect(readInputs({ inputsFile: tempFile('\ufeff{"n": 3}') })).resolves.toEqual({ n: 3 });
  });

  it("names line and column of a syntax error in the file", async () => {
    const file = tempFile('{\n  "a": 1\n  "b": 2\n}');
    await expect(readInputs({ inputsFile: file })).rejects.toMatchObject({
      name: "InvalidOptionError",
      message: `--inputs-file ${file} is not valid JSON: line 3, column 3: comma expected`,
    });
  });

  it.each([
    ["null", "null"],
    ['"text"', "string"],
    ["7", "number"],
  ])("rejects %s as not an object", async (text, kind) => {
    await expect(readInputs({ inputs: text })).rejects.toMatchObject({
      name: "InvalidOptionError",
      message: `--inputs must be a JSON object; got ${kind}`,
    });
  });

  it("refuses both flags at once", async () => {
    await expect(readInputs({ inputs: "{}", inputsFile: "x.json" })).rejects.toMatchObject({
      name: "InvalidOptionError",
      message: "use either --inputs or --inputs-file, not both",
    });
  });

  it("names the file it cannot read", async () => {
    await expect(readInputs({ inputsFile: "/nonexistent/inputs.json" })).rejects.toMatchObject({
      name: "InvalidOptionError",
      message: expect.stringMatching(/^--inputs-file \/nonexistent\/inputs\.json: cannot read: ENOENT/),
    });
  });
});
