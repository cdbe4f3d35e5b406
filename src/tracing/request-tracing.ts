// The gateway's span per API request (SERVER, `POST /v1/webhooks/commerce`): where the trace of an order starts, or
// continues when the caller sent W3C trace context. Registered by the host before the gateway plugin, when tracing is on.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The API of contract §3; probes, metrics, the OpenAPI pages and the codec server make no traces. */
const TRACED_ROUTES = /^\/v1\//;

export const requestTracing = fp<{ tracer: Tracer }>(
  async (app, { tracer }) => {
    const traced = new WeakMap<FastifyRequest, { span: Span; context: Context }>();

    app.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      if (route === undefined || !TRACED_ROUTES.test(route)) {
        done();
        return;
      }
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer.startSpan(
        `${request.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          // OpenTelemetry HTTP semantic conventions; the path's parameters (order ids) stay out, as the route says enough.
          attributes: { 'http.request.method': request.method, 'http.route': route, 'url.scheme': request.protocol },
        },
        parent,
      );
      traced.set(request, { span, context: trace.setSpan(parent, span) });
      done();
    });

    // The last hook before the handler: everything the handler awaits (signalWithStart, executeUpdate) runs in the
    // request's span, so the Temporal client's span is its child. Entered here and not at onRequest, because the body
    // is read from the socket in between, whose callbacks would not keep the context.
    app.addHook('preHandler', (request, _reply, done) => {
      const entry = traced.get(request);
      if (entry === undefined) done();
      else context.with(entry.context, done);
    });

    app.addHook('onError', (request, _reply, error, done) => {
      traced.get(request)?.span.recordException(error);
      done();
    });

    app.addHook('onResponse', (request, reply, done) => {
      const entry = traced.get(request);
      if (entry !== undefined) {
        entry.span.setAttribute('http.response.status_code', reply.statusCode);
        // A 4xx is the caller's error, not the server's (semantic conventions for SERVER spans).
        if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
        entry.span.end();
        traced.delete(request);
      }
      done();
    });
  },
  { name: 'oms-request-tracing', fastify: '5.x' },
);
