/**
 * The protocol's pure pieces, table-driven: framing (docs/wire-protocol.md §2.2, docs/wire-protocol.md §2.3), envelopes
 * (docs/wire-protocol.md §2.1, docs/wire-protocol.md §4.1) and the
 * long-poll encodings (docs/wire-protocol.md §14.1).
 */
import { FrameReassembler, splitMessage } from './framing';
import { isProtocolError } from './errors';
import { decodeWebSafeBase64, longPollScript, readSegments, SegmentAssembler, scriptLiteral } from './long-poll';
import { parseInboundMessage, queryKey } from './messages';

describe('FrameReassembler', () => {
  test.each<[string, string[], Array<string | null>]>([
    ['a single frame is a message', ['{"t":"d","d":{}}'], ['{"t":"d","d":{}}']],
    ['a keepalive is ignored', ['0', '{"a":1}'], [null, '{"a":1}']],
    ['a count then parts', ['3', 'ab', 'cd', 'ef'], [null, null, null, 'abcdef']],
    ['a count of one (firebase-server style)', ['1', '{}'], [null, '{}']],
    ['a digit-only part inside a message is data', ['2', '{"n":', '12}'], [null, null, '{"n":12}']],
  ])('%s', (_name, frames, expected) => {
    const reassembler = new FrameReassembler();
    expect(frames.map((frame) => reassembler.push(frame))).toEqual(expected);
  });

  test('rejects an invalid count and oversized messages', () => {
    expect(() => new FrameReassembler().push('00')).toThrow(/frame count/);
    const small = new FrameReassembler(10);
    expect(() => small.push('x'.repeat(11))).toThrow(/exceeds/);
    small.push('2');
    small.push('x'.repeat(6));
    expect(() => small.push('x'.repeat(6))).toThrow(/exceeds/);
  });
});

describe('splitMessage', () => {
  test('short messages are sent alone; long ones get a count frame and parts of at most the segment size', () => {
    expect(splitMessage('{"a":1}', 16384)).toEqual(['{"a":1}']);
    const frames = splitMessage('x'.repeat(25), 10);
    expect(frames).toEqual(['3', 'x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  test('never cuts a surrogate pair (each frame is UTF-8 encoded on its own)', () => {
    const text = 'a' + '😀'.repeat(10);
    const frames = splitMessage(text, 4).slice(1);
    expect(frames.join('')).toBe(text);
    for (const frame of frames) expect(Buffer.from(frame, 'utf8').toString('utf8')).toBe(frame);
  });

  test('round-trips through the reassembler', () => {
    const text = JSON.stringify({ t: 'd', d: { b: 'é😀'.repeat(20_000) } });
    const reassembler = new FrameReassembler();
    const results = splitMessage(text).map((frame) => reassembler.push(frame));
    expect(results.at(-1)).toBe(text);
  });
});

describe('parseInboundMessage', () => {
  test.each<[string, unknown]>([
    ['{"t":"c","d":{"t":"p","d":{}}}', { layer: 'control', command: 'p', data: {} }],
    [
      '{"t":"d","d":{"r":3,"a":"p","b":{"p":"/x","d":1}}}',
      { layer: 'data', request: { requestNumber: 3, action: 'p', body: { p: '/x', d: 1 }, bytes: 50 } },
    ],
    [
      '{"t":"d","d":{"a":"s","b":5}}',
      { layer: 'data', request: { requestNumber: undefined, action: 's', body: {}, bytes: 29 } },
    ],
  ])('%s', (text, expected) => {
    expect(parseInboundMessage(text)).toEqual(expected);
  });

  test.each([
    'not json',
    '5',
    '[]',
    '{"t":"d"}',
    '{"d":{}}',
    '{"t":"x","d":{}}',
    '{"t":"c","d":{}}',
    '{"t":"d","d":{"a":5}}',
  ])('rejects %s with a ProtocolError', (text) => {
    let caught: unknown;
    try {
      parseInboundMessage(text);
    } catch (error) {
      caught = error;
    }
    expect(isProtocolError(caught)).toBe(true);
  });

  test('queryKey ignores key order, like the client ObjectToUniqueKey', () => {
    expect(queryKey({ sp: 1, i: 'a', l: 2 })).toBe(queryKey({ l: 2, i: 'a', sp: 1 }));
    expect(queryKey({ sp: 1 })).not.toBe(queryKey({ sp: '1' }));
  });
});

describe('long-poll encodings', () => {
  const webSafe = (text: string): string =>
    Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '.');

  test('decodes base64 web-safe (the client alphabet: - _ and . padding)', () => {
    const text = '{"t":"d","d":"é😀?>>"}';
    expect(decodeWebSafeBase64(webSafe(text))).toBe(text);
    expect(() => decodeWebSafeBase64('a+b/')).toThrow();
  });

  test('reassembles messages from segments that arrive out of order, across polls', () => {
    const first = webSafe('{"m":1}');
    const second = webSafe('{"m":"two"}');
    const assembler = new SegmentAssembler();
    const params = (query: string): URLSearchParams => new URLSearchParams(query);
    expect(assembler.add(readSegments(params(`seg0=2&ts0=2&d0=${second.slice(4)}`)))).toEqual([]);
    expect(assembler.add(readSegments(params(`seg0=1&ts0=2&d0=${second.slice(0, 4)}`)))).toEqual([]);
    expect(assembler.add(readSegments(params(`seg0=0&ts0=1&d0=${first}`)))).toEqual(['{"m":1}', '{"m":"two"}']);
    expect(assembler.add(readSegments(params(`seg0=0&ts0=1&d0=${first}`)))).toEqual([]); // a retried poll
  });

  test('the response script forwards to the parent callbacks and cannot be broken out of', () => {
    const script = longPollScript('3', ["pLPCommand('start','id','pw');"]);
    expect(script).toContain('parent.pLPCommand3(');
    expect(script).toContain('parent.pRTLPCB3(');
    expect(scriptLiteral(['</script><script>alert(1)</script>', '\u2028'])).not.toMatch(/<\/script>|\u2028/);
  });
});
