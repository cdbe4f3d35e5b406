// Connections to the Temporal frontend for the client side (gateway, tools) and the worker side.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { encryptingDataConverter } from '../pii/data-converter';
import type { Tracing } from '../tracing/tracing';

/**
 * Every client of the service encrypts what it sends and decrypts what it reads (contract §9). With the process's
 * tracing (src/tracing/tracing.ts) each call is a span whose context travels in the call's headers to the workflow.
 */
export async function connectClient(config: Pick<Config, 'temporal' | 'pii'>, tracing?: Pick<Tracing, 'clientInterceptors'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: encryptingDataConverter(config.pii.keyring),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
}

export async function connectWorker(config: Pick<Config, 'temporal'>): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.temporal.address });
}
