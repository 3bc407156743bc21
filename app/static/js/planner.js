/* yizhan planner: sign in, then find, edit, move, add or close stations. Text via textContent only. */
(function () {
  "use strict";
  var Y = window.Y, el = Y.el, config = Y.config, zh = config.lang === "zh";
  var words = zh
    ? {saved: "已保存", created: "已新建", closed: "站点已关闭", confirm: "确定关闭这个站点吗？（可在修改记录中查到）",
       none: "暂无", wrong: "密码错误", edit: "编辑站点", add: "新建站点",
       actions: {create: "新建", update: "修改", "delete": "关闭", restore: "恢复"}}
    : {saved: "Saved", created: "Created", closed: "Station closed", confirm: "Close this station? (It stays in the history.)",
       none: "None", wrong: "Wrong password", edit: "Edit station", add: "New station",
       actions: {create: "created", update: "changed", "delete": "closed", restore: "restored"}};

  var signin = document.getElementById("signin");
  var editor = document.getElementById("editor");
  var form = document.getElementById("station-form");
  var list = document.getElementById("station-list");
  var search = document.getElementById("station-search");
  var formError = document.getElementById("form-error");
  var stations = [], current = null;

  Object.keys(config.kinds).forEach(function (k) {
    document.getElementById("f-kind").appendChild(el("option", {value: k}, config.kinds[k].label));
  });
  Object.keys(config.services).forEach(function (s) {
    document.getElementById("f-services").appendChild(el("label", {class: "check"},
      el("input", {type: "checkbox", name: "services", value: s}), config.services[s]));
  });

  function showSignin(disabled) {
    signin.hidden = false; editor.hidden = true;
    document.getElementById("signin-disabled").hidden = !disabled;
    document.getElementById("signin-form").hidden = disabled;
  }
  function showEditor() {
    signin.hidden = true; editor.hidden = false;
    loadStations();
  }

  Y.api("/api/session").then(function (s) {
    if (s.planner) showEditor(); else showSignin(!s.enabled);
  });

  document.getElementById("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var error = document.getElementById("signin-error");
    Y.api("/api/login", {method: "POST", body: {password: document.getElementById("password").value}})
      .then(function () { error.hidden = true; showEditor(); })
      .catch(function (err) {
        error.textContent = err.status === 401 ? words.wrong : err.message;
        error.hidden = false;
      });
  });
  document.getElementById("signout").addEventListener("click", function () {
    Y.api("/api/logout", {method: "POST"}).then(function () { showSignin(false); });
  });

  function loadStations(selectId) {
    return Y.api("/api/stations").then(function (fc) {
      stations = fc.features;
      renderList();
      if (selectId) pick(selectId);
    });
  }

  function renderList() {
    var q = search.value.trim().toLowerCase();
    Y.clear(list);
    stations.filter(function (f) {
      var p = f.properties;
      return !q || (p.name + " " + f.id + " " + p.address).toLowerCase().indexOf(q) >= 0;
    }).forEach(function (f) {
      list.appendChild(el("li", {},
        el("button", {type: "button", dataset: {id: f.id}, "aria-current": String(current === f.id),
                      onclick: function () { pick(f.id); }},
          el("span", {class: "kind-dot kind-" + f.properties.kind}), el("span", {}, f.properties.name))));
    });
  }
  search.addEventListener("input", renderList);

  function feature(id) {
    for (var i = 0; i < stations.length; i++) if (stations[i].id === id) return stations[i];
    return null;
  }

  function fill(p, lon, lat) {
    form.elements.name.value = p.name || "";
    form.elements.kind.value = p.kind || "outdoor_rest_point";
    form.elements.capacity.value = p.capacity === null || p.capacity === undefined ? "" : p.capacity;
    form.elements.address.value = p.address || "";
    form.elements.hours.value = p.hours || "";
    form.elements.phone.value = p.phone || "";
    form.elements.lon.value = lon === undefined ? "" : lon;
    form.elements.lat.value = lat === undefined ? "" : lat;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=services]"), function (box) {
      box.checked = (p.services || []).indexOf(box.value) >= 0;
    });
  }

  function pick(id) {
    var f = feature(id);
    if (!f) return;
    current = id;
    renderList();
    document.getElementById("pick-hint").hidden = true;
    form.hidden = false;
    formError.hidden = true;
    document.getElementById("form-title").textContent = words.edit;
    document.getElementById("close-station").hidden = false;
    fill(f.properties, f.geometry.coordinates[0], f.geometry.coordinates[1]);
    loadHistory(id);
  }

  document.getElementById("new-station").addEventListener("click", function () {
    current = null;
    renderList();
    document.getElementById("pick-hint").hidden = true;
    form.hidden = false;
    formError.hidden = true;
    document.getElementById("form-title").textContent = words.add;
    document.getElementById("close-station").hidden = true;
    var b = config.bounds || [0, 0, 0, 0];
    fill({services: ["rest", "drinking_water"], hours: "24/7"},
         ((b[0] + b[2]) / 2).toFixed(6), ((b[1] + b[3]) / 2).toFixed(6));
    Y.clear(document.getElementById("history"));
    Y.clear(document.getElementById("reports"));
  });

  function loadHistory(id) {
    var history = Y.clear(document.getElementById("history"));
    var reports = Y.clear(document.getElementById("reports"));
    Y.api("/api/stations/" + encodeURIComponent(id) + "/history").then(function (h) {
      h.history.slice().reverse().forEach(function (item) {
        history.appendChild(el("li", {}, item.at.slice(0, 16).replace("T", " ") + " · " +
          (words.actions[item.action] || item.action) + " · " + item.source));
      });
    }).catch(function () {});
    Y.api("/api/reports?station_id=" + encodeURIComponent(id)).then(function (r) {
      if (!r.reports.length) reports.appendChild(el("li", {class: "muted"}, words.none));
      r.reports.forEach(function (item) {
        reports.appendChild(el("li", {}, item.created_at.slice(0, 16).replace("T", " ") + " · " +
          (config.reportKinds[item.kind] || item.kind) + (item.text ? " · " + item.text : "")));
      });
    }).catch(function () {});
  }

  function body() {
    var cap = form.elements.capacity.value.trim();
    return {
      name: form.elements.name.value, kind: form.elements.kind.value,
      capacity: cap === "" ? null : Number(cap),
      address: form.elements.address.value, hours: form.elements.hours.value,
      phone: form.elements.phone.value,
      lon: Number(form.elements.lon.value), lat: Number(form.elements.lat.value),
      services: Array.prototype.filter.call(form.querySelectorAll("input[name=services]"),
        function (b) { return b.checked; }).map(function (b) { return b.value; })
    };
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    formError.hidden = true;
    var request = current
      ? Y.api("/api/stations/" + encodeURIComponent(current), {method: "PATCH", body: body()})
      : Y.api("/api/stations", {method: "POST", body: body()});
    var wasNew = !current;
    request.then(function (f) {
      Y.toast(wasNew ? words.created : words.saved);
      return loadStations(f.id);
    }).catch(function (err) {
      formError.textContent = (err.parameter ? err.parameter + ": " : "") + err.message;
      formError.hidden = false;
    });
  });

  document.getElementById("close-station").addEventListener("click", function () {
    if (!current || !window.confirm(words.confirm)) return;
    Y.api("/api/stations/" + encodeURIComponent(current), {method: "DELETE"}).then(function () {
      Y.toast(words.closed);
      current = null;
      form.hidden = true;
      document.getElementById("pick-hint").hidden = false;
      loadStations();
    }).catch(function (err) { formError.textContent = err.message; formError.hidden = false; });
  });
})();
