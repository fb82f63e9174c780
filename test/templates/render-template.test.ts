import { afterEach, describe, expect, it } from "vitest";
import { TemplateError } from "../../src/errors.js";
import { renderTemplate } from "../../src/templates/index.js";

function renderError(source: string, variables: Record<string, unknown> = {}): TemplateError {
  try {
    renderTemplate(source, variables);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw new Error(`expected TemplateError, got ${String(error)}`);
  }
  throw new Error(`expected TemplateError, rendered without error: ${source}`);
}

describe("renderTemplate syntax", () => {
  it("reads dict keys and list items with dots and brackets", () => {
    const vars = { a: { b: { c: "deep" } }, items: ["x", "y"], "k-1": 5 };
    expect(renderTemplate("{{ a.b.c }}", vars)).toBe("deep");
    expect(renderTemplate("{{ a['b']['c'] }}", vars)).toBe("deep");
    expect(renderTemplate("{{ items[1] }}/{{ items.0 }}", vars)).toBe("y/x");
    expect(renderTemplate("http://h/{{ a.b.c }}?n={{ items | length }}", vars)).toBe("http://h/deep?n=2");
  });

  it("renders if / elif / else", () => {
    const source = "{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}";
    expect(renderTemplate(source, { n: 3 })).toBe("many");
    expect(renderTemplate(source, { n: 1 })).toBe("one");
    expect(renderTemplate(source, { n: 0 })).toBe("none");
    expect(renderTemplate("{% if missing %}yes{% else %}no{% endif %}", {})).toBe("no");
  });

  it("renders for loops over lists and dict items, with loop variables", () => {
    expect(renderTemplate("{% for x in xs %}{{ loop.index }}={{ x }};{% endfor %}", { xs: ["a", "b"] })).toBe("1=a;2=b;");
    expect(renderTemplate("{% for k, v in d.items() %}{{ k }}:{{ v }} {% endfor %}", { d: { p: 1, q: 2 } })).toBe("p:1 q:2 ");
    expect(renderTemplate("{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", { xs: [] })).toBe("empty");
  });

  it("applies default to undefined values only, or to falsy values with boolean=true", () => {
    expect(renderTemplate("{{ x | default('d') }}", {})).toBe("d");
    expect(renderTemplate("{{ a.b | default('d') }}", { a: {} })).toBe("d");
    expect(renderTemplate("[{{ x | default('d') }}]", { x: "" })).toBe("[]");
    expect(renderTemplate("{{ x | default('d', true) }}", { x: "" })).toBe("d");
    expect(renderTemplate("{{ x | default('d') }}", { x: "set" })).toBe("set");
  });

  it("serialises tojson like Python's json.dumps, non-ASCII kept", () => {
    expect(renderTemplate("{{ v | tojson }}", { v: { k: "é", n: [1, 2] } })).toBe('{"k": "é", "n": [1, 2]}');
    expect(renderTemplate("{{ v | tojson }}", { v: 'say "hi"' })).toBe('"say \\"hi\\""');
    expect(renderTemplate("{{ v | tojson }}", { v: null })).toBe("null");
    expect(renderTemplate("{{ v | tojson }}", { v: [true, 1.5, { a: null }] })).toBe('[true, 1.5, {"a": null}]');
  });

  it("applies upper, lower, length and join", () => {
    expect(renderTemplate("{{ s | upper }}", { s: "abc" })).toBe("ABC");
    expect(renderTemplate("{{ s | lower }}", { s: "AbC" })).toBe("abc");
    expect(renderTemplate("{{ s | length }}", { s: "héllo" })).toBe("5");
    expect(renderTemplate("{{ xs | length }}", { xs: [1, 2, 3] })).toBe("3");
    expect(renderTemplate("{{ d | length }}", { d: { a: 1, b: 2 } })).toBe("2");
    expect(renderTemplate("{{ xs | join(', ') }}", { xs: ["a", "b", "c"] })).toBe("a, b, c");
    expect(renderTemplate("{{ xs | join }}", { xs: ["a", "b"] })).toBe("ab");
    expect(renderTemplate("{{ xs | join('-') }}", { xs: [1, 2] })).toBe("1-2");
  });

  it("renders scalars: numbers as written, strings without escaping (no autoescape)", () => {
    expect(renderTemplate("{{ i }}|{{ f }}|{{ s }}", { i: 42, f: 2.5, s: "<b>&</b>" })).toBe("42|2.5|<b>&</b>");
  });

  it("supports range() and set", () => {
    expect(renderTemplate("{% for i in range(3) %}{{ i }}{% endfor %}", {})).toBe("012");
    expect(renderTemplate("{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}", {})).toBe("135");
    expect(renderTemplate("{% set y = x * 2 %}{{ y }}", { x: 21 })).toBe("42");
    expect(renderError("{{ range(1000000000) | length }}").message).toMatch(/^Template render failed: range\(\) of/);
  });
});

