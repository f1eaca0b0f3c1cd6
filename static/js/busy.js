// Buttons that start slow work (signing, uploading, exporting, importing, saving a report) say so after the
// first click and take no second one: the button is disabled, marked aria-busy and labelled from its
// data-busy-label ("Signing…"), and the form sends nothing more until the page is shown again (the back
// button brings it back usable). The server takes each submission once anyway; this keeps people from
// clicking twice while they wait. Forms work without this script too.
(function () {
  "use strict";

  var LABEL = "data-busy-label";

  function isHtmx(form) {
    return form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post");
  }

  function setBusy(form, button) {
    form.dataset.busy = "true";
    // Disabled only once the browser has read the form: a disabled button's own name and value are not sent.
    window.setTimeout(function () {
      if (form.dataset.busy !== "true") return;
      button.originalLabel = button.innerHTML;
      button.textContent = button.getAttribute(LABEL);
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      form.busyButton = button;
    }, 0);
  }

  function clearBusy(form) {
    delete form.dataset.busy;
    var button = form.busyButton;
    if (!button) return;
    if (button.originalLabel !== undefined) button.innerHTML = button.originalLabel;
    button.disabled = false;
    button.removeAttribute("aria-busy");
    form.busyButton = null;
  }

  function busyButton(form, submitter) {
    if (submitter && submitter.hasAttribute(LABEL)) return submitter;
    return null;
  }

  // Before anything else sees it: a form already on its way sends nothing more (a double click, or Enter).
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form instanceof HTMLFormElement && form.dataset.busy === "true") {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // After the other handlers: a plain form that is really being sent is busy until the next page arrives.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!(form instanceof HTMLFormElement) || evt.defaultPrevented || isHtmx(form)) return;
    var button = busyButton(form, evt.submitter);
    if (button) setBusy(form, button);
  });

  // A form sent through htmx (uploads, for their progress bar) is busy while its request runs.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (!(form instanceof HTMLFormElement)) return;
    var button = busyButton(form, form.querySelector("[type=submit][" + LABEL + "]"));
    if (button) setBusy(form, button);
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!(form instanceof HTMLFormElement)) return;
    var xhr = evt.detail.xhr;
    // Still busy while the browser follows the server to the next page.
    if (evt.detail.successful && xhr && xhr.getResponseHeader("HX-Redirect")) return;
    clearBusy(form);
  });

  // Back to a page the browser kept: its forms are usable again.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-busy]");
    for (var i = 0; i < forms.length; i++) clearBusy(forms[i]);
  });
})();
