/**
 * The stored-history summary of a value (reference §2.10): long strings and deep collections are
 * replaced by short descriptions. Used only for history and logs, never for run outputs or data
 * that flows to another node (SPEC §3 "Fixed").
 *
 * Hot path: every step of a `summary`-history run (the default) summarises its inputs and outputs.
 * Objects are walked with `Object.keys` and built by assignment rather than with
 * `Object.entries`/`Object.fromEntries`, which allocate an array per property and cost several
 * times as much; only the properties that appear in the summary are read.
 */
import { setOwn } from "./own-key.js";

const STRING_LIMIT = 200;
const LIST_PREVIEW = 3;
const DICT_KEYS = 20;
const DICT_ENTRIES = 50;

export function summarize(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    return value.length > STRING_LIMIT ? { _type: "string", chars: value.length, preview: value.slice(0, STRING_LIMIT) } : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    if (depth >= 2) return { _type: "list", count: value.length };
    return { _type: "list", count: value.length, preview: value.slice(0, LIST_PREVIEW).map((v) => summarize(v, depth + 1)) };
  }
  const keys = Object.keys(value);
  if (depth >= 2) return { _type: "dict", keys: keys.length > DICT_KEYS ? keys.slice(0, DICT_KEYS) : keys };
  const summary: Record<string, unknown> = {};
  const count = Math.min(keys.length, DICT_ENTRIES);
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    setOwn(summary, key, summarize((value as Record<string, unknown>)[key], depth + 1));
  }
  return summary;
}
