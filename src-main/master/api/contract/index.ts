// The API contract: domain schemas, the method map and the wire error shape.
export * from './domain';
export * from './methods';
export * from './errors';
export * from './client';
export * from './http-client';
export * from './scopes';
export * from './alerts';
export * from './definitions';
export * from './events';
export * from './run-query';
export * from './task-console';
export * from './worker-detail';
export * from './dashboard';
export * from './settings';
