/**
 * The gate answers with the client module's own error codes, so `@device-limit/client` can act on
 * them (functions/src/gate/refusal.ts). The assignment below fails the typecheck (`npm run lint`) and
 * the source check fails this test when a code the gate sends is not a `DeviceLimitErrorCode`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DeviceLimitErrorCode } from '../../client-sdk/src';
import { DEVICE_GATE_CODES, type DeviceGateCode } from '../../functions/src/gate';

const asClientCode = (code: DeviceGateCode): DeviceLimitErrorCode => code;

test.each(DEVICE_GATE_CODES)('%s is one of the client’s DeviceLimitErrorCode members', (code) => {
  const source = readFileSync(path.resolve(__dirname, '../../client-sdk/src/errors.ts'), 'utf8');
  const union = /export type DeviceLimitErrorCode =([\s\S]*?');\n/.exec(source)?.[1] ?? '';
  expect(union).toContain(`'${asClientCode(code)}'`);
});
