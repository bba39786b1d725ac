// The sharing dialog of the resource pages: a "Sharing" button (data-share="/share/KIND/ID")
// loads /share/KIND/ID/dialog into the page's <dialog id="share-modal"> and saves the form
// there (the share page itself keeps working without scripts).
(function () {
  "use strict";
  var modal = document.getElementById("share-modal");
  if (!modal) { return; }
  var body = modal.querySelector("[data-share-body]");

  function show(html) {
    body.innerHTML = html;
    var form = body.querySelector("form[data-testid='share-form']");
    if (form) { form.addEventListener("submit", save); }
  }

  function load(url) {
    return fetch(window.tunelab.withLang(url + "/dialog"), { headers: { "Accept": "text/html" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          if (!resp.ok) { throw new Error(window.tunelab.errorText(safeJson(text), resp.statusText)); }
          return text;
        });
      });
  }

  function safeJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function save(evt) {
    evt.preventDefault();
    var form = evt.target;
    var url = form.getAttribute("action") + "/dialog";
    fetch(window.tunelab.withLang(url), {
      method: "POST",
      headers: { "X-CSRF-Token": window.tunelab.csrfToken(), "Accept": "text/html" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = safeJson(text);
        if (data && data.detail) { throw new Error(window.tunelab.errorText(data, resp.statusText)); }
        show(text);
      });
    }).catch(function (err) { window.tunelab.showMessage(err.message, "error"); });
  }

  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest("[data-share]");
    if (opener) {
      evt.preventDefault();
      load(opener.getAttribute("data-share")).then(function (html) {
        show(html);
        modal.showModal();
      }).catch(function (err) { window.tunelab.showMessage(err.message, "error"); });
      return;
    }
    if (evt.target.closest("[data-share-close]")) { modal.close(); }
  });
})();
