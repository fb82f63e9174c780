/**
 * The tools every runtime has before any tools module is loaded: the file tools shipped Flocks
 * workflows call. A user tool with the same name replaces one (createRuntime registers these first).
 */
import type { ToolDefinition } from "../tool-registry.js";
import type { FileRoots } from "./confine-path.js";
import { createReadTool } from "./read-tool.js";
import { createWriteTool } from "./write-tool.js";

export function builtinTools(roots: FileRoots): Record<string, ToolDefinition> {
  return { write: createWriteTool(roots), read: createReadTool(roots) };
}
