/**
 * Runs (SPEC §7): start (asynchronous by default, `wait: true` answers with the finished run),
 * read, list, cancel, and the SSE event stream.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { AppContext } from "../app-context.js";
import { cancelOnDisconnect } from "../cancel-on-disconnect.js";
import { HttpError, notFound } from "../http-errors.js";
import { ServiceClosingError, type ActiveRun, type StartRunRequest } from "../run-manager.js";
import { streamRunEvents } from "../sse.js";
import { emptyBody, inputsSchema, runIdParams, timeoutSchema, workflowIdParams } from "./schemas.js";

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;

const startBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    inputs: inputsSchema,
    timeout_s: timeoutSchema,
    node_timeout_s: { type: "number", minimum: 0 },
    wait: { type: "boolean" },
  },
} as const;

const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: { limit: { type: "string", pattern: "^[0-9]{1,6}$" } },
} as const;

interface StartBody {
  inputs?: Record<string, unknown>;
  timeout_s?: number;
  node_timeout_s?: number;
  wait?: boolean;
}

export function registerRunRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { runs, store, prepared } = ctx;

  app.post<{ Params: { id: string }; Body: StartBody }>(
    "/api/workflows/:id/runs",
    { schema: { params: workflowIdParams, body: startBody } },
    async (request, reply) => {
      const { id } = request.params;
      const { workflow } = await prepared.draft(id);
      const run = startRun(ctx, {
        workflowId: id,
        workflow,
        releaseId: null,
        inputs: request.body.inputs ?? {},
        trigger: { type: "api" },
        timeoutS: request.body.timeout_s,
        nodeTimeoutS: request.body.node_timeout_s,
      });
      if (request.body.wait !== true) return reply.code(202).send({ runId: run.runId, status: "running" });
      return sendWhenFinished(ctx, reply, run);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>(
    "/api/workflows/:id/runs",
    { schema: { params: workflowIdParams, querystring: listQuery } },
    async (request) => {
      const requested = request.query.limit === undefined ? DEFAULT_LIST_LIMIT : Number(request.query.limit);
      const limit = Math.min(Math.max(requested, 1), MAX_LIST_LIMIT);
      return { runs: store.listRuns(request.params.id, limit) };
    },
  );

  app.get<{ Params: { runId: string } }>("/api/runs/:runId", { schema: { params: runIdParams } }, async (request) => {
    const record = store.getRun(request.params.runId);
    if (!record) throw notFound(`run '${request.params.runId}'`);
    return record;
  });

  app.post<{ Params: { runId: string } }>("/api/runs/:runId/cancel", { schema: { params: runIdParams, body: emptyBody } }, async (request, reply) => {
    const { runId } = request.params;
    const run = runs.get(runId);
    if (run) {
      run.cancel();
      return reply.code(202).send({ runId, status: "cancelling" });
    }
    const status = store.runStatus(runId);
    if (status === undefined) throw notFound(`run '${runId}'`);
    throw new HttpError(409, `run '${runId}' has already finished`, { runId, status });
  });

  app.get<{ Params: { runId: string } }>("/api/runs/:runId/events", { schema: { params: runIdParams } }, async (request, reply) => {
    const { runId } = request.params;
    if (store.runStatus(runId) === undefined) throw notFound(`run '${runId}'`);
    streamRunEvents(runId, request, reply, runs, store);
    return reply;
  });
}

/** Starts a run; 503 once the service is shutting down. */
export function startRun(ctx: AppContext, request: StartRunRequest): ActiveRun {
  try {
    return ctx.runs.start(request);
  } catch (error) {
    if (error instanceof ServiceClosingError) throw new HttpError(503, error.message);
    throw error;
  }
}

/** Waits for the run, cancelling it if the client goes away; answers 200 with the run record. */
async function sendWhenFinished(ctx: AppContext, reply: FastifyReply, run: ActiveRun): Promise<FastifyReply> {
  const stopWatching = cancelOnDisconnect(reply, run);
  const finished = await run.finished;
  stopWatching();
  const record = ctx.store.getRun(run.runId);
  // The record's outputs are compacted for storage; the waiting caller gets them in full.
  return reply.code(200).send(record ? { ...record, outputs: finished.outputs } : finished);
}
