// A real Prometheus for a chaos run: scrapes the gateway and the workers of `npm start` every 2 s, evaluates the
// service's alert rules (ops/prometheus/oms-alerts.yml) every 2 s, and tells which alerts fired during the run.
// The rules' `for:` are production values (minutes); a chaos run of minutes evaluates a copy with shorter ones.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freeLoopbackPort } from '../stack/free-port';
import { assertPortFree, startManaged } from '../stack/processes';
import { ensurePrometheus } from '../tools/promtool';

export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../ops/prometheus/oms-alerts.yml', import.meta.url));

/** The scrape jobs the rules' OmsTargetDown expects (`job=~"oms-.*"`). */
export const SCRAPE_JOBS = { gateway: 'oms-gateway', worker: 'oms-worker' } as const;

export interface PrometheusTargets {
  /** The gateway: `host:port`, or its URL (`http://127.0.0.1:3000`, as in `.data/processes.json`). */
  gateway: string;
  /** Each worker's metrics endpoint (WORKER_METRICS_ADDRESS): `host:port` or `http://host:port/metrics`. */
  workers: readonly string[];
}

export interface StartPrometheusOptions {
  targets: PrometheusTargets;
  /** Default: ops/prometheus/oms-alerts.yml. */
  rulesFile?: string;
  /** Its TSDB, config, the rules copy and its log go here. */
  dataDir: string;
  /** 127.0.0.1:port of its HTTP API; default a free port. */
  port?: number;
  /** Scrape and rule-evaluation interval; default 2 s. */
  intervalMs?: number;
  /**
   * Every `for:` longer than this is shortened to it in the copy of the rules that is evaluated (Prometheus
   * duration, e.g. '6s'); null keeps the production values. Default '6s': three evaluations at 2 s.
   */
  forOverride?: string | null;
  /** The binary; default PROMETHEUS_PATH, else the cached build (built on first use, minutes). */
  binary?: string;
  log?: (msg: string) => void;
}

export interface FiredAlert {
  alertname: string;
  /** The alert's labels without alertname and alertstate. */
  labels: Record<string, string>;
  /** First and last evaluation (ms since epoch) at which it was seen firing. */
  firstFiringMs: number;
  lastFiringMs: number;
}

export interface RuleProblem {
  group: string;
  name: string;
  health: string;
  lastError: string;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly pid: number;
  /** The rules file it evaluates (the rewritten copy when `forOverride` applied). */
  readonly rulesFile: string;
  readonly logFile: string;
  /** Every alert that was firing at any evaluation since `sinceMs` (default: its start), one entry per label set. */
  firedAlerts(sinceMs?: number): Promise<FiredAlert[]>;
  /** Rules whose last evaluation failed (a bad expression at run time, e.g. a many-to-many match). */
  ruleProblems(): Promise<RuleProblem[]>;
  /** SIGTERM, then SIGKILL after 10 s, by pid; resolves once it is gone. */
  stop(): Promise<void>;
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const log = opts.log ?? ((): void => undefined);
  const intervalMs = opts.intervalMs ?? 2_000;
  const interval = `${Math.max(1, Math.round(intervalMs / 1000))}s`;
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const binary = opts.binary ?? (await ensurePrometheus(log));
  const port = opts.port ?? (await freeLoopbackPort());
  await assertPortFree('127.0.0.1', port, 'Prometheus');

  const forOverride = opts.forOverride === undefined ? '6s' : opts.forOverride;
  const sourceRules = resolve(opts.rulesFile ?? DEFAULT_RULES_FILE);
  const rulesFile = forOverride === null ? sourceRules : join(dataDir, 'rules.chaos.yml');
  if (forOverride !== null) await writeFile(rulesFile, shortenFor(await readFile(sourceRules, 'utf8'), forOverride));

