// The CLI driver the tests use: runThumbctl (one command, its output and exit code) and startLocalServe (a
// `thumbctl local serve` child). It lives in scripts/harness/ because the full-size reliability scripts drive the
// CLI the same way, and scripts never import from test/.
export * from '../../scripts/harness/thumbctl.js';
