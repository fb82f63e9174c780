/**
 * The trigger issues of a workflow, located like every other issue (`triggers[1].auth`,
 * `triggers[0].source.cron`; `metadata.triggers[…]` when the triggers came from there). Errors make
 * the workflow unsaveable: the service answers 400 with them. Warnings (an id used twice, a type
 * flockflow does not run, filter keys Flocks ignores) do not.
 */
import type { ValidationIssue } from "../errors.js";
import type { Workflow } from "../model/types.js";
import { compileTrigger } from "./compile-trigger.js";
import { normalizeTrigger } from "./normalize-trigger.js";

export function validateTriggers(workflow: Workflow): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const fromMetadata = Array.isArray(workflow.metadata.triggers) && workflow.triggers.length > 0 && workflow.metadata.triggers.includes(workflow.triggers[0]);
  const prefix = fromMetadata ? "metadata.triggers" : "triggers";
  const firstIndexById = new Map<string, number>();
  workflow.triggers.forEach((raw, index) => {
    const trigger = normalizeTrigger(raw, index);
    const earlier = firstIndexById.get(trigger.id);
    if (earlier !== undefined) {
      issues.push({
        location: `${prefix}[${index}].id`,
        rule: "trigger_duplicate_id",
        message: `trigger id '${trigger.id}' is also used by ${prefix}[${earlier}]; the later definition wins`,
        severity: "warning",
      });
    } else {
      firstIndexById.set(trigger.id, index);
    }
    for (const problem of compileTrigger(trigger, raw).problems) {
      issues.push({ location: `${prefix}[${index}].${problem.path}`, rule: problem.rule, message: problem.message, severity: problem.severity });
    }
  });
  return issues;
}
