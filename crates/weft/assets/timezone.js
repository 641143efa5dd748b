// The account page's time zone: where none is set yet, the browser's own zone is filled in
// (saving it is still the person's choice). Without JavaScript the field stays empty, UTC.
const field = document.querySelector("input[data-browser-zone]");
const note = document.getElementById("time-zone-browser");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (field && note && zone && !field.value) {
  field.value = zone;
  note.textContent = `Filled in from your browser (${zone}). Save to use it.`;
  note.hidden = false;
}
