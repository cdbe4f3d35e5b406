// Connections to the Temporal frontend for the client side (gateway, tools) and the worker side.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { encryptingDataConverter } from '../pii/data-converter';

/** Every client of the service encrypts what it sends and decrypts what it reads (contract §9). */
export async function connectClient(config: Pick<Config, 'temporal' | 'pii'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: encryptingDataConverter(config.pii.keyring) });
}

export async function connectWorker(config: Pick<Config, 'temporal'>): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.temporal.address });
}
