//! One error shape for the whole API: `{"error": "<one sentence>"}` with a
//! 4xx status, or 503 when a dependency is down. Never a 500 for bad input.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

/// An API failure, as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed or out of range.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or a bad one.
    #[error("{0}")]
    Unauthorized(String),
    /// 404: nothing there (or not the caller's).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: not in a state for this.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 422: well-formed but names something that does not exist.
    #[error("{0}")]
    Unprocessable(String),
    /// 429: slow down; retry after this many seconds.
    #[error("too many requests; retry in {retry_after_secs} s")]
    TooManyRequests {
        /// For `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503: a dependency is down; retrying later may work.
    #[error("{0}")]
    Unavailable(String),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            _ => {}
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}

/// Path segments that do not parse are a 404: there is no such resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e, _| ApiError::NotFound(format!("no such resource: {e}")).into())
}

/// Query strings that do not parse are a 400 naming the problem.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(format!("bad query parameters: {e}")).into())
}

/// Unknown routes answer in the API's shape.
///
/// # Errors
/// Always: there is nothing there.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("there is nothing at {} {}", req.method(), req.path())))
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn every_error_is_json_with_its_status_and_headers() {
        let cases = [
            (ApiError::BadRequest("bad".into()), 400),
            (ApiError::Unauthorized("who".into()), 401),
            (ApiError::NotFound("none".into()), 404),
            (ApiError::Conflict("busy".into()), 409),
            (ApiError::TooLarge("big".into()), 413),
            (ApiError::Unprocessable("what".into()), 422),
            (ApiError::TooManyRequests { retry_after_secs: 7 }, 429),
            (ApiError::Unavailable("down".into()), 503),
        ];
        for (error, status) in cases {
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), status);
            let headers = response.headers().clone();
            let body = to_bytes(response.into_body()).await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["error"], error.to_string());
            if status == 429 {
                assert_eq!(headers.get("retry-after").unwrap(), "7");
            }
            if status == 401 {
                assert_eq!(headers.get("www-authenticate").unwrap(), "Bearer");
            }
        }
    }
}
