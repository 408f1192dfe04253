//! The Directus REST API, as the upgrade drill and the smoke checks use it: log in as the
//! admin, write items in batches, update one item, read items back. The one module that
//! knows Directus's endpoints and its error shape (`{"errors": [{"message": ...}]}`); it
//! speaks loopback HTTP/1.0 through [`crate::http_client`].
//!
//! Every error names the endpoint, the HTTP status and Directus's own `errors[0].message`,
//! e.g. `POST /items/articles answered 400: Value for field "slug" in collection "articles"
//! has to be unique.`

use std::time::Duration;

use serde_json::Value;

use crate::http_client::{self, Response};
use crate::source::{excerpt, EXCERPT_CHARS};

/// How long one write may take: a batch of a hundred items, with Directus writing an
/// activity and a revision row for each, takes well under a second here.
const WRITE_TIMEOUT: Duration = Duration::from_secs(120);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A logged-in admin session against Directus on 127.0.0.1:`port`.
pub struct Client {
    pub port: u16,
    token: String,
}

impl std::fmt::Debug for Client {
    // The token is a credential: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Client {
    /// `POST /auth/login`; the session's access token is kept for every later request.
    pub async fn login(port: u16, email: &str, password: &str) -> Result<Client, String> {
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        let what = "POST /auth/login";
        let r = http_client::request_within(port, "POST", "/auth/login", None, Some(&body), READ_TIMEOUT)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        let v = answer(what, &r)?;
        let token = v["data"]["access_token"]
            .as_str()
            .ok_or_else(|| format!("{what} answered {} without data.access_token", r.status))?
            .to_string();
        Ok(Client { port, token })
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>, timeout: Duration) -> Result<Value, String> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let text = body.map(|b| b.to_string());
        let r = http_client::request_within(self.port, method, path, Some(&self.token), text.as_deref(), timeout)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        answer(&what, &r)
    }

    /// `GET <path>` (e.g. `/collections?limit=-1`): the answer's `data`.
    pub async fn get(&self, path: &str) -> Result<Value, String> {
        Ok(self.send("GET", path, None, READ_TIMEOUT).await?["data"].take())
    }

    /// `POST /items/<collection>` with `items` as one array (one request, one transaction):
    /// the created items' primary keys, in the order of `items`.
    ///
    /// Directus reads the created items back sorted as asked (`sort=<pk>`), not in insertion
    /// order: keys the items carry are matched by value; generated keys (auto-increment) are
    /// handed out in ascending order within the one transaction, so the ascending list is the
    /// insertion order.
    pub async fn create_items(&self, collection: &str, primary_key: &str, items: &[Value]) -> Result<Vec<Value>, String> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let path = format!("/items/{}?fields={}&sort={}&limit=-1", enc(collection), enc(primary_key), enc(primary_key));
        let body = Value::Array(items.to_vec());
        let v = self.send("POST", &path, Some(&body), WRITE_TIMEOUT).await?;
        let what = format!("POST /items/{collection}");
        let read: Vec<Value> = v["data"]
            .as_array()
            .ok_or_else(|| format!("{what} answered without a data list"))?
            .iter()
            .map(|i| i[primary_key].clone())
            .collect();
        if read.len() != items.len() {
            return Err(format!("{what}: {} items sent, {} read back", items.len(), read.len()));
        }
        let given: Vec<Option<&Value>> = items.iter().map(|i| i.get(primary_key).filter(|k| !k.is_null())).collect();
        if given.iter().all(Option::is_some) {
            let keys: Vec<Value> = given.into_iter().map(|k| k.cloned().unwrap_or(Value::Null)).collect();
            if let Some(missing) = keys.iter().find(|k| !read.iter().any(|r| same_key(r, k))) {
                return Err(format!("{what}: the item with {primary_key} {missing} was not read back"));
            }
            return Ok(keys);
        }
        if given.iter().any(Option::is_some) {
            return Err(format!("{what}: either every item carries its {primary_key} or none does"));
        }
        Ok(read)
    }

    /// `PATCH /items/<collection>` on a singleton (creates its one row or updates it): the
    /// row's primary key.
    pub async fn upsert_singleton(&self, collection: &str, primary_key: &str, item: &Value) -> Result<Value, String> {
        let path = format!("/items/{}?fields={}", enc(collection), enc(primary_key));
        let v = self.send("PATCH", &path, Some(item), WRITE_TIMEOUT).await?;
        match &v["data"][primary_key] {
            Value::Null => Err(format!("PATCH /items/{collection} answered without data.{primary_key}")),
            k => Ok(k.clone()),
        }
    }

    /// `PATCH /items/<collection>/<key>` with `data` (a partial item).
    pub async fn update_item(&self, collection: &str, key: &Value, data: &Value) -> Result<(), String> {
        let key = match key {
            Value::String(s) => s.clone(),
            k => k.to_string(),
        };
        let path = format!("/items/{}/{}?fields={}", enc(collection), enc(&key), "*");
        self.send("PATCH", &path, Some(data), WRITE_TIMEOUT).await.map(|_| ())
    }

    /// `PATCH /items/<collection>` with an array of partial items, each carrying its primary
    /// key (one request, one transaction).
    pub async fn update_items(&self, collection: &str, primary_key: &str, items: &[Value]) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let path = format!("/items/{}?fields={}&limit=-1", enc(collection), enc(primary_key));
        self.send("PATCH", &path, Some(&Value::Array(items.to_vec())), WRITE_TIMEOUT).await.map(|_| ())
    }

    /// `GET /items/<collection>?<query>` (e.g. `fields=id,title&sort=id&limit=-1`): the items.
    pub async fn read_items(&self, collection: &str, query: &str) -> Result<Vec<Value>, String> {
        let sep = if query.is_empty() { "" } else { "?" };
        let v = self.get(&format!("/items/{}{sep}{query}", enc(collection))).await?;
        match v {
            Value::Array(items) => Ok(items),
            // a singleton answers with its one item (or null before it has one)
            Value::Null => Ok(Vec::new()),
            item @ Value::Object(_) => Ok(vec![item]),
            other => Err(format!("GET /items/{collection} answered with {other} instead of a list")),
        }
    }

    /// How many items `collection` has (`aggregate[count]=*`).
    pub async fn count(&self, collection: &str) -> Result<u64, String> {
        let v = self.get(&format!("/items/{}?aggregate[count]=*", enc(collection))).await?;
        let n = &v[0]["count"];
        n.as_u64()
            .or_else(|| n.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| format!("GET /items/{collection}?aggregate[count]=* answered {v} instead of a count"))
    }
}

