// The Mothership dashboard: one page over the HTTP API (/api/v1), signed in
// by a session cookie (POST /api/v1/session with a token or a sign-in link's
// code). Routes live in the URL's fragment (#/apps/NAME/config). Every tenant
// string reaches the page as text (el() never parses HTML), and every change
// sends the session's CSRF token.
"use strict";

let session = null;  // {key_name, role, token, csrf_token}
let stopPage = [];   // what the current page must close when leaving (streams, sockets)

// ---- DOM ------------------------------------------------------------------

// el("a", {href: "#/"}, "text", child...): an element; children are nodes or text.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);
function show(...nodes) { $("main").replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false)); }
function errorBox(err) { return el("div", {class: "error", role: "alert"}, err.message || String(err)); }
function noticeBox(text) { return el("div", {class: "notice", role: "status"}, text); }
// Runs fn, showing its error (or notice) in `box`; disables `button` meanwhile.
async function act(box, button, fn) {
  box.replaceChildren();
  if (button) button.disabled = true;
  try {
    const note = await fn();
    if (note) box.replaceChildren(noticeBox(note));
    return true;
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}
function table(columns, rows) {
  return el("div", {class: "scroll"}, el("table", {},
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", {class: c.cls}, c.title)))),
    el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, columns.map((c) => el("td", {class: c.cls}, c.cell(r)))))
      : el("tr", {}, el("td", {colspan: columns.length, class: "muted"}, "None yet.")))));
}
function when(text) { return text ? text.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : ""; }
function badge(state) {
  const cls = {running: "ok", succeeded: "ok", deployed: "ok", failed: "bad", "deploy failed": "bad",
    stopped: "warn", starting: "warn", deploying: "warn", "not deployed": ""}[state] || "";
  return el("span", {class: "badge " + cls}, state);
}

// ---- the API --------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(method, path, body, headers) {
  const init = {method, credentials: "same-origin", headers: {...(headers || {})}};
  if (method !== "GET" && session) init.headers["X-CSRF-Token"] = session.csrf_token;
  if (body !== undefined) {
    if (body instanceof Blob) init.body = body;
    else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "The server did not answer (" + err.message + "). Check the connection and try again.");
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
  if (!res.ok) {
    if (res.status === 401 && path !== "/api/v1/session") { session = null; signInPage(json && json.message); }
    throw new ApiError(res.status, (json && json.message) || `${method} ${path}: HTTP ${res.status}`);
  }
  return json;
}
const appPath = (app, rest) => "/api/v1/apps/" + encodeURIComponent(app) + (rest || "");
// Runs a command of the catalog (POST /api/v1/commands); its --json output parsed.
async function command(argv, stdin) {
  const r = await api("POST", "/api/v1/commands", {argv: argv.concat(["--json"]), stdin: stdin || ""});
  if (r.exit_status !== 0) throw new ApiError(422, (r.stderr || r.stdout || "the command failed").replace(/^error: /, "").trim());
  try { return JSON.parse(r.stdout); } catch (_) { return r.stdout; }
}
// Reads a streamed answer (a build's output), handing each piece of text to onText.
async function stream(path, onText, init) {
  const controller = new AbortController();
  stopPage.push(() => controller.abort());
  const res = await fetch(path, {credentials: "same-origin", signal: controller.signal, ...(init || {})});
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try { message = JSON.parse(await res.text()).message; } catch (_) { /* keep */ }
    throw new ApiError(res.status, message);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    onText(decoder.decode(value, {stream: true}));
  }
}

// ---- sign-in --------------------------------------------------------------

function signInPage(reason) {
  closePage();
  $("nav").replaceChildren();
  $("who").replaceChildren();
  const box = el("div");
  const input = el("input", {id: "token", type: "password", autocomplete: "off", placeholder: "mst_…", "aria-label": "API token"});
  const button = el("button", {class: "primary", type: "submit"}, "Sign in");
  show(el("div", {class: "card signin"},
    el("h1", {}, "Sign in to Mothership"),
    reason ? el("div", {class: "error"}, reason) : null,
    el("p", {class: "muted"}, "Run ", el("code", {}, "mothership dashboard"), " for a sign-in link, or paste an API token (",
      el("code", {}, "ssh -p 2222 git@HOST tokens:create NAME"), ")."),
    el("form", {onsubmit: async (e) => {
      e.preventDefault();
      if (await act(box, button, () => signIn({token: input.value.trim()}))) route();
    }}, el("label", {for: "token"}, "API token"), input, button), box));
  input.focus();
}
async function signIn(secret) {
  await api("POST", "/api/v1/session", secret);
  // The cookie is Secure: browsers keep it over https (and on localhost) only.
  try {
    session = await api("GET", "/api/v1/session");
  } catch (err) {
    if (err.status !== 401) throw err;
    throw new Error(`Signed in, but this browser keeps no session cookie over plain http on ${location.host}: ` +
      `open the dashboard over https (https://${location.hostname}/).`);
  }
}
async function signOut() {
  try { await api("DELETE", "/api/v1/session"); } catch (_) { /* gone already */ }
  session = null;
  location.hash = "#/";
  signInPage("Signed out.");
}

