// W3C trace context for what leaves the service outside Temporal: the Kafka message of a forwarded order.
import { context, propagation } from '@opentelemetry/api';

/**
 * `headers` plus the trace context of the active span (`traceparent`, and `tracestate` when there is one), so that a
 * consumer's spans join the order's trace. Adds nothing outside a trace, and nothing when tracing is off (the global
 * propagator is then a no-op).
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
