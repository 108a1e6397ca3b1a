//! `manga topology`: the seeds' Pub/Sub topics and push subscriptions (the
//! `fleet` feature; without it the command says how to get it).

use crate::cli::TopologyArgs;

/// Says how to build a `manga` that has the command.
///
/// # Errors
/// Always: this build has no Pub/Sub client.
#[cfg(not(feature = "fleet"))]
pub async fn run(_args: TopologyArgs) -> Result<(), String> {
    Err("this manga was built without the fleet feature, which `manga topology` needs: \
         cargo build --release -p manga --features fleet"
        .into())
}

/// Applies (or removes) the topology.
///
/// # Errors
/// A sentence naming the missing endpoint or the failing call.
#[cfg(feature = "fleet")]
pub async fn run(args: TopologyArgs) -> Result<(), String> {
    use std::collections::HashMap;

    use manga_bus::{PubSubAdmin, Topology};

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
