// The service's whole configuration, read once from the environment (contract §2) and validated with named errors.
import ms from 'ms';
import path from 'node:path';
import { z } from 'zod';
import { DEV_PII_KEY, holdsDevKey, KeyringError, parseKeyring, type Keyring } from './pii/keyring';

export const DEV_SECRETS = {
  COMMERCE_WEBHOOK_SECRET: 'dev-commerce-webhook-secret',
  PAYMENT_WEBHOOK_SECRET: 'dev-payment-webhook-secret',
  SUPPORT_API_TOKEN: 'dev-support-api-token',
  CODEC_API_TOKEN: 'dev-codec-api-token',
} as const;

/** The Temporal Web UI of `npm start` (its default port): the origins the codec server answers CORS for by default. */
export const DEV_CODEC_CORS_ORIGINS = 'http://127.0.0.1:8233,http://localhost:8233';

/**
 * The built-in simulators' fixed ports (`npm run simulators`); `npm start` passes the real URLs explicitly. Outside
 * production only: with NODE_ENV=production a process that calls the APIs refuses to start without their URLs.
 */
export const DEFAULT_API_URLS = {
  COMMERCE_API_URL: 'http://127.0.0.1:4001',
  PIM_API_URL: 'http://127.0.0.1:4002',
  PAYMENT_API_URL: 'http://127.0.0.1:4003',
  RISK_API_URL: 'http://127.0.0.1:4004',
} as const;