describe("renderTemplate undefined values", () => {
  it("renders undefined variables and attributes of undefined as empty strings", () => {
    expect(renderTemplate("[{{ missing }}]", {})).toBe("[]");
    expect(renderTemplate("[{{ missing.attr }}]", {})).toBe("[]");
    expect(renderTemplate("[{{ missing.a.b.c }}]", {})).toBe("[]");
    expect(renderTemplate("[{{ obj.nope }}]", { obj: { yes: 1 } })).toBe("[]");
    expect(renderTemplate("[{{ explicit }}]", { explicit: undefined })).toBe("[]");
  });

  it("lets payload keys shadow globals without breaking rendering, but not the true/false/none literals", () => {
    const vars = { range: "r", namespace: "n", none: "shadow", true: "shadow" };
    expect(renderTemplate("{{ range }}{{ namespace }}", vars)).toBe("rn");
    expect(renderTemplate("{% if true %}T{% endif %}{% if none is none %}N{% endif %}", vars)).toBe("TN");
  });

  it("renders nested JS values the way the payload holds them", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    expect(renderTemplate("{{ c.name }}|{{ c.self }}|{{ c.self.name }}", { c: cyclic })).toBe("loop||");
    expect(renderTemplate("{{ d }}", { d: new Date("2024-01-02T03:04:05.000Z") })).toBe("2024-01-02T03:04:05.000Z");
    expect(renderTemplate("{{ n }}", { n: 12n })).toBe("12");
  });
});

