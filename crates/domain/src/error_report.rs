//! Logging an error once, with everything that caused it, on one line.

/// "outer: inner: innermost". A cause whose text the message already ends with is skipped,
/// so an error that both wraps and prints its source (`cannot open x: Permission denied`
/// with `Permission denied` as its source) is not reported twice.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open store: {0}")]
    struct Echoing(#[source] std::io::Error);

    #[test]
    fn joins_every_cause() {
        let error = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(super::cause_chain(&error), "outer: disk on fire");
    }

    #[test]
    fn a_cause_already_printed_is_not_repeated() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let text = denied.to_string();
        let error = Echoing(denied);
        assert_eq!(super::cause_chain(&error), format!("cannot open store: {text}"));
    }
}
