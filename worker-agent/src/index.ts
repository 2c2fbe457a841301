// Library entry of the `baton-agent` package: start an agent from code (tests, embedding).
export { startAgent, type Agent, type AgentExit } from './agent.js';
export { resolveAgentConfig, ConfigError, type AgentConfig } from './config.js';
export { createLogger } from './logger.js';
export type { HandlerModule } from './handler-modules.js';
export type { HandlerContext } from './executors/function-run.js';
export type { JsonSchema } from './handler-schema.js';
