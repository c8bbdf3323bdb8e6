#!/usr/bin/env node
// The `coffer` command: runs the compiled CLI (`make build` writes dist/).
import '../dist/cli/main.js';
