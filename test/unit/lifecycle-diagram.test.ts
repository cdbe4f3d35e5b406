// The lifecycle picture is generated from the workflow's own table: every move annotated, the committed SVG and the
// generated section of docs/order-lifecycle.md exactly what `npm run diagram` makes from the code today.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DOC_BEGIN, DOC_END, LAYOUT, lifecycleMoves, renderLifecycleMermaid, renderLifecycleSvg, withDocSection } from '../../src/lifecycle/diagram';
import { DOC_FILE, SVG_FILE } from '../../src/lifecycle/files';
import { ENTRY_ANNOTATIONS, MOVE_ANNOTATIONS, PHASE_ANNOTATIONS, TRANSITIONS, type Phase } from '../../workflows/order/phase';

const PHASES = Object.keys(TRANSITIONS) as Phase[];

describe('the annotations beside TRANSITIONS', () => {
  it('annotate every phase and every move, and nothing the table does not allow', () => {
    expect(Object.keys(PHASE_ANNOTATIONS).sort()).toEqual([...PHASES].sort());
    expect(Object.keys(LAYOUT).sort()).toEqual([...PHASES].sort());
    const moves = lifecycleMoves();
    expect(moves).toHaveLength(PHASES.reduce((n, p) => n + TRANSITIONS[p].length, 0));
    for (const from of PHASES) expect(Object.keys(MOVE_ANNOTATIONS[from]).sort(), from).toEqual([...TRANSITIONS[from]].sort());
  });

  it('name the human tasks (the console does them), the timers, and a refund on every closing move', () => {
    const human = PHASES.filter((p) => PHASE_ANNOTATIONS[p].humanTask);
    expect(human.sort()).toEqual(['NEEDS_CORRECTION', 'RISK_REVIEW']);
    for (const p of PHASES) {
      const closes = TRANSITIONS[p].some((to) => to === 'EXPIRED');
      expect(PHASE_ANNOTATIONS[p].timers.includes('ORDER_TTL'), p).toBe(closes);
      if (PHASE_ANNOTATIONS[p].kind === 'end') expect(TRANSITIONS[p]).toEqual([]);
    }
    for (const m of lifecycleMoves().filter((m) => m.to === 'CANCELLED' || m.to === 'EXPIRED')) {
      expect(m.annotation.compensation, `${m.from} → ${m.to}`).toBe('refund captures');
    }
    expect(Object.keys(ENTRY_ANNOTATIONS).sort()).toEqual(['AWAITING_ORDER', 'VALIDATING']);
  });
});

describe('the generated files', () => {
  it('console/lifecycle.svg is current (run npm run diagram after changing phase.ts)', async () => {
    const svg = renderLifecycleSvg();
    expect(renderLifecycleSvg()).toBe(svg); // deterministic
    expect(await readFile(SVG_FILE, 'utf8')).toBe(svg);
  });

  it('the generated section of docs/order-lifecycle.md is current', async () => {
    const doc = await readFile(DOC_FILE, 'utf8');
    expect(doc.split(DOC_BEGIN)).toHaveLength(2);
    expect(doc.split(DOC_END)).toHaveLength(2);
    expect(withDocSection(doc)).toBe(doc);
  });

  it('draws one state per phase and one arrow per move, with the ids the console highlights', () => {
    const svg = renderLifecycleSvg();
    for (const p of PHASES) expect(svg).toContain(`<g class="state state-${PHASE_ANNOTATIONS[p].kind}" id="state-${p}" data-state="${p}">`);
    for (const m of lifecycleMoves()) expect(svg).toContain(`id="move-${m.from}-${m.to}" data-from="${m.from}" data-to="${m.to}"`);
    // Presentation attributes only: the console's CSP allows no inline style.
    expect(svg).not.toMatch(/style=|<style/);
    const mermaid = renderLifecycleMermaid();
    for (const m of lifecycleMoves()) expect(mermaid).toContain(`  ${m.from} --> ${m.to}: ${m.annotation.label}`);
  });
});
