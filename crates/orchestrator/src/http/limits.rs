//! Rate limits: a token bucket per client IP (the seeds: 1000 requests a
//! minute) and one per user, in memory for one process or in Redis for the
//! fleet (every instance shares the buckets). Over the limit → 429 with
//! `Retry-After`. Health, metrics and push endpoints are exempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use async_trait::async_trait;

use super::auth::{JwtKeys, token_of};
use super::error::ApiError;

/// A bucket: `capacity` requests at once, refilled to `capacity` per `per`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Burst size and requests per period.
    pub capacity: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// The seeds' per-IP limit: 1000 requests a minute.
    pub const PER_IP: Rate = Rate { capacity: 1000, per: Duration::from_secs(60) };
    /// Per user: the same.
    pub const PER_USER: Rate = Rate { capacity: 1000, per: Duration::from_secs(60) };

    fn refill_per_sec(self) -> f64 {
        f64::from(self.capacity) / self.per.as_secs_f64().max(0.001)
    }
}

/// Takes one token from a named bucket: `Ok(())`, or how long until one is free.
#[async_trait]
pub trait Limiter: Send + Sync {
    /// One request against `key`'s bucket.
    async fn take(&self, key: &str, rate: Rate) -> Result<(), Duration>;
}

/// Buckets in this process.
#[derive(Default)]
pub struct MemoryLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

#[async_trait]
impl Limiter for MemoryLimiter {
    async fn take(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Forget full buckets so the map cannot grow without bound.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate.refill_per_sec() < f64::from(rate.capacity)
            });
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((f64::from(rate.capacity), now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * rate.refill_per_sec()).min(f64::from(rate.capacity));
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate.refill_per_sec()))
        }
    }
}

/// Buckets in Redis, shared by every orchestrator instance.
#[cfg(feature = "fleet")]
pub struct RedisLimiter(pub manga_cache::RateLimiter);

#[cfg(feature = "fleet")]
#[async_trait]
impl Limiter for RedisLimiter {
    async fn take(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        match self.0.check(key, rate.capacity, rate.refill_per_sec()).await {
            Ok(d) if d.allowed => Ok(()),
            Ok(d) => Err(d.retry_after),
            Err(e) => {
                // Limits protect the service; Redis being down must not take the API with it.
                tracing::warn!(error = %e, "rate limiter unavailable; request let through");
                Ok(())
            }
        }
    }
}

/// What the middleware needs.
#[derive(Clone)]
pub struct RateLimits {
    /// Where buckets live.
    pub limiter: Arc<dyn Limiter>,
    /// Per client IP.
    pub per_ip: Rate,
    /// Per user (from the bearer token's subject, when valid).
    pub per_user: Rate,
    /// Take the client IP from the first `X-Forwarded-For` hop (behind Cloud Run's load balancer).
    pub trust_forwarded: bool,
    /// To read the user from the token.
    pub keys: JwtKeys,
}

const EXEMPT: [&str; 4] = ["/health", "/ready", "/metrics", "/pubsub/push"];

/// Middleware: 429 when the client's IP or user bucket is empty.
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn rate_limit(
    limits: web::Data<RateLimits>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if EXEMPT.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let ip = client_ip(&req, limits.trust_forwarded);
    let mut verdict = limits.limiter.take(&format!("ratelimit:ip:{ip}"), limits.per_ip).await;
    if verdict.is_ok()
        && let Some(user) = token_of(req.request()).and_then(|t| limits.keys.verify(&t).ok())
    {
        verdict = limits.limiter.take(&format!("ratelimit:user:{user}"), limits.per_user).await;
    }
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(wait) => {
            let error = ApiError::TooManyRequests { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 };
            Ok(req.into_response(error.error_response()).map_into_right_body())
        }
    }
}

fn client_ip(req: &ServiceRequest, trust_forwarded: bool) -> String {
    if trust_forwarded
        && let Some(first) =
            req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, test};

    use super::*;

    #[tokio::test]
    async fn a_bucket_empties_then_refills() {
        let limiter = MemoryLimiter::default();
        let rate = Rate { capacity: 2, per: Duration::from_millis(200) };
        assert!(limiter.take("a", rate).await.is_ok());
        assert!(limiter.take("a", rate).await.is_ok());
        let wait = limiter.take("a", rate).await.unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert!(limiter.take("b", rate).await.is_ok(), "another key has its own bucket");
        tokio::time::sleep(wait + Duration::from_millis(10)).await;
        assert!(limiter.take("a", rate).await.is_ok());
    }

    #[actix_web::test]
    async fn the_request_over_the_limit_gets_429_with_retry_after_and_other_ips_do_not() {
        let limits = web::Data::new(RateLimits {
            limiter: Arc::new(MemoryLimiter::default()),
            per_ip: Rate { capacity: 3, per: Duration::from_secs(60) },
            per_user: Rate::PER_USER,
            trust_forwarded: true,
            keys: JwtKeys::new(b"k"),
        });
        let app = test::init_service(
            App::new()
                .app_data(limits.clone())
                .wrap(from_fn(rate_limit))
                .route("/x", web::get().to(|| async { "ok" }))
                .route("/health", web::get().to(|| async { "ok" })),
        )
        .await;
        let from = |ip: &str| {
            test::TestRequest::get().uri("/x").insert_header(("X-Forwarded-For", ip.to_owned())).to_request()
        };
        for _ in 0..3 {
            assert_eq!(test::call_service(&app, from("10.0.0.1")).await.status(), 200);
        }
        let res = test::call_service(&app, from("10.0.0.1")).await;
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers().get("retry-after").unwrap(), "20");
        assert_eq!(test::call_service(&app, from("10.0.0.2")).await.status(), 200);
        let health =
            test::TestRequest::get().uri("/health").insert_header(("X-Forwarded-For", "10.0.0.1")).to_request();
        assert_eq!(test::call_service(&app, health).await.status(), 200, "health is exempt");
    }
}
