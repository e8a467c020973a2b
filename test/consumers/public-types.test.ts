/**
 * The built declarations (dist/, as `npm test` builds them for the tarball) say what is public:
 * every type that a public signature names is itself exported from one of the package's entry
 * points, so a user can name it, and nothing marked internal is left in them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { repo } from './harness';

const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };
const entryFiles = Object.entries(manifest.exports)
  .filter(([, target]) => typeof target !== 'string' && target.types)
  .map(([path, target]) => [path, join(repo, (target as { types: string }).types)] as const);

let program: ts.Program;
let checker: ts.TypeChecker;

beforeAll(() => {
  program = ts.createProgram(
    entryFiles.map(([, file]) => file),
    { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: ['@webgpu/types'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] },
  );
  checker = program.getTypeChecker();
}, 120_000);

const inPackage = (declaration: ts.Declaration) => declaration.getSourceFile().fileName.startsWith(join(repo, 'dist'));

/** Named types declared by the package that a declaration's text refers to, followed through type aliases and members. */
function referencedTypes(root: ts.Node, seen: Set<ts.Symbol>): void {
  const visit = (node: ts.Node) => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      let symbol = checker.getSymbolAtLocation(name);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const declarations = symbol?.declarations ?? [];
      if (symbol && !seen.has(symbol) && declarations.some(inPackage) && !(symbol.flags & ts.SymbolFlags.TypeParameter)) {
        seen.add(symbol);
        for (const declaration of declarations.filter(inPackage)) referencedTypes(declaration, seen);
      }
    }
    // Private members are not part of the public surface.
    if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
    ts.forEachChild(node, visit);
  };
  visit(root);
}

describe('public declarations', () => {
  it('export every type that a public signature names', () => {
    const exported = new Set<ts.Symbol>();
    const reachable = new Set<ts.Symbol>();
    for (const [, file] of entryFiles) {
      const source = program.getSourceFile(file)!;
      const moduleSymbol = checker.getSymbolAtLocation(source)!;
      for (let symbol of checker.getExportsOfModule(moduleSymbol)) {
        if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        exported.add(symbol);
        // A namespace export (`cpu`) makes its members nameable too (`cpu.HostTensor`).
        if (symbol.flags & ts.SymbolFlags.ValueModule) for (const member of checker.getExportsOfModule(symbol)) exported.add(member.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(member) : member);
        for (const declaration of (symbol.declarations ?? []).filter(inPackage)) referencedTypes(declaration, reachable);
      }
    }
    const missing = [...reachable].filter((symbol) => !exported.has(symbol)).map((symbol) => `${symbol.name} (${symbol.declarations![0].getSourceFile().fileName.slice(repo.length + 1)})`);
    expect(reachable.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('hold no member marked internal', () => {
    for (const sourceFile of program.getSourceFiles().filter((f) => f.fileName.startsWith(join(repo, 'dist')))) {
      expect(sourceFile.text, sourceFile.fileName).not.toMatch(/@internal/);
    }
  });
});
