// The console in headless Chromium (Debian's chromium, driven by puppeteer-core), as a coach uses
// it against a live touchlined: open a role model's matrix, sign in, open their organisation and
// its members, run a check and read its reason, read and filter the audit log. Fails on any
// script error or anything the page's content security policy refused. Saves a screenshot.
//
//   node console_test.mjs path/to/touchlined screenshot.png
import puppeteer from "puppeteer-core";
import { startTouchlined } from "../support/touchlined.mjs";

const [touchlined, screenshot] = process.argv.slice(2);
if (!touchlined || !screenshot) {
  console.error("usage: node console_test.mjs path/to/touchlined screenshot.png");
  process.exit(2);
}
const CHROMIUM = process.env.TOUCHLINE_CHROMIUM || "/usr/bin/chromium";
const PASSWORD = "correct horse battery";


async function post(base, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const { base, stop } = await startTouchlined(touchlined, "console-test-operator");
let browser;
let failed = false;
try {
  // A head coach's organisation with one athlete, assigned and consenting.
  const coach = await post(base, "/v1/commands/SignUp",
    { email: "hana@example.com", password: PASSWORD, display_name: "Hana", membership_role: "coach", organization_name: "Harbour Runners" });
  const athlete = await post(base, "/v1/commands/SignUp", { email: "ada@example.com", password: PASSWORD, display_name: "Ada" });
  const token = async (email) => (await post(base, "/v1/sessions", { email, password: PASSWORD })).token;
  const coachToken = await token("hana@example.com");
  const athleteToken = await token("ada@example.com");
  const org = coach.organization_id;
  await post(base, "/v1/commands/AddMember", { organization_id: org, account_id: athlete.account_id, role: "athlete" }, coachToken);
  await post(base, "/v1/commands/AcceptMembership", { organization_id: org }, athleteToken);
  await post(base, "/v1/commands/AssignAthlete", { organization_id: org, athlete_id: athlete.account_id, coach_id: coach.account_id }, coachToken);
  const consent = await post(base, "/v1/commands/GiveConsent", { organization_id: org }, athleteToken);
  await fetch(`${base}/v1/organizations/${org}/audit?limit=1&min_position=${consent.position}`, { headers: { Authorization: "Bearer " + coachToken } });

  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  // Nothing but the page: no update checks, sync or other calls home a closed network refuses.
  "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const problems = [];
  page.on("pageerror", (e) => problems.push("script error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));

  await page.goto(base + "/console", { waitUntil: "networkidle0" });
  check((await page.title()) === "Touchline console", "the page's title");

  // A matrix, before signing in: the club model's.
  await page.select("#model-picker", "club");
  await page.waitForFunction(() => document.querySelector("#matrix caption")?.textContent.startsWith("Team or club"), { timeout: 10000 });
  const matrix = await page.$$eval("#matrix thead th", (ths) => ths.map((th) => th.textContent));
  check(matrix.includes("Owner") && matrix.includes("Safeguarding Officer"), "the club matrix's columns: " + matrix.join(", "));
  const rows = await page.$$eval("#matrix tbody tr", (trs) => trs.length);
  check(rows > 10, "the club matrix has its permissions: " + rows);

  // Every input and select has a label a screen reader reads.
  const unlabelled = await page.$$eval("input, select", (els) => els.filter((e) => !e.closest("label") && !e.labels?.length).length);
  check(unlabelled === 0, unlabelled + " unlabelled inputs");

  // Sign in and open the organisation.
  await page.type("#signin input[name=email]", "hana@example.com");
  await page.type("#signin input[name=password]", PASSWORD);
  await page.click("#signin button");
  await page.waitForSelector("body.signed-in", { timeout: 10000 });
  await page.type("#org-form input[name=organization_id]", org);
  await page.click("#org-form button");
  await page.waitForFunction(() => document.querySelectorAll("#member-list tbody tr").length === 2, { timeout: 10000 });
  const summary = await page.$eval("#org-summary", (p) => p.textContent);
  check(summary.includes("Harbour Runners"), "the organisation's summary: " + summary);

  // A member's effective permissions.
  await page.click(`#member-list button[aria-label="Permissions of ${athlete.account_id}"]`);
  await page.waitForSelector("#member-permissions table", { timeout: 10000 });

  // A check, and its reason.
  await page.select("#check-form select[name=subject]", coach.account_id);
  await page.select("#check-form select[name=permission]", "athletes.view_activities");
  await page.select("#check-form select[name=target]", athlete.account_id);
  await page.click("#check-form button");
  await page.waitForFunction(() => document.querySelector("#check-result")?.textContent.length > 0, { timeout: 10000 });
  const verdict = await page.$eval("#check-result", (p) => p.textContent);
  check(verdict.startsWith("Allowed: role head_coach"), "the check's verdict: " + verdict);

  // The audit log, then filtered to one category.
  await page.waitForFunction(() => document.querySelectorAll("#audit-list tbody tr").length >= 4, { timeout: 10000 });
  await page.select("#audit-form select[name=category]", "consent");
  await page.click("#audit-form button");
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-list tbody tr td:last-child")].every((td) => td.textContent === "consent")
    && document.querySelectorAll("#audit-list tbody tr").length >= 1, { timeout: 10000 });
  await page.select("#audit-form select[name=category]", "");
  await page.click("#audit-form button");
  await page.waitForFunction(() => document.querySelectorAll("#audit-list tbody tr").length >= 4, { timeout: 10000 });

  await page.screenshot({ path: screenshot, fullPage: true });
  check(problems.length === 0, "the page reported: " + problems.join("; "));
  console.log("ok: matrix, sign-in, members, permissions, check, audit; screenshot in " + screenshot);
} catch (e) {
  failed = true;
  console.error("FAIL " + (e.stack || e));
} finally {
  if (browser) await browser.close();
  stop();
}
process.exit(failed ? 1 : 0);
