/**
 * Publishing (SPEC §7): each publish stores a new immutable snapshot of the draft as the active
 * release; `/invoke/:id` runs that release, whatever happens to the draft afterwards. The invoke
 * key is created on the first publish (or when `rotateKey` is set), returned that once, and stored
 * only as its sha256: a 256-bit random key needs no slow hash, and a fast one keeps `/invoke` cheap.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../app-context.js";
import { sha256Hex } from "../auth.js";
import { notFound } from "../http-errors.js";
import { emptyBody, workflowIdParams } from "./schemas.js";

const publishBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: { rotateKey: { type: "boolean" } },
} as const;

export function registerReleaseRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, folders, prepared } = ctx;

  app.post<{ Params: { id: string }; Body: { rotateKey?: boolean } | null }>(
    "/api/workflows/:id/publish",
    { schema: { params: workflowIdParams, body: publishBody } },
    async (request, reply) => {
      const { id } = request.params;
      // Checked exactly like a save: an invalid draft cannot become an API.
      await prepared.draft(id);
      const snapshot = folders.read(id)!.value;
      const releaseId = randomUUID().replace(/-/g, "");
      let apiKey: string | null = null;
      if (request.body?.rotateKey === true || store.apiKeyHash(id) === undefined) {
        apiKey = randomBytes(32).toString("hex");
        store.setApiKeyHash(id, sha256Hex(apiKey));
      }
      store.createRelease(id, releaseId, snapshot);
      return reply.code(201).send({ releaseId, apiKey, invokeUrl: invokeUrl(ctx, request, id) });
    },
  );

  app.post<{ Params: { id: string } }>("/api/workflows/:id/unpublish", { schema: { params: workflowIdParams, body: emptyBody } }, async (request) => {
    const { id } = request.params;
    const active = store.activeRelease(id);
    if (!active && !folders.exists(id)) throw notFound(`workflow '${id}'`);
    store.deactivateReleases(id);
    return { workflowId: id, published: false, releaseId: active?.releaseId ?? null };
  });
}

function invokeUrl(ctx: AppContext, request: FastifyRequest, id: string): string {
  const base = ctx.publicUrl ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, "")}/invoke/${encodeURIComponent(id)}`;
}