const duration = (fallback: string) => z.string().default(fallback).transform((value, ctx) => {
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a positive duration like 30d, 8s or 250ms` });
    return z.NEVER;
  }
  return parsed;
});

const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const OTLP_PROTOCOL_MESSAGE = 'only http/protobuf is supported (OTLP over HTTP, a collector\'s port 4318)';
const secret = z.string().min(1);

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'each broker is host:port')).min(1)),
  FULFILLMENT_TOPIC: z.string().min(1).default('order-fulfillment'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  OMS_DATA_DIR: z.string().default('.data'),
  COMMERCE_API_URL: url.default(DEFAULT_API_URLS.COMMERCE_API_URL),
  PIM_API_URL: url.default(DEFAULT_API_URLS.PIM_API_URL),
  PAYMENT_API_URL: url.default(DEFAULT_API_URLS.PAYMENT_API_URL),
  RISK_API_URL: url.default(DEFAULT_API_URLS.RISK_API_URL),
  COMMERCE_API_RPS: z.coerce.number().positive().max(10_000).default(150),
  ORDER_TTL: duration('30d'),
  PAYMENT_CAPTURE_WINDOW: duration('30d'),
  STEP_RETRY_BUDGET: duration('30m'),
  COMMERCE_WEBHOOK_SECRET: secret.default(DEV_SECRETS.COMMERCE_WEBHOOK_SECRET),
  PAYMENT_WEBHOOK_SECRET: secret.default(DEV_SECRETS.PAYMENT_WEBHOOK_SECRET),
  SUPPORT_API_TOKEN: secret.default(DEV_SECRETS.SUPPORT_API_TOKEN),
  CODEC_API_TOKEN: secret.default(DEV_SECRETS.CODEC_API_TOKEN),
  /** Master keys (contract §9): `keyId:base64(32 bytes)`, comma-separated; the first encrypts, all decrypt. */
  PII_ENCRYPTION_KEYS: z.string().optional(),
  /** The Web UI origins the codec server answers CORS for, comma-separated (scheme://host[:port], no path). */
  CODEC_CORS_ORIGINS: z
    .string()
    .default(DEV_CODEC_CORS_ORIGINS)
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^\s/]+$/, 'each origin is scheme://host[:port], without a path'))),
  /**
   * The Temporal Web UI the support console links each order's workflow to (docs/console.md). Outside production it
   * defaults to the dev server's UI (`npm start`: 127.0.0.1 on OMS_DEV_TEMPORAL_UI_PORT, else 8233); unset in
   * production, the console shows the workflow id without a link.
   */
  TEMPORAL_UI_URL: url.optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** The worker's Prometheus endpoint (Temporal Core runtime metrics); empty string disables it. */
  WORKER_METRICS_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('0.0.0.0:9464'),
  /**
   * Orders a worker keeps in memory between their workflow tasks (the SDK's sticky cache). Each costs about 1 MiB;
   * one that is not cached is replayed from its history at its next event, which for an order of ≤ 30 events is
   * quick. Sized so 10,000 orders waiting for their capture fit a worker in 512 MiB (docs/performance.md).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(250),
  /** A workflow bundle built beforehand (`npm start` builds one for all its workers); else each worker builds its own. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /**
   * Worker Versioning (docs/versioning.md): with both set, the worker polls as this Worker Deployment Version;
   * with neither, unversioned (this release: patching). The server refuses '.' and ':' in a deployment name.
   */
  WORKER_DEPLOYMENT_NAME: z.string().regex(/^[^.:\s]+$/, "a name without '.', ':' or spaces (the server refuses them)").optional(),
  WORKER_BUILD_ID: z
    .string()
    .regex(/^\S{1,255}$/, 'at most 255 characters, without spaces')
    .refine((v) => v !== '__unversioned__', 'is the server\'s reserved id of unversioned workers')
    .optional(),
  /** What the worker's workflows do when a new version becomes current (only with a deployment). */
  WORKER_VERSIONING_BEHAVIOR: z.enum(['AUTO_UPGRADE', 'PINNED']).default('AUTO_UPGRADE'),
  /**
   * Circuit breakers of the external APIs (docs/reliability.md, "Circuit breakers"): consecutive failures of one API
   * (5xx, 408, 429, network error, timeout) that open its breaker in a worker process; 0 turns the breakers off.
   */
  CIRCUIT_BREAKER_FAILURES: z.coerce.number().int().min(0).max(1_000).default(5),
  /** How long an open breaker fails calls at once before it lets one probe call through. */
  CIRCUIT_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /**
   * Tracing (docs/reliability.md, "Tracing"), by OpenTelemetry's own variables: on only with an OTLP endpoint, the
   * base URL (`/v1/traces` is appended) or the traces URL itself, which wins. Spans go as OTLP/HTTP protobuf.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf'], { message: OTLP_PROTOCOL_MESSAGE }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf'], { message: OTLP_PROTOCOL_MESSAGE }).optional(),
  /** Default: oms-gateway, oms-worker or oms-tool, by the process's role. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** `true` turns tracing off even with an endpoint set. */
  OTEL_SDK_DISABLED: z.stringbool().default(false),
});

/** Every variable the processes read: the deployment files and their test check against this list. */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape) as Array<keyof typeof EnvSchema.shape>;

/** Which secrets a process needs: the gateway checks signatures and tokens, the worker none of them. */
export type ProcessRole = 'gateway' | 'worker' | 'tool' | 'all';
const SECRETS_BY_ROLE: Record<ProcessRole, Array<keyof typeof DEV_SECRETS>> = {
  gateway: ['COMMERCE_WEBHOOK_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'SUPPORT_API_TOKEN', 'CODEC_API_TOKEN'],
  worker: [],
  /** Operator commands (`npm run pii`): the store and the master keys only. */
  tool: [],
  all: ['COMMERCE_WEBHOOK_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'SUPPORT_API_TOKEN', 'CODEC_API_TOKEN'],
};

/** Which external APIs a process calls: the worker's activities call all three, the gateway none of them. */
const API_URLS_BY_ROLE: Record<ProcessRole, Array<keyof typeof DEFAULT_API_URLS>> = {
  gateway: [],
  worker: ['COMMERCE_API_URL', 'PIM_API_URL', 'PAYMENT_API_URL', 'RISK_API_URL'],
  tool: [],
  all: ['COMMERCE_API_URL', 'PIM_API_URL', 'PAYMENT_API_URL', 'RISK_API_URL'],
};

export interface Config {
  nodeEnv: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  temporal: { address: string; namespace: string };
  kafka: { brokers: string[]; topic: string };
  store: { databaseUrl: string | undefined; dataDir: string };
  apis: { commerceUrl: string; pimUrl: string; paymentUrl: string; riskUrl: string };
  commerceApiRps: number;
  /**
   * Read by the gateway only, which fixes them into each order in the start arguments of its first event: the two
   * windows and how long a step retries before it is parked. The worker never reads them (docs/order-lifecycle.md).
   */
  windows: { orderTtlMs: number; paymentCaptureWindowMs: number; stepRetryBudgetMs: number };
  secrets: { commerceWebhook: string; paymentWebhook: string; supportApiToken: string; codecApiToken: string };
  /** Every process holds the master keys: each Temporal client and worker encrypts its payloads (contract §9). */
  pii: { keyring: Keyring; codecCorsOrigins: string[] };
  http: { port: number; host: string };
  /** The Temporal Web UI's base URL for the console's links; undefined: no link. */
  temporalUiUrl: string | undefined;
  workerMetricsAddress: string | undefined;
  worker: { maxCachedWorkflows: number; workflowBundlePath: string | undefined };
  /** Set when WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID both are: the Worker Deployment Version this worker polls as. */
  workerDeployment: WorkerDeploymentConfig | undefined;
  /** One breaker per external API per worker process (src/clients/circuit-breaker.ts); `failures` 0 = off. */
  circuitBreaker: { failures: number; cooldownMs: number };
  /** Set when tracing is on (an OTLP endpoint, and OTEL_SDK_DISABLED not true); undefined: no tracing at all. */
  tracing: TracingConfig | undefined;
}

/** Where a process sends its spans, and under which service name (src/tracing/tracing.ts). */
export interface TracingConfig {
  serviceName: string;
  /** The OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  tracesEndpoint: string;
}

/** A Worker Deployment Version and the default behavior of its workflows (docs/versioning.md). */
export interface WorkerDeploymentConfig {
  deploymentName: string;
  buildId: string;
  defaultVersioningBehavior: 'AUTO_UPGRADE' | 'PINNED';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Empty strings count as unset, as most deploy tools write them for optional variables. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, role: ProcessRole = 'all'): Config {
  const given = withoutEmpty(env);
  const result = EnvSchema.safeParse(given);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = result.data;
  const keys = readKeyring(e.PII_ENCRYPTION_KEYS, e.NODE_ENV === 'production');
  // A malformed key is refused on its own in any environment; in production its line joins the others below.
  if (typeof keys === 'string' && e.NODE_ENV !== 'production') throw new ConfigError(`Invalid environment:\n${keys}`);
  if (e.NODE_ENV === 'production') {
    const devSecrets = SECRETS_BY_ROLE[role].filter((name) => given[name] === undefined || given[name] === DEV_SECRETS[name]);
    // The defaults are the dev simulators' local ports: a production worker must never quietly call those instead.
    const missingUrls = API_URLS_BY_ROLE[role].filter((name) => given[name] === undefined);
    const lines = [
      ...devSecrets.map((n) => `  ${n}: must be set to a real secret when NODE_ENV=production`),
      ...missingUrls.map((n) => `  ${n}: must be set to the API's base URL when NODE_ENV=production (the default ${DEFAULT_API_URLS[n]} is the dev simulator)`),
      ...(typeof keys === 'string' ? [keys] : []),
    ];
    if (lines.length > 0) throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const keyring = keys as Keyring;
  const workerDeployment = readWorkerDeployment(e.WORKER_DEPLOYMENT_NAME, e.WORKER_BUILD_ID, e.WORKER_VERSIONING_BEHAVIOR);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE },
    kafka: { brokers: e.KAFKA_BROKERS, topic: e.FULFILLMENT_TOPIC },
    store: { databaseUrl: e.DATABASE_URL, dataDir: path.resolve(e.OMS_DATA_DIR, 'dashboard') },
    apis: { commerceUrl: e.COMMERCE_API_URL, pimUrl: e.PIM_API_URL, paymentUrl: e.PAYMENT_API_URL, riskUrl: e.RISK_API_URL },
    commerceApiRps: e.COMMERCE_API_RPS,
    windows: { orderTtlMs: e.ORDER_TTL, paymentCaptureWindowMs: e.PAYMENT_CAPTURE_WINDOW, stepRetryBudgetMs: e.STEP_RETRY_BUDGET },
    secrets: {
      commerceWebhook: e.COMMERCE_WEBHOOK_SECRET,
      paymentWebhook: e.PAYMENT_WEBHOOK_SECRET,
      supportApiToken: e.SUPPORT_API_TOKEN,
      codecApiToken: e.CODEC_API_TOKEN,
    },
    pii: { keyring, codecCorsOrigins: e.CODEC_CORS_ORIGINS },
    http: { port: e.PORT, host: e.HOST },
    temporalUiUrl: e.TEMPORAL_UI_URL ?? (e.NODE_ENV === 'production' ? undefined : `http://127.0.0.1:${given.OMS_DEV_TEMPORAL_UI_PORT ?? '8233'}`),
    workerMetricsAddress: env.WORKER_METRICS_ADDRESS === '' ? undefined : e.WORKER_METRICS_ADDRESS,
    worker: { maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS, workflowBundlePath: e.WORKFLOW_BUNDLE_PATH },
    workerDeployment,
    circuitBreaker: { failures: e.CIRCUIT_BREAKER_FAILURES, cooldownMs: e.CIRCUIT_BREAKER_COOLDOWN_MS },
    tracing: readTracing(e, role),
  };
}

