#!/usr/bin/env node
// The headless master, built by `npm run build` into out/main/cli.js.
import '../out/main/cli.js';
