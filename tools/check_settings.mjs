// check_settings.mjs - the daemon's table of run settings against openapi.yaml.
//
//   node tools/check_settings.mjs openapi.yaml recorded.jsonl
//
// recorded.jsonl holds the responses of a test scenario (see
// tests/testutil.c); the answer of GET /v1/settings there is the table the
// daemon parses create and PATCH bodies with. Every setting must appear in
// the contract's create body, in a run's config and, when live, in the
// PATCH body, with the same type, range and spellings; every property of
// those schemas must be a setting (or one of the few keys that are not).
// TAP output, one line per check.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), "package.json"));
const YAML = require("yaml");

const [specFile, recFile] = process.argv.slice(2);
const spec = YAML.parse(fs.readFileSync(specFile, "utf8"));
const resolve = (obj) => {
  while (obj && obj.$ref) obj = obj.$ref.slice(2).split("/").reduce((o, k) => o[k], spec);
  return obj;
};

let settings = null;
for (const line of fs.readFileSync(recFile, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  if (r.method === "GET" && new URL(r.url).pathname === "/v1/settings" && r.status === 200)
    settings = JSON.parse(r.body).settings;
}

let n = 0, failed = 0;
const ok = (cond, what) => {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? "ok" : "not ok"} ${n} - ${what}`);
};
if (!settings) {
  console.log("Bail out! no GET /v1/settings answer was recorded");
  process.exit(1);
}

const createBody = resolve(spec.paths["/v1/runs"].post.requestBody.content["application/json"].schema);
const patchBody = resolve(spec.paths["/v1/runs/{id}"].patch.requestBody.content["application/json"].schema);
const runConfig = resolve(spec.components.schemas.Run).properties.config;
// Keys of the bodies that are not run settings (the evaluator is the
// service's, kept beside the run, not in the engine's configuration).
const evaluator = ["url", "batch", "concurrency", "timeout_s", "retries", "headers"]
  .map((k) => `evaluator.${k}`);
const notSettings = {
  create: ["name", "optimizer.preset", ...evaluator],
  patch: ["name", "state", "lr", "evaluator"],
};

// The schema at a dotted path of an object schema, or undefined.
const at = (schema, dotted) => {
  let s = resolve(schema);
  for (const key of dotted.split(".")) {
    s = s && s.properties ? resolve(s.properties[key]) : undefined;
  }
  return s;
};

// Every leaf property path of an object schema (objects with properties recurse).
const leaves = (schema, prefix = "") => {
  const s = resolve(schema);
  const out = [];
  for (const [k, v] of Object.entries(s.properties || {})) {
    const r = resolve(v);
    if (r && r.type === "object" && r.properties) out.push(...leaves(r, prefix + k + "."));
    else out.push(prefix + k);
  }
  return out;
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const typeOf = { integer: "integer", number: "number", boolean: "boolean", string: "string" };

// What the contract says of one setting, in the table's terms.
function describe(s) {
  if (!s) return null;
  const d = {};
  const range = (x) => {
    for (const [from, to] of [["minimum", "minimum"], ["exclusiveMinimum", "exclusive_minimum"],
                              ["maximum", "maximum"], ["exclusiveMaximum", "exclusive_maximum"]])
      if (x[from] !== undefined) d[to] = x[from];
  };
  // a set of coordinates is true/false or a list of indices; a box anything else
  const isArray = s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"));
  if (isArray && (resolve(s.items) || {}).type === "number") d.type = "point";
  else if (s.oneOf) d.type = s.oneOf.some((o) => resolve(o).type === "boolean") ? "coordinates" : "bounds";
  else if (Array.isArray(s.type) && same([...s.type].sort(), ["null", "number"])) {
    d.type = "number-or-null";
    range(s);
  } else if (s.type === "array") {
    const items = resolve(s.items) || {};
    d.type = items.type === "integer" ? "integer-list" : "string-list";
    range(items);
    if (items.enum) d.enum = items.enum;
  } else {
    d.type = typeOf[s.type];
    range(s);
    if (s.enum) d.enum = s.enum;
  }
  return d;
}

function fromTable(row) {
  const d = { type: row.type };
  for (const k of ["minimum", "exclusive_minimum", "maximum", "exclusive_maximum"])
    if (row[k] !== undefined) d[k] = row[k];
  if (row.enum) d.enum = row.enum;
  if (row.type === "bounds" || row.type === "coordinates") return { type: row.type };
  return d;
}

const names = new Set(settings.map((r) => r.name));
for (const row of settings) {
  const want = fromTable(row);
  const inCreate = describe(at(createBody, row.name));
  ok(same(inCreate, want), `${row.name}: create body ${JSON.stringify(inCreate)} = table ${JSON.stringify(want)}`);
  const inConfig = describe(at(runConfig, row.name));
  // the config shows the box as [[lo, hi], ...] or null, and a set of
  // coordinates as its indices, whatever form they came in
  const shown = { bounds: "bounds", coordinates: "integer-list" };
  ok(inConfig && (inConfig.type === want.type || (shown[want.type] &&
                  (want.type === "bounds" || inConfig.type === shown[want.type]))),
     `${row.name}: in a run's config as ${want.type}`);
  const inPatch = describe(at(patchBody, row.name));
  if (row.live) ok(same(inPatch, want), `${row.name}: live, PATCH body ${JSON.stringify(inPatch)} = table`);
  else ok(inPatch === null || inPatch === undefined, `${row.name}: not live, not in the PATCH body`);
  const top = !row.name.includes(".");
  if (top) ok((createBody.required || []).includes(row.name) === row.required,
              `${row.name}: required at create ${row.required}`);
}
for (const p of leaves(createBody))
  ok(names.has(p) || notSettings.create.includes(p), `create body's ${p} is a setting`);
for (const p of leaves(patchBody))
  ok((names.has(p) && settings.find((r) => r.name === p).live) || notSettings.patch.includes(p),
     `PATCH body's ${p} is a live setting`);
for (const p of leaves(runConfig))
  ok(names.has(p) || notSettings.create.includes(p), `a run config's ${p} is a setting`);

console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
