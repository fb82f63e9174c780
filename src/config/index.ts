export { findConfigFile, loadConfig, secretsFilePath } from "./load-config.js";
export type { ConfigDiscovery, FlockflowConfig, LoadedConfig } from "./load-config.js";
