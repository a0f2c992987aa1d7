#!/usr/bin/env node
// The thumbctl launcher: runs the compiled CLI and nothing else.
// The AWS SDK warns on every client about Node.js 20's end of life; thumbctl supports Node 20 on purpose
// (the machines it targets have it), so the person at the terminal is spared nine lines per command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('../dist/cli/main.js');
