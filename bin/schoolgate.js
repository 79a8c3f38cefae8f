#!/usr/bin/env node
// Thin launcher so `schoolgate` works as a package bin: registers tsx and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
