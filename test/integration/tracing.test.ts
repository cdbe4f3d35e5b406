// One trace per order, from the webhook to the Kafka message: the gateway's request span, the client's signalWithStart,
// the workflow, each activity, and the fulfillment message's `traceparent` — with a real Temporal dev server, a real
// Kafka broker, the real gateway over HTTP and the real workers, wired as production wires them (src/tracing), the
// spans collected in memory instead of sent to a collector.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderWorkflowId } from '../../contracts';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { startKafkaBroker, type KafkaBroker } from '../../dev/stack/kafka-broker';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { gatewayApp, gatewayServerOptions } from '../../src/gateway/app';
import { createLogger } from '../../src/logger';
import { createCustomerEmails } from '../../src/pii/customer-emails';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { AesGcmPayloadCodec } from '../../src/pii/payload-codec';
import { openDashboardStore, type DashboardStore } from '../../src/store/dashboard-store';
import { connectClient } from '../../src/temporal/connection';
import { createTemporalOrderCommands } from '../../src/temporal/order-commands';
import { createTemporalOrderEvents } from '../../src/temporal/order-events';
import { requestTracing } from '../../src/tracing/request-tracing';
import { startTracing, workerTracingOptions, type Tracing } from '../../src/tracing/tracing';
import { createWorkers, WORKFLOWS_PATH, type ServiceWorkers } from '../../src/worker/create-workers';
import { workflowBundleOptions } from '../../src/worker/workflow-bundle';
import { buildWorkerDeps, type OwnedWorkerDeps } from '../../src/worker/worker-deps';
import { startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { readTopic, type TopicReader } from '../helpers/fulfillment-topic';
import { gatewayClient, type GatewayClient } from '../helpers/gateway-client';
import { startIndependentApis, type IndependentApis } from '../helpers/independent-apis';

const TOPIC = 'order-fulfillment';
const SECRETS = { commerce: 'tracing-commerce-secret', payment: 'tracing-payment-secret', support: 'tracing-support-token' };
const WAIT = { timeout: 45_000, interval: 100 };

const spans = new InMemorySpanExporter();
let dir: string;
let dev: TestDevServer;
let kafka: KafkaBroker;
let apis: IndependentApis;
let store: DashboardStore;
let config: Config;
let tracing: Tracing;
let client: Client;
let gateway: FastifyInstance;
let http: GatewayClient & { baseUrl: string };
let bundle: WorkflowBundleWithSourceMap;
let owned: OwnedWorkerDeps;
let workers: ServiceWorkers;
let topic: TopicReader;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oms-tracing-'));
  const [kafkaPort, controllerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  [dev, kafka, apis, bundle] = await Promise.all([
    startTestDevServer({ name: 'tracing' }),
    startKafkaBroker({ port: kafkaPort, controllerPort, dataDir: path.join(dir, 'kafka'), topics: [TOPIC], logFile: path.join(dir, 'kafka.log'), log: () => undefined }),
    startIndependentApis(),
    // The bundle production builds (bundle-workflows.ts): the tracing workflow interceptors are in it.
    bundleWorkflowCode(workflowBundleOptions(WORKFLOWS_PATH)),
  ]);
  apis.items.set('itm-tee-navy-m', { item_id: 'itm-tee-navy-m', sku_id: 'TEE-NAVY-M', brand_code: 'BRAND-A' });
  apis.items.set('itm-jeans-blue-32', { item_id: 'itm-jeans-blue-32', sku_id: 'JEANS-BLUE-32', brand_code: 'BRAND-B' });
  config = loadConfig(
    {
      TEMPORAL_ADDRESS: dev.server.address,
      KAFKA_BROKERS: kafka.brokers.join(','),
      FULFILLMENT_TOPIC: TOPIC,
      OMS_DATA_DIR: dir,
      COMMERCE_API_URL: apis.urls.commerce,
      PIM_API_URL: apis.urls.pim,
      PAYMENT_API_URL: apis.urls.payment,
      RISK_API_URL: apis.urls.risk,
      COMMERCE_WEBHOOK_SECRET: SECRETS.commerce,
      PAYMENT_WEBHOOK_SECRET: SECRETS.payment,
      SUPPORT_API_TOKEN: SECRETS.support,
    },
    'all',
  );
  // One process holds gateway and workers here; each production process starts its own (startTracingFromConfig).
  tracing = startTracing({ serviceName: 'oms-tracing-test', spanProcessor: new SimpleSpanProcessor(spans) });
  store = await openDashboardStore({ dataDir: config.store.dataDir });

  client = await connectClient(config, tracing);
  gateway = Fastify(gatewayServerOptions(false));
  // As server.ts registers it when tracing is on: on the host, before the gateway plugin.
  await gateway.register(requestTracing, { tracer: tracing.tracer });
  await gateway.register(gatewayApp, {
    events: createTemporalOrderEvents({ client, windows: config.windows }),
    commands: createTemporalOrderCommands(client),
    store,
    secrets: config.secrets,
    emails: createCustomerEmails(config.pii.keyring, store.customerKeys),
    codec: { codec: new AesGcmPayloadCodec(config.pii.keyring), apiToken: config.secrets.codecApiToken, corsOrigins: config.pii.codecCorsOrigins, namespace: 'default' },
    readiness: {},
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  http = { ...gatewayClient(baseUrl, SECRETS), baseUrl };

  owned = buildWorkerDeps(config, createLogger({ level: 'silent', name: 'worker' }), store);
  workers = await createWorkers({
    connection: dev.native,
    namespace: 'default',
    deps: owned.deps,
    dataConverter: encryptingDataConverter(config.pii.keyring),
    commerceApiRps: config.commerceApiRps,
    workflowBundle: { code: bundle.code },
    tracing,
  });
  topic = await readTopic(kafka.brokers, TOPIC);
});

afterAll(async () => {
  await topic?.stop();
  await owned?.close();
  await gateway?.close();
  await client?.connection.close();
  await store?.close();
  await tracing?.shutdown();
  await apis?.stop();
  await kafka?.stop();
  await dev?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The span's ancestors, nearest first, as far as they were recorded. */
function ancestry(span: ReadableSpan, all: ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const chain: ReadableSpan[] = [];
  let parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
  while (parent !== undefined) {
    chain.push(parent);
    parent = parent.parentSpanId === undefined ? undefined : byId.get(parent.parentSpanId);
  }
  return chain;
}

function only(all: ReadableSpan[], name: string, traceId?: string): ReadableSpan {
  const found = all.filter((s) => s.name === name && (traceId === undefined || s.spanContext().traceId === traceId));
  expect(found.map((s) => s.name), `exactly one span ${name}`).toEqual([name]);
  return found[0] as ReadableSpan;
}

describe('tracing', () => {
  it('follows an order from the webhook request through signalWithStart, the workflow and its activities to the Kafka message', async () => {
    const orderId = uniqueOrderId('ord-trace');
    const webhook = commerceWebhook(orderId);
    const capture = paymentCapture(orderId);
    apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items: webhook.order.items, placed_at: '2026-11-20T09:00:00.000Z' });
    apis.payments.set(capture.rrn, { rrn: capture.rrn, order_id: orderId, amount_cents: capture.amount_cents, status: 'captured' });

    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    const forwarded = await workers.orders.runUntil(
      workers.commerce.runUntil(async () => {
        expect((await http.postCommerce(webhook)).status).toBe(202);
        expect((await http.postPayment(capture)).status).toBe(202);
        await handle.result();
        await vi.waitFor(() => expect(topic.forKey(orderId)).toHaveLength(1), WAIT);
        return topic.forKey(orderId)[0];
      }),
    );

    // The workflow's run span leaves the sandbox with the completing workflow task; the HTTP spans at each response.
    const all = await vi.waitFor(() => {
      const finished = spans.getFinishedSpans();
      expect(finished.map((s) => s.name)).toEqual(expect.arrayContaining(['RunWorkflow:OrderWorkflow', 'POST /v1/webhooks/commerce', 'POST /v1/webhooks/payments']));
      return finished;
    }, WAIT);

    const request = only(all, 'POST /v1/webhooks/commerce');
    const traceId = request.spanContext().traceId;
    expect(request.parentSpanId, 'the webhook request is where the trace starts').toBeUndefined();
    expect(request.attributes).toMatchObject({ 'http.route': '/v1/webhooks/commerce', 'http.response.status_code': 202 });
    expect(request.resource.attributes['service.name']).toBe('oms-tracing-test');

    // gateway → signalWithStart → workflow → StartActivity (workflow side) → RunActivity (worker side), one trace.
    const run = only(all, 'RunActivity:publishFulfillment', traceId);
    expect(ancestry(run, all).map((s) => s.name)).toEqual([
      'StartActivity:publishFulfillment',
      'RunWorkflow:OrderWorkflow',
      'SignalWithStartWorkflow:OrderWorkflow',
      'POST /v1/webhooks/commerce',
    ]);
    expect(run.attributes).toMatchObject({ temporalWorkflowId: orderWorkflowId(orderId) });
    // Every activity of the order's main path joins it, on both task queues.
    const activities = all.filter((s) => s.name.startsWith('RunActivity:') && s.spanContext().traceId === traceId).map((s) => s.name);
    expect(activities).toEqual(expect.arrayContaining(['RunActivity:validateOrder', 'RunActivity:enrichItems', 'RunActivity:saveDashboardRecord', 'RunActivity:publishFulfillment']));

    // The message carries the publishing activity's span, beside its idempotency key.
    expect(forwarded?.headers['idempotency-key']).toBe(orderWorkflowId(orderId));
    expect(forwarded?.headers.traceparent).toBe(`00-${traceId}-${run.spanContext().spanId}-01`);

    // The capture is a trace of its own, into the running workflow: its request, its signalWithStart, its handler.
    const payment = only(all, 'POST /v1/webhooks/payments');
    expect(payment.spanContext().traceId).not.toBe(traceId);
    const signal = only(all, 'HandleSignal:paymentCaptureReceived', payment.spanContext().traceId);
    expect(ancestry(signal, all).map((s) => s.name)).toEqual(['SignalWithStartWorkflow:OrderWorkflow', 'POST /v1/webhooks/payments']);

    // A read of the API is a trace named by its route, never by the id in its path; a probe is none. (The read's span,
    // ended after the probe's response, is what the test waits for.)
    expect((await fetch(`${http.baseUrl}/healthz`)).status).toBe(200);
    expect((await http.getOrder(orderId)).status).toBe(200);
    await vi.waitFor(() => expect(spans.getFinishedSpans().map((s) => s.name)).toContain('GET /v1/orders/:order_id'), WAIT);
    expect(spans.getFinishedSpans().filter((s) => s.name.includes('healthz') || s.name.includes(orderId))).toEqual([]);

    // The history of a traced order replays with the production bundle and the tracing interceptors engaged (the
    // committed histories of test/replay have no trace context, so there they never engage).
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: encryptingDataConverter(config.pii.keyring), ...workerTracingOptions(tracing) }, await handle.fetchHistory());
  });
});

describe('tracing configuration (src/config.ts)', () => {
  it('is off without an OTLP endpoint, and with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({}, 'worker').tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 'worker').tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, 'worker').tracing).toBeUndefined();
  });

  it('takes the traces URL as given, or the base URL plus /v1/traces; the service is named by role unless OTEL_SERVICE_NAME is set', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'gateway').tracing).toEqual({ serviceName: 'oms-gateway', tracesEndpoint: 'http://collector:4318/v1/traces' });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/ingest', OTEL_SERVICE_NAME: 'oms-eu' }, 'worker').tracing,
    ).toEqual({ serviceName: 'oms-eu', tracesEndpoint: 'https://traces.example.com/ingest' });
  });

  it('refuses what it would not send correctly, naming the variable', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: only http\/protobuf/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'maybe' })).toThrow(/OTEL_SDK_DISABLED/);
  });
});
