/**
 * How the service answers when something is wrong: always a JSON body `{error, ...}` whose `error`
 * says what, naming the field when a body fails its schema (`body/inputs must be object`).
 *
 * HttpError is a response, not a flockflow error: it never leaves the server, so it has a status
 * instead of an error code.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { describeError } from "../errors.js";

export class HttpError extends Error {
  readonly statusCode: number;
  readonly extra: Record<string, unknown>;

  constructor(statusCode: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "HttpError";
    this.statusCode = statusCode;
    this.extra = extra;
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Fastify's `schemaErrorFormatter`: the first schema error as one sentence that names the field.
 * Ajv's own wording leaves the field out for two keywords, so those are rephrased.
 */
export function formatSchemaError(errors: AjvError[], dataVar: string): Error {
  const first = errors[0];
  if (!first) return new Error(`${dataVar} is invalid`);
  const at = `${dataVar}${first.instancePath}`;
  switch (first.keyword) {
    case "required":
      return new Error(`${at}/${String(first.params.missingProperty)} is required`);
    case "additionalProperties":
      return new Error(`${at}/${String(first.params.additionalProperty)} is not an allowed property`);
    default:
      return new Error(`${at} ${first.message ?? "is invalid"}`);
  }
}

export type ErrorLogger = (message: string) => void;

export function createErrorHandler(log: ErrorLogger) {
  return function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
    if (error instanceof HttpError) {
      reply.code(error.statusCode).send({ error: error.message, ...error.extra });
      return;
    }
    if ((error as { name?: string }).name === "WorkflowValidationError") {
      const issues = (error as unknown as { issues: unknown[] }).issues;
      reply.code(400).send({ error: "invalid workflow", issues });
      return;
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      reply.code(400).send({ error: error.message });
      return;
    }
    const status = fastifyError.statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      reply.code(status).send({ error: error.message });
      return;
    }
    log(`error: ${request.method} ${request.url}: ${describeError(error)}\n${error.stack ?? ""}`);
    reply.code(500).send({ error: "internal server error" });
  };
}
