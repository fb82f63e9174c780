/**
 * Reading a workflow from disk: a `workflow.json` file or a folder that holds one. Invalid JSON is
 * reported with line and column; nothing is executed.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { WorkflowNotFoundError, WorkflowValidationError, type ValidationIssue } from "../errors.js";
import type { Workflow } from "./types.js";
import { validateWorkflowValue } from "./validate-workflow.js";

/** `<dir>/workflow.json` for a folder, the path itself for a file. */
export async function resolveWorkflowFile(workflowPath: string): Promise<string> {
  const absolute = path.resolve(workflowPath);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new WorkflowNotFoundError(`Workflow not found: ${workflowPath}`);
  }
  if (info.isDirectory()) {
    const file = path.join(absolute, "workflow.json");
    try {
      await stat(file);
    } catch {
      throw new WorkflowNotFoundError(`Workflow not found: ${workflowPath} has no workflow.json`);
    }
    return file;
  }
  return absolute;
}

/** Strict JSON; on failure the first syntax error as `line L, column C`. */
export function parseJsonText(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const errors: ParseError[] = [];
    parseJsonc(body, errors, { allowTrailingComma: false, disallowComments: true });
    const first = errors[0];
    const { line, column } = lineAndColumn(body, first ? first.offset : body.length);
    const reason = first ? describeParseError(printParseErrorCode(first.error)) : "invalid JSON";
    const issue: ValidationIssue = {
      location: `line ${line}, column ${column}`,
      rule: "invalid_json",
      message: `invalid JSON: ${reason}`,
      severity: "error",
    };
    throw new WorkflowValidationError([issue], source);
  }
}

function describeParseError(code: string): string {
  // "CommaExpected" → "comma expected"
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Load and validate; throws WorkflowValidationError (with every issue) or WorkflowNotFoundError. */
export async function loadWorkflow(workflowPath: string): Promise<Workflow> {
  const file = await resolveWorkflowFile(workflowPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new WorkflowNotFoundError(`Cannot read workflow ${file}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WorkflowValidationError([{ location: "$", rule: "encoding", message: "the file is not valid UTF-8", severity: "error" }], file);
  }
  return parseWorkflowText(text, file);
}

export function parseWorkflowText(text: string, source: string): Workflow {
  const value = parseJsonText(text, source);
  const { workflow, issues } = validateWorkflowValue(value);
  if (!workflow) throw new WorkflowValidationError(issues, source);
  workflow.sourcePath = source;
  return workflow;
}

/** Validate an in-memory value; throws WorkflowValidationError when it has errors. */
export function validateWorkflow(value: unknown, source?: string): Workflow {
  const { workflow, issues } = validateWorkflowValue(value);
  if (!workflow) throw new WorkflowValidationError(issues, source);
  return workflow;
}
