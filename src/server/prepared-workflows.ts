/**
 * Turning a `workflow.json` value into a runnable workflow, with the checks a save applies:
 * validation (issues with locations), the lint findings that block a run, `metadata.llm`, and the
 * triggers' own rules (a webhook without auth is rejected when saved, SPEC §7). Failures are a 400
 * `{error: "invalid workflow", issues}`.
 *
 * Prepared workflows are cached: a draft by its file version (edits on disk are seen at once), a
 * release by its id (releases are immutable). A run therefore reuses one normalised object, whose
 * plan and lint the runtime also caches.
 */
import type { ValidationIssue } from "../errors.js";
import { validateWorkflowValue } from "../model/validate-workflow.js";
import type { Workflow } from "../model/types.js";
import type { Runtime } from "../runtime/create-runtime.js";
import type { ReleaseRecord } from "../store/index.js";
import { HttpError, notFound } from "./http-errors.js";
import type { WorkflowFolders } from "./workflow-folders.js";

export interface CheckedWorkflow {
  workflow: Workflow;
  /** Warnings only (errors make the check throw). */
  warnings: ValidationIssue[];
}

const RELEASE_CACHE_SIZE = 256;

export class PreparedWorkflows {
  readonly #runtime: Runtime;
  readonly #folders: WorkflowFolders;
  readonly #validateTriggers: (workflow: Workflow) => ValidationIssue[];
  readonly #drafts = new Map<string, { version: string; checked: CheckedWorkflow }>();
  readonly #releases = new Map<string, Workflow>();

  constructor(runtime: Runtime, folders: WorkflowFolders, validateTriggers: (workflow: Workflow) => ValidationIssue[]) {
    this.#runtime = runtime;
    this.#folders = folders;
    this.#validateTriggers = validateTriggers;
  }

  /** Every issue of a value (errors and warnings), without throwing. */
  async issuesOf(value: unknown, sourcePath?: string): Promise<ValidationIssue[]> {
    try {
      const { warnings } = await this.check(value, sourcePath);
      return warnings;
    } catch (error) {
      if (error instanceof HttpError && Array.isArray(error.extra.issues)) return error.extra.issues as ValidationIssue[];
      throw error;
    }
  }

  /** Validates, lints and checks the triggers; throws a 400 HttpError listing the issues. */
  async check(value: unknown, sourcePath?: string): Promise<CheckedWorkflow> {
    const { workflow, issues } = validateWorkflowValue(value);
    if (!workflow) throw invalid(issues);
    if (sourcePath) workflow.sourcePath = sourcePath;
    let lintWarnings: ValidationIssue[];
    try {
      ({ warnings: lintWarnings } = await this.#runtime.prepare(workflow));
    } catch (error) {
      if ((error as Error).name === "WorkflowValidationError") {
        throw invalid([...issues, ...(error as { issues: ValidationIssue[] }).issues]);
      }
      throw error;
    }
    const triggerIssues = this.#validateTriggers(workflow);
    const all = [...issues, ...lintWarnings, ...triggerIssues];
    if (all.some((issue) => issue.severity === "error")) throw invalid(all);
    return { workflow, warnings: all };
  }

  /** The draft on disk, ready to run; 404 when there is none, 400 when it is invalid. */
  async draft(id: string): Promise<CheckedWorkflow> {
    const draft = this.#folders.read(id);
    if (!draft) throw notFound(`workflow '${id}'`);
    if (draft.parseIssues.length > 0) throw invalid(draft.parseIssues);
    const cached = this.#drafts.get(id);
    if (cached && cached.version === draft.version) return cached.checked;
    const checked = await this.check(draft.value, draft.file);
    this.#drafts.set(id, { version: draft.version, checked });
    return checked;
  }

  /** A release snapshot, ready to run (checked when it was published); loaded only on a cache miss. */
  async release(releaseId: string, load: () => ReleaseRecord | undefined): Promise<Workflow> {
    const cached = this.#releases.get(releaseId);
    if (cached) return cached;
    const release = load();
    if (!release) throw notFound(`release '${releaseId}'`);
    const { workflow } = await this.check(release.snapshot, this.#folders.read(release.workflowId)?.file);
    if (this.#releases.size >= RELEASE_CACHE_SIZE) this.#releases.delete(this.#releases.keys().next().value!);
    this.#releases.set(releaseId, workflow);
    return workflow;
  }

  forget(id: string): void {
    this.#drafts.delete(id);
  }
}

export function invalid(issues: ValidationIssue[]): HttpError {
  return new HttpError(400, "invalid workflow", { issues });
}
