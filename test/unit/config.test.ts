// Unit tests of loadConfig (contract §2): defaults, durations, named errors, and production's refusal of dev secrets
// and of the dev simulators' API URLs.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_API_URLS, DEV_SECRETS, loadConfig, type ProcessRole } from '../../src/config';

const REAL_SECRETS = {
  COMMERCE_WEBHOOK_SECRET: 'prod-commerce-7f3a9c',
  PAYMENT_WEBHOOK_SECRET: 'prod-payment-1b2e44',
  SUPPORT_API_TOKEN: 'prod-support-9d0c11',
} as const;

const REAL_API_URLS = {
  COMMERCE_API_URL: 'https://commerce.example.com/api',
  PIM_API_URL: 'https://pim.example.com',
  PAYMENT_API_URL: 'https://payments.example.com/v2',
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
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS });
    for (const name of Object.keys(REAL_SECRETS)) expect(err.message).toContain(name);
  });

  it('refuses the dev default secrets, naming each', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...DEV_SECRETS });
    for (const name of Object.keys(DEV_SECRETS)) expect(err.message).toContain(name);
  });

  it('names only the secret that is still a dev value', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN });
    expect(err.message).toContain('SUPPORT_API_TOKEN');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
    expect(err.message).not.toContain('PAYMENT_WEBHOOK_SECRET');
  });

  it('treats an empty secret as missing', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: '' });
    expect(err.message).toContain('PAYMENT_WEBHOOK_SECRET');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
  });

  it('never prints a secret value in the error', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_SECRETS, SUPPORT_API_TOKEN: '' });
    for (const value of Object.values(REAL_SECRETS)) expect(err.message).not.toContain(value);
  });

  it('accepts real secrets', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_API_URLS, ...REAL_SECRETS });
    expect(config.nodeEnv).toBe('production');
    expect(config.secrets).toEqual({
      commerceWebhook: REAL_SECRETS.COMMERCE_WEBHOOK_SECRET,
      paymentWebhook: REAL_SECRETS.PAYMENT_WEBHOOK_SECRET,
      supportApiToken: REAL_SECRETS.SUPPORT_API_TOKEN,
    });
  });

  it('accepts the dev secrets outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development', ...DEV_SECRETS }).secrets.supportApiToken).toBe(DEV_SECRETS.SUPPORT_API_TOKEN);
  });
});

describe('loadConfig in production: the external API URLs', () => {
  const API_URLS = Object.keys(REAL_API_URLS) as Array<keyof typeof REAL_API_URLS>;

  it('refuses to start without them instead of calling the simulator ports, naming each missing one', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS });
    for (const name of API_URLS) {
      expect(err.message).toMatch(new RegExp(`^  ${name}: must be set .*NODE_ENV=production`, 'm'));
    }
  });

  it.each(API_URLS)('names only %s when it alone is missing', (missing) => {
    const urls = Object.fromEntries(API_URLS.filter((name) => name !== missing).map((name) => [name, REAL_API_URLS[name]]));
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, ...urls });
    expect(err.message).toContain(missing);
    for (const name of API_URLS.filter((n) => n !== missing)) expect(err.message).not.toContain(name);
    for (const secret of Object.keys(REAL_SECRETS)) expect(err.message).not.toContain(secret);
  });

  it('treats an empty URL as missing', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, ...REAL_API_URLS, PIM_API_URL: '' });
    expect(err.message).toContain('PIM_API_URL');
    expect(err.message).not.toContain('COMMERCE_API_URL');
    expect(err.message).not.toContain('PAYMENT_API_URL');
  });

  it('names missing URLs and dev secrets in one error', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN, COMMERCE_API_URL: REAL_API_URLS.COMMERCE_API_URL });
    for (const name of ['SUPPORT_API_TOKEN', 'PIM_API_URL', 'PAYMENT_API_URL']) expect(err.message).toContain(name);
    expect(err.message).not.toContain('COMMERCE_API_URL');
  });

  it('still refuses a malformed URL as before, naming it', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, ...REAL_API_URLS, PAYMENT_API_URL: 'payments' });
    expect(err.message).toContain('PAYMENT_API_URL');
  });

  it('the worker needs them, without any secret', () => {
    const err = configError({ NODE_ENV: 'production' }, 'worker');
    for (const name of API_URLS) expect(err.message).toContain(name);
    for (const secret of Object.keys(REAL_SECRETS)) expect(err.message).not.toContain(secret);
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_API_URLS }, 'worker');
    expect(config.apis).toEqual({ commerceUrl: REAL_API_URLS.COMMERCE_API_URL, pimUrl: REAL_API_URLS.PIM_API_URL, paymentUrl: REAL_API_URLS.PAYMENT_API_URL });
  });

  it('the gateway, which calls none of the APIs, does not', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS }, 'gateway');
    expect(config.nodeEnv).toBe('production');
  });

  it('uses the given URLs (trailing slash dropped)', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS, ...REAL_API_URLS, PIM_API_URL: 'https://pim.example.com/' });
    expect(config.apis).toEqual({ commerceUrl: REAL_API_URLS.COMMERCE_API_URL, pimUrl: 'https://pim.example.com', paymentUrl: REAL_API_URLS.PAYMENT_API_URL });
  });

  it('outside production the simulator ports stay the defaults', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.apis).toEqual({ commerceUrl: DEFAULT_API_URLS.COMMERCE_API_URL, pimUrl: DEFAULT_API_URLS.PIM_API_URL, paymentUrl: DEFAULT_API_URLS.PAYMENT_API_URL });
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
