// The alert rules of ops/prometheus: `promtool check rules` and `promtool test rules` pass, and every alert has a
// severity, a runbook section that exists, and unit tests that see it fire and stay quiet; the chaos run's copy with
// short `for:` (dev/chaos/prometheus.ts) is still valid. promtool comes from `npm run tools` (CI runs it); without it
// these tests fail, they do not skip.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { durationMs, prometheusConfig, scrapeTarget, shortenFor } from '../../dev/chaos/prometheus';
import { cachedBinaryPath, findPrometheusTool, PROMETHEUS_VERSION } from '../../dev/tools/promtool';

const run = promisify(execFile);
const repoPath = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const RULES = repoPath('ops/prometheus/oms-alerts.yml');
const RULE_TESTS = repoPath('ops/prometheus/oms-alerts.test.yml');
const RUNBOOK = repoPath('docs/runbook.md');

const AlertRule = z.object({
  alert: z.string(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.object({ severity: z.enum(['page', 'ticket']) }).catchall(z.string()),
  annotations: z.object({ summary: z.string(), description: z.string(), runbook_url: z.string() }).catchall(z.string()),
});
const RuleFile = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(AlertRule) })) });
const RuleTests = z.object({
  tests: z.array(
    z.object({
      name: z.string(),
      alert_rule_test: z.array(z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()) })),
    }),
  ),
});

const alerts = RuleFile.parse(parse(readFileSync(RULES, 'utf8'))).groups.flatMap((g) => g.rules);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    anchors.add(heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

async function promtool(binary: string, ...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(binary, args, { cwd: repoPath('.'), timeout: 60_000 });
    return `${stdout}${stderr}`;
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string; code?: number | string };
    throw new Error(`promtool ${args.join(' ')} failed (exit ${String(out.code)}):\n${out.stdout ?? ''}${out.stderr ?? ''}`, { cause: err });
  }
}

/** The installed promtool, or a failure that says how to get it: a missing tool must fail the suite, not skip it. */
async function requirePromtool(): Promise<string> {
  const binary = await findPrometheusTool('promtool');
  if (binary === undefined) {
    throw new Error(
      `promtool ${PROMETHEUS_VERSION} is not installed: run \`npm run tools\` (go install into ${cachedBinaryPath('promtool')}) ` +
        'or set PROMTOOL_PATH to a promtool binary. CI installs it with `npm run tools`.',
    );
  }
  return binary;
}

describe('ops/prometheus/oms-alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const out = await promtool(await requirePromtool(), 'check', 'rules', RULES);
    expect(out).toContain('SUCCESS');
  });

  it('passes its promtool unit tests (oms-alerts.test.yml)', async () => {
    const out = await promtool(await requirePromtool(), 'test', 'rules', RULE_TESTS);
    expect(out).toContain('SUCCESS');
  });

  it('gives every alert a severity and a runbook section that exists', () => {
    const anchors = anchorsOf(readFileSync(RUNBOOK, 'utf8'));
    for (const rule of alerts) {
      const url = rule.annotations.runbook_url;
      expect(url, rule.alert).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(anchors.has(rule.alert.toLowerCase()), `docs/runbook.md has no section "${rule.alert}"`).toBe(true);
    }
  });

  it('has unit tests that see every alert fire and stay quiet', () => {
    const cases = RuleTests.parse(parse(readFileSync(RULE_TESTS, 'utf8'))).tests.flatMap((t) => t.alert_rule_test);
    for (const rule of alerts) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${rule.alert} never fires in oms-alerts.test.yml`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${rule.alert} is never shown quiet in oms-alerts.test.yml`).toBe(true);
    }
  });
});

describe('the chaos copy of the rules (dev/chaos/prometheus.ts)', () => {
  it('shortens every longer for: to the override, keeps the rest, and still passes promtool check rules', async () => {
    const copy = shortenFor(readFileSync(RULES, 'utf8'), '6s');
    const shortened = RuleFile.parse(parse(copy)).groups.flatMap((g) => g.rules);
    expect(shortened.map((r) => r.alert)).toEqual(alerts.map((r) => r.alert));
    for (const [i, rule] of shortened.entries()) {
      const original = alerts[i];
      expect(rule.expr).toBe(original?.expr);
      if (original?.for === undefined) {
        expect(rule.for).toBeUndefined();
      } else {
        expect(rule.for).toBe('6s');
        expect(rule.annotations['production_for']).toBe(original.for);
      }
    }
    const binary = await requirePromtool();
    const dir = await mkdtemp(join(tmpdir(), 'oms-chaos-rules-'));
    try {
      await writeFile(join(dir, 'rules.yml'), copy);
      expect(await promtool(binary, 'check', 'rules', join(dir, 'rules.yml'))).toContain('SUCCESS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses Prometheus durations and refuses anything else', () => {
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('500ms')).toBe(500);
    expect(() => durationMs('15 minutes')).toThrow(/not a Prometheus duration/);
  });

  it('scrapes the gateway and the workers under the job names the rules expect', () => {
    const config = parse(
      prometheusConfig({
        targets: { gateway: 'http://127.0.0.1:3000', workers: ['127.0.0.1:9464', 'http://127.0.0.1:9465/metrics'] },
        rulesFile: '/tmp/rules.yml',
        interval: '2s',
      }),
    ) as { global: Record<string, string>; scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    expect(config.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
    expect(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]?.targets])).toEqual([
      ['oms-gateway', ['127.0.0.1:3000']],
      ['oms-worker', ['127.0.0.1:9464', '127.0.0.1:9465']],
    ]);
    expect(scrapeTarget('localhost:8080')).toBe('localhost:8080');
  });
});

describe('finding promtool (dev/tools/promtool.ts)', () => {
  it('takes PROMTOOL_PATH first, and refuses one that is not an executable file', async () => {
    const saved = process.env['PROMTOOL_PATH'];
    const dir = await mkdtemp(join(tmpdir(), 'oms-promtool-path-'));
    try {
      const fake = join(dir, 'promtool');
      await writeFile(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      process.env['PROMTOOL_PATH'] = fake;
      expect(await findPrometheusTool('promtool')).toBe(fake);
      await writeFile(join(dir, 'not-executable'), '', { mode: 0o644 });
      process.env['PROMTOOL_PATH'] = join(dir, 'not-executable');
      await expect(findPrometheusTool('promtool')).rejects.toThrow(/PROMTOOL_PATH=.* is not an executable file/);
    } finally {
      if (saved === undefined) delete process.env['PROMTOOL_PATH'];
      else process.env['PROMTOOL_PATH'] = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
