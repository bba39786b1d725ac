// Model page: evaluation plot tabs (Plotly), Deploy, Export to S3, code snippet tabs.
(function () {
  "use strict";

  var root = document.getElementById("model-root");
  if (!root) { return; }
  var api = root.getAttribute("data-api");
  var figures = root.getAttribute("data-figures");

  function request(method, url, body) {
    var opts = {
      method: method,
      headers: { "Accept": "application/json", "X-CSRF-Token": window.tunelab.csrfToken() }
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var detail = data && data.detail;
          var message = root.getAttribute("data-text-failed") + " (" + resp.status + ")";
          if (typeof detail === "string") { message = detail; }
          else if (Array.isArray(detail)) { message = detail.map(function (d) { return d.msg; }).join("; "); }
          else if (detail && detail.message) { message = detail.message; }
          throw new Error(message);
        }
        return data;
      });
    });
  }


  function showPlot(name) {
    var box = document.getElementById("model-plot");
    if (!box || !window.Plotly) { return; }
    document.querySelectorAll(".plot-tabs .tab").forEach(function (tab) {
      var active = tab.getAttribute("data-plot") === name;
      tab.classList.toggle("active", active);
      tab.setAttribute("aria-selected", active ? "true" : "false");
    });
    box.setAttribute("data-current", name);
    box.removeAttribute("data-rendered");
    // the UI's figure route answers the plot with its words in the page's language
    request("GET", window.tunelab.withLang(figures + "/" + encodeURIComponent(name))).then(function (figure) {
      if (box.getAttribute("data-current") !== name) { return; }
      var layout = Object.assign({}, figure.layout || {}, { autosize: true });
      return window.Plotly.react(box, figure.data || [], layout, { responsive: true, displaylogo: false })
        .then(function () { box.setAttribute("data-rendered", name); });
    }).catch(function (err) {
      box.textContent = err.message;
      box.classList.add("plot-error");
    });
  }

  function initPlots() {
    var box = document.getElementById("model-plot");
    if (!box || box.getAttribute("data-current")) { return; }
    document.querySelectorAll(".plot-tabs .tab").forEach(function (tab) {
      tab.addEventListener("click", function () { showPlot(tab.getAttribute("data-plot")); });
    });
    showPlot(box.getAttribute("data-first"));
  }

  function showError(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  var deploy = document.getElementById("deploy-button");
  if (deploy) {
    deploy.addEventListener("click", function () {
      var error = document.getElementById("deploy-error");
      showError(error, "");
      deploy.disabled = true;
      deploy.textContent = root.getAttribute("data-text-deploying");
      request("POST", root.getAttribute("data-deployments-api"), { model_id: root.getAttribute("data-model-id") })
        .then(function (created) {
          window.location.href = root.getAttribute("data-deployment-page") + encodeURIComponent(created.id);
        })
        .catch(function (err) {
          deploy.disabled = false;
          deploy.textContent = deploy.getAttribute("data-label") || deploy.textContent;
          showError(error, err.message);
        });
    });
    deploy.setAttribute("data-label", deploy.textContent);
  }

  var form = document.getElementById("export-form");
  if (form) {
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var input = document.getElementById("export-url");
      var error = document.getElementById("export-error");
      var ok = document.getElementById("export-ok");
      var button = form.querySelector("button[type=submit]");
      showError(error, "");
      ok.hidden = true;
      input.classList.remove("invalid");
      button.disabled = true;
      request("POST", api + "/export", { url: input.value, storage_options: window.tunelab.s3Options(form) })
        .then(function (result) {
          ok.textContent = root.getAttribute("data-text-exported") + " " + result.url;
          ok.hidden = false;
        })
        .catch(function (err) {
          input.classList.add("invalid");
          showError(error, err.message);
        })
        .then(function () { button.disabled = false; });
    });
  }

  // Convert to ONNX / MLflow: POST .../export {format}, then offer the stored artifact
  var convert = document.getElementById("convert-card");
  if (convert) {
    convert.querySelectorAll("[data-convert]").forEach(function (button) {
      button.addEventListener("click", function () {
        var fmt = button.getAttribute("data-convert");
        var status = document.getElementById("convert-status");
        var error = document.getElementById("convert-error");
        var link = document.getElementById("convert-download");
        showError(error, "");
        link.hidden = true;
        status.textContent = convert.getAttribute("data-text-working");
        status.hidden = false;
        convert.querySelectorAll("[data-convert]").forEach(function (b) { b.disabled = true; });
        request("POST", api + "/export", { format: fmt })
          .then(function (result) {
            var text = fmt.toUpperCase() + " · " + Math.round(result.size_bytes / 1024) + " KiB";
            if (fmt === "onnx") {
              text += " · " + convert.getAttribute("data-text-parity")
                .replace("{rows}", result.rows_checked)
                .replace("{diff}", result.max_difference.toExponential(1));
            }
            status.textContent = text;
            link.href = api + "/export/" + fmt;
            link.setAttribute("data-format", fmt);
            link.hidden = false;
          })
          .catch(function (err) {
            status.hidden = true;
            showError(error, err.message);
          })
          .then(function () {
            convert.querySelectorAll("[data-convert]").forEach(function (b) { b.disabled = false; });
          });
      });
    });
  }

  document.querySelectorAll(".snippet-tab").forEach(function (tab) {
    tab.addEventListener("click", function () {
      var lang = tab.getAttribute("data-snippet");
      document.querySelectorAll(".snippet-tab").forEach(function (other) {
        other.classList.toggle("active", other === tab);
      });
      document.querySelectorAll("[data-snippet-body]").forEach(function (body) {
        body.hidden = body.getAttribute("data-snippet-body") !== lang;
      });
    });
  });

  document.body.addEventListener("htmx:afterSettle", initPlots);
  if (document.readyState === "complete") { initPlots(); }
  else { window.addEventListener("load", initPlots); }
})();
