/* yizhan: the figures dashboard (/figures): /api/figures as two tables, per level and per
   organisation, with the same columns (and headers) as the XLSX. Text only through el(). */
import {api, clear, config, el, readBase64} from "./common.js";

const f = config.figures;
const zh = config.lang === "zh";

function columns(doc) {
  const cols = [[zh ? "上级组织" : "Parent", (r) => r.parent], [zh ? "组织" : "Organisation", (r) => r.org],
                [zh ? "层级" : "Level", (r) => r.level_label]];
  doc.kinds.forEach((k) => cols.push([(config.kinds[k] || {}).label || doc.kind_labels[k] || k,
                                      (r) => r.by_kind[k]]));
  [["站点合计", "Stations", "stations"], ["上月末站点", "Last month", "stations_last_month"],
   ["每万名劳动者站点数", "Per 10,000 workers", "per_10k_workers"], ["24小时站点", "24 hours", "always_open"],
   ["上月末24小时站点", "24 hours, last month", "always_open_last_month"],
   ["劳动者人数", "Workers", "workers"], ["缺口区域", "Gap areas", "gaps"],
   ["上月末缺口区域", "Gap areas, last month", "gaps_last_month"],
   ["待处理报告", "Reports open", "reports_open"], ["已处理报告", "Reports handled", "reports_handled"],
   ["本月新建", "Opened", "opened"], ["本月关闭", "Closed", "closed"],
   ["上月新建", "Opened last month", "opened_last_month"], ["上月关闭", "Closed last month", "closed_last_month"],
  ].forEach(([z, e, key]) => cols.push([zh ? z : e, (r) => r[key]]));
  doc.groups.forEach((g) => doc.hours.forEach((h) => {
    const hh = String(h).padStart(2, "0");
    const name = (doc.group_labels[g] || [g, g])[zh ? 0 : 1];
    [["coverage", ""], ["coverage_last_month", zh ? "（上月末）" : ", last month"]].forEach(([key, tail]) => {
      cols.push([`${name}${zh ? "覆盖率" : " covered"} ${hh}:00${tail}`, (r) => {
        const v = ((r[key] || {})[g] || {})[hh];
        return v === null || v === undefined ? null : `${(v * 100).toFixed(1)}%`;
      }, "share"]);
    });
  }));
  return cols;
}

function table(node, doc, rows, perLevel) {
  const cols = columns(doc);
  if (perLevel) { cols[0] = [zh ? "组织数" : "Organisations", (r) => r.orgs]; cols.splice(1, 1); }
  clear(node).append(
    el("thead", {}, el("tr", {}, cols.map(([h]) => el("th", {scope: "col", text: h})))),
    el("tbody", {}, rows.map((r) => el("tr", {dataset: {org: r.org || r.level}},
      cols.map(([, get], i) => {
        const v = get(r);
        return el(i < 2 ? "th" : "td", i < 2 ? {scope: "row", text: v ?? ""} : {text: v ?? "–"});
      })))));
}

api("/api/figures").then((doc) => {
  document.getElementById("fig-month").textContent = doc.month;
  document.getElementById("fig-last").textContent = doc.last_month;
  ["fig-head", "fig-levels-card", "fig-orgs-card"].forEach((id) => { document.getElementById(id).hidden = false; });
  table(document.getElementById("fig-levels"), doc, doc.levels, true);
  table(document.getElementById("fig-orgs"), doc, doc.rows, false);
  if (!doc.rows.length) document.getElementById("fig-orgs").replaceWith(el("p", {class: "muted", text: f.none}));
}).catch((err) => {
  const box = document.getElementById("fig-error");
  box.textContent = err.status === 401 ? f.sign_in : err.message;
  box.hidden = false;
});

/* Administrators: each organisation they manage, with its area replaced from a GeoPackage or
   GeoJSON file (PUT /api/orgs/<name>/area/file, base64 in JSON). The server reads the whole file
   first: a bad one changes nothing, and each problem is listed with the file and feature. */
const lang = {"Accept-Language": config.lang};

/* What the row says: text; ok true (done), false (refused) or null (under way). */
function say(node, problems, text, ok) {
  node.textContent = text;
  node.className = "small fig-area-said" + (ok === null ? " muted" : ok ? " ok" : " form-error");
  clear(problems).hidden = true;
}

function areaRow(org) {
  const said = el("span", {class: "muted small fig-area-said", role: "status"});
  const problems = el("ul", {class: "fig-area-problems small", role: "alert", hidden: true});
  const noArea = org.has_area ? null : el("span", {class: "muted small fig-no-area"}, " · " + f.no_area);
  const input = el("input", {type: "file", accept: ".gpkg,.geojson,.json,application/geopackage+sqlite3,application/geo+json",
                             "aria-label": `${org.name}: ${f.area_file}`, dataset: {org: org.name}});
  input.addEventListener("change", () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    if (file.size > config.area_max_bytes) {
      say(said, problems, f.area_too_large.replace("{mb}", Math.round(config.area_max_bytes / 1048576)), false);
      return;
    }
    say(said, problems, f.area_sending.replace("{name}", file.name), null);
    readBase64(file)
      .then((content) => api("/api/orgs/" + encodeURIComponent(org.name) + "/area/file",
                             {method: "PUT", headers: lang, body: {filename: file.name, content}}))
      .then(() => {
        say(said, problems, f.area_done + (zh ? "：" : ": ") + file.name, true);
        if (noArea) noArea.remove();
      })
      .catch((err) => {
        const listed = (err.body && err.body.problems) || [];
        say(said, problems, f.area_failed.replace("{name}", file.name) + " " + err.message, false);
        listed.forEach((p) => problems.appendChild(el("li", {text: p.text || p.message})));
        problems.hidden = !listed.length;
      });
  });
  return el("li", {class: "fig-area", dataset: {org: org.name}},
    el("span", {class: "fig-area-name"}, org.name, " ", el("span", {class: "muted small"}, zh ? org.level_label : org.level)),
    noArea,
    el("label", {class: "button small fig-area-file"}, f.area_file, input), said, problems);
}

api("/api/session").then((me) => {
  if (me.role !== "admin") return null;
  return api("/api/orgs").then((found) => {
    if (!found.orgs.length) return;
    const list = document.getElementById("fig-areas");
    clear(list).append(...found.orgs.map(areaRow));
    document.getElementById("fig-areas-card").hidden = false;
  });
}).catch(() => {});
