//! People's tokens: JWT, HS256, signed with `SECRET_KEY`, subject = user id.
//!
//! Only HS256 is accepted (never `alg: none`, never another algorithm a
//! forger could pick); `exp` is required, with 30 s of leeway for clock skew.

use std::future::{Ready, ready};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use manga_store::UserId;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// The claims we issue and require.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
}

/// The HS256 key, for issuing and verifying.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    /// Keys from the shared secret.
    pub fn new(secret: &[u8]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// A token for `user`, valid for `ttl`.
    pub fn issue(&self, user: &UserId, ttl: Duration) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let claims = Claims { sub: user.as_str().to_owned(), iat: now, exp: now + ttl.as_secs() };
        // HS256 signing of a plain struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// The user a token names, if it is valid.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] saying what is wrong with it.
    pub fn verify(&self, token: &str) -> Result<UserId, ApiError> {
        let unauthorized = |m: &str| ApiError::Unauthorized(m.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| unauthorized("the token is not a JWT"))?;
        if header.alg != Algorithm::HS256 {
            return Err(unauthorized("tokens must be signed with HS256"));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => unauthorized("the token has expired"),
                ErrorKind::InvalidSignature => unauthorized("the token's signature does not match"),
                ErrorKind::InvalidAlgorithm => unauthorized("tokens must be signed with HS256"),
                _ => unauthorized(&format!("the token is invalid: {e}")),
            })?
            .claims;
        UserId::parse(&claims.sub).map_err(|_| unauthorized("the token's subject is not a user id"))
    }
}

/// The person making the request, from `Authorization: Bearer <jwt>` or
/// (for links, EventSource and WebSocket, which cannot set headers) `?access_token=`.
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserId);

/// The bearer token of a request, if it carries one.
pub fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get("authorization").and_then(|v| v.to_str().ok()) {
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    req.query_string().split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(|t| t.to_owned())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(keys) = req.app_data::<web::Data<JwtKeys>>() else {
            return ready(Err(ApiError::Unavailable("authentication is not configured".into())));
        };
        let result = match token_of(req) {
            None => Err(ApiError::Unauthorized("missing Authorization: Bearer token".into())),
            Some(token) => keys.verify(&token).map(AuthUser),
        };
        ready(result)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn alice() -> UserId {
        UserId::parse("alice").unwrap()
    }

    fn message(result: Result<UserId, ApiError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let keys = JwtKeys::new(b"one secret");
        let token = keys.issue(&alice(), Duration::from_secs(60));
        assert_eq!(keys.verify(&token).unwrap(), alice());
        assert_eq!(message(JwtKeys::new(b"another").verify(&token)), "the token's signature does not match");
    }

    #[test]
    fn expired_unsigned_foreign_and_garbage_tokens_are_refused_with_the_reason() {
        let keys = JwtKeys::new(b"k");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let old = Claims { sub: "alice".into(), iat: now - 7200, exp: now - 3600 };
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &old, &EncodingKey::from_secret(b"k")).unwrap();
        assert_eq!(message(keys.verify(&expired)), "the token has expired");

        let fresh = Claims { sub: "alice".into(), iat: now, exp: now + 60 };
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &fresh, &EncodingKey::from_secret(b"k")).unwrap();
        assert_eq!(message(keys.verify(&hs512)), "tokens must be signed with HS256");

        let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
        let payload = serde_json::json!({"sub": "alice", "exp": now + 60});
        let none = format!("{}.{}.", b64(serde_json::json!({"alg": "none", "typ": "JWT"})), b64(payload));
        assert!(keys.verify(&none).is_err(), "alg none accepted");
        assert_eq!(message(keys.verify("garbage")), "the token is not a JWT");
    }

    #[actix_web::test]
    async fn the_extractor_reads_the_header_or_the_query() {
        let keys = JwtKeys::new(b"k");
        let token = keys.issue(&alice(), Duration::from_secs(60));
        let data = web::Data::new(keys);
        let req = actix_web::test::TestRequest::get()
            .insert_header(("Authorization", format!("Bearer {token}")))
            .app_data(data.clone())
            .to_http_request();
        assert_eq!(AuthUser::extract(&req).await.unwrap().0, alice());
        let req = actix_web::test::TestRequest::get()
            .uri(&format!("/x?a=1&access_token={token}"))
            .app_data(data.clone())
            .to_http_request();
        assert_eq!(AuthUser::extract(&req).await.unwrap().0, alice());
        let req = actix_web::test::TestRequest::get().app_data(data).to_http_request();
        assert_eq!(AuthUser::extract(&req).await.unwrap_err().to_string(), "missing Authorization: Bearer token");
    }
}
