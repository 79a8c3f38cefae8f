/**
 * `npm run check:cycles`: fails on any import cycle in src, between files (madge's own check) and
 * between modules — a folder under src/modules, src/oidc as a whole, any other folder of src, a
 * file at the top of src — because two modules that import each other have no owner of what they
 * share. A cycle is broken by moving the shared piece to its one owner (often src/modules/access or
 * a lower layer such as src/auth, src/mail, src/lib), not by a lazy import.
 *
 * `import type` is left out: it is erased (verbatimModuleSyntax), so it orders no module loading,
 * and the schema's table types (src/db/schema.ts importing each module's tables.ts) and the
 * services' context (src/context.ts) are typed that way on purpose. Tests and their fixtures are
 * left out too: nothing imports them.
 */
import madge from 'madge';

const TEST_FILE = /(\.test\.ts|\/test-world\.ts|\/test-fixtures\.ts)$/;

/** The module a file of src belongs to. */
function moduleOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'modules' && parts.length > 2) return `modules/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : file;
}

/** Strongly connected components with more than one member (Tarjan). */
function cyclesOf(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

const result = await madge('src', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } },
});

let failed = false;
const fileCycles = result.circular();
if (fileCycles.length) {
  failed = true;
  console.error(`${fileCycles.length} file cycle(s):`);
  for (const c of fileCycles) console.error(`  ${c.join(' > ')}`);
}

const edges = new Map<string, Set<string>>();
const because = new Map<string, string[]>();
for (const [file, deps] of Object.entries(result.obj())) {
  if (TEST_FILE.test(file)) continue;
  for (const dep of deps) {
    // Outside src (the test harness) is not a module of the product.
    if (dep.startsWith('..')) continue;
    const from = moduleOf(file);
    const to = moduleOf(dep);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
    const key = `${from} > ${to}`;
    because.set(key, [...(because.get(key) ?? []), `${file} -> ${dep}`]);
  }
}
const moduleCycles = cyclesOf(edges);
if (moduleCycles.length) {
  failed = true;
  console.error(`${moduleCycles.length} module cycle(s):`);
  for (const members of moduleCycles) {
    console.error(`  ${members.join(', ')}`);
    for (const from of members) {
      for (const to of members) {
        for (const why of because.get(`${from} > ${to}`) ?? []) console.error(`    ${why}`);
      }
    }
  }
}

if (failed) process.exit(1);
console.log(`No import cycles among ${Object.keys(result.obj()).length} files.`);
