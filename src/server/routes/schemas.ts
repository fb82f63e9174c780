/** JSON schemas shared by the routes (validated by Fastify's ajv; errors name the field). */
import { WORKFLOW_ID_PATTERN } from "../workflow-folders.js";

export const RUN_ID_PATTERN = "^[A-Za-z0-9_-]{1,128}$";

export const workflowIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: WORKFLOW_ID_PATTERN } },
} as const;

export const runIdParams = {
  type: "object",
  required: ["runId"],
  properties: { runId: { type: "string", pattern: RUN_ID_PATTERN } },
} as const;

export const inputsSchema = { type: "object" } as const;
export const timeoutSchema = { type: "number", exclusiveMinimum: 0 } as const;

/** Routes that take no body still refuse one with fields in it (a typo is not silently ignored). */
export const emptyBody = { type: ["object", "null"], additionalProperties: false, properties: {} } as const;
