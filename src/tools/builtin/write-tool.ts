/**
 * The built-in `write` tool, as shipped Flocks workflows call it:
 * `tool.run('write', filePath=..., content=...)`. It writes UTF-8 text, creating missing folders,
 * replacing an existing file, confined to the workspace and the allowed folders (confine-path.ts).
 * Content that is not a string is written as Flocks writes it: objects and lists as indented JSON,
 * anything else as its text.
 *
 * Small files (up to SYNC_WRITE_BYTES, the reports workflows write) are written synchronously, in
 * place: opened without O_TRUNC, written, then cut to the new length. A page-cache write of a few
 * KiB costs ~20 µs this way, where the promise API costs four thread-pool round trips (mkdir, open,
 * write, close, ~500 µs in all) and truncating to zero first costs ~600 µs on ext4, which flushes a
 * file truncated to zero when it is closed (auto_da_alloc). Larger content goes through the thread
 * pool and can be aborted. Neither way is atomic for a concurrent reader, as in Flocks.
 */
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
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

/** Content up to this size is written synchronously (see the header). */
export const SYNC_WRITE_BYTES = 64 * 1024;

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
      const bytes = Buffer.byteLength(text, "utf8");
      if (bytes <= SYNC_WRITE_BYTES) {
        mkdirSync(path.dirname(target), { recursive: true });
        writeInPlace(target, Buffer.from(text, "utf8"));
        return { path: target, bytes };
      }
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, text, { encoding: "utf8", signal: ctx.signal });
      return { path: target, bytes };
    },
  };
}

/** Replace the file's content without truncating it to zero first (see the header). */
function writeInPlace(file: string, data: Buffer): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT, 0o666);
  try {
    for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (content !== null && typeof content === "object") return JSON.stringify(content, null, 2);
  return String(content);
}
