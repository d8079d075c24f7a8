//! The replicated stores' endpoints over a real socket: `/v1/kv`, `/v1/state` and
//! `/v1/watch/...` served on a free loopback port in front of real nodes, called with a
//! blocking HTTP client (ureq) off the runtime's threads, as the CLI would.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay::{Node, NodeConfig, StoreEvent};
use hearsay_agent::http::{Control, serve};
use hearsay_agent::schema as api;
use hearsay_test_support::http::{EventStream, delete, get, put};
use hearsay_test_support::nodes::loopback_config;
use hearsay_test_support::wait::next_matching;
use hearsay_test_support::{PATIENCE, temp_dir};
use serde_json::Value;
use tokio::sync::oneshot;

fn config(name: &str) -> NodeConfig {
    let mut config = loopback_config(name);
    config.leave_timeout = Duration::from_millis(500);
    config
}

async fn node(name: &str) -> Node {
    Node::start(config(name)).await.unwrap()
}

/// An API for `node` on a free loopback port, alive until the test's runtime ends.
async fn api(node: &Node, control: Control) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        node.clone(),
        control,
        std::future::pending(),
    ));
    addr
}

#[tokio::test]
async fn a_put_value_is_read_back_raw_listed_by_prefix_and_deleted() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;

    let reply = put(http, "/v1/kv/app/db", b"postgres://10.0.0.5").await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    let written: api::KvWrite = serde_json::from_value(reply.json()).unwrap();
    assert_eq!(written.key, "app/db");
    assert_eq!(written.writer, "a");
    assert!(!written.deleted);
    assert_eq!(written.at_unix_ms, written.stamp >> 16);
    put(http, "/v1/kv/app/cache", b"redis").await;
    put(http, "/v1/kv/other", b"x").await;

    let reply = get(http, "/v1/kv/app/db").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"postgres://10.0.0.5");
    assert_eq!(reply.header("content-type"), "application/octet-stream");
    assert_eq!(reply.header("x-hearsay-stamp"), written.stamp.to_string());
    assert_eq!(reply.header("x-hearsay-writer"), "a");

    let list: Vec<api::KvItem> =
        serde_json::from_value(get(http, "/v1/kv?prefix=app/").await.json()).unwrap();
    let keys: Vec<&str> = list.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["app/cache", "app/db"], "key order, prefix only");
    assert_eq!(list[1].value.value.as_deref(), Some("postgres://10.0.0.5"));
    assert_eq!(list[1].stamp, written.stamp);
    let everything = get(http, "/v1/kv").await.json();
    assert_eq!(everything.as_array().unwrap().len(), 3);

    let reply = delete(http, "/v1/kv/app/db").await;
    assert_eq!(reply.status, 200);
    let deleted: api::KvWrite = serde_json::from_value(reply.json()).unwrap();
    assert!(deleted.deleted);
    assert!(deleted.stamp > written.stamp);
    assert_eq!(get(http, "/v1/kv/app/db").await.status, 404);
    let list = get(http, "/v1/kv?prefix=app/").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(a.kv_get("app/db").await.unwrap(), None);
    a.shutdown().await;
}

#[tokio::test]
async fn keys_with_slashes_spaces_and_unicode_round_trip() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    for (path, key) in [
        ("/v1/kv/a%20b/c%2Fd", "a b/c/d"),
        ("/v1/kv/%C3%A9t%C3%A9", "été"),
        ("/v1/kv//leading", "/leading"),
    ] {
        let reply = put(http, path, key.as_bytes()).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.json());
        assert_eq!(reply.json()["key"], key);
        assert_eq!(get(http, path).await.body, key.as_bytes());
        let held = a
            .kv_get(key)
            .await
            .unwrap()
            .expect("stored under the decoded key");
        assert_eq!(held.value.as_deref(), Some(key.as_bytes()));
    }
    a.shutdown().await;
}

#[tokio::test]
async fn an_absent_key_is_a_404_json_error_that_says_how_to_list() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    let reply = get(http, "/v1/kv/nothing/here").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.error(),
        "no key 'nothing/here' in the map; `hearsay kv list` (GET /v1/kv?prefix=) lists the keys"
    );
    let reply = get(http, "/v1/state/role").await;
    assert_eq!(reply.status, 404);
    assert!(reply.error().contains("no key 'role'"), "{}", reply.error());
    a.shutdown().await;
}

