/** `flockflow graph <workflow>`: the workflow as Mermaid (default) or Graphviz DOT text on stdout. */
import { Option, type Command } from "commander";
import { loadWorkflow } from "../model/load-workflow.js";
import { renderGraph, type GraphFormat } from "../model/render-graph.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_OK } from "./exit-codes.js";
import { reportError } from "./report-error.js";

export interface GraphFlags {
  format: GraphFormat;
}

export function registerGraphCommand(program: Command, context: CommandContext): void {
  program
    .command("graph")
    .description("print the workflow's graph")
    .argument("<workflow>", "a workflow.json file, or the folder that holds one")
    .addOption(new Option("--format <format>", "output format").choices(["mermaid", "dot"]).default("mermaid"))
    .action(async (workflow: string, flags: GraphFlags) => {
      context.exitCode = await graphCommand(workflow, flags);
    });
}

export async function graphCommand(workflowPath: string, flags: GraphFlags): Promise<number> {
  try {
    const text = renderGraph(await loadWorkflow(workflowPath), flags.format);
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportError(error);
  }
}
