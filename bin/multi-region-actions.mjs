#!/usr/bin/env node
// The `multi-region-actions` command. It runs the committed bundles: dist/cli/
// (this command, built from cli/src/) starts dist/<action>/index.js the way the
// runner does, so a clone or an install needs no build step and runs exactly
// the code a workflow runs.
import '../dist/cli/index.js'
