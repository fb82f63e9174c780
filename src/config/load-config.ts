/**
 * Configuration discovery and reading (SPEC §6): `--config FILE`, else `$FLOCKFLOW_CONFIG`, else
 * `./flockflow.json`, else `~/.flockflow/config.json`; none is fine (empty config). JSON or JSONC.
 * `{env:NAME}` and `{secret:ID}` references are resolved in every string value; a reference that
 * cannot be resolved is an error naming the key path.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { ConfigError } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";
import { lineAndColumn } from "../model/load-workflow.js";

export interface FlockflowConfig {
  tools?: { modules?: string[]; allowed_dirs?: string[] };
  workflows?: { dirs?: string[] };
  workspace?: { dir?: string };
  data?: { dir?: string };
  python?: { executable?: string; max_workers?: number };
  [key: string]: unknown;
}

export interface LoadedConfig {
  config: FlockflowConfig;
  /** Absolute path of the file read, or undefined when no config file exists. */
  source: string | undefined;
}

export interface ConfigDiscovery {
  explicitPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  homeDir?: string;
}

export function findConfigFile(options: ConfigDiscovery = {}): string | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.explicitPath) {
    const file = path.resolve(cwd, options.explicitPath);
    if (!existsSync(file)) throw new ConfigError("--config", `file not found: ${file}`);
    return file;
  }
  if (env.FLOCKFLOW_CONFIG) {
    const file = path.resolve(cwd, env.FLOCKFLOW_CONFIG);
    if (!existsSync(file)) throw new ConfigError("FLOCKFLOW_CONFIG", `file not found: ${file}`);
    return file;
  }
  const local = path.join(cwd, "flockflow.json");
  if (existsSync(local)) return local;
  const home = path.join(options.homeDir ?? os.homedir(), ".flockflow", "config.json");
  if (existsSync(home)) return home;
  return undefined;
}

export function loadConfig(options: ConfigDiscovery = {}): LoadedConfig {
  const source = findConfigFile(options);
  if (!source) return { config: {}, source: undefined };
  const env = options.env ?? process.env;
  const text = readFileSync(source, "utf8");
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const { line, column } = lineAndColumn(text, errors[0]!.offset);
    throw new ConfigError(`line ${line}, column ${column}`, `invalid JSON: ${printParseErrorCode(errors[0]!.error)}`, source);
  }
  if (!isPlainObject(value)) throw new ConfigError("$", "the top level must be an object", source);
  const secrets = lazySecrets(env, options.homeDir);
  const config = resolveReferences(value, "", env, secrets, source) as FlockflowConfig;
  checkShape(config, source);
  resolvePaths(config, path.dirname(source));
  return { config, source };
}

/** Where secrets live (SPEC §6): `$FLOCKFLOW_SECRETS`, else `~/.flockflow/secrets.json`. */
export function secretsFilePath(env: NodeJS.ProcessEnv = process.env, homeDir?: string): string {
  return env.FLOCKFLOW_SECRETS ?? path.join(homeDir ?? env.HOME ?? os.homedir(), ".flockflow", "secrets.json");
}

function lazySecrets(env: NodeJS.ProcessEnv, homeDir?: string): () => Record<string, unknown> {
  let cached: Record<string, unknown> | undefined;
  return () => {
    if (cached) return cached;
    const file = secretsFilePath(env, homeDir);
    if (!existsSync(file)) {
      cached = {};
      return cached;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError("$", `secrets file is not valid JSON: ${(error as Error).message}`, file);
    }
    if (!isPlainObject(parsed)) throw new ConfigError("$", "secrets file must be a flat JSON object", file);
    cached = parsed;
    return cached;
  };
}

const REFERENCE = /\{(env|secret):([^}]+)\}/g;

function resolveReferences(value: unknown, keyPath: string, env: NodeJS.ProcessEnv, secrets: () => Record<string, unknown>, source: string): unknown {
  if (typeof value === "string") {
    return value.replace(REFERENCE, (_match, kind: string, rawName: string) => {
      const name = rawName.trim();
      if (kind === "env") {
        const v = env[name];
        if (v === undefined) throw new ConfigError(keyPath || "$", `environment variable ${name} is not set`, source);
        return v;
      }
      const v = secrets()[name];
      if (typeof v !== "string") throw new ConfigError(keyPath || "$", `secret '${name}' is not defined`, source);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, `${keyPath}[${i}]`, env, secrets, source));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveReferences(v, keyPath ? `${keyPath}.${k}` : k, env, secrets, source);
    return out;
  }
  return value;
}

function stringList(config: Record<string, unknown>, section: string, key: string, source: string): void {
  const s = config[section];
  if (s === undefined) return;
  if (!isPlainObject(s)) throw new ConfigError(section, "must be an object", source);
  const v = s[key];
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new ConfigError(`${section}.${key}`, "must be a list of strings", source);
}

/** Paths in a config file are relative to that file's folder, not to wherever the CLI was started. */
function resolvePaths(config: FlockflowConfig, baseDir: string): void {
  if (config.tools?.modules) config.tools.modules = config.tools.modules.map((p) => path.resolve(baseDir, p));
  if (config.tools?.allowed_dirs) config.tools.allowed_dirs = config.tools.allowed_dirs.map((p) => path.resolve(baseDir, p));
  if (config.workflows?.dirs) config.workflows.dirs = config.workflows.dirs.map((p) => path.resolve(baseDir, p));
  if (config.workspace?.dir) config.workspace.dir = path.resolve(baseDir, config.workspace.dir);
  if (config.data?.dir) config.data.dir = path.resolve(baseDir, config.data.dir);
}

function checkShape(config: FlockflowConfig, source: string): void {
  if (config.python !== undefined) {
    if (!isPlainObject(config.python)) throw new ConfigError("python", "must be an object", source);
    const { executable, max_workers: maxWorkers } = config.python;
    if (executable !== undefined && (typeof executable !== "string" || executable.trim() === "")) throw new ConfigError("python.executable", "must be a non-empty string", source);
    if (maxWorkers !== undefined && (typeof maxWorkers !== "number" || !Number.isInteger(maxWorkers) || maxWorkers < 1)) {
      throw new ConfigError("python.max_workers", "must be an integer >= 1", source);
    }
  }
  stringList(config, "tools", "modules", source);
  stringList(config, "tools", "allowed_dirs", source);
  stringList(config, "workflows", "dirs", source);
  for (const section of ["workspace", "data"] as const) {
    const value = config[section];
    if (value === undefined) continue;
    if (!isPlainObject(value)) throw new ConfigError(section, "must be an object", source);
    if (value.dir !== undefined && typeof value.dir !== "string") throw new ConfigError(`${section}.dir`, "must be a string", source);
  }
}
