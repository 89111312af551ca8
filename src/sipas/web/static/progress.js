// A form that computes on the server shows that it is working while the next page loads.
document.querySelectorAll("form#sensitivity-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    var note = document.getElementById("sensitivity-progress");
    if (note) { note.hidden = false; }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  });
});
