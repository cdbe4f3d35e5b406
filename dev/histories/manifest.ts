// The committed workflow histories (test/replay/histories/<release>/) and their checksum manifest: which files exist,
// their sha256, and the check that none was edited, removed or slipped in unlisted. Used by `npm run histories` and by
// the replay gate (test/replay/replay-gate.test.ts), so both read the same rules.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const HISTORIES_DIR = path.resolve(import.meta.dirname, '../../test/replay/histories');
export const MANIFEST_NAME = 'MANIFEST.sha256';
export const MANIFEST_PATH = path.join(HISTORIES_DIR, MANIFEST_NAME);

/** What a failure of the gate says first: the rule, and the one way forward. */
export const NEVER_REGENERATED =
  'committed histories are never regenerated or edited: they are the evidence that orders already in flight replay on new code. ' +
  'To add histories, record a new release into its own folder: `npm run histories -- record --release <new-name>` ' +
  '(it adds that folder and its lines to MANIFEST.sha256 and touches nothing else).';

/** A release folder's name: also a path segment and a word in the manifest. */
export const RELEASE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ManifestEntry {
  sha256: string;
  /** Relative to HISTORIES_DIR, with '/' separators: `<release>/<file>`. */
  file: string;
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Release folders present under HISTORIES_DIR, sorted (a hidden one is a recording still being written). */
export function releases(): string[] {
  if (!existsSync(HISTORIES_DIR)) return [];
  return readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

/**
 * Every file of every release folder (histories and the release's RECORDING.md), relative, sorted; a stray file beside
 * the manifest counts too, so that nothing under HISTORIES_DIR escapes the check.
 */
export function releaseFiles(): string[] {
  if (!existsSync(HISTORIES_DIR)) return [];
  const files = readdirSync(HISTORIES_DIR, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name !== MANIFEST_NAME && !d.name.startsWith('.'))
    .map((d) => d.name);
  for (const release of releases()) {
    const dir = path.join(HISTORIES_DIR, release);
    for (const name of readdirSync(dir)) {
      if (statSync(path.join(dir, name)).isFile()) files.push(`${release}/${name}`);
    }
  }
  return files.sort();
}

/** The history files (`*.json`) of every release, relative, sorted: what the replay gate replays. */
export function historyFiles(): string[] {
  return releaseFiles().filter((f) => f.endsWith('.json'));
}

/** One line per file, `sha256sum` style (`<hex>  <release>/<file>`), so `sha256sum -c` works from HISTORIES_DIR. */
export function formatManifest(entries: readonly ManifestEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((e) => `${e.sha256}  ${e.file}\n`)
    .join('');
}

export function parseManifest(text: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-f]{64}) {2}(\S.*)$/.exec(line);
    if (!match) throw new Error(`${MANIFEST_NAME} line ${i + 1} is not "<sha256>  <release>/<file>": ${JSON.stringify(line)}`);
    entries.push({ sha256: match[1] as string, file: match[2] as string });
  });
  return entries;
}

export function readManifest(): ManifestEntry[] {
  return existsSync(MANIFEST_PATH) ? parseManifest(readFileSync(MANIFEST_PATH, 'utf8')) : [];
}

export interface ManifestProblems {
  /** Listed, but no such file. */
  missing: string[];
  /** Listed, but its bytes have another sha256. */
  changed: string[];
  /** Present under a release folder, but not listed. */
  unlisted: string[];
  /** Listed twice. */
  duplicated: string[];
}

/** Compares the files on disk with the manifest; every list empty means the committed histories are intact. */
export function checkManifest(entries: readonly ManifestEntry[] = readManifest()): ManifestProblems {
  const present = new Set(releaseFiles());
  const seen = new Set<string>();
  const problems: ManifestProblems = { missing: [], changed: [], unlisted: [], duplicated: [] };
  for (const { file, sha256: expected } of entries) {
    if (seen.has(file)) problems.duplicated.push(file);
    seen.add(file);
    if (!present.has(file)) problems.missing.push(file);
    else if (sha256(readFileSync(path.join(HISTORIES_DIR, file))) !== expected) problems.changed.push(file);
  }
  for (const file of present) if (!seen.has(file)) problems.unlisted.push(file);
  return problems;
}

export function describeProblems(problems: ManifestProblems): string | undefined {
  const lines = [
    ...problems.missing.map((f) => `  missing (listed in ${MANIFEST_NAME}, not on disk): ${f}`),
    ...problems.changed.map((f) => `  changed (sha256 differs from ${MANIFEST_NAME}): ${f}`),
    ...problems.unlisted.map((f) => `  unlisted (on disk, not in ${MANIFEST_NAME}): ${f}`),
    ...problems.duplicated.map((f) => `  listed twice in ${MANIFEST_NAME}: ${f}`),
  ];
  return lines.length === 0 ? undefined : `${lines.join('\n')}\n${NEVER_REGENERATED}`;
}
