/**
 * The emulator internals the micro-benchmarks measure directly: the rules engine (`rules.ts`) and the
 * data tree (`wide-nodes.ts`). They are not the package's API (its entry exports `startEmulator` and
 * its types), so they are loaded here, in one place, from the built package's files. The types come
 * from the same modules' sources (through the project reference: their declarations).
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as NodeModule from '../emulator/src/database/node';
import type * as RulesModule from '../emulator/src/rules';

export type { AuthVariable } from '../emulator/src/database/access';
export type { DbNode } from '../emulator/src/database/node';

const load = createRequire(__filename);
/** The package's `dist`, where its entry (`dist/index.js`) is. */
const dist = path.dirname(load.resolve('@device-limit/rtdb-emulator'));

export const { nodeFromJSON, nodeSetAt, leafNode } = load(path.join(dist, 'database', 'node')) as typeof NodeModule;
export const { compileRules } = load(path.join(dist, 'rules')) as typeof RulesModule;
