// `npm start`: serves the repo root (the playground at /) on http://127.0.0.1:8080/ (or $PORT).
import { serve } from './serve-lib.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 8080);
const { url } = await serve(root, port);
console.log(`Hebb playground: ${url}  (Ctrl+C to stop)`);
