/**
 * The tokenizer and recursive-descent parser of trigger filter expressions; `filter-expression.ts`
 * has the language and its evaluation. Parsing bounds the input (length and nesting depth), so a
 * hostile expression cannot overflow the stack, and checks every name against `FILTER_NAMES`.
 */

/** The names an expression may use: the parts of the trigger event. */
export const FILTER_NAMES = ["event", "body", "headers", "query", "pathParams", "payload", "raw"] as const;

const MAX_EXPRESSION_LENGTH = 4096;
const MAX_DEPTH = 64;

export class FilterExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterExpressionError";
  }
}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";

export type FilterNode =
  | { kind: "literal"; value: unknown }
  | { kind: "name"; name: string }
  | { kind: "list"; items: FilterNode[] }
  | { kind: "dict"; entries: Array<[FilterNode, FilterNode]> }
  | { kind: "and" | "or"; operands: FilterNode[] }
  | { kind: "not"; operand: FilterNode }
  | { kind: "negate"; operand: FilterNode }
  | { kind: "compare"; first: FilterNode; rest: Array<[CompareOp, FilterNode]> }
  | { kind: "attribute"; target: FilterNode; name: string }
  | { kind: "subscript"; target: FilterNode; key: FilterNode };

type Token =
  | { type: "number"; value: number; at: number }
  | { type: "string"; value: string; at: number }
  | { type: "name"; value: string; at: number }
  | { type: "op"; value: string; at: number }
  | { type: "end"; value: ""; at: number };

const OPERATORS = ["==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", "-"];
const KEYWORD_LITERALS: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const RESERVED = new Set(["and", "or", "not", "in"]);

// ---------------------------------------------------------------------------------------------
// Tokenizer

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i))!;
      if (/[A-Za-z_]/.test(source[i + match[0].length] ?? "")) throw syntaxError(`invalid number`, i);
      tokens.push({ type: "number", value: Number(match[0]), at: i });
      i += match[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ type: "name", value: match[0], at: i });
      i += match[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const [value, end] = readString(source, i);
      tokens.push({ type: "string", value, at: i });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw syntaxError(`unexpected character '${ch}'`, i);
    tokens.push({ type: "op", value: op, at: i });
    i += op.length;
  }
  tokens.push({ type: "end", value: "", at: source.length });
  return tokens;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"' };

function readString(source: string, start: number): [string, number] {
  const quote = source[start]!;
  let value = "";
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === quote) return [value, i + 1];
    if (ch === "\n") break;
    if (ch === "\\") {
      const next = source[i + 1];
      if (next === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (next !== undefined && next in ESCAPES) {
        value += ESCAPES[next];
        i += 2;
        continue;
      }
      value += ch;
      i++;
      continue;
    }
    value += ch;
    i++;
  }
  throw syntaxError("unterminated string", start);
}

