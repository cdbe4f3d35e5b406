// Enrichment of every order item from PIM (sku_id, brand_code), concurrent but bounded so one big order cannot flood PIM.
// A big order against a slow PIM can outlast one attempt, so the activity heartbeats what it has fetched and a retried
// attempt resumes from there instead of fetching everything again (and timing out again, until the order parks).
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { EnrichedItem, OrderItemInput, ValidationError } from '../contracts';
import type { PimApi } from '../src/clients/pim-api';

export type EnrichmentResult = { complete: true; items: EnrichedItem[] } | { complete: false; errors: ValidationError[] };

export const PIM_CONCURRENCY = 8;

/**
 * The heartbeat details of `enrichItems`: every PIM answer an attempt has had so far. Arrays of tuples rather than
 * objects keyed by item_id keep 500 items around 30 KB (far below the server's payload limits) and cannot collide with
 * `__proto__`-like item ids. A 404 is an answer too (`unknown`), so it is not asked again.
 */
export const EnrichmentProgress = z.object({
  known: z.array(z.tuple([z.string(), z.string(), z.string()])), // [item_id, sku_id, brand_code]
  unknown: z.array(z.string()),
});
export type EnrichmentProgress = z.infer<typeof EnrichmentProgress>;

/** A PIM answer for one item_id; null when PIM does not know the item. */
type PimAnswer = { sku_id: string; brand_code: string } | null;

/**
 * Runs `task` over `inputs` with at most `limit` in flight, keeping the input order in the result.
 * After a task fails (or `signal` aborts) no new task starts; the first failure is rethrown only once the tasks in
 * flight have settled, so whatever they record (e.g. a heartbeat) happens before the caller sees the failure.
 */
export async function mapBounded<I, O>(inputs: readonly I[], limit: number, task: (input: I) => Promise<O>, signal?: AbortSignal): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  async function lane(): Promise<void> {
    while (next < inputs.length && failure === undefined && !signal?.aborted) {
      const index = next++;
      try {
        results[index] = await task(inputs[index] as I);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  if (failure !== undefined) throw failure.error;
  // Lanes stopped early, so `results` has holes: never hand those out as a result.
  signal?.throwIfAborted();
  return results;
}

/**
 * PIM answers of earlier attempts, from their last heartbeat. Details that do not parse (e.g. written by another
 * version of this activity before a deploy) are ignored: fetching again is always correct, only slower.
 */
function resumedAnswers(details: unknown): Map<string, PimAnswer> {
  const answers = new Map<string, PimAnswer>();
  const parsed = EnrichmentProgress.safeParse(details);
  if (!parsed.success) return answers;
  for (const [itemId, sku_id, brand_code] of parsed.data.known) answers.set(itemId, { sku_id, brand_code });
  for (const itemId of parsed.data.unknown) answers.set(itemId, null);
  return answers;
}

function progressOf(answers: ReadonlyMap<string, PimAnswer>): EnrichmentProgress {
  const progress: EnrichmentProgress = { known: [], unknown: [] };
  for (const [itemId, answer] of answers) {
    if (answer === null) progress.unknown.push(itemId);
    else progress.known.push([itemId, answer.sku_id, answer.brand_code]);
  }
  return progress;
}

export function createEnrichmentActivities(deps: { pim: PimApi }) {
  return {
    async enrichItems(items: OrderItemInput[]): Promise<EnrichmentResult> {
      const ctx = Context.current();
      const answers = resumedAnswers(ctx.info.heartbeatDetails);
      // Keyed by item_id: an item listed twice is one PIM question, and an answer survives into the next attempt.
      const missing = [...new Set(items.map((item) => item.item_id))].filter((itemId) => !answers.has(itemId));
      if (answers.size > 0) ctx.log.info('Resuming enrichment from an earlier attempt', { alreadyFetched: answers.size, toFetch: missing.length });

      const fetching = mapBounded(
        missing,
        PIM_CONCURRENCY,
        async (itemId) => {
          const pim = await deps.pim.getItem(itemId);
          answers.set(itemId, pim === undefined ? null : { sku_id: pim.sku_id, brand_code: pim.brand_code });
          // One heartbeat per answer is cheap: the SDK coalesces them to one send per ~80% of the heartbeat timeout,
          // and on failure it reports the latest details with the failure, which the next attempt receives. A small
          // order runs this as a local activity (no heartbeats there): it is refetched whole, which is quick.
          if (!ctx.info.isLocal) ctx.heartbeat(progressOf(answers));
        },
        ctx.cancellationSignal,
      );
      // A cancelled attempt (workflow cancelled, or the server timed the attempt out and said so in a heartbeat
      // response) ends now rather than after the PIM calls in flight; the lanes start no new ones.
      await Promise.race([fetching, ctx.cancelled]);

      const answerOf = (itemId: string): PimAnswer => {
        const answer = answers.get(itemId);
        if (answer === undefined) throw new Error(`enrichItems: no PIM answer for ${itemId} after fetching (bug)`);
        return answer;
      };
      const errors: ValidationError[] = items
        .filter((item) => answerOf(item.item_id) === null)
        .map((item) => ({ code: 'item_unknown_in_pim', item_id: item.item_id, detail: `PIM has no item ${item.item_id}` }));
      if (errors.length > 0) return { complete: false, errors };
      return {
        complete: true,
        items: items.map((item) => ({
          item_id: item.item_id,
          sku_id: answerOf(item.item_id)?.sku_id ?? '',
          brand_code: answerOf(item.item_id)?.brand_code ?? '',
          quantity: item.quantity,
        })),
      };
    },
  };
}
export type EnrichmentActivities = ReturnType<typeof createEnrichmentActivities>;
