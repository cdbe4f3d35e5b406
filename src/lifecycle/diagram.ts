// The order lifecycle as a picture, generated from the workflow's own table (workflows/order/phase.ts: TRANSITIONS and
// its annotations): a BPMN-like SVG with lanes (console/lifecycle.svg) and Mermaid for docs/order-lifecycle.md.
// Pure functions of the tables, so that regenerating gives the same bytes and a test can hold the files to the code.
import {
  ENTRY_ANNOTATIONS,
  MOVE_ANNOTATIONS,
  PHASE_ANNOTATIONS,
  TRANSITIONS,
  type MoveAnnotation,
  type MoveTrigger,
  type Phase,
} from '../../workflows/order/phase';

/** Lanes top to bottom, BPMN style: who the order waits on in that row. */
export const LANES = ['Support agent', 'Service', 'Outside world', 'Closing'] as const;

/**
 * Where each phase sits: its lane (row) and column. Layout is the one thing the workflow's table cannot say; a phase
 * without a place here fails the generator (and its test), so a new phase cannot be left out of the picture.
 */
export const LAYOUT: Readonly<Record<Phase, { row: number; col: number }>> = {
  AWAITING_ORDER: { row: 2, col: 0.5 },
  VALIDATING: { row: 1, col: 1 },
  ENRICHING: { row: 1, col: 2 },
  NEEDS_CORRECTION: { row: 0, col: 2.5 },
  AWAITING_PAYMENT: { row: 2, col: 3 },
  ASSESSING_RISK: { row: 1, col: 4 },
  RISK_REVIEW: { row: 0, col: 4.5 },
  FORWARDING: { row: 1, col: 5 },
  FORWARDED: { row: 1, col: 6 },
  CANCELLED: { row: 3, col: 2.5 },
  EXPIRED: { row: 3, col: 4.5 },
};

export interface Move {
  from: Phase;
  to: Phase;
  annotation: MoveAnnotation;
}

/** Every move of TRANSITIONS with its annotation, in the table's order; a move without one is an error. */
export function lifecycleMoves(): Move[] {
  const moves: Move[] = [];
  for (const from of Object.keys(TRANSITIONS) as Phase[]) {
    for (const to of TRANSITIONS[from]) {
      const annotation = MOVE_ANNOTATIONS[from][to];
      if (!annotation) throw new Error(`the move ${from} → ${to} has no entry in MOVE_ANNOTATIONS`);
      moves.push({ from, to, annotation });
    }
    for (const to of Object.keys(MOVE_ANNOTATIONS[from]) as Phase[]) {
      if (!TRANSITIONS[from].includes(to)) throw new Error(`MOVE_ANNOTATIONS names ${from} → ${to}, which TRANSITIONS does not allow`);
    }
  }
  return moves;
}

// --- SVG ------------------------------------------------------------------------------------------------------------

const COL_W = 200;
const ROW_H = 120;
const LANE_LABEL_W = 34;
const X0 = LANE_LABEL_W + 90;
const Y0 = 44;
const BOX_W = 140;
const BOX_H = 52;
const WIDTH = X0 + 6 * COL_W + 110;
const HEIGHT = Y0 + LANES.length * ROW_H + 96;

const TRIGGER_STROKE: Record<MoveTrigger, string> = {
  step: '#1f4e79',
  event: '#1f4e79',
  human: '#6b2f8f',
  timer: '#8a4b00',
  cancel: '#8b1a1a',
};
const KIND_FILL = { step: '#eaf1fb', wait: '#fdf6e3', human: '#f3eafb', end: '#eeeeee' } as const;

