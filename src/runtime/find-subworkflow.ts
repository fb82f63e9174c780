/**
 * Sub-workflow lookup (SPEC §2), first match wins, as `<id>/workflow.json` in: the folder holding
 * the parent workflow's folder (siblings), each `--workflows` root and config `workflows.dirs`,
 * then Flocks' roots under the current directory and then under the home directory.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SubworkflowError, WorkflowNotFoundError } from "../errors.js";
import type { Workflow } from "../model/types.js";

const FLOCKS_ROOTS = [".flocks/plugins/workflows", ".flocks/workflow", ".flocks/plugins/workflow"];
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface SubworkflowLookup {
  workflowDirs: string[];
  cwd: string;
  homeDir: string;
}

export function subworkflowCandidates(workflowId: string, parent: Workflow, lookup: SubworkflowLookup): string[] {
  if (!SAFE_ID.test(workflowId) || workflowId.includes("..")) {
    throw new SubworkflowError(`Invalid sub-workflow id '${workflowId}': use letters, digits, '_', '-' and '.'`);
  }
  const roots: string[] = [];
  if (parent.sourcePath) roots.push(path.dirname(path.dirname(parent.sourcePath)));
  roots.push(...lookup.workflowDirs.map((d) => path.resolve(lookup.cwd, d)));
  for (const base of [lookup.cwd, lookup.homeDir]) roots.push(...FLOCKS_ROOTS.map((r) => path.join(base, r)));
  return roots.map((root) => path.join(root, workflowId, "workflow.json"));
}

export function findSubworkflowFile(workflowId: string, parent: Workflow, lookup: SubworkflowLookup): string {
  const candidates = subworkflowCandidates(workflowId, parent, lookup);
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new WorkflowNotFoundError(`Sub-workflow '${workflowId}' not found; looked in:\n  ${candidates.join("\n  ")}`);
  }
  return found;
}

export function defaultLookup(workflowDirs: string[]): SubworkflowLookup {
  return { workflowDirs, cwd: process.cwd(), homeDir: os.homedir() };
}
