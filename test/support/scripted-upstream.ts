/**
 * A small scripted upstream on 127.0.0.1, port 0, for response shapes the mock-llm cannot produce
 * (a stream without [DONE], a null message, Anthropic's Messages API, TLS). Each test installs a
 * handler; the server records every request it saw (method, path, headers, parsed JSON body) and
 * tracks its sockets so `close()` leaves nothing open.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw header list, so duplicated header names are visible. */
  rawHeaders: string[];
  rawBody: string;
  /** The JSON body, or undefined when it was not JSON. */
  body: unknown;
}

export type UpstreamHandler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

export interface ScriptedUpstream {
  /** `http://127.0.0.1:<port>` (or https). Append `/v1` for a provider base URL. */
  readonly origin: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Connections accepted (TCP, or TLS handshakes completed for https). */
  readonly connections: number;
  handle(handler: UpstreamHandler): void;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  tls?: { key: string; cert: string };
}

export async function startScriptedUpstream(options: UpstreamOptions = {}): Promise<ScriptedUpstream> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let handler: UpstreamHandler = (_req, res) => {
    res.writeHead(500).end("no handler installed");
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(parts).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const seen: SeenRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, rawBody, body };
      requests.push(seen);
      Promise.resolve(handler(seen, res)).catch(() => res.destroy());
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : createHttpServer(onRequest);
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  if (options.tls) {
    server.on("secureConnection", () => connections++);
    // Failed handshakes (the client refused our certificate) must not print anything.
    server.on("tlsClientError", () => {});
  } else {
    server.on("connection", () => connections++);
  }
  server.on("connection", track);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    handle(next) {
      handler = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** One SSE event: `data: <json or text>` with an optional `event:` line. */
export function sseEvent(data: unknown, event?: string): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${text}\n\n`;
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

/** A Chat Completions stream chunk. */
export function openAiChunk(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): string {
  return sseEvent({ id: "c1", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
