// Deployments pages: delete confirmation, copy buttons, the prediction form with its
// explanation chart (Plotly) and the history refresh after each prediction.
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (evt) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { evt.preventDefault(); }
    });
  });

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) { return; }
      var text = source.textContent;
      var root = document.getElementById("deployment-root");
      var done = function () {
        button.textContent = root ? root.getAttribute("data-text-copied") : "✓";
      };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* text stays selected */ }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  var root = document.getElementById("deployment-root");
  var form = document.getElementById("predict-form");
  if (!root || !form) { return; }
  var text = function (name) { return root.getAttribute("data-text-" + name) || ""; };
  var spaces = JSON.parse(text("space") || "{}");
  var methods = JSON.parse(text("method") || "{}");

  // Per column kind, what a typed value must look like (the server checks the same).
  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var BOOLEAN = ["true", "false", "yes", "no", "y", "n", "t", "f", "1", "0", "1.0", "0.0"];

  function problem(el, raw) {
    var kind = el.getAttribute("data-kind");
    if (kind === "numeric" && !NUMBER.test(raw)) { return text("not-number"); }
    if (kind === "datetime" && isNaN(Date.parse(raw))) { return text("not-date"); }
    if (kind === "boolean" && el.tagName !== "SELECT" && BOOLEAN.indexOf(raw.toLowerCase()) < 0) {
      return text("not-boolean");
    }
    return "";
  }

  // The record to send, the fields refused in the browser, and the fields the user left
  // as prefilled (the typical training value) or empty (the model fills in a value).
  function readRecord() {
    var out = { record: {}, errors: {}, prefilled: [], empty: [] };
    form.querySelectorAll("[name]").forEach(function (el) {
      var name = el.getAttribute("name");
      if (el.tagName === "SELECT") {
        var choices = JSON.parse(el.getAttribute("data-choices") || "[]");
        var picked = el.selectedOptions[0];
        out.record[name] = el.value === "" ? null : choices[Number(el.value)];
        if (el.value === "") { out.empty.push(name); }
        else if (picked && picked.hasAttribute("data-default")) { out.prefilled.push(name); }
        return;
      }
      var raw = el.value.trim();
      if (raw === "") { out.record[name] = null; out.empty.push(name); return; }
      var bad = problem(el, raw);
      if (bad) { out.errors[name] = bad; return; }
      if (el.hasAttribute("data-default") && raw === el.getAttribute("data-default")) {
        out.prefilled.push(name);
      }
      out.record[name] = el.getAttribute("data-kind") === "numeric" ? Number(raw) : raw;
    });
    return out;
  }

  function fieldSlot(field) {
    return form.querySelector('[data-error-for="' + String(field).replace(/"/g, '\\"') + '"]');
  }

  function markField(field, message) {
    var slot = fieldSlot(field);
    if (!slot) { return false; }
    slot.textContent = message;
    var input = form.querySelector('[name="' + String(field).replace(/"/g, '\\"') + '"]');
    if (input) { input.classList.add("invalid"); input.setAttribute("aria-invalid", "true"); }
    return true;
  }

  function showFilled(read, answer) {
    var box = document.getElementById("predict-filled");
    var empty = answer && answer.filled_in ? answer.filled_in[0] || [] : read.empty;
    var lines = [];
    if (read.prefilled.length) { lines.push(text("filled-default") + ": " + read.prefilled.join(", ")); }
    if (empty.length) { lines.push(text("filled-missing") + ": " + empty.join(", ")); }
    box.textContent = "";
    lines.forEach(function (line) {
      var div = document.createElement("div");
      div.textContent = line;
      box.appendChild(div);
    });
    box.classList.toggle("hidden", lines.length === 0);
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll(".invalid").forEach(function (el) {
      el.classList.remove("invalid");
      el.removeAttribute("aria-invalid");
    });
    var box = document.getElementById("predict-error");
    box.textContent = "";
    box.classList.add("hidden");
    document.getElementById("predict-filled").classList.add("hidden");
  }

  function showErrors(err) {
    var shown = false;
    var detail = err.body && Array.isArray(err.body.detail) ? err.body.detail : [];
    detail.forEach(function (d) {
      var loc = d.loc || [];
      if (markField(loc[loc.length - 1], d.msg)) { shown = true; }
    });
    if (!shown) {
      var box = document.getElementById("predict-error");
      box.textContent = err.message || text("failed");
      box.classList.remove("hidden");
    }
  }

  function showResult(answer) {
    var result = document.getElementById("predict-result");
    result.classList.remove("muted");
    result.textContent = "";
    var strong = document.createElement("div");
    strong.className = "prediction-value";
    strong.setAttribute("data-testid", "prediction-value");
    strong.textContent = String(answer.predictions[0]);
    result.appendChild(strong);
    if (answer.probabilities) {
      var list = document.createElement("div");
      list.className = "small";
      var proba = answer.probabilities[0];
      list.textContent = Object.keys(proba).map(function (k) {
        return k + ": " + proba[k].toFixed(4);
      }).join(" · ");
      result.appendChild(list);
    }
    var latency = document.createElement("div");
    latency.className = "muted small";
    latency.textContent = answer.latency_ms.toFixed(1) + " ms";
    result.appendChild(latency);
    if (answer.explanations && answer.explanations.length) { drawExplanation(answer.explanations[0]); }
  }

  function drawExplanation(ex) {
    var entries = Object.keys(ex.contributions).map(function (k) { return [k, ex.contributions[k]]; });
    entries.sort(function (a, b) { return Math.abs(a[1]) - Math.abs(b[1]); });
    var chart = document.getElementById("explanation-chart");
    var trace = {
      type: "bar", orientation: "h",
      x: entries.map(function (e) { return e[1]; }),
      y: entries.map(function (e) { return e[0]; }),
      marker: { color: entries.map(function (e) { return e[1] >= 0 ? "#2e7d32" : "#c62828"; }) },
      hovertemplate: "%{y}: %{x:.4f}<extra></extra>"
    };
    var layout = {
      height: Math.max(260, 24 * entries.length + 80),
      margin: { l: 160, r: 20, t: 30, b: 40 },
      title: { text: (methods[ex.method] || ex.method) + (ex["class"] != null ? " · " + ex["class"] : ""), font: { size: 13 } },
      xaxis: { title: { text: text("contribution") + " (" + (spaces[ex.space] || ex.space) + ")" }, zeroline: true }
    };
    if (window.Plotly) {
      window.Plotly.react(chart, [trace], layout, { displayModeBar: false, responsive: true });
    }
    chart.setAttribute("data-drawn", "true");
    var allZero = entries.every(function (e) { return e[1] === 0; });
    document.getElementById("explanation-note").textContent =
      text("base") + " " + ex.base_value.toFixed(4) + " → " + text("output") + " " + ex.output.toFixed(4) +
      (allZero ? ". " + text("all-zero") : "");
  }

  function refreshHistory() {
    var url = root.getAttribute("data-history-url");
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#history-table", swap: "outerHTML" });
    }
  }

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    clearErrors();
    var read = readRecord();
    var refused = Object.keys(read.errors);
    if (refused.length) {  // nothing is sent while a field holds a value of the wrong kind
      refused.forEach(function (name) { markField(name, read.errors[name]); });
      var box = document.getElementById("predict-error");
      box.textContent = text("fix-fields") + ": " + refused.join(", ");
      box.classList.remove("hidden");
      var first = form.querySelector('[name="' + refused[0].replace(/"/g, '\\"') + '"]');
      if (first) { first.focus(); }
      return;
    }
    var button = form.querySelector('[type="submit"]');
    button.disabled = true;
    var method = document.getElementById("explain-method");
    var predictUrl = root.getAttribute("data-predict-url") + "&method=" + encodeURIComponent(method ? method.value : "shap");
    window.tunelab.api("POST", predictUrl, { records: [read.record] })
      .then(function (answer) { showResult(answer); showFilled(read, answer); refreshHistory(); })
      .catch(showErrors)
      .finally(function () { button.disabled = false; });
  });
})();
