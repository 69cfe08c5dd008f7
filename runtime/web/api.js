// The coordinator's REST API (v1). Paths are relative to the page, so that the dashboard also
// works behind a proxy that serves it under a prefix.

export class ApiError extends Error {
  // status 0: the coordinator could not be reached at all.
  constructor(message, status) {
    super(message);
    this.status = status;
  }
  get unreachable() {
    return this.status === 0;
  }
}

async function request(path, init) {
  let response;
  try {
    response = await fetch(path, Object.assign({ cache: "no-store" }, init));
  } catch (e) {
    throw new ApiError("cannot reach the coordinator", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.error === "string" && body.error
      ? body.error : `the coordinator answered ${response.status} ${response.statusText}`;
    throw new ApiError(message, response.status);
  }
  if (body === null || typeof body !== "object") {
    throw new ApiError(`${path}: the answer is not a JSON object`, response.status);
  }
  return body;
}

export function get(path) {
  return request(path, { headers: { Accept: "application/json" } });
}

// Actions. The header marks the request as the dashboard's own (a plain form on another site
// cannot set it).
export function post(path) {
  return request(path, {
    method: "POST",
    headers: { Accept: "application/json", "X-Nagare-Dashboard": "1" },
  });
}
