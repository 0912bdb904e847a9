/**
 * Eventarc path patterns (https://cloud.google.com/eventarc/docs/path-patterns), the form a 2nd gen
 * database trigger's `ref` and `instance` take (`eventFilterPathPatterns` in the function's manifest):
 * `literal`, `*` (one segment), `**` (zero or more segments), `{name}` / `{name=*}` (capture one
 * segment), `{name=**}` (capture zero or more segments).
 *
 * Parsing mirrors firebase-functions' own `PathPattern` (`lib/common/utilities/path-pattern.js`): a
 * segment with exactly one `{…}` is a capture (multi-segment when it contains `**`), any other segment
 * containing `*` is a wildcard. The handler rebuilds `event.params` from the event's `ref` with that
 * class, so matching here must agree with it: the ref we send is the concrete location we matched.
 */
import type { Path } from '../database';

export type PatternSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'one'; readonly capture?: string }
  | { readonly kind: 'many'; readonly capture?: string };

const CAPTURE = /\{[^/{}]+\}/g;

export class PathPattern {
  readonly segments: readonly PatternSegment[];
  /** the index of the single `**` segment, or -1 */
  readonly manyIndex: number;

  constructor(readonly raw: string) {
    this.segments = patternParts(raw).map(parseSegment);
    const many = this.segments.flatMap((segment, index) => (segment.kind === 'many' ? [index] : []));
    if (many.length > 1) {
      throw new PathPatternError(`"${raw}": more than one multi-segment wildcard is not a valid path pattern`);
    }
    this.manyIndex = many[0] ?? -1;
  }

  /** Whether `path` matches the whole pattern. */
  matches(path: Path): boolean {
    return this.match(path) !== null;
  }

  /** The captures of a matching `path` (`{uid}` → `params.uid`), or null when it does not match. */
  match(path: Path): Record<string, string> | null {
    const segments = this.segments;
    const params: Record<string, string> = {};
    if (this.manyIndex < 0) {
      if (path.length !== segments.length) return null;
      for (let i = 0; i < segments.length; i++) {
        if (!matchOne(segments[i] as PatternSegment, path[i] as string, params)) return null;
      }
      return params;
    }
    const head = this.manyIndex;
    const tail = segments.length - head - 1;
    if (path.length < head + tail) return null;
    for (let i = 0; i < head; i++) {
      if (!matchOne(segments[i] as PatternSegment, path[i] as string, params)) return null;
    }
    for (let i = 0; i < tail; i++) {
      const segment = segments[head + 1 + i] as PatternSegment;
      if (!matchOne(segment, path[path.length - tail + i] as string, params)) return null;
    }
    const many = segments[head] as PatternSegment;
    if (many.kind === 'many' && many.capture !== undefined) {
      params[many.capture] = path.slice(head, path.length - tail).join('/');
    }
    return params;
  }

  /**
   * Whether some extension of `prefix` could match: every segment of `prefix` matches the
   * corresponding pattern segment (a `**` accepts anything from there on).
   */
  matchesPrefix(prefix: Path): boolean {
    for (let i = 0; i < prefix.length; i++) {
      const segment = this.segments[i];
      if (segment === undefined) return false;
      if (segment.kind === 'many') return true;
      if (!matchOne(segment, prefix[i] as string, {})) return false;
    }
    return true;
  }
}

export class PathPatternError extends Error {
  readonly code = 'invalid_path_pattern';
  constructor(message: string) {
    super(message);
    this.name = 'PathPatternError';
  }
}

/** Leading, trailing and doubled slashes are dropped, as firebase-functions' `normalizePath` does. */
function patternParts(raw: string): string[] {
  return raw.split('/').filter((part) => part.length > 0);
}

function parseSegment(part: string): PatternSegment {
  const captures = part.match(CAPTURE);
  if (captures !== null && captures.length === 1) {
    const inner = (captures[0] as string).slice(1, -1);
    const equals = inner.indexOf('=');
    const capture = equals >= 0 ? inner.slice(0, equals) : inner;
    return part.includes('**') ? { kind: 'many', capture } : { kind: 'one', capture };
  }
  if (part.includes('**')) return { kind: 'many' };
  if (part.includes('*')) return { kind: 'one' };
  return { kind: 'literal', value: part };
}

function matchOne(segment: PatternSegment, key: string, params: Record<string, string>): boolean {
  switch (segment.kind) {
    case 'literal':
      return segment.value === key;
    case 'one':
      if (segment.capture !== undefined) params[segment.capture] = key;
      return true;
    case 'many':
      return false;
  }
}
