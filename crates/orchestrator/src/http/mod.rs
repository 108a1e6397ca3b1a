//! The API's cross-cutting HTTP pieces, each usable on its own:
//!
//! - [`error`]: `ApiError`, one JSON error shape for every 4xx/5xx, and
//!   extractor configs so actix's own rejections use it too;
//! - [`auth`]: HS256 JWTs (`SECRET_KEY`) and the `AuthUser` extractor;
//! - [`limits`]: per-IP and per-user token buckets (in memory or Redis) → 429;
//! - [`files`]: artifact responses with ETag, `If-None-Match` and `Range`;
//! - [`cors`]: CORS from `CORS_ORIGINS`.

pub mod auth;
pub mod cors;
pub mod error;
pub mod files;
pub mod limits;
