// Requests to the JSON API, carrying the bearer token from the header's field when set.

const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("pichord-token") || "";

export function onTokenChange(action) {
  tokenInput.addEventListener("change", () => {
    // Kept for this tab only: a dashboard left open elsewhere should not hold it.
    sessionStorage.setItem("pichord-token", tokenInput.value);
    action();
  });
}

export function authHeaders(headers = {}) {
  return tokenInput.value ? { ...headers, Authorization: `Bearer ${tokenInput.value}` } : headers;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(path, options) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: authHeaders(options.headers) });
  } catch {
    throw new ApiError(0, "The service does not answer (is it running?)");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? "");
    const hint = response.status === 401 ? " — enter the API token at the top of the page" : "";
    throw new ApiError(response.status, `${response.status}: ${detail}${hint}`);
  }
  return response;
}

export async function api(path, options = {}) {
  return (await request(path, options)).json();
}

export async function fetchBlob(path) {
  return (await request(path, {})).blob();
}

export async function fetchText(path, headers = {}) {
  return (await request(path, { headers })).text();
}

// Server-sent events read through fetch, so that the bearer token goes along (EventSource
// cannot send headers). Calls onEvent(name, data) for each event, in order, and resolves
// when the server ends the stream; rejects when it cannot be opened or breaks off.
export async function streamEvents(path, onEvent, signal) {
  const response = await request(path, { headers: { Accept: "text/event-stream" }, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const fields = {};
      for (const line of buffer.slice(0, end).split("\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      buffer = buffer.slice(end + 2);
      if (fields.event) await onEvent(fields.event, JSON.parse(fields.data ?? "null"));
    }
  }
}
