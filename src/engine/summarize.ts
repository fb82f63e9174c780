/**
 * The stored-history summary of a value (reference §2.10): long strings and deep collections are
 * replaced by short descriptions. Used only for history and logs, never for run outputs or data
 * that flows to another node (SPEC §3 "Fixed").
 */
const STRING_LIMIT = 200;

export function summarize(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    return value.length > STRING_LIMIT ? { _type: "string", chars: value.length, preview: value.slice(0, STRING_LIMIT) } : value;
  }
  if (Array.isArray(value)) {
    if (depth >= 2) return { _type: "list", count: value.length };
    return { _type: "list", count: value.length, preview: value.slice(0, 3).map((v) => summarize(v, depth + 1)) };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (depth >= 2) return { _type: "dict", keys: entries.slice(0, 20).map(([k]) => k) };
    return Object.fromEntries(entries.slice(0, 50).map(([k, v]) => [k, summarize(v, depth + 1)]));
  }
  return value;
}
