// Process lifecycle for the production entry points: validated config, one logger, graceful stop on signals.
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config, type ProcessRole } from '../config';
import { createLogger, type Logger } from '../logger';

export interface RunningService {
  /** Settles when the service stops on its own (e.g. a worker's fatal error); undefined for servers. */
  running?: Promise<void>;
  stop(): Promise<void>;
}

const GRACE_MS = 20_000;

export async function runUntilSignal(name: ProcessRole, start: (config: Config, logger: Logger) => Promise<RunningService>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, name);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, name });
  let service: RunningService | undefined;

  // close-with-grace: first signal stops gracefully, a second one (or the delay) forces the exit.
  closeWithGrace({ delay: GRACE_MS }, async ({ signal, err }) => {
    if (err) logger.error({ err }, `${name} stopping after an error`);
    else logger.info({ signal }, `${name} stopping`);
    await service?.stop();
  });

  try {
    service = await start(config, logger);
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
  service.running?.then(
    () => process.exit(0),
    (err: unknown) => {
      logger.fatal({ err }, `${name} stopped with an error`);
      void service?.stop().finally(() => process.exit(1));
    },
  );
}
