#!/usr/bin/env node
/// <reference types="node" />
/**
 * `device-limit`, the command line of @device-limit/contract: `device-limit rules generate` and
 * `device-limit rules merge` (see `device-limit --help`, or contract/README.md). Only this file
 * touches Node; the commands themselves are in rules/command.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runRulesCommand } from './rules/command';

process.exitCode = runRulesCommand(process.argv.slice(2), {
  readFile: (path) => readFileSync(path, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
