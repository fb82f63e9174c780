/**
 * Flocks' shipped `tdp_alert_triage_fixed`, run unchanged from `../shared/flocks-workflows/` (never
 * copied into the repository), as test/compat/flocks-workflows.test.ts runs it: stub tools that
 * answer in the shapes the node code reads, the mock LLM scripted so the analysis node's reply
 * parses into a known verdict, and a runtime whose workspace, data folder and HOME are a temporary
 * folder. Unlike the compatibility suite's stubs, these answer at once (no simulated service
 * latency), so the runs/s is flockflow's own.
 *
 * One run: six Python nodes (the three siblings in one parallel batch, then the join), three
 * `tool.run_safe` look-ups (the domain query fails, as in the suite), one `llm.ask`, and the report
 * written with `tool.run('write', ...)`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRuntime } from "../../dist/index.js";

export const WORKFLOW_DIR = fileURLToPath(new URL("../../../shared/flocks-workflows/tdp_alert_triage_fixed", import.meta.url));
export const workflowPresent = () => existsSync(WORKFLOW_DIR);

/** A substring of the analysis node's prompt, and the mock rule that answers it (one chunk, no delay). */
const ATTACK_ANALYSIS_PROMPT = "判断日志请求的攻击状态";
const ANALYSIS = [
  "1. 攻击状态: 攻击成功",
  "2. 判定依据: 请求参数含 SQL 注入载荷 `1 OR 1=1`，响应体返回数据库报错 You have an error in your SQL syntax。",
  "3. 详细分析: 攻击者使用 sqlmap 对登录接口注入，服务端把注入语句带入了查询并回显错误，注入点存在且被成功触发。",
].join("\n");
export const TRIAGE_MOCK_RULE = { match: { promptIncludes: ATTACK_ANALYSIS_PROMPT }, behavior: { reply: `<think>先看响应体。</think>\n${ANALYSIS}`, chunkCount: 1 } };

/** LLM calls and tool calls one run makes (checked against the mock's and the stubs' counters). */
export const LLM_CALLS_PER_RUN = 1;
const TOOL_CALLS_PER_RUN = 3;

/** The compatibility suite's stub tools, answering at once; `counter.calls` counts every call. */
function intelTools(counter) {
  return {
    threatbook_ip_query: async (args) => {
      counter.calls++;
      const ip = String(args.ip);
      return {
        response_code: 0,
        verbose_msg: "OK",
        data: { [ip]: { severity: "high", judgments: ["Scanner", "IDC"], tags_classes: [{ tags_type: "industry", tags: ["IDC"] }], basic: { carrier: "Example Hosting", location: { country: "Netherlands" } } } },
      };
    },
    threatbook_url_query: async (args) => {
      counter.calls++;
      return `url=${String(args.url)} judgement=malicious tags=[web_attack]`;
    },
    threatbook_domain_query: async () => {
      counter.calls++;
      throw new Error("ThreatBook API quota exceeded (response_code -4)");
    },
    __mcp_vuln_query: async (args) => {
      counter.calls++;
      return { vuln_id: args.vuln_id, name: "Apache remote code execution", severity: "high", cvss: 8.1, affected: ["example 1.0-2.0"] };
    },
  };
}

/**
 * A runtime for the triage runs: the mock as its only provider, `python.max_workers` workers, and a
 * temporary folder for HOME, the workspace and the data folder. `close()` closes the runtime and
 * removes the folder.
 */
export async function openTriage(mockUrl, { pythonWorkers }) {
  const root = mkdtempSync(path.join(os.tmpdir(), "ff-bench-triage-"));
  const home = path.join(root, "home");
  mkdirSync(home);
  const counter = { calls: 0 };
  const runtime = createRuntime({
    config: {
      provider: { mock: { type: "openai-compatible", options: { baseURL: mockUrl, apiKey: "bench-key" } } },
      default_models: { llm: { provider_id: "mock", model_id: "mock-model" } },
      python: { max_workers: pythonWorkers },
    },
    env: { ...process.env, HOME: home },
    workspaceDir: path.join(root, "workspace"),
    dataDir: path.join(root, "data"),
    tools: intelTools(counter),
  });
  const { workflow } = await runtime.prepare(WORKFLOW_DIR);
  const inputs = workflow.metadata.sampleInputs;
  let lastResult;
  let runsStarted = 0;
  return {
    get runsStarted() {
      return runsStarted;
    },
    run() {
      runsStarted++;
      return runtime.run(workflow, { inputs });
    },
    /** Throws unless the run went to the end with the verdict the scripted reply gives. */
    check(result) {
      const { status, steps, outputs } = result;
      if (status !== "succeeded" || steps !== 6 || outputs.attack_verdict !== "attack_success" || outputs.risk_level !== "High") {
        throw new Error(`tdp_alert_triage_fixed: expected a succeeded run of 6 steps with attack_success / High, got ${status} after ${steps} steps: ${result.error ?? JSON.stringify(outputs).slice(0, 300)}`);
      }
      lastResult = result;
    },
    /** After the runs: the stubs saw every run's calls, and the last report is on disk in the workspace. */
    verify() {
      const expected = runsStarted * TOOL_CALLS_PER_RUN;
      if (counter.calls !== expected) throw new Error(`tdp_alert_triage_fixed: the stub tools saw ${counter.calls} calls, expected ${expected}`);
      const reportPath = String(lastResult?.outputs.report_path);
      if (!reportPath.startsWith(path.join(root, "workspace")) || readFileSync(reportPath, "utf8") !== lastResult.outputs.final_report) {
        throw new Error(`tdp_alert_triage_fixed: the report is not in the workspace: ${reportPath}`);
      }
    },
    async close() {
      try {
        await runtime.close();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