  const configFile = join(dataDir, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig({ targets: opts.targets, rulesFile, interval }));
  const logFile = join(dataDir, 'prometheus.log');
  const url = `http://127.0.0.1:${port}`;
  const startedMs = Date.now();
  const proc = await startManaged({
    name: 'prometheus',
    command: binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=2d',
      '--log.level=warn',
    ],
    logFile,
    graceMs: 10_000,
    ready: { probe: async () => (await fetch(`${url}/-/ready`)).ok, timeoutMs: 60_000, intervalMs: 250 },
  });
  log(`Prometheus ready at ${url} (pid ${proc.pid}, rules ${rulesFile}, every ${interval})`);

  return {
    url,
    pid: proc.pid,
    rulesFile,
    logFile,
    firedAlerts: (sinceMs = startedMs) => firedAlerts(url, sinceMs, intervalMs),
    ruleProblems: () => ruleProblems(url),
    stop: () => proc.stop(),
  };
}

/** The scrape targets as Prometheus wants them: `host:port`, whatever URL form they were given in. */
export function scrapeTarget(target: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`;
  return new URL(withScheme).host;
}

export function prometheusConfig(opts: { targets: PrometheusTargets; rulesFile: string; interval: string }): string {
  return stringify({
    global: { scrape_interval: opts.interval, scrape_timeout: opts.interval, evaluation_interval: opts.interval },
    rule_files: [opts.rulesFile],
    scrape_configs: [
      { job_name: SCRAPE_JOBS.gateway, metrics_path: '/metrics', static_configs: [{ targets: [scrapeTarget(opts.targets.gateway)] }] },
      { job_name: SCRAPE_JOBS.worker, metrics_path: '/metrics', static_configs: [{ targets: opts.targets.workers.map(scrapeTarget) }] },
    ],
  });
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration ('1h30m', '15m', '6s') in ms. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a Prometheus duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNIT_MS[p[2] ?? ''] ?? 0), 0);
}

/**
 * The rules with every `for:` longer than `max` set to `max`; thresholds and range windows are left as they are
 * (an alert on a 15-minute age still needs 15 minutes). The original `for:` is kept as an annotation.
 */
export function shortenFor(rulesYaml: string, max: string): string {
  const maxMs = durationMs(max);
  const doc = parse(rulesYaml) as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> };
  for (const group of doc.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const current = rule['for'];
      if (typeof current !== 'string' || durationMs(current) <= maxMs) continue;
      rule['for'] = max;
      const annotations = (rule['annotations'] ??= {}) as Record<string, unknown>;
      annotations['production_for'] = current;
    }
  }
  return stringify(doc);
}

interface RangeResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

async function apiGet<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (!res.ok || body.status !== 'success') throw new Error(`Prometheus ${url}: ${res.status} ${body.error ?? ''}`);
  return body.data;
}

async function firedAlerts(url: string, sinceMs: number, intervalMs: number): Promise<FiredAlert[]> {
  const params = new URLSearchParams({
    query: 'ALERTS{alertstate="firing"}',
    start: String(sinceMs / 1000),
    end: String(Date.now() / 1000),
    // One point per evaluation: ALERTS is written at each, so no firing evaluation falls between two steps.
    step: `${Math.max(1, Math.round(intervalMs / 1000))}s`,
  });
  const data = await apiGet<{ resultType: string; result: RangeResult[] }>(`${url}/api/v1/query_range?${params}`);
  return data.result
    .filter((r) => r.values.length > 0)
    .map((r) => {
      const { alertname = '', alertstate: _state, __name__: _name, ...labels } = r.metric;
      const times = r.values.map(([t]) => t * 1000);
      return { alertname, labels, firstFiringMs: Math.min(...times), lastFiringMs: Math.max(...times) };
    })
    .sort((a, b) => a.firstFiringMs - b.firstFiringMs);
}

async function ruleProblems(url: string): Promise<RuleProblem[]> {
  const data = await apiGet<{ groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> }>(`${url}/api/v1/rules`);
  return data.groups.flatMap((g) =>
    g.rules.filter((r) => r.health === 'err').map((r) => ({ group: g.name, name: r.name, health: r.health, lastError: r.lastError ?? '' })),
  );
}
