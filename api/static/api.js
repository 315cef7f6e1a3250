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
