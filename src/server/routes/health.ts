/** `GET /health` → `{ok, version}`: the one route that needs no credentials at all. */
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.js";

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get("/health", { config: { public: true } }, async () => ({ ok: true, version: ctx.version }));
}
