// Batch prediction page: upload a file as a dataset, queue the deployment's batch job,
// poll its progress, then offer the result as CSV and Parquet.
(function () {
  "use strict";

  var root = document.getElementById("batch-root");
  if (!root) { return; }
  var form = document.getElementById("batch-form");
  var box = document.getElementById("batch-progress-box");
  var bar = document.getElementById("batch-bar");
  var status = document.getElementById("batch-status");
  var error = document.getElementById("batch-error");
  var downloads = document.getElementById("batch-downloads");
  var batchApi = root.getAttribute("data-batch-api");

  function text(name) { return root.getAttribute("data-text-" + name) || ""; }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    form.querySelector("button[type=submit]").disabled = false;
  }

  function upload(file) {
    var body = new FormData();
    body.append("file", file, file.name);
    return fetch(root.getAttribute("data-datasets-api"), {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRF-Token": window.tunelab.csrfToken() },
      body: body
    }).then(function (resp) {
      return resp.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        if (!resp.ok) { throw new Error(window.tunelab.errorText(data, resp.status + " " + resp.statusText)); }
        return data;
      });
    });
  }

  function poll(jobId) {
    window.tunelab.api("GET", batchApi + "/" + encodeURIComponent(jobId)).then(function (state) {
      box.setAttribute("data-status", state.status);
      if (state.total) {
        var pct = Math.round(100 * (state.done || 0) / state.total);
        bar.style.width = pct + "%";
        status.textContent = text("progress").replace("{done}", state.done || 0).replace("{total}", state.total);
      } else {
        status.textContent = text("queued");
      }
      if (state.status === "succeeded") {
        bar.style.width = "100%";
        status.textContent = text("done").replace("{n}", state.n_rows);
        document.getElementById("batch-csv").href = state.downloads.csv;
        document.getElementById("batch-parquet").href = state.downloads.parquet;
        downloads.hidden = false;
        form.querySelector("button[type=submit]").disabled = false;
        return;
      }
      if (state.status === "failed" || state.status === "cancelled") {
        fail(text("failed") + " " + (state.error || ""));
        return;
      }
      window.setTimeout(function () { poll(jobId); }, 500);
    }).catch(function (err) { fail(err.message); });
  }

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    var input = document.getElementById("batch-file");
    if (!input.files || !input.files.length) { input.focus(); return; }
    error.hidden = true;
    downloads.hidden = true;
    form.querySelector("button[type=submit]").disabled = true;
    box.hidden = false;
    bar.style.width = "0";
    box.removeAttribute("data-status");
    status.textContent = text("uploading");
    upload(input.files[0])
      .then(function (dataset) {
        return window.tunelab.api("POST", batchApi, { dataset_id: dataset.id });
      })
      .then(function (created) {
        box.setAttribute("data-job-id", created.job_id);
        status.textContent = text("queued");
        poll(created.job_id);
      })
      .catch(function (err) { fail(err.message); });
  });
})();
