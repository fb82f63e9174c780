export { createRuntime } from "./create-runtime.js";
export type { Runtime, RuntimeOptions, RunOptions } from "./create-runtime.js";
export { checkRequirements } from "../sandbox/python/check-requirements.js";
export type { RequirementStatus } from "../sandbox/python/check-requirements.js";