// ---- pages ----------------------------------------------------------------

function closePage() {
  for (const stop of stopPage) { try { stop(); } catch (_) { /* closed */ } }
  stopPage = [];
}

function frame() {
  const admin = session.role === "admin";
  $("nav").replaceChildren(...[el("a", {href: "#/"}, "Apps"),
    admin && el("a", {href: "#/admin/nodes"}, "Nodes"),
    admin && el("a", {href: "#/admin/keys"}, "Keys"),
    el("a", {href: "#/tokens"}, "Tokens")].filter(Boolean));
  $("who").replaceChildren(el("span", {}, session.key_name + (admin ? " (admin)" : "")),
    el("button", {id: "signout", onclick: signOut}, "Sign out"));
}

// Each page's time to interactive is a Performance measure, "route #/...":
// from the address's change until the page is drawn (the browser tests read them).
async function route() {
  const started = performance.now();
  const hash = location.hash || "#/";
  try {
    await showRoute();
  } finally {
    performance.measure("route " + hash, {start: started});
  }
}

async function showRoute() {
  closePage();
  if (!session) {
    const code = new URLSearchParams(location.hash.slice(1)).get("code");
    if (code) {
      history.replaceState(null, "", location.pathname + "#/");  // the code works once: drop it from the URL
      try { await signIn({code}); } catch (err) { return signInPage(err.message); }
    } else {
      try { session = await api("GET", "/api/v1/session"); } catch (_) { return signInPage(); }
    }
  }
  frame();
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "apps" && parts[1]) await appPage(parts[1], parts[2] || "processes", parts[3]);
    else if (parts[0] === "admin" && parts[1] === "nodes") await nodesPage();
    else if (parts[0] === "admin" && parts[1] === "keys") await keysPage();
    else if (parts[0] === "tokens") await tokensPage();
    else await appsPage();
  } catch (err) {
    if (session) show(errorBox(err));
  }
}

