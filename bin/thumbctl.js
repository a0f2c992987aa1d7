#!/usr/bin/env node
// The thumbctl launcher: runs the built CLI (the bundle, dist/bundle/thumbctl.js) and nothing else.
// The AWS SDK warns on every client about Node.js 20's end of life; thumbctl supports Node 20 on purpose
// (the machines it targets have it), so the person at the terminal is spared nine lines per command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// With --debug a stack trace names the TypeScript sources (the bundle's source maps). Only then: reading the maps
// of every file loaded costs start-up time that no other command line needs.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
await import('../dist/bundle/thumbctl.js');
