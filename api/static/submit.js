// The "New job" form, its method list filled from GET /methods with each method's cap here.

import { $, count, el } from "./format.js";
import { api } from "./api.js";

let opened = () => {};

export function whenSubmitted(action) {
  opened = action;
}

function updateLimit() {
  const option = $("method").selectedOptions[0];
  if (!option) return;
  $("digits").max = option.dataset.max;
  $("digits-limit").textContent = `Between 0 and ${count(option.dataset.max)} for ${option.value}: ${option.dataset.description}`;
}

// The service's methods by name, as GET /methods gave them (the job view reads their axes).
export const methodInfo = new Map();

export async function loadMethods() {
  const select = $("method");
  const error = $("methods-error");
  try {
    const methods = await api("/methods");
    const chosen = select.value;
    select.replaceChildren(...methods.map((method) => el("option", {
      value: method.name,
      textContent: `${method.label} (${method.name}) — up to ${count(method.max_digits)} digits`,
    })));
    methods.forEach((method, i) => {
      methodInfo.set(method.name, method);
      select.options[i].dataset.max = method.max_digits;
      select.options[i].dataset.description = method.description;
    });
    if (methods.some((method) => method.name === chosen)) select.value = chosen;
    error.textContent = methods.length ? "" : "This service offers no method.";
  } catch (failure) {
    select.replaceChildren();
    error.textContent = `Could not load the methods: ${failure.message}`;
  }
  const usable = select.options.length > 0;
  select.disabled = !usable;
  $("compute").disabled = !usable;
  updateLimit();
}

$("method").addEventListener("change", updateLimit);

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { method: $("method").value, digits: Number($("digits").value) };
  const button = $("compute");
  button.disabled = true;
  try {
    const created = await api("/tasks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    $("submit-message").textContent = `Started job ${created.id.slice(0, 8)}.`;
    opened(created.id);
  } catch (error) {
    $("submit-message").textContent = error.message;
  } finally {
    button.disabled = false;
  }
});
