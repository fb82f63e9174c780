export { startMockLlmServer } from "./mock-llm-server.js";
export { parseMockBehavior, parseMockRules } from "./parse-mock-rules.js";
export type {
  MockBehavior,
  MockClientAbort,
  MockLlmServer,
  MockLlmServerOptions,
  MockRequestOutcome,
  MockRequestRecord,
  MockRule,
  MockRuleMatch,
  MockStats,
} from "./types.js";
