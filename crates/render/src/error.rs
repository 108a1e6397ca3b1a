/// What can go wrong making pixels and files.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A PNG could not be read or written.
    #[error("PNG {action} failed: {message}")]
    Png {
        /// `encode` or `decode`.
        action: &'static str,
        /// Why.
        message: String,
    },
    /// An image has a size we cannot make (0 or huge).
    #[error("cannot make a {width}x{height} image")]
    BadSize {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
    },
    /// Writing an archive failed.
    #[error("archive failed: {0}")]
    Archive(String),
}
