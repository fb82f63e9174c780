import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "flockflow-config-"));
}

describe("config discovery and references", () => {
  it("prefers --config, then $FLOCKFLOW_CONFIG, then ./flockflow.json, then ~/.flockflow/config.json", () => {
    const cwd = tempDir();
    const home = tempDir();
    expect(loadConfig({ cwd, homeDir: home, env: {} }).source).toBeUndefined();
    const homeFile = path.join(home, ".flockflow", "config.json");
    mkdirSync(path.dirname(homeFile), { recursive: true });
    writeFileSync(homeFile, '{"workspace": {"dir": "home"}}');
    expect(loadConfig({ cwd, homeDir: home, env: {} }).source).toBe(homeFile);
    writeFileSync(path.join(cwd, "flockflow.json"), '{"workspace": {"dir": "local"}}');
    expect(loadConfig({ cwd, homeDir: home, env: {} }).source).toBe(path.join(cwd, "flockflow.json"));
    writeFileSync(path.join(cwd, "env.json"), '{"workspace": {"dir": "env"}}');
    expect(loadConfig({ cwd, homeDir: home, env: { FLOCKFLOW_CONFIG: "env.json" } }).source).toBe(path.join(cwd, "env.json"));
    writeFileSync(path.join(cwd, "explicit.json"), '{"workspace": {"dir": "explicit"}}');
    expect(loadConfig({ cwd, homeDir: home, env: { FLOCKFLOW_CONFIG: "env.json" }, explicitPath: "explicit.json" }).source).toBe(path.join(cwd, "explicit.json"));
  });

  it("reads JSONC and resolves {env:NAME} and {secret:ID}", () => {
    const cwd = tempDir();
    const secrets = path.join(cwd, "secrets.json");
    writeFileSync(secrets, JSON.stringify({ key_one: "s3cret" }));
    writeFileSync(path.join(cwd, "flockflow.json"), '// comment\n{ "provider": { "p": { "options": { "apiKey": "{secret:key_one}", "baseURL": "http://{env:HOST}/v1", } } } }');
    const { config } = loadConfig({ cwd, homeDir: cwd, env: { HOST: "127.0.0.1:9", FLOCKFLOW_SECRETS: secrets } });
    expect((config as any).provider.p.options).toEqual({ apiKey: "s3cret", baseURL: "http://127.0.0.1:9/v1" });
  });

  it("resolves tools.modules, workflows.dirs and workspace.dir against the config file's folder", () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, "conf"));
    writeFileSync(path.join(cwd, "conf", "c.json"), '{ "tools": { "modules": ["./t.mjs", "/abs/u.mjs"] }, "workflows": { "dirs": ["flows"] }, "workspace": { "dir": "ws" } }');
    const { config } = loadConfig({ cwd, homeDir: cwd, env: {}, explicitPath: "conf/c.json" });
    expect(config.tools?.modules).toEqual([path.join(cwd, "conf", "t.mjs"), "/abs/u.mjs"]);
    expect(config.workflows?.dirs).toEqual([path.join(cwd, "conf", "flows")]);
    expect(config.workspace?.dir).toBe(path.join(cwd, "conf", "ws"));
  });

  it("names the key path and file when a reference cannot be resolved or a value has the wrong shape", () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, "flockflow.json"), '{ "server": { "api_tokens": ["{env:MISSING_TOKEN}"] } }');
    expect(() => loadConfig({ cwd, homeDir: cwd, env: {} })).toThrow(/flockflow\.json: server\.api_tokens\[0\]: environment variable MISSING_TOKEN is not set/);
    writeFileSync(path.join(cwd, "flockflow.json"), '{ "tools": { "modules": "one.mjs" } }');
    expect(() => loadConfig({ cwd, homeDir: cwd, env: {} })).toThrow(/tools\.modules: must be a list of strings/);
    writeFileSync(path.join(cwd, "flockflow.json"), '{ "a": 1,\n  "b": }');
    expect(() => loadConfig({ cwd, homeDir: cwd, env: {} })).toThrow(/line 2, column 8: invalid JSON/);
  });
});
