/**
 * Compaction of stored payloads (reference flocks-service.md §4.3): run inputs and outputs, step
 * outputs and events are made small before they are written, never before they reach a node or a
 * caller (SPEC §7 "large payloads compacted in storage only"). Flocks' rules and limits are kept,
 * and each is configurable:
 *
 * - a string over `maxStringChars` (20k) becomes `{_type: "string", chars, preview}` (500 chars);
 * - a list over `maxListItems` (1k) becomes `{_type: "list", count, preview}` (3 items);
 * - a dict over `maxDictKeys` (200) becomes `{_type: "dict", key_count, keys}` (30 keys);
 * - the alert lists Flocks counts (`enriched_alerts`, …) over 100 items become `_<key>_count`;
 * - recursion stops at depth `maxDepth` (2), as in Flocks. Unlike Flocks, a container below that
 *   depth is not kept blindly: if its JSON is longer than `maxStringChars` it becomes
 *   `{_type: "truncated", chars, preview}`, so a large value cannot hide one level deeper.
 */

export interface CompactionLimits {
  maxStringChars: number;
  stringPreviewChars: number;
  maxListItems: number;
  listPreviewItems: number;
  maxDictKeys: number;
  dictPreviewKeys: number;
  maxDepth: number;
  /** Keys whose list values are replaced by their count (`_<key>_count`) when long. */
  countedListKeys: readonly string[];
  countedListMinItems: number;
}

export const DEFAULT_COMPACTION: Readonly<CompactionLimits> = Object.freeze({
  maxStringChars: 20_000,
  stringPreviewChars: 500,
  maxListItems: 1_000,
  listPreviewItems: 3,
  maxDictKeys: 200,
  dictPreviewKeys: 30,
  maxDepth: 2,
  countedListKeys: Object.freeze(["enriched_alerts", "unique_alerts", "raw_alerts", "normalized_alerts", "filtered_alerts"]),
  countedListMinItems: 100,
});

export function compactPayload(value: unknown, limits: CompactionLimits = DEFAULT_COMPACTION): unknown {
  return compact(value, 0, limits);
}

function compact(value: unknown, depth: number, limits: CompactionLimits): unknown {
  if (typeof value === "string") {
    return value.length > limits.maxStringChars ? { _type: "string", chars: value.length, preview: value.slice(0, limits.stringPreviewChars) } : value;
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxListItems) {
      return { _type: "list", count: value.length, preview: value.slice(0, limits.listPreviewItems).map((item) => compact(item, depth + 1, limits)) };
    }
    if (depth >= limits.maxDepth) return guardDeep(value, limits);
    return value.map((item) => compact(item, depth + 1, limits));
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length > limits.maxDictKeys) return { _type: "dict", key_count: keys.length, keys: keys.slice(0, limits.dictPreviewKeys) };
    if (depth >= limits.maxDepth) return guardDeep(value, limits);
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const item = record[key];
      if (Array.isArray(item) && item.length > limits.countedListMinItems && limits.countedListKeys.includes(key)) {
        out[`_${key}_count`] = item.length;
      } else {
        out[key] = compact(item, depth + 1, limits);
      }
    }
    return out;
  }
  return value;
}

/** Below the recursion depth: kept as is when small, else a preview of its JSON. */
function guardDeep(value: object, limits: CompactionLimits): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { _type: "unserializable" };
  }
  if (text === undefined || text.length <= limits.maxStringChars) return value;
  return { _type: "truncated", chars: text.length, preview: text.slice(0, limits.stringPreviewChars) };
}

/** Long text fields (error, traceback, stdout) keep their head and say how long they were. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… [truncated: ${text.length} chars]`;
}

/** JSON text of a compacted payload; `undefined` is stored as null. */
export function compactJson(value: unknown, limits: CompactionLimits): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(compactPayload(value, limits), jsonSafe);
  } catch {
    // A cycle (a tool returned a self-referencing object): the run is fine, only its record is not.
    return JSON.stringify({ _type: "unserializable" });
  }
  return text === undefined ? "null" : text;
}

/** BigInts (which JSON cannot hold) are stored as strings rather than failing the write. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
