#!/usr/bin/env node
/**
 * The admin jobs of a change of the shard map (docs/protocol.md §10.5 steps 4 and 6, docs/scaling.md),
 * run once by an operator with the Admin SDK's credentials — not a deployed function: each is a walk
 * over whole instances that an operator starts at a chosen moment (step 4 before publishing the map,
 * step 6 after the drain window), and both are idempotent, so a run that failed is simply run again.
 *
 *   npm run build
 *   node scripts/shard-migration.mjs copy-settings --database-url <default instance URL> \
 *     --instances <new list> --epoch <e> --previous <old list>
 *   node scripts/shard-migration.mjs finish ...same options...
 *
 * Credentials are firebase-admin's usual ones (GOOGLE_APPLICATION_CREDENTIALS, or the ambient ones of
 * Cloud Shell); FIREBASE_DATABASE_EMULATOR_HOST points it at an emulator. The lists are the same
 * comma-separated values as the functions' PRESENCE_INSTANCES and PRESENCE_INSTANCES_PREVIOUS.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

// Resolve through the functions package, so the jobs, firebase-admin and the contract are the very
// modules the deployed functions use (one firebase-admin app for both).
const require = createRequire(new URL('../functions/package.json', import.meta.url));
const { initializeApp } = require('firebase-admin/app');
const { validateShardMap } = require('@device-limit/contract');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'database-url': { type: 'string' },
    instances: { type: 'string' },
    epoch: { type: 'string' },
    previous: { type: 'string' },
    'page-size': { type: 'string' },
  },
});
const [command] = positionals;
if (
  (command !== 'copy-settings' && command !== 'finish') ||
  !values['database-url'] ||
  !values.instances ||
  !values.epoch ||
  !values.previous
) {
  console.error(
    'usage: node scripts/shard-migration.mjs copy-settings|finish --database-url <url> ' +
      '--instances <a,b,…> --epoch <e> --previous <a,…> [--page-size <n>]',
  );
  process.exit(2);
}
const list = (text) => text.split(',').map((name) => name.trim());
// validateShardMap refuses what the clients and the functions would refuse (names, duplicates).
const map = validateShardMap({
  instances: list(values.instances),
  epoch: Number(values.epoch),
  previous: list(values.previous),
});
initializeApp({ databaseURL: values['database-url'] });
const jobs = require('./lib/index.js');
const options = values['page-size'] === undefined ? {} : { pageSize: Number(values['page-size']) };
const result =
  command === 'copy-settings'
    ? await jobs.copyMovedUserSettings(map, options)
    : await jobs.finishShardMigration(map, options);
console.log(JSON.stringify(result, null, 2));
process.exit(0);
