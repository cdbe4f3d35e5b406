// Unit tests of loadConfig (contract §2): defaults, durations, named errors, and production's refusal of dev secrets,
// of the dev simulators' API URLs and of missing, malformed or public PII master keys (contract §9).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_API_URLS, DEV_SECRETS, ENV_VARIABLES, loadConfig, type ProcessRole } from '../../src/config';
import { DEV_PII_KEY } from '../../src/pii/keyring';

/** The secrets the gateway checks (signatures and tokens); the worker needs none of them. */
const REAL_SECRETS = {
  COMMERCE_WEBHOOK_SECRET: 'prod-commerce-7f3a9c',
  PAYMENT_WEBHOOK_SECRET: 'prod-payment-1b2e44',
  SUPPORT_API_TOKEN: 'prod-support-9d0c11',
  CODEC_API_TOKEN: 'prod-codec-3e8a57',
} as const;

/** A master key as an operator makes one: 32 random bytes in standard base64. */
const freshKeyMaterial = (): string => randomBytes(32).toString('base64');
const REAL_KEY_MATERIAL = freshKeyMaterial();
/** What every process needs in production, the worker too: each Temporal client and worker encrypts its payloads. */
const REAL_KEYS = { PII_ENCRYPTION_KEYS: `prod-2026-01:${REAL_KEY_MATERIAL}` } as const;

const DEV_KEY_ID = DEV_PII_KEY.slice(0, DEV_PII_KEY.indexOf(':'));
const DEV_KEY_MATERIAL = DEV_PII_KEY.slice(DEV_PII_KEY.indexOf(':') + 1);

const REAL_API_URLS = {
  COMMERCE_API_URL: 'https://commerce.example.com/api',
  PIM_API_URL: 'https://pim.example.com',
  PAYMENT_API_URL: 'https://payments.example.com/v2',
  RISK_API_URL: 'https://risk.example.com',
} as const;

/** loadConfig's error, asserted to be a ConfigError. */
function configError(env: NodeJS.ProcessEnv, role?: ProcessRole): ConfigError {
  try {
    loadConfig(env, role);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (contract §2)', () => {
  const config = loadConfig({});

  it('uses 30d for both windows', () => {
    expect(config.windows.orderTtlMs).toBe(2_592_000_000);
    expect(config.windows.paymentCaptureWindowMs).toBe(2_592_000_000);
  });

  it('limits the Commerce App to 150 RPS', () => {
    expect(config.commerceApiRps).toBe(150);
  });

  it('listens on port 3000', () => {
    expect(config.http.port).toBe(3000);
  });

  it('publishes to order-fulfillment on a local broker', () => {
    expect(config.kafka.topic).toBe('order-fulfillment');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });

  it('talks to the local Temporal dev server in namespace default', () => {
    expect(config.temporal.namespace).toBe('default');
    expect(config.temporal.address).toBe('127.0.0.1:7233');
  });

  it('uses the embedded store and the dev secrets', () => {
    expect(config.store.databaseUrl).toBeUndefined();
    expect(config.secrets).toEqual({
      commerceWebhook: DEV_SECRETS.COMMERCE_WEBHOOK_SECRET,
      paymentWebhook: DEV_SECRETS.PAYMENT_WEBHOOK_SECRET,
      supportApiToken: DEV_SECRETS.SUPPORT_API_TOKEN,
      codecApiToken: DEV_SECRETS.CODEC_API_TOKEN,
    });
  });

  it('does not read process.env when given an env object', () => {
    expect(loadConfig({ PORT: '4321' }).http.port).toBe(4321);
  });
});

