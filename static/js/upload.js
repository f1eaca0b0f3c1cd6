// Evidence uploads: a progress bar, limits checked before sending, and a plain
// message if the connection drops. The form works without this script too.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes >= 1e9) return (bytes / 1e9).toFixed(1).replace(".0", "") + " GB";
    if (bytes >= 1e6) return (bytes / 1e6).toFixed(1).replace(".0", "") + " MB";
    return Math.max(1, Math.round(bytes / 1e3)) + " KB";
  }

  // Every file chosen on the form: the general picker and the phone's camera and recorder inputs.
  function chosenFiles(form) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      for (var i = 0; i < (input.files ? input.files.length : 0); i++) files.push(input.files[i]);
    });
    return files;
  }

  function parts(form) {
    return {
      input: form.querySelector("input[type=file]"),
      box: form.querySelector(".upload-progress"),
      bar: form.querySelector(".upload-progress progress"),
      status: form.querySelector(".upload-status"),
    };
  }

  function say(form, text, isError) {
    var p = parts(form);
    if (!p.status) return;
    p.status.textContent = text;
    p.status.classList.toggle("text-danger", !!isError);
    p.status.classList.toggle("fw-semibold", !!isError);
  }

  // Refuse before sending anything when the choice is already over the limits.
  document.addEventListener("htmx:confirm", function (evt) {
    var form = evt.target.closest && evt.target.closest("form.evidence-form");
    if (!form) return;
    var p = parts(form);
    if (!p.input) return;
    var files = chosenFiles(form);
    var maxFiles = parseInt(p.input.dataset.maxFiles || "0", 10);
    var maxBytes = parseInt(p.input.dataset.maxBytes || "0", 10);
    var total = 0;
    for (var i = 0; i < files.length; i++) total += files[i].size;
    var problem = null;
    if (maxFiles && files.length > maxFiles) {
      problem = "You chose " + files.length + " files; add up to " + maxFiles + " at a time.";
    } else if (maxBytes && total > maxBytes) {
      problem = "These files come to " + formatSize(total) + "; one upload can be up to " +
        formatSize(maxBytes) + ". Add them in smaller batches.";
    }
    if (problem) {
      evt.preventDefault();
      say(form, problem, true);
      p.input.focus();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.target.closest && evt.target.closest("form.evidence-form");
    if (!form) return;
    var p = parts(form);
    if (chosenFiles(form).length && p.box) {
      p.bar.value = 0;
      p.box.hidden = false;
      say(form, "Uploading…", false);
    }
  });

  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest && evt.target.closest("form.evidence-form");
    if (!form || !evt.detail.lengthComputable) return;
    var p = parts(form);
    var percent = Math.floor((evt.detail.loaded / evt.detail.total) * 100);
    if (p.bar) p.bar.value = percent;
    // Announce in steps, not on every event, so a screen reader is not flooded.
    if (percent % 10 === 0 || percent === 100) {
      say(form, "Uploaded " + percent + "% (" + formatSize(evt.detail.loaded) + " of " +
        formatSize(evt.detail.total) + ")", false);
    }
  });

  function failed(evt) {
    var form = evt.target.closest && evt.target.closest("form.evidence-form");
    if (!form) return;
    var p = parts(form);
    if (p.box) p.box.hidden = true;
    say(form, "The upload stopped before it finished, so nothing was saved. Check your connection and try again.", true);
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);

  // After the server sends the form back with errors, put the reader at the first one.
  document.addEventListener("htmx:afterSettle", function () {
    var first = document.querySelector(".is-invalid, .invalid-feedback, #upload-refusal, .alert-danger");
    if (first) {
      var target = first.matches("input, select, textarea") ? first : document.querySelector("main");
      if (target) target.focus();
    }
  });
})();
