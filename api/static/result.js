// A finished job's digits, certificate and verdict. A million digits stay out of the DOM:
// the page shows both ends and the count, and copy and download ask the API for the file.

import { $, count, el } from "./format.js";
import { authHeaders, fetchBlob, fetchText } from "./api.js";

// Digits shown at each end of a long result; shorter results are shown whole.
const END = 60;
let job = null;

function ends(text) {
  if (text.length <= 2 * END + 20) return text;
  return `${text.slice(0, END + 2)} … ${text.slice(-END)}`;
}

export function clearResult() {
  job = null;
  $("result").hidden = true;
  $("digits-out").textContent = "";
  $("certificate").replaceChildren();
  $("copy-message").textContent = "";
}

async function showEnds(id) {
  const path = `/tasks/${id}/digits`;
  try {
    const [head, tail] = await Promise.all([
      fetchText(path, { Range: `bytes=0-${END + 1}` }),
      fetchText(path, { Range: `bytes=-${END + 1}` }),
    ]);
    if (job === id) $("digits-out").textContent = `${head} … ${tail.trim()}`;
  } catch (error) {
    $("digits-out").textContent = `Could not fetch the digits: ${error.message}`;
  }
}

export function renderResult(task) {
  if (job === task.id) return;
  job = task.id;
  $("result").hidden = false;
  if (task.result === undefined) {
    // Past 100,000 digits the task leaves them out: both ends come from the file.
    showEnds(task.id);
  } else {
    $("digits-out").textContent = ends(String(task.result));
  }
  $("digits-count").textContent = `${count(task.digits)} decimal${task.digits === 1 ? "" : "s"} of π`;
  $("download").href = `/tasks/${task.id}/digits`;
  $("download").download = `pi-${task.digits}-${task.id}.txt`;
  $("verdict").textContent = task.verified ? "mpmath agrees with every digit." : "mpmath DISAGREES.";
  const rows = Object.entries(task.certificate || {}).flatMap(([key, value]) => [
    el("dt", { textContent: key.replaceAll("_", " ") }),
    el("dd", { textContent: ends(String(value)) }),
  ]);
  $("certificate").replaceChildren(...rows);
}

$("copy").addEventListener("click", async () => {
  const message = $("copy-message");
  message.textContent = "Fetching the digits…";
  try {
    const text = (await (await fetchBlob(`/tasks/${job}/digits`)).text()).trim();
    await navigator.clipboard.writeText(text);
    message.textContent = `Copied ${count(text.length)} characters.`;
  } catch (error) {
    message.textContent = `Could not copy: ${error.message}`;
  }
});

$("download").addEventListener("click", async (event) => {
  // A plain link cannot send the bearer token; with one set, the file is fetched here.
  if (!authHeaders().Authorization) return;
  event.preventDefault();
  try {
    const url = URL.createObjectURL(await fetchBlob(`/tasks/${job}/digits`));
    const link = el("a", { href: url, download: $("download").download });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    $("copy-message").textContent = `Could not download: ${error.message}`;
  }
});
