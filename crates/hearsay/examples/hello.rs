//! Two nodes on loopback: one joins the other, both list the cluster, one leaves.
//! Run with `cargo run -p hearsay --example hello`.
use hearsay::{Config, Name, Node, NodeConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = |name: &'static str| {
        let mut c = NodeConfig::new(Name::new(name).expect("a valid name"));
        c.bind = ([127, 0, 0, 1], 0).into(); // any free port
        c.protocol = Config::local(); // fast timers for one machine
        Node::start(c)
    };
    let (alice, bob) = (start("alice").await?, start("bob").await?);
    let mut events = alice.events();

    bob.join(&[alice.advertise_addr()]).await?;
    bob.joined().await?;
    let e = events.next().await.expect("alice is running");
    println!("alice saw {} {}", e.member.name.as_str(), e.kind.as_str());
    for m in bob.members().await? {
        let m = m.member;
        println!(
            "bob knows {} at {} ({})",
            m.name.as_str(),
            m.addr,
            m.state.as_str()
        );
    }
    bob.leave().await?; // announce, and wait (bounded) for the news to go out
    bob.shutdown().await;
    alice.shutdown().await;
    Ok(())
}
