/**
 * Generated logic-node code, cached so a loop does not regenerate it on every turn (issue 3 item 7;
 * reference §8.17: Flocks asks the LLM on every execution).
 *
 * Key: the SHA-256 of `JSON [description, language, model ?? ""]`. Two layers:
 * - on disk, `<dataDir>/logic-cache/<key>.json` = `{language, model, description, code, createdAt}`,
 *   written atomically (temp file, then rename), so a later process reuses it. A file that does not
 *   parse or does not match its key is ignored and overwritten by the next generation.
 * - in memory, one map per runtime (per `NodeServices` object) in front of the files, so a loop
 *   does not even read the file twice.
 *
 * Concurrent executions with the same key (a fan-out into one logic node) share one load-or-generate
 * instead of each asking the LLM. A waiter whose owner was stopped (cancel, deadline) while the waiter
 * itself was not generates on its own.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { isCancellation, isTimeout } from "../errors.js";
import type { CodeLanguage } from "../model/types.js";
import { abandonOnAbort } from "../tools/tool-registry.js";
import type { NodeServices } from "./types.js";

export interface LogicCodeKey {
  description: string;
  language: CodeLanguage;
  model: string | undefined;
}

interface CacheFile {
  language: CodeLanguage;
  model: string | null;
  description: string;
  code: string;
  createdAt: string;
}

/** Most entries kept in memory per runtime; the oldest goes first (files stay). */
const MEMORY_ENTRIES = 512;

const caches = new WeakMap<NodeServices, LogicCodeCache>();

export function logicCacheKey(key: LogicCodeKey): string {
  return createHash("sha256").update(JSON.stringify([key.description, key.language, key.model ?? ""])).digest("hex");
}

export class LogicCodeCache {
  readonly #dir: string;
  readonly #memory = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The cache of a runtime: one per services object, under its data folder. */
  static of(services: NodeServices): LogicCodeCache {
    let cache = caches.get(services);
    if (!cache) {
      cache = new LogicCodeCache(path.join(services.dataDir, "logic-cache"));
      caches.set(services, cache);
    }
    return cache;
  }

  /**
   * The cached code for `key`, else `generate()`'s, which is then stored. Rejects with
   * `signal.reason` once the signal aborts, and with generate()'s error as it is.
   */
  async getOrGenerate(key: LogicCodeKey, signal: AbortSignal, generate: () => Promise<string>): Promise<string> {
    const hash = logicCacheKey(key);
    const remembered = this.#memory.get(hash);
    if (remembered !== undefined) return remembered;
    const pending = this.#pending.get(hash);
    if (pending) {
      try {
        return await abandonOnAbort(pending, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // The owner was stopped, not this execution: fall through and do the work here.
        if (!isCancellation(error) && !isTimeout(error)) throw error;
      }
    }
    const work = this.#loadOrGenerate(hash, key, signal, generate);
    this.#pending.set(hash, work);
    try {
      const code = await work;
      this.#remember(hash, code);
      return code;
    } finally {
      if (this.#pending.get(hash) === work) this.#pending.delete(hash);
    }
  }

  async #loadOrGenerate(hash: string, key: LogicCodeKey, signal: AbortSignal, generate: () => Promise<string>): Promise<string> {
    const file = path.join(this.#dir, `${hash}.json`);
    const stored = await readCacheFile(file, key);
    signal.throwIfAborted();
    if (stored !== undefined) return stored;
    const code = await generate();
    await writeCacheFile(file, { language: key.language, model: key.model ?? null, description: key.description, code, createdAt: new Date().toISOString() });
    signal.throwIfAborted();
    return code;
  }

  #remember(hash: string, code: string): void {
    this.#memory.delete(hash);
    this.#memory.set(hash, code);
    if (this.#memory.size > MEMORY_ENTRIES) this.#memory.delete(this.#memory.keys().next().value!);
  }
}

/** The stored code, or undefined when the file is missing, corrupt or for another key. */
async function readCacheFile(file: string, key: LogicCodeKey): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const entry = JSON.parse(text) as Partial<CacheFile> | null;
    const matches =
      entry !== null &&
      typeof entry === "object" &&
      typeof entry.code === "string" &&
      entry.code.trim() !== "" &&
      entry.description === key.description &&
      entry.language === key.language &&
      (entry.model ?? null) === (key.model ?? null);
    return matches ? entry.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Temp file in the same folder, then rename: a reader sees the old file or the whole new one.
 * Best effort: a data folder that cannot be written loses the disk layer only (the generated code
 * is still used and kept in memory), so a write failure does not fail the node.
 */
async function writeCacheFile(file: string, entry: CacheFile): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`, "utf8");
    await rename(temp, file);
  } catch {
    await unlink(temp).catch(() => {});
  }
}
