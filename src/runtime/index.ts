export { createRuntime } from "./create-runtime.js";
export type { Runtime, RuntimeOptions, RunOptions } from "./create-runtime.js";
