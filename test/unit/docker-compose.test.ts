// Checks docker-compose.yml the way an operator would before `docker compose up`: the services exist and point at
// each other correctly, the service gets only variables src/config.ts knows, secrets come from the environment.
// No Docker engine is needed: the file is parsed with `yaml` and `${VAR}` references are resolved like Compose does.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { SEARCH_ATTRIBUTES } from '../../contracts';
import { DEV_SECRETS, ENV_VARIABLES, loadConfig } from '../../src/config';
import { DEV_PII_KEY } from '../../src/pii/keyring';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const repoFile = (relative: string): URL => new URL(`../../${relative}`, import.meta.url);
const readRepoFile = (relative: string): string => readFileSync(repoFile(relative), 'utf8');

// --- The file's shape ------------------------------------------------------------------------------------------------

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const StringOrList = z.union([z.string(), z.array(z.string())]);
const Service = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string().optional(), dockerfile: z.string().optional() })]).optional(),
  command: StringOrList.optional(),
  entrypoint: StringOrList.optional(),
  environment: z.union([z.record(z.string(), Scalar), z.array(z.string())]).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }))])
    .optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({ target: z.number(), published: z.union([z.string(), z.number()]).optional() })])).optional(),
  healthcheck: z.looseObject({ test: StringOrList }).optional(),
  restart: z.string().optional(),
});
type Service = z.infer<typeof Service>;
const ComposeFile = z.looseObject({ services: z.record(z.string(), Service) });
type ComposeFile = z.infer<typeof ComposeFile>;

const composeText = readRepoFile('docker-compose.yml');
// merge: true resolves `<<: *anchor`, which Compose supports and the file uses to share the service environment.
const compose: ComposeFile = ComposeFile.parse(parse(composeText, { merge: true }));

function service(name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

// --- Compose's variable interpolation --------------------------------------------------------------------------------

class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`required variable ${variable} is not set`);
    this.name = 'MissingVariableError';
  }
}

type OperatorEnv = Readonly<Record<string, string>>;

/** $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}. */
function interpolate(text: string, env: OperatorEnv): string {
  const pattern = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  return text.replace(pattern, (_match, dollar: string | undefined, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (dollar !== undefined) return '$';
    const name = braced ?? bare ?? '';
    const value = env[name];
    const unsetOrEmpty = value === undefined || value === '';
    switch (op) {
      case undefined:
        return value ?? '';
      case ':-':
        return unsetOrEmpty ? (arg ?? '') : value;
      case '-':
        return value ?? arg ?? '';
      case ':?':
        if (unsetOrEmpty) throw new MissingVariableError(name);
        return value;
      case '?':
        if (value === undefined) throw new MissingVariableError(name);
        return value;
      case ':+':
        return unsetOrEmpty ? '' : (arg ?? '');
      case '+':
        return value === undefined ? '' : (arg ?? '');
      default:
        throw new Error(`unsupported interpolation operator ${op}`);
    }
  });
}

/** The service's environment as written in the file (anchors merged, values not yet interpolated). */
function rawEnvironment(svc: Service): Record<string, string> {
  const env = svc.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq === -1 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** What the container would see, given the operator's environment. */
function environmentOf(name: string, env: OperatorEnv = OPERATOR_ENV): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnvironment(service(name))).map(([key, value]) => [key, interpolate(value, env)]));
}

