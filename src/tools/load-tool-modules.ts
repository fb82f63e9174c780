/**
 * Tools modules: ES modules whose default export maps tool names to a function or to
 * `{ description, parameters, run }` (SPEC §7). Paths are resolved against `baseDir`.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ToolModuleError } from "../errors.js";
import { isPlainObject } from "../model/get-path.js";
import type { ToolEntry } from "./tool-registry.js";

export async function loadToolModule(modulePath: string, baseDir = process.cwd()): Promise<Record<string, ToolEntry>> {
  const absolute = path.resolve(baseDir, modulePath);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    throw new ToolModuleError(absolute, `cannot be imported: ${(error as Error).message}`, error);
  }
  const exported = mod.default;
  if (!isPlainObject(exported)) {
    throw new ToolModuleError(absolute, "its default export must be an object mapping tool names to tools");
  }
  const tools: Record<string, ToolEntry> = {};
  for (const [name, entry] of Object.entries(exported)) {
    if (typeof entry === "function") tools[name] = entry as ToolEntry;
    else if (isPlainObject(entry) && typeof entry.run === "function") tools[name] = entry as unknown as ToolEntry;
    else throw new ToolModuleError(absolute, `tool '${name}' must be a function or an object with a run function`);
  }
  return tools;
}
