/**
 * Where the service's bearer tokens come from (SPEC §7): config `server.api_tokens`, else
 * `$FLOCKFLOW_API_TOKEN`, else the token file under the data dir, generated on first start with
 * mode 0600. Only a freshly generated token is returned as `generated`, so the CLI prints it once.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const API_TOKEN_FILE = "api-token";

export interface ResolvedTokens {
  tokens: string[];
  source: "config" | "env" | "file";
  /** Set only when this call created the token file. */
  generated?: string;
  file?: string;
}

export function resolveApiTokens(options: { configTokens?: readonly string[]; env?: NodeJS.ProcessEnv; dataDir: string }): ResolvedTokens {
  const configured = (options.configTokens ?? []).map((t) => t.trim()).filter((t) => t !== "");
  if (configured.length > 0) return { tokens: configured, source: "config" };
  const fromEnv = (options.env ?? process.env).FLOCKFLOW_API_TOKEN?.trim();
  if (fromEnv) return { tokens: [fromEnv], source: "env" };

  const file = path.join(options.dataDir, API_TOKEN_FILE);
  const existing = readTokenFile(file);
  if (existing !== undefined) return { tokens: [existing], source: "file", file };
  mkdirSync(options.dataDir, { recursive: true });
  const token = `fft_${randomBytes(24).toString("base64url")}`;
  try {
    // "wx": two servers starting on one data dir at once must not overwrite each other's token.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const raced = readTokenFile(file);
    if (raced !== undefined) return { tokens: [raced], source: "file", file };
    // An empty token file: replace it.
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return { tokens: [token], source: "file", generated: token, file };
}

function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const token = text.trim();
  return token === "" ? undefined : token;
}
