/// An X-Ray trace header: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceHeader {
    /// The trace id, `1-<8 hex: epoch seconds>-<24 hex>`.
    pub root: String,
    /// The id of the segment new subsegments hang under (the Lambda function's segment).
    pub parent: Option<String>,
    pub sampled: bool,
}

impl TraceHeader {
    /// Parses a header; `None` unless it has a well-formed `Root`. Unknown keys are ignored.
    pub fn parse(value: &str) -> Option<Self> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = false;
        for part in value.split(';') {
            let Some((key, val)) = part.trim().split_once('=') else { continue };
            match key {
                "Root" if is_trace_id(val) => root = Some(val.to_owned()),
                "Parent" if is_hex(val, 16) => parent = Some(val.to_owned()),
                "Sampled" => sampled = val == "1",
                _ => {}
            }
        }
        Some(Self { root: root?, parent, sampled })
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_trace_id(text: &str) -> bool {
    let mut parts = text.split('-');
    parts.next() == Some("1")
        && parts.next().is_some_and(|time| is_hex(time, 8))
        && parts.next().is_some_and(|random| is_hex(random, 24))
        && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_header_parses() {
        let header =
            TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
                .unwrap();
        assert_eq!(header.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(header.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert!(header.sampled);
        let unsampled =
            TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0;Lineage=a:1").unwrap();
        assert!(!unsampled.sampled);
        assert_eq!(unsampled.parent, None);
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "",
            "Root=",
            "Root=2-5759e988-bd862e3fe1be46a994272793",
            "Root=1-xyz-abc",
            "Parent=53995c3f42cd8ad8",
        ] {
            assert_eq!(TraceHeader::parse(bad), None, "{bad}");
        }
        let bad_parent =
            TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=nothex").unwrap();
        assert_eq!(bad_parent.parent, None);
    }
}
