/**
 * The layout as a rule, so it stays the one the README shows: lib/ is layered (a module imports
 * its own folder or a lower layer, never a higher one), kafkajs and cassandra-driver are each
 * loaded by one adapter, the project root is computed in one place, and shared test support
 * lives in tests/support/.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "../lib/core/resources.ts";

/** lib/'s folders, lowest layer first; a folder may import from its own layer or any below. */
const LAYERS: readonly (readonly string[])[] = [
  ["core"],
  ["pipeline"],
  ["kafka", "cassandra"],
  ["stream"],
  ["metrics", "report"],
  ["cli"],
];

interface Module {
  /** Path from the project root. */
  path: string;
  text: string;
  /** What it imports: project paths for relative specifiers, the bare specifier otherwise. */
  imports: string[];
}

async function modules(): Promise<Module[]> {
  const found: Module[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(PROJECT_ROOT, dir))) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "dist") {
        await walk(path);
      } else if (entry.isFile && path.endsWith(".ts")) {
        const text = await Deno.readTextFile(join(PROJECT_ROOT, path));
        const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map(([, spec]) =>
          spec.startsWith(".")
            ? relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(path), spec))
            : spec
        );
        found.push({ path, text, imports });
      }
    }
  };
  await walk("");
  return found;
}

const all = await modules();
const isTest = (path: string) => path.endsWith("_test.ts");
const layerOf = (path: string) => {
  const folder = path.match(/^lib\/([^/]+)\//)?.[1];
  return folder === undefined ? undefined : LAYERS.findIndex((layer) => layer.includes(folder));
};

function offenders(rule: (module: Module, target: string) => boolean): string[] {
  return all.flatMap((module) =>
    module.imports.filter((target) => rule(module, target)).map((t) => `${module.path} -> ${t}`)
  );
}

Deno.test("every folder of lib/ is in a layer", () => {
  const folders = new Set(all.map((m) => m.path.match(/^lib\/([^/]+)\//)?.[1]).filter(Boolean));
  for (const folder of folders) {
    assert.ok(LAYERS.some((layer) => layer.includes(folder!)), `lib/${folder} has no layer`);
  }
  assert.deepEqual(all.filter((m) => /^lib\/[^/]+\.ts$/.test(m.path)).map((m) => m.path), []);
});

Deno.test("lib/ imports sideways or down, never up, and never outside lib/", () => {
  assert.deepEqual(
    offenders((module, target) => {
      if (!module.path.startsWith("lib/") || isTest(module.path)) return false;
      if (!target.includes("/") || !/^(lib|commands|tests|scripts|bench|services)\b/.test(target)) {
        return target === "main.ts";
      }
      const from = layerOf(module.path)!;
      const to = layerOf(target);
      if (to === undefined) return true;
      const sameFolder = target.split("/")[1] === module.path.split("/")[1];
      // The two service adapters stay independent of each other.
      return to > from || (to === from && !sameFolder);
    }),
    [],
  );
});

/** Whether two files are halves of one command: `x.ts` (flags, help) and `x_run.ts` (the run). */
function sameCommand(a: string, b: string): boolean {
  const name = (path: string) => path.match(/^commands\/([a-z_]+?)(_run|_test)?\.ts$/)?.[1];
  return name(a) !== undefined && name(a) === name(b);
}

Deno.test("commands import lib/ only; nothing imports a command but main.ts and its tests", () => {
  assert.deepEqual(
    offenders((module, target) =>
      !sameCommand(module.path, target) &&
      ((module.path.startsWith("commands/") && !isTest(module.path) &&
        /^(commands|tests|scripts|bench|services)\//.test(target)) ||
        (target.startsWith("commands/") && module.path !== "main.ts"))
    ),
    [],
  );
});

Deno.test("outside tests/, only tests/support/ is imported; unit tests never import scripts/", () => {
  assert.deepEqual(
    offenders((module, target) =>
      (!module.path.startsWith("tests/") && target.startsWith("tests/") &&
        !target.startsWith("tests/support/")) ||
      isTest(target) ||
      (isTest(module.path) && /^(lib|commands)\//.test(module.path) &&
        target.startsWith("scripts/"))
    ),
    [],
  );
});

Deno.test("kafkajs is loaded only by lib/kafka/kafkajs.ts (after its patches), the driver only by lib/cassandra/, prom-client only by lib/metrics/registry.ts", () => {
  const kafkajs = /^(npm:)?kafkajs(@[^/]*)?$/;
  const driver = /^(npm:)?cassandra-driver(@[^/]*)?$/;
  const promClient = /^(npm:)?prom-client(@[^/]*)?$/;
  assert.deepEqual(
    offenders((module, target) =>
      (kafkajs.test(target) && module.path !== "lib/kafka/kafkajs.ts") ||
      (driver.test(target) && !isTest(module.path) && !module.path.startsWith("lib/cassandra/")) ||
      (promClient.test(target) && module.path !== "lib/metrics/registry.ts")
    ),
    [],
  );
});

Deno.test("the project root is computed in lib/core/resources.ts alone", () => {
  const computing = all.filter(({ text }) =>
    /import\.meta\.(url|dirname|filename)/.test(
      text.replace(/createRequire\(import\.meta\.url\)/g, ""),
    )
  ).map((module) => module.path);
  assert.deepEqual(computing, ["lib/core/resources.ts"]);
});
