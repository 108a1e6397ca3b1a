//! Graceful shutdown: in-flight pushes finish, the app stops taking work,
//! and `run_until_stopped` returns `Ok` (the process exits 0).

mod support;

use std::{collections::BTreeMap, time::Duration};

use support::{TestIssuer, envelope, spawn_app, verifying_vars};

#[tokio::test]
async fn an_in_flight_push_finishes_after_stop_and_the_app_exits_cleanly() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let token = issuer.token(&issuer.claims());
    let body = envelope("m-slow", b"slow", &BTreeMap::new());

    let in_flight = {
        let (client, address, token, body) = (app.client.clone(), app.address.clone(), token.clone(), body.clone());
        tokio::spawn(async move {
            client.post(format!("{address}/pubsub/push")).bearer_auth(token).json(&body).send().await
        })
    };
    app.handler.started.notified().await;
    app.stop.stop();
    // Wait until the app has begun draining: a fresh request no longer succeeds.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let probe = reqwest::Client::new()
            .get(format!("{}/ready", app.address))
            .timeout(Duration::from_millis(500))
            .send()
            .await;
        if probe.map_or(true, |response| !response.status().is_success()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the app never started draining");
    }
    assert_eq!(app.handler.finished(), 0, "the push is still in flight");

    // New work on a new connection is not acknowledged.
    let late = reqwest::Client::new()
        .post(format!("{}/pubsub/push", app.address))
        .bearer_auth(&token)
        .json(&envelope("m-late", b"x", &BTreeMap::new()))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(late.map_or(true, |response| !response.status().is_success()), "new work is refused once draining");
    assert_eq!(app.handler.calls().len(), 1, "the late push never reached the handler");

    app.handler.release.notify_one();
    let response = in_flight.await.expect("the request task").expect("the in-flight push gets an answer");
    assert_eq!(response.status(), 204);
    assert_eq!(app.handler.finished(), 1);
    let result = tokio::time::timeout(Duration::from_secs(15), app.running).await.expect("stops in time");
    assert!(result.expect("no panic").is_ok());
}

#[tokio::test]
async fn a_push_still_running_after_the_grace_period_is_cut_off_and_the_app_still_exits() {
    let issuer = TestIssuer::start().await;
    let mut vars = verifying_vars(&issuer);
    vars.push(("SHUTDOWN_GRACE_SECONDS".to_owned(), "1".to_owned()));
    let app = spawn_app(vars).await;
    let token = issuer.token(&issuer.claims());
    let body = envelope("m-stuck", b"slow", &BTreeMap::new());

    let in_flight = {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            client.post(format!("{address}/pubsub/push")).bearer_auth(token).json(&body).send().await
        })
    };
    app.handler.started.notified().await;
    let started = std::time::Instant::now();
    app.stop.stop();

    let result = tokio::time::timeout(Duration::from_secs(10), app.running).await.expect("stops after the grace");
    assert!(result.expect("no panic").is_ok());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    // Never answered with a 2xx, so Pub/Sub redelivers it.
    let answer = in_flight.await.expect("the request task");
    assert!(answer.map_or(true, |response| !response.status().is_success()));
    assert_eq!(app.handler.finished(), 0);
}
