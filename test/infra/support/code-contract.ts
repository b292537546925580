/**
 * What each Lambda handler's code can read and call, derived from the source with the TypeScript compiler:
 * starting at the handler's export, it follows every function, method and variable the code references inside
 * `functions/` (a call through a port interface such as `deps.store.getJob` continues in the AWS adapter that
 * implements it) and records the `ENV.*` names read and the AWS SDK commands built on the way.
 *
 * The result over-approximates per handler (a branch counts even if it rarely runs), never under-approximates
 * within `functions/`: exactly what a least-privilege grant must cover.
 * @module
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ENV } from '../../../functions/runtime/env-names';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FUNCTIONS = path.join(ROOT, 'functions') + path.sep;

/** Adapters that only the local stack wires (deps.ts picks them when `JOBX_SCHEDULER=table` or no bus is set). */
export const LOCAL_ONLY_CLASSES = new Set(['TableRetryScheduler', 'NoopPublisher']);

/** Resources a handler touches. */
export type Resource = 'jobsTable' | `jobsIndex:${string}` | 'resultsTable' | 'providerQueues' | 'schedules' | 'schedulerRole' | 'events';

/** One required permission. */
export interface Need {
  action: string;
  resource: Resource;
  /** Where in the code it comes from (`Class.method: Command`). */
  from: string;
}

/**
 * One function to analyse: a handler entry, and for a handler with a route table (`export const routes` of
 * `{ method, path, handler }`, the HTTP API) the routes this function serves. Two functions may run the same
 * entry and serve different routes (the API function and the wait function): each is analysed from the handler
 * through the routes it serves only.
 */
export interface HandlerTarget {
  /** The key of its contract in the result. */
  name: string;
  entry: string;
  /** Whether this function serves a route of the entry's route table; undefined: every route. */
  serves?: (method: string, path: string) => boolean;
}

/** What one handler reads and calls. */
export interface HandlerContract {
  entry: string;
  /** The routes of the entry's route table this function serves (`GET /jobs/{jobId}/result`); empty without a table. */
  routes: string[];
  /** `ENV` keys read (by name: `jobsTable`, …). */
  envKeys: Set<keyof typeof ENV>;
  needs: Need[];
}

/**
 * Which table a `TableName` expression names, per adapter class. An expression not listed fails the analysis,
 * so a new table reference must be mapped here (and granted) before the tests pass.
 */
const TABLE_EXPRESSIONS: Record<string, Record<string, 'jobsTable' | 'resultsTable'>> = {
  DynamoJobStore: { 'this.table': 'jobsTable', 'this.resultsTable': 'resultsTable' },
  DynamoResultStore: { 'this.opts.tableName': 'resultsTable' },
  DynamoStagedParts: { 'this.table': 'jobsTable' },
  DynamoTokens: { 'this.table': 'jobsTable' },
  DynamoInbox: { 'this.table': 'jobsTable' },
  DynamoJobList: { 'this.table': 'jobsTable' },
};

const DOCUMENT_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
};

/** Items of a TransactWriteItems request: each needs the permission of its kind. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** Commands that carry no data-plane permission of their own (their items do). */
const CONTAINER_COMMANDS = new Set(['TransactWriteCommand']);

let program: ts.Program | undefined;

function getProgram(entries: readonly string[]): ts.Program {
  if (!program) {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      noEmit: true,
      noLib: true,
      types: [],
      resolveJsonModule: true,
    };
    // Only jobx's own sources matter (symbols, not types): dependencies are read as empty modules, which keeps
    // the analysis to a couple of seconds. SDK commands are recognised by the module they are imported from.
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
      path.resolve(fileName).startsWith(FUNCTIONS) ? read(fileName, languageVersion, onError, shouldCreate) : ts.createSourceFile(fileName, 'export {};', languageVersion);
    program = ts.createProgram({ rootNames: entries.map((e) => path.join(ROOT, e)), options, host });
  }
  return program;
}

const inFunctions = (node: ts.Node) => {
  const file = node.getSourceFile().fileName;
  return path.resolve(file).startsWith(FUNCTIONS) && !file.endsWith('.d.ts');
};

function className(node: ts.Node): string | undefined {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if ((ts.isClassDeclaration(n) || ts.isClassExpression(n)) && n.name) return n.name.text;
  }
  return undefined;
}

function enclosingName(node: ts.Node): string {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if ((ts.isMethodDeclaration(n) || ts.isFunctionDeclaration(n)) && n.name) return `${className(n) ? `${className(n)}.` : ''}${n.name.getText()}`;
  }
  return path.relative(ROOT, node.getSourceFile().fileName);
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText() === name) return p.initializer;
  }
  return undefined;
}

/** The module an identifier is imported from, if it is an import. */
function importedFrom(expr: ts.Expression): string | undefined {
  if (!ts.isIdentifier(expr)) return undefined;
  for (const stmt of expr.getSourceFile().statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
    const named = stmt.importClause?.namedBindings;
    if (named && ts.isNamedImports(named) && named.elements.some((e) => e.name.text === expr.text)) return stmt.moduleSpecifier.text;
  }
  return undefined;
}