#[tokio::test]
async fn an_empty_overlong_or_undecodable_key_is_a_400_saying_what_keys_are() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    for path in ["/v1/kv/", "/v1/state/"] {
        let reply = put(http, path, b"v").await;
        assert_eq!(reply.status, 400, "{path}");
        assert!(reply.error().contains("names no key"), "{}", reply.error());
    }
    let long = "k".repeat(513);
    let reply = put(http, &format!("/v1/kv/{long}"), b"v").await;
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .error()
            .contains("key is 513 bytes; keys must be 1 to 512 bytes"),
        "{}",
        reply.error()
    );
    let reply = put(http, &format!("/v1/state/{long}"), b"v").await;
    assert_eq!(reply.status, 400);
    let reply = put(http, "/v1/kv/%FF", b"v").await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("UTF-8"), "{}", reply.error());
    assert!(
        a.kv_list("").await.unwrap().is_empty(),
        "nothing was written"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn a_value_over_the_limit_is_a_413_and_one_at_the_limit_is_stored() {
    // The API refuses the body before reading it whole when it knows the limit ...
    let mut small = config("a");
    small.protocol.max_value_bytes = 1000;
    let a = Node::start(small).await.unwrap();
    let http = api(&a, Control::new().with_max_value_bytes(1000)).await;
    assert_eq!(put(http, "/v1/kv/fits", &[7; 1000]).await.status, 200);
    assert_eq!(get(http, "/v1/kv/fits").await.body.len(), 1000);
    let reply = put(http, "/v1/kv/big", &[7; 1001]).await;
    assert_eq!(reply.status, 413);
    assert!(
        reply
            .error()
            .contains("over the limit of 1000 bytes (max_value_bytes)"),
        "{}",
        reply.error()
    );
    let reply = put(http, "/v1/state/big", &[7; 5000]).await;
    assert_eq!(reply.status, 413);

    // ... and the node refuses it anyway when the API was told a larger one.
    let loose = api(&a, Control::new()).await;
    let reply = put(loose, "/v1/kv/big", &[7; 1001]).await;
    assert_eq!(reply.status, 413);
    assert!(
        reply
            .error()
            .contains("value is 1001 bytes; the limit is 1000"),
        "{}",
        reply.error()
    );
    assert_eq!(a.kv_get("big").await.unwrap(), None);
    a.shutdown().await;
}

#[tokio::test]
async fn values_that_are_not_utf8_are_listed_as_base64_and_read_back_raw() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    let bytes = [0xff, 0x00, 0xfe, b'x'];
    assert_eq!(put(http, "/v1/kv/bin", &bytes).await.status, 200);
    assert_eq!(put(http, "/v1/kv/empty", b"").await.status, 200);
    let list = get(http, "/v1/kv").await.json();
    assert_eq!(list[0]["key"], "bin");
    assert_eq!(list[0]["value_base64"], "/wD+eA==");
    assert!(list[0].get("value").is_none());
    assert_eq!(list[1]["value"], "", "an empty value is an empty string");
    let item: api::KvItem = serde_json::from_value(list[0].clone()).unwrap();
    assert_eq!(item.value.bytes().unwrap(), bytes);
    assert_eq!(get(http, "/v1/kv/bin").await.body, bytes);
    a.shutdown().await;
}

#[tokio::test]
async fn wait_for_more_members_than_are_alive_is_refused_and_writes_nothing() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    assert_eq!(put(http, "/v1/kv/k?wait_for=1", b"v").await.status, 200);
    let reply = put(http, "/v1/kv/k?wait_for=3", b"w").await;
    assert_eq!(reply.status, 409);
    assert!(
        reply.error().contains("3 copies asked for"),
        "{}",
        reply.error()
    );
    assert_eq!(
        get(http, "/v1/kv/k").await.body,
        b"v",
        "a refused put writes nothing"
    );
    assert_eq!(put(http, "/v1/kv/k?wait_for=all", b"w").await.status, 400);
    a.shutdown().await;
}

#[tokio::test]
async fn a_node_that_left_refuses_writes_with_a_409() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    a.leave().await.unwrap();
    let reply = put(http, "/v1/kv/k", b"v").await;
    assert_eq!(reply.status, 409);
    assert!(
        reply.error().contains("has left the cluster"),
        "{}",
        reply.error()
    );
    assert_eq!(put(http, "/v1/state/k", b"v").await.status, 409);
    a.shutdown().await;
}

