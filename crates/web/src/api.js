// The API v2 client: same origin only, the session token in X-User-ID (behind CloudFront the
// Authorization header carries the origin-access signature, so the token cannot travel there),
// and the SHA-256 of every body in x-amz-content-sha256 (CloudFront signs requests to the
// Function URL, and Lambda refuses unsigned bodies). Errors become ApiError with the API's
// code, message, field and Retry-After.

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const detail = body?.error ?? {};
    super(detail.message ?? describe(status));
    this.status = status;
    this.code = detail.code ?? (status === 0 ? "network" : "http_" + status);
    this.field = detail.field ?? null;
    this.retryAfter = retryAfter;
  }

  /** Errors that pass by themselves: wait and try again. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status === 503 || this.status === 504;
  }
}

function describe(status) {
  if (status === 0) return "The service cannot be reached.";
  return `The service answered ${status}.`;
}

/** Seconds to wait, from a Retry-After header (seconds or an HTTP date). */
export function retryAfterSeconds(value, now = Date.now()) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function request(method, path, { body, token } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers["x-user-id"] = token;
  let payload;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  if (method !== "GET" && method !== "HEAD") {
    headers["x-amz-content-sha256"] = payload === undefined ? EMPTY_SHA256 : await sha256(payload);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, null, null);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data, retryAfterSeconds(response.headers.get("retry-after")));
  }
  return data;
}

const q = encodeURIComponent;

/** The calls the dashboard makes; `call` adds the session (and renews it on 401). */
export function endpoints(call) {
  return {
    health: () => request("GET", "/health"),
    market: () => request("GET", "/api/v2/market/status"),
    tickerSentiment: (symbol, days) => request("GET", `/api/v2/tickers/${q(symbol)}/sentiment?window=${days}d`),
    articles: (symbol, cursor, limit = 10) =>
      request("GET", `/api/v2/articles?ticker=${q(symbol)}&limit=${limit}${cursor ? `&cursor=${q(cursor)}` : ""}`),
    configurations: () => call("GET", "/api/v2/configurations"),
    createConfiguration: (body) => call("POST", "/api/v2/configurations", body),
    updateConfiguration: (id, body) => call("PATCH", `/api/v2/configurations/${q(id)}`, body),
    deleteConfiguration: (id) => call("DELETE", `/api/v2/configurations/${q(id)}`),
    configurationSentiment: (id) => call("GET", `/api/v2/configurations/${q(id)}/sentiment`),
    history: (id, symbol, days, interval) =>
      call("GET", `/api/v2/configurations/${q(id)}/sentiment/${q(symbol)}/history?days=${days}&interval=${interval}`),
    heatmap: (id, view) => call("GET", `/api/v2/configurations/${q(id)}/heatmap?view=${view}`),
  };
}
