// Show the DAP or SOAP fields of a progress note according to the chosen format.
"use strict";
(function () {
  function update() {
    const checked = document.querySelector('input[name="note_format"]:checked');
    if (!checked) { return; }
    document.querySelectorAll("fieldset.note-format").forEach(function (fieldset) {
      fieldset.hidden = !fieldset.classList.contains("note-" + checked.value);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('input[name="note_format"]').forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  });
})();
