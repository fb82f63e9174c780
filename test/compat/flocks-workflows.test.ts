/**
 * The workflows Flocks ships, run unchanged (issue 4 item 8), in place from
 * `../shared/flocks-workflows/` (never copied into the repository; the suite skips when that folder
 * is absent). Tools are stubs that answer in the shapes the node code reads; the LLM is the
 * project's mock server on loopback, scripted by prompt so each answer is one the node code parses
 * into a known verdict. Python workers get a temporary HOME, workspace and data folder, so nothing
 * touches the real home (stream_alert_triage writes ~/.flocks/data/soc.db).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/index.js";
import type { RunEvent, StepRecord } from "../../src/engine/types.js";
import type { MockRule } from "../../src/mock-llm/index.js";
import type { ToolEntry } from "../../src/tools/tool-registry.js";
import { useMockLlm } from "../support/llm.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const FLOCKS_WORKFLOWS = path.resolve(repoRoot, "../shared/flocks-workflows");
const present = existsSync(FLOCKS_WORKFLOWS);
if (!present) console.warn(`test/compat: skipping the Flocks compatibility suite: ${FLOCKS_WORKFLOWS} is absent`);

const shipped = (name: string): string => path.join(FLOCKS_WORKFLOWS, name);

// ── stub tools ────────────────────────────────────────────────────────────────────────────────

interface ToolCall {
  name: string;
  args: Record<string, unknown>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The threat-intel look-ups and the MCP vulnerability query, answering like the real services: the
 * IP query a ThreatBook v3 body (a dict: run_safe's `text` is its JSON), the URL query plain text,
 * the domain query failing (quota), which run_safe turns into `success: False` and the node skips.
 */
function intelTools(calls: ToolCall[]): Record<string, ToolEntry> {
  const record = (name: string, args: Record<string, unknown>) => calls.push({ name, args });
  return {
    threatbook_ip_query: async (args) => {
      record("threatbook_ip_query", args);
      await pause(30);
      const ip = String(args.ip);
      return {
        response_code: 0,
        verbose_msg: "OK",
        data: { [ip]: { severity: "high", judgments: ["Scanner", "IDC"], tags_classes: [{ tags_type: "industry", tags: ["IDC"] }], basic: { carrier: "Example Hosting", location: { country: "Netherlands" } } } },
      };
    },
    threatbook_url_query: async (args) => {
      record("threatbook_url_query", args);
      await pause(30);
      return `url=${String(args.url)} judgement=malicious tags=[web_attack]`;
    },
    threatbook_domain_query: async (args) => {
      record("threatbook_domain_query", args);
      await pause(10);
      throw new Error("ThreatBook API quota exceeded (response_code -4)");
    },
    __mcp_vuln_query: async (args) => {
      record("__mcp_vuln_query", args);
      await pause(30);
      return { vuln_id: args.vuln_id, name: "Apache remote code execution", severity: "high", cvss: 8.1, affected: ["example 1.0-2.0"] };
    },
  };
}

// ── harness ───────────────────────────────────────────────────────────────────────────────────

const t = useMockLlm();
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

interface Sandbox {
  root: string;
  home: string;
  workspace: string;
  data: string;
  runtime: Runtime;
  calls: ToolCall[];
}

/** A runtime whose Python workers see `<root>/home` as HOME, `<root>/workspace` and `<root>/data`. */
function sandbox(): Sandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), "ff-compat-"));
  tempDirs.push(root);
  const home = path.join(root, "home");
  mkdirSync(home);
  const workspace = path.join(root, "workspace");
  const data = path.join(root, "data");
  const calls: ToolCall[] = [];
  const runtime = createRuntime({
    config: {
      provider: { local: { type: "openai-compatible", options: { baseURL: t.mock.url } } },
      default_models: { llm: { provider_id: "local", model_id: "mock-model" } },
    },
    env: { PATH: process.env.PATH, HOME: home },
    workspaceDir: workspace,
    dataDir: data,
    tools: intelTools(calls),
  });
  t.track(runtime);
  return { root, home, workspace, data, runtime, calls };
}

