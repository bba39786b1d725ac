// Columns, Preview and EDA pages: select options by column kind, Plotly figures from the API.
(function () {
  "use strict";

  // ----- Columns: only offer the settings the chosen kind accepts -------------------------
  function setupColumns(form) {
    var allowed = JSON.parse(form.getAttribute("data-allowed") || "{}");
    form.querySelectorAll("select[data-setting=kind]").forEach(function (kindSelect) {
      kindSelect.addEventListener("change", function () {
        var row = kindSelect.closest("tr");
        var ok = allowed[kindSelect.value] || {};
        row.querySelectorAll("select[data-setting]").forEach(function (select) {
          var setting = select.getAttribute("data-setting");
          if (setting === "kind" || !ok[setting]) { return; }
          Array.prototype.forEach.call(select.options, function (option) {
            option.hidden = ok[setting].indexOf(option.value) < 0;
          });
          if (select.selectedOptions[0] && select.selectedOptions[0].hidden) { select.value = "none"; }
        });
      });
    });
  }

  // ----- EDA: fetch each figure (its words in the page's language) and draw it -----------
  function draw(el, url, root) {
    el.textContent = root.getAttribute("data-loading");
    return fetch(window.tunelab.withLang(url), { headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) { throw new Error(window.tunelab.errorText(body, String(resp.status))); }
          return body;
        });
      })
      .then(function (fig) {
        el.textContent = "";
        var layout = Object.assign({ autosize: true }, fig.layout || {});
        return window.Plotly.newPlot(el, fig.data || [], layout, { responsive: true, displaylogo: false });
      })
      .then(function () { el.setAttribute("data-rendered", "true"); })
      .catch(function (err) {
        el.textContent = root.getAttribute("data-error") + ": " + err.message;
        el.classList.add("plot-error");
      });
  }

  function drawVariables(root) {
    var base = root.getAttribute("data-base");
    var columns = JSON.parse(root.getAttribute("data-columns") || "[]");
    var picker = document.getElementById("variable-column");
    var against = document.getElementById("variable-against");
    var box = document.getElementById("variable-plots");
    var names = picker.value ? [picker.value] : columns.slice(0, 24).map(function (c) { return c.name; });
    box.querySelectorAll(".plot").forEach(function (el) { if (window.Plotly) { window.Plotly.purge(el); } });
    box.textContent = "";
    box.classList.toggle("single", names.length === 1);
    names.forEach(function (name) {
      var el = document.createElement("div");
      el.className = "plot plot-small";
      el.setAttribute("data-testid", "variable-plot");
      el.setAttribute("data-column", name);
      box.appendChild(el);
      var url = base + "/variable?column=" + encodeURIComponent(name) + (against.checked ? "&against=true" : "");
      draw(el, url, root);
    });
  }

  function setupEda(root) {
    var base = root.getAttribute("data-base");
    root.querySelectorAll(".plot[data-plot]").forEach(function (el) {
      draw(el, base + "/" + el.getAttribute("data-plot"), root);
    });
    document.getElementById("variable-column").addEventListener("change", function () { drawVariables(root); });
    document.getElementById("variable-against").addEventListener("change", function () { drawVariables(root); });
    drawVariables(root);
  }

  function init() {
    var form = document.getElementById("columns-form");
    if (form) { setupColumns(form); }
    var eda = document.getElementById("eda");
    if (eda) { setupEda(eda); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