describe('loadConfig values', () => {
  it.each([
    ['8s', 8_000],
    ['250ms', 250],
    ['30d', 2_592_000_000],
    ['2h', 7_200_000],
  ])('reads the duration %s as %i ms', (value, expected) => {
    const config = loadConfig({ ORDER_TTL: value, PAYMENT_CAPTURE_WINDOW: value });
    expect(config.windows.orderTtlMs).toBe(expected);
    expect(config.windows.paymentCaptureWindowMs).toBe(expected);
  });

  it('splits KAFKA_BROKERS on commas and trims', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093' }).kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
  });

  it('drops a trailing slash from API URLs so paths join cleanly', () => {
    expect(loadConfig({ COMMERCE_API_URL: 'https://commerce.example/api/' }).apis.commerceUrl).toBe('https://commerce.example/api');
  });

  it('reads COMMERCE_API_RPS as a number', () => {
    expect(loadConfig({ COMMERCE_API_RPS: '40' }).commerceApiRps).toBe(40);
  });

  it('takes DATABASE_URL when set', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/oms' }).store.databaseUrl).toBe('postgres://u:p@db:5432/oms');
  });
});

describe('loadConfig errors name the variable', () => {
  it.each([
    ['ORDER_TTL', 'soon'],
    ['ORDER_TTL', '0s'],
    ['ORDER_TTL', '-5m'],
    ['PAYMENT_CAPTURE_WINDOW', 'forever'],
    ['COMMERCE_API_RPS', 'fast'],
    ['COMMERCE_API_RPS', '0'],
    ['COMMERCE_API_RPS', '-3'],
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_BROKERS', 'k1:9092,k2'],
    ['KAFKA_BROKERS', ' , '],
    ['COMMERCE_API_URL', 'not a url'],
    ['COMMERCE_API_URL', 'ftp://commerce.example'],
    ['PIM_API_URL', 'pim'],
    ['PAYMENT_API_URL', '//payments'],
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/oms'],
  ])('%s=%j → ConfigError naming %s', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toContain(name);
  });

  it('names every bad variable at once', () => {
    const err = configError({ ORDER_TTL: 'soon', COMMERCE_API_RPS: 'fast' });
    expect(err.message).toContain('ORDER_TTL');
    expect(err.message).toContain('COMMERCE_API_RPS');
  });
});

describe('loadConfig in production', () => {
  it('refuses to start without secrets, naming each missing one', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS });
    for (const name of Object.keys(REAL_SECRETS)) expect(err.message).toContain(name);
  });

  it('refuses the dev default secrets, naming each', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS, ...DEV_SECRETS });
    for (const name of Object.keys(DEV_SECRETS)) expect(err.message).toContain(name);
  });

  it('names only the secret that is still a dev value', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS, ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN });
    expect(err.message).toContain('SUPPORT_API_TOKEN');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
    expect(err.message).not.toContain('PAYMENT_WEBHOOK_SECRET');
    expect(err.message).not.toContain('CODEC_API_TOKEN');
    expect(err.message).not.toContain('PII_ENCRYPTION_KEYS');
  });

  it('treats an empty secret as missing', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: '' });
    expect(err.message).toContain('PAYMENT_WEBHOOK_SECRET');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
  });

  it('never prints a secret value in the error', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS, ...REAL_SECRETS, SUPPORT_API_TOKEN: '' });
    for (const value of Object.values(REAL_SECRETS)) expect(err.message).not.toContain(value);
    expect(err.message).not.toContain(REAL_KEY_MATERIAL);
  });

  it('accepts real secrets', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_KEYS, ...REAL_SECRETS });
    expect(config.nodeEnv).toBe('production');
    expect(config.secrets).toEqual({
      commerceWebhook: REAL_SECRETS.COMMERCE_WEBHOOK_SECRET,
      paymentWebhook: REAL_SECRETS.PAYMENT_WEBHOOK_SECRET,
      supportApiToken: REAL_SECRETS.SUPPORT_API_TOKEN,
      codecApiToken: REAL_SECRETS.CODEC_API_TOKEN,
    });
    expect(config.pii.keyring.current.id).toBe('prod-2026-01');
    expect(config.pii.keyring.current.key.equals(Buffer.from(REAL_KEY_MATERIAL, 'base64'))).toBe(true);
  });

  it('accepts the dev secrets outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development', ...DEV_SECRETS }).secrets.supportApiToken).toBe(DEV_SECRETS.SUPPORT_API_TOKEN);
  });
});

