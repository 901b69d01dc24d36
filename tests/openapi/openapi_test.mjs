// The OpenAPI document as its users meet it, against a live touchlined:
//   1. GET /v1/openapi.json is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator,
//      against the specification's own JSON Schemas);
//   2. every example request in it is sent (commands as dry runs where they have one, so that
//      one organisation serves them all), and every answer's status is one the operation
//      documents, and its body valid against that status's schema (Ajv, JSON Schema 2020-12,
//      OpenAPI 3.1's dialect); reads of a running organisation (every GET without a required
//      parameter it cannot fill, and the examples of checks and lookups) must answer 2xx.
// The router and the document are held together by tests/api/openapi_test.cc.
//
//   node openapi_test.mjs path/to/touchlined
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { startTouchlined } from "../support/touchlined.mjs";

const touchlined = process.argv[2];
if (!touchlined) {
  console.error("usage: node openapi_test.mjs path/to/touchlined");
  process.exit(2);
}
const OPERATOR_TOKEN = "openapi-test-operator-token";
const PASSWORD = "correct horse battery";
const failures = [];
const fail = (what) => {
  failures.push(what);
  console.error("FAIL " + what);
};


const { base, stop } = await startTouchlined(touchlined, OPERATOR_TOKEN);
try {
  await run();
} catch (e) {
  fail("the test itself: " + (e.stack || e));
} finally {
  stop();
}
if (failures.length > 0) {
  console.error(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log("ok");

async function request(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: (res.headers.get("content-type") || "").split(";")[0], text, json };
}

async function ok(method, path, options) {
  const r = await request(method, path, options);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}

async function run() {
  // 1. The document, by the specification's own schemas.
  const docAnswer = await request("GET", "/v1/openapi.json");
  if (docAnswer.status !== 200 || !docAnswer.json) throw new Error("GET /v1/openapi.json: " + docAnswer.status);
  const doc = docAnswer.json;
  const checked = await new Validator().validate(doc);
  if (!checked.valid) fail("the document is not valid OpenAPI: " + JSON.stringify(checked.errors).slice(0, 2000));
  if (doc.openapi !== "3.1.0") fail("openapi is " + doc.openapi);

  // 2. An organisation for the examples: a head coach and an athlete, assigned and consenting.
  const coach = await ok("POST", "/v1/commands/SignUp", {
    body: { email: "coach@openapi.test", password: PASSWORD, display_name: "Coach", membership_role: "coach", organization_name: "Examples" },
  });
  const athlete = await ok("POST", "/v1/commands/SignUp", {
    body: { email: "athlete@openapi.test", password: PASSWORD, display_name: "Athlete" },
  });
  const signIn = async (email) => (await ok("POST", "/v1/sessions", { body: { email, password: PASSWORD } })).token;
  const coachToken = await signIn("coach@openapi.test");
  const athleteToken = await signIn("athlete@openapi.test");
  const org = coach.organization_id;
  await ok("POST", "/v1/commands/AddMember", { token: coachToken, body: { organization_id: org, account_id: athlete.account_id, role: "athlete" } });
  await ok("POST", "/v1/commands/AcceptMembership", { token: athleteToken, body: { organization_id: org } });
  await ok("POST", "/v1/commands/AssignAthlete", {
    token: coachToken,
    body: { organization_id: org, athlete_id: athlete.account_id, coach_id: coach.account_id },
  });
  const consent = await ok("POST", "/v1/commands/GiveConsent", { token: athleteToken, body: { organization_id: org } });
  await ok("GET", `/v1/organizations/${org}?min_position=${consent.position}`, { token: coachToken });
  await ok("GET", `/v1/organizations/${org}/audit?limit=1&min_position=${consent.position}`, { token: coachToken });
  const ids = { org_example: org, acc_coach: coach.account_id, acc_athlete: athlete.account_id };
  const fill = (text) => text.replace(/\b(org_example|acc_coach|acc_athlete)\b/g, (id) => ids[id]);

  // 3. Every example, every read.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, "openapi.json");
  const pointer = (...parts) => parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
  const pathValues = { organization_id: org, account_id: coach.account_id, id: "athlete-coach" };
  const queryValues = { position: "1", from: "1" };
  // Reads this organisation's model does not give its head coach (only a club's staff see the
  // compliance dashboard): their refusal is the documented answer.
  const refusedHere = { "/v1/organizations/{organization_id}/compliance": 403 };
  let sent = 0;
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      const media = operation.requestBody?.content?.["application/json"];
      const isRead = method === "get";
      if (!isRead && !media?.example) continue;
      const responses = Object.values(operation.responses || {});
      if (responses.some((r) => r.content && r.content["text/event-stream"])) continue;  // a stream does not end
      let target = path.replace(/\{(\w+)\}/g, (_, name) => pathValues[name]);
      if (path.endsWith("/members/{account_id}/permissions")) target = target.replace(`/members/${coach.account_id}/`, `/members/${athlete.account_id}/`);
      const required = (operation.parameters || []).filter((p) => p.in === "query" && p.required);
      if (required.some((p) => !(p.name in queryValues))) {
        fail(`${where}: no value for its required query parameter`);
        continue;
      }
      const query = required.map((p) => `${p.name}=${queryValues[p.name]}`);
      const dryRun = (operation.parameters || []).some((p) => p.name === "dry_run");
      if (dryRun) query.push("dry_run=true");
      if (query.length > 0) target += "?" + query.join("&");
      const security = (operation.security || doc.security || [{}])[0] || {};
      const token = "operator" in security ? OPERATOR_TOKEN : "session" in security ? coachToken : undefined;
      const body = media?.example === undefined ? undefined : JSON.parse(fill(JSON.stringify(media.example)));
      const r = await request(method.toUpperCase(), target, { token, body });
      sent++;
      const documented = operation.responses[String(r.status)];
      if (!documented) {
        fail(`${where}: answered ${r.status}, which it does not document: ${r.text.slice(0, 300)}`);
        continue;
      }
      const resolved = documented.$ref ? doc.components.responses[documented.$ref.split("/").pop()] : documented;
      const content = resolved.content || {};
      if (!(r.contentType in content)) {
        fail(`${where}: ${r.status} came as ${r.contentType}, documented as ${Object.keys(content).join(", ")}`);
        continue;
      }
      if (isRead && (r.status < 200 || r.status > 299) && refusedHere[path] !== r.status) {
        fail(`${where}: a read of a running organisation answered ${r.status}: ${r.text.slice(0, 300)}`);
      }
      if (r.contentType !== "application/json" && r.contentType !== "application/problem+json") continue;
      const schemaPointer = documented.$ref
        ? "#/components/responses/" + pointer(documented.$ref.split("/").pop(), "content", r.contentType, "schema")
        : "#/paths/" + pointer(path, method, "responses", String(r.status), "content", r.contentType, "schema");
      const validate = ajv.getSchema("openapi.json" + schemaPointer) || ajv.compile({ $ref: "openapi.json" + schemaPointer });
      if (!validate(r.json)) {
        fail(`${where}: the ${r.status} answer breaks its schema: ${ajv.errorsText(validate.errors)}: ${r.text.slice(0, 300)}`);
      }
    }
  }
  console.log(`sent ${sent} example and read requests`);
  if (sent < 40) fail(`only ${sent} requests sent: the document lost its examples`);
}
