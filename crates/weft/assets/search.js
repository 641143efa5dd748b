// The search page: after a search, focus moves to the results heading, so that a screen
// reader reads the count first and Tab goes on into the results. A filter that changes
// runs the search again (without JavaScript, the Search button does).

const heading = document.getElementById("results-heading");
if (heading) heading.focus();

const form = document.querySelector("form.search-box");
const box = document.getElementById("q");
if (form && box) {
  for (const filter of form.querySelectorAll(".search-filters select, .search-filters input")) {
    filter.addEventListener("change", () => {
      if (box.value.trim() !== "") form.requestSubmit();
    });
  }
}