describe('loadConfig in production: the external API URLs', () => {
  const API_URLS = Object.keys(REAL_API_URLS) as Array<keyof typeof REAL_API_URLS>;

  it('refuses to start without them instead of calling the simulator ports, naming each missing one', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS });
    for (const name of API_URLS) {
      expect(err.message).toMatch(new RegExp(`^  ${name}: must be set .*NODE_ENV=production`, 'm'));
    }
  });

  it.each(API_URLS)('names only %s when it alone is missing', (missing) => {
    const urls = Object.fromEntries(API_URLS.filter((name) => name !== missing).map((name) => [name, REAL_API_URLS[name]]));
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS, ...urls });
    expect(err.message).toContain(missing);
    for (const name of API_URLS.filter((n) => n !== missing)) expect(err.message).not.toContain(name);
    for (const secret of Object.keys(REAL_SECRETS)) expect(err.message).not.toContain(secret);
  });

  it('treats an empty URL as missing', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS, ...REAL_API_URLS, PIM_API_URL: '' });
    expect(err.message).toContain('PIM_API_URL');
    expect(err.message).not.toContain('COMMERCE_API_URL');
    expect(err.message).not.toContain('PAYMENT_API_URL');
  });

  it('names missing URLs and dev secrets in one error', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN, COMMERCE_API_URL: REAL_API_URLS.COMMERCE_API_URL });
    for (const name of ['SUPPORT_API_TOKEN', 'PIM_API_URL', 'PAYMENT_API_URL']) expect(err.message).toContain(name);
    expect(err.message).not.toContain('COMMERCE_API_URL');
  });

  it('still refuses a malformed URL as before, naming it', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS, ...REAL_API_URLS, PAYMENT_API_URL: 'payments' });
    expect(err.message).toContain('PAYMENT_API_URL');
  });

  it('the worker needs them, without any secret of the gateway', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_KEYS }, 'worker');
    for (const name of API_URLS) expect(err.message).toContain(name);
    for (const secret of Object.keys(REAL_SECRETS)) expect(err.message).not.toContain(secret);
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_API_URLS }, 'worker');
    expect(config.apis).toEqual({ commerceUrl: REAL_API_URLS.COMMERCE_API_URL, pimUrl: REAL_API_URLS.PIM_API_URL, paymentUrl: REAL_API_URLS.PAYMENT_API_URL, riskUrl: REAL_API_URLS.RISK_API_URL });
  });

  it('the gateway, which calls none of the APIs, does not', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS }, 'gateway');
    expect(config.nodeEnv).toBe('production');
  });

  it('uses the given URLs (trailing slash dropped)', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_KEYS, ...REAL_SECRETS, ...REAL_API_URLS, PIM_API_URL: 'https://pim.example.com/' });
    expect(config.apis).toEqual({ commerceUrl: REAL_API_URLS.COMMERCE_API_URL, pimUrl: 'https://pim.example.com', paymentUrl: REAL_API_URLS.PAYMENT_API_URL, riskUrl: REAL_API_URLS.RISK_API_URL });
  });

  it('outside production the simulator ports stay the defaults', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.apis).toEqual({ commerceUrl: DEFAULT_API_URLS.COMMERCE_API_URL, pimUrl: DEFAULT_API_URLS.PIM_API_URL, paymentUrl: DEFAULT_API_URLS.PAYMENT_API_URL, riskUrl: DEFAULT_API_URLS.RISK_API_URL });
  });
});

describe('empty strings count as unset', () => {
  it('falls back to the defaults for every empty variable', () => {
    const config = loadConfig({
      ORDER_TTL: '',
      PAYMENT_CAPTURE_WINDOW: '',
      COMMERCE_API_RPS: '',
      KAFKA_BROKERS: '',
      FULFILLMENT_TOPIC: '',
      COMMERCE_API_URL: '',
      PORT: '',
      TEMPORAL_NAMESPACE: '',
      DATABASE_URL: '',
    });
    expect(config.windows.orderTtlMs).toBe(2_592_000_000);
    expect(config.windows.paymentCaptureWindowMs).toBe(2_592_000_000);
    expect(config.commerceApiRps).toBe(150);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.topic).toBe('order-fulfillment');
    expect(config.apis.commerceUrl).toBe(loadConfig({}).apis.commerceUrl);
    expect(config.http.port).toBe(3000);
    expect(config.temporal.namespace).toBe('default');
    expect(config.store.databaseUrl).toBeUndefined();
  });
});

