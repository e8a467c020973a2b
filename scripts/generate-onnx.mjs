#!/usr/bin/env node
// `npm run generate:onnx`: writes src/onnxruntime-web/proto/onnx_pb.ts from ONNX's onnx.proto (kept
// as published, beside it) with buf and protoc-gen-es. The schema's comments are left out of the
// generated code (they document ONNX, not this package, and would triple the declarations it ships);
// its licence header stays.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(repo, 'src', 'onnxruntime-web', 'proto');
const work = mkdtempSync(join(tmpdir(), 'argpool-onnx-proto-'));
try {
  const schema = readFileSync(join(protoDir, 'onnx.proto'), 'utf8');
  const withoutComments = schema
    .split('\n')
    .map((line) => (line.includes('SPDX-License-Identifier') ? line : line.replace(/\s*\/\/.*$/, '')))
    .filter((line, i, lines) => line.trim() !== '' || (i > 0 && lines[i - 1].trim() !== ''))
    .join('\n');
  writeFileSync(join(work, 'onnx.proto'), withoutComments);
  const template = {
    version: 'v2',
    inputs: [{ directory: work }],
    plugins: [{ local: join(repo, 'node_modules', '.bin', 'protoc-gen-es'), out: protoDir, opt: ['target=ts', 'import_extension=js'] }],
  };
  execFileSync(join(repo, 'node_modules', '.bin', 'buf'), ['generate', '--template', JSON.stringify(template)], { cwd: work, stdio: 'inherit' });
  console.log(`generate:onnx: wrote ${join('src', 'onnxruntime-web', 'proto', 'onnx_pb.ts')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
