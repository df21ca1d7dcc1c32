// Saves quiz answers as the learner goes. The page works without it: the Save and
// Submit buttons post the same form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch) { return; }
  var status = form.querySelector(".autosave-status");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.autosaveUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
      .then(function (result) {
        var body = result[1];
        status.textContent = body.message || "";
        if (body.closed) { window.location.reload(); }
      })
      .catch(function () { status.textContent = ""; });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 600);
  }

  form.addEventListener("change", later);
  form.addEventListener("input", later);
})();
