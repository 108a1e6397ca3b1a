//! The web page: static files compiled into the binary, so the orchestrator
//! serves it with no build step and nothing fetched at run time.

use actix_web::{HttpResponse, web};

/// (path, content type, bytes) of every file of the page.
const FILES: &[(&str, &str, &[u8])] = &[
    ("/", "text/html; charset=utf-8", include_bytes!("../web/index.html")),
    ("/app.js", "text/javascript; charset=utf-8", include_bytes!("../web/app.js")),
    ("/style.css", "text/css; charset=utf-8", include_bytes!("../web/style.css")),
    ("/api.js", "text/javascript; charset=utf-8", include_bytes!("../web/api.js")),
    ("/dom.js", "text/javascript; charset=utf-8", include_bytes!("../web/dom.js")),
    ("/phases.js", "text/javascript; charset=utf-8", include_bytes!("../web/phases.js")),
    ("/reader.js", "text/javascript; charset=utf-8", include_bytes!("../web/reader.js")),
];

/// Mounts the page's files.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, content_type, bytes) in FILES {
        let (content_type, bytes) = (*content_type, *bytes);
        cfg.route(
            path,
            web::get().to(move || async move {
                HttpResponse::Ok()
                    .content_type(content_type)
                    .insert_header(("Cache-Control", "no-cache"))
                    .insert_header(("X-Content-Type-Options", "nosniff"))
                    .body(bytes)
            }),
        );
    }
}
