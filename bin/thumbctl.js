#!/usr/bin/env node
// The thumbctl launcher: runs the compiled CLI and nothing else.
import '../dist/cli/main.js';
