/* Exporting stations from the planner view: all of them or the list the search shows, as a
   Chinese XLSX or CSV (UTF-8 with a BOM, or GBK), in WGS-84, GCJ-02 or BD-09. The file comes from
   GET /api/export/stations.<fmt> as a plain download link. */
import {clear, config, el, t} from "../common.js";

const byId = (id) => document.getElementById(id);

export function initExport() {
  byId("io-export").addEventListener("click", () => {
    const box = byId("io-export-box");
    if (!box.hidden) { box.hidden = true; return; }
    render(box);
    box.hidden = false;
  });
}

function render(box) {
  const q = byId("station-search").value.trim();
  const scope = el("select", {id: "ex-scope"},
    el("option", {value: ""}, t("export_all")),
    q ? el("option", {value: q}, t("export_filtered", {q})) : null);
  if (q) scope.value = q;
  const fmt = el("select", {id: "ex-format"},
    el("option", {value: "xlsx"}, "Excel (.xlsx)"), el("option", {value: "csv"}, "CSV (.csv)"));
  const encoding = el("select", {id: "ex-encoding"},
    el("option", {value: "utf-8"}, t("export_utf8")), el("option", {value: "gbk"}, t("export_gbk")));
  const crs = el("select", {id: "ex-crs"},
    ["wgs84", "gcj02", "bd09"].map((c) => el("option", {value: c}, t("crs_" + c))));
  const link = el("a", {class: "button primary small", id: "ex-download", download: ""}, t("export_download"));
  const encodingField = el("label", {class: "field"}, el("span", {}, t("export_encoding")), encoding);
  const update = () => {
    const params = new URLSearchParams({crs: crs.value, lang: config.lang === "en" ? "en" : "zh"});
    if (scope.value) params.set("q", scope.value);
    encodingField.hidden = fmt.value !== "csv";
    if (fmt.value === "csv") params.set("encoding", encoding.value);
    link.setAttribute("href", "/api/export/stations." + fmt.value + "?" + params.toString());
  };
  [scope, fmt, encoding, crs].forEach((s) => s.addEventListener("change", update));
  const said = el("p", {class: "form-error", role: "alert", id: "ex-error", hidden: true});
  link.addEventListener("click", (e) => {  // fetched, so that a refusal is said, not saved
    e.preventDefault();
    said.hidden = true;
    fetch(link.getAttribute("href"), {credentials: "same-origin"}).then((response) => {
      if (!response.ok) {
        return response.json().catch(() => ({})).then((body) => {
          said.textContent = body.error || response.statusText; said.hidden = false;
        });
      }
      const name = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      return response.blob().then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = el("a", {href: url, download: name ? decodeURIComponent(name[1]) : "stations." + fmt.value});
        document.body.append(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      });
    }).catch(() => { said.textContent = t("error"); said.hidden = false; });
  });
  clear(box).append(
    el("h3", {class: "section"}, t("export_title")),
    el("div", {class: "io-export-grid"},
      el("label", {class: "field"}, el("span", {}, t("find_station")), scope),
      el("label", {class: "field"}, el("span", {}, t("export_format")), fmt),
      encodingField,
      el("label", {class: "field"}, el("span", {}, t("export_crs")), crs)),
    el("p", {class: "muted small"}, t("export_note")), said,
    el("div", {class: "form-actions"}, link));
  update();
}
