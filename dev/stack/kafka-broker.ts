// Runs a single-node KRaft Kafka broker (3.9, jars from Maven Central) on 127.0.0.1 for the local stack and tests,
// and creates the topics the service needs once the broker answers.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { ensureKafkaLibs } from '../tools/kafka-jars';
import { exists, requireJava, type Log } from '../tools/shared';
import { assertPortFree, spawnManaged, startManaged, tailFile } from './processes';

export interface KafkaBrokerOptions {
  port: number;
  controllerPort: number;
  /** Holds server.properties, the cluster id and the log segments; reused across restarts. */
  dataDir: string;
  topics: string[];
  logFile: string;
  log: Log;
  /** Partitions of each topic created here (default 3: keyed ordering is per partition, as in production). */
  partitions?: number;
  /** Default 90 s: a first start formats the storage and a loaded 2-core machine is slow to start a JVM. */
  readyTimeoutMs?: number;
}

export interface KafkaBroker {
  brokers: string[];
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const JVM_FLAGS = ['-Xmx512m', '-Xms256m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

export async function startKafkaBroker(opts: KafkaBrokerOptions): Promise<KafkaBroker> {
  // kafkajs warns about its v2 default partitioner whenever a producer is created without choosing one.
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
  await assertPortFree(HOST, opts.port, `Kafka port ${opts.port}`);
  await assertPortFree(HOST, opts.controllerPort, `Kafka controller port ${opts.controllerPort}`);

  const [libs, java] = await Promise.all([ensureKafkaLibs(opts.log), requireJava()]);
  const classpath = join(libs, '*');
  const dataDir = resolve(opts.dataDir);
  const logDir = join(dataDir, 'kraft-logs');
  await mkdir(logDir, { recursive: true });
  const propsFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j.properties');
  await writeFile(propsFile, kafkaServerProperties({ port: opts.port, controllerPort: opts.controllerPort, logDir }));
  await writeFile(log4jFile, LOG4J_PROPERTIES);
  const log4j = `-Dlog4j.configuration=file:${log4jFile}`;
  const started = Date.now();

  if (!(await exists(join(logDir, 'meta.properties')))) {
    const clusterId = await stableClusterId(dataDir);
    opts.log(`Formatting Kafka storage in ${logDir} (cluster id ${clusterId}, first start only)…`);
    const format = spawnManaged({
      name: 'Kafka storage format',
      command: java,
      args: ['-Xmx256m', log4j, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'],
      logFile: opts.logFile,
    });
    const exit = await format.exited;
    if (exit.code !== 0) {
      throw new Error(`Kafka storage format failed (exit ${String(exit.code ?? exit.signal)}).\n--- ${opts.logFile} ---\n${await tailFile(opts.logFile)}`);
    }
  }

  const brokers = [`${HOST}:${opts.port}`];
  const kafka = new Kafka({
    clientId: 'oms-devstack',
    brokers,
    logLevel: logLevel.NOTHING, // connection-refused noise while the JVM starts; failures surface via the probe
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  });
  const proc = await startManaged({
    name: 'Kafka broker',
    command: java,
    args: [...JVM_FLAGS, log4j, '-cp', classpath, 'kafka.Kafka', propsFile],
    logFile: opts.logFile,
    // Controlled shutdown of a single KRaft node takes a few seconds; SIGKILL only if it hangs.
    graceMs: 20_000,
    ready: {
      timeoutMs: opts.readyTimeoutMs ?? 90_000,
      intervalMs: 250,
      probeTimeoutMs: 10_000,
      probe: async () => {
        const admin = kafka.admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          return cluster.brokers.length > 0;
        } finally {
          await admin.disconnect();
        }
      },
    },
  });

  try {
    // Retrying client: the coordinators below answer "loading"/"not available" for a moment after start.
    const setup = new Kafka({ clientId: 'oms-devstack', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const admin = setup.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, opts.topics, opts.partitions ?? 3);
      await warmUpCoordinators(setup, admin);
    } finally {
      await admin.disconnect();
    }
  } catch (err) {
    await proc.stop();
    throw err;
  }
  opts.log(`Kafka broker ready on ${brokers.join(',')} in ${Date.now() - started} ms (pid ${proc.pid}, log: ${opts.logFile})`);
  return { brokers, pid: proc.pid, stop: () => proc.stop() };
}

export function kafkaServerProperties(opts: { port: number; controllerPort: number; logDir: string }): string {
  return `# Written by dev/stack/kafka-broker.ts on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${opts.controllerPort}
listeners=PLAINTEXT://${HOST}:${opts.port},CONTROLLER://${HOST}:${opts.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${opts.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${opts.logDir}
# One node: every replication factor and min ISR is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
num.partitions=1
# Tests join consumer groups constantly; the default 3 s delay would slow each one.
group.initial.rebalance.delay.ms=0
# Topics are created explicitly (a typo must not create a topic silently).
auto.create.topics.enable=false
# The default 128 MiB dedupe buffer is allocated at start; 16 MiB is plenty for a dev broker with a 512 MiB heap.
log.cleaner.dedupe.buffer.size=16777216
log.retention.hours=168
`;
}

const LOG4J_PROPERTIES = `# Written by dev/stack/kafka-broker.ts: warnings and the start/stop milestones, to stdout (the log file).
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
`;

async function ensureTopics(admin: Admin, topics: string[], numPartitions: number): Promise<void> {
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    // createTopics answers false (no error) for a topic that exists meanwhile, so concurrent starts are harmless.
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true,
      timeout: 30_000,
    });
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics });
    const ready = meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Kafka topics ${topics.join(', ')} have no leader after 30 s`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * A fresh broker creates __consumer_offsets on the first group lookup and loads its producer-id state on the first
 * idempotent producer; until then kafkajs logs errors (and retries). Doing both here means "ready" really is ready.
 */
async function warmUpCoordinators(kafka: Kafka, admin: Admin): Promise<void> {
  await admin.describeGroups(['oms-devstack-warm-up']);
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.disconnect();
}

/** The cluster id is made once per data dir and kept, because formatted log dirs are bound to it. */
async function stableClusterId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'cluster-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{22}$/.test(id)) return id;
  } catch {
    // first start
  }
  // 16 bytes => 22 chars, Kafka's Uuid string form. One id in 64 starts with '-', which the storage tool would read
  // as an option (`format -t -ESl…` fails): draw again.
  let id: string;
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  await writeFile(file, `${id}\n`);
  return id;
}