describe('PII_ENCRYPTION_KEYS: the master keys (contract §2, §9)', () => {
  const PRODUCTION = { NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_SECRETS } as const;
  const ENVIRONMENTS = [
    ['development', { NODE_ENV: 'development' }],
    ['production', PRODUCTION],
  ] as const;
  const ROLES: ProcessRole[] = ['gateway', 'worker', 'all'];

  it('outside production defaults to the public dev key (the one npm start prints)', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { PII_ENCRYPTION_KEYS: '' }]) {
      const { keyring } = loadConfig(env).pii;
      expect(keyring.keys.map((k) => k.id)).toEqual([DEV_KEY_ID]);
      expect(keyring.current.id).toBe(DEV_KEY_ID);
      expect(keyring.current.key.equals(Buffer.from(DEV_KEY_MATERIAL, 'base64'))).toBe(true);
    }
  });

  it.each(ROLES)('in production the %s refuses to start without it, naming the variable', (role) => {
    for (const env of [PRODUCTION, { ...PRODUCTION, PII_ENCRYPTION_KEYS: '' }]) {
      const err = configError(env, role);
      expect(err.message).toMatch(/^ {2}PII_ENCRYPTION_KEYS: must be set\b.*NODE_ENV=production/m);
    }
  });

  it('in production names a missing PII_ENCRYPTION_KEYS in the same error as the other missing variables', () => {
    // One start-up, every fix: an operator should not discover the missing variables one restart at a time.
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN });
    for (const name of ['PII_ENCRYPTION_KEYS', 'SUPPORT_API_TOKEN', ...Object.keys(REAL_API_URLS)]) expect(err.message).toContain(name);
  });

  const a = freshKeyMaterial();
  const b = freshKeyMaterial();
  /** 32 bytes whose standard base64 holds both '+' and '/', so its base64url form differs from it. */
  const urlUnsafe = Buffer.alloc(32, 0xfb).toString('base64');
  const MALFORMED: Array<{ label: string; value: string; secrets: string[] }> = [
    { label: 'a key without id and colon', value: a, secrets: [a] },
    { label: 'id and key run together', value: `prod-1${a}`, secrets: [a] },
    { label: 'an empty id', value: `:${a}`, secrets: [a] },
    { label: 'an id with a space', value: `prod 1:${a}`, secrets: [a] },
    { label: 'an id starting with a dash', value: `-prod:${a}`, secrets: [a] },
    { label: 'an id of 65 characters', value: `${'k'.repeat(65)}:${a}`, secrets: [a] },
    { label: 'id and key swapped', value: `${a}:prod-1`, secrets: [a] },
    { label: 'an empty key', value: 'prod-1:', secrets: [] },
    { label: 'a 31-byte key', value: `prod-1:${randomBytes(31).toString('base64')}`, secrets: [] },
    { label: 'a 33-byte key', value: `prod-1:${randomBytes(33).toString('base64')}`, secrets: [] },
    { label: 'a 16-byte key', value: `prod-1:${randomBytes(16).toString('base64')}`, secrets: [] },
    { label: 'a key in base64url', value: `prod-1:${Buffer.from(urlUnsafe, 'base64').toString('base64url')}`, secrets: [Buffer.from(urlUnsafe, 'base64').toString('base64url')] },
    { label: 'a key without its padding', value: `prod-1:${a.replace(/=+$/, '')}`, secrets: [a.replace(/=+$/, '')] },
    { label: 'a key with a line break inside', value: `prod-1:${a.slice(0, 22)}\n${a.slice(22)}`, secrets: [a.slice(0, 22), a.slice(22)] },
    { label: 'a key with a character outside base64', value: `prod-1:${a.slice(0, 10)}!${a.slice(11)}`, secrets: [a.slice(11)] },
    { label: 'a key in hex', value: `prod-1:${randomBytes(32).toString('hex')}`, secrets: [] },
    { label: 'the same id twice', value: `prod-1:${a},prod-1:${b}`, secrets: [a, b] },
    { label: 'a good key, then a malformed one', value: `new:${a},old:${b.slice(0, -2)}`, secrets: [a, b.slice(0, -2)] },
  ];

  describe.each(ENVIRONMENTS)('in %s', (_name, base) => {
    it.each(MALFORMED)('refuses $label, naming the variable and never printing the key', ({ value, secrets }) => {
      const err = configError({ ...base, PII_ENCRYPTION_KEYS: value });
      expect(err.message).toContain('PII_ENCRYPTION_KEYS');
      for (const secret of secrets) expect(err.message).not.toContain(secret);
    });
  });

  it('says which entry is wrong', () => {
    expect(configError({ PII_ENCRYPTION_KEYS: `prod-1:${a},prod-1:${b}` }).message).toContain('"prod-1"');
    expect(configError({ PII_ENCRYPTION_KEYS: `new:${a},old:${b.slice(0, -2)}` }).message).toMatch(/key 2\b|"old"/);
  });

  it.each([
    ['under its own id', DEV_PII_KEY],
    ['under another id', `prod-2026-01:${DEV_KEY_MATERIAL}`],
    ['as an older, decrypt-only key', `prod-2026-02:${REAL_KEY_MATERIAL},prod-2026-01:${DEV_KEY_MATERIAL}`],
  ])('in production refuses the public dev key %s', (_label, value) => {
    const err = configError({ ...PRODUCTION, PII_ENCRYPTION_KEYS: value });
    expect(err.message).toMatch(/^ {2}PII_ENCRYPTION_KEYS: .*dev key/m);
    expect(err.message).not.toContain(DEV_KEY_MATERIAL);
    expect(err.message).not.toContain(REAL_KEY_MATERIAL);
    // Outside production the same keyring loads: the dev key is what npm start runs on.
    expect(loadConfig({ NODE_ENV: 'development', PII_ENCRYPTION_KEYS: value }).pii.keyring.keys.length).toBeGreaterThan(0);
  });

  it('encrypts with the first key and keeps every listed one for decryption, in order', () => {
    const { keyring } = loadConfig({ ...PRODUCTION, PII_ENCRYPTION_KEYS: `new:${b} , old:${a}` }).pii;
    expect(keyring.current.id).toBe('new');
    expect(keyring.current.key.equals(Buffer.from(b, 'base64'))).toBe(true);
    expect(keyring.keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(keyring.find('old')?.key.equals(Buffer.from(a, 'base64'))).toBe(true);
    expect(keyring.find('new')?.key.equals(Buffer.from(b, 'base64'))).toBe(true);
    expect(keyring.find('older')).toBeUndefined();
    expect(keyring.keys.every((k) => k.key.length === 32)).toBe(true);
  });
});

