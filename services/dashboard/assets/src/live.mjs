// Live pages. A page that shows today's figures marks the part that changes with
// data-live="<stream url>". When the server says the blueprint changed, the page fetches itself
// again and swaps that part for the new one, then says so in a polite live region. A visitor
// who is working in that part (focus inside it, or something in it opened) is not disturbed:
// they are told that new figures exist instead. Without JavaScript (or without EventSource) the
// page is simply static.

const current = () => document.querySelector("[data-live]");
const status = document.getElementById("live-status");

function say(text) {
  if (status) status.textContent = text;
}

function busy(region) {
  const active = document.activeElement;
  return (
    region.querySelector("details[open]") !== null ||
    (active !== null && active !== document.body && region.contains(active))
  );
}

async function refresh() {
  const region = current();
  if (!region) return;
  if (busy(region)) {
    say("New figures have been recorded. Reload the page to see them.");
    return;
  }
  const response = await fetch(location.href, {
    headers: { accept: "text/html" },
    credentials: "same-origin",
  });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const next = page.querySelector("[data-live]");
  if (!next) return;
  region.replaceWith(document.adoptNode(next));
  say(`Figures updated at ${new Date().toLocaleTimeString("en-GB")}.`);
}

const region = current();
if (region && "EventSource" in window) {
  const source = new EventSource(region.dataset.live);
  let running = Promise.resolve();
  source.addEventListener("change", () => {
    running = running.then(refresh).catch(() => {});
  });
}