function syntaxError(message: string, at: number): FilterExpressionError {
  return new FilterExpressionError(`${message} at column ${at + 1}`);
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  #position = 0;
  #depth = 0;
  readonly #tokens: Token[];

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parseAll(): FilterNode {
    if (this.#peek().type === "end") throw syntaxError("empty expression", 0);
    const node = this.#orExpr();
    const rest = this.#peek();
    if (rest.type !== "end") throw syntaxError(`unexpected '${rest.value}'`, rest.at);
    return node;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#position + offset, this.#tokens.length - 1)]!;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.type !== "end") this.#position++;
    return token;
  }

  #isOp(value: string, offset = 0): boolean {
    const token = this.#peek(offset);
    return token.type === "op" && token.value === value;
  }

  #isKeyword(value: string, offset = 0): boolean {
    const token = this.#peek(offset);
    return token.type === "name" && token.value === value;
  }

  #expectOp(value: string): void {
    const token = this.#next();
    if (token.type !== "op" || token.value !== value) throw syntaxError(`expected '${value}' but found '${token.value || "end of expression"}'`, token.at);
  }

  #nested<T>(parse: () => T): T {
    if (++this.#depth > MAX_DEPTH) throw syntaxError(`nesting deeper than ${MAX_DEPTH}`, this.#peek().at);
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  #orExpr(): FilterNode {
    return this.#nested(() => {
      const operands = [this.#andExpr()];
      while (this.#isKeyword("or")) {
        this.#next();
        operands.push(this.#andExpr());
      }
      return operands.length === 1 ? operands[0]! : { kind: "or", operands };
    });
  }

  #andExpr(): FilterNode {
    const operands = [this.#notExpr()];
    while (this.#isKeyword("and")) {
      this.#next();
      operands.push(this.#notExpr());
    }
    return operands.length === 1 ? operands[0]! : { kind: "and", operands };
  }

  #notExpr(): FilterNode {
    if (this.#isKeyword("not")) {
      this.#next();
      return this.#nested(() => ({ kind: "not", operand: this.#notExpr() }));
    }
    return this.#comparison();
  }

  #comparison(): FilterNode {
    const first = this.#unary();
    const rest: Array<[CompareOp, FilterNode]> = [];
    for (;;) {
      const op = this.#compareOp();
      if (!op) break;
      rest.push([op, this.#unary()]);
    }
    return rest.length === 0 ? first : { kind: "compare", first, rest };
  }

  #compareOp(): CompareOp | undefined {
    const token = this.#peek();
    if (token.type === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(token.value)) {
      this.#next();
      return token.value as CompareOp;
    }
    if (this.#isKeyword("in")) {
      this.#next();
      return "in";
    }
    if (this.#isKeyword("not") && this.#isKeyword("in", 1)) {
      this.#next();
      this.#next();
      return "not in";
    }
    return undefined;
  }

  #unary(): FilterNode {
    if (this.#isOp("-")) {
      this.#next();
      return this.#nested(() => ({ kind: "negate", operand: this.#unary() }));
    }
    return this.#postfix();
  }

  #postfix(): FilterNode {
    let node = this.#primary();
    for (;;) {
      if (this.#isOp(".")) {
        this.#next();
        const name = this.#next();
        if (name.type !== "name") throw syntaxError(`expected a name after '.'`, name.at);
        node = { kind: "attribute", target: node, name: name.value };
      } else if (this.#isOp("[")) {
        this.#next();
        const key = this.#orExpr();
        this.#expectOp("]");
        node = { kind: "subscript", target: node, key };
      } else {
        return node;
      }
    }
  }

  #primary(): FilterNode {
    const token = this.#next();
    switch (token.type) {
      case "number":
      case "string":
        return { kind: "literal", value: token.value };
      case "name":
        if (Object.prototype.hasOwnProperty.call(KEYWORD_LITERALS, token.value)) return { kind: "literal", value: KEYWORD_LITERALS[token.value] };
        if (RESERVED.has(token.value)) throw syntaxError(`unexpected '${token.value}'`, token.at);
        return { kind: "name", name: token.value };
      case "op":
        if (token.value === "(") return this.#nested(() => this.#parenthesised());
        if (token.value === "[") return this.#nested(() => ({ kind: "list", items: this.#items("]") }));
        if (token.value === "{") return this.#nested(() => this.#dict());
        throw syntaxError(`unexpected '${token.value}'`, token.at);
      case "end":
        throw syntaxError("unexpected end of expression", token.at);
    }
  }

  /** `(x)` groups; `()`, `(x,)` and `(x, y)` are tuples, read as lists. */
  #parenthesised(): FilterNode {
    if (this.#isOp(")")) {
      this.#next();
      return { kind: "list", items: [] };
    }
    const first = this.#orExpr();
    if (!this.#isOp(",")) {
      this.#expectOp(")");
      return first;
    }
    this.#next();
    return { kind: "list", items: [first, ...this.#items(")")] };
  }

  /** Comma-separated expressions up to `close`; a trailing comma is allowed. */
  #items(close: string): FilterNode[] {
    const items: FilterNode[] = [];
    while (!this.#isOp(close)) {
      items.push(this.#orExpr());
      if (!this.#isOp(close)) this.#expectOp(",");
    }
    this.#next();
    return items;
  }

  #dict(): FilterNode {
    const entries: Array<[FilterNode, FilterNode]> = [];
    while (!this.#isOp("}")) {
      const key = this.#orExpr();
      this.#expectOp(":");
      entries.push([key, this.#orExpr()]);
      if (!this.#isOp("}")) this.#expectOp(",");
    }
    this.#next();
    return { kind: "dict", entries };
  }
}

function checkNames(node: FilterNode): void {
  switch (node.kind) {
    case "name":
      if (!(FILTER_NAMES as readonly string[]).includes(node.name)) {
        throw new FilterExpressionError(`unknown name '${node.name}' (use ${FILTER_NAMES.join(", ")})`);
      }
      return;
    case "literal":
      return;
    case "list":
      node.items.forEach(checkNames);
      return;
    case "dict":
      node.entries.forEach(([k, v]) => (checkNames(k), checkNames(v)));
      return;
    case "and":
    case "or":
      node.operands.forEach(checkNames);
      return;
    case "not":
    case "negate":
      checkNames(node.operand);
      return;
    case "compare":
      checkNames(node.first);
      node.rest.forEach(([, n]) => checkNames(n));
      return;
    case "attribute":
      checkNames(node.target);
      return;
    case "subscript":
      checkNames(node.target);
      checkNames(node.key);
      return;
  }
}

/** Parses and checks an expression; throws FilterExpressionError naming the column of the first problem. */
export function parseFilterExpression(source: string): FilterNode {
  if (source.length > MAX_EXPRESSION_LENGTH) throw new FilterExpressionError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const root = new Parser(tokenize(source)).parseAll();
  checkNames(root);
  return root;
}