const cx = (p: Phase) => X0 + LAYOUT[p].col * COL_W;
const cy = (p: Phase) => Y0 + LAYOUT[p].row * ROW_H + ROW_H / 2;
const START = { x: LANE_LABEL_W + 34, y: Y0 + ROW_H + ROW_H / 2 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

interface Route {
  d: string;
  label?: { x: number; y: number };
}

/** True when a phase of the same row sits strictly between the two columns. */
function blocked(from: Phase, to: Phase): boolean {
  const row = LAYOUT[from].row;
  const [a, b] = [LAYOUT[from].col, LAYOUT[to].col].sort((x, y) => x - y) as [number, number];
  return (Object.keys(LAYOUT) as Phase[]).some((p) => p !== from && p !== to && LAYOUT[p].row === row && LAYOUT[p].col > a && LAYOUT[p].col < b);
}

/** Orthogonal-ish routes: straight in a lane, S-curves between lanes, buses into FORWARDING and the closing lane. */
function route(move: Move, index: number): Route {
  const { from, to } = move;
  const [x1, y1, x2, y2] = [cx(from), cy(from), cx(to), cy(to)];
  const halfW = BOX_W / 2;
  const halfH = BOX_H / 2;
  if (from === to) {
    const top = y1 - halfH;
    return { d: `M${n(x1 - 20)},${n(top)} C${n(x1 - 30)},${n(top - 40)} ${n(x1 + 30)},${n(top - 40)} ${n(x1 + 20)},${n(top)}`, label: { x: x1, y: top - 36 } };
  }
  if (LAYOUT[to].row === 3) {
    // The closing lane: down from the phase to a bus of its own target, then along and down into it.
    const offset = to === 'CANCELLED' ? -14 : 14;
    const bus = Y0 + 3 * ROW_H + (to === 'CANCELLED' ? 14 : 26);
    const sx = x1 + offset;
    const tx = x2 + (x1 < x2 ? -30 : x1 > x2 ? 30 : 0) + offset / 2;
    return { d: `M${n(sx)},${n(y1 + halfH)} V${n(bus)} H${n(tx)} V${n(y2 - halfH)}` };
  }
  if (to === 'FORWARDING' && move.annotation.label.includes('before vNext')) {
    // The path of orders started before the risk release: one channel under the service lane into FORWARDING.
    const channel = Y0 + ROW_H + ROW_H / 2 + halfH + 16 + (index % 3) * 5;
    const sy = LAYOUT[from].row <= 1 ? y1 + halfH : y1 - halfH;
    const sx = x1 + (LAYOUT[from].row === 1 ? 24 : 0);
    return { d: `M${n(sx)},${n(sy)} V${n(channel)} H${n(x2 - 24)} V${n(y2 + halfH)}` };
  }
  if (LAYOUT[from].row === LAYOUT[to].row) {
    if (!blocked(from, to)) {
      const dir = x2 > x1 ? 1 : -1;
      const sx = x1 + dir * halfW;
      const tx = x2 - dir * halfW;
      return { d: `M${n(sx)},${n(y1)} H${n(tx)}`, label: { x: (sx + tx) / 2, y: y1 - 6 } };
    }
    const depth = halfH + 30;
    return { d: `M${n(x1)},${n(y1 + halfH)} C${n(x1)},${n(y1 + depth)} ${n(x2)},${n(y1 + depth)} ${n(x2)},${n(y2 + halfH)}`, label: { x: (x1 + x2) / 2, y: y1 + depth } };
  }
  const down = y2 > y1;
  if (Math.abs(x2 - x1) < BOX_W + 20) {
    const sy = down ? y1 + halfH : y1 - halfH;
    const ty = down ? y2 - halfH : y2 + halfH;
    const mid = (sy + ty) / 2;
    return { d: `M${n(x1)},${n(sy)} C${n(x1)},${n(mid)} ${n(x2)},${n(mid)} ${n(x2)},${n(ty)}`, label: { x: (x1 + x2) / 2, y: mid } };
  }
  const dir = x2 > x1 ? 1 : -1;
  if (LAYOUT[from].row === 0) {
    // From the agents' lane: along it, then down into the target's top (off its centre, where reviews leave).
    const sx = x1 + dir * halfW;
    const tx = x2 - dir * 30;
    const ty = y2 - halfH;
    return { d: `M${n(sx)},${n(y1)} H${n(tx - dir * 20)} C${n(tx)},${n(y1)} ${n(tx)},${n(y1)} ${n(tx)},${n(y1 + 20)} V${n(ty)}`, label: { x: (sx + tx) / 2, y: y1 - 6 } };
  }
  // Leave vertically, enter from the side (beside its centre line, which in-lane moves use).
  const sy = down ? y1 + halfH : y1 - halfH;
  const tx = x2 - dir * halfW;
  const ey = y2 + (down ? -12 : 12);
  return { d: `M${n(x1)},${n(sy)} C${n(x1)},${n(ey)} ${n(x1)},${n(ey)} ${n(x1 + dir * 30)},${n(ey)} H${n(tx)}`, label: { x: (x1 + tx) / 2 + dir * 10, y: ey + (down ? -6 : 14) } };
}

function labelSvg(text: string, at: { x: number; y: number }): string {
  const w = text.length * 5.6 + 8;
  return (
    `<rect x="${n(at.x - w / 2)}" y="${n(at.y - 9)}" width="${n(w)}" height="13" rx="3" fill="#ffffff" fill-opacity="0.9"/>` +
    `<text x="${n(at.x)}" y="${n(at.y + 1)}" font-size="10" text-anchor="middle" fill="#222222">${esc(text)}</text>`
  );
}

function clockIcon(x: number, y: number): string {
  return (
    `<circle cx="${n(x)}" cy="${n(y)}" r="8" fill="#ffffff" stroke="#8a4b00" stroke-width="1.5"/>` +
    `<circle cx="${n(x)}" cy="${n(y)}" r="5.5" fill="none" stroke="#8a4b00" stroke-width="0.8"/>` +
    `<path d="M${n(x)},${n(y - 4)} V${n(y)} H${n(x + 3)}" fill="none" stroke="#8a4b00" stroke-width="1"/>`
  );
}

function personIcon(x: number, y: number): string {
  return (
    `<circle cx="${n(x)}" cy="${n(y - 3)}" r="3" fill="none" stroke="#6b2f8f" stroke-width="1.2"/>` +
    `<path d="M${n(x - 5)},${n(y + 6)} C${n(x - 5)},${n(y)} ${n(x + 5)},${n(y)} ${n(x + 5)},${n(y + 6)}" fill="none" stroke="#6b2f8f" stroke-width="1.2"/>`
  );
}

function stateSvg(phase: Phase): string {
  const a = PHASE_ANNOTATIONS[phase];
  const [x, y] = [cx(phase), cy(phase)];
  const left = x - BOX_W / 2;
  const top = y - BOX_H / 2;
  const title = [
    `${phase}: ${a.summary}`,
    ...(a.humanTask ? [`human task: ${a.humanTask}`] : []),
    ...(a.timers.length > 0 ? [`timers: ${a.timers.join(', ')}`] : []),
  ].join('. ');
  const strokeWidth = a.kind === 'end' ? 3 : 1.5;
  const parts = [
    `<g class="state state-${a.kind}" id="state-${phase}" data-state="${phase}">`,
    `<title>${esc(title)}</title>`,
    `<rect class="state-box" x="${n(left)}" y="${n(top)}" width="${BOX_W}" height="${BOX_H}" rx="10" fill="${KIND_FILL[a.kind]}" stroke="#333333" stroke-width="${strokeWidth}"/>`,
    `<text x="${n(x)}" y="${n(y + 4)}" font-size="11.5" font-weight="600" text-anchor="middle" fill="#111111">${esc(phase)}</text>`,
  ];
  if (a.kind === 'human') parts.push(personIcon(left + 12, top + 12));
  if (a.timers.length > 0) parts.push(clockIcon(left + 16, top + BOX_H), `<text x="${n(left + 28)}" y="${n(top + BOX_H + 12)}" font-size="9" fill="#8a4b00">${esc(a.timers.map((t) => (t === 'ORDER_TTL' ? 'TTL' : 'capture')).join(' · '))}</text>`);
  if (phase === 'CANCELLED' || phase === 'EXPIRED') {
    const ix = x - 52;
    const iy = top + BOX_H - 10;
    parts.push(
      `<path d="M${n(ix)},${n(iy)} l6,-4 v8 z M${n(ix + 6)},${n(iy)} l6,-4 v8 z" fill="#8b1a1a"/>`,
      `<text x="${n(ix + 16)}" y="${n(iy + 3)}" font-size="9" fill="#8b1a1a">compensation: refund</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

function moveSvg(move: Move, index: number): string {
  const r = route(move, index);
  const a = move.annotation;
  const legacy = a.label.includes('before vNext');
  const closing = LAYOUT[move.to].row === 3;
  const stroke = TRIGGER_STROKE[a.trigger];
  const title = `${move.from} → ${move.to}: ${a.label} (${a.trigger})${a.compensation ? `; compensation: ${a.compensation}` : ''}`;
  const dash = legacy ? ' stroke-dasharray="6 4"' : closing ? ' stroke-dasharray="2 3"' : '';
  return (
    `<g class="move move-${a.trigger}" id="move-${move.from}-${move.to}" data-from="${move.from}" data-to="${move.to}">` +
    `<title>${esc(title)}</title>` +
    `<path class="move-line" d="${r.d}" fill="none" stroke="${stroke}" stroke-width="${closing ? 1 : 1.5}"${dash} marker-end="url(#arrow-${a.trigger})"/>` +
    (r.label && !closing ? labelSvg(a.label, r.label) : '') +
    '</g>'
  );
}

function entrySvg(to: Phase, a: MoveAnnotation): string {
  const [x2, y2] = [cx(to), cy(to)];
  const d =
    LAYOUT[to].row === 1
      ? `M${START.x + 12},${START.y} H${n(x2 - BOX_W / 2)}`
      : `M${START.x},${START.y + 12} V${n(y2 - 6)} C${START.x},${n(y2)} ${START.x},${n(y2)} ${START.x + 12},${n(y2)} H${n(x2 - BOX_W / 2)}`;
  return (
    `<g class="move move-entry" id="move-start-${to}" data-from="START" data-to="${to}"><title>${esc(`start → ${to}: ${a.label}`)}</title>` +
    `<path class="move-line" d="${d}" fill="none" stroke="${TRIGGER_STROKE[a.trigger]}" stroke-width="1.5" marker-end="url(#arrow-${a.trigger})"/></g>`
  );
}

function legendSvg(y: number): string {
  const items: Array<[string, string]> = [
    ['service step', KIND_FILL.step],
    ['waits for an event', KIND_FILL.wait],
    ['human task (support console)', KIND_FILL.human],
    ['end (terminal)', KIND_FILL.end],
  ];
  const parts: string[] = [];
  let x = LANE_LABEL_W + 10;
  for (const [label, fill] of items) {
    parts.push(`<rect x="${x}" y="${y}" width="18" height="12" rx="3" fill="${fill}" stroke="#333333"/><text x="${x + 24}" y="${y + 10}" font-size="10.5" fill="#222222">${esc(label)}</text>`);
    x += 34 + label.length * 5.8;
  }
  parts.push(clockIcon(x + 8, y + 6), `<text x="${x + 22}" y="${y + 10}" font-size="10.5" fill="#222222">timer (boundary event)</text>`);
  const y2 = y + 24;
  parts.push(
    `<path d="M${LANE_LABEL_W + 10},${y2 + 6} h30" stroke="#1f4e79" stroke-width="1.5" stroke-dasharray="6 4" fill="none"/><text x="${LANE_LABEL_W + 46}" y="${y2 + 10}" font-size="10.5" fill="#222222">orders started before the risk release</text>`,
    `<path d="M${LANE_LABEL_W + 300},${y2 + 6} h30" stroke="#8b1a1a" stroke-width="1" stroke-dasharray="2 3" fill="none"/><text x="${LANE_LABEL_W + 336}" y="${y2 + 10}" font-size="10.5" fill="#222222">closing: cancel or capture window → CANCELLED, ORDER_TTL → EXPIRED; both refund every capture</text>`,
  );
  return parts.join('');
}

/** The whole diagram as one SVG document; ids and data-* attributes let the console highlight a path. */
export function renderLifecycleSvg(): string {
  const moves = lifecycleMoves();
  for (const phase of Object.keys(TRANSITIONS) as Phase[]) {
    if (!LAYOUT[phase]) throw new Error(`the phase ${phase} has no place in LAYOUT`);
  }
  const markers = (Object.keys(TRIGGER_STROKE) as MoveTrigger[])
    .map((t) => `<marker id="arrow-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${TRIGGER_STROKE[t]}"/></marker>`)
    .join('');
  const lanes = LANES.map((name, i) => {
    const y = Y0 + i * ROW_H;
    return (
      `<rect x="0.5" y="${y + 0.5}" width="${WIDTH - 1}" height="${ROW_H}" fill="${i % 2 === 0 ? '#fbfbfb' : '#ffffff'}" stroke="#999999"/>` +
      `<rect x="0.5" y="${y + 0.5}" width="${LANE_LABEL_W}" height="${ROW_H}" fill="#f0f0f0" stroke="#999999"/>` +
      `<text transform="translate(${LANE_LABEL_W / 2 + 4},${y + ROW_H / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="#222222">${esc(name)}</text>`
    );
  }).join('');
  const entries = (Object.entries(ENTRY_ANNOTATIONS) as Array<[Phase, MoveAnnotation]>).map(([to, a]) => entrySvg(to, a)).join('');
  const body = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="lifecycle-title lifecycle-desc" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" class="lifecycle">`,
    '<title id="lifecycle-title">Order lifecycle</title>',
    `<desc id="lifecycle-desc">Generated by npm run diagram from workflows/order/phase.ts (TRANSITIONS and its annotations): ${Object.keys(TRANSITIONS).length} states, ${moves.length} transitions.</desc>`,
    `<defs>${markers}</defs>`,
    `<g class="lanes">${lanes}</g>`,
    `<g class="start" id="state-START" data-state="START"><title>start: the order's first event</title><circle cx="${START.x}" cy="${START.y}" r="12" fill="#ffffff" stroke="#333333" stroke-width="1.5"/></g>`,
    `<g class="moves">${entries}${moves.map((m, i) => moveSvg(m, i)).join('')}</g>`,
    `<g class="states">${(Object.keys(TRANSITIONS) as Phase[]).map(stateSvg).join('')}</g>`,
    legendSvg(Y0 + LANES.length * ROW_H + 16),
    '</svg>',
  ];
  return `${body.join('\n')}\n`;
}

