/**
 * The run's inputs from `--inputs JSON` or `--inputs-file FILE`: a JSON object, or an
 * InvalidOptionError naming the flag and, for a syntax error, where it is.
 */
import { readFile } from "node:fs/promises";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { InvalidOptionError } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";
import { lineAndColumn } from "../model/load-workflow.js";

export interface InputsFlags {
  inputs?: string;
  inputsFile?: string;
}

export async function readInputs(flags: InputsFlags): Promise<Record<string, unknown>> {
  if (flags.inputs !== undefined && flags.inputsFile !== undefined) {
    throw new InvalidOptionError("use either --inputs or --inputs-file, not both");
  }
  if (flags.inputsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.inputsFile, "utf8");
    } catch (error) {
      throw new InvalidOptionError(`--inputs-file ${flags.inputsFile}: cannot read: ${(error as Error).message}`);
    }
    return parseInputsObject(text, `--inputs-file ${flags.inputsFile}`);
  }
  if (flags.inputs !== undefined) return parseInputsObject(flags.inputs, "--inputs");
  return {};
}

function parseInputsObject(text: string, flag: string): Record<string, unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidOptionError(`${flag} is not valid JSON: ${describeSyntaxError(body, error)}`);
  }
  if (!isPlainObject(value)) {
    throw new InvalidOptionError(`${flag} must be a JSON object; got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }
  return value;
}

/** `line L, column C: comma expected`, from the strict parser's first error. */
function describeSyntaxError(text: string, error: unknown): string {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (!first) return (error as Error).message;
  const { line, column } = lineAndColumn(text, first.offset);
  const reason = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return `line ${line}, column ${column}: ${reason}`;
}
