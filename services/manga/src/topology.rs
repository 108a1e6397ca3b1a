//! `manga topology`: the seeds' Pub/Sub topics and push subscriptions.

use std::collections::HashMap;

use manga_bus::{PubSubAdmin, Topology};

use crate::cli::TopologyArgs;

/// Applies (or removes) the topology.
///
/// # Errors
/// A sentence naming the missing endpoint or the failing call.
pub async fn run(args: TopologyArgs) -> Result<(), String> {
    let admin =
        PubSubAdmin::new(args.project.clone(), args.emulator.clone(), args.token.clone()).map_err(|e| e.to_string())?;
    let topology = Topology::seeds();
    if args.remove {
        topology.remove(&admin).await.map_err(|e| e.to_string())?;
        println!("removed the topology of project {}", args.project);
        return Ok(());
    }
    let endpoints: HashMap<String, String> = args.endpoints.into_iter().collect();
    if let Some(missing) = topology.routes.iter().map(|r| r.service.as_str()).find(|s| !endpoints.contains_key(*s)) {
        return Err(format!("no --endpoint given for {missing}"));
    }
    let report = topology
        .apply(&admin, |service| endpoints.get(service).cloned().unwrap_or_default())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "topology of project {}: {} created, {} already in place",
        args.project,
        report.created.len(),
        report.existing.len()
    );
    Ok(())
}
