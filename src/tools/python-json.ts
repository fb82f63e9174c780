/**
 * JSON text as Python's `json.dumps(value, ensure_ascii=False)` writes it: `", "` between items,
 * `": "` after keys, non-ASCII kept raw. Flocks' `run_safe` envelope puts this text in `text`, and
 * shipped workflows compare against it, so the separators matter.
 */
export function toPythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (Number.isNaN(value)) return "NaN";
      if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object": {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return toPythonJson(toJSON.call(value));
      if (Array.isArray(value)) return `[${value.map(toPythonJson).join(", ")}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || typeof v === "function") continue;
        parts.push(`${JSON.stringify(k)}: ${toPythonJson(v)}`);
      }
      return `{${parts.join(", ")}}`;
    }
    default:
      // Flocks stringifies values JSON cannot hold (default=str).
      return JSON.stringify(String(value));
  }
}
