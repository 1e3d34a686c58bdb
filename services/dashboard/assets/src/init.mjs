// Starts GOV.UK Frontend's components on the page. Loaded as <script type="module">, so it
// only runs in browsers that GOV.UK Frontend supports, which is what the class below says.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
