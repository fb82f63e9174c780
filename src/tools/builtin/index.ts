export { builtinTools } from "./builtin-tools.js";
export { resolveConfinedPath } from "./confine-path.js";
export type { FileRoots } from "./confine-path.js";
export { createReadTool } from "./read-tool.js";
export { createWriteTool } from "./write-tool.js";
export type { WriteResult } from "./write-tool.js";
