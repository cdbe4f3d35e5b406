// The one contracts module (sandbox-safe): schemas, statuses, Temporal names and the error taxonomy.
export * from './inputs';
export * from './external';
export * from './order';
export * from './state';
export * from './temporal';
export * from './errors';
export * from './remediation';
