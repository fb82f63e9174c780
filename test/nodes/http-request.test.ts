import { getEventListeners, once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpRequestError, RunCancelledError, TimeoutError } from "../../src/errors.js";
import type { WorkflowNode } from "../../src/model/types.js";
import { createHttpRequestExecutor, executeHttpRequest, HTTP_REQUEST_TIMEOUT_MS } from "../../src/nodes/http-request.js";
import type { NodeContext } from "../../src/nodes/types.js";

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real upstream on 127.0.0.1 that records what it saw, including every socket that closed. */
class Upstream {
  readonly seen: SeenRequest[] = [];
  socketsOpened = 0;
  socketsClosed = 0;
  private readonly server: http.Server;
  private readonly requestWaiters: Array<() => void> = [];

  constructor() {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        this.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
        this.requestWaiters.splice(0).forEach((wake) => wake());
        this.respond(req, res, body);
      });
    });
    this.server.on("connection", (socket) => {
      this.socketsOpened += 1;
      socket.on("close", () => (this.socketsClosed += 1));
    });
  }

  async listen(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  nextRequest(): Promise<void> {
    return new Promise((resolve) => this.requestWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }

  private respond(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    switch (path) {
      case "/hang":
        return; // never answers: only an abort ends this request
      case "/text":
        res.writeHead(200, { "content-type": "text/plain" }).end("plain text, not JSON");
        return;
      case "/missing":
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
        return;
      case "/broken":
        res.writeHead(503, { "content-type": "text/plain" }).end("upstream down");
        return;
      case "/redirect":
        res.writeHead(302, { location: "/echo" }).end("moved");
        return;
      default:
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({ method: req.method, url: req.url, body }),
        );
    }
  }
}

function makeNode(fields: Partial<WorkflowNode>): WorkflowNode {
  return {
    id: "http",
    type: "http_request",
    index: 0,
    join: false,
    joinMode: "flat",
    joinConflict: "overwrite",
    joinNamespaceKey: "",
    method: "GET",
    ...fields,
  };
}