describe('CODEC_CORS_ORIGINS', () => {
  it("defaults to npm start's Web UI, on both loopback names", () => {
    expect(loadConfig({}).pii.codecCorsOrigins.sort()).toEqual(['http://127.0.0.1:8233', 'http://localhost:8233']);
  });

  it('splits on commas and trims', () => {
    expect(loadConfig({ CODEC_CORS_ORIGINS: 'https://temporal.example.com, http://10.0.0.5:8080' }).pii.codecCorsOrigins).toEqual(['https://temporal.example.com', 'http://10.0.0.5:8080']);
  });

  it.each(['https://temporal.example.com/ui', 'temporal.example.com', '*'])('refuses %j, naming the variable', (value) => {
    expect(configError({ CODEC_CORS_ORIGINS: value }).message).toContain('CODEC_CORS_ORIGINS');
  });
});

describe('Worker Versioning: WORKER_DEPLOYMENT_NAME, WORKER_BUILD_ID, WORKER_VERSIONING_BEHAVIOR (docs/versioning.md)', () => {
  /** A production worker: real keys and a real URL for every API it calls. */
  const PRODUCTION_WORKER_ENV = {
    NODE_ENV: 'production',
    ...REAL_KEYS,
    ...Object.fromEntries(Object.keys(DEFAULT_API_URLS).map((name) => [name, `https://${name.toLowerCase().replaceAll('_', '-')}.example.com`])),
  };

  it('leaves the worker unversioned when neither is set, whatever the behavior says', () => {
    expect(loadConfig({}).workerDeployment).toBeUndefined();
    expect(loadConfig({ WORKER_VERSIONING_BEHAVIOR: 'PINNED' }).workerDeployment).toBeUndefined();
    // Deploy tools write unset optional variables as empty strings.
    expect(loadConfig({ WORKER_DEPLOYMENT_NAME: '', WORKER_BUILD_ID: '' }).workerDeployment).toBeUndefined();
  });

  it('makes the worker a deployment version when both are set, AUTO_UPGRADE by default', () => {
    expect(loadConfig({ WORKER_DEPLOYMENT_NAME: 'oms', WORKER_BUILD_ID: '2026-12-01-a1b2c3d' }).workerDeployment).toEqual({
      deploymentName: 'oms',
      buildId: '2026-12-01-a1b2c3d',
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it.each(['PINNED', 'AUTO_UPGRADE'] as const)('takes WORKER_VERSIONING_BEHAVIOR=%s', (behavior) => {
    const config = loadConfig({ WORKER_DEPLOYMENT_NAME: 'oms', WORKER_BUILD_ID: 'v2', WORKER_VERSIONING_BEHAVIOR: behavior });
    expect(config.workerDeployment?.defaultVersioningBehavior).toBe(behavior);
  });

  it('is the same in production, where the worker needs no other new variable for it', () => {
    const config = loadConfig({ ...PRODUCTION_WORKER_ENV, WORKER_DEPLOYMENT_NAME: 'oms', WORKER_BUILD_ID: 'v2', WORKER_VERSIONING_BEHAVIOR: 'PINNED' }, 'worker');
    expect(config.workerDeployment).toEqual({ deploymentName: 'oms', buildId: 'v2', defaultVersioningBehavior: 'PINNED' });
  });

  it.each([
    ['WORKER_BUILD_ID', { WORKER_DEPLOYMENT_NAME: 'oms' }, 'WORKER_BUILD_ID'],
    ['WORKER_DEPLOYMENT_NAME', { WORKER_BUILD_ID: 'v2' }, 'WORKER_DEPLOYMENT_NAME'],
    ['WORKER_BUILD_ID (empty)', { WORKER_DEPLOYMENT_NAME: 'oms', WORKER_BUILD_ID: '' }, 'WORKER_BUILD_ID'],
  ])('refuses one without the other, naming the missing %s', (_label, env, missing) => {
    const err = configError(env);
    expect(err.message).toMatch(new RegExp(`^ {2}${missing}: must be set when`, 'm'));
  });

  it.each([
    ['WORKER_DEPLOYMENT_NAME', 'oms.v2'],
    ['WORKER_DEPLOYMENT_NAME', 'oms:v2'],
    ['WORKER_DEPLOYMENT_NAME', 'oms orders'],
    ['WORKER_BUILD_ID', 'x'.repeat(256)],
    ['WORKER_BUILD_ID', 'build 42'],
    ['WORKER_BUILD_ID', '__unversioned__'],
    ['WORKER_VERSIONING_BEHAVIOR', 'pinned'],
    ['WORKER_VERSIONING_BEHAVIOR', 'LATEST'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    const base = { WORKER_DEPLOYMENT_NAME: 'oms', WORKER_BUILD_ID: 'v2' };
    expect(configError({ ...base, [name]: value }).message).toMatch(new RegExp(`^ {2}${name}: `, 'm'));
  });

  it('lists the three variables for the deployment files', () => {
    expect(ENV_VARIABLES).toEqual(expect.arrayContaining(['WORKER_DEPLOYMENT_NAME', 'WORKER_BUILD_ID', 'WORKER_VERSIONING_BEHAVIOR']));
  });
});
