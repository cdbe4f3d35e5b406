// `npm run simulators`: the four external-API simulators on fixed ports 4001–4004 (Risk is vNext), knobs from the environment
// (SIM_LATENCY_MS, SIM_ERROR_RATE, SIM_COMMERCE_RPS_LIMIT), stopped cleanly on SIGINT/SIGTERM.
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { z } from 'zod';
import { DEFAULT_SIMULATOR_PORTS, startSimulators } from './server';
import { SIMULATOR_NAMES } from './types';

const Env = z.object({
  SIM_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  SIM_ERROR_RATE: z.coerce.number().min(0).max(1).optional(),
  SIM_COMMERCE_RPS_LIMIT: z.coerce.number().int().positive().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const URL_VARIABLES = { commerce: 'COMMERCE_API_URL', pim: 'PIM_API_URL', payment: 'PAYMENT_API_URL', risk: 'RISK_API_URL' } as const;

async function main(): Promise<void> {
  // Empty variables count as unset, the way a shell `VAR= npm run simulators` means it.
  const raw = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    console.error(`simulators: bad environment\n${z.prettifyError(parsed.error)}`);
    process.exitCode = 1;
    return;
  }
  const env = parsed.data;
  const logger = pino({
    name: 'simulators',
    level: env.LOG_LEVEL,
    // Pretty output only for a human at a terminal; JSON lines otherwise.
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {}),
  });

  const knobs: { latencyMs?: number; errorRate?: number; commerceRateLimitPerSecond?: number } = {};
  if (env.SIM_LATENCY_MS !== undefined) knobs.latencyMs = env.SIM_LATENCY_MS;
  if (env.SIM_ERROR_RATE !== undefined) knobs.errorRate = env.SIM_ERROR_RATE;
  if (env.SIM_COMMERCE_RPS_LIMIT !== undefined) knobs.commerceRateLimitPerSecond = env.SIM_COMMERCE_RPS_LIMIT;

  const simulators = await startSimulators({ ports: { ...DEFAULT_SIMULATOR_PORTS }, knobs, logger });
  for (const name of SIMULATOR_NAMES) {
    const url = simulators.urls[name];
    if (url !== undefined) console.log(`${URL_VARIABLES[name]}=${url}`);
  }
  logger.info({ urls: simulators.urls, knobs }, 'simulators listening (admin API under /_sim/)');

  closeWithGrace({ delay: 5000, logger }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'simulators stopping after an error');
    else logger.info({ signal }, 'simulators stopping');
    await simulators.stop();
  });
}

await main();