function makeContext(node: WorkflowNode, inputs: Record<string, unknown>, signal = new AbortController().signal): NodeContext {
  return {
    runId: "run-1",
    node,
    workflow: { start: node.id, nodes: [node], edges: [], triggers: [], metadata: {} },
    inputs,
    signal,
    services: { httpDispatcher: agent } as unknown as NodeContext["services"],
    llm: () => Promise.reject(new Error("llm is not used by http_request")),
    hostCalls: () => Promise.reject(new Error("hostCalls is not used by http_request")),
    runChild: () => Promise.reject(new Error("runChild is not used by http_request")),
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the executor to reject");
}

async function waitFor(condition: () => boolean, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

let agent: Agent;
let upstream: Upstream;

beforeAll(() => {
  agent = new Agent({ connections: 8 });
});

afterAll(async () => {
  await agent.close();
});

beforeEach(async () => {
  upstream = new Upstream();
  await upstream.listen();
});

afterEach(async () => {
  await upstream.close();
});

describe("http_request node", () => {
  it("GETs a templated url and returns the parsed JSON response with status_code", async () => {
    const node = makeNode({ method: "get", url: "{{ origin }}/items/{{ item.id }}?q={{ q }}" });
    const result = await executeHttpRequest(makeContext(node, { origin: upstream.origin, item: { id: 42 }, q: "x y" }));
    expect(result.outputs).toEqual({
      response: { method: "GET", url: "/items/42?q=x%20y", body: "" },
      status_code: 200,
    });
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0]!.method).toBe("GET");
  });

  it("POSTs a string body rendered with the inputs, raw", async () => {
    const node = makeNode({ method: "post", url: `${upstream.origin}/echo`, body: "name={{ user.name }}&n={{ n }}" });
    const result = await executeHttpRequest(makeContext(node, { user: { name: "ann" }, n: 3 }));
    expect(result.outputs.status_code).toBe(200);
    expect(result.outputs.response).toEqual({ method: "POST", url: "/echo", body: "name=ann&n=3" });
    expect(upstream.seen[0]!.body).toBe("name=ann&n=3");
    expect(upstream.seen[0]!.headers["content-type"]).toBeUndefined();
  });

  it("POSTs an object body as JSON, not rendered, with content-type application/json", async () => {
    const payload = { text: "{{ not_rendered }}", list: [1, "é"], nested: { ok: true } };
    const node = makeNode({ method: "POST", url: `${upstream.origin}/echo`, body: payload });
    const result = await executeHttpRequest(makeContext(node, { not_rendered: "oops" }));
    expect(result.outputs.status_code).toBe(200);
    const seen = upstream.seen[0]!;
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen.body)).toEqual(payload);
  });

  it("keeps the node's own content-type for an object body, and sends arrays as JSON", async () => {
    const node = makeNode({
      method: "PUT",
      url: `${upstream.origin}/echo`,
      headers: { "Content-Type": "application/vnd.api+json" },
      body: [{ a: 1 }, 2],
    });
    await executeHttpRequest(makeContext(node, {}));
    expect(upstream.seen[0]!.headers["content-type"]).toBe("application/vnd.api+json");
    expect(JSON.parse(upstream.seen[0]!.body)).toEqual([{ a: 1 }, 2]);
  });

  it("sends no body for GET, DELETE and HEAD", async () => {
    for (const method of ["GET", "DELETE", "HEAD"]) {
      const node = makeNode({ method, url: `${upstream.origin}/echo`, body: { ignored: true } });
      const result = await executeHttpRequest(makeContext(node, {}));
      expect(result.outputs.status_code).toBe(200);
    }
    expect(upstream.seen.map((r) => [r.method, r.body, r.headers["content-type"], r.headers["content-length"]])).toEqual([
      ["GET", "", undefined, undefined],
      ["DELETE", "", undefined, undefined],
      ["HEAD", "", undefined, undefined],
    ]);
  });

  it("returns a text response as a string when it is not JSON", async () => {
    const node = makeNode({ url: `${upstream.origin}/text` });
    const result = await executeHttpRequest(makeContext(node, {}));
    expect(result.outputs).toEqual({ response: "plain text, not JSON", status_code: 200 });
  });

  it("returns 4xx and 5xx responses instead of throwing", async () => {
    const missing = await executeHttpRequest(makeContext(makeNode({ url: `${upstream.origin}/missing` }), {}));
    expect(missing.outputs).toEqual({ response: { error: "not found" }, status_code: 404 });
    const broken = await executeHttpRequest(makeContext(makeNode({ url: `${upstream.origin}/broken` }), {}));
    expect(broken.outputs).toEqual({ response: "upstream down", status_code: 503 });
  });

  it("does not follow redirects", async () => {
    const result = await executeHttpRequest(makeContext(makeNode({ url: `${upstream.origin}/redirect` }), {}));
    expect(result.outputs).toEqual({ response: "moved", status_code: 302 });
    expect(upstream.seen.map((r) => r.url)).toEqual(["/redirect"]);
  });

  it("stores the response under a custom response_key", async () => {
    const node = makeNode({ url: `${upstream.origin}/text`, responseKey: "page" });
    const result = await executeHttpRequest(makeContext(node, {}));
    expect(result.outputs).toEqual({ page: "plain text, not JSON", status_code: 200 });
  });

  it("passes headers through without templating them", async () => {
    const node = makeNode({
      url: `${upstream.origin}/echo`,
      headers: { "x-token": "{{ secret }}", "x-plain": "abc" },
    });
    await executeHttpRequest(makeContext(node, { secret: "rendered" }));
    expect(upstream.seen[0]!.headers["x-token"]).toBe("{{ secret }}");
    expect(upstream.seen[0]!.headers["x-plain"]).toBe("abc");
  });

  it("rejects with the very same cancellation reason at once and closes the socket", async () => {
    const controller = new AbortController();
    const node = makeNode({ url: `${upstream.origin}/hang` });
    const pending = executeHttpRequest(makeContext(node, {}, controller.signal));
    await upstream.nextRequest();
    expect(upstream.socketsClosed).toBe(0);

    const reason = new RunCancelledError("run-1");
    const abortedAt = performance.now();
    controller.abort(reason);
    const error = await rejectionOf(pending);
    const settledMs = performance.now() - abortedAt;

    expect(error).toBe(reason);
    expect(settledMs).toBeLessThan(100);
    // undici may open (and at once close) one spare connection after the abort; all must be closed.
    const closedWithinMs = await waitFor(() => upstream.socketsClosed >= 1 && upstream.socketsClosed === upstream.socketsOpened, 200);
    expect(closedWithinMs).toBeLessThan(200);
    expect(upstream.seen).toHaveLength(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("rejects with the signal's reason without sending anything when already aborted", async () => {
    const controller = new AbortController();
    const reason = new RunCancelledError("run-1");
    controller.abort(reason);
    const node = makeNode({ url: `${upstream.origin}/echo/{{ broken` });
    const error = await rejectionOf(executeHttpRequest(makeContext(node, {}, controller.signal)));
    expect(error).toBe(reason);
    expect(upstream.seen).toHaveLength(0);
    expect(upstream.socketsOpened).toBe(0);
  });

  it("fails with an HttpRequestError wrapping an http TimeoutError when its own timeout fires", async () => {
    expect(HTTP_REQUEST_TIMEOUT_MS).toBe(30_000);
    const controller = new AbortController();
    const execute = createHttpRequestExecutor({ timeoutMs: 150 });
    const startedAt = performance.now();
    const error = await rejectionOf(execute(makeContext(makeNode({ url: `${upstream.origin}/hang` }), {}, controller.signal)));
    const elapsedMs = performance.now() - startedAt;

    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe("FF_HTTP_REQUEST_FAILED");
    expect((error as HttpRequestError).message).toBe("HTTP request failed: http timeout after 0.15s");
    const cause = (error as HttpRequestError).cause;
    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).kind).toBe("http");
    expect(elapsedMs).toBeGreaterThanOrEqual(140);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(controller.signal.aborted).toBe(false);
    await waitFor(() => upstream.socketsClosed >= 1 && upstream.socketsClosed === upstream.socketsOpened, 200);
    expect(upstream.socketsClosed).toBeGreaterThanOrEqual(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("removes its abort listener after a successful request", async () => {
    const controller = new AbortController();
    await executeHttpRequest(makeContext(makeNode({ url: `${upstream.origin}/echo` }), {}, controller.signal));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("fails with HttpRequestError when the connection is refused", async () => {
    const closed = new Upstream();
    await closed.listen();
    const deadOrigin = closed.origin;
    await closed.close();

    const controller = new AbortController();
    const error = await rejectionOf(executeHttpRequest(makeContext(makeNode({ url: `${deadOrigin}/x` }), {}, controller.signal)));
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe("FF_HTTP_REQUEST_FAILED");
    expect((error as HttpRequestError).message).toMatch(/^HTTP request failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect((error as HttpRequestError).cause).toBeInstanceOf(Error);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("fails with HttpRequestError naming an invalid url", async () => {
    const error = await rejectionOf(executeHttpRequest(makeContext(makeNode({ url: "not a url/{{ id }}" }), { id: 7 })));
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).message).toBe("HTTP request failed: invalid URL 'not a url/7'");
    const ftp = await rejectionOf(executeHttpRequest(makeContext(makeNode({ url: "ftp://127.0.0.1/x" }), {})));
    expect((ftp as HttpRequestError).message).toBe("HTTP request failed: unsupported URL 'ftp://127.0.0.1/x' (only http and https)");
  });

  it("fails with HttpRequestError when the url or body template does not render", async () => {
    const badUrl = await rejectionOf(executeHttpRequest(makeContext(makeNode({ url: "http://127.0.0.1/{{ id" }), {})));
    expect(badUrl).toBeInstanceOf(HttpRequestError);
    expect((badUrl as HttpRequestError).message).toMatch(/^HTTP request template render failed: \S/);
    expect((badUrl as HttpRequestError).message).not.toContain("Template render failed");

    const node = makeNode({ method: "POST", url: `${upstream.origin}/echo`, body: "{% if x %}unclosed" });
    const badBody = await rejectionOf(executeHttpRequest(makeContext(node, {})));
    expect((badBody as HttpRequestError).name).toBe("HttpRequestError");
    expect((badBody as HttpRequestError).message).toMatch(/^HTTP request template render failed: /);
    expect(upstream.seen).toHaveLength(0);
  });
});