// --- Mermaid ----------------------------------------------------------------------------------------------------------

/** The same table as a Mermaid state diagram (GitHub renders it in docs/order-lifecycle.md). */
export function renderLifecycleMermaid(): string {
  const lines = ['stateDiagram-v2'];
  for (const [to, a] of Object.entries(ENTRY_ANNOTATIONS) as Array<[Phase, MoveAnnotation]>) lines.push(`  [*] --> ${to}: ${a.label}`);
  for (const m of lifecycleMoves()) {
    const extra = m.annotation.compensation ? ` (${m.annotation.compensation})` : '';
    lines.push(`  ${m.from} --> ${m.to}: ${m.annotation.label}${extra}`);
  }
  for (const phase of Object.keys(TRANSITIONS) as Phase[]) if (TRANSITIONS[phase].length === 0) lines.push(`  ${phase} --> [*]`);
  for (const phase of Object.keys(PHASE_ANNOTATIONS) as Phase[]) {
    const a = PHASE_ANNOTATIONS[phase];
    if (a.humanTask) lines.push(`  note right of ${phase}: human task, ${a.humanTask}`);
  }
  lines.push('  classDef human fill:#f3eafb,stroke:#6b2f8f');
  const human = (Object.keys(PHASE_ANNOTATIONS) as Phase[]).filter((p) => PHASE_ANNOTATIONS[p].kind === 'human');
  lines.push(`  class ${human.join(',')} human`);
  return lines.join('\n');
}

