/**
 * Workflows (SPEC §7): list, create, read, replace, delete, validate. The files in the workflow
 * folders are the drafts; every save is validated (and its triggers checked) before anything is
 * written, then the workflow's triggers are synced.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.js";
import { HttpError, notFound } from "../http-errors.js";
import { isValidWorkflowId, WORKFLOW_ID_PATTERN } from "../workflow-folders.js";
import { workflowIdParams } from "./schemas.js";

interface IdParams {
  id: string;
}

const saveBody = {
  type: "object",
  required: ["workflow"],
  additionalProperties: false,
  properties: {
    workflow: { type: "object" },
    markdown: { type: "string" },
  },
} as const;

const createBody = {
  ...saveBody,
  properties: { ...saveBody.properties, id: { type: "string", pattern: WORKFLOW_ID_PATTERN } },
} as const;

const validateBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: { workflow: { type: "object" } },
} as const;

export function registerWorkflowRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { folders, prepared, store, triggers } = ctx;

  app.get("/api/workflows", async () => {
    const workflows = folders.ids().flatMap((id) => {
      const summary = folders.summary(id);
      if (!summary) return [];
      const release = store.activeRelease(id);
      return [{ ...summary, published: release !== undefined, activeReleaseId: release?.releaseId ?? null }];
    });
    return { workflows };
  });

  app.post<{ Body: { id?: string; workflow: Record<string, unknown>; markdown?: string } }>(
    "/api/workflows",
    { schema: { body: createBody } },
    async (request, reply) => {
      const id = request.body.id ?? randomUUID();
      if (!isValidWorkflowId(id)) throw new HttpError(400, `body/id must not contain ".."`);
      if (folders.exists(id)) throw new HttpError(409, `workflow '${id}' already exists`);
      const { workflow, warnings } = await prepared.check(request.body.workflow);
      if (!folders.create(id, request.body.workflow, request.body.markdown)) throw new HttpError(409, `workflow '${id}' already exists`);
      workflow.sourcePath = folders.read(id)?.file;
      triggers.sync(id, workflow);
      return reply.code(201).send({ id, warnings });
    },
  );

  app.get<{ Params: IdParams }>("/api/workflows/:id", { schema: { params: workflowIdParams } }, async (request) => {
    const { id } = request.params;
    const draft = folders.read(id);
    if (!draft) throw notFound(`workflow '${id}'`);
    const release = store.activeRelease(id);
    return {
      id,
      workflow: draft.parseIssues.length === 0 ? draft.value : null,
      markdown: folders.readMarkdown(id),
      meta: folders.readMeta(id) ?? {},
      issues: draft.parseIssues,
      published: release ? { releaseId: release.releaseId, publishedAt: release.createdAt } : null,
    };
  });

  app.put<{ Params: IdParams; Body: { workflow: Record<string, unknown>; markdown?: string } }>(
    "/api/workflows/:id",
    { schema: { params: workflowIdParams, body: saveBody } },
    async (request) => {
      const { id } = request.params;
      const existing = folders.read(id);
      if (!existing) throw notFound(`workflow '${id}'`);
      const { workflow, warnings } = await prepared.check(request.body.workflow, existing.file);
      if (!folders.update(id, request.body.workflow, request.body.markdown)) throw notFound(`workflow '${id}'`);
      triggers.sync(id, workflow);
      return { id, warnings };
    },
  );

  app.delete<{ Params: IdParams }>("/api/workflows/:id", { schema: { params: workflowIdParams } }, async (request, reply) => {
    const { id } = request.params;
    if (!folders.remove(id)) throw notFound(`workflow '${id}'`);
    prepared.forget(id);
    triggers.sync(id, undefined);
    // Deleting a workflow stops what serves it: its published API and its running runs. Its run
    // history stays readable until retention removes it.
    store.deactivateReleases(id);
    store.deleteApiKey(id);
    for (const run of ctx.runs.activeFor(id)) run.cancel();
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams; Body: { workflow?: Record<string, unknown> } | null }>(
    "/api/workflows/:id/validate",
    { schema: { params: workflowIdParams, body: validateBody } },
    async (request) => {
      const { id } = request.params;
      const draft = folders.read(id);
      const candidate = request.body?.workflow;
      if (candidate === undefined) {
        if (!draft) throw notFound(`workflow '${id}'`);
        if (draft.parseIssues.length > 0) return { valid: false, issues: draft.parseIssues };
      }
      const issues = await prepared.issuesOf(candidate ?? draft!.value, draft?.file);
      return { valid: !issues.some((issue) => issue.severity === "error"), issues };
    },
  );
}
