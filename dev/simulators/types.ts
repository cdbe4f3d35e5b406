// What the simulators share with their harness (server.ts): the names, the app type, the fault knobs, and the two
// interfaces between a simulator module (commerce.ts, pim.ts, payment.ts) and the harness. Types only (and the list of
// names), so that the modules and the harness that imports them depend on this file instead of on each other.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

export type SimulatorName = 'commerce' | 'pim' | 'payment' | 'risk';
export const SIMULATOR_NAMES: readonly SimulatorName[] = ['commerce', 'pim', 'payment', 'risk'];

export type SimulatorApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface Knobs {
  /** Added to every public API request that passes the rate limiter. */
  latencyMs: number;
  /** Probability (0…1) that a public API request answers 503 instead of doing its work. */
  errorRate: number;
  /** Requests admitted per sliding one-second window; null = unlimited. */
  rateLimitPerSecond: number | null;
}

/** What a simulator module hands to the harness: its routes and how to go back to its seed. */
export interface SimulatorDefinition {
  readonly name: SimulatorName;
  readonly defaultRateLimitPerSecond: number | null;
  /** Public routes; every request to them goes through the rate limiter and the fault knobs first. */
  api(app: SimulatorApp): void;
  /** The simulator's own admin routes, mounted under /_sim. */
  admin(app: SimulatorApp): void;
  reset(): void;
}

/** What the harness hands to a simulator module. */
export interface SimulatorEnv {
  /** Milliseconds since the epoch; injectable so tests control eventual consistency and the rate-limit window. */
  now(): number;
}
