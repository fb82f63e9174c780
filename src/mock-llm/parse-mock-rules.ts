/**
 * Checks scripted behaviour from outside TypeScript's reach (a `--rules` file, `PUT /__mock/rules`,
 * an `x-mock-behavior` header) before it is used, so a typo fails loudly with the field's path
 * instead of silently producing a normal reply.
 */
import { InvalidOptionError } from "../errors.js";
import type { MockBehavior, MockRule, MockRuleMatch } from "./types.js";

const COUNT_FIELDS = ["stallAfterChunks", "destroyAfterChunks", "malformedAfterChunks", "errorEventAfterChunks", "failFirst"] as const;
const DELAY_FIELDS = ["chunkDelayMs", "firstByteDelayMs", "retryAfterS"] as const;
const FLAG_FIELDS = ["stallAfterHeaders", "emptyChoices"] as const;
const TEXT_FIELDS = ["reply", "reasoning"] as const;
const KNOWN_FIELDS = new Set<string>([...COUNT_FIELDS, ...DELAY_FIELDS, ...FLAG_FIELDS, ...TEXT_FIELDS, "chunkCount", "status", "usage"]);

export function parseMockRules(value: unknown, where = "rules"): MockRule[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(`${where} must be an array of rules`);
  return value.map((rule, i) => parseMockRule(rule, `${where}[${i}]`));
}

function parseMockRule(value: unknown, where: string): MockRule {
  const rule = asObject(value, where);
  rejectUnknown(rule, new Set(["match", "behavior"]), where);
  const behavior = parseMockBehavior(rule.behavior, `${where}.behavior`);
  return rule.match === undefined ? { behavior } : { match: parseMatch(rule.match, `${where}.match`), behavior };
}

function parseMatch(value: unknown, where: string): MockRuleMatch {
  const match = asObject(value, where);
  rejectUnknown(match, new Set(["model", "promptIncludes", "header"]), where);
  const result: MockRuleMatch = {};
  if (match.model !== undefined) result.model = asString(match.model, `${where}.model`);
  if (match.promptIncludes !== undefined) result.promptIncludes = asString(match.promptIncludes, `${where}.promptIncludes`);
  if (match.header !== undefined) {
    const header = match.header;
    if (!Array.isArray(header) || header.length !== 2 || typeof header[0] !== "string" || typeof header[1] !== "string") {
      throw new InvalidOptionError(`${where}.header must be a [name, value] pair of strings`);
    }
    result.header = [header[0], header[1]];
  }
  return result;
}

export function parseMockBehavior(value: unknown, where = "behavior"): MockBehavior {
  const behavior = asObject(value, where);
  rejectUnknown(behavior, KNOWN_FIELDS, where);
  for (const field of TEXT_FIELDS) if (behavior[field] !== undefined) asString(behavior[field], `${where}.${field}`);
  for (const field of FLAG_FIELDS) {
    if (behavior[field] !== undefined && typeof behavior[field] !== "boolean") throw new InvalidOptionError(`${where}.${field} must be a boolean`);
  }
  for (const field of COUNT_FIELDS) if (behavior[field] !== undefined) asInteger(behavior[field], 0, `${where}.${field}`);
  for (const field of DELAY_FIELDS) {
    const n = behavior[field];
    if (n !== undefined && (typeof n !== "number" || !Number.isFinite(n) || n < 0)) throw new InvalidOptionError(`${where}.${field} must be a number >= 0`);
  }
  if (behavior.chunkCount !== undefined) asInteger(behavior.chunkCount, 1, `${where}.chunkCount`);
  if (behavior.status !== undefined) {
    const status = behavior.status;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidOptionError(`${where}.status must be an error status between 400 and 599`);
    }
  }
  if (behavior.usage !== undefined) {
    const usage = asObject(behavior.usage, `${where}.usage`);
    asInteger(usage.prompt_tokens, 0, `${where}.usage.prompt_tokens`);
    asInteger(usage.completion_tokens, 0, `${where}.usage.completion_tokens`);
  }
  return behavior as MockBehavior;
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidOptionError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function asString(value: unknown, where: string): string {
  if (typeof value !== "string") throw new InvalidOptionError(`${where} must be a string`);
  return value;
}

function asInteger(value: unknown, min: number, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new InvalidOptionError(`${where} must be an integer >= ${min}`);
  return value;
}

function rejectUnknown(object: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) throw new InvalidOptionError(`${where}.${key} is not a known field (expected one of: ${[...known].join(", ")})`);
  }
}
