//! Compiles proto/ with protox (a protobuf compiler in Rust), so no protoc binary is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with env!(): a shared target directory reuses this script's binary
    // across clones, and a path baked in at compile time would compile another clone's proto.
    #[allow(clippy::disallowed_methods, reason = "cargo passes a build script its manifest directory this way")]
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let root = std::path::Path::new(&manifest).join("../../proto");
    let file = root.join("manga/v1/messages.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    let descriptors = protox::compile([&file], [&root])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
