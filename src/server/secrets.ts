/**
 * `secretRef` → value for webhook triggers: the same secrets file as config `{secret:ID}` (SPEC §6:
 * `$FLOCKFLOW_SECRETS`, else `~/.flockflow/secrets.json`). Re-read when the file changes, so a
 * rotated secret takes effect without a restart; an unreadable file resolves nothing.
 */
import { readFileSync, statSync } from "node:fs";
import { secretsFilePath } from "../config/load-config.js";
import { isPlainObject } from "../model/get-path.js";

export function createSecretResolver(env: NodeJS.ProcessEnv = process.env): (ref: string) => string | undefined {
  const file = secretsFilePath(env);
  let version = "";
  let secrets: Record<string, unknown> = {};
  return (ref) => {
    let current: string;
    try {
      const info = statSync(file);
      current = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch {
      return undefined;
    }
    if (current !== version) {
      version = current;
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
        secrets = isPlainObject(parsed) ? parsed : {};
      } catch {
        secrets = {};
      }
    }
    const value = secrets[ref];
    return typeof value === "string" ? value : undefined;
  };
}
