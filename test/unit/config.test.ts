// Unit tests of loadConfig (contract §2): defaults, durations, named errors, and production's refusal of dev secrets.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SECRETS, loadConfig } from '../../src/config';

const REAL_SECRETS = {
  COMMERCE_WEBHOOK_SECRET: 'prod-commerce-7f3a9c',
  PAYMENT_WEBHOOK_SECRET: 'prod-payment-1b2e44',
  SUPPORT_API_TOKEN: 'prod-support-9d0c11',
} as const;

/** loadConfig's error, asserted to be a ConfigError. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
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
    const err = configError({ NODE_ENV: 'production' });
    for (const name of Object.keys(REAL_SECRETS)) expect(err.message).toContain(name);
  });

  it('refuses the dev default secrets, naming each', () => {
    const err = configError({ NODE_ENV: 'production', ...DEV_SECRETS });
    for (const name of Object.keys(DEV_SECRETS)) expect(err.message).toContain(name);
  });

  it('names only the secret that is still a dev value', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, SUPPORT_API_TOKEN: DEV_SECRETS.SUPPORT_API_TOKEN });
    expect(err.message).toContain('SUPPORT_API_TOKEN');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
    expect(err.message).not.toContain('PAYMENT_WEBHOOK_SECRET');
  });

  it('treats an empty secret as missing', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, PAYMENT_WEBHOOK_SECRET: '' });
    expect(err.message).toContain('PAYMENT_WEBHOOK_SECRET');
    expect(err.message).not.toContain('COMMERCE_WEBHOOK_SECRET');
  });

  it('never prints a secret value in the error', () => {
    const err = configError({ NODE_ENV: 'production', ...REAL_SECRETS, SUPPORT_API_TOKEN: '' });
    for (const value of Object.values(REAL_SECRETS)) expect(err.message).not.toContain(value);
  });

  it('accepts real secrets', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS });
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
