#!/usr/bin/env node
// Fails on a floating promise: an expression statement whose value is a promise that is neither awaited, returned,
// nor given a rejection handler. One such promise rejecting is an unhandled rejection — in the best case a lost
// effect, in the worst the end of the process. Uses the TypeScript 5 compiler API (the installed `tsc` has none) on
// the root tsconfig.json (the web pages have no database or provider calls), or another project's directory given
// as the argument.
//
// Handled, so allowed:  await p;  return p;  this.running = p;  p.catch(fn);  p.then(ok, fail);  void p.catch(fn);
// Floating, so refused: p;  void p;  p.then(ok);  p.finally(fn);   (p.catch(fn).finally(fn) is handled)
import ts from 'typescript5';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
]);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function findFloatingPromises(projectDir = root) {
  const configPath = ts.findConfigFile(projectDir, ts.sys.fileExists, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  const findings = [];

  const isThenable = (type) => {
    if (type.isUnion()) return type.types.some(isThenable);
    if (type.isIntersection() && type.types.some(isFastifyChain)) return false;
    if (isFastifyChain(type)) return false;
    const then = type.getProperty('then');
    if (!then) return false;
    const thenType = checker.getTypeOfSymbol(then);
    return thenType.getCallSignatures().length > 0;
  };

  /**
   * Fastify's reply and instance are thenables for chaining (`reply.code(404).send(…)`, `app.register(…)` queued
   * until ready/listen): neither is a promise whose rejection goes unseen.
   */
  const FASTIFY_CHAINS = new Set(['FastifyReply', 'FastifyInstance']);
  const isFastifyChain = (type) => FASTIFY_CHAINS.has((type.aliasSymbol ?? type.getSymbol())?.getName() ?? '');

  /** `x.catch(fn)` or `x.then(ok, fail)`: the chain ends in a rejection handler. */
  const handlesRejection = (expr) => {
    let e = expr;
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return false;
    const name = e.expression.name.text;
    if (name === 'finally') return handlesRejection(e.expression.expression); // p.catch(fn).finally(fn)
    return (name === 'catch' && e.arguments.length >= 1) || (name === 'then' && e.arguments.length >= 2);
  };

  const report = (sf, node, why) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    findings.push({
      file: relative(projectDir, sf.fileName),
      line: line + 1,
      column: character + 1,
      text: node.getText(sf).split('\n')[0].slice(0, 120),
      why,
    });
  };

  const check = (sf, expr, node) => {
    if (ts.isVoidExpression(expr)) {
      if (isThenable(checker.getTypeAtLocation(expr.expression)) && !handlesRejection(expr.expression))
        report(sf, node, 'voided promise without .catch');
      return;
    }
    if (ts.isAwaitExpression(expr) || handlesRejection(expr)) return;
    // Stored (`this.running = p`, `pending ??= p`): whoever holds it awaits it.
    if (ts.isBinaryExpression(expr) && ASSIGNMENTS.has(expr.operatorToken.kind)) return;
    if (isThenable(checker.getTypeAtLocation(expr))) report(sf, node, 'promise neither awaited nor caught');
  };

  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    const visit = (node) => {
      if (ts.isExpressionStatement(node)) check(sf, node.expression, node);
      // `() => p` where nothing uses the result is a statement in disguise: an arrow given as a void callback.
      if (ts.isArrowFunction(node) && !ts.isBlock(node.body) && ts.isVoidExpression(node.body))
        check(sf, node.body, node.body);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return findings;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const findings = findFloatingPromises(process.argv[2] ? resolve(process.argv[2]) : root);
  for (const f of findings) process.stderr.write(`${f.file}:${f.line}:${f.column}  ${f.why}: ${f.text}\n`);
  if (findings.length) {
    process.stderr.write(
      `${findings.length} floating promise(s): await them, return them, or end them with .catch(…).\n`,
    );
    process.exit(1);
  }
  process.stdout.write('No floating promises.\n');
}
