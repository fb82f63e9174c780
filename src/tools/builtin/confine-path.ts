/**
 * Where the built-in file tools may touch the disk (SPEC §7 "Workspace"): inside the workspace or
 * one of the folders config `tools.allowed_dirs` adds. A relative path is taken against the
 * workspace, `~` against the runtime's home folder.
 *
 * The check is made on the path as it is on disk: the deepest part of it that exists is resolved
 * through its symbolic links (realpath) and the rest appended, and the roots are resolved the same
 * way. So `../x`, an absolute path elsewhere, and a link inside the workspace that points out are
 * all refused, while a workspace that itself sits behind a link (macOS `/tmp`) still works.
 *
 * This confines what the tools do for a caller (often text an LLM produced); it is not a sandbox:
 * Python code runs with the user's rights and can open any file itself (SPEC §4).
 */
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";

export interface FileRoots {
  /** The workspace: relative paths resolve here. */
  workspaceDir: string;
  /** More folders the tools may use (config `tools.allowed_dirs`), absolute. */
  allowedDirs: string[];
  /** What `~` means (the runtime's HOME). */
  homeDir?: string;
}

/** The absolute path `filePath` names, or an error naming it and the allowed roots. */
export function resolveConfinedPath(filePath: unknown, roots: FileRoots): string {
  if (typeof filePath !== "string" || filePath.trim() === "") throw new Error("filePath must be a non-empty string");
  const absolute = absolutePath(filePath, roots);
  const onDisk = realLocation(absolute, filePath);
  const rootList = [roots.workspaceDir, ...roots.allowedDirs].map((r) => path.resolve(r));
  if (rootList.some((root) => isInside(onDisk, realLocation(root, root)))) return absolute;
  const named = `allowed roots: ${rootList.join(", ")}`;
  if (rootList.some((root) => isInside(absolute, root))) {
    throw new Error(`path '${filePath}' leads through a symbolic link to ${onDisk}, outside the workspace and the allowed folders (${named})`);
  }
  throw new Error(`path '${filePath}' resolves to ${absolute}, outside the workspace and the allowed folders (${named})`);
}

function absolutePath(filePath: string, roots: FileRoots): string {
  if (roots.homeDir !== undefined && (filePath === "~" || filePath.startsWith("~/"))) return path.resolve(roots.homeDir, filePath.slice(2));
  return path.resolve(roots.workspaceDir, filePath);
}

/** `absolute` with its deepest existing part resolved through symbolic links. */
function realLocation(absolute: string, asGiven: string): string {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    if (exists(current)) {
      let real: string;
      try {
        real = realpathSync.native(current);
      } catch {
        // lstat saw it but realpath cannot follow it: a link to nothing (or a loop). Writing
        // through it would create its target wherever that is.
        throw new Error(`path '${asGiven}' goes through a symbolic link that points to nothing: ${current}`);
      }
      return path.join(real, ...missing.reverse());
    }
    const parent = path.dirname(current);
    if (parent === current) return absolute;
    missing.push(path.basename(current));
    current = parent;
  }
}

function exists(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function isInside(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return relative === "" || !(relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative));
}
