/**
 * `POST /invoke/:id` (SPEC §7): runs the workflow's active release and answers with its result.
 *
 * - The key (`x-api-key`) is checked in this route's own `onRequest` hook, so a caller without the
 *   right key gets 401 before the body is read or the workflow's existence is revealed. The
 *   compare is constant-time against the stored sha256 (and against a dummy hash when the workflow
 *   has no key, so timing does not tell the two apart).
 * - At most `invokeConcurrency` runs per workflow are in flight; the next call gets 429.
 * - Each run has a timeout: the service's `invokeTimeoutS` (default 300 s), lowered by `timeout_s`.
 * - A caller that disconnects cancels its run.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../app-context.js";
import { matchesHash, sha256Hex } from "../auth.js";
import { cancelOnDisconnect } from "../cancel-on-disconnect.js";
import { HttpError } from "../http-errors.js";
import { inputsSchema, timeoutSchema, workflowIdParams } from "./schemas.js";
import { startRun } from "./runs.js";

const invokeBody = {
  type: "object",
  additionalProperties: false,
  properties: { inputs: inputsSchema, timeout_s: timeoutSchema },
} as const;

const NO_KEY_HASH = sha256Hex("flockflow: this workflow has no invoke key");

export function registerInvokeRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, prepared } = ctx;
  const inFlight = new Map<string, number>();

  const checkKey = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, done: (error?: Error) => void): void => {
    const header = request.headers["x-api-key"];
    const key = Array.isArray(header) ? header[0] : header;
    const expected = store.apiKeyHash(request.params.id);
    const ok = matchesHash(key ?? "", expected ?? NO_KEY_HASH) && key !== undefined && expected !== undefined;
    if (ok) {
      done();
      return;
    }
    reply.code(401).send({ error: "unauthorized: send the workflow's key in x-api-key" });
  };

  app.post<{ Params: { id: string }; Body: { inputs?: Record<string, unknown>; timeout_s?: number } }>(
    "/invoke/:id",
    { config: { public: true }, onRequest: checkKey, schema: { params: workflowIdParams, body: invokeBody } },
    async (request, reply) => {
      const { id } = request.params;
      const releaseId = store.activeReleaseId(id);
      if (!releaseId) throw new HttpError(404, `workflow '${id}' is not published`);
      const running = inFlight.get(id) ?? 0;
      if (running >= ctx.invokeConcurrency) {
        reply.header("retry-after", "1");
        throw new HttpError(429, `too many invocations of '${id}' in flight (limit ${ctx.invokeConcurrency})`);
      }
      inFlight.set(id, running + 1);
      try {
        const workflow = await prepared.release(releaseId, () => store.release(releaseId));
        const run = startRun(ctx, {
          workflowId: id,
          workflow,
          releaseId,
          inputs: request.body.inputs ?? {},
          trigger: { type: "invoke" },
          timeoutS: Math.min(request.body.timeout_s ?? ctx.invokeTimeoutS, ctx.invokeTimeoutS),
        });
        const stopWatching = cancelOnDisconnect(reply, run);
        const finished = await run.finished;
        stopWatching();
        return { status: finished.status, runId: finished.runId, outputs: finished.outputs, error: finished.error, durationMs: finished.durationMs };
      } finally {
        const left = (inFlight.get(id) ?? 1) - 1;
        if (left <= 0) inFlight.delete(id);
        else inFlight.set(id, left);
      }
    },
  );
}
