/**
 * The built-in `write` tool, as shipped Flocks workflows call it:
 * `tool.run('write', filePath=..., content=...)`. It writes UTF-8 text, creating missing folders,
 * replacing an existing file, confined to the workspace and the allowed folders (confine-path.ts).
 * Content that is not a string is written as Flocks writes it: objects and lists as indented JSON,
 * anything else as its text.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ToolDefinition } from "../tool-registry.js";
import { resolveConfinedPath, type FileRoots } from "./confine-path.js";

export interface WriteResult {
  /** The absolute path written. */
  path: string;
  /** UTF-8 bytes written. */
  bytes: number;
}

export function createWriteTool(roots: FileRoots): ToolDefinition {
  return {
    description: "Write a UTF-8 text file in the workspace (or a folder config tools.allowed_dirs allows), creating missing folders. Relative paths are relative to the workspace.",
    parameters: {
      type: "object",
      properties: {
        filePath: { type: "string", description: "The file to write: relative to the workspace, or absolute inside an allowed folder." },
        content: { type: "string", description: "The text to write." },
      },
      required: ["filePath", "content"],
    },
    run: async (args, ctx): Promise<WriteResult> => {
      const target = resolveConfinedPath(args.filePath, roots);
      if (args.content === undefined) throw new Error("content is required");
      const text = contentText(args.content);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, text, { encoding: "utf8", signal: ctx.signal });
      return { path: target, bytes: Buffer.byteLength(text, "utf8") };
    },
  };
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (content !== null && typeof content === "object") return JSON.stringify(content, null, 2);
  return String(content);
}
