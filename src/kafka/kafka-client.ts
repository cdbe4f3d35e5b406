// The kafkajs client of every process: the worker's fulfillment producer and the gateway's readiness check (an admin
// client) both connect through it, with kafkajs' own logs routed into the process logger.
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '../logger';

export function createKafka(options: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200 },
    // A request to a broker that is gone fails in seconds, not kafkajs' default 30 s: a fulfillment send has to end
    // inside its activity's attempt (fulfillment-publisher.ts).
    requestTimeout: 5_000,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      if (entry.level <= logLevel.ERROR) log.error(extra, message);
      else log.warn(extra, message);
    },
  });
}
