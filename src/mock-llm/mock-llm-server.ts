/**
 * A deterministic OpenAI-compatible server for tests, benchmarks and offline demos (issue 3,
 * item 8; SPEC §7 `flockflow mock-llm`), on node:http so what a client sees is a real socket.
 *
 * Routes: `GET /v1/models`, `POST /v1/chat/completions` (SSE when `stream: true`), and for CLI
 * users `GET /__mock/stats`, `GET /__mock/requests`, `POST /__mock/reset`, `PUT /__mock/rules`.
 *
 * Lifecycle: the server tracks every socket itself, so `close()` can destroy the ones a stalled
 * response or keep-alive holds open; each response's waits end on its 'close' (ResponsePacer), so
 * once `close()` resolves nothing of the server is left to keep the process alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { InvalidOptionError } from "../errors.js";
import { hasBearerKey } from "./bearer-auth.js";
import { readChatRequest } from "./chat-request.js";
import { planReply } from "./completion-bodies.js";
import { parseMockRules } from "./parse-mock-rules.js";
import { BodyTooLargeError, readBody } from "./read-body.js";
import { RequestTracker } from "./request-tracker.js";
import { respondToChat } from "./respond-chat.js";
import { ResponsePacer } from "./response-pacer.js";
import { BehaviorSelector } from "./select-behavior.js";
import { sendError, sendJson } from "./send-json.js";
import type { MockLlmServer, MockLlmServerOptions, MockRule } from "./types.js";

const DEFAULT_MODELS = ["mock-model"];

export async function startMockLlmServer(options: MockLlmServerOptions = {}): Promise<MockLlmServer> {
  const models = options.models ?? DEFAULT_MODELS;
  if (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m === "")) throw new InvalidOptionError("models must be an array of model names");
  const selector = new BehaviorSelector(parseMockRules(options.rules ?? [], "rules"));
  const mock = new MockLlm(selector, models, options.apiKey);
  await mock.listen(options.host ?? "127.0.0.1", options.port ?? 0);
  return mock;
}

class MockLlm implements MockLlmServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #tracker = new RequestTracker();
  readonly #selector: BehaviorSelector;
  readonly #models: string[];
  readonly #apiKey: string | undefined;
  #url = "";
  #port = 0;
  #closing: Promise<void> | undefined;
  #onAllSocketsClosed: (() => void) | undefined;

  constructor(selector: BehaviorSelector, models: string[], apiKey: string | undefined) {
    this.#selector = selector;
    this.#models = models;
    this.#apiKey = apiKey;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => this.#failed(res, error));
    });
    this.#server.on("connection", (socket: Socket) => {
      if (this.#closing) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      this.#tracker.connectionOpened();
      socket.once("close", () => {
        this.#sockets.delete(socket);
        this.#tracker.connectionClosed();
        if (this.#sockets.size === 0) this.#onAllSocketsClosed?.();
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        this.#url = `http://${host.includes(":") ? `[${host}]` : host}:${this.#port}/v1`;
        resolve();
      });
    });
  }

  stats() {
    return this.#tracker.stats();
  }

  requests() {
    return this.#tracker.records();
  }

  setRules(rules: MockRule[]): void {
    this.#selector.setRules(parseMockRules(rules, "rules"));
  }

  reset(): void {
    this.#tracker.reset();
    this.#selector.resetCounts();
  }

  close(): Promise<void> {
    this.#closing ??= Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      // The server's 'close' can come before its sockets' own 'close' events (it counts a socket
      // gone as soon as destroy() starts); waiting for those too means every response has been
      // recorded, and every request's waits released, by the time close() resolves.
      new Promise<void>((resolve) => {
        this.#onAllSocketsClosed = resolve;
        for (const socket of this.#sockets) socket.destroy();
        if (this.#sockets.size === 0) resolve();
      }),
    ]).then(handlesClosed);
    return this.#closing;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const method = req.method ?? "GET";
    switch (path) {
      case "/v1/chat/completions":
        return method === "POST" ? this.#chat(req, res, path) : notAllowed(res, "POST");
      case "/v1/models":
        if (method !== "GET") return notAllowed(res, "GET");
        if (this.#apiKey !== undefined && !hasBearerKey(req.headers, this.#apiKey)) return unauthorized(res);
        return sendJson(res, 200, { object: "list", data: this.#models.map((id) => ({ id, object: "model", owned_by: "flockflow-mock" })) });
      case "/__mock/stats":
        return method === "GET" ? sendJson(res, 200, this.stats()) : notAllowed(res, "GET");
      case "/__mock/requests":
        return method === "GET" ? sendJson(res, 200, this.requests()) : notAllowed(res, "GET");
      case "/__mock/reset":
        if (method !== "POST") return notAllowed(res, "POST");
        this.reset();
        return sendJson(res, 200, { ok: true });
      case "/__mock/rules":
        return method === "PUT" ? this.#putRules(req, res) : notAllowed(res, "PUT");
      default:
        return sendError(res, 404, { message: `mock-llm: no route for ${method} ${path}`, code: null });
    }
  }

  async #chat(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const record = this.#tracker.start(req, path);
    const pacer = new ResponsePacer(res);
    res.once("close", () => {
      // A response the client closed before it was finished is a client abort; one cut by close() is not.
      const outcome = pacer.outcome ?? (res.writableFinished ? "completed" : this.#closing ? "destroyed" : "client_aborted");
      this.#tracker.finish(record, outcome);
    });
    let text: string;
    try {
      text = await readBody(req);
    } catch (error) {
      // Otherwise the client left mid-body: 'close' records that as its abort.
      if (error instanceof BodyTooLargeError) rejectRequest(pacer, 413, `mock-llm: ${error.message}`);
      return;
    }
    let body: unknown;
    let invalidJson: string | undefined;
    try {
      body = JSON.parse(text);
    } catch (error) {
      invalidJson = `mock-llm: the body is not valid JSON (${(error as Error).message})`;
    }
    const request = invalidJson === undefined ? readChatRequest(body) : { invalid: invalidJson };
    // Recorded before the key is checked, so a test can see what a rejected client asked for.
    if (invalidJson === undefined) record.body = body;
    if (!("invalid" in request)) this.#tracker.identify(record, request.model, request.stream);
    if (this.#apiKey !== undefined && !hasBearerKey(req.headers, this.#apiKey)) {
      pacer.outcome = "error_status";
      return unauthorized(res);
    }
    if ("invalid" in request) return rejectRequest(pacer, 400, request.invalid);
    let behavior;
    try {
      behavior = this.#selector.select(request, req.headers);
    } catch (error) {
      return rejectRequest(pacer, 400, (error as Error).message);
    }
    try {
      await respondToChat(pacer, request, planReply(record.id, request, behavior), behavior);
    } catch (error) {
      // The response closed while a delay, a stall or backpressure was waiting: nothing to answer.
      if (!pacer.closed) throw error;
    }
  }

  async #putRules(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let rules: MockRule[];
    try {
      rules = parseMockRules(JSON.parse(await readBody(req)), "rules");
    } catch (error) {
      return sendError(res, 400, { message: (error as Error).message });
    }
    this.#selector.setRules(rules);
    sendJson(res, 200, { ok: true, rules: rules.length });
  }

  /** A bug in the mock: answer 500 if nothing was sent yet, else cut the response. */
  #failed(res: ServerResponse, error: unknown): void {
    if (res.headersSent) res.destroy();
    else sendError(res, 500, { message: `mock-llm internal error: ${error instanceof Error ? error.message : String(error)}` });
  }
}

/**
 * The listening handle is closed by libuv in a later "close callbacks" phase than the one the
 * server's 'close' event reports from. Two check-phase turns put one such phase behind us, so when
 * close() resolves, `process.getActiveResourcesInfo()` no longer lists the server: leak tests that
 * compare against a baseline right after close() see the truth, not a handle about to go.
 */
async function handlesClosed(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

function rejectRequest(pacer: ResponsePacer, status: number, message: string): void {
  pacer.outcome = "error_status";
  sendError(pacer.res, status, { message });
}

function unauthorized(res: ServerResponse): void {
  sendError(res, 401, { message: "Incorrect API key provided." });
}

function notAllowed(res: ServerResponse, allowed: string): void {
  sendError(res, 405, { message: `mock-llm: use ${allowed}`, headers: { allow: allowed } });
}
