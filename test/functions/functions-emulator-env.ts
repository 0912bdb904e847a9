/**
 * The environment firebase-tools' Functions emulator gives the functions it runs
 * (src/emulator/functionsEmulator.ts): debug mode with `skipTokenVerification`, so an unsigned
 * Auth-emulator ID token is decoded rather than verified against Google's keys. firebase-functions
 * reads these once, when its `common/debug` module loads, so this module must be imported before
 * anything that loads firebase-functions.
 */
process.env.FUNCTIONS_EMULATOR = 'true';
process.env.FIREBASE_DEBUG_MODE = 'true';
process.env.FIREBASE_DEBUG_FEATURES = JSON.stringify({ skipTokenVerification: true, enableCors: true });

export {};