const rule = (promptIncludes: string, reply: string): MockRule => ({ match: { promptIncludes }, behavior: { reply, chunkCount: 4, chunkDelayMs: 15 } });

/** The last user message of each request the mock saw. */
function prompts(): string[] {
  return t.mock.requests().map((r) => {
    const messages = (r.body as { messages: Array<{ role: string; content: string }> }).messages;
    return messages.filter((m) => m.role === "user").at(-1)!.content;
  });
}

const step = (history: StepRecord[], nodeId: string): StepRecord => history.find((s) => s.nodeId === nodeId)!;

// ── tdp_alert_triage ──────────────────────────────────────────────────────────────────────────

const ATTACK_ANALYSIS_PROMPT = "判断日志请求的攻击状态";
const SIBLINGS = ["query_threat_intel", "query_vuln", "attack_analysis_result"];

describe.skipIf(!present)("Flocks' shipped workflows (from ../shared/flocks-workflows; skipped when absent)", () => {
  describe("tdp_alert_triage as shipped", () => {
    it("fails at receive_alert with the syntax error at line 124, before any tool or LLM call", async () => {
      const { runtime, calls } = sandbox();
      const { workflow } = await runtime.prepare(shipped("tdp_alert_triage"));
      const result = await runtime.run(workflow, { inputs: workflow.metadata.sampleInputs as Record<string, unknown> });

      expect([result.status, result.steps, result.lastNodeId]).toEqual(["failed", 1, "receive_alert"]);
      expect(result.error).toMatch(/^receive_alert: SyntaxError: Syntax error in code at line 124: unterminated string literal/);
      const failed = result.history[0]!;
      expect(failed).toMatchObject({ nodeId: "receive_alert", status: "failed", errorType: "SyntaxError", stdout: "" });
      expect(failed.error).toMatch(/^Syntax error in code at line 124: /);
      expect(failed.traceback).toContain("line 124\n    payload  = f'请求行: {req_line}");
      expect(calls).toEqual([]);
      expect(t.mock.stats().requests).toBe(0);
    });
  });

  describe("tdp_alert_triage_fixed", () => {
    const analysis = [
      "1. 攻击状态: 攻击成功",
      "2. 判定依据: 请求参数含 SQL 注入载荷 `1 OR 1=1`，响应体返回数据库报错 You have an error in your SQL syntax。",
      "3. 详细分析: 攻击者使用 sqlmap 对登录接口注入，服务端把注入语句带入了查询并回显错误，注入点存在且被成功触发。",
    ].join("\n");

    it("runs to the end: three siblings in one parallel batch, a join that merges them, the verdict from the LLM text, the report in the workspace", async () => {
      const { runtime, calls, workspace } = sandbox();
      t.mock.setRules([rule(ATTACK_ANALYSIS_PROMPT, `<think>先看响应体。</think>\n${analysis}`)]);
      const { workflow } = await runtime.prepare(shipped("tdp_alert_triage_fixed"));
      const events: RunEvent[] = [];
      const result = await runtime.run(workflow, { inputs: workflow.metadata.sampleInputs as Record<string, unknown>, historyMode: "full", onEvent: (e) => events.push(e) });

      expect(result.error).toBeNull();
      expect([result.status, result.steps, result.lastNodeId]).toEqual(["succeeded", 6, "generate_report"]);
      expect(result.history.map((s) => s.nodeId)).toEqual(["receive_alert", ...SIBLINGS, "join_results", "generate_report"]);

      // One parallel batch: every sibling started before any of them finished, and their run times overlap.
      const nodeEvents = events.filter((e) => (e.type === "node.started" || e.type === "node.finished") && SIBLINGS.includes(e.nodeId));
      expect(nodeEvents.map((e) => e.type)).toEqual(["node.started", "node.started", "node.started", "node.finished", "node.finished", "node.finished"]);
      const spans = SIBLINGS.map((id) => step(result.history, id)).map((s) => ({ start: Date.parse(s.startedAt), end: Date.parse(s.startedAt) + s.durationMs }));
      expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(Math.min(...spans.map((s) => s.end)));

      // The tools were called with the kwargs the node code passes: the public IP only (10.0.0.1 is
      // skipped), the URL, and the domain (failing, so skipped).
      const byName = (name: string) => calls.filter((c) => c.name === name).map((c) => c.args);
      expect(byName("threatbook_ip_query")).toEqual([{ ip: "1.2.3.4" }]);
      expect(byName("threatbook_url_query")).toEqual([{ url: "http://vuln.example.com/admin/login.php?id=1 OR 1=1" }]);
      expect(byName("threatbook_domain_query")).toEqual([{ domain: "vuln.example.com" }]);
      // The alert names CVE-2017-12615, yet __mcp_vuln_query is never called: in both shipped tdp files
      // the CVE pattern's `\b` word boundaries were saved as JSON "\b", i.e. backspace characters, so
      // the pattern never matches and vuln_id stays ''. Flocks runs the same code, with the same result.
      const parsed = step(result.history, "receive_alert").outputs as Record<string, Record<string, unknown>>;
      expect(parsed.parsed_alert).toMatchObject({ threat_msg: "CVE-2017-12615 detected", vuln_id: "", vuln_candidates: [] });
      expect(byName("__mcp_vuln_query")).toEqual([]);

      // The join merged all three: its payload carries keys only each sibling produces.
      const join = step(result.history, "join_results");
      expect(Object.keys(join.inputs as object)).toEqual(expect.arrayContaining(["intel_results", "has_intel", "vuln_info", "has_vuln_info", "attack_analysis_result"]));
      const joined = join.outputs as Record<string, unknown>;
      expect(joined.intel_results).toEqual([
        { source: "threatbook", type: "ip", value: "1.2.3.4", result: expect.stringContaining('"data": {"1.2.3.4": {"severity": "high", "judgments": ["Scanner", "IDC"]') },
        { source: "threatbook", type: "url", value: "http://vuln.example.com/admin/login.php?id=1 OR 1=1", result: "url=http://vuln.example.com/admin/login.php?id=1 OR 1=1 judgement=malicious tags=[web_attack]" },
      ]);
      expect(joined.vuln_info).toEqual({});
      expect((join.inputs as Record<string, unknown>).has_vuln_info).toBe(false);
      expect(joined.attack_analysis_result).toBe(analysis);
      expect((joined.parsed_alert as Record<string, unknown>).src_ip).toBe("1.2.3.4");

      // One LLM call, with the alert in it; the verdict and risk come from its text.
      expect(t.mock.stats().requests).toBe(1);
      expect(prompts()[0]).toContain("URL: http://vuln.example.com/admin/login.php?id=1 OR 1=1\nHTTP状态码: 200");
      expect(result.outputs.attack_verdict).toBe("attack_success");
      expect(result.outputs.risk_level).toBe("High");

      // The report, written with tool.run('write', ...) under the workspace.
      const reportPath = String(result.outputs.report_path);
      expect(path.relative(workspace, reportPath)).toMatch(/^outputs\/\d{4}-\d{2}-\d{2}\/artifacts\/final_report\.md$/);
      const report = readFileSync(reportPath, "utf8");
      expect(report).toBe(result.outputs.final_report);
      expect(report).toContain("# SQL注入攻击 — 攻击成功\n\n**攻击判定**: 攻击成功 (`attack_success`)\n**风险等级**: High\n");
      expect(report).toContain(`## 1. 攻击分析结果\n${analysis}\n`);
      expect(report).toContain("## 3. 漏洞情报原始数据\n\n（未查询到漏洞详情）\n");
      expect(report).not.toContain("<think>");
      expect(step(result.history, "generate_report").stdout).toBe(`[generate_report] verdict=attack_success, path=${reportPath}\n`);
      expect(step(result.history, "attack_analysis_result").stdout).toBe(`[attack_analysis_result] ${analysis.length} chars\n`);
    });

    // The shipped parser takes the first verdict word found anywhere in the reply, checking 攻击 (attack)
    // before 未知/安全; "攻击状态" itself contains 攻击, so a reply in the format the prompt asks for
    // can never come out unknown or benign. flockflow reproduces that, as Flocks would.
    it.each([
      ["1. 攻击状态: 攻击失败\n2. 判定依据: 响应 403，WAF 拦截", "attack_failed", "Medium"],
      ["1. 攻击状态: 安全\n2. 判定依据: 正常业务请求", "attack", "Medium"],
      ["安全", "benign", "Low"],
    ])("reply %j gives %s / %s", async (reply, verdict, risk) => {
      const { runtime } = sandbox();
      t.mock.setRules([rule(ATTACK_ANALYSIS_PROMPT, reply)]);
      const { workflow } = await runtime.prepare(shipped("tdp_alert_triage_fixed"));
      const result = await runtime.run(workflow, { inputs: workflow.metadata.sampleInputs as Record<string, unknown> });
      expect([result.status, result.outputs.attack_verdict, result.outputs.risk_level]).toEqual(["succeeded", verdict, risk]);
      expect(readFileSync(String(result.outputs.report_path), "utf8")).toContain(`(\`${verdict}\`)\n**风险等级**: ${risk}\n`);
    });
  });

  // ── stream_alert_triage ─────────────────────────────────────────────────────────────────────

  describe("stream_alert_triage", () => {
    const DATE = "2026-05-18";
    const CONCURRENCY = 3;
    const KEY = { sqli: "5f2b9c0e8d7a4b1c9e3f6a2d8c4b7e10", scan: "a41c7e92b3d04f5a8c6e1b7d9f2a3c58", rce: "c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4" };

    /** Flat TDP alerts as stream_alert_denoise writes them: dedup_key, is_duplicate, net_http_*. */
    function alert(kind: "sqli" | "scan" | "rce" | "xss", extra: Record<string, unknown>): Record<string, unknown> {
      const base: Record<string, Record<string, unknown>> = {
        sqli: {
          threat_name: "SQL注入攻击", sip: "1.2.3.4", dip: "10.0.0.5", dport: 80, net_http_reqs_host: "shop.example.com",
          net_http_url: "/item.php?id=1 union select user(),2", net_http_reqs_line: "GET /item.php?id=1 union select user(),2 HTTP/1.1",
          net_http_reqs_header: "Host: shop.example.com\nUser-Agent: sqlmap/1.7", net_http_resp_line: "HTTP/1.1 200 OK", net_http_resp_body: "<td>root@localhost</td>",
          net_http_status: 200, threat_msg: "SQL injection: union select", threat_result: "success",
        },
        scan: {
          threat_name: "目录扫描", sip: "5.6.7.8", dip: "10.0.0.6", dport: 80, net_http_reqs_host: "www.example.com",
          net_http_url: "/.git/config", net_http_reqs_line: "GET /.git/config HTTP/1.1", net_http_resp_line: "HTTP/1.1 404 Not Found",
          net_http_status: 404, threat_msg: "sensitive path probe", threat_result: "failed",
        },
        rce: {
          threat_name: "Apache Struts2 远程代码执行", sip: "9.9.9.9", dip: "10.0.0.7", dport: 8080, net_http_reqs_host: "oa.example.com",
          net_http_url: "/struts2-showcase/index.action", net_http_reqs_line: "POST /struts2-showcase/index.action HTTP/1.1",
          net_http_reqs_header: "Content-Type: %{(#_='multipart/form-data').(#cmd='id')}", threat_msg: "CVE-2017-5638 S2-045 OGNL injection",
        },
        xss: {
          threat_name: "XSS跨站脚本", sip: "8.8.4.4", dip: "10.0.0.8", dport: 443, net_http_reqs_host: "search.example.com",
          net_http_url: "/search?q=<script>alert(1)</script>", net_http_reqs_line: "GET /search?q=<script>alert(1)</script> HTTP/1.1",
          net_http_resp_line: "HTTP/1.1 200 OK", net_http_resp_body: "<html>results</html>", net_http_status: 200,
        },
      };
      return { source_type: "tdp", time: 1779062400, ...base[kind], ...extra };
    }

    const header = (seq: number) => JSON.stringify({ _type: "file_header", workflow: "stream_alert_denoise", date: DATE, seq });
    const FILES: Record<string, string[]> = {
      "dedup_result_001.jsonl": [
        header(1),
        JSON.stringify(alert("sqli", { dedup_key: KEY.sqli, is_duplicate: false, sport: 51234 })),
        JSON.stringify(alert("sqli", { dedup_key: KEY.sqli, is_duplicate: true, sport: 51240 })),
        JSON.stringify(alert("scan", { dedup_key: KEY.scan, is_duplicate: false, sport: 40001 })),
        "",
      ],
      "dedup_result_002.jsonl": [
        header(2),
        JSON.stringify(alert("sqli", { dedup_key: KEY.sqli, is_duplicate: true, sport: 51301 })),
        JSON.stringify(alert("scan", { dedup_key: KEY.scan, is_duplicate: true, sport: 40002 })),
        "{not json",
        JSON.stringify(alert("rce", { dedup_key: KEY.rce, is_duplicate: false, sport: 33333 })),
        JSON.stringify(alert("xss", { is_duplicate: false, sport: 44444 })),
      ],
    };

    const TITLES = { sqli: "SQL注入攻击成功 数据库用户信息泄露", scan: "目录扫描攻击失败", rce: "Struts2 OGNL 注入攻击", xss: "XSS 攻击结果未知" };
    const REPORT = [
      '<triage_report version="soc.triage.markdown.v1">',
      ...["report_title", "report_meta", "analysis_steps", "triage_conclusion", "attack_payload", "payload_explanation", "response_evidence", "key_evidence", "disposal_recommendation"].map(
        (tag) => `<${tag}>\n${tag} (mock)\n</${tag}>`,
      ),
      "</triage_report>",
    ].join("\n\n");

    /** What each prompt the node sends is, keyed by a phrase only that prompt contains. */
    const PROMPT_KINDS: Array<[kind: string, phrase: string]> = [
      ["survey", "空间测绘信息"],
      ["cve_related", "请从以下的日志数据中提取漏洞编号"],
      ["cve_info", "简要说明关联的CVE漏洞信息"],
      ["payload", "根据用户输入的日志进行攻击负载分析"],
      ["attack_analysis", "## 日志内容\n[告警基本信息]"],
      ["verdict", "直接输出攻击判定类别"],
      ["title", "生成一份不超过 30 字的中文报告标题"],
      ["report", "生成一份供前端直接渲染的 SOC 告警研判报告"],
    ];

    function rules(): MockRule[] {
      const perAlert = (threat: string, state: string, verdict: string, title: string): MockRule[] => [
        // The attack-analysis prompt is the only one with "## 日志内容" right before the alert's log text.
        rule(`## 日志内容\n[告警基本信息]\n告警类型: ${threat}\n`, `1. 攻击状态: ${state}\n2. 判定依据: (mock) ${threat}\n3. 详细分析: (mock)`),
        // The verdict prompt quotes that analysis right after its own heading.
        rule(`## 日志分析结果:\n1. 攻击状态: ${state}\n2. 判定依据: (mock) ${threat}\n`, verdict),
        rule(`## 攻击类型\n${threat}\n`, `《${title}》\n(说明)`),
      ];
      return [
        ...perAlert("SQL注入攻击", "攻击成功", "attack_success", TITLES.sqli),
        ...perAlert("目录扫描", "攻击失败", "attack_failed", TITLES.scan),
        ...perAlert("Apache Struts2 远程代码执行", "攻击", "attack", TITLES.rce),
        ...perAlert("XSS跨站脚本", "未知", "unknown", TITLES.xss),
        rule("空间测绘信息", "- 源 IP 为 IDC 主机，开放 22/80 端口"),
        rule("请从以下的日志数据中提取漏洞编号", "日志中无关联漏洞情报"),
        rule("简要说明关联的CVE漏洞信息", "Apache remote code execution, CVSS 8.1"),
        rule("根据用户输入的日志进行攻击负载分析", "请求中包含攻击负载，特征明显。"),
        rule("生成一份供前端直接渲染的 SOC 告警研判报告", `好的，报告如下：\n${REPORT}\n以上。`),
        rule("ping", "pong"),
      ];
    }

    function kindsOf(texts: string[]): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const text of texts) {
        const kind = text === "ping" ? "warmup" : (PROMPT_KINDS.find(([, phrase]) => text.includes(phrase))?.[0] ?? "other");
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      return counts;
    }

    function socRows(dbPath: string): Array<[string, number]> {
      const script = "import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nprint(json.dumps(c.execute('SELECT dedup_key, is_duplicate FROM alert_records ORDER BY dedup_key').fetchall()))";
      const r = spawnSync("python3", ["-I", "-c", script, dbPath], { encoding: "utf8" });
      return JSON.parse(r.stdout) as Array<[string, number]>;
    }

    it(
      "triages the leaders with concurrent llm.ask calls capped by its own semaphore, reuses results for followers, and writes its summary",
      async () => {
        const { runtime, root, home, workspace, calls } = sandbox();
        // Config().get_global().data_dir is <root>/data, so the node reads <root>/workspace/workflows/stream_alert_denoise/<date>.
        const day = path.join(root, "workspace", "workflows", "stream_alert_denoise", DATE);
        mkdirSync(day, { recursive: true });
        for (const [name, lines] of Object.entries(FILES)) writeFileSync(path.join(day, name), `${lines.join("\n")}\n`);
        t.mock.setRules(rules());

        const { workflow } = await runtime.prepare(shipped("stream_alert_triage"));
        const inputs = { ...(workflow.metadata.sampleInputs as Record<string, unknown>), input_date: DATE, concurrency: CONCURRENCY };
        const result = await runtime.run(workflow, { inputs });
        expect(result.error).toBeNull();
        expect([result.status, result.history.map((s) => s.nodeId)]).toEqual(["succeeded", ["load_dedup_file", "concurrent_triage", "summarize"]]);

        const load = result.history[0]!.outputs as Record<string, unknown>;
        expect(load.load_stats).toMatchObject({ file_count: 2, record_count: 7, header_skipped: 2, bad_lines: 1 });
        expect(load.concurrency).toBe(CONCURRENCY);

        // Four work units (three dedup_keys and one alert without a key) are triaged; the three
        // followers reuse their leader's result. Each unit asks 8 questions, plus one warm-up call.
        const stats = result.outputs.triage_stats as Record<string, unknown>;
        expect(stats).toMatchObject({
          total: 7, unique_dedup_keys: 3, followers_reused: 3, no_dedup_key_alerts: 1, work_units: 4,
          triaged: 4, cache_hit: 0, triage_failed: 0, llm_concurrency_limit: CONCURRENCY, concurrency: CONCURRENCY,
          verdict_counts: { attack_success: 1, attack_failed: 1, attack: 1, unknown: 1 },
          output_mode: "soc_db", soc_db_rows: 3, soc_db_inserted_rows: 3, soc_db_first_seen_rows: 3,
        });
        const requests = t.mock.requests();
        expect(requests).toHaveLength(1 + 8 * 4);
        expect(requests.every((r) => r.outcome === "completed")).toBe(true);
        expect(kindsOf(prompts())).toEqual({ warmup: 1, survey: 4, cve_related: 4, cve_info: 4, payload: 4, attack_analysis: 4, verdict: 4, title: 4, report: 4 });

        // Several threads were in llm.ask at once, never more than the workflow's own semaphore allows
        // (the run's LLM budget is 8, so the cap seen here is the node's).
        const peak = t.mock.stats().peakInFlight;
        expect(peak).toBeLessThanOrEqual(CONCURRENCY);
        expect(peak).toBeGreaterThanOrEqual(2);

        const triageStdout = step(result.history, "concurrent_triage").stdout;
        expect(triageStdout).toContain("[triage] LLM provider warm-up OK");
        expect(triageStdout).not.toContain("WARNING");

        const triage = result.outputs.triage_results as Array<Record<string, unknown>>;
        expect(triage.map((t) => [t.dedup_key, t.triage_source, t.attack_verdict, t.risk_level, t.report_title])).toEqual([
          [KEY.sqli, "triaged", "attack_success", "High", TITLES.sqli],
          [KEY.sqli, "follower_reused", "attack_success", "High", TITLES.sqli],
          [KEY.scan, "triaged", "attack_failed", "Medium", TITLES.scan],
          [KEY.sqli, "follower_reused", "attack_success", "High", TITLES.sqli],
          [KEY.scan, "follower_reused", "attack_failed", "Medium", TITLES.scan],
          [KEY.rce, "triaged", "attack", "Medium", TITLES.rce],
          ["", "no_dedup_key_triaged", "unknown", "Medium", TITLES.xss],
        ]);
        expect(result.outputs).toMatchObject({ top_attack_verdict: "attack_success", top_risk_level: "High", top_report_title: TITLES.sqli, top_triage_report: REPORT });

        // Intel look-ups ran for the leaders only: one public IP, URL and domain each, and the one CVE.
        expect(calls.filter((c) => c.name === "threatbook_ip_query").map((c) => c.args.ip).sort()).toEqual(["1.2.3.4", "5.6.7.8", "8.8.4.4", "9.9.9.9"]);
        expect(calls.filter((c) => c.name === "__mcp_vuln_query").map((c) => c.args)).toEqual([{ vuln_id: "CVE-2017-5638" }]);

        // Its files: the summary in the workspace, the triage cache next to the inputs, the SOC DB under the temporary HOME.
        const summaryPath = String(result.outputs.summary_path);
        expect(path.relative(workspace, summaryPath)).toMatch(/^outputs\/\d{4}-\d{2}-\d{2}\/artifacts\/stream_alert_triage_summary\.md$/);
        const summary = readFileSync(summaryPath, "utf8");
        expect(summary).toContain("- Total alerts: 7\n- Unique dedup_keys: 3\n- Work units (LLM-bound): 4\n- Cache hit (reused historic triage): 0\n- Followers reused (in-batch dedup): 3\n- New triages (leaders): 4\n");
        expect(summary).toContain(`## Top-Risk Alert Report\n\n${REPORT}\n`);
        expect(existsSync(path.join(root, "workspace", "workflows", "stream_alert_triage", "triage_cache.pkl"))).toBe(true);
        const socDb = path.join(home, ".flocks", "data", "soc.db");
        expect(result.outputs.soc_db_path).toBe(socDb);
        expect(socRows(socDb)).toEqual([[KEY.sqli, 0], [KEY.rce, 0], [KEY.scan, 0]].sort());

        // A second run over the same files reuses the cached verdicts; only the key-less alert asks again.
        t.mock.reset();
        const again = await runtime.run(workflow, { inputs });
        expect(again.status).toBe("succeeded");
        expect(again.outputs.triage_stats).toMatchObject({ cache_hit: 3, triaged: 1, followers_reused: 3, soc_db_updated_rows: 3, soc_db_inserted_rows: 0 });
        expect(t.mock.stats().requests).toBe(1 + 8);
        expect(again.outputs.top_attack_verdict).toBe("attack_success");
      },
      60_000,
    );
  });
});
