// The REST plumbing the model scripts (.ci/dev/*-model.mjs) share: their
// arguments (URL ADMIN_EMAIL ADMIN_PASSWORD) and one JSON request helper that
// fails loudly on any non-2xx answer.

// The script's arguments; prints the usage and exits 2 when one is missing.
export function args(script) {
  const [url, email, password] = process.argv.slice(2);
  if (!url || !email || !password) {
    console.error(`usage: node ${script} URL ADMIN_EMAIL ADMIN_PASSWORD`);
    process.exit(2);
  }
  return { url, email, password };
}

// `call(method, path, body, token)`: one request to Directus at `url`; the parsed JSON answer.
export function client(url) {
  return async function call(method, path, body, token) {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
}