describe("renderTemplate sandbox", () => {
  afterEach(() => {
    delete (globalThis as Record<string, unknown>).__flockflowPwned;
  });

  const escapes = [
    "{{ x.constructor }}",
    "{{ x.__proto__ }}",
    "{{ x['constructor'] }}",
    "{{ x.hasOwnProperty }}",
    "{{ x.toString }}",
    "{{ s.constructor }}",
    "{{ s.__proto__ }}",
    "{{ ''.constructor }}",
    "{{ [].constructor }}",
    "{{ n.constructor }}",
    "{{ x.__class__ }}",
    "{{ x.__class__.__mro__ }}",
    "{{ process }}",
    "{{ globalThis }}",
    "{{ require }}",
    "{{ raise_exception }}",
    "{{ strftime_now }}",
  ];
  for (const source of escapes) {
    it(`cannot reach JS internals through ${source}`, () => {
      expect(renderTemplate(source, { x: {}, s: "str", n: 1 })).toBe("");
    });
  }

  const calls = [
    "{{ ''.constructor.constructor('globalThis.__flockflowPwned = 1')() }}",
    "{{ x.constructor.constructor('globalThis.__flockflowPwned = 1')() }}",
    "{{ [].constructor.constructor('globalThis.__flockflowPwned = 1')() }}",
    "{{ x.__proto__.constructor.constructor('globalThis.__flockflowPwned = 1')() }}",
    "{{ raise_exception('x') }}",
    "{{ process.exit(1) }}",
  ];
  for (const source of calls) {
    it(`refuses to execute ${source}`, () => {
      const error = renderError(source, { x: {} });
      expect(error.code).toBe("FF_TEMPLATE_FAILED");
      expect(error.message).toMatch(/^Template render failed: /);
      expect((globalThis as Record<string, unknown>).__flockflowPwned).toBeUndefined();
    });
  }

  it("never calls functions found in the variables", () => {
    let calls = 0;
    const fn = () => {
      calls += 1;
      return "called";
    };
    expect(renderTemplate("[{{ f }}][{{ o.m }}]", { f: fn, o: { m: fn } })).toBe("[][]");
    expect(renderError("{{ f() }}", { f: fn }).name).toBe("TemplateError");
    expect(renderError("{{ o.m() }}", { o: { m: fn } }).name).toBe("TemplateError");
    expect(calls).toBe(0);
  });

  it("hides class instances' prototype methods and getters", () => {
    class Secretive {
      field = "visible";
      method(): string {
        return "hidden";
      }
      get computed(): string {
        return "hidden";
      }
    }
    expect(renderTemplate("{{ o.field }}[{{ o.method }}][{{ o.computed }}]", { o: new Secretive() })).toBe("visible[][]");
  });

  it("treats a __proto__ key as data without touching Object.prototype", () => {
    const vars = JSON.parse('{"x": {"__proto__": {"polluted": "yes"}}}') as Record<string, unknown>;
    expect(renderTemplate("{{ x.__proto__.polluted }}", vars)).toBe("yes");
    expect(renderTemplate("{% set o = {'__proto__': {'polluted': 1}} %}{{ o.__proto__.polluted }}", {})).toBe("1");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("renderTemplate errors", () => {
  it("raises TemplateError for an unterminated expression tag", () => {
    const error = renderError("hello {{ name");
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.code).toBe("FF_TEMPLATE_FAILED");
    expect(error.message).toMatch(/^Template render failed: \S/);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).toContain((error.cause as Error).message);
  });

  it("raises TemplateError for unclosed blocks and unknown filters", () => {
    expect(renderError("{% if x %}yes").message).toMatch(/^Template render failed: /);
    expect(renderError("{% for x in xs %}{{ x }}").message).toMatch(/^Template render failed: /);
    expect(renderError("{{ s | no_such_filter }}", { s: "a" }).message).toBe(
      "Template render failed: Unknown StringValue filter: no_such_filter",
    );
  });
});

describe("renderTemplate cache", () => {
  it("returns the same output for repeated renders and never bakes in variables", () => {
    const source = "Hi {{ who }} ({{ n }})";
    const first = renderTemplate(source, { who: "ann", n: 1 });
    expect(first).toBe("Hi ann (1)");
    expect(renderTemplate(source, { who: "ann", n: 1 })).toBe(first);
    expect(renderTemplate(source, { who: "bob", n: 2 })).toBe("Hi bob (2)");
    expect(renderTemplate(source, {})).toBe("Hi  ()");
  });

  it("keeps rendering correctly after more distinct templates than the cache holds", () => {
    const outputs: string[] = [];
    for (let i = 0; i < 300; i += 1) outputs.push(renderTemplate(`t${i}={{ v }}`, { v: i }));
    expect(outputs[0]).toBe("t0=0");
    expect(outputs[299]).toBe("t299=299");
    expect(renderTemplate("t0={{ v }}", { v: "again" })).toBe("t0=again");
    expect(renderTemplate("t299={{ v }}", { v: "again" })).toBe("t299=again");
  });

  it("raises TemplateError on every render of a template that fails to parse", () => {
    expect(renderError("{{ broken").name).toBe("TemplateError");
    expect(renderError("{{ broken").name).toBe("TemplateError");
  });
});
