/**
 * `rtdb-emulator` flags, table-driven (the process itself: `cli.test.ts`).
 */
import { CliUsageError, parseCliArgs } from './cli-args';

describe('CLI flags', () => {
  test('defaults and every flag, in both --flag value and --flag=value forms', () => {
    expect(parseCliArgs([])).toEqual({ host: '127.0.0.1', port: 9000, explainDenials: false, help: false });
    expect(
      parseCliArgs([
        '--host',
        '0.0.0.0',
        '--port=0',
        '--rules',
        'r.json',
        '--project',
        'demo-x',
        '--import=i.json',
        '--export-on-exit',
        'e.json',
        '--explain-denials',
      ]),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      rulesFile: 'r.json',
      project: 'demo-x',
      importFile: 'i.json',
      exportOnExit: 'e.json',
      explainDenials: true,
      help: false,
    });
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  test.each<[string[], RegExp]>([
    [['--bogus'], /Unknown option --bogus/],
    [['--port'], /--port needs a value/],
    [['--port', 'x'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--rules', '--port', '1'], /--rules needs a value/],
    [['--project', 'Bad Id'], /--project must be a project id/],
  ])('%j → %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
