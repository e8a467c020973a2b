#!/usr/bin/env node
// The last step of `npm run build`: keeps in dist/ only the declaration files that the package's
// entry points (package.json "exports") reach through their imports, and deletes the rest: tsc
// declares every module, but the internal ones that no public signature names are no use to a
// consumer and were a tenth of the tarball. The consumer tests check that every import of a shipped
// declaration resolves inside the tarball.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const entries = Object.values(manifest.exports)
  .filter((target) => typeof target === 'object' && target.types)
  .map((target) => join(repo, target.types));

const reached = new Set();
const queue = [...entries];
while (queue.length > 0) {
  const file = queue.pop();
  if (reached.has(file) || !existsSync(file)) continue;
  reached.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
    queue.push(join(dirname(file), match[1].replace(/\.js$/, '.d.ts')));
  }
}

function* declarations(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (path.endsWith('.d.ts')) yield path;
  }
}
let removed = 0;
for (const file of declarations(join(repo, 'dist'))) {
  if (reached.has(file)) continue;
  rmSync(file);
  removed++;
}
console.log(`prune-declarations: kept ${reached.size} declaration files reached from the entry points, removed ${removed}`);