async function appsPage() {
  const apps = await api("GET", "/api/v1/apps");
  const box = el("div");
  const name = el("input", {id: "new-app", placeholder: "new-app-name", pattern: "[a-z][a-z0-9-]*", "aria-label": "App name"});
  const create = el("button", {class: "primary", type: "submit"}, "Create app");
  const stateCells = {};
  const rows = apps.map((a) => ({...a, state: a.last_deploy ? stateOf(a.last_deploy.status) : "not deployed"}));
  show(el("h1", {}, "Apps"),
    el("div", {class: "card apps"}, table([
      {title: "App", cell: (a) => el("a", {href: "#/apps/" + encodeURIComponent(a.name)}, a.name)},
      {title: "State", cell: (a) => (stateCells[a.name] = el("span", {}, badge(a.state)))},
      {title: "Last deploy", cls: "hide-phone", cell: (a) => a.last_deploy
        ? `${a.last_deploy.commit.slice(0, 7)} ${a.last_deploy.status} ${when(a.last_deploy.finished_at || a.last_deploy.started_at)}` : "never"},
      {title: "URL", cell: (a) => el("a", {href: a.web_url, target: "_blank", rel: "noopener"}, a.web_url.replace(/^https?:\/\//, "").replace(/\/$/, ""))},
    ], rows)),
    el("div", {class: "card"}, el("h2", {}, "Create an app"),
      el("form", {class: "row", onsubmit: async (e) => {
        e.preventDefault();
        if (await act(box, create, () => api("POST", "/api/v1/apps", {name: name.value.trim()}))) {
          location.hash = "#/apps/" + encodeURIComponent(name.value.trim()) + "/deploy";
        }
      }}, name, create), box));
  // Then each deployed app's processes: running, stopped or starting.
  for (const a of rows.filter((r) => r.state === "deployed" || r.state === "deploy failed")) {
    api("GET", appPath(a.name, "/formation")).then((ps) => {
      const desired = ps.reduce((n, p) => n + p.desired, 0), running = ps.reduce((n, p) => n + p.running, 0);
      let state = desired === 0 ? "stopped" : running >= desired ? "running" : "starting";
      if (a.state === "deploy failed") state += ", last deploy failed";
      stateCells[a.name].replaceChildren(badge(state));
    }).catch(() => { /* keep the deploy's state */ });
  }
}
function stateOf(deployStatus) {
  return {succeeded: "deployed", failed: "deploy failed", running: "deploying"}[deployStatus] || deployStatus;
}

const TABS = [["processes", "Processes"], ["releases", "Releases"], ["config", "Config"], ["domains", "Domains"],
  ["access", "Members"], ["builds", "Builds"], ["logs", "Logs"], ["deploy", "Deploy"], ["terminal", "Terminal"],
  ["settings", "Settings"]];

async function appPage(app, tab, arg) {
  const info = await api("GET", appPath(app));
  const body = el("div", {id: "tab"});
  show(el("h1", {}, info.name,
    el("a", {href: info.web_url, target: "_blank", rel: "noopener", class: "mono"}, info.web_url),
    info.last_deploy ? badge(stateOf(info.last_deploy.status)) : badge("not deployed")),
  el("div", {class: "tabs", role: "tablist"}, TABS.map(([id, title]) =>
    el("a", {href: `#/apps/${encodeURIComponent(app)}/${id}`, class: id === tab ? "on" : "", role: "tab"}, title))),
  body);
  const pages = {processes: processesTab, releases: releasesTab, config: configTab, domains: domainsTab,
    access: accessTab, builds: buildsTab, logs: logsTab, deploy: deployTab, terminal: terminalTab, settings: settingsTab};
  try {
    await (pages[tab] || processesTab)(app, body, arg, info);
  } catch (err) {
    if (session) body.replaceChildren(errorBox(err));
  }
}

async function processesTab(app, body) {
  const ps = await api("GET", appPath(app, "/formation"));
  const box = el("div");
  const refresh = () => route();
  body.replaceChildren(box, el("div", {class: "card"}, table([
    {title: "Type", cell: (p) => el("strong", {}, p.type)},
    {title: "Running", cell: (p) => `${p.running} of ${p.desired}`},
    {title: "Size", cls: "hide-phone", cell: (p) => p.size},
    {title: "Command", cls: "hide-phone", cell: (p) => el("code", {}, p.command)},
    {title: "Scale", cell: (p) => {
      const n = el("input", {type: "number", min: 0, max: 100, value: p.desired, "aria-label": `${p.type} processes`, "data-type": p.type});
      const b = el("button", {"data-scale": p.type}, "Scale");
      b.onclick = () => act(box, b, async () => {
        await api("PATCH", appPath(app, "/formation"), {updates: [{type: p.type, quantity: Number(n.value)}]});
        setTimeout(refresh, 300);
        return `Scaled ${p.type} to ${n.value}.`;
      });
      return el("span", {class: "row"}, n, b);
    }},
    {title: "", cell: (p) => {
      const b = el("button", {}, "Restart");
      b.onclick = () => act(box, b, async () => { await command(["ps:restart", app, p.type]); return `Restarted ${p.type}.`; });
      return b;
    }},
  ], ps)),
  el("div", {class: "card"}, el("h2", {}, "Tasks"), table([
    {title: "Task", cell: (t) => t.name}, {title: "State", cell: (t) => badge(t.state)},
    {title: "Node", cls: "hide-phone", cell: (t) => t.node}, {title: "Release", cell: (t) => t.release},
    {title: "Since", cls: "hide-phone", cell: (t) => when(t.since)},
  ], ps.flatMap((p) => p.tasks || []))),
  el("div", {class: "row"},
    el("button", {onclick: (e) => act(box, e.target, async () => { await command(["ps:stop", app]); setTimeout(refresh, 300); return "Stopped."; })}, "Stop app"),
    el("button", {onclick: (e) => act(box, e.target, async () => { await command(["ps:start", app]); setTimeout(refresh, 300); return "Started."; })}, "Start app")));
}

async function releasesTab(app, body, arg) {
  const releases = await api("GET", appPath(app, "/releases"));
  const box = el("div");
  const current = releases.length ? Math.max(...releases.map((r) => r.version)) : 0;
  body.replaceChildren(box, arg ? noticeBox(`Released v${arg}.`) : "", el("div", {class: "card"}, table([
    {title: "Release", cell: (r) => el("strong", {"data-release": r.version}, "v" + r.version)},
    {title: "What", cell: (r) => r.description},
    {title: "When", cls: "hide-phone", cell: (r) => when(r.created_at)},
    {title: "", cell: (r) => r.version === current ? el("span", {class: "badge ok"}, "current")
      : el("button", {"data-rollback": r.version, onclick: (e) => {
        if (!confirm(`Roll ${app} back to v${r.version}? This makes a new release with v${r.version}'s build and config.`)) return;
        act(box, e.target, async () => {
          const made = await api("POST", appPath(app, "/releases"), {release: r.version});
          location.hash = `#/apps/${encodeURIComponent(app)}/releases/${made.version}`;
        });
      }}, `Roll back to v${r.version}`)},
  ], releases.slice().sort((a, b) => b.version - a.version))));
}

async function configTab(app, body) {
  const vars = await api("GET", appPath(app, "/config-vars"));
  const box = el("div");
  // A change is a release: the notice names it.
  const patch = async (change, what) => {
    await api("PATCH", appPath(app, "/config-vars"), change);
    const releases = await api("GET", appPath(app, "/releases"));
    await configTab(app, body);
    body.prepend(noticeBox(`${what} Released v${Math.max(...releases.map((r) => r.version))}.`));
  };
  const row = (key) => {
    const value = el("td", {class: "value mono"}, "••••••");
    let shown = false;
    const toggle = el("button", {"data-show": key, onclick: () => {
      shown = !shown;
      value.textContent = shown ? vars[key] : "••••••";
      toggle.textContent = shown ? "Hide" : "Show";
    }}, "Show");
    const edit = el("button", {onclick: () => {
      const input = el("input", {value: vars[key], "data-edit": key, "aria-label": key});
      const save = el("button", {class: "primary"}, "Save");
      save.onclick = () => act(box, save, () => patch({[key]: input.value}, `Set ${key}.`));
      value.replaceChildren(el("span", {class: "row"}, input, save));
      input.focus();
    }}, "Edit");
    const remove = el("button", {class: "danger", onclick: (e) => {
      if (confirm(`Remove ${key} from ${app}? This makes a new release.`)) act(box, e.target, () => patch({[key]: null}, `Removed ${key}.`));
    }}, "Remove");
    return el("tr", {}, el("td", {class: "mono"}, key), value, el("td", {}, el("span", {class: "row"}, toggle, edit, remove)));
  };
  const key = el("input", {id: "config-key", placeholder: "KEY", "aria-label": "New key"});
  const val = el("input", {id: "config-value", placeholder: "value", "aria-label": "New value"});
  const add = el("button", {class: "primary", type: "submit"}, "Set");
  const keys = Object.keys(vars).sort();
  body.replaceChildren(box, el("div", {class: "card"},
    el("div", {class: "scroll"}, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Key"), el("th", {}, "Value"), el("th", {}, ""))),
      el("tbody", {}, keys.length ? keys.map(row) : el("tr", {}, el("td", {colspan: 3, class: "muted"}, "No config vars."))))),
    el("h2", {}, "Set a config var"),
    el("form", {class: "row", onsubmit: (e) => {
      e.preventDefault();
      act(box, add, () => patch({[key.value.trim()]: val.value}, `Set ${key.value.trim()}.`));
    }}, key, val, add)));
}

async function domainsTab(app, body) {
  const [domains, certs] = await Promise.all([api("GET", appPath(app, "/domains")),
    command(["certs", app]).catch((err) => ({error: err.message}))]);
  const box = el("div");
  const host = el("input", {id: "domain", placeholder: "www.example.com", "aria-label": "Host name"});
  const add = el("button", {class: "primary", type: "submit"}, "Add domain");
  const certRows = Array.isArray(certs) ? certs : Array.isArray(certs.certificates) ? certs.certificates : [];
  body.replaceChildren(box, el("div", {class: "card"},
    el("p", {}, "Default host: ", el("code", {}, domains.default)),
    table([{title: "Custom domain", cell: (d) => el("code", {}, d)}, {title: "", cell: (d) => el("button", {class: "danger", onclick: (e) => {
      if (confirm(`Stop routing ${d} to ${app}?`)) act(box, e.target, async () => { await api("DELETE", appPath(app, "/domains/" + encodeURIComponent(d))); await domainsTab(app, body); });
    }}, "Remove")}], domains.custom || []),
    el("form", {class: "row", onsubmit: (e) => {
      e.preventDefault();
      act(box, add, async () => { await api("POST", appPath(app, "/domains"), {hostname: host.value.trim()}); await domainsTab(app, body); });
    }}, host, add)),
  el("div", {class: "card"}, el("h2", {}, "Certificates"), certs.error ? errorBox(certs)
    : certRows.length ? table(Object.keys(certRows[0]).map((k) => ({title: k.replace(/_/g, " "), cell: (c) => typeof c[k] === "object" ? JSON.stringify(c[k]) : String(c[k] ?? "")})), certRows)
      : el("p", {class: "muted"}, "No https certificates yet.")));
}

async function accessTab(app, body) {
  const members = await api("GET", appPath(app, "/access"));
  const box = el("div");
  const user = el("input", {id: "member", placeholder: "key name", "aria-label": "Key name"});
  const add = el("button", {class: "primary", type: "submit"}, "Add member");
  body.replaceChildren(box, el("div", {class: "card"}, table([
    {title: "Name", cell: (m) => m.name}, {title: "Role", cell: (m) => m.role},
    {title: "Since", cls: "hide-phone", cell: (m) => when(m.since)},
    {title: "", cell: (m) => m.role === "owner" ? "" : el("button", {class: "danger", onclick: (e) => {
      if (confirm(`Stop ${m.name} using ${app}?`)) act(box, e.target, async () => { await api("DELETE", appPath(app, "/access/" + encodeURIComponent(m.name))); await accessTab(app, body); });
    }}, "Remove")},
  ], members),
  el("form", {class: "row", onsubmit: (e) => {
    e.preventDefault();
    act(box, add, async () => { await api("POST", appPath(app, "/access"), {user: user.value.trim()}); await accessTab(app, body); });
  }}, user, add)));
}

async function buildsTab(app, body, id) {
  if (id) return buildOutput(app, body, id);
  const builds = await api("GET", appPath(app, "/builds"));
  body.replaceChildren(el("div", {class: "card"}, table([
    {title: "Build", cell: (b) => el("a", {href: `#/apps/${encodeURIComponent(app)}/builds/${b.id}`}, "#" + b.id)},
    {title: "Status", cell: (b) => badge(b.status)},
    {title: "Commit", cell: (b) => el("code", {}, (b.commit || "").slice(0, 7))},
    {title: "By", cls: "hide-phone", cell: (b) => b.by},
    {title: "Started", cls: "hide-phone", cell: (b) => when(b.started_at)},
    {title: "Message", cls: "hide-phone", cell: (b) => b.message},
  ], builds)));
}
async function buildOutput(app, body, id) {
  const out = el("pre", {class: "out", id: "build-output"});
  const box = el("div");
  body.replaceChildren(el("h2", {}, `Build #${id}`), box, out);
  try {
    await stream(appPath(app, `/builds/${encodeURIComponent(id)}/output`), (t) => { out.append(t); out.scrollTop = out.scrollHeight; });
  } catch (err) {
    if (err.name !== "AbortError") box.replaceChildren(errorBox(err));
  }
}

function logsTab(app, body) {
  const out = el("pre", {class: "out", id: "log-lines"});
  const status = el("p", {class: "muted"}, "Connecting…");
  body.replaceChildren(status, out);
  const source = new EventSource(appPath(app, "/logs?lines=100&tail=1"));
  stopPage.push(() => source.close());
  source.onopen = () => { status.textContent = "Following the log (newest at the bottom)."; };
  source.onmessage = (e) => {
    const near = out.scrollTop + out.clientHeight >= out.scrollHeight - 40;
    out.append(e.data + "\n");
    while (out.childNodes.length > 2000) out.firstChild.remove();
    if (near) out.scrollTop = out.scrollHeight;
  };
  source.addEventListener("error", (e) => {
    if (e.data) status.replaceChildren(errorBox(new Error(e.data)));
    else status.textContent = "The log stream was cut; reconnecting…";
  });
}

// ---- deploy from the browser ------------------------------------------------

// A ustar archive of [{path, data: Uint8Array}], gzipped by the browser.
async function tarGz(files) {
  const enc = new TextEncoder();
  const blocks = [];
  const field = (buf, at, len, text) => { const b = enc.encode(text); buf.set(b.subarray(0, len), at); };
  const octal = (n, len) => n.toString(8).padStart(len - 1, "0");
  for (const f of files) {
    let name = f.path, prefix = "";
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf("/", 154);
      prefix = name.slice(0, cut); name = name.slice(cut + 1);
      if (cut < 0 || enc.encode(name).length > 100 || enc.encode(prefix).length > 155) throw new Error(`the path ${f.path} is too long for the archive`);
    }
    const head = new Uint8Array(512);
    field(head, 0, 100, name);
    field(head, 100, 8, "0000644");
    field(head, 108, 8, "0000000");
    field(head, 116, 8, "0000000");
    field(head, 124, 12, octal(f.data.length, 12));
    field(head, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
    field(head, 148, 8, "        ");
    head[156] = 48;  // '0': a file
    field(head, 257, 6, "ustar");
    field(head, 263, 2, "00");
    field(head, 345, 155, prefix);
    let sum = 0;
    for (const b of head) sum += b;
    field(head, 148, 8, octal(sum, 7) + "\0");
    blocks.push(head, f.data);
    if (f.data.length % 512) blocks.push(new Uint8Array(512 - f.data.length % 512));
  }
  blocks.push(new Uint8Array(1024));
  return new Response(new Blob(blocks).stream().pipeThrough(new CompressionStream("gzip"))).blob();
}

function deployTab(app, body) {
  const box = el("div");
  const out = el("pre", {class: "out", id: "deploy-output", hidden: true});
  const folder = el("input", {type: "file", id: "deploy-folder", webkitdirectory: true, multiple: true});
  const archive = el("input", {type: "file", id: "deploy-archive", accept: ".tar.gz,.tgz,application/gzip"});
  const go = async (blob, button) => act(box, button, async () => {
    out.hidden = false;
    out.textContent = `Uploading ${(blob.size / 1024).toFixed(0)} KB…\n`;
    const build = await api("POST", appPath(app, "/builds"), blob, {"Content-Type": "application/gzip"});
    out.append(`Build #${build.id} of ${build.commit.slice(0, 7)}:\n`);
    await stream(build.output_stream_url, (t) => { out.append(t); out.scrollTop = out.scrollHeight; });
    const builds = await api("GET", appPath(app, "/builds"));
    const done = builds.find((b) => b.id === build.id);
    if (!done || done.status !== "succeeded") throw new Error(`Build #${build.id} ${done ? done.status : "ended"}: the output above says why; the running release is unchanged.`);
    const releases = await api("GET", appPath(app, "/releases"));
    const latest = Math.max(...releases.map((r) => r.version));
    location.hash = `#/apps/${encodeURIComponent(app)}/releases/${latest}`;
  });
  const sendFolder = el("button", {class: "primary", id: "deploy-folder-go", onclick: async (e) => {
    const picked = [...folder.files].filter((f) => !/(^|\/)\.git\//.test(f.webkitRelativePath));
    if (!picked.length) return box.replaceChildren(errorBox(new Error("Choose a folder with the app's source first.")));
    const button = e.target;
    await go(await tarGz(await Promise.all(picked.map(async (f) => ({path: f.webkitRelativePath, data: new Uint8Array(await f.arrayBuffer())})))), button);
  }}, "Deploy folder");
  const sendArchive = el("button", {class: "primary", id: "deploy-archive-go", onclick: (e) => {
    if (!archive.files.length) return box.replaceChildren(errorBox(new Error("Choose a .tar.gz of the app's source first.")));
    go(archive.files[0], e.target);
  }}, "Deploy archive");
  body.replaceChildren(el("div", {class: "card"},
    el("p", {}, "Deploy this app from its source: the files become a commit on its deploy branch and are built like a ", el("code", {}, "git push"), ". Files are sent as plain files (not executable)."),
    el("h2", {}, "A folder"), el("div", {class: "row"}, folder, sendFolder),
    el("h2", {}, "An archive (.tar.gz)"), el("div", {class: "row"}, archive, sendArchive)), box, out);
}

// ---- the terminal -----------------------------------------------------------

// A plain terminal: text, carriage returns, backspaces and the erase-line
// sequence; other escape sequences are dropped.
class Screen {
  constructor(node) { this.node = node; this.lines = [""]; this.col = 0; this.esc = ""; }
  write(text) {
    for (const ch of text) {
      if (this.esc) {
        this.esc += ch;
        if (this.esc.startsWith("\x1b[") ? /[@-~]/.test(ch) && this.esc.length > 2
          : this.esc.startsWith("\x1b]") ? ch === "\x07" || this.esc.endsWith("\x1b\\") : this.esc.length >= 2) {
          if (this.esc.endsWith("K")) this.setLine(this.line().slice(0, this.col));
          this.esc = "";
        }
        continue;
      }
      if (ch === "\x1b") this.esc = ch;
      else if (ch === "\r") this.col = 0;
      else if (ch === "\n") { this.lines.push(""); this.col = 0; }
      else if (ch === "\b") this.col = Math.max(0, this.col - 1);
      else if (ch === "\x07") continue;
      else {
        const l = this.line().padEnd(this.col);
        this.setLine(l.slice(0, this.col) + ch + l.slice(this.col + 1));
        this.col++;
      }
    }
    if (this.lines.length > 3000) this.lines.splice(0, this.lines.length - 3000);
    this.node.textContent = this.lines.join("\n");
    this.node.scrollTop = this.node.scrollHeight;
  }
  line() { return this.lines[this.lines.length - 1]; }
  setLine(text) { this.lines[this.lines.length - 1] = text; }
}

function terminalTab(app, body) {
  const box = el("div");
  const screenNode = el("div", {class: "term mono", id: "terminal", tabindex: 0, "aria-label": "Terminal"});
  const cmd = el("input", {id: "terminal-command", value: "bash", "aria-label": "Command"});
  const start = el("button", {class: "primary", type: "submit"}, "Run");
  body.replaceChildren(el("form", {class: "row", onsubmit: (e) => { e.preventDefault(); open(); }},
    el("label", {for: "terminal-command"}, "Run a one-off process of the current release:"), cmd, start), box, screenNode);
  let socket = null;
  const open = () => {
    if (socket) socket.close();
    box.replaceChildren();
    const screen = new Screen(screenNode);
    screen.write(`$ ${cmd.value}\r\n`);
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${appPath(app, "/run")}?command=${encodeURIComponent(cmd.value)}`;
    const ws = socket = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const decoder = new TextDecoder();
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return screen.write(decoder.decode(e.data, {stream: true}));
      const end = JSON.parse(e.data);
      if (end.error) box.replaceChildren(errorBox(new Error(end.error)));
      else screen.write(`\r\n[exited with status ${end.exit}]\r\n`);
    };
    ws.onclose = (e) => { if (socket === ws) { socket = null; if (e.code === 1006) box.replaceChildren(errorBox(new Error("The terminal's connection was cut (or refused: sign in again)."))); } };
    screenNode.focus();
  };
  stopPage.push(() => socket && socket.close());
  const keys = {Enter: "\r", Backspace: "\x7f", Tab: "\t", Escape: "\x1b", ArrowUp: "\x1b[A", ArrowDown: "\x1b[B",
    ArrowRight: "\x1b[C", ArrowLeft: "\x1b[D", Home: "\x1b[H", End: "\x1b[F", Delete: "\x1b[3~"};
  const send = (text) => { if (socket && socket.readyState === 1) socket.send(new TextEncoder().encode(text)); };
  screenNode.addEventListener("keydown", (e) => {
    if (e.metaKey) return;
    let text = null;
    if (e.ctrlKey && e.key.length === 1) text = String.fromCharCode(e.key.toUpperCase().charCodeAt(0) & 31);
    else if (keys[e.key]) text = keys[e.key];
    else if (e.key.length === 1 && !e.altKey) text = e.key;
    if (text !== null) { e.preventDefault(); send(text); }
  });
  screenNode.addEventListener("paste", (e) => { e.preventDefault(); send(e.clipboardData.getData("text")); });
}

async function settingsTab(app, body, _arg, info) {
  const box = el("div");
  const confirmName = el("input", {id: "destroy-confirm", placeholder: app, "aria-label": "Type the app's name"});
  const destroy = el("button", {class: "danger", type: "submit"}, "Destroy app");
  body.replaceChildren(el("div", {class: "card"}, table([{title: "", cell: (r) => el("strong", {}, r[0])}, {title: "", cell: (r) => el("span", {class: "mono"}, r[1])}], [
    ["Owner", info.owner || "-"], ["Created", when(info.created_at)], ["Git", info.git_url],
    ["Deploy branch", info.deploy_branch || "(set by the first push)"], ["Config vars", String(info.config_vars)]])),
  el("div", {class: "card"}, el("h2", {}, "Destroy this app"),
    el("p", {}, "Removes its processes, releases, builds, config and repository. Type ", el("code", {}, app), " to confirm."),
    el("form", {class: "row", onsubmit: (e) => {
      e.preventDefault();
      if (confirmName.value !== app) return box.replaceChildren(errorBox(new Error(`Type ${app} to confirm.`)));
      act(box, destroy, async () => { await api("DELETE", appPath(app)); location.hash = "#/"; });
    }}, confirmName, destroy), box));
}

// ---- admin ---------------------------------------------------------------------

async function nodesPage() {
  const nodes = await command(["nodes"]);
  const list = Array.isArray(nodes) ? nodes : nodes.nodes || [];
  show(el("h1", {}, "Nodes"), ...list.map((n) => el("div", {class: "card"},
    el("h2", {}, n.hostname || n.id, " ", badge(n.state || ""), " ", el("span", {class: "muted"}, [n.role, n.availability, n.address].filter(Boolean).join(" · "))),
    table([{title: "Tasks running here", cell: (t) => el("code", {}, t)}], n.tasks || []))));
}

async function keysPage() {
  const keys = await command(["keys:list"]);
  const box = el("div");
  const name = el("input", {placeholder: "name", "aria-label": "Key name"});
  const role = el("select", {"aria-label": "Role"}, el("option", {}, "developer"), el("option", {}, "admin"));
  const pub = el("textarea", {rows: 2, cols: 60, placeholder: "ssh-ed25519 AAAA… (the public key)", "aria-label": "Public key"});
  const add = el("button", {class: "primary", type: "submit"}, "Add key");
  show(el("h1", {}, "Keys"), box, el("div", {class: "card"}, table([
    {title: "Name", cell: (k) => k.name}, {title: "Role", cell: (k) => k.role},
    {title: "Fingerprint", cls: "hide-phone", cell: (k) => el("code", {}, k.fingerprint)},
    {title: "Added", cls: "hide-phone", cell: (k) => when(k.created_at)},
    {title: "", cell: (k) => el("button", {class: "danger", onclick: (e) => {
      if (confirm(`Remove ${k.name}'s key ${k.fingerprint}? Its sessions and, with its last key, its tokens end.`)) {
        act(box, e.target, async () => { await command(["keys:remove", k.name, k.fingerprint]); await keysPage(); });
      }
    }}, "Remove")},
  ], keys)),
  el("div", {class: "card"}, el("h2", {}, "Add a key"), el("form", {onsubmit: (e) => {
    e.preventDefault();
    act(box, add, async () => { await command(["keys:add", name.value.trim(), "--role", role.value], pub.value.trim() + "\n"); await keysPage(); });
  }}, el("div", {class: "row"}, name, role), pub, el("div", {class: "row"}, add))));
}

