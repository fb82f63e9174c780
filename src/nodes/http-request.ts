/**
 * The `http_request` node (reference flocks-engine.md §3): `url` and a string `body` rendered with
 * the node's inputs, one request through the runtime's shared dispatcher, the response body parsed
 * as JSON when it parses. 4xx/5xx are results, not errors. Redirects are not followed: undici 7's
 * `request` follows none unless a redirect interceptor is composed into the dispatcher.
 *
 * Two things can stop the request and they stay distinct (STYLE §2 Errors): the node's `ctx.signal`
 * (cancel, node or run deadline; owned by the engine) and this node's own HTTP timeout. Both abort
 * one controller handed to undici, which destroys the socket at once (SPEC §1.3, §1.6); the catch
 * then asks which one fired instead of trusting whatever undici rejected with.
 */
import { request } from "undici";
import { HttpRequestError, TemplateError, TimeoutError } from "../errors.js";
import type { WorkflowNode } from "../model/types.js";
import { renderTemplate } from "../templates/index.js";
import type { NodeContext, NodeExecutor, NodeResult } from "./types.js";

/** Flocks' 30 s HTTP timeout for the whole exchange (headers and body). */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;

const METHODS_WITHOUT_BODY: ReadonlySet<string> = new Set(["GET", "DELETE", "HEAD"]);

export interface HttpRequestExecutorOptions {
  /** Defaults to HTTP_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

interface PreparedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export function createHttpRequestExecutor(options: HttpRequestExecutorOptions = {}): NodeExecutor {
  const timeoutMs = options.timeoutMs ?? HTTP_REQUEST_TIMEOUT_MS;
  return async (ctx: NodeContext): Promise<NodeResult> => {
    // Nothing below awaits before `send` listens on the signal, so this one check covers the gap.
    ctx.signal.throwIfAborted();
    const prepared = prepareRequest(ctx.node, ctx.inputs);
    const { statusCode, text } = await send(prepared, ctx, timeoutMs);
    return {
      outputs: { [ctx.node.responseKey || "response"]: parseResponseText(text), status_code: statusCode },
    };
  };
}

export const executeHttpRequest: NodeExecutor = createHttpRequestExecutor();

function prepareRequest(node: WorkflowNode, inputs: Record<string, unknown>): PreparedRequest {
  const method = (node.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { ...node.headers };
  const url = parseUrl(render(node.url ?? "", inputs));
  // Rendered whatever the method (reference §3 renders before it applies the GET/DELETE/HEAD rule),
  // so a bad body template fails a GET too.
  const body = prepareBody(node.body, inputs);
  if (body === undefined || METHODS_WITHOUT_BODY.has(method)) return { url, method, headers, body: undefined };
  const isJson = typeof node.body === "object";
  if (isJson && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  return { url, method, headers, body };
}

/** A string is rendered, an object or array is sent as JSON (not rendered), anything else raw. */
function prepareBody(body: unknown, inputs: Record<string, unknown>): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return render(body, inputs);
  if (typeof body === "object") return JSON.stringify(body);
  return String(body);
}

function render(source: string, inputs: Record<string, unknown>): string {
  try {
    return renderTemplate(source, inputs);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    // The library's own reason, without renderTemplate's "Template render failed: " prefix.
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    throw new HttpRequestError(`HTTP request template render failed: ${reason}`, error);
  }
}

function parseUrl(rendered: string): URL {
  let url: URL;
  try {
    url = new URL(rendered);
  } catch (error) {
    throw new HttpRequestError(`HTTP request failed: invalid URL '${rendered}'`, error);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HttpRequestError(`HTTP request failed: unsupported URL '${rendered}' (only http and https)`);
  }
  return url;
}

async function send(
  prepared: PreparedRequest,
  ctx: NodeContext,
  timeoutMs: number,
): Promise<{ statusCode: number; text: string }> {
  const controller = new AbortController();
  let timedOut = false;
  const onStop = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onStop, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new TimeoutError("http", timeoutMs));
  }, timeoutMs);
  try {
    const response = await request(prepared.url, {
      method: prepared.method,
      headers: prepared.headers,
      body: prepared.body,
      dispatcher: ctx.services.httpDispatcher,
      signal: controller.signal,
    });
    // Reading to the end returns the socket to the pool; an abort meanwhile destroys it.
    const text = await response.body.text();
    return { statusCode: response.statusCode, text };
  } catch (error) {
    // The engine's reason wins even if our timer fired too: it is what the node's caller waits for.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (timedOut) {
      const timeout = controller.signal.reason as TimeoutError;
      throw new HttpRequestError(`HTTP request failed: ${timeout.message}`, timeout);
    }
    throw new HttpRequestError(`HTTP request failed: ${describeFailure(error)}`, error);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onStop);
  }
}

function parseResponseText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The cause's message; a connect failure over several addresses is an AggregateError without one. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describeFailure).join("; ");
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}