/** The `{ method, path }` of a route table element, when it is one. */
function routeOf(node: ts.Node): { method: string; path: string } | undefined {
  if (!ts.isObjectLiteralExpression(node)) return undefined;
  const method = property(node, 'method');
  const routePath = property(node, 'path');
  if (!method || !routePath || !ts.isStringLiteral(method) || !ts.isStringLiteral(routePath)) return undefined;
  return { method: method.text, path: routePath.text };
}

/**
 * Analyses the handlers (paths relative to the repository root; each exports `handler`), keyed by entry; a
 * {@link HandlerTarget} is keyed by its name and follows only the routes it serves.
 */
export function analyseHandlers(targets: ReadonlyArray<string | HandlerTarget>): Map<string, HandlerContract> {
  const normalised = targets.map((t): HandlerTarget => (typeof t === 'string' ? { name: t, entry: t } : t));
  const entries = [...new Set(normalised.map((t) => t.entry))];
  const prog = getProgram(entries);
  const checker = prog.getTypeChecker();

  // Port interface member → the AWS adapter methods that implement it.
  const implementations = new Map<string, ts.Declaration[]>();
  for (const file of prog.getSourceFiles()) {
    if (!inFunctions(file) || !file.fileName.includes(`${path.sep}adapters${path.sep}`)) continue;
    file.forEachChild(function visit(node) {
      if (ts.isClassDeclaration(node) && node.name && !LOCAL_ONLY_CLASSES.has(node.name.text)) {
        const interfaces = (node.heritageClauses ?? []).filter((h) => h.token === ts.SyntaxKind.ImplementsKeyword).flatMap((h) => h.types.map((t) => t.expression.getText()));
        for (const member of node.members) {
          if (!member.name) continue;
          for (const i of interfaces) {
            const key = `${i}.${member.name.getText()}`;
            implementations.set(key, [...(implementations.get(key) ?? []), member]);
          }
        }
      }
      node.forEachChild(visit);
    });
  }

  const envSymbol = (() => {
    const file = prog.getSourceFile(path.join(FUNCTIONS, 'runtime', 'env-names.ts'));
    if (!file) throw new Error('env-names.ts not in the program');
    const decl = file.statements.find((s): s is ts.VariableStatement => ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => d.name.getText() === 'ENV'));
    return decl ? checker.getSymbolAtLocation(decl.declarationList.declarations[0]!.name) : undefined;
  })();

  const result = new Map<string, HandlerContract>();
  for (const { name, entry, serves } of normalised) {
    const file = prog.getSourceFile(path.join(ROOT, entry));
    if (!file) throw new Error(`${entry} not in the program`);
    const contract: HandlerContract = { entry, routes: [], envKeys: new Set(), needs: [] };
    // The entry's route table: each element is followed only when this function serves its route.
    const table = file.statements
      .filter(ts.isVariableStatement)
      .flatMap((s) => [...s.declarationList.declarations])
      .find((d) => d.name.getText() === 'routes' && d.initializer && ts.isArrayLiteralExpression(d.initializer))?.initializer as ts.ArrayLiteralExpression | undefined;
    if (serves && !table) throw new Error(`${name}: ${entry} has no route table (export const routes = [...])`);
    const visited = new Set<ts.Node>();
    const queue: ts.Node[] = [];

    const enqueue = (decl: ts.Declaration | undefined) => {
      if (!decl || visited.has(decl) || !inFunctions(decl)) return;
      const owner = className(decl);
      if (owner && LOCAL_ONLY_CLASSES.has(owner)) return;
      if (ts.isMethodSignature(decl) || ts.isPropertySignature(decl)) {
        const iface = decl.parent;
        if (ts.isInterfaceDeclaration(iface)) for (const impl of implementations.get(`${iface.name.text}.${decl.name.getText()}`) ?? []) enqueue(impl);
        return;
      }
      if (ts.isClassDeclaration(decl)) {
        // Building an object runs its constructor (and field initializers), not its methods.
        for (const m of decl.members) if (ts.isConstructorDeclaration(m) || (ts.isPropertyDeclaration(m) && m.initializer)) enqueue(m);
        return;
      }
      if (
        ts.isFunctionDeclaration(decl) ||
        ts.isMethodDeclaration(decl) ||
        ts.isVariableDeclaration(decl) ||
        ts.isConstructorDeclaration(decl) ||
        ts.isPropertyDeclaration(decl) ||
        ts.isGetAccessorDeclaration(decl) ||
        ts.isArrowFunction(decl) ||
        ts.isFunctionExpression(decl)
      ) {
        visited.add(decl);
        queue.push(decl);
      }
    };

    const follow = (symbol: ts.Symbol | undefined) => {
      if (!symbol) return;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      for (const d of target.declarations ?? []) enqueue(d);
    };

    const recordTable = (kind: string, action: string, tableExpr: ts.Expression | undefined, indexExpr: ts.Expression | undefined, at: ts.Node) => {
      const owner = className(at) ?? '?';
      const text = tableExpr?.getText() ?? '<none>';
      const table = TABLE_EXPRESSIONS[owner]?.[text];
      if (!table) throw new Error(`${enclosingName(at)}: ${kind} names table \`${text}\`; map it in TABLE_EXPRESSIONS`);
      let resource: Resource = table;
      if (indexExpr) {
        const type = checker.getTypeAtLocation(indexExpr);
        if (!type.isStringLiteral()) throw new Error(`${enclosingName(at)}: IndexName is not a constant`);
        if (table !== 'jobsTable') throw new Error(`${enclosingName(at)}: index on ${table}`);
        resource = `jobsIndex:${type.value}`;
      }
      contract.needs.push({ action, resource, from: `${enclosingName(at)}: ${kind}` });
    };

    const onCommand = (node: ts.NewExpression) => {
      const name = node.expression.getText();
      const arg = node.arguments?.[0];
      const obj = arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
      const from = `${enclosingName(node)}: ${name}`;
      if (CONTAINER_COMMANDS.has(name)) return;
      // SendMessageBatch is authorized by sqs:SendMessage (IAM has no action of its own for it).
      if (name === 'SendMessageCommand' || name === 'SendMessageBatchCommand') return void contract.needs.push({ action: 'sqs:SendMessage', resource: 'providerQueues', from });
      if (name === 'GetQueueAttributesCommand') return void contract.needs.push({ action: 'sqs:GetQueueAttributes', resource: 'providerQueues', from });
      if (name === 'CreateScheduleCommand') {
        contract.needs.push({ action: 'scheduler:CreateSchedule', resource: 'schedules', from });
        contract.needs.push({ action: 'iam:PassRole', resource: 'schedulerRole', from: `${from} (Target.RoleArn)` });
        return;
      }
      if (name === 'PutEventsCommand') return void contract.needs.push({ action: 'events:PutEvents', resource: 'events', from });
      const action = DOCUMENT_ACTIONS[name];
      if (!action) throw new Error(`${from}: no IAM mapping for ${name}; add it to code-contract.ts`);
      if (!obj) throw new Error(`${from}: the command input is not an object literal`);
      const requestItems = property(obj, 'RequestItems');
      if (requestItems) {
        if (!ts.isObjectLiteralExpression(requestItems)) throw new Error(`${from}: RequestItems is not an object literal`);
        for (const p of requestItems.properties) {
          const key = p.name && ts.isComputedPropertyName(p.name) ? p.name.expression : undefined;
          recordTable(name, action, key, undefined, node);
        }
        return;
      }
      recordTable(name, action, property(obj, 'TableName'), property(obj, 'IndexName'), node);
    };

    const walk = (node: ts.Node): void => {
      if (table && node.parent === table) {
        const route = routeOf(node);
        if (!route) throw new Error(`${entry}: a route table element without a literal method and path`);
        if (serves && !serves(route.method, route.path)) return;
        contract.routes.push(`${route.method} ${route.path}`);
      }
      if (ts.isNewExpression(node) && /Command$/.test(node.expression.getText()) && importedFrom(node.expression)?.startsWith('@aws-sdk/')) onCommand(node);
      if (ts.isPropertyAssignment(node) && TRANSACT_ITEM_ACTIONS[node.name.getText()] && ts.isObjectLiteralExpression(node.initializer)) {
        const table = property(node.initializer, 'TableName');
        if (table) recordTable(`TransactWriteItems ${node.name.getText()}`, TRANSACT_ITEM_ACTIONS[node.name.getText()]!, table, undefined, node);
      }
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && envSymbol) {
        const s = checker.getSymbolAtLocation(node.expression);
        const target = s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        if (target === envSymbol) {
          const key = node.name.text as keyof typeof ENV;
          if (!(key in ENV)) throw new Error(`${enclosingName(node)}: ENV.${key} is not in env-names.ts`);
          contract.envKeys.add(key);
        }
      }
      if (ts.isIdentifier(node)) {
        const parent = node.parent;
        if (parent && ts.isShorthandPropertyAssignment(parent) && parent.name === node) follow(checker.getShorthandAssignmentValueSymbol(parent));
        else follow(checker.getSymbolAtLocation(node));
      }
      node.forEachChild(walk);
    };

    const handler = file.statements
      .filter(ts.isVariableStatement)
      .flatMap((s) => [...s.declarationList.declarations])
      .find((d) => d.name.getText() === 'handler');
    if (!handler) throw new Error(`${entry} exports no handler`);
    enqueue(handler);
    while (queue.length > 0) walk(queue.shift()!);
    if (serves && contract.routes.length === 0) throw new Error(`${name}: serves no route of ${entry}`);
    result.set(name, contract);
  }
  return result;
}

/** Actions by resource, sorted and de-duplicated. */
export function actionsByResource(needs: readonly Need[]): Map<Resource, string[]> {
  const out = new Map<Resource, Set<string>>();
  for (const n of needs) out.set(n.resource, (out.get(n.resource) ?? new Set()).add(n.action));
  return new Map([...out].map(([r, s]) => [r, [...s].sort()]));
}
