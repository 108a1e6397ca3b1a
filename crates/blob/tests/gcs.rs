//! `GcsBlobStore` against a local stand-in for Cloud Storage's XML API (the
//! calls object_store makes: PUT, GET and HEAD of `/{bucket}/{object}`),
//! reached through a service-account key with `gcs_base_url` and
//! `disable_oauth`, as object_store's own tests reach fake-gcs-server.

#![cfg(feature = "gcs")]
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use manga_blob::{BlobError, BlobStore, BucketRole, GcsBlobStore, PREVIEW_CACHE_CONTROL};
use manga_domain::{ArtifactKey, JobId, PhaseId, Version};
use object_store::gcp::GoogleCloudStorageBuilder;

/// One stored object: its bytes and the headers it was written with.
#[derive(Clone, Debug)]
struct Object {
    bytes: Bytes,
    content_type: Option<String>,
    cache_control: Option<String>,
}

type Objects = Arc<Mutex<HashMap<(String, String), Object>>>;

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn object(req: HttpRequest, body: Bytes, objects: web::Data<Objects>) -> HttpResponse {
    let path = req.uri().path().trim_start_matches('/');
    let (bucket, name) = path.split_once('/').unwrap();
    // object_store percent-encodes the bucket and the whole object name, slashes included.
    let key = (percent_decode(bucket), percent_decode(name));
    let etag = "\"1\"";
    let modified = "Tue, 01 Dec 2026 10:00:00 GMT";
    match *req.method() {
        actix_web::http::Method::PUT => {
            let object = Object {
                bytes: body,
                content_type: header(&req, "content-type"),
                cache_control: header(&req, "cache-control"),
            };
            objects.lock().unwrap().insert(key, object);
            HttpResponse::Ok().insert_header(("ETag", etag)).finish()
        }
        actix_web::http::Method::GET | actix_web::http::Method::HEAD => match objects.lock().unwrap().get(&key) {
            Some(object) => HttpResponse::Ok()
                .insert_header(("ETag", etag))
                .insert_header(("Last-Modified", modified))
                .body(object.bytes.clone()),
            None => HttpResponse::NotFound().body("<Error><Code>NoSuchKey</Code></Error>"),
        },
        _ => HttpResponse::MethodNotAllowed().finish(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The stand-in on a free port; returns its base URL and what it stores.
async fn fake_gcs() -> (String, Objects) {
    let objects = Objects::default();
    let data = web::Data::new(objects.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(data.clone()).default_service(web::to(object))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}"), objects)
}

fn store(base: &str) -> GcsBlobStore {
    let key = serde_json::json!({
        "gcs_base_url": base, "disable_oauth": true,
        "client_email": "", "private_key": "", "private_key_id": "",
    })
    .to_string();
    // Few, quick retries: the unreachable case should fail in a second, not minutes.
    let retry = object_store::RetryConfig {
        max_retries: 1,
        retry_timeout: std::time::Duration::from_secs(2),
        ..object_store::RetryConfig::default()
    };
    GcsBlobStore::with_builder("proj-manga-", || {
        GoogleCloudStorageBuilder::new().with_service_account_key(&key).with_retry(retry.clone())
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_round_trip_through_the_bucket_of_their_role() {
    let (base, objects) = fake_gcs().await;
    let store = store(&base);
    let (job, v) = (JobId::new(), Version::FIRST);

    let page = ArtifactKey::page(job, v, 1);
    let thumb = ArtifactKey::thumbnail(job, v, 1);
    let board = ArtifactKey::phase_output(job, v, PhaseId::Name);
    let pdf = ArtifactKey::product(job, v, "manga.pdf");
    assert!(!store.exists(&page).await.unwrap());
    store.put(&page, Bytes::from_static(b"\x89PNG page"), "image/png").await.unwrap();
    store.put(&thumb, Bytes::from_static(b"\x89PNG thumb"), "image/png").await.unwrap();
    store.put(&board, Bytes::from_static(b"{\"pages\":[]}"), "application/json").await.unwrap();
    store.put(&pdf, Bytes::from_static(b"%PDF-1.7"), "application/pdf").await.unwrap();

    assert_eq!(&store.get(&page).await.unwrap()[..], b"\x89PNG page");
    assert_eq!(&store.get(&board).await.unwrap()[..], b"{\"pages\":[]}");
    assert!(store.exists(&thumb).await.unwrap());

    let stored = objects.lock().unwrap().clone();
    let bucket_of = |key: &ArtifactKey| {
        stored.keys().find(|(_, name)| name == key.as_str()).map(|(bucket, _)| bucket.clone()).unwrap()
    };
    assert_eq!(bucket_of(&page), "proj-manga-output-images");
    assert_eq!(bucket_of(&thumb), "proj-manga-preview-cache");
    assert_eq!(bucket_of(&board), "proj-manga-version-snapshots");
    assert_eq!(bucket_of(&pdf), "proj-manga-final-products");
    assert_eq!(store.bucket_of(&thumb), format!("proj-manga-{}", BucketRole::PreviewCache.name()));

    // Previews are cacheable for a week and never revalidated; other objects are not marked so.
    let thumb_object = &stored[&(bucket_of(&thumb), thumb.as_str().to_owned())];
    assert_eq!(thumb_object.cache_control.as_deref(), Some(PREVIEW_CACHE_CONTROL));
    assert_eq!(thumb_object.content_type.as_deref(), Some("image/png"));
    let pdf_object = &stored[&(bucket_of(&pdf), pdf.as_str().to_owned())];
    assert_eq!(
        (pdf_object.cache_control.as_deref(), pdf_object.content_type.as_deref()),
        (None, Some("application/pdf"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_object_is_not_found_and_an_unreachable_store_is_transient() {
    let (base, _) = fake_gcs().await;
    let missing = ArtifactKey::story(JobId::new(), Version::FIRST);
    let err = store(&base).get(&missing).await.unwrap_err();
    assert!(matches!(err, BlobError::NotFound(_)), "{err}");
    assert!(!err.is_transient());

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let key = ArtifactKey::thumbnail(JobId::new(), Version::FIRST, 1);
    let err = store(&format!("http://{address}")).put(&key, Bytes::from_static(b"x"), "image/png").await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let text = err.to_string();
    assert!(text.contains("write") && text.contains("proj-manga-preview-cache"), "{text}");
}
