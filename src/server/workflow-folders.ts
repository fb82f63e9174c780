/**
 * Workflow folders (reference flocks-service.md §1.1): each `--workflows` root (then config
 * `workflows.dirs`) holds `<id>/workflow.json`, with optional `meta.json` and `workflow.md`. The
 * files are the source of truth; the service keeps no copy of a draft.
 *
 * - An id present in several roots: the first root wins (SPEC §2's lookup order), and a delete
 *   removes the id from every root so a shadowed copy cannot reappear.
 * - New workflows go to the first root.
 * - Ids are folder names checked against path traversal before any path is built.
 * - Writes are atomic: a temporary file in the same folder, fsync, then rename over the target, so
 *   a reader (or a crash) sees the old file or the new one, never half of one.
 * - Changes made on disk by anything else are picked up: each read checks the file's version
 *   (mtime, size, inode) and re-parses only when it changed; `pollChanges()` reports what changed
 *   since it last looked, and reads report changes they notice to `onChange` too.
 *
 * File access is synchronous: the files are small, and a synchronous read-modify-write cannot
 * interleave with another request of this process.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import type { ValidationIssue } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";
import { parseJsonText } from "../model/load-workflow.js";

export const WORKFLOW_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$";
const ID_RE = new RegExp(WORKFLOW_ID_PATTERN);

export const WORKFLOW_FILE = "workflow.json";
export const META_FILE = "meta.json";
export const MARKDOWN_FILE = "workflow.md";

export function isValidWorkflowId(id: string): boolean {
  return ID_RE.test(id) && !id.includes("..");
}

export interface WorkflowDraft {
  id: string;
  dir: string;
  /** Absolute path of `workflow.json`. */
  file: string;
  /** The parsed `workflow.json`; undefined when it is not valid JSON (see `parseIssues`). */
  value: unknown;
  parseIssues: ValidationIssue[];
  /** Changes whenever the file does (mtime, size, inode). */
  version: string;
  mtimeMs: number;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  description: string | null;
  updatedAt: string;
  /** False when `workflow.json` is not valid JSON. */
  readable: boolean;
}

export type WorkflowChangeListener = (id: string, draft: WorkflowDraft | undefined) => void;

export class WorkflowFolders {
  readonly roots: readonly string[];
  readonly #cache = new Map<string, WorkflowDraft>();
  /** The version of each id last reported (by pollChanges, a read, or our own write). */
  readonly #known = new Map<string, string>();
  readonly #listeners = new Set<WorkflowChangeListener>();

  constructor(roots: readonly string[]) {
    if (roots.length === 0) throw new RangeError("at least one workflows folder is needed");
    this.roots = [...new Set(roots.map((root) => path.resolve(root)))];
    mkdirSync(this.roots[0]!, { recursive: true });
    for (const id of this.ids()) {
      const draft = this.#load(id);
      if (draft) this.#known.set(id, draft.version);
    }
  }

