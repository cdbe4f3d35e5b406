// What a workflow run costs Temporal, read from its event history: events by type, and an estimate of the billable
// Temporal Cloud Actions (https://docs.temporal.io/cloud/actions, "Temporal Cloud Actions"), counted the way that
// page defines them for what a history shows:
//   - Workflow started: 1. A Signal-With-Start is one Action in total, whether or not it starts the workflow, so the
//     signal written with the start (event 2, right after WorkflowExecutionStarted) adds nothing.
//   - Signal sent: 1 per WorkflowExecutionSignaled (a later Signal-With-Start to a running workflow is one signal).
//   - Activity started or retried: 1 per attempt; the history keeps only the last attempt's ActivityTaskStarted, whose
//     `attempt` is the number of attempts.
//   - Local activities: all the local-activity markers of one workflow task are 1 Action.
//   - Timer started: 1. Search attribute upsert: 1 per UpsertWorkflowSearchAttributes (those given at start are free).
//   - Child workflow: 2 (start + execution). Signal to an external workflow: 1. Continue-as-new: 1 (the new run's
//     start). Update accepted: 1. Workflow execution options updated: 1.
// Not in a history and so not counted (the page's own "Billable Action estimate" leaves them out too): queries,
// activity heartbeats that reach the server, rejected updates, and workflow-task heartbeats of long local activities.
import type { Client } from '@temporalio/client';
import { temporal } from './proto';
import type { temporal as proto } from '@temporalio/proto';

const ET = temporal.api.enums.v1.EventType;
type HistoryEvent = proto.api.history.v1.IHistoryEvent;

export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface HistoryCost {
  events: number;
  actions: number;
  byType: Map<string, number>;
  /** Set when the run continued as new: its successor's events are not included. */
  continuedAsNew: boolean;
}

/** "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" → "ActivityTaskScheduled". */
export function eventTypeName(type: number | null | undefined): string {
  const raw = ET[type ?? 0] ?? `EventType${String(type)}`;
  return raw
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
}

function eventId(e: HistoryEvent): number {
  return Number(e.eventId ?? 0);
}

export function historyCost(events: readonly HistoryEvent[]): HistoryCost {
  const byType = new Map<string, number>();
  let actions = 0;
  let continuedAsNew = false;
  const localActivityTasks = new Set<number>();
  let startedId = -1;
  for (const e of events) {
    const name = eventTypeName(e.eventType);
    byType.set(name, (byType.get(name) ?? 0) + 1);
    switch (e.eventType) {
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        startedId = eventId(e);
        actions += 1;
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        // The signal of a Signal-With-Start that started the run is written right after the start: one Action for both.
        if (eventId(e) !== startedId + 1) actions += 1;
        break;
      case ET.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        actions += Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case ET.EVENT_TYPE_MARKER_RECORDED:
        if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
          localActivityTasks.add(Number(e.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? eventId(e)));
        }
        break;
      case ET.EVENT_TYPE_TIMER_STARTED:
      case ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      case ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
        actions += 1;
        break;
      case ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        actions += 2;
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        continuedAsNew = true;
        actions += 1;
        break;
      default:
        break;
    }
  }
  return { events: events.length, actions: actions + localActivityTasks.size, byType, continuedAsNew };
}

export async function fetchHistoryCost(client: Client, workflowId: string): Promise<HistoryCost> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return historyCost(history.events ?? []);
}

export interface CostSummary {
  orders: number;
  eventsMedian: number;
  eventsMax: number;
  actionsMedian: number;
  actionsMax: number;
  /** Median count per event type, in the order of first appearance. */
  medianByType: [string, number][];
  /** Count per event type over all the orders. */
  totalByType: [string, number][];
  continuedAsNew: number;
}

function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function summarizeCosts(costs: readonly HistoryCost[]): CostSummary {
  const types: string[] = [];
  for (const c of costs) for (const t of c.byType.keys()) if (!types.includes(t)) types.push(t);
  return {
    orders: costs.length,
    eventsMedian: medianOf(costs.map((c) => c.events)),
    eventsMax: Math.max(...costs.map((c) => c.events)),
    actionsMedian: medianOf(costs.map((c) => c.actions)),
    actionsMax: Math.max(...costs.map((c) => c.actions)),
    medianByType: types.map((t) => [t, medianOf(costs.map((c) => c.byType.get(t) ?? 0))]),
    totalByType: types.map((t) => [t, costs.reduce((n, c) => n + (c.byType.get(t) ?? 0), 0)]),
    continuedAsNew: costs.filter((c) => c.continuedAsNew).length,
  };
}

/** Fetches the histories of `workflowIds`, `concurrency` at a time. */
export async function fetchCosts(client: Client, workflowIds: readonly string[], concurrency = 8): Promise<HistoryCost[]> {
  const out: HistoryCost[] = new Array<HistoryCost>(workflowIds.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, workflowIds.length) }, async () => {
      while (next < workflowIds.length) {
        const i = next++;
        out[i] = await fetchHistoryCost(client, workflowIds[i] as string);
      }
    }),
  );
  return out;
}
