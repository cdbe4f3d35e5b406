// `npm start` stopped and started again on its own data dir and ports, as an operator on one host restarts it to give
// it a new environment (new keys, new code), with the independent APIs and orders in flight surviving the restart:
// the tests of key rotation and of the risk release's mid-flight swap.
import { rm } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { gatewayClient, type GatewayClient } from './gateway-client';
import type { IndependentApis } from './independent-apis';
import { startLocalStack, type LocalStack } from './local-stack';

export interface RestartableStack {
  /** The stack running now; a call between a stop and the next start throws. */
  readonly stack: LocalStack;
  readonly gateway: GatewayClient;
  /** A client of the running stack's Temporal server without a codec: it reads what the server stores. */
  readonly temporal: Client;
  /** Stops the running stack, then starts one with `env`; after the first start, on the first one's data dir and ports. */
  start(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  /** Stops, and deletes the data dir. */
  dispose(): Promise<void>;
}

export function restartableStack(apis: IndependentApis, secrets: { commerce: string; payment: string; support: string }): RestartableStack {
  let first: LocalStack | undefined;
  let running: { stack: LocalStack; gateway: GatewayClient; temporal: Client } | undefined;
  const now = () => {
    if (!running) throw new Error('the stack is stopped');
    return running;
  };
  const stop = async () => {
    const stopping = running;
    running = undefined;
    await stopping?.temporal.connection.close();
    await stopping?.stack.stop();
  };
  return {
    get stack() {
      return now().stack;
    },
    get gateway() {
      return now().gateway;
    },
    get temporal() {
      return now().temporal;
    },
    async start(env) {
      await stop();
      const stack = await startLocalStack(
        {
          ...(first ? first.env : {}),
          COMMERCE_API_URL: apis.urls.commerce,
          PIM_API_URL: apis.urls.pim,
          PAYMENT_API_URL: apis.urls.payment,
          RISK_API_URL: apis.urls.risk,
          COMMERCE_WEBHOOK_SECRET: secrets.commerce,
          PAYMENT_WEBHOOK_SECRET: secrets.payment,
          SUPPORT_API_TOKEN: secrets.support,
          ...env,
        },
        { keepDataDir: true, ...(first ? { dataDir: first.dataDir } : {}) },
      );
      first ??= stack;
      const temporal = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }), namespace: 'default' });
      running = { stack, gateway: gatewayClient(stack.gatewayUrl, secrets), temporal };
    },
    stop,
    async dispose() {
      await stop();
      if (first) await rm(first.dataDir, { recursive: true, force: true });
    },
  };
}