#[tokio::test]
async fn state_is_set_read_listed_and_deleted_and_a_ttl_deletes_it() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    let reply = put(http, "/v1/state/role", b"web").await;
    assert_eq!(reply.status, 200);
    let set: api::StateWrite = serde_json::from_value(reply.json()).unwrap();
    assert_eq!(
        (set.owner.as_str(), set.key.as_str(), set.ttl_ms),
        ("a", "role", None)
    );
    let reply = get(http, "/v1/state/role").await;
    assert_eq!(reply.body, b"web");
    assert_eq!(reply.header("x-hearsay-writer"), "a");

    let mut changes = a.store_events();
    let reply = put(http, "/v1/state/lease?ttl=300ms", b"held").await;
    assert_eq!(reply.status, 200);
    let lease: api::StateWrite = serde_json::from_value(reply.json()).unwrap();
    assert_eq!(lease.ttl_ms, Some(300));
    assert!(lease.version > set.version);
    let list: Vec<api::StateItem> =
        serde_json::from_value(get(http, "/v1/state").await.json()).unwrap();
    let keys: Vec<&str> = list.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["lease", "role"]);
    let only: Vec<api::StateItem> =
        serde_json::from_value(get(http, "/v1/state?prefix=ro").await.json()).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].value.value.as_deref(), Some("web"));

    next_matching(&mut changes, "the lease to expire", PATIENCE, |e| match e {
        StoreEvent::State {
            key, value: None, ..
        } if &**key == "lease" => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(get(http, "/v1/state/lease").await.status, 404);

    let reply = delete(http, "/v1/state/role").await;
    assert_eq!(
        reply.json(),
        serde_json::json!({"owner": "a", "key": "role", "deleted": true})
    );
    let reply = delete(http, "/v1/state/role").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["deleted"],
        false,
        "deleting what is not set changes nothing"
    );
    assert_eq!(get(http, "/v1/state").await.json(), serde_json::json!([]));
    a.shutdown().await;
}

#[tokio::test]
async fn a_bad_ttl_is_a_400_saying_what_to_write() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    for ttl in ["30", "soon", "0s", "400d"] {
        let reply = put(http, &format!("/v1/state/k?ttl={ttl}"), b"v").await;
        assert_eq!(reply.status, 400, "{ttl}");
        assert!(reply.error().starts_with("?ttl=: "), "{}", reply.error());
    }
    assert_eq!(get(http, "/v1/state/k").await.status, 404);
    a.shutdown().await;
}

#[tokio::test]
async fn every_members_state_is_listed_with_all_and_read_with_node() {
    let a = node("a").await;
    let b = node("b").await;
    b.join(&[a.advertise_addr()]).await.unwrap();
    tokio::time::timeout(PATIENCE, b.joined())
        .await
        .unwrap()
        .unwrap();
    let http = api(&a, Control::new()).await;
    let mut changes = a.store_events();
    put(http, "/v1/state/role", b"seed").await;
    b.state_set("role", hearsay::Value::from(&b"web"[..]), None)
        .await
        .unwrap();
    next_matching(&mut changes, "a to learn b's role", PATIENCE, |e| match e {
        StoreEvent::State {
            owner,
            key,
            value: Some(_),
        } if owner.as_str() == "b" && &**key == "role" => Some(()),
        _ => None,
    })
    .await;

    let all: Vec<api::StateItem> =
        serde_json::from_value(get(http, "/v1/state?all=true").await.json()).unwrap();
    let seen: Vec<(&str, &str, Option<&str>)> = all
        .iter()
        .map(|i| (i.owner.as_str(), i.key.as_str(), i.value.value.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [("a", "role", Some("seed")), ("b", "role", Some("web"))]
    );
    let mine = get(http, "/v1/state").await.json();
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "without all, only this node's: {mine}"
    );
    let bs = get(http, "/v1/state?node=b").await.json();
    assert_eq!(bs[0]["owner"], "b");
    assert_eq!(get(http, "/v1/state/role?node=b").await.body, b"web");
    let reply = get(http, "/v1/state/role?node=zed").await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.error().contains("from member 'zed'"),
        "{}",
        reply.error()
    );
    assert_eq!(get(http, "/v1/state?all=true&node=b").await.status, 400);
    b.shutdown().await;
    a.shutdown().await;
}

/// Opens `GET path` (server-sent events) on a blocking thread: `ready` fires once the stream
/// is open, then the answer is the `(event name, data)` of the first `n` messages.
fn watch(
    addr: SocketAddr,
    path: &str,
    n: usize,
) -> (
    oneshot::Receiver<()>,
    tokio::task::JoinHandle<Vec<(String, Value)>>,
) {
    let path = path.to_owned();
    let (ready, opened) = oneshot::channel();
    let reader = tokio::task::spawn_blocking(move || {
        let events = EventStream::open(addr, &path);
        assert_eq!(events.content_type, "text/event-stream");
        let _ = ready.send(());
        events.take(n).collect()
    });
    (opened, reader)
}

