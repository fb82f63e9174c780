/**
 * close(): every socket goes, every per-request timer is cleared, and a process that started and
 * closed a server exits by itself, even with stalled and delayed responses in flight.
 */
import { Client } from "undici";
import { describe, expect, it } from "vitest";
import { startMockLlmServer } from "../../src/mock-llm/index.js";
import { runNode } from "../support/run-node.js";
import { chatBody, readUntilEnd, waitFor } from "./support/mock-client.js";
import { watchResources } from "./support/resource-watch.js";

/** Handles that keep a process alive, by type: what a leak would show up as. */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) if (/TCP|Timeout|Immediate/.test(type)) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function tcpCounts(counts: Record<string, number>): string {
  return JSON.stringify(Object.entries(counts).filter(([type]) => type.startsWith("TCP")));
}

describe("close()", () => {
  it("with a stalled request and a delayed one in flight: resolves, the client sees the socket go, and no TCP handle or timer is left", async () => {
    const baseline = handleCounts();
    const watch = watchResources(/src[/\\]mock-llm[/\\]/);
    const server = await startMockLlmServer();
    const client = new Client(new URL(server.url).origin);
    const post = (behavior: object) =>
      client.request({ path: "/v1/chat/completions", method: "POST", headers: { "x-mock-behavior": JSON.stringify(behavior) }, body: JSON.stringify(chatBody({ stream: true })) });
    const stalled = await post({ stallAfterHeaders: true });
    expect(stalled.statusCode).toBe(200);
    const stalledBody = readUntilEnd(stalled.body);
    const otherClient = new Client(new URL(server.url).origin);
    const delayed = otherClient.request({ path: "/v1/chat/completions", method: "POST", headers: { "x-mock-behavior": JSON.stringify({ firstByteDelayMs: 60_000 }) }, body: JSON.stringify(chatBody()) });
    const delayedOutcome = delayed.then(
      () => "answered",
      (error: Error) => error.name,
    );
    // Both bodies read, so the delayed one is sitting in its 60 s timer.
    await waitFor(() => server.requests().every((r) => r.model !== "") && server.stats().inFlight === 2);

    const closeStartedAt = performance.now();
    await server.close();
    const closeMs = performance.now() - closeStartedAt;

    expect(closeMs).toBeLessThan(500);
    expect(handleCounts().TCPServerWrap ?? 0).toBe(baseline.TCPServerWrap ?? 0);
    expect((await stalledBody).error).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(await delayedOutcome).toBe("SocketError");
    expect(server.stats()).toMatchObject({ inFlight: 0, connectionsOpen: 0, clientAborts: [] });
    expect(server.requests().map((r) => r.outcome)).toEqual(["destroyed", "destroyed"]);
    await client.destroy();
    await otherClient.destroy();
    // Handles close on the next turns of the loop; poll briefly rather than assume one tick.
    await waitFor(() => watch.alive().length === 0 && tcpCounts(handleCounts()) === tcpCounts(baseline), 1_000).catch(() => undefined);
    watch.stop();
    expect(watch.alive()).toEqual([]);
    expect(tcpCounts(handleCounts())).toBe(tcpCounts(baseline));
    // The runner's own timers come and go, so the total may only have gone down.
    expect(handleCounts().Timeout ?? 0).toBeLessThanOrEqual(baseline.Timeout ?? 0);
  });

  it("is idempotent", async () => {
    const server = await startMockLlmServer();
    await Promise.all([server.close(), server.close()]);
    await expect(server.close()).resolves.toBeUndefined();
  });
});

describe("a process that started and closed a server", () => {
  it("exits by itself, quietly, even though a stalled and a slow response were in flight", async () => {
    // Runs against dist/ (npm run build), the way a user's script imports the built package.
    const script = `
      import { request } from "undici";
      import { startMockLlmServer } from "./dist/mock-llm/index.js";
      const server = await startMockLlmServer();
      const post = (behavior) => request(server.url + "/chat/completions", { method: "POST", headers: { "x-mock-behavior": JSON.stringify(behavior) }, body: JSON.stringify({ model: "m", messages: [], stream: true }) });
      const stalled = await post({ stallAfterChunks: 1, chunkDelayMs: 30000 });
      const slow = post({ firstByteDelayMs: 30000 }).catch((e) => e.name);
      await new Promise((r) => setTimeout(r, 50));
      await server.close();
      const cut = await stalled.body.text().catch((e) => e.code);
      console.log(JSON.stringify({ cut, slow: await slow, stats: server.stats() }));
    `;
    const { code, signal, stdout, stderr } = await runNode(["--input-type=module", "-e", script], { killAfterMs: 10_000 });
    expect(stderr).toBe("");
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ cut: "UND_ERR_SOCKET", slow: "SocketError", stats: { inFlight: 0, connectionsOpen: 0, requests: 2 } });
  });
});
