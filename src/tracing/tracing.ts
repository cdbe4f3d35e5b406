// OpenTelemetry for one process (docs/reliability.md#tracing): the tracer provider, and what the Temporal client and
// workers install to carry one trace from a webhook through the workflow and its activities to the Kafka message.
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, InjectedSinks, Next, WorkerOptions } from '@temporalio/worker';
import type { TracingConfig } from '../config';

/** The name of the tracer the service's own spans (HTTP requests, Kafka publishes) are made with. */
export const SERVICE_TRACER = 'oms-processing';

export interface Tracing {
  /** For the service's own spans: the gateway's request span (src/tracing/request-tracing.ts). */
  tracer: Tracer;
  /** The Temporal client's: a span per call (SignalWithStartWorkflow, StartWorkflowUpdate…), its context in the headers. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** The workers': activity spans that continue the trace their workflow sent, and the sink workflow spans leave by. */
  worker: WorkerTracing;
  /** Exports what is still buffered, then stops: the last thing a process does before it exits. */
  shutdown(): Promise<void>;
}

export type WorkerTracing = Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;

/**
 * The process's tracing from its configuration: undefined when tracing is off (no OTLP endpoint), and then nothing is
 * installed — no provider, no exporter, no interceptor.
 */
export function startTracingFromConfig(config: TracingConfig | undefined): Tracing | undefined {
  if (config === undefined) return undefined;
  // Headers and timeouts of the exporter (OTEL_EXPORTER_OTLP_HEADERS, …_TIMEOUT) are read by the exporter itself.
  const exporter = new OTLPTraceExporter({ url: config.tracesEndpoint });
  return startTracing({ serviceName: config.serviceName, spanProcessor: new BatchSpanProcessor(exporter) });
}

/**
 * Registers the process-wide provider: spans of the service, the client and the activities go to `spanProcessor`,
 * and so do the workflow spans, which leave the sandbox through the `exporter` sink. Context follows async calls
 * (AsyncLocalStorage) and crosses processes as W3C trace context.
 */
export function startTracing(options: { serviceName: string; spanProcessor: SpanProcessor }): Tracing {
  const resource = Resource.default().merge(new Resource({ 'service.name': options.serviceName }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  const tracer = trace.getTracer(SERVICE_TRACER);
  const sinks: InjectedSinks<OpenTelemetrySinks> = { exporter: makeWorkflowExporter(options.spanProcessor, resource) };
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        activity: [(ctx) => ({ inbound: new ContinuingActivityInbound(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks,
    },
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * What a worker installs for tracing: the interceptors and sink when it is on; when it is off, no interceptor and a
 * sink that drops what it is given. The workflow bundle always carries the workflow interceptors
 * (src/tracing/workflow-interceptors.ts), which only ever make spans for a workflow a traced client reached, and
 * export them through this sink: without one, a worker of a process with tracing off would log an error per span.
 */
export function workerTracingOptions(tracing: Pick<Tracing, 'worker'> | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (tracing !== undefined) return tracing.worker;
  const dropped: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };
  return { sinks: dropped };
}

/**
 * The activity span continues the trace in the activity's headers, and only that one: an activity scheduled by a
 * workflow no traced client reached (an order started before tracing was turned on) starts no trace of its own.
 */
class ContinuingActivityInbound implements ActivityInboundCallsInterceptor {
  private readonly traced: OpenTelemetryActivityInboundInterceptor;

  constructor(ctx: ActivityContext) {
    this.traced = new OpenTelemetryActivityInboundInterceptor(ctx);
  }

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    return input.headers[TRACE_HEADER] === undefined ? next(input) : this.traced.execute(input, next);
  }
}
