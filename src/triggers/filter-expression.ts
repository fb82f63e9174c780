/**
 * `filter.expr`: the small, safe expression language of Flocks' trigger filters (reference
 * flocks-service.md §3.2, `TriggerExpressionEvaluator`). Flocks parses the text as a Python
 * expression and walks an allowlist of AST nodes; this is a tokenizer, a recursive-descent parser
 * and an interpreter for the same subset. Nothing is ever handed to `eval` or `Function`, and no
 * JavaScript property lookup reaches a prototype (only own keys of plain objects and array indices).
 *
 * Grammar (Python precedence):
 *   or_expr    := and_expr ("or" and_expr)*
 *   and_expr   := not_expr ("and" not_expr)*
 *   not_expr   := "not" not_expr | comparison
 *   comparison := unary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") unary)*   (chained)
 *   unary      := "-" unary | postfix
 *   postfix    := primary ("." NAME | "[" or_expr "]")*
 *   primary    := NUMBER | STRING | True | False | None | true | false | null | NAME
 *               | "(" or_expr ")" | "(" [or_expr ("," or_expr)* [","]] ")" | "[" ... "]" | "{" key ":" value, ... "}"
 *
 * Semantics follow Python: `and`/`or`/`not` use Python truthiness and give booleans; `==` is deep
 * equality (True == 1); `<`… compare numbers with numbers, strings with strings and lists
 * lexicographically, anything else is an error; `in` is membership in a list, a key of an object or
 * a substring; `.attr` gives null when the key is missing (Flocks: `dict.get`); `[key]` on a missing
 * key or index is an error (Flocks: `value[key]` raises). A name other than the event's parts is an
 * error. Unary minus is an addition (Flocks rejects `-1`).
 */
import { FilterExpressionError, parseFilterExpression, type CompareOp, type FilterNode } from "./filter-parser.js";

export { FILTER_NAMES, FilterExpressionError } from "./filter-parser.js";

/** A compiled expression: parse once (when the trigger starts), evaluate per event. */
export class FilterExpression {
  readonly source: string;
  readonly #root: FilterNode;

  private constructor(source: string, root: FilterNode) {
    this.source = source;
    this.#root = root;
  }

  /** Throws FilterExpressionError naming the column of the first problem. */
  static parse(source: string): FilterExpression {
    return new FilterExpression(source, parseFilterExpression(source));
  }

  /** Python truthiness of the result. Throws FilterExpressionError when the event does not fit. */
  matches(variables: Readonly<Record<string, unknown>>): boolean {
    return truthy(evaluate(this.#root, variables));
  }
}

function evaluate(node: FilterNode, variables: Readonly<Record<string, unknown>>): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "name":
      if (!Object.prototype.hasOwnProperty.call(variables, node.name)) throw new FilterExpressionError(`unknown name '${node.name}'`);
      return variables[node.name];
    case "list":
      return node.items.map((item) => evaluate(item, variables));
    case "dict": {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of node.entries) {
        const key = evaluate(k, variables);
        if (typeof key !== "string" && typeof key !== "number" && typeof key !== "boolean" && key !== null) {
          throw new FilterExpressionError(`unhashable dict key of type ${typeName(key)}`);
        }
        out[String(key)] = evaluate(v, variables);
      }
      return out;
    }
    case "and":
      return node.operands.every((operand) => truthy(evaluate(operand, variables)));
    case "or":
      return node.operands.some((operand) => truthy(evaluate(operand, variables)));
    case "not":
      return !truthy(evaluate(node.operand, variables));
    case "negate": {
      const value = evaluate(node.operand, variables);
      if (typeof value === "number") return -value;
      if (typeof value === "boolean") return value ? -1 : 0;
      throw new FilterExpressionError(`bad operand type for unary -: ${typeName(value)}`);
    }
    case "compare": {
      let left = evaluate(node.first, variables);
      for (const [op, rightNode] of node.rest) {
        const right = evaluate(rightNode, variables);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case "attribute": {
      const target = evaluate(node.target, variables);
      return isObject(target) && Object.prototype.hasOwnProperty.call(target, node.name) ? target[node.name] : null;
    }
    case "subscript":
      return subscript(evaluate(node.target, variables), evaluate(node.key, variables));
  }
}

function subscript(target: unknown, key: unknown): unknown {
  if (Array.isArray(target) || typeof target === "string") {
    const index = typeof key === "boolean" ? Number(key) : key;
    if (typeof index !== "number" || !Number.isInteger(index)) throw new FilterExpressionError(`indices must be integers, not ${typeName(key)}`);
    const position = index < 0 ? target.length + index : index;
    if (position < 0 || position >= target.length) throw new FilterExpressionError(`index ${index} out of range`);
    return target[position];
  }
  if (isObject(target)) {
    const name = typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
    if (name === undefined || !Object.prototype.hasOwnProperty.call(target, name)) throw new FilterExpressionError(`key ${JSON.stringify(key) ?? typeName(key)} not found`);
    return target[name];
  }
  throw new FilterExpressionError(`${typeName(target)} is not subscriptable`);
}

function compare(op: CompareOp, left: unknown, right: unknown): boolean {
  switch (op) {
    case "==":
      return equal(left, right);
    case "!=":
      return !equal(left, right);
    case "in":
      return contains(right, left);
    case "not in":
      return !contains(right, left);
    default: {
      const order = ordering(left, right, op);
      if (op === "<") return order < 0;
      if (op === "<=") return order <= 0;
      if (op === ">") return order > 0;
      return order >= 0;
    }
  }
}

/** Python `==`: deep for lists and objects; booleans equal the numbers 0 and 1. */
function equal(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => equal(item, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) return container.some((element) => equal(element, item));
  if (typeof container === "string") {
    if (typeof item !== "string") throw new FilterExpressionError(`'in <string>' requires a string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (isObject(container)) {
    if (typeof item !== "string" && !isNumeric(item)) throw new FilterExpressionError(`unhashable type: ${typeName(item)}`);
    return Object.prototype.hasOwnProperty.call(container, String(item));
  }
  throw new FilterExpressionError(`argument of type ${typeName(container)} is not iterable`);
}

/** Python ordering: numbers with numbers, strings with strings, lists lexicographically; else an error. */
function ordering(a: unknown, b: unknown, op: string): number {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(Number(a) - Number(b));
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!equal(a[i], b[i])) return ordering(a[i], b[i], op);
    }
    return Math.sign(a.length - b.length);
  }
  throw new FilterExpressionError(`'${op}' not supported between ${typeName(a)} and ${typeName(b)}`);
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === "number" || typeof value === "boolean";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "object";
  return typeof value;
}
