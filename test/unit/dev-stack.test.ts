// Unit tests of the local stack's generated configuration (dev/stack): the Temporal dev server's command line, the
// Kafka broker's server.properties and `npm start`'s own command line. No servers start.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaServerProperties } from '../../dev/stack/kafka-broker';
import { MAX_WORKERS, parseStartArgs, START_USAGE, StartUsageError } from '../../dev/stack/start-args';
import { temporalDevServerArgs } from '../../dev/stack/temporal-dev-server';

describe('generated configuration', () => {
  it('binds the Temporal dev server to 127.0.0.1 and passes attributes, UI and dynamic config', () => {
    const base = { port: 7233, namespace: 'default', searchAttributes: { OrderStatus: 'Keyword', CustomerId: 'Keyword' } } as const;
    const headless = temporalDevServerArgs(base, { 'frontend.enableServerVersionCheck': false });
    expect(headless.slice(0, 4)).toEqual(['server', 'start-dev', '--ip', '127.0.0.1']);
    expect(headless).toContain('--headless');
    expect(headless).not.toContain('--db-filename');
    expect(headless.join(' ')).toContain('--search-attribute OrderStatus=Keyword --search-attribute CustomerId=Keyword');
    expect(headless.join(' ')).toContain('--dynamic-config-value frontend.enableServerVersionCheck=false');

    const withUi = temporalDevServerArgs({ ...base, uiPort: 8233, dbFile: '/d/temporal.db', uiCodecEndpoint: 'http://127.0.0.1:3000/codec' }, {
      'limit.taskQueue': { rps: 150 },
    });
    expect(withUi.join(' ')).toContain('--ui-ip 127.0.0.1 --ui-port 8233');
    expect(withUi.join(' ')).toContain('--ui-codec-endpoint http://127.0.0.1:3000/codec');
    expect(withUi.join(' ')).toContain('--db-filename /d/temporal.db');
    expect(withUi).toContain('limit.taskQueue={"rps":150}');
    expect(withUi).not.toContain('--headless');
  });

  it('configures a single-node KRaft broker on 127.0.0.1', () => {
    const props = kafkaServerProperties({ port: 9092, controllerPort: 9093, logDir: '/d/kafka' });
    for (const line of [
      'process.roles=broker,controller',
      'controller.quorum.voters=1@127.0.0.1:9093',
      'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners=PLAINTEXT://127.0.0.1:9092',
      'log.dirs=/d/kafka',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'log.cleaner.dedupe.buffer.size=16777216',
    ]) {
      expect(props.split('\n')).toContain(line);
    }
  });
});

describe('npm start -- --workers N', () => {
  it('runs one worker by default and N when asked', () => {
    expect(parseStartArgs([])).toEqual({ workers: 1 });
    expect(parseStartArgs(['--workers', '3'])).toEqual({ workers: 3 });
    expect(parseStartArgs(['--workers=2'])).toEqual({ workers: 2 });
    expect(parseStartArgs(['--workers', String(MAX_WORKERS)])).toEqual({ workers: MAX_WORKERS });
  });

  it.each([['0'], ['-1'], ['1.5'], ['two'], [''], [String(MAX_WORKERS + 1)], ['1e1']])('refuses --workers %j with the usage line', (value) => {
    expect(() => parseStartArgs(['--workers', value])).toThrow(StartUsageError);
    expect(() => parseStartArgs(['--workers', value])).toThrow(START_USAGE);
  });

  it('refuses a missing value, an unknown option and a stray argument', () => {
    for (const argv of [['--workers'], ['--wrokers', '2'], ['2']]) expect(() => parseStartArgs(argv)).toThrow(START_USAGE);
  });

  it('`npm start -- --workers 0` exits 2 with the usage line before starting anything', async () => {
    const dataDir = path.join(tmpdir(), `oms-never-created-${process.pid}`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/stack/start.ts', '--workers', '0'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      // A data dir that must stay untouched: the refusal comes before anything is created.
      env: { ...process.env, OMS_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('npm start: --workers "0" is not a whole number from 1 to');
    expect(stderr).toContain(START_USAGE);
    expect(existsSync(dataDir)).toBe(false);
  });
});
