// Installs the Temporal Core runtime once per process: SDK logs go through pino, Core's own metrics (task latencies,
// poll results, activity outcomes…) on a Prometheus endpoint of their own, and our lifecycle owns signals.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const PINO_METHOD: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalRuntime(logger: Logger, metricsAddress: string | undefined): void {
  const sdkLog = logger.child({ component: 'temporal-sdk' });
  // The SDK logs the workflow bundler's full webpack report at INFO; only WARN and above is operator news.
  const level: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => sdkLog[PINO_METHOD[entry.level]](entry.meta ?? {}, entry.message)),
    // close-with-grace / npm start decide when workers stop, in order with the rest of the process.
    shutdownSignals: [],
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
}
