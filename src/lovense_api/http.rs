//! The HTTP face of the API: one handler for every path and method. `POST /command` (also
//! `/api/lan/v2/command`) takes the JSON commands, any other path is a legacy Lovense Connect
//! route (GET or POST alike); every answer is HTTP 200 with the Lovense code in the JSON body,
//! and carries CORS headers; preflights (`OPTIONS`) are answered for any origin.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::LovenseApi;
use super::request::{ApiError, parse_command, parse_legacy};

/// The router: everything goes to [`handle`].
pub fn router(api: LovenseApi) -> Router {
    Router::new().fallback(handle).with_state(api)
}

const ALLOWED_HEADERS: &str = "Content-Type, Accept, X-platform, Cache-Control, X-Requested-With";

async fn handle(
    State(api): State<LovenseApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        cors(h);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        let asked = headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(ALLOWED_HEADERS));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        // Chrome's private network access preflight (a public page calling localhost).
        h.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
        return r;
    }
    if method != Method::GET && method != Method::POST {
        return answer(Err(ApiError::invalid_command(format!("method {method}"))));
    }
    let path = uri.path().trim_matches('/');
    let route = path.rsplit('/').next().unwrap_or("");
    let parsed = if route.eq_ignore_ascii_case("command") {
        parse_command(&body, uri.query())
    } else if path.is_empty() && body.iter().any(|b| !b.is_ascii_whitespace()) {
        // A JSON command posted to `/`.
        parse_command(&body, uri.query())
    } else {
        parse_legacy(route, uri.query())
    };
    let result = match parsed {
        Ok(request) => api.handle(request).await,
        Err(e) => Err(e),
    };
    answer(result)
}

fn cors(h: &mut HeaderMap) {
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// HTTP 200 with the body, or the Lovense error body `{"code","type":"error","message"}`.
fn answer(result: Result<serde_json::Value, ApiError>) -> Response {
    let body = match result {
        Ok(v) => v,
        Err(e) => json!({"code": e.code, "type": "error", "message": e.message}),
    };
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    cors(r.headers_mut());
    r
}