function variable(name: string, key: string, env: OperatorEnv = OPERATOR_ENV): string {
  const value = environmentOf(name, env)[key];
  if (value === undefined) throw new Error(`service "${name}" does not set ${key}`);
  return value;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Command, entrypoint and healthcheck of a service as one interpolated text, for "does it run X" checks. */
function scriptOf(name: string, env: OperatorEnv = OPERATOR_ENV): string {
  const svc = service(name);
  return [...asList(svc.entrypoint), ...asList(svc.command)].map((part) => interpolate(part, env)).join(' ');
}

function healthcheckOf(name: string): string {
  const test = service(name).healthcheck?.test;
  if (test === undefined) throw new Error(`service "${name}" has no healthcheck`);
  return interpolate(asList(test).join(' '), OPERATOR_ENV);
}

function dependsOn(name: string): Record<string, string | undefined> {
  const deps = service(name).depends_on;
  if (deps === undefined) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

/** What a production operator provides: everything the file declares required, nothing more. */
const OPERATOR_ENV: OperatorEnv = {
  COMMERCE_WEBHOOK_SECRET: 'commerce-secret-from-the-vault',
  PAYMENT_WEBHOOK_SECRET: 'payment-secret-from-the-vault',
  SUPPORT_API_TOKEN: 'support-token-from-the-vault',
  CODEC_API_TOKEN: 'codec-token-from-the-vault',
  PII_ENCRYPTION_KEYS: `vault-2026-01:${randomBytes(32).toString('base64')}`,
  COMMERCE_API_URL: 'https://commerce.example.com',
  PIM_API_URL: 'https://pim.example.com',
  PAYMENT_API_URL: 'https://payments.example.com',
  RISK_API_URL: 'https://risk.example.com',
  TEMPORAL_DB_PASSWORD: 'temporal-db-password',
  DASHBOARD_DB_PASSWORD: 'dashboard-db-password',
};

const SERVICE_PROCESSES = ['worker', 'gateway'] as const;

/** What production refuses to start without, on either process: the gateway's secrets and the PII master keys. */
const SECRET_VARIABLES = [...Object.keys(DEV_SECRETS), 'PII_ENCRYPTION_KEYS'];

/** The variable names src/config.ts reads. */
function configVariableNames(): Set<string> {
  return new Set<string>(ENV_VARIABLES);
}

function postgresServices(): string[] {
  return Object.entries(compose.services)
    .filter(([, svc]) => svc.image?.startsWith('postgres:') === true)
    .map(([name]) => name);
}

/** `NAME://host:port` lists of Kafka's listener settings. */
function kafkaListeners(value: string | undefined): Array<{ name: string; host: string; port: number }> {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([A-Za-z0-9_]+):\/\/([^:]*):(\d+)$/.exec(entry);
      if (match === null) throw new Error(`unparseable Kafka listener "${entry}"`);
      return { name: match[1] ?? '', host: match[2] ?? '', port: Number(match[3]) };
    });
}

// --- What the image must contain ------------------------------------------------------------------------------------

/** Repo-relative sources of the Dockerfile's `COPY` lines from the build context (not `--from` another stage). */
function copiedIntoImage(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => {
    const args = (m[1] ?? '').split(/\s+/).filter((arg) => !arg.startsWith('--'));
    return args.slice(0, -1).map((source) => source.replace(/^\.\//, '').replace(/\/$/, ''));
  });
}

/**
 * Every source file the processes load, followed from their entry points through relative imports (static and
 * dynamic) and `new URL('…', import.meta.url)` file references (the worker bundles workflows/ from such a path at
 * start), with the npm packages they import at run time (type-only imports are erased, so they do not count).
 */
function runtimeGraph(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set(builtinModules);
  const resolveFile = (from: string, specifier: string): string => {
    const base = path.resolve(path.dirname(from), specifier);
    for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    throw new Error(`${path.relative(REPO_ROOT, from)}: cannot resolve ${specifier}`);
  };
  const statement =
    /(?:^|[;\n])\s*(import|export)(\s+type)?\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]|new URL\(\s*['"](\.{1,2}\/[^'"]+)['"],\s*import\.meta\.url\)/gm;
  const queue = entries.map((entry) => path.join(REPO_ROOT, entry));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(statement)) {
      if (m[2] !== undefined) continue; // `import type` / `export type`
      const specifier = m[3] ?? m[4] ?? m[5] ?? m[6];
      if (specifier === undefined) continue;
      if (specifier.startsWith('.')) queue.push(resolveFile(file, specifier));
      else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier));
      }
    }
  }
  return { files: new Set([...files].map((file) => path.relative(REPO_ROOT, file))), packages };
}

