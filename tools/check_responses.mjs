// check_responses.mjs - validate recorded HTTP responses against openapi.yaml.
//
//   node tools/check_responses.mjs openapi.yaml recorded.jsonl
//
// Each line of recorded.jsonl is {method, url, status, content_type, body}.
// The path is matched against the contract's path templates, the response
// object found for the status, and a JSON body validated against the schema
// of its media type (JSON Schema 2020-12, as OpenAPI 3.1 uses). TAP output:
// one line per distinct (method, template, status), failing on any record
// that does not fit.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), "package.json"));
const YAML = require("yaml");
const Ajv2020 = require("ajv/dist/2020").default;

const [specFile, recFile] = process.argv.slice(2);
const spec = YAML.parse(fs.readFileSync(specFile, "utf8"));
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(spec, "openapi");

const pointer = (p) => "/" + p.map((s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const resolve = (obj) => {
  while (obj && obj.$ref) {
    obj = obj.$ref.slice(2).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce((o, k) => o[k], spec);
  }
  return obj;
};

const templates = Object.keys(spec.paths).map((t) => ({
  t,
  re: new RegExp("^" + t.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
  literal: !t.includes("{"),
}));
// Literal templates win over placeholders (/v1/runs/import before /v1/runs/{id}).
templates.sort((a, b) => (b.literal - a.literal));

const results = new Map();
let records = 0;
for (const line of fs.readFileSync(recFile, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  records++;
  const urlPath = new URL(r.url).pathname;
  // HEAD is GET without a body (RFC 9110): its status and headers must fit GET's.
  const head = r.method === "HEAD";
  const method = head ? "get" : r.method.toLowerCase();
  const tpl = templates.find((x) => x.re.test(urlPath));
  const key = `${r.method} ${tpl ? tpl.t : urlPath} ${r.status}`;
  const problems = results.get(key) || [];
  results.set(key, problems);
  // An unknown path is a 404, or a 401 when API tokens hide it from strangers.
  const gate = spec["x-gate-responses"] || {};
  if (!tpl) {
    if (r.status !== 404 && r.status !== 401 && !gate[String(r.status)])
      problems.push("no such path in the contract");
    continue;
  }
  // The gate's answers (x-gate-responses) can come from any operation,
  // and a preflight (OPTIONS) is answered by the gate alone.
  const op = spec.paths[tpl.t][method] ||
    (gate[String(r.status)] && { responses: gate });
  if (!op) { if (r.status !== 405) problems.push("no such operation in the contract"); continue; }
  const status = op.responses[String(r.status)] || gate[String(r.status)];
  const resp = resolve(status);
  if (!resp) { problems.push(`status ${r.status} is not in the contract`); continue; }
  if (!resp.content) { if (r.body) problems.push("the contract declares no body"); continue; }
  const type = (r.content_type || "").split(";")[0].trim();
  const media = resp.content[type];
  if (!media) { problems.push(`content type '${type}' is not in the contract`); continue; }
  if (head || !type.includes("json")) continue;
  const base = status.$ref
    ? status.$ref.slice(2).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")).concat(["content", type, "schema"])
    : ["paths", tpl.t, method, "responses", String(r.status), "content", type, "schema"];
  const validate = ajv.getSchema("openapi#" + pointer(base));
  let body;
  try { body = JSON.parse(r.body); } catch { problems.push("body is not JSON"); continue; }
  if (!validate(body)) problems.push(ajv.errorsText(validate.errors).slice(0, 300));
}

let n = 0, failed = 0;
for (const [key, problems] of [...results.entries()].sort()) {
  n++;
  if (problems.length) { failed++; console.log(`not ok ${n} - ${key}`); console.log(`#   ${problems[0]}`); }
  else console.log(`ok ${n} - ${key} matches the contract`);
}
console.log(`# ${records} responses checked`);
console.log(`1..${n}`);
process.exit(failed || n === 0 ? 1 : 0);
