export { findConfigFile, loadConfig } from "./load-config.js";
export type { ConfigDiscovery, FlockflowConfig, LoadedConfig } from "./load-config.js";
