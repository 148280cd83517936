//! Subsegments as the X-Ray daemon receives them: a real UDP socket on loopback.

use std::net::UdpSocket;
use std::time::Duration;

use serde_json::Value;
use xray::{Daemon, Namespace, Subsegment, TraceHeader};

fn receive(listener: &UdpSocket) -> (String, Value) {
    let mut buffer = [0u8; 65_536];
    let n = listener.recv(&mut buffer).expect("a datagram within the timeout");
    let text = std::str::from_utf8(&buffer[..n]).unwrap();
    let (header, body) = text.split_once('\n').expect("header line, then the document");
    (header.to_owned(), serde_json::from_str(body).unwrap())
}

#[test]
fn subsegments_reach_the_daemon_in_its_wire_format() {
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    listener.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    xray::install(Daemon::new(&format!("udp:{} tcp:127.0.0.1:1", listener.local_addr().unwrap())).unwrap());
    let header =
        TraceHeader::parse("Root=1-6936a0c0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
            .unwrap();

    let mut call = Subsegment::start(&header, "DynamoDB", Namespace::Aws).unwrap();
    call.aws("operation", "GetItem").aws("table_name", "sentiment-analyzer-preprod");
    call.finish(Some(200));
    let (wire_header, document) = receive(&listener);
    assert_eq!(
        serde_json::from_str::<Value>(&wire_header).unwrap(),
        serde_json::json!({"format": "json", "version": 1})
    );
    assert_eq!(document["type"], "subsegment");
    assert_eq!(document["trace_id"], "1-6936a0c0-0123456789abcdef01234567");
    assert_eq!(document["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(document["name"], "DynamoDB");
    assert_eq!(document["namespace"], "aws");
    assert_eq!(document["aws"]["operation"], "GetItem");
    assert_eq!(document["http"]["response"]["status"], 200);
    let id = document["id"].as_str().unwrap();
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert!(document["start_time"].as_f64().unwrap() <= document["end_time"].as_f64().unwrap());
    assert_eq!(
        (&document["error"], &document["fault"], &document["throttle"]),
        (&false.into(), &false.into(), &false.into())
    );

    let mut vendor = Subsegment::start(&header, "finnhub", Namespace::Remote).unwrap();
    vendor.request(
        "GET",
        "https://user:secret-password@finnhub.io/api/v1/company-news?symbol=AAPL&token=secret-key",
    );
    vendor.finish(Some(429));
    let (_, document) = receive(&listener);
    assert_eq!(document["namespace"], "remote");
    assert_eq!(document["http"]["request"]["url"], "https://finnhub.io/api/v1/company-news");
    assert!(!document.to_string().contains("secret"), "{document}");
    assert_eq!((&document["error"], &document["throttle"]), (&true.into(), &true.into()));

    Subsegment::start(&header, "tiingo", Namespace::Remote).unwrap().finish(None);
    let (_, document) = receive(&listener);
    assert_eq!(document["fault"], true);
    assert!(document.get("http").is_none());
    assert_ne!(document["id"], id, "every subsegment has its own id");

    // DynamoDB throttles with a 400 and an exception name, not a 429.
    let mut throttled = Subsegment::start(&header, "DynamoDB", Namespace::Aws).unwrap();
    throttled.throttled();
    throttled.finish(Some(400));
    let (_, document) = receive(&listener);
    assert_eq!(
        (&document["error"], &document["throttle"], &document["fault"]),
        (&true.into(), &true.into(), &false.into())
    );

    // A call cut off before it finished (its future dropped) is still reported, as a fault.
    let cancelled = Subsegment::start(&header, "api.tiingo.com", Namespace::Remote).unwrap();
    drop(cancelled);
    let (_, document) = receive(&listener);
    assert_eq!((&document["name"], &document["fault"]), (&"api.tiingo.com".into(), &true.into()));
    listener.set_nonblocking(true).unwrap();
    let mut buffer = [0u8; 1024];
    assert!(
        listener.recv(&mut buffer).is_err(),
        "a finished subsegment is sent once, not again when dropped"
    );

    // Without a parent segment there is nothing to hang a subsegment under.
    let orphan = TraceHeader::parse("Root=1-6936a0c0-0123456789abcdef01234567;Sampled=1").unwrap();
    assert!(Subsegment::start(&orphan, "DynamoDB", Namespace::Aws).is_none());
}
