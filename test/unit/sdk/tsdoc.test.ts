/** Every export of the SDK carries TSDoc with an @example (and so does every public method of its classes). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', '..', '..', 'functions', 'sdk');

function docOf(node: ts.Node, source: ts.SourceFile): string {
  return ts
    .getLeadingCommentRanges(source.text, node.getFullStart())
    ?.map((r) => source.text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .join('\n') ?? '';
}

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function undocumented(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(DIR, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const missing: string[] = [];
  const check = (node: ts.Node, name: string) => {
    if (!/@example/.test(docOf(node, source))) missing.push(`${file}: ${name}`);
  };
  for (const stmt of source.statements) {
    if (!isExported(stmt)) continue;
    if (ts.isClassDeclaration(stmt) || ts.isFunctionDeclaration(stmt) || ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) {
      const name = stmt.name?.text ?? '(anonymous)';
      check(stmt, name);
      if (ts.isClassDeclaration(stmt)) {
        for (const member of stmt.members) {
          const mods = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
          if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
          if ((ts.isMethodDeclaration(member) || ts.isGetAccessorDeclaration(member) || ts.isConstructorDeclaration(member)) && member.body) {
            const memberName = ts.isConstructorDeclaration(member) ? 'constructor' : member.name.getText(source);
            check(member, `${name}.${memberName}`);
          }
        }
      }
    } else if (ts.isVariableStatement(stmt)) {
      check(stmt, stmt.declarationList.declarations.map((d) => d.name.getText(source)).join(', '));
    }
  }
  return missing;
}

describe('SDK TSDoc', () => {
  it('documents every export and public method with an @example', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining(['client.ts', 'errors.ts', 'job-builder.ts', 'index.ts', 'types.ts', 'signer.ts']));
    expect(files.flatMap(undocumented)).toEqual([]);
  });
});
