/**
 * SPEC §1.1: one undici dispatcher per transport configuration (proxy policy, TLS verification,
 * connection limit), shared by every call and run in the process. Each is an Agent, which keeps one
 * bounded pool per origin, so `maxConnections` caps sockets per origin. Dispatchers live until
 * `closeAll()`: no call ever closes one, so nothing a call does can break another call using it.
 *
 * Keep-alive: undici returns a socket to the pool only once a response body was fully read, and
 * drops sockets the server closed. `keepAliveTimeout` is kept below common server idle timeouts so a
 * pooled socket is retired before the server would cut it.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from "undici";

export interface TransportOptions {
  trustEnv: boolean;
  verifySsl: boolean;
  maxConnections: number;
}

const CONNECT_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 4_000;

function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy);
}

export class DispatcherPool {
  readonly #dispatchers = new Map<string, Dispatcher>();
  /**
   * The dispatcher last returned for a frozen options object (a provider view): a view's transport
   * options cannot change, so its calls skip building the key. Unfrozen options are never cached.
   */
  #byOptions = new WeakMap<TransportOptions, Dispatcher>();
  readonly #env: NodeJS.ProcessEnv;
  #closed = false;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  /** The shared dispatcher for these transport options (created on first use). */
  get(options: TransportOptions): Dispatcher {
    if (!this.#closed) {
      const known = this.#byOptions.get(options);
      if (known) return known;
    }
    const useProxy = options.trustEnv && proxyConfigured(this.#env);
    const key = `${useProxy ? "env-proxy" : "direct"}|tls:${options.verifySsl ? "verify" : "insecure"}|max:${options.maxConnections}`;
    let dispatcher = this.#dispatchers.get(key);
    if (!dispatcher) {
      if (this.#closed) throw new Error("the LLM transport is closed");
      const common = {
        connections: options.maxConnections,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        // Our own attempt deadlines (total, TTFT, idle) govern; undici's would fire with other
        // errors and other numbers (peers.md #12, #13).
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: CONNECT_TIMEOUT_MS, rejectUnauthorized: options.verifySsl },
      };
      dispatcher = useProxy
        ? new EnvHttpProxyAgent({
            ...common,
            // "" rather than undefined: undici would otherwise read process.env, and the runtime's
            // own environment must decide alone.
            httpProxy: this.#env.HTTP_PROXY ?? this.#env.http_proxy ?? "",
            httpsProxy: this.#env.HTTPS_PROXY ?? this.#env.https_proxy ?? "",
            noProxy: this.#env.NO_PROXY ?? this.#env.no_proxy ?? "",
          })
        : new Agent(common);
      this.#dispatchers.set(key, dispatcher);
    }
    if (Object.isFrozen(options)) this.#byOptions.set(options, dispatcher);
    return dispatcher;
  }

  get size(): number {
    return this.#dispatchers.size;
  }

  /** Destroy every dispatcher (in-flight requests must have been aborted first). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    this.#byOptions = new WeakMap();
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(all.map((d) => d.destroy()));
  }
}
