// The API contract: domain schemas, the method map and the wire error shape.
export * from './domain';
export * from './methods';
export * from './errors';
export * from './client';
export * from './http-client';
export * from './scopes';
export * from './settings';