/// The JSON of a 2xx answer, or an error naming the endpoint, the status and Directus's
/// first error message.
fn answer(what: &str, r: &Response) -> Result<Value, String> {
    let v: Option<Value> = serde_json::from_str(&r.body).ok();
    if (200..300).contains(&r.status) {
        return match v {
            Some(v) => Ok(v),
            None if r.body.trim().is_empty() => Ok(Value::Null),
            None => Err(format!("{what} answered {} with a body that is not JSON: {}", r.status, excerpt(&r.body, EXCERPT_CHARS))),
        };
    }
    let message = v
        .as_ref()
        .and_then(|v| v["errors"][0]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| excerpt(&r.body, EXCERPT_CHARS));
    Err(format!("{what} answered {}: {message}", r.status))
}

/// Whether two primary keys are the same (Directus may answer a number as a string).
fn same_key(a: &Value, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    a == b || text(a) == text(b)
}

/// Percent-encodes a path segment or query value (collection names, keys).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_endpoint_the_status_and_directus_s_message() {
        let r = Response {
            status: 400,
            body: r#"{"errors":[{"message":"Value for field \"slug\" in collection \"articles\" has to be unique.","extensions":{"code":"RECORD_NOT_UNIQUE"}}]}"#.into(),
        };
        assert_eq!(
            answer("POST /items/articles", &r).unwrap_err(),
            "POST /items/articles answered 400: Value for field \"slug\" in collection \"articles\" has to be unique."
        );
        let r = Response { status: 502, body: "Bad Gateway".into() };
        assert_eq!(answer("GET /items/x", &r).unwrap_err(), "GET /items/x answered 502: Bad Gateway");
        let r = Response { status: 204, body: String::new() };
        assert_eq!(answer("PATCH /items/x/1", &r).unwrap(), Value::Null);
        let r = Response { status: 200, body: "<html>".into() };
        assert!(answer("GET /items/x", &r).unwrap_err().contains("not JSON"));
    }

    #[test]
    fn keys_and_names_are_percent_encoded() {
        assert_eq!(enc("articles_tags"), "articles_tags");
        assert_eq!(enc("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
        assert_eq!(enc("é"), "%C3%A9");
        assert!(same_key(&serde_json::json!(5), &serde_json::json!("5")));
        assert!(!same_key(&serde_json::json!(5), &serde_json::json!(6)));
    }

    #[test]
    fn the_token_is_never_shown() {
        let c = Client { port: 1, token: "secret-token".into() };
        assert!(!format!("{c:?}").contains("secret-token"));
    }
}
