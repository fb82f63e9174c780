/**
 * Which behaviour answers a request: the x-mock-behavior header, then the rules in order, then a
 * normal reply; failFirst counted per rule and per header text; and the api key gate.
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startMockLlmServer, type MockLlmServer, type MockRule } from "../../src/mock-llm/index.js";
import { chatBody, postChat } from "./support/mock-client.js";

let server: MockLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function contentFor(mock: MockLlmServer, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string | number> {
  const res = await postChat(mock, body, { headers });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return res.statusCode;
  }
  return ((await res.body.json()) as { choices: [{ message: { content: string } }] }).choices[0].message.content;
}

const RULES: MockRule[] = [
  { match: { model: "slow-model" }, behavior: { reply: "by model" } },
  { match: { promptIncludes: "weather" }, behavior: { reply: "by prompt" } },
  { match: { header: ["X-Tenant", "acme"] }, behavior: { reply: "by header" } },
  { match: { model: "slow-model", promptIncludes: "weather" }, behavior: { reply: "never reached: the first rule wins" } },
];

describe("rules", () => {
  it("match by model, by a substring of the last user message and by header; first match wins; else the default", async () => {
    server = await startMockLlmServer({ rules: RULES });
    expect(await contentFor(server, chatBody({ model: "slow-model" }))).toBe("by model");
    expect(await contentFor(server, chatBody({ messages: [{ role: "user", content: "what's the weather?" }] }))).toBe("by prompt");
    expect(await contentFor(server, chatBody({ model: "slow-model", messages: [{ role: "user", content: "weather" }] }))).toBe("by model");
    expect(await contentFor(server, chatBody(), { "x-tenant": "acme" })).toBe("by header");
    expect(await contentFor(server, chatBody(), { "x-tenant": "other" })).toBe("mock reply from mock-model: hello");
    // Only the last user message counts.
    expect(await contentFor(server, chatBody({ messages: [{ role: "user", content: "weather" }, { role: "user", content: "sun" }] }))).toBe("mock reply from mock-model: sun");
  });

  it("every field of a match must hold", async () => {
    server = await startMockLlmServer({ rules: [{ match: { model: "a", promptIncludes: "x" }, behavior: { reply: "both" } }] });
    expect(await contentFor(server, chatBody({ model: "a", messages: [{ role: "user", content: "x" }] }))).toBe("both");
    expect(await contentFor(server, chatBody({ model: "a" }))).toBe("mock reply from a: hello");
  });

  it("the x-mock-behavior header wins over every rule", async () => {
    server = await startMockLlmServer({ rules: RULES });
    expect(await contentFor(server, chatBody({ model: "slow-model" }), { "x-mock-behavior": JSON.stringify({ reply: "by request header" }) })).toBe("by request header");
  });

  it("setRules replaces the rules (and their failFirst counts)", async () => {
    server = await startMockLlmServer({ rules: [{ behavior: { status: 500, failFirst: 1 } }] });
    expect(await contentFor(server, chatBody())).toBe(500);
    expect(await contentFor(server, chatBody())).toBe("mock reply from mock-model: hello");
    server.setRules([{ behavior: { status: 502, failFirst: 1 } }]);
    expect(await contentFor(server, chatBody())).toBe(502);
    expect(await contentFor(server, chatBody())).toBe("mock reply from mock-model: hello");
  });

  it("rejects an invalid rule with the path of the bad field", async () => {
    await expect(startMockLlmServer({ rules: [{ behavior: { chunkCount: 0 } }] })).rejects.toMatchObject({ name: "InvalidOptionError", message: "rules[0].behavior.chunkCount must be an integer >= 1" });
    server = await startMockLlmServer();
    expect(() => server!.setRules([{ behavior: { stallAftrHeaders: true } as never }])).toThrow(/^rules\[0\]\.behavior\.stallAftrHeaders is not a known field/);
    expect(() => server!.setRules([{ match: { header: ["x"] as never }, behavior: {} }])).toThrow("rules[0].match.header must be a [name, value] pair of strings");
    expect(() => server!.setRules([{ behavior: { status: 200 } }])).toThrow("rules[0].behavior.status must be an error status between 400 and 599");
  });
});

describe("failFirst counting", () => {
  it("is per rule: each rule fails its own first N requests", async () => {
    server = await startMockLlmServer({
      rules: [
        { match: { model: "a" }, behavior: { status: 503, failFirst: 1 } },
        { match: { model: "b" }, behavior: { status: 429, failFirst: 2 } },
      ],
    });
    const seen: Array<string | number> = [];
    for (const model of ["a", "b", "a", "b", "b"]) seen.push(await contentFor(server, chatBody({ model })));
    expect(seen).toEqual([503, 429, "mock reply from a: hello", 429, "mock reply from b: hello"]);
    expect(server.stats()).toMatchObject({ requests: 5, requestsByModel: { a: 2, b: 3 } });
  });

  it("is per distinct header text", async () => {
    server = await startMockLlmServer();
    const first = JSON.stringify({ status: 500, failFirst: 1 });
    const second = JSON.stringify({ status: 500, failFirst: 1, reply: "other" });
    const seen = [];
    for (const header of [first, second, first, second]) seen.push(await contentFor(server, chatBody(), { "x-mock-behavior": header }));
    expect(seen).toEqual([500, 500, "mock reply from mock-model: hello", "other"]);
  });

  it("restarts after reset()", async () => {
    server = await startMockLlmServer({ rules: [{ behavior: { status: 500, failFirst: 1 } }] });
    expect(await contentFor(server, chatBody())).toBe(500);
    server.reset();
    expect(await contentFor(server, chatBody())).toBe(500);
    expect(await contentFor(server, chatBody())).toBe("mock reply from mock-model: hello");
  });
});

describe("a bad x-mock-behavior header", () => {
  it.each([
    ["not JSON", "{oops", "x-mock-behavior header is not valid JSON: "],
    ["not an object", "[1]", "x-mock-behavior header must be an object"],
    ["an unknown field", JSON.stringify({ stall: true }), "x-mock-behavior header.stall is not a known field"],
    ["a wrong type", JSON.stringify({ firstByteDelayMs: "100" }), "x-mock-behavior header.firstByteDelayMs must be a number >= 0"],
  ])("%s: 400 naming the problem", async (_what, header, message) => {
    server = await startMockLlmServer();
    const res = await postChat(server, chatBody(), { headers: { "x-mock-behavior": header } });
    expect(res.statusCode).toBe(400);
    const body = (await res.body.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message.startsWith(message)).toBe(true);
  });
});

describe("apiKey", () => {
  it("answers 401 without the right bearer key, on chat and models alike, and records what was sent", async () => {
    server = await startMockLlmServer({ apiKey: "sk-test" });
    const missing = await postChat(server, chatBody());
    expect(missing.statusCode).toBe(401);
    expect(await missing.body.json()).toEqual({ error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" } });
    expect(await contentFor(server, chatBody(), { authorization: "Bearer sk-wrong" })).toBe(401);
    expect(await contentFor(server, chatBody(), { authorization: "Bearer sk-test" })).toBe("mock reply from mock-model: hello");
    const models = await request(`${server.url}/models`);
    expect(models.statusCode).toBe(401);
    await models.body.dump();
    const allowed = await request(`${server.url}/models`, { headers: { authorization: "Bearer sk-test" } });
    expect(allowed.statusCode).toBe(200);
    await allowed.body.dump();
    expect(server.requests().map((r) => [r.authorization, r.model, r.outcome])).toEqual([
      [null, "mock-model", "error_status"],
      ["Bearer sk-wrong", "mock-model", "error_status"],
      ["Bearer sk-test", "mock-model", "completed"],
    ]);
    expect(server.stats().requestsByModel).toEqual({ "mock-model": 3 });
  });

  it("a 401 does not use up a rule's failFirst", async () => {
    server = await startMockLlmServer({ apiKey: "k", rules: [{ behavior: { status: 500, failFirst: 1 } }] });
    expect(await contentFor(server, chatBody())).toBe(401);
    expect(await contentFor(server, chatBody(), { authorization: "Bearer k" })).toBe(500);
  });
});
