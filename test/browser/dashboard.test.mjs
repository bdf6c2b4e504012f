// The dashboard in a real browser: Debian's chromium, headless, driven by
// puppeteer-core, against a real daemon, proxy and Swarm that
// test/e2e/dashboard_test.cc set up and describe in the environment:
//   BASE_URL      the dashboard through the proxy (http://mothership.localhost:PORT/)
//   LINK          a one-time sign-in link of the developer `dev`
//   ADMIN_TOKEN   an admin's API token; OTHER_TOKEN: the token of `other`, a
//                 member of other-app only
//   APP, SCRATCH  the names of the app it makes and deploys, and of one it
//                 makes and destroys; OTHER_APP: other's app
//   SOURCE_DIR    a folder holding an app's source (deployed from the page)
//   HTTP_PORT     the proxy's http port (apps answer as APP.localhost there)
//   SCREENSHOTS   where each page's screenshots go (desktop and phone sizes)
// Prints one line per step and the figures (first load's bytes, each page's
// time to interactive); exits non-zero at the first step that fails.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import puppeteer from "puppeteer-core";

const env = process.env;
const BASE = env.BASE_URL.replace(/\/$/, "");
const shots = env.SCREENSHOTS;
const APP = env.APP, SCRATCH = env.SCRATCH, OTHER_APP = env.OTHER_APP;
const figures = {pages_ms: {}};
let failures = 0;

