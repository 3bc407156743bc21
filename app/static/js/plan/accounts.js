/* yizhan accounts page /accounts: everyone signed in changes their own password (first of all a
   one-time password an administrator gave them); administrators add accounts (the one-time
   password is shown once, here) in their organisation or one below it, change roles and
   organisations, disable, enable, reset, and read the account log. The organisations offered
   are those GET /api/orgs lists (the administrator's own and those below; the server decides
   again). Data is only ever shown through textContent (el). */
import {api, clear, config, el, fmtWhen, t, toast} from "../common.js";

const $ = (id) => document.getElementById(id);
const lang = {"Accept-Language": config.lang};
const MIN_PASSWORD = 10;
let me = null;
/* The organisations this administrator may put accounts in, parents before their children,
   each with its depth; mine: their own (null: none, so every one and "none" too). */
let orgs = {list: [], mine: null};

function call(path, options = {}) {
  return api(path, Object.assign({}, options, {headers: lang}));
}

function showError(node, err) {
  node.textContent = err ? (err.message || t("error")) : "";
  node.hidden = !err;
}

/* --- who is signed in --- */
function load() {
  return call("/api/session").then((s) => {
    me = s.planner ? s : null;
    $("acc-signin").hidden = !!me;
    $("acc-mine").hidden = !me;
    $("acc-must-change").hidden = !(me && me.must_change);
    $("acc-admin").hidden = !(me && me.role === "admin" && !me.must_change);
    $("acc-not-admin").hidden = !(me && me.role !== "admin");
    if (!me) return;
    $("acc-who").textContent = me.display_name || me.user;
    $("acc-me").value = me.user;
    if (me.role === "admin" && !me.must_change) loadOrgs().then(() => { loadAccounts(); loadLog(); });
  });
}

/* --- organisations --- */
function treeOrder(found) {
  const names = new Set(found.map((o) => o.name));
  const children = new Map();
  found.forEach((o) => {
    const up = names.has(o.parent) ? o.parent : null;
    if (!children.has(up)) children.set(up, []);
    children.get(up).push(o);
  });
  const out = [];
  const walk = (parent, depth) => (children.get(parent) || []).forEach((o) => {
    out.push(Object.assign({depth}, o));
    walk(o.name, depth + 1);
  });
  walk(null, 0);
  return out;
}

function loadOrgs() {
  return call("/api/orgs").then((found) => {
    orgs = {list: treeOrder(found.orgs), mine: found.mine};
  }).catch(() => { orgs = {list: [], mine: null}; })
    .then(() => {
      const field = $("acc-new-org-field");
      field.hidden = !orgs.list.length;
      $("acc-add-form").classList.toggle("with-org", !!orgs.list.length);
      orgSelect($("acc-new-org"), orgs.mine);
    });
}

function orgLabel(o) {
  return "\u3000".repeat(o.depth) + o.name + "（" + (config.lang === "zh" ? o.level_label : o.level) + "）";
}

/* A select of the organisations offered; value: an organisation's name, "" for none. */
function orgSelect(select, value) {
  clear(select);
  if (!orgs.mine) select.appendChild(el("option", {value: "", selected: !value, text: t("acc_org_none")}));
  orgs.list.forEach((o) => {
    select.appendChild(el("option", {value: o.name, selected: o.name === value, text: orgLabel(o)}));
  });
  return select;
}

$("acc-signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  call("/api/login", {method: "POST", body: {user: $("acc-user").value,
                                             password: $("acc-password").value}})
    .then(() => { $("acc-password").value = ""; showError($("acc-signin-error"), null); load(); })
    .catch((err) => showError($("acc-signin-error"), err));
});

$("acc-signout").addEventListener("click", () => {
  call("/api/logout", {method: "POST", body: {}}).then(load);
});

/* --- my password --- */
$("acc-password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const current = $("acc-current").value, next = $("acc-new").value;
  $("acc-password-ok").hidden = true;
  if (next.length < MIN_PASSWORD) {
    showError($("acc-password-error"), {message: t("acc_too_short", {n: MIN_PASSWORD})});
    return;
  }
  if (next !== $("acc-repeat").value) {
    showError($("acc-password-error"), {message: t("acc_mismatch")});
    return;
  }
  call("/api/password", {method: "POST", body: {current_password: current, new_password: next}})
    .then(() => {
      ["acc-current", "acc-new", "acc-repeat"].forEach((id) => { $(id).value = ""; });
      showError($("acc-password-error"), null);
      $("acc-password-ok").hidden = false;
      load();
    })
    .catch((err) => showError($("acc-password-error"), err));
});

/* --- adding an account; the one-time password, once --- */
function roleSelect(select, value) {
  clear(select);
  Object.keys(config.roles).forEach((r) => {
    select.appendChild(el("option", {value: r, selected: r === value, text: config.roles[r]}));
  });
  return select;
}
roleSelect($("acc-new-role"), "planner");

function showOnce(name, password) {
  $("acc-otp-value").textContent = password;
  $("acc-otp-note").textContent = t("acc_otp_note", {name});
  $("acc-otp").hidden = false;
  $("acc-otp-copy").textContent = t("acc_otp_copy");
  $("acc-otp").scrollIntoView({block: "nearest"});
}

