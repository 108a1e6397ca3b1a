//! CORS for the origins in `CORS_ORIGINS`. With none, browsers may only call
//! the API from the page it serves (same origin needs no CORS headers).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// The allowed origins.
#[derive(Debug, Clone, Default)]
pub struct CorsOrigins(pub Vec<String>);

impl CorsOrigins {
    fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin || o == "*")
    }
}

/// Middleware: answers preflights and marks responses for allowed origins.
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn cors(
    origins: CorsOrigins,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = origin.filter(|o| origins.allows(o));
    if req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        let mut preflight = HttpResponse::NoContent();
        if let Some(origin) = &allowed {
            preflight
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, DELETE"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type, range, if-none-match",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .insert_header((header::VARY, "Origin"));
        }
        return Ok(req.into_response(preflight.finish()).map_into_right_body());
    }
    let mut response = next.call(req).await?.map_into_left_body();
    if let Some(origin) = allowed {
        let headers = response.headers_mut();
        if let Ok(value) = header::HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::HeaderValue::from_static("etag, retry-after, location"),
        );
        headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, test, web};

    use super::*;

    #[actix_web::test]
    async fn only_listed_origins_get_cors_headers() {
        let origins = CorsOrigins(vec!["https://manga.example".into()]);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(move |req, next| cors(origins.clone(), req, next)))
                .route("/x", web::get().to(|| async { "ok" })),
        )
        .await;
        let allowed = test::TestRequest::get().uri("/x").insert_header(("Origin", "https://manga.example"));
        let res = test::call_service(&app, allowed.to_request()).await;
        assert_eq!(res.headers().get("access-control-allow-origin").unwrap(), "https://manga.example");
        let other = test::TestRequest::get().uri("/x").insert_header(("Origin", "https://evil.example"));
        let res = test::call_service(&app, other.to_request()).await;
        assert!(res.headers().get("access-control-allow-origin").is_none());
        let preflight = test::TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/x")
            .insert_header(("Origin", "https://manga.example"))
            .insert_header(("Access-Control-Request-Method", "POST"));
        let res = test::call_service(&app, preflight.to_request()).await;
        assert_eq!(res.status(), 204);
        assert_eq!(res.headers().get("access-control-allow-methods").unwrap(), "GET, POST, DELETE");
    }
}
