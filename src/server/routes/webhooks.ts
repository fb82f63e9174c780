/**
 * `POST /webhook/:workflowId/:triggerId` (SPEC §7): handed to the trigger manager, which owns the
 * per-trigger authentication (api key or HMAC), filtering, mapping and concurrency policy, and
 * answers the status and body. No bearer token: the trigger's own auth guards it.
 *
 * Registered in its own encapsulated context with a catch-all content-type parser that keeps the
 * exact bytes (HMAC signatures are over them) and parses JSON when it can, else keeps the text.
 */
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.js";

const params = {
  type: "object",
  required: ["workflowId", "triggerId"],
  properties: { workflowId: { type: "string", maxLength: 128 }, triggerId: { type: "string", maxLength: 256 } },
} as const;

export function registerWebhookRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: ctx.webhookBodyLimitBytes }, (_request, body, done) => done(null, body));

    scope.post<{ Params: { workflowId: string; triggerId: string }; Querystring: Record<string, unknown> }>(
      "/webhook/:workflowId/:triggerId",
      { config: { public: true }, schema: { params } },
      async (request, reply) => {
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await ctx.triggers.handleWebhook(request.params.workflowId, request.params.triggerId, {
          headers: request.headers,
          query: { ...request.query },
          rawBody,
          body: parseBody(rawBody),
        });
        return reply.code(answer.statusCode).send(answer.body);
      },
    );
  });
}

/** JSON when the bytes are JSON, else the text; an empty body is null. */
function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return null;
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
