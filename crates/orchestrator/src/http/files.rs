//! Serving an artifact: content type, strong ETag, `If-None-Match` → 304,
//! one `Range` → 206 (416 when it cannot be satisfied), and downloads.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;

/// The content type of a file by its extension.
pub fn content_type_for(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "pdf" => "application/pdf",
        "cbz" => "application/vnd.comicbook+zip",
        "png" => "image/png",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A single byte range of a `len`-byte body, or `Err(())` when unsatisfiable;
/// `Ok(None)` when there is no usable range (serve the whole body).
fn range_of(value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None); // several ranges: the whole body is a valid answer
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", "") => return Err(()),
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        (start, "") => (start.parse().map_err(|_| ())?, len.saturating_sub(1)),
        (start, end) => {
            let (s, e): (u64, u64) = (start.parse().map_err(|_| ())?, end.parse().map_err(|_| ())?);
            (s, e.min(len.saturating_sub(1)))
        }
    };
    if len == 0 || start >= len || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// The response for a stored file.
pub fn serve_bytes(
    req: &HttpRequest,
    bytes: Bytes,
    content_type: &str,
    etag: &str,
    download_name: Option<&str>,
) -> HttpResponse {
    let etag = format!("\"{etag}\"");
    let len = bytes.len() as u64;
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(|r| range_of(r, len)) {
            Some(Err(())) => {
                return HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                    .json(serde_json::json!({ "error": format!("the range cannot be satisfied; the file has {len} bytes") }));
            }
            Some(Ok(Some((start, end)))) => {
                let mut partial = HttpResponse::PartialContent();
                partial.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
                let body = bytes.slice(start as usize..=end as usize);
                return finish(partial, content_type, &etag, download_name).body(body);
            }
            _ => HttpResponse::Ok(),
        }
    };
    if matches {
        return finish(response, content_type, &etag, download_name).finish();
    }
    finish_ref(&mut response, content_type, &etag, download_name);
    response.body(bytes)
}

fn finish(
    mut builder: actix_web::HttpResponseBuilder,
    content_type: &str,
    etag: &str,
    download_name: Option<&str>,
) -> actix_web::HttpResponseBuilder {
    finish_ref(&mut builder, content_type, etag, download_name);
    builder
}

fn finish_ref(
    builder: &mut actix_web::HttpResponseBuilder,
    content_type: &str,
    etag: &str,
    download_name: Option<&str>,
) {
    builder
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // Jobs belong to one person: no shared caches.
        .insert_header((header::CACHE_CONTROL, "private, max-age=0, must-revalidate"));
    if let Some(name) = download_name {
        builder.insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")));
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;

    use super::*;

    async fn serve(headers: &[(&str, &str)]) -> (u16, actix_web::http::header::HeaderMap, Vec<u8>) {
        let mut req = TestRequest::get();
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let res =
            serve_bytes(&req.to_http_request(), Bytes::from_static(b"0123456789"), "image/png", "abc", Some("x.pdf"));
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        (status, headers, to_bytes(res.into_body()).await.unwrap().to_vec())
    }

    #[actix_web::test]
    async fn whole_body_with_etag_and_download_name() {
        let (status, headers, body) = serve(&[]).await;
        assert_eq!((status, body.as_slice()), (200, &b"0123456789"[..]));
        assert_eq!(headers.get("etag").unwrap(), "\"abc\"");
        assert_eq!(headers.get("accept-ranges").unwrap(), "bytes");
        assert_eq!(headers.get("content-disposition").unwrap(), "attachment; filename=\"x.pdf\"");
    }

    #[actix_web::test]
    async fn a_matching_etag_is_not_modified() {
        let (status, _, body) = serve(&[("If-None-Match", "\"abc\"")]).await;
        assert_eq!((status, body.len()), (304, 0));
        assert_eq!(serve(&[("If-None-Match", "\"other\"")]).await.0, 200);
    }

    #[actix_web::test]
    async fn ranges_give_parts_or_416() {
        for (range, want) in
            [("bytes=2-4", &b"234"[..]), ("bytes=7-", b"789"), ("bytes=-2", b"89"), ("bytes=8-100", b"89")]
        {
            let (status, headers, body) = serve(&[("Range", range)]).await;
            assert_eq!((status, body.as_slice()), (206, want), "{range}");
            assert!(headers.get("content-range").unwrap().to_str().unwrap().ends_with("/10"));
        }
        for range in ["bytes=10-", "bytes=5-2", "bytes=-0", "bytes=x-1"] {
            let (status, headers, _) = serve(&[("Range", range)]).await;
            assert_eq!(status, 416, "{range}");
            assert_eq!(headers.get("content-range").unwrap(), "bytes */10");
        }
        assert_eq!(serve(&[("Range", "bytes=0-1,4-5")]).await.0, 200, "several ranges: the whole file");
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type_for("jobs/x/v1/publish/manga.cbz"), "application/vnd.comicbook+zip");
        assert_eq!(content_type_for("a.pdf"), "application/pdf");
        assert_eq!(content_type_for("noext"), "application/octet-stream");
    }
}
