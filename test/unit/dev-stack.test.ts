// Unit tests of the local stack's generated configuration (dev/stack): the Temporal dev server's command line and the
// Kafka broker's server.properties. Pure functions: no servers start.
import { describe, expect, it } from 'vitest';
import { kafkaServerProperties } from '../../dev/stack/kafka-broker';
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
