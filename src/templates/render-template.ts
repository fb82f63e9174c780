/**
 * Jinja rendering for `llm` prompts and `http_request` url/body (reference flocks-engine.md §3),
 * on @huggingface/jinja.
 *
 * Sandbox: the library never touches JS objects while rendering. It converts variables once into
 * its own value types (objects become Maps of own enumerable keys) and resolves `a.b` with
 * `Map.get`, so `x.constructor`, `x.__proto__` and friends find nothing. What it would still do
 * with raw JS values is call functions found in them, so variables are first copied to plain JSON-like
 * data (functions and symbols dropped, cycles cut) before the library sees them.
 *
 * Scope: we build the environment ourselves instead of calling `Template.render`, because that
 * declares the library's globals first and then throws "Variable already declared" for a payload key
 * such as `range`, `none` or `namespace`. Here, as in Jinja2, payload keys shadow globals, and the
 * literals `true`/`false`/`none` (any case Jinja accepts) cannot be shadowed. The library's own extras
 * (`raise_exception`, `strftime_now`) are left out: Jinja2 has neither.
 *
 * Known differences from Jinja2 (the library's rendering, kept as is): `none` renders "" (Jinja2:
 * "None"), booleans render `true`/`false`, dicts and lists render as JSON; filters, loops and `~` /
 * `+` on an undefined variable raise instead of treating it as "" (use `| default(...)`).
 */
import { Environment, Interpreter, Template } from "@huggingface/jinja";
import { TemplateError } from "../errors.js";

type Program = Template["parsed"];
type RuntimeValue = ReturnType<Environment["set"]>;

/** Parsed templates are reused: workflows render the same few prompts and urls over and over. */
const CACHE_MAX_ENTRIES = 256;
/** `range()` builds a real array, so a template cannot ask for a billion of them. */
const RANGE_MAX_LENGTH = 100_000;

const parsedBySource = new Map<string, Program>();

/** Jinja literals, set after the payload so a payload key cannot redefine `true`. */
const LITERALS: Readonly<Record<string, boolean | null>> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
};

/**
 * Renders a Jinja template with `variables` as its top-level names. Undefined names and attributes
 * of undefined render as "". Parse and render failures throw TemplateError (`cause` is the
 * library's error).
 */
export function renderTemplate(source: string, variables: Record<string, unknown>): string {
  try {
    const program = parseCached(source);
    const result = new Interpreter(createScope(variables)).run(program);
    return typeof result.value === "string" ? result.value : String(result.value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemplateError(`Template render failed: ${reason}`, error);
  }
}

function parseCached(source: string): Program {
  const cached = parsedBySource.get(source);
  if (cached !== undefined) {
    // Re-insert so eviction drops the least recently used template, not a hot one.
    parsedBySource.delete(source);
    parsedBySource.set(source, cached);
    return cached;
  }
  const program = new Template(source).parsed;
  if (parsedBySource.size >= CACHE_MAX_ENTRIES) {
    const oldest = parsedBySource.keys().next().value;
    if (oldest !== undefined) parsedBySource.delete(oldest);
  }
  parsedBySource.set(source, program);
  return program;
}

function createScope(variables: Record<string, unknown>): Environment {
  const names: Record<string, unknown> = Object.create(null);
  names.range = range;
  const plain = toPlainData(variables, new Set()) as Record<string, unknown>;
  for (const key of Object.keys(plain)) names[key] = plain[key];
  for (const key of Object.keys(LITERALS)) names[key] = LITERALS[key];

  // `Environment.set` is the library's only public converter; convert the whole scope at once and
  // copy its entries in with `setVariable`, which (unlike `set`) may replace the preset `namespace`.
  const converted = new Environment().set("scope", names);
  const scope = new Environment();
  for (const [name, value] of converted.value as Map<string, RuntimeValue>) scope.setVariable(name, value);
  return scope;
}

/**
 * A JSON-like copy the library can convert without reaching JS behaviour: functions and symbols
 * are dropped, a reference back to an ancestor (a cycle) becomes undefined, dates become ISO strings.
 * Objects get a null prototype so a `__proto__` key stays an ordinary key.
 */
function toPlainData(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return value;
    case "bigint":
      return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) return undefined;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return Array.from(object, (item: unknown) => toPlainData(item, ancestors));
    const copy: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(object)) {
      const item = toPlainData((object as Record<string, unknown>)[key], ancestors);
      if (item !== undefined) copy[key] = item;
    }
    return copy;
  } finally {
    ancestors.delete(object);
  }
}

/** Jinja2's `range(stop)` / `range(start, stop[, step])`. */
function range(...args: unknown[]): number[] {
  if (args.length < 1 || args.length > 3 || !args.every((arg) => Number.isInteger(arg))) {
    throw new Error("range() expects 1 to 3 integer arguments");
  }
  const ints = args as number[];
  const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
  if (step === 0) throw new Error("range() step must not be zero");
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > RANGE_MAX_LENGTH) throw new Error(`range() of ${length} items exceeds ${RANGE_MAX_LENGTH}`);
  return Array.from({ length }, (_, i) => start + i * step);
}
