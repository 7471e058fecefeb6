#!/usr/bin/env node
// The bundled build (npm run build): one module to load, so the server starts fast.
import { main } from '../dist/bundle/main.js';

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