function check(ok, what) {
  if (!ok) throw new Error("check failed: " + what);
}
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failures++;
    console.log(`FAILED - ${name}: ${err.stack || err}`);
    // What the pages showed.
    for (const open of await browser.pages()) {
      const shown = await open.evaluate(() => location.href + "\n" + document.body.innerText).catch((e) => String(e));
      console.log(`--- the page showed:\n${shown.slice(-3000)}\n---`);
    }
    throw err;
  }
}
async function poll(what, fn, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
// GET http://127.0.0.1:HTTP_PORT/ with Host: APP.localhost (Node does not resolve *.localhost).
function appAnswer(app, urlPath = "/") {
  return new Promise((resolve) => {
    const req = http.get({host: "127.0.0.1", port: Number(env.HTTP_PORT), path: urlPath, headers: {Host: `${app}.localhost`}, timeout: 5000}, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({status: res.statusCode, body}));
    });
    req.on("error", (err) => resolve({status: 0, body: String(err)}));
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}
// A request to the dashboard's origin from outside the browser (the CSRF check).
function request(method, urlPath, headers, body) {
  const url = new URL(BASE + urlPath);
  return new Promise((resolve, reject) => {
    const req = http.request({host: "127.0.0.1", port: url.port, path: url.pathname, method, headers: {Host: url.host, ...headers}}, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({status: res.statusCode, text}));
    });
    req.on("error", reject);
    req.end(body);
  });
}
async function shot(page, name) {
  fs.mkdirSync(shots, {recursive: true});
  await page.setViewport({width: 1280, height: 860});
  await page.screenshot({path: path.join(shots, `${name}-desktop.png`), fullPage: true});
  // (Not isMobile: changing it makes puppeteer reload the page.)
  await page.setViewport({width: 375, height: 800});
  await new Promise((r) => setTimeout(r, 50));  // (one frame to lay out at the new size)
  await page.screenshot({path: path.join(shots, `${name}-phone.png`), fullPage: true});
  await page.setViewport({width: 1280, height: 860});
}
const text = (page, selector) => page.$eval(selector, (n) => n.textContent);
// Goes to a page of the dashboard; records how long the page took to be
// drawn and usable (its "route #/..." Performance measure: from the address's
// change to the page's last element).
async function visit(page, hash, selector, name) {
  await page.evaluate((h) => {
    performance.clearMeasures();
    if (location.hash === h) dispatchEvent(new HashChangeEvent("hashchange"));  // (the same address: drawn again)
    else location.hash = h;
  }, hash);
  await page.waitForSelector(selector, {visible: true, timeout: 30000});
  const ms = await page.waitForFunction((h) => performance.getEntriesByName("route " + h).at(-1)?.duration, {}, hash);
  if (name) figures.pages_ms[name] = Math.round(await ms.jsonValue());
}

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  protocolTimeout: 900000,  // (a wait for a build spans one protocol call)
});
try {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 860});
  page.on("dialog", (d) => d.accept());
  const consoleErrors = [];
  page.on("pageerror", (err) => consoleErrors.push(String(err)));

  await step("sign in with a one-time link: the apps page, its first load under 150 KB", async () => {
    await page.goto(env.LINK, {waitUntil: "load"});
    await page.waitForSelector(".apps table", {visible: true});
    await page.waitForFunction(() => performance.getEntriesByType("measure").length > 0);
    const load = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const bytes = nav.transferSize + performance.getEntriesByType("resource").reduce((n, r) => n + r.transferSize, 0);
      const first = performance.getEntriesByType("measure").find((m) => m.name.startsWith("route "));
      return {bytes, interactive_ms: Math.round(first.startTime + first.duration)};
    });
    figures.first_load_bytes = load.bytes;
    figures.first_load_interactive_ms = load.interactive_ms;
    check(load.bytes > 0 && load.bytes < 150 * 1024, `first load ${load.bytes} bytes < 150 KB`);
    // Again, signed in, as a person who opens it each day (the files cached).
    await page.reload({waitUntil: "load"});
    await page.waitForSelector(".apps table", {visible: true});
    await page.waitForFunction(() => performance.getEntriesByType("measure").length > 0);
    figures.reload_interactive_ms = await page.evaluate(() => {
      const first = performance.getEntriesByType("measure")[0];
      return Math.round(first.startTime + first.duration);
    });
    check(!page.url().includes("code="), "the link's code is dropped from the address bar");
    const cookie = (await page.cookies()).find((c) => c.name === "mothership_session");
    check(cookie && cookie.secure && cookie.httpOnly && cookie.sameSite === "Strict", "the session cookie is Secure, HttpOnly, SameSite=Strict: " + JSON.stringify(cookie));
    check((await text(page, "#who")).includes("dev"), "signed in as dev");
    // The link works once.
    const again = await browser.createBrowserContext();
    const p2 = await again.newPage();
    await p2.goto(env.LINK, {waitUntil: "load"});
    await p2.waitForSelector(".signin .error", {visible: true});
    check((await text(p2, ".signin .error")).includes("used already"), "a used link says so");
    await again.close();
  });

  await step("a change without the session's CSRF token is refused", async () => {
    const cookie = (await page.cookies()).find((c) => c.name === "mothership_session");
    const r = await request("POST", "/api/v1/apps", {Cookie: `mothership_session=${cookie.value}`, "Content-Type": "application/json"}, JSON.stringify({name: "csrf-victim"}));
    check(r.status === 403 && r.text.includes("CSRF"), `403 without X-CSRF-Token (got ${r.status} ${r.text})`);
    const list = await request("GET", "/api/v1/apps", {Cookie: `mothership_session=${cookie.value}`});
    check(list.status === 200 && !list.text.includes("csrf-victim"), "no app was made");
  });

  await step("create an app from the page", async () => {
    await shot(page, "apps");
    await page.type("#new-app", APP);
    await page.click(".apps ~ .card button[type=submit]");
    await page.waitForSelector("#deploy-folder", {visible: true});
    check(page.url().endsWith(`#/apps/${APP}/deploy`), "lands on the new app's deploy tab");
  });

  await step("deploy a folder from the page: the build streams, the page lands on the new release, the app answers through the proxy", async () => {
    const input = await page.$("#deploy-folder");
    await input.uploadFile(env.SOURCE_DIR);
    // (The browser lists a chosen folder's files after the call returns.)
    await page.waitForFunction(() => document.querySelector("#deploy-folder").files.length > 0, {timeout: 30000, polling: 100});
    const count = await page.$eval("#deploy-folder", (n) => n.files.length);
    check(count >= 2, `the folder's files are picked (${count})`);
    await page.click("#deploy-folder-go");
    await page.waitForFunction(() => (document.querySelector("#deploy-output")?.textContent || "").includes("Build #"), {timeout: 60000, polling: 250});
    await page.waitForFunction(() => (document.querySelector("#deploy-output")?.textContent || "").split("\n").length > 8, {timeout: 120000, polling: 250});
    await shot(page, "deploy");
    const progress = setInterval(async () => {
      const shown = await page.evaluate(() => location.hash + " " + (document.querySelector("#deploy-output")?.textContent || "").slice(-300)).catch(() => "");
      console.log(`  (deploying: ${shown.replace(/\n/g, " | ")})`);
    }, 30000);
    await page.waitForFunction((app) => new RegExp(`#/apps/${app}/releases/\\d+$`).test(location.hash) || document.querySelector("#tab .error"), {timeout: 420000, polling: 250}, APP)
      .finally(() => clearInterval(progress));
    const error = await page.$("#tab .error");
    check(!error, "the build succeeded: " + (error ? await text(page, "#tab .error") : ""));
    await page.waitForSelector(".notice", {visible: true});
    check((await text(page, ".notice")).match(/Released v1\./), "the page shows the new release v1");
    const answer = await poll("the app to answer through the proxy", async () => {
      const r = await appAnswer(APP);
      return r.status === 200 && r.body.includes("Hello from Mothership") && r;
    }, 120);
    check(answer.body.startsWith("Hello from Mothership!"), "the app's answer");
  });

  await step("change a config var and see the new release", async () => {
    await visit(page, `#/apps/${APP}/config`, "#config-key", "config");
    await page.type("#config-key", "GREETING");
    await page.type("#config-value", "Hi from the dashboard");
    await page.click("#tab form button[type=submit]");
    await page.waitForFunction(() => (document.querySelector("#tab .notice")?.textContent || "").includes("Released v2."), {timeout: 180000, polling: 250});
    check((await text(page, "#tab td.value")).includes("••••"), "values are hidden");
    await page.click('[data-show="GREETING"]');
    check((await text(page, "#tab td.value")) === "Hi from the dashboard", "a value shows when asked");
    await shot(page, "config");
    await poll("the new greeting through the proxy", async () => (await appAnswer(APP)).body.startsWith("Hi from the dashboard!"), 120);
  });

  const logs = await browser.newPage();  // a second tab, on the same session
  await step("follow live logs", async () => {
    await logs.setViewport({width: 1280, height: 860});
    await logs.goto(`${BASE}/#/apps/${APP}/logs`, {waitUntil: "load"});
    await logs.waitForFunction(() => (document.querySelector("#log-lines")?.textContent || "").includes("listening"), {timeout: 60000, polling: 250});
    // The first tab in front again (a tab behind gets no animation frames,
    // which puppeteer's waits use); the logs tab is read by timed polls.
    await page.bringToFront();
  });

  await step("scale from the page; the new process's log line arrives live", async () => {
    const before = (await text(logs, "#log-lines")).split("hello-node listening").length;
    await visit(page, `#/apps/${APP}/processes`, '[data-scale="web"]', "processes");
    const field = await page.$('input[data-type="web"]');
    await field.click({clickCount: 3});
    await field.type("2");
    await page.click('[data-scale="web"]');
    await page.waitForFunction(() => (document.querySelector("#tab .notice")?.textContent || "").includes("Scaled web to 2"), {timeout: 180000, polling: 250});
    await poll("2 of 2 web processes", async () => {
      await visit(page, `#/apps/${APP}/releases`, "#tab table");
      await visit(page, `#/apps/${APP}/processes`, '[data-scale="web"]');
      return (await text(page, "#tab table")).includes("2 of 2");
    }, 120);
    await shot(page, "processes");
    await logs.waitForFunction((n) => document.querySelector("#log-lines").textContent.split("hello-node listening").length > n, {timeout: 60000, polling: 250}, before);
    await logs.bringToFront();
    await shot(logs, "logs");
    await logs.close();
    await page.bringToFront();
  });

  await step("roll back from the page", async () => {
    await visit(page, `#/apps/${APP}/releases`, '[data-rollback="1"]', "releases");
    await shot(page, "releases");
    await page.click('[data-rollback="1"]');
    await page.waitForFunction((app) => location.hash === `#/apps/${app}/releases/3`, {timeout: 180000, polling: 250}, APP);
    await page.waitForSelector("#tab .notice", {visible: true});
    check((await text(page, "#tab table")).includes("Rollback to v1") || (await text(page, "#tab table")).toLowerCase().includes("rollback"), "v3 is the rollback");
    await poll("v1's greeting again through the proxy", async () => (await appAnswer(APP)).body.startsWith("Hello from Mothership!"), 120);
  });

  await step("type a command in the terminal and see its output", async () => {
    await visit(page, `#/apps/${APP}/terminal`, "#terminal-command", "terminal");
    await page.click("#tab form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#terminal").textContent.length > 12, {timeout: 60000, polling: 250});
    await page.focus("#terminal");
    await page.keyboard.type("echo hello-$((6*7))\n");
    await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("hello-42"), {timeout: 60000, polling: 250});
    await shot(page, "terminal");
    await page.keyboard.type("exit\n");
    await page.waitForFunction(() => document.querySelector("#terminal").textContent.includes("[exited with status 0]"), {timeout: 60000, polling: 250});
  });

  await step("the build history with its output, and the other tabs", async () => {
    await visit(page, `#/apps/${APP}/builds`, "#tab table a", "builds");
    check((await text(page, "#tab table")).includes("succeeded"), "build #1 succeeded");
    await shot(page, "builds");
    await page.click("#tab table a");
    await page.waitForFunction(() => (document.querySelector("#build-output")?.textContent || "").length > 100, {timeout: 30000, polling: 250});
    await shot(page, "build-output");
    await visit(page, `#/apps/${APP}/domains`, "#domain", "domains");
    await shot(page, "domains");
    await visit(page, `#/apps/${APP}/access`, "#member", "members");
    check((await text(page, "#tab table")).includes("dev"), "dev owns the app");
    await shot(page, "members");
    await visit(page, `#/apps/${APP}/settings`, "#destroy-confirm", "settings");
    await visit(page, "#/tokens", "h1", "tokens");
    await visit(page, "#/", ".apps table", "apps");
    check((await text(page, ".apps")).includes(APP), "the list shows the app");
    await page.waitForFunction(() => document.querySelector(".apps").textContent.includes("running"), {timeout: 30000, polling: 250});
    await shot(page, "apps");
  });

  await step("destroy an app by typing its name", async () => {
    await visit(page, "#/", "#new-app");
    await page.type("#new-app", SCRATCH);
    await page.click(".apps ~ .card button[type=submit]");
    await page.waitForSelector("#deploy-folder", {visible: true});
    await visit(page, `#/apps/${SCRATCH}/settings`, "#destroy-confirm");
    await page.type("#destroy-confirm", SCRATCH.slice(0, -1));
    await page.click("#tab form button[type=submit]");
    await page.waitForSelector("#tab .error", {visible: true});
    check((await text(page, "#tab .error")).includes(`Type ${SCRATCH} to confirm`), "a wrong name is refused");
    await shot(page, "settings");
    await page.type("#destroy-confirm", SCRATCH.slice(-1));
    await page.click("#tab form button[type=submit]");
    await page.waitForSelector(".apps table", {visible: true, timeout: 120000});
    await page.waitForFunction((name) => !document.querySelector(".apps").textContent.includes(name), {timeout: 120000, polling: 250}, SCRATCH);
  });

  await step("an admin sees the nodes and what runs where, and the keys", async () => {
    const ctx = await browser.createBrowserContext();
    const admin = await ctx.newPage();
    await admin.setViewport({width: 1280, height: 860});
    await admin.goto(BASE + "/", {waitUntil: "load"});
    await admin.waitForSelector("#token", {visible: true});
    await shot(admin, "sign-in");
    await admin.type("#token", env.ADMIN_TOKEN);
    await admin.click(".signin button");
    await admin.waitForSelector(".apps table", {visible: true});
    await visit(admin, "#/admin/nodes", "main .card h2", "nodes");
    await admin.waitForFunction((app) => document.querySelector("main").textContent.includes(`${app}-web`), {timeout: 30000, polling: 250}, APP);
    await shot(admin, "nodes");
    await visit(admin, "#/admin/keys", "main table", "keys");
    check((await text(admin, "main table")).includes("other"), "the keys list names other");
    await shot(admin, "keys");
    await ctx.close();
  });

  await step("a member of one app never sees another's; revoking the token ends the session", async () => {
    const ctx = await browser.createBrowserContext();
    const other = await ctx.newPage();
    await other.goto(BASE + "/", {waitUntil: "load"});
    await other.waitForSelector("#token", {visible: true});
    await other.type("#token", env.OTHER_TOKEN);
    await other.click(".signin button");
    await other.waitForSelector(".apps table", {visible: true});
    const apps = await text(other, ".apps table");
    check(apps.includes(OTHER_APP) && !apps.includes(APP), `other sees only ${OTHER_APP}: ${apps}`);
    check(!(await other.$('a[href="#/admin/nodes"]')), "no admin pages for a developer");
    await other.evaluate((app) => { location.hash = `#/apps/${app}/config`; }, APP);
    await other.waitForSelector("main .error", {visible: true});
    check(/no app|not found|does not exist/i.test(await text(other, "main .error")), "the app is not found for other");
    const direct = await other.evaluate((app) => fetch(`/api/v1/apps/${app}/config-vars`).then((r) => r.status), APP);
    check(direct === 404, `the API answers 404 for the app (${direct})`);
    // Revoke other's token: the session behind it ends.
    const revoke = await fetch(`http://127.0.0.1:${env.API_PORT}/api/v1/commands`, {method: "POST",
      headers: {Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/json"},
      body: JSON.stringify({argv: ["tokens:revoke", "browser", "--key", "other"]})});
    check((await revoke.json()).exit_status === 0, "the token is revoked");
    await other.reload({waitUntil: "load"});
    await other.waitForSelector("#token", {visible: true});
    await ctx.close();
  });

  await step("sign out", async () => {
    await page.click("#signout");
    await page.waitForSelector("#token", {visible: true});
    const status = await page.evaluate(() => fetch("/api/v1/session").then((r) => r.status));
    check(status === 401, "the session is gone");
  });

  check(consoleErrors.length === 0, "no script errors: " + consoleErrors.join("; "));
  const worst = Math.max(...Object.values(figures.pages_ms));
  console.log("figures " + JSON.stringify({...figures, slowest_page_ms: worst}));
  console.log(`screenshots in ${shots}`);
} catch (err) {
  if (!failures) {
    failures++;
    console.log(`FAILED - ${err.stack || err}`);
  }
  console.log("stopped at the first failure");
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