/** Each role's service name unless OTEL_SERVICE_NAME names one, so that the gateway and the workers show apart. */
const SERVICE_NAME_BY_ROLE: Record<ProcessRole, string> = { gateway: 'oms-gateway', worker: 'oms-worker', tool: 'oms-tool', all: 'oms-processing' };

function readTracing(e: z.infer<typeof EnvSchema>, role: ProcessRole): TracingConfig | undefined {
  // The specification's rule: the per-signal URL is used as given, the base one gets the signal's path.
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesEndpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  if (tracesEndpoint === undefined || e.OTEL_SDK_DISABLED) return undefined;
  return { serviceName: e.OTEL_SERVICE_NAME ?? SERVICE_NAME_BY_ROLE[role], tracesEndpoint };
}

/**
 * A version is a deployment name and a build id together: one without the other would start the worker unversioned
 * while the operator believes it versioned (or the reverse), so that is refused naming the missing variable.
 */
function readWorkerDeployment(
  deploymentName: string | undefined,
  buildId: string | undefined,
  defaultVersioningBehavior: WorkerDeploymentConfig['defaultVersioningBehavior'],
): WorkerDeploymentConfig | undefined {
  if (deploymentName === undefined && buildId === undefined) return undefined;
  if (deploymentName === undefined) {
    throw new ConfigError('Invalid environment:\n  WORKER_DEPLOYMENT_NAME: must be set when WORKER_BUILD_ID is (a Worker Deployment Version needs both; unset both for an unversioned worker)');
  }
  if (buildId === undefined) {
    throw new ConfigError('Invalid environment:\n  WORKER_BUILD_ID: must be set when WORKER_DEPLOYMENT_NAME is (a Worker Deployment Version needs both; unset both for an unversioned worker)');
  }
  return { deploymentName, buildId, defaultVersioningBehavior };
}

/**
 * Outside production an unset variable means the public dev key (`npm start` prints it). In production the service
 * refuses to start without real keys: a missing variable, a malformed entry, or the dev key under any id. A refusal
 * comes back as its message line, so that production names it with every other problem in one error.
 */
function readKeyring(value: string | undefined, production: boolean): Keyring | string {
  if (value === undefined) {
    return production
      ? '  PII_ENCRYPTION_KEYS: must be set when NODE_ENV=production (keyId:base64(32 bytes), comma-separated; `npm run pii -- new-key <id>` makes one)'
      : parseKeyring(DEV_PII_KEY);
  }
  let keyring: Keyring;
  try {
    keyring = parseKeyring(value);
  } catch (err) {
    if (err instanceof KeyringError) return `  ${err.message}`;
    throw err;
  }
  if (production && holdsDevKey(keyring)) return '  PII_ENCRYPTION_KEYS: holds the public dev key, which protects nothing; it is refused when NODE_ENV=production';
  return keyring;
}
