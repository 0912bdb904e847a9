/**
 * What the functions log at ERROR. firebase-functions' logger writes through the console methods it
 * captured when it loaded (`UNPATCHED_CONSOLE`, lib/logger/common.js), so this must be imported
 * before it loads. Lines about a trigger that fired outside its configured root are what a test here
 * provokes on purpose: they are recorded and kept out of the output; anything else is printed.
 */
export const loggedErrors: string[] = [];

const print = console.error.bind(console);
jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
  const line = args.map(String).join(' ');
  loggedErrors.push(line);
  if (!line.includes('the trigger was deployed with another value')) print(...args);
});
