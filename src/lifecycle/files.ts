// Where the generated lifecycle picture lives: the SVG the console serves, and the doc with its generated section.
import { fileURLToPath } from 'node:url';

export const SVG_FILE = fileURLToPath(new URL('../../console/lifecycle.svg', import.meta.url));
export const DOC_FILE = fileURLToPath(new URL('../../docs/order-lifecycle.md', import.meta.url));
