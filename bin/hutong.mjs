#!/usr/bin/env node
// The `hutong` command: src/cli/index.ts run through tsx (Node 20 does not run TypeScript by itself).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/index.ts', import.meta.url).href);
