/**
 * Path lookup shared by edge mappings, `select_key`, `inputs_mapping` and `get_path` (reference
 * §2.7): trimmed; empty is not found; `$` is the whole value; a leading `$.` is dropped; segments
 * split on `.`; an object step needs the key present, an array step an integer index in range.
 */

export const NOT_FOUND: unique symbol = Symbol("flockflow.notFound");
export type Lookup = unknown | typeof NOT_FOUND;

export function lookupPath(data: unknown, rawPath: string): Lookup {
  const path = rawPath.trim();
  if (path === "") return NOT_FOUND;
  if (path === "$") return data;
  const body = path.startsWith("$.") ? path.slice(2) : path;
  let current: unknown = data;
  for (const segment of body.split(".")) {
    if (Array.isArray(current)) {
      if (!/^-?\d+$/.test(segment)) return NOT_FOUND;
      const index = Number(segment);
      if (index < 0 || index >= current.length) return NOT_FOUND;
      current = current[index];
    } else if (isPlainObject(current)) {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return NOT_FOUND;
      current = current[segment];
    } else {
      return NOT_FOUND;
    }
  }
  return current;
}

/** `get_path` for user code: null when missing. */
export function getPath(data: unknown, path: string): unknown {
  const value = lookupPath(data, path);
  return value === NOT_FOUND ? null : value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