$("acc-otp-copy").addEventListener("click", () => {
  const text = $("acc-otp-value").textContent;
  (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject())
    .then(() => { $("acc-otp-copy").textContent = t("acc_otp_copied"); })
    .catch(() => { window.getSelection().selectAllChildren($("acc-otp-value")); });
});
$("acc-otp-done").addEventListener("click", () => {
  $("acc-otp-value").textContent = "";  // not kept in the page either
  $("acc-otp").hidden = true;
});

$("acc-add-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = {name: $("acc-new-name").value.trim(), display_name: $("acc-new-display").value,
                role: $("acc-new-role").value};
  if (orgs.list.length) body.org = $("acc-new-org").value || null;
  call("/api/accounts", {method: "POST", body})
    .then((made) => {
      $("acc-new-name").value = ""; $("acc-new-display").value = "";
      showError($("acc-add-error"), null);
      showOnce(made.account.name, made.one_time_password);
      loadAccounts(); loadLog();
    })
    .catch((err) => showError($("acc-add-error"), err));
});

/* --- the accounts --- */
function change(name, body) {
  return call("/api/accounts/" + encodeURIComponent(name), {method: "PATCH", body})
    .then(() => { toast(t("acc_saved")); showError($("acc-list-error"), null); })
    .catch((err) => showError($("acc-list-error"), err))
    .then(() => { loadAccounts(); loadLog(); });
}

function accountRow(a) {
  const self = me && a.name === me.user;
  const state = a.disabled ? t("acc_disabled") : a.must_change ? t("acc_pending") : t("acc_active");
  const role = roleSelect(el("select", {"aria-label": t("acc_role") + " " + a.name,
                                        disabled: self, dataset: {name: a.name}}), a.role);
  role.addEventListener("change", () => change(a.name, {role: role.value}));
  const org = orgs.list.length ? orgSelect(el("select", {"aria-label": t("acc_org") + " " + a.name,
                                                         disabled: self, dataset: {name: a.name}}),
                                           a.org || "") : null;
  if (org) org.addEventListener("change", () => change(a.name, {org: org.value || null}));
  const actions = el("div", {class: "acc-actions"},
    el("button", {type: "button", class: "button small", disabled: self, dataset: {act: "reset"},
                  text: t("acc_reset"), onclick: () => {
        if (!window.confirm(t("acc_confirm_reset", {name: a.name}))) return;
        call("/api/accounts/" + encodeURIComponent(a.name) + "/reset", {method: "POST", body: {}})
          .then((made) => { showOnce(a.name, made.one_time_password); loadAccounts(); loadLog(); })
          .catch((err) => showError($("acc-list-error"), err));
      }}),
    el("button", {type: "button", class: "button small" + (a.disabled ? "" : " danger"),
                  disabled: self, dataset: {act: a.disabled ? "enable" : "disable"},
                  text: a.disabled ? t("acc_enable") : t("acc_disable"), onclick: () => {
        if (!a.disabled && !window.confirm(t("acc_confirm_disable", {name: a.name}))) return;
        change(a.name, {disabled: !a.disabled});
      }}));
  return el("li", {class: "acc-row" + (a.disabled ? " is-disabled" : "") + (org ? " with-org" : ""),
                   dataset: {name: a.name, org: a.org || ""}},
    el("div", {class: "acc-who"},
       el("strong", {text: a.display_name || a.name}),
       el("span", {class: "muted small", text: a.name + (self ? t("acc_you") : "")}),
       el("span", {class: "acc-state" + (a.disabled ? " off" : a.must_change ? " pending" : ""),
                   text: state})),
    el("label", {class: "acc-role"}, el("span", {class: "muted small", text: t("acc_role")}), role),
    org ? el("label", {class: "acc-role acc-org"}, el("span", {class: "muted small", text: t("acc_org")}), org)
        : null,
    actions);
}

function loadAccounts() {
  return call("/api/accounts").then((answer) => {
    const list = clear($("acc-list"));
    answer.accounts.forEach((a) => list.appendChild(accountRow(a)));
  }).catch((err) => showError($("acc-list-error"), err));
}

function loadLog() {
  return call("/api/account-log").then((answer) => {
    const list = clear($("acc-log"));
    if (!answer.entries.length) list.appendChild(el("li", {class: "muted", text: t("acc_log_empty")}));
    answer.entries.forEach((e) => {
      const orgName = (name) => name || t("acc_org_none");
      const detail = e.action === "role"
        ? " (" + (config.roles[e.detail.from] || e.detail.from) + " → " +
          (config.roles[e.detail.to] || e.detail.to) + ")"
        : e.action === "org" ? " (" + orgName(e.detail.from) + " → " + orgName(e.detail.to) + ")"
        : e.action === "create" && e.detail.org ? " (" + t("acc_org") + "：" + e.detail.org + ")" : "";
      list.appendChild(el("li", {},
        el("time", {class: "muted small", datetime: e.at, text: fmtWhen(e.at)}),
        el("span", {}, el("strong", {text: e.actor}), " " + t("acc_log_" + e.action) + " ",
           el("strong", {text: e.target}), detail)));
    });
  });
}

load();
window.yizhanAccounts = {load};
