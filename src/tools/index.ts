export { ToolRegistry, abandonOnAbort, envelopeText } from "./tool-registry.js";
export type { ToolContext, ToolDefinition, ToolEntry, ToolFunction, RunSafeEnvelope } from "./tool-registry.js";
export { loadToolModule } from "./load-tool-modules.js";
export { toPythonJson } from "./python-json.js";