  onChange(listener: WorkflowChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every id with a `workflow.json`, sorted. */
  ids(): string[] {
    const ids = new Set<string>();
    for (const root of this.roots) {
      let names: string[];
      try {
        names = readdirSync(root);
      } catch {
        continue;
      }
      for (const name of names) {
        if (isValidWorkflowId(name) && fileStat(path.join(root, name, WORKFLOW_FILE))) ids.add(name);
      }
    }
    return [...ids].sort();
  }

  exists(id: string): boolean {
    return this.#locate(id) !== undefined;
  }

  /** The current draft, re-parsed only when the file changed; undefined when there is none. */
  read(id: string): WorkflowDraft | undefined {
    const draft = this.#load(id);
    const version = draft?.version;
    if (this.#known.get(id) !== version) {
      this.#remember(id, version);
      this.#emit(id, draft);
    }
    return draft;
  }

  readMarkdown(id: string): string | null {
    const located = this.#locate(id);
    if (!located) return null;
    try {
      return readFileSync(path.join(located.dir, MARKDOWN_FILE), "utf8");
    } catch {
      return null;
    }
  }

  readMeta(id: string): Record<string, unknown> | null {
    const located = this.#locate(id);
    if (!located) return null;
    try {
      const value = JSON.parse(readFileSync(path.join(located.dir, META_FILE), "utf8")) as unknown;
      return isPlainObject(value) ? value : null;
    } catch {
      return null;
    }
  }

  summary(id: string): WorkflowSummary | undefined {
    const draft = this.read(id);
    if (!draft) return undefined;
    const meta = this.readMeta(id) ?? {};
    const value = isPlainObject(draft.value) ? draft.value : {};
    const name = firstString(meta.name, value.name, markdownTitle(this.readMarkdown(id))) ?? id;
    const description = firstString(meta.description, value.description) ?? null;
    let latest = draft.mtimeMs;
    for (const file of [META_FILE, MARKDOWN_FILE]) latest = Math.max(latest, fileStat(path.join(draft.dir, file))?.mtimeMs ?? 0);
    return { id, name, description, updatedAt: new Date(latest).toISOString(), readable: draft.parseIssues.length === 0 };
  }

  /** Writes a new workflow into the first root; false when the id already exists. */
  create(id: string, value: unknown, markdown?: string): boolean {
    assertId(id);
    if (this.exists(id)) return false;
    const dir = path.join(this.roots[0]!, id);
    mkdirSync(dir, { recursive: true });
    const now = new Date().toISOString();
    const workflow = isPlainObject(value) ? value : {};
    writeAtomic(path.join(dir, META_FILE), `${JSON.stringify(pruned({ id, name: workflow.name, description: workflow.description, createdAt: now, updatedAt: now }), null, 2)}\n`);
    if (markdown !== undefined) writeAtomic(path.join(dir, MARKDOWN_FILE), markdown);
    // workflow.json last: the folder only counts as a workflow once it is complete.
    writeAtomic(path.join(dir, WORKFLOW_FILE), `${JSON.stringify(value, null, 2)}\n`);
    this.#remember(id, this.#load(id)?.version);
    return true;
  }

  /** Rewrites an existing workflow where it lives; false when there is none. */
  update(id: string, value: unknown, markdown?: string): boolean {
    assertId(id);
    const located = this.#locate(id);
    if (!located) return false;
    if (markdown !== undefined) writeAtomic(path.join(located.dir, MARKDOWN_FILE), markdown);
    const meta = this.readMeta(id);
    if (meta) {
      const workflow = isPlainObject(value) ? value : {};
      const next: Record<string, unknown> = { ...meta, updatedAt: new Date().toISOString() };
      if (typeof workflow.name === "string") next.name = workflow.name;
      if (typeof workflow.description === "string") next.description = workflow.description;
      writeAtomic(path.join(located.dir, META_FILE), `${JSON.stringify(next, null, 2)}\n`);
    }
    writeAtomic(located.file, `${JSON.stringify(value, null, 2)}\n`);
    this.#remember(id, this.#load(id)?.version);
    return true;
  }

  /** Removes the id's folder from every root; false when there was none. */
  remove(id: string): boolean {
    assertId(id);
    let removed = false;
    for (const root of this.roots) {
      const dir = path.join(root, id);
      if (!fileStat(path.join(dir, WORKFLOW_FILE))) continue;
      rmSync(dir, { recursive: true, force: true });
      removed = true;
    }
    this.#cache.delete(id);
    this.#remember(id, undefined);
    return removed;
  }

  /** Ids whose file appeared, changed or disappeared since last seen; listeners are told too. */
  pollChanges(): Array<{ id: string; draft: WorkflowDraft | undefined }> {
    const changes: Array<{ id: string; draft: WorkflowDraft | undefined }> = [];
    const current = new Set(this.ids());
    for (const id of new Set([...current, ...this.#known.keys()])) {
      const draft = current.has(id) ? this.#load(id) : undefined;
      if (this.#known.get(id) === draft?.version) continue;
      this.#remember(id, draft?.version);
      changes.push({ id, draft });
    }
    for (const { id, draft } of changes) this.#emit(id, draft);
    return changes;
  }

  #remember(id: string, version: string | undefined): void {
    if (version === undefined) this.#known.delete(id);
    else this.#known.set(id, version);
  }

  #emit(id: string, draft: WorkflowDraft | undefined): void {
    for (const listener of this.#listeners) listener(id, draft);
  }

  #locate(id: string): { dir: string; file: string } | undefined {
    if (!isValidWorkflowId(id)) return undefined;
    for (const root of this.roots) {
      const dir = path.join(root, id);
      const file = path.join(dir, WORKFLOW_FILE);
      if (fileStat(file)?.isFile()) return { dir, file };
    }
    return undefined;
  }

  #load(id: string): WorkflowDraft | undefined {
    const located = this.#locate(id);
    if (!located) {
      this.#cache.delete(id);
      return undefined;
    }
    const info = fileStat(located.file);
    if (!info) return undefined;
    const version = `${located.file}:${info.mtimeMs}:${info.size}:${info.ino}`;
    const cached = this.#cache.get(id);
    if (cached && cached.version === version) return cached;
    let value: unknown;
    let parseIssues: ValidationIssue[] = [];
    try {
      value = parseJsonText(readFileSync(located.file, "utf8"), located.file);
    } catch (error) {
      parseIssues = (error as { issues?: ValidationIssue[] }).issues ?? [
        { location: "$", rule: "unreadable", message: (error as Error).message, severity: "error" },
      ];
    }
    const draft: WorkflowDraft = { id, dir: located.dir, file: located.file, value, parseIssues, version, mtimeMs: info.mtimeMs };
    this.#cache.set(id, draft);
    return draft;
  }
}

function assertId(id: string): void {
  if (!isValidWorkflowId(id)) throw new RangeError(`invalid workflow id: ${JSON.stringify(id)}`);
}

function fileStat(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** Temporary file in the target's own folder (same filesystem), fsync, rename over the target. */
export function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (error) {
    unlinkSync(tmp);
    throw error;
  }
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value.trim() !== "") return value;
  return undefined;
}

function markdownTitle(markdown: string | null): string | undefined {
  return markdown === null ? undefined : /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim();
}

function pruned(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
