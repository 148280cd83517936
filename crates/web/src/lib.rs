//! The web dashboard, embedded: the files build.rs made from `crates/web/src` (the same files
//! Terraform uploads to S3), and the routes that serve them from `sentiment-analyzer serve`.
//! Every other path stays the API's, JSON 404s included.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One file of the site.
pub struct Asset {
    /// File name, and the path it is served at (`/` for `index.html`).
    pub name: &'static str,
    pub content_type: &'static str,
    pub etag: &'static str,
    /// Content-hashed name: a new build is a new name, so it may be cached for good.
    pub immutable: bool,
    pub body: &'static [u8],
    pub gzip: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The dashboard's page.
pub fn index() -> &'static Asset {
    asset("index.html").expect("build.mjs always writes index.html")
}

pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// `GET /` (and `/index.html`) and each asset at `/<name>`; merge it into the API router.
pub fn router() -> Router {
    let mut router =
        Router::new().route("/", get(|headers: HeaderMap| async move { respond(index(), &headers) }));
    for asset in ASSETS {
        router = router.route(
            &format!("/{}", asset.name),
            get(move |headers: HeaderMap| async move { respond(asset, &headers) }),
        );
    }
    router
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn respond(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == asset.etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) {
        let mut response = Body::from(asset.gzip).into_response();
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        Body::from(asset.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // index.html names the current bundles, so it is revalidated on every visit (as the S3
    // copy is); bundles are immutable under their hashed names.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if asset.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        router().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    fn page() -> String {
        String::from_utf8(index().body.to_vec()).unwrap()
    }

    #[test]
    fn the_page_names_only_files_that_exist_and_holds_no_inline_code() {
        let html = page();
        let js = ASSETS.iter().find(|a| a.name.ends_with(".js")).unwrap();
        let css = ASSETS.iter().find(|a| a.name.ends_with(".css")).unwrap();
        assert!(html.contains(&format!(r#"<script type="module" src="/{}"></script>"#, js.name)), "{html}");
        assert!(html.contains(&format!(r#"href="/{}""#, css.name)), "{html}");
        assert!(!html.contains("<style"), "inline style in {html}");
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(html.contains(r#"http-equiv="Content-Security-Policy""#));
        // The header and the meta element are one policy (the header adds what meta cannot).
        let meta = CSP.trim_end_matches("; frame-ancestors 'none'");
        assert!(html.contains(meta), "{html}");
        assert!(!CSP.contains("unsafe") && !CSP.contains("http"), "{CSP}");
    }

    #[test]
    fn the_whole_page_stays_under_150_kb_compressed() {
        let total: usize = ASSETS.iter().map(|a| a.gzip.len()).sum();
        assert_eq!(total, PAGE_GZIP_BYTES);
        assert!(total < 150 * 1024, "{total} B");
    }

    #[tokio::test]
    async fn files_are_served_with_their_type_caching_policy_and_gzip() {
        let response = get("/", &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP);
        let etag = h[header::ETAG].clone();
        assert_eq!(to_bytes(response.into_body(), usize::MAX).await.unwrap(), index().gzip);

        let plain = get("/index.html", &[]).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(to_bytes(plain.into_body(), usize::MAX).await.unwrap(), index().body);

        let refused = get("/", &[("accept-encoding", "gzip;q=0, identity")]).await;
        assert!(refused.headers().get(header::CONTENT_ENCODING).is_none());

        let again = get("/", &[("if-none-match", etag.to_str().unwrap())]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        for asset in ASSETS.iter().filter(|a| a.name != "index.html") {
            let response = get(&format!("/{}", asset.name), &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{}", asset.name);
            assert_eq!(response.headers()[header::CONTENT_TYPE], asset.content_type);
            let expected = if asset.name.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else if asset.name.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "image/svg+xml"
            };
            assert_eq!(asset.content_type, expected, "{}", asset.name);
            if asset.immutable {
                assert!(response.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
            }
        }
    }

    #[tokio::test]
    async fn unknown_paths_are_left_to_the_api() {
        assert_eq!(get("/nope.js", &[]).await.status(), StatusCode::NOT_FOUND);
        let router_has_no_fallback = get("/api/v2/anything", &[]).await;
        assert_eq!(router_has_no_fallback.status(), StatusCode::NOT_FOUND);
    }
}
