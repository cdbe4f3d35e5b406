// The workflow half of tracing, in every workflow bundle (src/worker/workflow-bundle.ts), so that one bundle serves
// tracing on and off: the SDK's OpenTelemetry workflow interceptors, engaged only for a trace that reached the workflow.
// Runs in the sandbox: it imports only the SDK's sandbox-safe modules and @opentelemetry/api.
import { trace } from '@opentelemetry/api';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import type {
  Headers,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * A workflow makes spans only in a trace it was given: its run when the start carried trace context, a signal, update
 * or query when that call did, and an activity, child, signal or continue-as-new when it is called inside one of
 * those. A workflow no traced client reached (tracing off, or an order older than tracing) runs exactly as without
 * the interceptors: no span, no header, no SDK flag. Every decision reads only the history (the calls' headers), so
 * a replay decides as the first run did.
 */
export const interceptors = (): WorkflowInterceptors => {
  let otel: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor; internals: OpenTelemetryInternalsInterceptor } | undefined;
  const engaged = () => (otel ??= { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() });
  const carriesTrace = (headers: Headers) => headers[TRACE_HEADER] !== undefined;
  /** The outbound interceptors of OpenTelemetry when a span is active here (set by a traced inbound call), else none. */
  const inTrace = () => (otel !== undefined && trace.getActiveSpan() !== undefined ? otel.outbound : undefined);

  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => (carriesTrace(input.headers) ? engaged().inbound.execute(input, next) : next(input)),
    handleSignal: (input, next) => (carriesTrace(input.headers) ? engaged().inbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (carriesTrace(input.headers) ? engaged().inbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (carriesTrace(input.headers) ? engaged().inbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (carriesTrace(input.headers) ? engaged().inbound.handleQuery(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => inTrace()?.scheduleActivity(input, next) ?? next(input),
    scheduleLocalActivity: (input, next) => inTrace()?.scheduleLocalActivity(input, next) ?? next(input),
    startChildWorkflowExecution: (input, next) => inTrace()?.startChildWorkflowExecution(input, next) ?? next(input),
    signalWorkflow: (input, next) => inTrace()?.signalWorkflow(input, next) ?? next(input),
    continueAsNew: (input, next) => inTrace()?.continueAsNew(input, next) ?? next(input),
    startNexusOperation: (input, next) => inTrace()?.startNexusOperation(input, next) ?? next(input),
    // Log lines of a traced workflow carry its trace and span ids.
    getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
  };
  const internals: WorkflowInternalsInterceptor = {
    // OpenTelemetry's dispose is async in name only: it releases its context manager and calls next before returning.
    dispose: (input, next) => {
      if (otel) void otel.internals.dispose(input, next);
      else next(input);
    },
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