/** The packages `npm ci --omit=dev` installs: the lockfile's entries not marked dev-only. */
function productionPackages(): Set<string> {
  const lock = z.object({ packages: z.record(z.string(), z.looseObject({ dev: z.boolean().optional() })) }).parse(JSON.parse(readRepoFile('package-lock.json')));
  return new Set(
    Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev !== true)
      .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
}

// --- The checks ------------------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('has the whole stack: databases, Temporal (+ setup, UI), Kafka (+ setup), worker and gateway', () => {
    for (const name of ['temporal', 'temporal-setup', 'temporal-ui', 'kafka', 'kafka-setup', 'worker', 'gateway']) {
      expect(compose.services, name).toHaveProperty([name]);
    }
    expect(postgresServices().length).toBeGreaterThan(0);
    for (const name of postgresServices()) expect(service(name).image).toBe('postgres:16');
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:\d/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d/);
    expect(service('kafka').image).toBe('apache/kafka:3.9.1');
  });

  it('resolves with the operator environment, and refuses to without any of its required variables', () => {
    for (const name of Object.keys(compose.services)) expect(() => environmentOf(name)).not.toThrow();
    for (const missing of Object.keys(OPERATOR_ENV)) {
      const without = Object.fromEntries(Object.entries(OPERATOR_ENV).filter(([key]) => key !== missing));
      const errors = Object.keys(compose.services).flatMap((name) => {
        try {
          environmentOf(name, without);
          return [];
        } catch (err) {
          return err instanceof MissingVariableError ? [err.variable] : [String(err)];
        }
      });
      expect(errors, `nothing requires ${missing}`).toContain(missing);
    }
  });

  it('stores Temporal in a PostgreSQL service of the file, with that service\'s credentials', () => {
    const env = environmentOf('temporal');
    expect(env.DB).toBe('postgres12');
    const dbService = env.POSTGRES_SEEDS ?? '';
    expect(postgresServices()).toContain(dbService);
    const db = environmentOf(dbService);
    expect(env.POSTGRES_USER).toBe(db.POSTGRES_USER ?? 'postgres');
    expect(env.POSTGRES_PWD).toBe(db.POSTGRES_PASSWORD);
    expect(Number(env.DB_PORT ?? 5432)).toBe(5432);
    expect(dependsOn('temporal')[dbService]).toBe('service_healthy');
  });

  it.each(SERVICE_PROCESSES)('%s: TEMPORAL_ADDRESS is the temporal service\'s frontend, as the UI and setup use it', (name) => {
    const address = variable(name, 'TEMPORAL_ADDRESS');
    const frontendPort = Number(environmentOf('temporal').FRONTEND_GRPC_PORT ?? 7233);
    expect(address).toBe(`temporal:${frontendPort}`);
    expect(variable('temporal-ui', 'TEMPORAL_ADDRESS')).toBe(address);
    expect(scriptOf('temporal-setup')).toContain(`--address ${address}`);
  });

  it.each(SERVICE_PROCESSES)('%s: every KAFKA_BROKERS entry is a plaintext client listener the kafka service advertises', (name) => {
    const kafka = environmentOf('kafka');
    const declared = kafkaListeners(kafka.KAFKA_LISTENERS);
    const advertised = kafkaListeners(kafka.KAFKA_ADVERTISED_LISTENERS);
    const controllers = new Set((kafka.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(','));
    const protocols = new Map((kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((pair) => pair.split(':') as [string, string]));
    const brokers = loadConfig(environmentOf(name)).kafka.brokers;
    expect(brokers.length).toBeGreaterThan(0);
    for (const broker of brokers) {
      const listener = advertised.find((l) => `${l.host}:${l.port}` === broker);
      expect(listener, `${broker} is not in KAFKA_ADVERTISED_LISTENERS`).toBeDefined();
      if (listener === undefined) continue;
      // Advertised under the kafka service's name, bound on the same port, not KRaft's controller listener,
      // and plaintext, since the service's kafkajs client is configured without TLS or SASL.
      expect(listener.host).toBe('kafka');
      expect(declared.find((l) => l.name === listener.name)?.port, `listener ${listener.name} is not bound on ${listener.port}`).toBe(listener.port);
      expect(controllers.has(listener.name)).toBe(false);
      expect(protocols.get(listener.name) ?? listener.name).toBe('PLAINTEXT');
    }
  });

  it.each(SERVICE_PROCESSES)('%s: DATABASE_URL reaches a PostgreSQL service of the file with its user, password and database', (name) => {
    const url = new URL(variable(name, 'DATABASE_URL'));
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(postgresServices()).toContain(url.hostname);
    const db = environmentOf(url.hostname);
    const user = db.POSTGRES_USER ?? 'postgres';
    expect(decodeURIComponent(url.username)).toBe(user);
    expect(decodeURIComponent(url.password)).toBe(db.POSTGRES_PASSWORD);
    expect(decodeURIComponent(url.pathname.slice(1))).toBe(db.POSTGRES_DB ?? user);
    expect(Number(url.port || 5432)).toBe(Number(db.PGPORT ?? 5432));
    expect(dependsOn(name)[url.hostname]).toBe('service_healthy');
    // The dashboard store is not Temporal's database: sharing it would couple their backups, load and upgrades.
    expect(url.hostname).not.toBe(environmentOf('temporal').POSTGRES_SEEDS);
  });

  it.each(SERVICE_PROCESSES)('%s: sets only variables that src/config.ts knows, and the config loads them in production', (name) => {
    const known = configVariableNames();
    expect(known).toContain('TEMPORAL_ADDRESS'); // the parse above found the schema, not nothing
    const env = environmentOf(name);
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
    expect(env.NODE_ENV).toBe('production');
    const config = loadConfig(env);
    expect(config.nodeEnv).toBe('production');
    expect(config.store.databaseUrl).toBeDefined();
    expect(config.kafka.topic).toBe('order-fulfillment');
    expect(config.temporal.namespace).toBe('default');
  });

  it.each(SERVICE_PROCESSES)('%s: the secrets come from the operator\'s environment, never from the file', (name) => {
    for (const secret of SECRET_VARIABLES) {
      expect(variable(name, secret)).toBe(OPERATOR_ENV[secret]);
      const without = Object.fromEntries(Object.entries(OPERATOR_ENV).filter(([key]) => key !== secret));
      expect(() => environmentOf(name, without), `${secret} has a default`).toThrow(MissingVariableError);
    }
    for (const devValue of Object.values(DEV_SECRETS)) expect(composeText).not.toContain(devValue);
    expect(composeText).not.toContain(DEV_PII_KEY.slice(DEV_PII_KEY.indexOf(':') + 1));
    // The keys the config loaded are the operator's, so both processes encrypt and decrypt alike.
    expect(loadConfig(environmentOf(name)).pii.keyring.current.key.toString('base64')).toBe(OPERATOR_ENV.PII_ENCRYPTION_KEYS?.split(':')[1]);
  });

  it('hard-codes no password or secret in any service', () => {
    const credential = /(PASSWORD|PWD|SECRET|TOKEN|KEYS?)$/;
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(rawEnvironment(svc))) {
        if (!credential.test(key)) continue;
        expect(() => interpolate(value, {}), `${name}.${key} does not require a variable`).toThrow(MissingVariableError);
      }
    }
    for (const name of SERVICE_PROCESSES) {
      const password = decodeURIComponent(new URL(variable(name, 'DATABASE_URL', { ...OPERATOR_ENV, DASHBOARD_DB_PASSWORD: 'X' })).password);
      expect(password, `${name}: DATABASE_URL's password is not DASHBOARD_DB_PASSWORD`).toBe('X');
    }
  });

  it("lets the Web UI it publishes call the gateway's codec server from the browser (CORS)", () => {
    const uiPorts = (service('temporal-ui').ports ?? []).map((port) =>
      typeof port === 'object' ? String(port.published ?? '') : (String(port).replace(/\/(tcp|udp)$/, '').split(':').at(-2) ?? ''),
    );
    expect(uiPorts.length).toBeGreaterThan(0);
    const origins = loadConfig(environmentOf('gateway')).pii.codecCorsOrigins;
    // The browser's origin is the host's published port, on either loopback name, never the container's own port.
    for (const port of uiPorts) {
      expect(origins).toContain(`http://localhost:${port}`);
      expect(origins).toContain(`http://127.0.0.1:${port}`);
    }
    // And an operator serving the UI elsewhere names its origin.
    const elsewhere = environmentOf('gateway', { ...OPERATOR_ENV, CODEC_CORS_ORIGINS: 'https://temporal.example.com' });
    expect(loadConfig(elsewhere).pii.codecCorsOrigins).toEqual(['https://temporal.example.com']);
  });

  it.each(SERVICE_PROCESSES)('%s: the external API URLs are the operator\'s, not this container\'s loopback', (name) => {
    // The built-in simulators bind 127.0.0.1, so inside a container a loopback URL could only reach the container itself.
    for (const key of ['COMMERCE_API_URL', 'PIM_API_URL', 'PAYMENT_API_URL', 'RISK_API_URL']) {
      expect(variable(name, key)).toBe(OPERATOR_ENV[key]);
      expect(rawEnvironment(service(name))[key]).not.toMatch(/127\.0\.0\.1|localhost/);
    }
  });

  it('points every depends_on at a service that exists and can satisfy the condition', () => {
    for (const name of Object.keys(compose.services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(compose.services, `${name} depends on unknown ${target}`).toHaveProperty([target]);
        if (condition === 'service_healthy') expect(service(target).healthcheck, `${target} has no healthcheck`).toBeDefined();
        // A one-shot that Compose restarted would never count as completed.
        if (condition === 'service_completed_successfully') expect(service(target).restart ?? 'no').toBe('no');
      }
    }
    for (const name of SERVICE_PROCESSES) {
      expect(dependsOn(name)).toMatchObject({
        'temporal-setup': 'service_completed_successfully',
        'kafka-setup': 'service_completed_successfully',
      });
    }
    expect(dependsOn('temporal-setup').temporal).toBe('service_healthy');
    expect(dependsOn('kafka-setup').kafka).toBe('service_healthy');
  });

  it('has healthchecks on the databases, Temporal, Kafka and the gateway', () => {
    for (const name of [...postgresServices(), 'temporal', 'kafka', 'gateway']) {
      expect(service(name).healthcheck, name).toBeDefined();
    }
    for (const name of postgresServices()) expect(healthcheckOf(name)).toContain('pg_isready');
  });

  it('publishes the gateway on 3000, where it listens and where its healthcheck probes /healthz', () => {
    const env = environmentOf('gateway');
    expect(env.PORT).toBe('3000');
    expect(env.HOST).toBe('0.0.0.0');
    const published = (service('gateway').ports ?? []).map((port) => {
      if (typeof port === 'object') return { host: String(port.published ?? ''), container: String(port.target) };
      const parts = String(port).replace(/\/(tcp|udp)$/, '').split(':');
      return { host: parts.length > 1 ? (parts.at(-2) ?? '') : '', container: parts.at(-1) ?? '' };
    });
    expect(published).toContainEqual({ host: '3000', container: env.PORT });
    expect(healthcheckOf('gateway')).toMatch(new RegExp(`:${env.PORT}/healthz\\b`));
  });

  it('creates the search attributes of contract §8 in the namespace the service uses', () => {
    for (const env of [OPERATOR_ENV, { ...OPERATOR_ENV, TEMPORAL_NAMESPACE: 'oms-prod' }]) {
      const namespace = variable('worker', 'TEMPORAL_NAMESPACE', env);
      expect(variable('gateway', 'TEMPORAL_NAMESPACE', env)).toBe(namespace);
      expect(variable('temporal', 'DEFAULT_NAMESPACE', env)).toBe(namespace);
      const script = scriptOf('temporal-setup', env);
      for (const [attribute, type] of Object.entries(SEARCH_ATTRIBUTES)) {
        expect(script).toMatch(new RegExp(`search-attribute create --namespace ${namespace} [^\\n]*--name ${attribute} --type ${type}\\b`));
      }
      for (const match of script.matchAll(/--namespace (\S+)/g)) expect(match[1]).toBe(namespace);
    }
  });

  it('creates the fulfillment topic the service publishes to, through the broker it uses', () => {
    for (const env of [OPERATOR_ENV, { ...OPERATOR_ENV, FULFILLMENT_TOPIC: 'orders-out' }]) {
      const topic = variable('worker', 'FULFILLMENT_TOPIC', env);
      const script = scriptOf('kafka-setup', env);
      expect(script).toMatch(/kafka-topics\.sh .*--create\b/);
      expect(script).toContain(`--topic ${topic} `);
      const bootstrap = /--bootstrap-server (\S+)/.exec(script)?.[1];
      expect(variable('worker', 'KAFKA_BROKERS', env).split(',')).toContain(bootstrap);
    }
    expect(variable('worker', 'FULFILLMENT_TOPIC')).toBe('order-fulfillment');
  });

  it('builds worker and gateway from this Dockerfile: the gateway by default, the worker by its command', () => {
    for (const name of SERVICE_PROCESSES) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      expect(context, `${name} is not built from the repo`).toMatch(/^\.\/?$/);
    }
    const dockerfile = readRepoFile('Dockerfile');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const defaultCommand = z.array(z.string()).parse(JSON.parse(cmd ?? 'null'));
    expect(service('gateway').command).toBeUndefined();
    const entryOf = (args: readonly string[]): string | undefined => args.find((arg) => arg.endsWith('.ts'));
    expect(entryOf(defaultCommand)).toBe('src/gateway/server.ts');
    expect(entryOf(asList(service('worker').command))).toBe('src/worker/main.ts');
    // The same entry points as `npm run gateway` / `npm run worker`, and they exist.
    const scripts = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(readRepoFile('package.json'))).scripts;
    expect(scripts.gateway).toContain('src/gateway/server.ts');
    expect(scripts.worker).toContain('src/worker/main.ts');
    for (const entry of ['src/gateway/server.ts', 'src/worker/main.ts']) expect(existsSync(repoFile(entry)), entry).toBe(true);
    // Runs as an unprivileged user, in production mode.
    const user = /^USER (\S+)/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it('ships in the image every file and production package the worker and the gateway load', () => {
    const dockerfile = readRepoFile('Dockerfile');
    const copied = copiedIntoImage(dockerfile);
    const { files, packages } = runtimeGraph(['src/gateway/server.ts', 'src/worker/main.ts']);
    expect(files).toContain('workflows/index.ts'); // followed through create-workers' WORKFLOWS_PATH
    const missing = [...files].filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)));
    expect(missing, 'loaded at run time but not copied into the image').toEqual([]);
    const installed = productionPackages();
    expect(packages).toContain('@temporalio/worker'); // the parse above found the imports, not nothing
    expect([...packages].filter((name) => !installed.has(name)), 'imported at run time but not installed by npm ci --omit=dev').toEqual([]);
    // The command itself needs tsx at run time.
    expect(installed).toContain('tsx');
  });
});
