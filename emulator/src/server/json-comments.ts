/**
 * Rules files are "JSON with comments" (firebase-tools sends them as written). `format=strict` on
 * `GET /.settings/rules.json` (firebase-admin `getRulesJSON`) answers plain JSON: this drops `//` and
 * `/* *\/` comments outside strings and keeps everything else byte for byte.
 */
export function stripJsonComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '"') {
      const start = i;
      i += 1;
      while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
      i += 1;
      out += source.slice(start, i);
    } else if (ch === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (ch === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
      out += ' ';
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}
