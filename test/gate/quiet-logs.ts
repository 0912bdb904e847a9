/**
 * firebase-functions logs every callable's token check at DEBUG through the console it captured when
 * it loaded (`UNPATCHED_CONSOLE`, lib/logger/common.js), so this must be imported before it loads.
 */
jest.spyOn(console, 'debug').mockImplementation(() => undefined);

export {};
