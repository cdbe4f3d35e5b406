// `npm run diagram`: writes console/lifecycle.svg and the generated section of docs/order-lifecycle.md from the
// workflow's table; `npm run diagram -- --check` only says whether they are current (what the unit test asserts).
import { readFile, writeFile } from 'node:fs/promises';
import { renderLifecycleSvg, withDocSection } from './diagram';
import { DOC_FILE, SVG_FILE } from './files';

async function main(check: boolean): Promise<number> {
  const targets: Array<[string, string]> = [
    [SVG_FILE, renderLifecycleSvg()],
    [DOC_FILE, withDocSection(await readFile(DOC_FILE, 'utf8'))],
  ];
  let stale = 0;
  for (const [file, wanted] of targets) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current === wanted) continue;
    stale++;
    if (check) console.error(`${file} is not current: run npm run diagram`);
    else await writeFile(file, wanted);
  }
  if (!check) console.log(`lifecycle diagram: ${targets.length - stale} current, ${stale} written`);
  return check && stale > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.includes('--check'));