#[tokio::test]
async fn the_kv_watch_delivers_changes_under_its_prefix_only() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    let (opened, reader) = watch(http, "/v1/watch/kv?prefix=app/", 2);
    tokio::time::timeout(PATIENCE, opened)
        .await
        .unwrap()
        .unwrap();

    put(http, "/v1/kv/other/x", b"not watched").await;
    put(http, "/v1/kv/app/x", b"1").await;
    delete(http, "/v1/kv/app/x").await;
    let seen = tokio::time::timeout(PATIENCE, reader)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["kv", "kv"]);
    let put: api::KvChange = serde_json::from_value(seen[0].1.clone()).unwrap();
    assert_eq!(put.key, "app/x");
    assert_eq!(put.value.value.as_deref(), Some("1"));
    assert!(put.local && !put.deleted);
    assert_eq!(put.writer, "a");
    let del: api::KvChange = serde_json::from_value(seen[1].1.clone()).unwrap();
    assert!(del.deleted);
    assert_eq!(del.value, api::ValueField::none());
    assert!(del.stamp > put.stamp);
    a.shutdown().await;
}

#[tokio::test]
async fn the_state_watch_delivers_another_members_change() {
    let a = node("a").await;
    let b = node("b").await;
    b.join(&[a.advertise_addr()]).await.unwrap();
    tokio::time::timeout(PATIENCE, b.joined())
        .await
        .unwrap()
        .unwrap();
    let http = api(&a, Control::new()).await;
    let (opened, reader) = watch(http, "/v1/watch/state?prefix=zone", 1);
    tokio::time::timeout(PATIENCE, opened)
        .await
        .unwrap()
        .unwrap();
    b.state_set("role", hearsay::Value::from(&b"web"[..]), None)
        .await
        .unwrap();
    b.state_set("zone", hearsay::Value::from(&b"eu-1"[..]), None)
        .await
        .unwrap();
    let seen = tokio::time::timeout(PATIENCE, reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen[0].0, "state");
    let change: api::StateChange = serde_json::from_value(seen[0].1.clone()).unwrap();
    assert_eq!(
        (
            change.owner.as_str(),
            change.key.as_str(),
            change.value.value.as_deref()
        ),
        ("b", "zone", Some("eu-1"))
    );
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test]
async fn metrics_count_the_stores() {
    let a = node("a").await;
    let http = api(&a, Control::new()).await;
    put(http, "/v1/kv/ab", b"xyz").await;
    put(http, "/v1/kv/cd", b"12345").await;
    put(http, "/v1/state/role", b"web").await;
    let text = String::from_utf8(get(http, "/metrics").await.body).unwrap();
    let value = |series: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no series {series} in\n{text}"));
        line[series.len()..].trim().parse().unwrap()
    };
    assert_eq!(value("hearsay_kv_keys"), 2.0);
    assert_eq!(value("hearsay_kv_bytes"), 12.0);
    assert_eq!(value("hearsay_state_keys{owner=\"self\"}"), 1.0);
    assert_eq!(value("hearsay_state_keys{owner=\"others\"}"), 0.0);
    assert_eq!(value("hearsay_state_owners"), 1.0);
    assert_eq!(value("hearsay_store_repairs_total"), 0.0);
    assert_eq!(
        value("hearsay_store_entries_total{direction=\"received\"}"),
        0.0
    );
    a.shutdown().await;
}

#[tokio::test]
async fn puts_through_the_api_survive_a_restart_on_the_same_data_dir() {
    let dir = temp_dir("store-http-restart");
    let mut with_dir = config("a");
    with_dir.data_dir = Some(dir.path().to_owned());
    let a = Node::start(with_dir.clone()).await.unwrap();
    let http = api(&a, Control::new()).await;
    for i in 0..20 {
        let reply = put(http, &format!("/v1/kv/k{i:02}"), format!("v{i}").as_bytes()).await;
        assert_eq!(reply.status, 200);
    }
    delete(http, "/v1/kv/k07").await;
    // The node answers a shutdown once its store is closed, so it can start again at once.
    a.shutdown().await;

    let again = Node::start(with_dir).await.unwrap();
    let http = api(&again, Control::new()).await;
    for i in 0..20 {
        let reply = get(http, &format!("/v1/kv/k{i:02}")).await;
        if i == 7 {
            assert_eq!(reply.status, 404, "the delete survived too");
        } else {
            assert_eq!(reply.body, format!("v{i}").as_bytes(), "k{i:02}");
        }
    }
    assert_eq!(
        get(http, "/v1/kv").await.json().as_array().unwrap().len(),
        19
    );
    again.shutdown().await;
}
