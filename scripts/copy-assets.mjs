#!/usr/bin/env node
// tsc compiles only TypeScript; the plain-JS runtime bootstrap must sit beside its compiled siblings.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';

const from = 'emulator/runtime';
const to = 'dist/emulator/runtime';
if (existsSync(from)) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) if (name.endsWith('.mjs') || name.endsWith('.cjs')) cpSync(`${from}/${name}`, `${to}/${name}`);
}
