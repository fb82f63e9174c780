/**
 * The built-in `read` tool: `tool.run('read', filePath=..., offset=None, limit=None)` returns a
 * UTF-8 text file's content, or the `limit` lines from line `offset` (0-based, Flocks' meaning of
 * both). Unlike Flocks' agent-facing tool it returns the plain text, without line-number prefixes.
 * Same confinement as `write`.
 */
import { readFile } from "node:fs/promises";
import type { ToolDefinition } from "../tool-registry.js";
import { resolveConfinedPath, type FileRoots } from "./confine-path.js";

export function createReadTool(roots: FileRoots): ToolDefinition {
  return {
    description: "Read a UTF-8 text file in the workspace (or a folder config tools.allowed_dirs allows); optionally `limit` lines from line `offset` (0-based).",
    parameters: {
      type: "object",
      properties: {
        filePath: { type: "string", description: "The file to read: relative to the workspace, or absolute inside an allowed folder." },
        offset: { type: "integer", minimum: 0, description: "First line to return (0-based)." },
        limit: { type: "integer", minimum: 0, description: "Number of lines to return." },
      },
      required: ["filePath"],
    },
    run: async (args, ctx): Promise<string> => {
      const target = resolveConfinedPath(args.filePath, roots);
      const offset = lineCount(args.offset, "offset");
      const limit = lineCount(args.limit, "limit");
      let text: string;
      try {
        text = await readFile(target, { encoding: "utf8", signal: ctx.signal });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw new Error(`File not found: ${target}`);
        if (code === "EISDIR") throw new Error(`${target} is a folder, not a file`);
        throw error;
      }
      if (offset === undefined && limit === undefined) return text;
      const start = offset ?? 0;
      return text
        .split("\n")
        .slice(start, limit === undefined ? undefined : start + limit)
        .join("\n");
    },
  };
}

function lineCount(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Error(`${name} must be an integer >= 0; got ${JSON.stringify(value)}`);
  return value;
}
