#!/usr/bin/env node
// The agent's V8 flags first, then the CLI's modules: loading them is part of what the flags make smaller.
import '../dist/v8-footprint.js';
await import('../dist/cli.js');
