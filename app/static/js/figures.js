/* yizhan: the figures dashboard (/figures): /api/figures as two tables, per level and per
   organisation, with the same columns (and headers) as the XLSX. Text only through el(). */
import {api, clear, config, el} from "./common.js";

const f = config.figures;
const zh = config.lang === "zh";

function columns(doc) {
  const cols = [[zh ? "上级组织" : "Parent", (r) => r.parent], [zh ? "组织" : "Organisation", (r) => r.org],
                [zh ? "层级" : "Level", (r) => r.level_label]];
  doc.kinds.forEach((k) => cols.push([(config.kinds[k] || {}).label || doc.kind_labels[k] || k,
                                      (r) => r.by_kind[k]]));
  [["站点合计", "Stations", "stations"], ["上月末站点", "Last month", "stations_last_month"],
   ["每万名劳动者站点数", "Per 10,000 workers", "per_10k_workers"], ["24小时站点", "24 hours", "always_open"],
   ["劳动者人数", "Workers", "workers"], ["缺口区域", "Gap areas", "gaps"],
   ["待处理报告", "Reports open", "reports_open"], ["已处理报告", "Reports handled", "reports_handled"],
   ["本月新建", "Opened", "opened"], ["本月关闭", "Closed", "closed"],
   ["上月新建", "Opened last month", "opened_last_month"], ["上月关闭", "Closed last month", "closed_last_month"],
  ].forEach(([z, e, key]) => cols.push([zh ? z : e, (r) => r[key]]));
  doc.groups.forEach((g) => doc.hours.forEach((h) => {
    const hh = String(h).padStart(2, "0");
    const name = (doc.group_labels[g] || [g, g])[zh ? 0 : 1];
    cols.push([`${name}${zh ? "覆盖率" : " covered"} ${hh}:00`, (r) => {
      const v = ((r.coverage || {})[g] || {})[hh];
      return v === null || v === undefined ? null : `${(v * 100).toFixed(1)}%`;
    }, "share"]);
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

/* Administrators: each organisation they manage, with its area replaced from a GeoJSON file. */
function areaRow(org) {
  const said = el("span", {class: "muted small fig-area-said", role: "status"});
  const input = el("input", {type: "file", accept: ".geojson,.json,application/geo+json",
                             "aria-label": `${org.name}: ${f.area_file}`, dataset: {org: org.name}});
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (!file) return;
    file.text().then((text) => api("/api/orgs/" + encodeURIComponent(org.name) + "/area",
                                   {method: "PUT", body: {area: JSON.parse(text)}}))
      .then(() => { said.textContent = f.area_done; said.className = "small fig-area-said ok"; })
      .catch((err) => { said.textContent = err.message; said.className = "small fig-area-said form-error"; });
  });
  return el("li", {class: "fig-area"},
    el("span", {class: "fig-area-name"}, org.name, " ", el("span", {class: "muted small"}, zh ? org.level_label : org.level)),
    org.has_area ? null : el("span", {class: "muted small"}, " · " + f.no_area),
    el("label", {class: "button small fig-area-file"}, f.area_file, input), said);
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
