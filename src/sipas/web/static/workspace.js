// Before a step that cannot be undone (locking a unit, moving a campaign to its next stage): a
// dialog asks first. Without script, the server asks on a confirmation page instead.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : undefined;
  if (!question) return;
  const chosen = form.querySelector("select");
  const asked = chosen ? question.replace("{to}", chosen.options[chosen.selectedIndex].text) : question;
  if (!window.confirm(asked)) {
    event.preventDefault();
    return;
  }
  const answer = form.querySelector("input[name=confirm]");
  if (answer) answer.value = "yes";
});
