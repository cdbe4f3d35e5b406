// Test-process setup: the Temporal SDK logs only errors (the Java test server makes Core warn about capabilities it
// does not advertise on every worker start), so a failing test's output stays readable.
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

try {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
} catch {
  // Already installed in this process (vitest may reuse a worker for several files): keep the first one.
}
