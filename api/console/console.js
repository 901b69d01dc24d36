// The Touchline console: one page over the public HTTP API (docs/API.md), no build step, no
// dependencies. Everything it shows is text set through textContent, never markup built from
// answers. The session token lives in sessionStorage, for this tab only.
"use strict";

const state = { token: sessionStorage.getItem("touchline.token") || "", account: sessionStorage.getItem("touchline.account") || "",
                organization: "", members: [], auditBefore: null };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    const why = answer.detail ? `${answer.detail} (${answer.code}${answer.request_id ? ", request " + answer.request_id : ""})` : `HTTP ${res.status}`;
    throw new Error(why);
  }
  return answer;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }

// A table of text cells; `cells` may hold strings or {text, className} or DOM nodes.
function table(caption, headers, rows) {
  const t = document.createElement("table");
  const c = t.createCaption();
  c.textContent = caption;
  const head = t.createTHead().insertRow();
  for (const h of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  const tbody = t.createTBody();
  for (const row of rows) {
    const tr = tbody.insertRow();
    row.forEach((cell, i) => {
      const td = i === 0 ? document.createElement("th") : document.createElement("td");
      if (i === 0) td.scope = "row";
      if (cell instanceof Node) td.appendChild(cell);
      else if (cell && typeof cell === "object") { td.textContent = cell.text; if (cell.className) td.className = cell.className; }
      else td.textContent = cell ?? "—";
      tr.appendChild(td);
    });
  }
  return t;
}

function replace(id, node) { $(id).replaceChildren(node); }

// Role models: no token needed.
async function loadModels() {
  const { role_models } = await api("GET", "/v1/role-models");
  const picker = $("model-picker");
  picker.replaceChildren(...role_models.map((m) => new Option(`${m.label} (${m.id})`, m.id, m.default, m.default)));
  picker.onchange = () => showModel(picker.value).catch(showError);
  await showModel(picker.value);
}

async function showModel(id) {
  const model = await api("GET", "/v1/role-models/" + encodeURIComponent(id));
  const roles = model.roles.map((r) => r.name);
  const rows = model.permissions.map((p) => [p.permission, ...roles.map((r) => {
    const scope = p.scopes[r];
    return scope ? { text: scope, className: "scope" } : { text: "—", className: "none" };
  })]);
  replace("matrix", table(`${model.label}, version ${model.version}: who holds what`, ["permission", ...model.roles.map((r) => r.label)], rows));
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const session = await api("POST", "/v1/sessions", { email: form.get("email"), password: form.get("password") });
  state.token = session.token;
  state.account = session.account_id;
  sessionStorage.setItem("touchline.token", state.token);
  sessionStorage.setItem("touchline.account", state.account);
  signedIn();
}

function signedIn() {
  document.body.classList.add("signed-in");
  $("who").textContent = "Signed in as " + state.account;
}

async function openOrganization(event) {
  event?.preventDefault();
  state.organization = new FormData($("org-form")).get("organization_id");
  const org = await api("GET", "/v1/organizations/" + encodeURIComponent(state.organization));
  $("org-summary").textContent = `${org.name}: ${org.role_model} version ${org.role_model_version}, ${org.tier} tier, ${org.members} members`;
  await Promise.all([loadMembers(), loadCatalogue()]);
  await loadAudit(true);
}

async function loadMembers() {
  let after = "";
  state.members = [];
  for (;;) {
    const page = await api("GET", `/v1/organizations/${encodeURIComponent(state.organization)}/members?limit=1000${after ? "&after=" + encodeURIComponent(after) : ""}`);
    state.members.push(...page.members);
    if (!page.next) break;
    after = page.next;
  }
  const rows = state.members.map((m) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Permissions";
    button.setAttribute("aria-label", "Permissions of " + m.account_id);
    button.onclick = () => showPermissions(m.account_id).catch(showError);
    return [m.account_id, m.role + (m.custom_role ? " (custom)" : ""), m.coach, m.deactivated ? "deactivated" : "active",
            m.consenting === undefined ? "—" : (m.consenting ? "yes" : "no"), button];
  });
  replace("member-list", table("Members", ["account", "role", "coach", "status", "consenting", ""], rows));
  for (const name of ["subject", "target"]) {
    const select = $("check-form").elements[name];
    const keep = name === "target" ? [new Option("(none)", "")] : [];
    select.replaceChildren(...keep, ...state.members.map((m) => new Option(`${m.account_id} (${m.role})`, m.account_id)));
  }
}

async function loadCatalogue() {
  const { permissions } = await api("GET", "/v1/permissions");
  $("check-form").elements.permission.replaceChildren(...permissions.map((p) => new Option(p.permission, p.permission)));
}

async function showPermissions(accountId) {
  const p = await api("GET", `/v1/organizations/${encodeURIComponent(state.organization)}/members/${encodeURIComponent(accountId)}/permissions`);
  const rows = p.permissions.map((x) => [x.permission, { text: x.scope, className: "scope" }]);
  replace("member-permissions", table(`${accountId}: ${p.role}${p.grants.length ? ", grants " + p.grants.join(", ") : ""}`, ["permission", "scope"], rows));
}

async function runCheck(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { organization_id: state.organization, subject: form.get("subject"), permission: form.get("permission") };
  if (form.get("target")) body.target = form.get("target");
  const answer = await api("POST", "/v1/check", body);
  const result = $("check-result");
  result.replaceChildren();
  const verdict = document.createElement("span");
  verdict.className = answer.allowed ? "allowed" : "denied";
  verdict.textContent = answer.allowed ? "Allowed" : "Denied";
  result.append(verdict, `: ${answer.reason} (at position ${answer.position})`);
}

async function loadAudit(fromTheTop) {
  if (fromTheTop) state.auditBefore = null;
  const form = new FormData($("audit-form"));
  const query = new URLSearchParams({ limit: "25" });
  for (const f of ["category", "actor", "subject", "since", "until"]) if (form.get(f)) query.set(f, form.get(f));
  if (state.auditBefore !== null) query.set("before", state.auditBefore);
  const page = await api("GET", `/v1/organizations/${encodeURIComponent(state.organization)}/audit?${query}`);
  const rows = page.entries.map((e) => [String(e.position), e.recorded_at, e.actor, e.action, e.subject, e.category]);
  replace("audit-list", table("Audit log, newest first", ["position", "recorded", "actor", "action", "subject", "category"], rows));
  state.auditBefore = page.next;
  $("audit-older").hidden = page.next === null || page.next === undefined;
}

function guarded(handler) {
  return (event) => { showError(null); handler(event).catch(showError); };
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin").addEventListener("submit", guarded(signIn));
  $("org-form").addEventListener("submit", guarded(openOrganization));
  $("check-form").addEventListener("submit", guarded(runCheck));
  $("audit-form").addEventListener("submit", guarded((e) => { e.preventDefault(); return loadAudit(true); }));
  $("audit-older").addEventListener("click", guarded(() => loadAudit(false)));
  if (state.token) signedIn();
  loadModels().catch(showError);
});
