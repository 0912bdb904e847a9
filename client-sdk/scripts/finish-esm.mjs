// Makes dist/esm a valid ES module tree for Node as well as for bundlers: marks it as ESM with a
// nested package.json, and adds the `.js` extension Node's ESM resolver requires to the relative
// specifiers tsc emits verbatim (sources stay extensionless so ts-jest resolves them).
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The ES module tree to finish: the argument (relative to the working directory), or this package's.
const root = process.argv[2]
  ? resolve(process.cwd(), process.argv[2])
  : resolve(dirname(fileURLToPath(import.meta.url)), '../dist/esm');
const SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\2/g;

function withExtension(file, specifier) {
  if (/\.(m?js|json)$/.test(specifier)) return specifier;
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.js`) || existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.js'))) return `${specifier}/index.js`;
  throw new Error(`${file}: cannot resolve ${specifier}`);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.js') || name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(
        SPECIFIER,
        (_, prefix, quote, spec) => `${prefix}${quote}${withExtension(path, spec)}${quote}`,
      );
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

walk(root);
writeFileSync(join(root, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