async function tokensPage() {
  const tokens = await command(["tokens"]);
  const box = el("div");
  const name = el("input", {placeholder: "laptop", "aria-label": "Token name"});
  const add = el("button", {class: "primary", type: "submit"}, "Create token");
  show(el("h1", {}, "API tokens"), box, el("div", {class: "card"}, table([
    {title: "Name", cell: (t) => t.name}, {title: "Acts as", cell: (t) => t.key_name},
    {title: "Last used", cls: "hide-phone", cell: (t) => when(t.last_used_at) || "never"},
    {title: "Expires", cls: "hide-phone", cell: (t) => when(t.expires_at) || "never"},
    {title: "", cell: (t) => el("button", {class: "danger", onclick: (e) => {
      if (confirm(`Revoke the token ${t.name}? Whatever uses it stops working at once.`)) {
        act(box, e.target, async () => { await command(["tokens:revoke", t.name, "--key", t.key_name]); await tokensPage(); });
      }
    }}, "Revoke")},
  ], tokens)),
  el("div", {class: "card"}, el("h2", {}, "Create a token"), el("form", {class: "row", onsubmit: (e) => {
    e.preventDefault();
    act(box, add, async () => {
      const r = await api("POST", "/api/v1/commands", {argv: ["tokens:create", name.value.trim()]});
      if (r.exit_status !== 0) throw new Error((r.stderr || "").replace(/^error: /, "").trim());
      await tokensPage();
      $("main").prepend(noticeBox(`Your new token (shown once): ${r.stdout.split("\n")[0]}`));
    });
  }}, name, add)));
}

window.addEventListener("hashchange", route);
route();
