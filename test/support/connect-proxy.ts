/**
 * A minimal forward proxy on 127.0.0.1, port 0, for `trust_env` tests. It tunnels `CONNECT` requests
 * (what undici's ProxyAgent sends, for http:// targets too, by default) and also forwards
 * absolute-form requests (`POST http://host:port/path`), counting each kind and the targets asked
 * for. `close()` destroys every socket it holds, on both sides.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { connect as netConnect, type AddressInfo, type Socket } from "node:net";

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`: a value for HTTP_PROXY / HTTPS_PROXY. */
  readonly url: string;
  /** CONNECT tunnels opened. */
  readonly tunnels: number;
  /** Absolute-form requests forwarded. */
  readonly forwarded: number;
  /** `host:port` of every tunnel and forwarded request, in order. */
  readonly targets: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const targets: string[] = [];
  let tunnels = 0;
  let forwarded = 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute-form request expected");
      return;
    }
    forwarded++;
    targets.push(target.host);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on("socket", track);
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on("connection", track);
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels++;
    const hostPort = req.url ?? "";
    targets.push(hostPort);
    const colon = hostPort.lastIndexOf(":");
    const upstream = netConnect(Number(hostPort.slice(colon + 1)), hostPort.slice(0, colon), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    track(client);
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get tunnels() {
      return tunnels;
    },
    get forwarded() {
      return forwarded;
    },
    targets,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
