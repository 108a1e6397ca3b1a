//! The remote providers, one module each, and how they authenticate.

pub mod auth;
pub mod comfyui;
pub mod gemini;
pub mod imagen;
pub mod openai;
