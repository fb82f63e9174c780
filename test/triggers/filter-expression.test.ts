import { describe, expect, it } from "vitest";
import { FilterExpression, FilterExpressionError } from "../../src/triggers/index.js";

const event = {
  body: { severity: "high", count: 7, tags: ["a", "b"], nested: { ok: true, list: [{ id: 3 }] }, empty: [], zero: 0, none: null },
  headers: { "x-env": "prod" },
  query: { page: "2" },
  pathParams: { workflowId: "wf" },
  payload: { severity: "high" },
  raw: "raw text",
  event: { source: { triggerType: "webhook", deliveryId: "d1" } },
};

const matches = (expr: string) => FilterExpression.parse(expr).matches(event);

describe("filter expressions", () => {
  it.each([
    ["body.severity == 'high'", true],
    ['body.severity != "high"', false],
    ["body.count > 5 and body.count <= 7", true],
    ["body.count < 5 or headers['x-env'] == 'prod'", true],
    ["not body.nested.ok", false],
    ["not not body.tags", true],
    ["1 < body.count < 10", true],
    ["1 < body.count < 5", false],
    ["'a' in body.tags and 'z' not in body.tags", true],
    ["'sev' in 'severity'", true],
    ["'severity' in body", true],
    ["body.severity in ('high', 'critical')", true],
    ["body.severity in ['low']", false],
    ["body.nested.list[0].id == 3", true],
    ["body.tags[-1] == 'b'", true],
    ["body.missing == None", true],
    ["body.none is None", "error"],
    ["body.empty", false],
    ["body.zero", false],
    ["body.nested == {'ok': True, 'list': [{'id': 3}]}", true],
    ["body.count == 7.0", true],
    ["body.nested.ok == 1", true],
    ["query.page == '2' and pathParams.workflowId == 'wf'", true],
    ["payload.severity == body['severity']", true],
    ["raw == 'raw text'", true],
    ["event.source.triggerType == 'webhook'", true],
    ["body.count >= -1", true],
    ["'b' < 'c' and [1, 2] < [1, 3]", true],
    ["true and not false and null == None", true],
    ["(body.count > 5)", true],
    ["body.constructor == None and body.__proto__ == None", true],
  ])("%s → %s", (expr, expected) => {
    if (expected === "error") {
      expect(() => matches(expr)).toThrow(FilterExpressionError);
    } else {
      expect(matches(expr)).toBe(expected);
    }
  });

  it.each([
    ["body.x = 1", "unexpected character '='"],
    ["body.x ==", "unexpected end of expression"],
    ["(body.x", "expected ')'"],
    ["'open", "unterminated string"],
    ["os.system('x')", "unexpected '('"],
    ["os.name == 'posix'", "unknown name 'os'"],
    ["__import__('os')", "unexpected '('"],
    ["__import__ == 1", "unknown name '__import__'"],
    ["body.x if True else 1", "unexpected 'if'"],
    ["lambda: 1", "unexpected ':'"],
    ["body.f(1)", "unexpected '('"],
    ["[x for x in body]", "expected ',' but found 'for'"],
    ["", "empty expression"],
    ["1 +", "unexpected character '+'"],
    ["body.x and", "unexpected end of expression"],
  ])("rejects %j at parse time", (expr, message) => {
    expect(() => FilterExpression.parse(expr)).toThrow(FilterExpressionError);
    expect(() => FilterExpression.parse(expr)).toThrow(message);
  });

  it("rejects runaway nesting and length instead of overflowing the stack", () => {
    expect(() => FilterExpression.parse("(".repeat(200) + "1" + ")".repeat(200))).toThrow(/nesting deeper than/);
    expect(() => FilterExpression.parse("not ".repeat(300) + "1")).toThrow(/nesting deeper than/);
    expect(() => FilterExpression.parse("1 == 1 and ".repeat(500) + "1")).toThrow(/longer than/);
  });

  it.each([
    ["body['missing'] == 1", "key \"missing\" not found"],
    ["body.tags[5] == 1", "index 5 out of range"],
    ["body.none > 1", "'>' not supported between null and number"],
    ["body.severity > 1", "'>' not supported"],
    ["1 in body.count", "not iterable"],
    ["body.count[0]", "not subscriptable"],
  ])("fails on %j at evaluation time, as Python would", (expr, message) => {
    expect(() => matches(expr)).toThrow(message);
  });
});