/** A markdown table of the phases' timers and human tasks, beside the Mermaid. */
export function renderPhaseTable(): string {
  const rows = (Object.keys(PHASE_ANNOTATIONS) as Phase[]).map((p) => {
    const a = PHASE_ANNOTATIONS[p];
    return `| \`${p}\` | ${a.kind} | ${a.summary} | ${a.timers.map((t) => `\`${t}\``).join(', ') || '—'} | ${a.humanTask ? `\`${a.humanTask}\`` : '—'} |`;
  });
  return ['| phase | kind | what happens | timers that can close it | human task |', '|---|---|---|---|---|', ...rows].join('\n');
}

export const DOC_BEGIN = '<!-- lifecycle:begin — generated by `npm run diagram` from workflows/order/phase.ts; do not edit by hand -->';
export const DOC_END = '<!-- lifecycle:end -->';

/** The generated section of docs/order-lifecycle.md, markers included. */
export function renderDocSection(): string {
  return [
    DOC_BEGIN,
    '![The order lifecycle: lanes, states, transitions, timers, human tasks and compensation](../console/lifecycle.svg)',
    '',
    '```mermaid',
    renderLifecycleMermaid(),
    '```',
    '',
    renderPhaseTable(),
    DOC_END,
  ].join('\n');
}

/** `doc` with its generated section replaced; the markers must be there exactly once. */
export function withDocSection(doc: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin || doc.indexOf(DOC_BEGIN, begin + 1) >= 0) throw new Error('docs/order-lifecycle.md needs the lifecycle markers exactly once');
  return doc.slice(0, begin) + renderDocSection() + doc.slice(end + DOC_END.length);
}
