/**
 * Which behaviour answers a request, first match wins: an `x-mock-behavior` header (JSON), then the
 * rules in order, else a normal reply. `failFirst` is counted per rule, or per distinct header
 * text, so "fail twice, then succeed" holds for each scripted stream of requests on its own.
 */
import type { IncomingHttpHeaders } from "node:http";
import { InvalidOptionError } from "../errors.js";
import type { ChatRequest } from "./chat-request.js";
import { parseMockBehavior } from "./parse-mock-rules.js";
import type { MockBehavior, MockRule } from "./types.js";

export const BEHAVIOR_HEADER = "x-mock-behavior";

const FAULT_FIELDS = [
  "status",
  "retryAfterS",
  "firstByteDelayMs",
  "stallAfterHeaders",
  "stallAfterChunks",
  "destroyAfterChunks",
  "malformedAfterChunks",
  "errorEventAfterChunks",
  "emptyChoices",
] as const satisfies ReadonlyArray<keyof MockBehavior>;

const NORMAL_REPLY: MockBehavior = {};

export class BehaviorSelector {
  #rules: MockRule[];
  /** Requests seen per rule object, or per `header:<text>`. */
  readonly #seen = new Map<MockRule | string, number>();

  constructor(rules: MockRule[]) {
    this.#rules = rules;
  }

  /** New rules start with fresh failFirst counts. */
  setRules(rules: MockRule[]): void {
    this.#rules = rules;
    this.#seen.clear();
  }

  resetCounts(): void {
    this.#seen.clear();
  }

  /** Throws InvalidOptionError when the header is not a valid behaviour (the caller answers 400). */
  select(request: ChatRequest, headers: IncomingHttpHeaders): MockBehavior {
    const scripted = headers[BEHAVIOR_HEADER];
    if (typeof scripted === "string") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(scripted);
      } catch (error) {
        throw new InvalidOptionError(`${BEHAVIOR_HEADER} header is not valid JSON: ${(error as Error).message}`);
      }
      return this.#counted(`header:${scripted}`, parseMockBehavior(parsed, `${BEHAVIOR_HEADER} header`));
    }
    const rule = this.#rules.find((r) => matches(r, request, headers));
    return rule ? this.#counted(rule, rule.behavior) : NORMAL_REPLY;
  }

  #counted(key: MockRule | string, behavior: MockBehavior): MockBehavior {
    const seen = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, seen);
    return behavior.failFirst !== undefined && seen > behavior.failFirst ? withoutFaults(behavior) : behavior;
  }
}

function matches(rule: MockRule, request: ChatRequest, headers: IncomingHttpHeaders): boolean {
  const match = rule.match;
  if (!match) return true;
  if (match.model !== undefined && match.model !== request.model) return false;
  if (match.promptIncludes !== undefined && !request.lastUserMessage.includes(match.promptIncludes)) return false;
  if (match.header !== undefined) {
    const value = headers[match.header[0].toLowerCase()];
    if ((Array.isArray(value) ? value.join(", ") : value) !== match.header[1]) return false;
  }
  return true;
}

function withoutFaults(behavior: MockBehavior): MockBehavior {
  const normal = { ...behavior };
  for (const field of FAULT_FIELDS) delete normal[field];
  return normal;
}
