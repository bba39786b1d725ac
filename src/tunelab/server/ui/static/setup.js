// Setup page: metric/algorithm filtering by task, the split picture, the class balancer.
(function () {
  "use strict";
  var form = document.getElementById("setup-form");
  if (!form) { return; }
  var text = function (name) { return form.getAttribute("data-text-" + name) || name; };
  var nRows = parseInt(form.getAttribute("data-rows"), 10) || 0;
  var experimentId = form.getAttribute("data-experiment");
  var field = function (name) { return form.querySelector("[name='" + name + "']"); };
  var inferredTask = form.getAttribute("data-guessed-task") || "";
  var classCounts = null;  // {label: rows} of the chosen target

  function num(name) {
    var el = field(name);
    var v = el ? parseFloat(el.value) : NaN;
    return isNaN(v) ? 0 : v;
  }

  // -- task-dependent lists ----------------------------------------------------------------
  function currentTask() { return field("task").value || inferredTask; }

  function filterByTask() {
    var task = currentTask();
    // a clustering experiment has no target, metric, split or sampling: its own card instead
    var clustering = field("task").value === "clustering";
    form.querySelectorAll(".supervised-only").forEach(function (el) { el.hidden = clustering; });
    form.querySelectorAll(".clustering-only").forEach(function (el) { el.hidden = !clustering; });
    // per-trial process settings: the clustering search fits its candidates in the job itself
    ["trial_timeout", "early_stopping_rounds", "n_jobs", "cpu_per_trial", "memory_limit_mb"]
      .forEach(function (name) {
        var box = field(name) && field(name).closest(".field");
        if (box) { box.hidden = clustering; }
      });
    var metric = field("metric");
    Array.prototype.forEach.call(metric.options, function (opt) {
      if (!opt.value) { return; }
      var ok = !task || (opt.getAttribute("data-tasks") || "").split(" ").indexOf(task) >= 0;
      opt.hidden = !ok;
      opt.disabled = !ok;
      if (!ok && opt.selected) { metric.value = ""; }
    });
    form.querySelectorAll("[data-testid='field-algorithms'] label.check").forEach(function (label) {
      var tasks = label.getAttribute("data-tasks") || "";
      // automatic task: every supervised family (the clustering ones need task "clustering")
      var ok = task ? tasks.split(" ").indexOf(task) >= 0 : tasks !== "clustering";
      label.hidden = !ok;
      var box = label.querySelector("input");
      if (!ok && box) { box.checked = false; }
    });
  }

  // -- split -------------------------------------------------------------------------------
  function showSplitOptions() {
    var kind = field("split_kind").value;
    form.querySelectorAll(".split-opt").forEach(function (el) {
      el.hidden = (el.getAttribute("data-kinds") || "").split(" ").indexOf(kind) < 0;
    });
    var column = field("split_column");
    var hint = form.querySelector("[data-testid='split-column-range']");
    var opt = column.options[column.selectedIndex];
    var low = opt ? opt.getAttribute("data-min") : "";
    var high = opt ? opt.getAttribute("data-max") : "";
    hint.textContent = low !== "" && low !== null && high !== "" && high !== null ? low + " … " + high : "";
  }

  function segment(cls, label, share, rows) {
    var el = document.createElement("div");
    el.className = "seg " + cls;
    el.style.flexBasis = Math.max(share * 100, 0) + "%";
    el.setAttribute("data-testid", "split-seg-" + cls);
    el.setAttribute("data-rows", String(rows));
    el.title = label + " · " + Math.round(share * 1000) / 10 + "% · " + rows + " " + text("rows");
    el.textContent = share >= 0.08 ? label + " " + rows : "";
    return el;
  }

  function drawSplit() {
    var kind = field("split_kind").value;
    var box = form.querySelector("[data-testid='split-picture']");
    var caption = form.querySelector("[data-testid='split-caption']");
    box.innerHTML = "";
    var bar = document.createElement("div");
    bar.className = "split-bar";
    var note = "";
    if (kind === "holdout") {
      var tr = num("train_pct"), va = num("valid_pct"), te = num("test_pct");
      var sum = tr + va + te;
      var scale = sum > 0 ? sum : 100;
      var nTest = Math.round(nRows * te / 100), nValid = Math.round(nRows * va / 100);
      bar.appendChild(segment("train", text("train"), tr / scale, Math.max(nRows - nTest - nValid, 0)));
      bar.appendChild(segment("valid", text("valid"), va / scale, nValid));
      bar.appendChild(segment("test", text("test"), te / scale, nTest));
      note = text("sum") + " " + Math.round(sum * 100) / 100 + "%";
      box.classList.toggle("bad", Math.abs(sum - 100) > 1e-6);
    } else if (kind === "range") {
      note = text("by-column");
      box.classList.remove("bad");
      ["train", "valid", "test"].forEach(function (p) {
        bar.appendChild(segment(p, text(p), 1 / 3, "?"));
      });
    } else {
      box.classList.remove("bad");
      var k = parseInt(field("folds").value, 10) || 5;
      var testShare = num("cv_test_pct") / 100;
      var rest = nRows - Math.round(nRows * testShare);
      for (var i = 0; i < k; i++) {
        var rows = Math.floor(rest / k) + (i < rest % k ? 1 : 0);
        bar.appendChild(segment("fold", text("fold") + " " + (i + 1), (1 - testShare) / k, rows));
      }
      if (testShare > 0) { bar.appendChild(segment("test", text("test"), testShare, nRows - rest)); }
      if (kind === "group" || kind === "time") { note = text("by-column"); }
    }
    box.appendChild(bar);
    caption.textContent = note;
  }

  // -- class balancer ------------------------------------------------------------------------
  function balanceTarget(counts, choice) {
    var values = Object.keys(counts).map(function (k) { return counts[k]; });
    if (!values.length || !choice) { return null; }
    if (choice === "minority") { return Math.min.apply(null, values); }
    if (choice === "majority") { return Math.max.apply(null, values); }
    return counts.hasOwnProperty(choice) ? counts[choice] : null;
  }

  function syncBalanceOptions(counts) {
    var select = field("balance_to");
    var wanted = select.value || select.getAttribute("data-selected") || "";
    Array.prototype.slice.call(select.options).forEach(function (opt) {
      if (opt.getAttribute("data-class") !== null || ["", "minority", "majority"].indexOf(opt.value) < 0) {
        select.removeChild(opt);
      }
    });
    Object.keys(counts || {}).forEach(function (label) {
      var opt = document.createElement("option");
      opt.value = label;
      opt.textContent = label + " (" + counts[label] + ")";
      opt.setAttribute("data-class", label);
      select.appendChild(opt);
    });
    if (wanted && !Array.prototype.some.call(select.options, function (o) { return o.value === wanted; })) {
      var keep = document.createElement("option");  // a saved value not among the classes
      keep.value = wanted;
      keep.textContent = wanted;
      select.appendChild(keep);
    }
    select.value = wanted;
  }

  function drawBalancer() {
    var chart = document.getElementById("class-chart");
    var result = form.querySelector("[data-testid='balance-result']");
    result.innerHTML = "";
    if (!classCounts || !Object.keys(classCounts).length) {
      if (window.Plotly) { window.Plotly.purge(chart); }
      chart.removeAttribute("data-bound");
      chart.textContent = field("target").value ? text("regression") : text("no-target");
      return;
    }
    var labels = Object.keys(classCounts);
    var counts = labels.map(function (l) { return classCounts[l]; });
    var choice = field("balance_to").value;
    var goal = balanceTarget(classCounts, choice);
    var traces = [{
      type: "bar", name: text("count"), x: labels, y: counts,
      marker: { color: labels.map(function (l) { return l === choice ? "#2f5bd3" : "#9db4ec"; }) },
      hovertemplate: "%{x}: %{y}<extra></extra>"
    }];
    if (goal !== null) {
      traces.push({ type: "scatter", mode: "lines+markers", name: text("after"), x: labels,
        y: labels.map(function () { return goal; }), line: { color: "#c62e2e", dash: "dash" } });
    }
    if (window.Plotly) {
      if (!chart.classList.contains("js-plotly-plot")) { chart.textContent = ""; }
      window.Plotly.react(chart, traces, {
        height: 260, margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: goal !== null,
        legend: { orientation: "h", y: 1.15 }, xaxis: { type: "category" }, yaxis: { title: { text: text("count") } }
      }, { displayModeBar: false, responsive: true });
      if (!chart.getAttribute("data-bound")) {
        chart.setAttribute("data-bound", "1");
        chart.on("plotly_click", function (ev) {
          if (!ev.points || !ev.points.length) { return; }
          field("balance_to").value = String(ev.points[0].x);
          drawBalancer();
        });
      }
    }
    var list = document.createElement("ul");
    list.className = "balance-list";
    labels.forEach(function (label) {
      var li = document.createElement("li");
      li.setAttribute("data-testid", "balance-class");
      li.setAttribute("data-class", label);
      var after = goal === null ? classCounts[label] : goal;
      li.setAttribute("data-after", String(after));
      li.textContent = label + ": " + classCounts[label] + (goal === null ? "" : " → " + goal);
      list.appendChild(li);
    });
    var help = document.createElement("p");
    help.className = "help";
    help.textContent = text("click");
    result.appendChild(help);
    result.appendChild(list);
  }

  function loadClasses() {
    var target = field("target").value;
    classCounts = null;
    if (!target || !window.tunelab) { syncBalanceOptions({}); drawBalancer(); return; }
    var url = "/api/v1/experiments/" + experimentId + "/classes?target=" + encodeURIComponent(target);
    window.tunelab.api("GET", url).then(function (data) {
      if (field("target").value !== target) { return; }
      inferredTask = data.task || "";
      classCounts = data.task === "regression" ? {} : data.counts;
      syncBalanceOptions(classCounts);
      filterByTask();
      drawBalancer();
    }).catch(function (err) {
      window.tunelab.showMessage(err.message, "error");
    });
  }

  // -- wiring --------------------------------------------------------------------------------
  ["split_kind", "train_pct", "valid_pct", "test_pct", "folds", "cv_test_pct", "split_column"].forEach(function (name) {
    var el = field(name);
    if (!el) { return; }
    el.addEventListener("input", function () { showSplitOptions(); drawSplit(); });
    el.addEventListener("change", function () { showSplitOptions(); drawSplit(); });
  });
  field("task").addEventListener("change", filterByTask);
  field("target").addEventListener("change", function () { inferredTask = ""; loadClasses(); });
  field("balance_to").addEventListener("change", drawBalancer);

  // -- executor: the cluster list applies to the Ray kind only (disabled without clusters) --
  var rayAddress = field("ray_address");
  var rayChoices = rayAddress && !rayAddress.disabled;
  function syncExecutor() {
    if (rayChoices) { rayAddress.disabled = field("executor_kind").value !== "ray"; }
  }
  if (field("executor_kind")) { field("executor_kind").addEventListener("change", syncExecutor); }

  function init() {
    syncExecutor();
    showSplitOptions();
    drawSplit();
    filterByTask();
    loadClasses();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
