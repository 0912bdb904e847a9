/**
 * Runs only in `npm run test:firebase12`: proves that `firebase` and `firebase/*` reached the suites
 * from this folder (firebase 12), so a green run is a run against firebase 12 and not against the
 * workspace's firebase 13.
 */
import { SDK_VERSION } from 'firebase/app';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

it('the client suites ran against this folder’s firebase', () => {
  const pinned = (
    JSON.parse(readFileSync(path.join(__dirname, 'package.json'), 'utf8')) as {
      dependencies: { firebase: string };
    }
  ).dependencies.firebase;
  expect(SDK_VERSION).toBe(pinned);
  expect(require.resolve('firebase/database').startsWith(path.join(__dirname, 'node_modules'))).toBe(true);
});
