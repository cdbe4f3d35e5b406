// The external APIs' metrics on the worker's one Prometheus endpoint (WORKER_METRICS_ADDRESS): custom metrics of the
// Temporal Core runtime's meter, usable from plain Node code (the clients), outside any workflow or activity context.
import type { MetricMeter } from '@temporalio/common';
import { BREAKER_STATE_VALUE, type ApiMetrics } from '../clients/circuit-breaker';

export const BREAKER_STATE_METRIC = 'oms_circuit_breaker_state';
export const API_RESPONSES_METRIC = 'oms_external_api_responses_total';

/**
 * Core prefixes only its own metrics (`temporal_…`): these keep their names as given. The counter's name carries its
 * `_total` already, as Core's Prometheus exporter adds none by default (countersTotalSuffix).
 */
export function coreApiMetrics(meter: MetricMeter): ApiMetrics {
  const state = meter.createGauge(BREAKER_STATE_METRIC, 'int', '', 'Circuit breaker of each external API in this worker process: 0 closed, 1 half-open, 2 open');
  const responses = meter.createCounter(
    API_RESPONSES_METRIC,
    '',
    'Calls to each external API by outcome: the HTTP status code, network_error, timeout, or breaker_open (refused without calling)',
  );
  return {
    breakerState: (api, s) => state.set(BREAKER_STATE_VALUE[s], { api }),
    response: (api, outcome) => responses.add(1, { api, outcome }),
  };
}
