//! Transport errors in words. An HTTP stack wraps the real cause several layers deep
//! ("Service Error: client error (Connect)"); a maintainer reading a failed tick wants the
//! innermost one: "connection refused", "timed out", "TLS: invalid peer certificate".

use std::error::Error;
use std::io::ErrorKind;

/// The most specific cause of `error`, in words: the innermost error of its source chain, an
/// I/O error by its kind, a TLS error marked as such.
pub fn describe(error: &(dyn Error + 'static)) -> String {
    let mut innermost: &(dyn Error + 'static) = error;
    let mut tls = false;
    let mut current: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string().to_ascii_lowercase();
        tls |= text.contains("tls") || text.contains("certificate");
        innermost = e;
        current = e.source();
    }
    let words = match innermost
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
    {
        Some(ErrorKind::ConnectionRefused) => "connection refused".to_string(),
        Some(ErrorKind::ConnectionReset) => "connection reset by the server".to_string(),
        Some(ErrorKind::ConnectionAborted) => "connection aborted".to_string(),
        Some(ErrorKind::TimedOut) => "timed out".to_string(),
        Some(ErrorKind::UnexpectedEof) => "the server closed the connection early".to_string(),
        _ => innermost.to_string(),
    };
    if tls && !words.to_ascii_lowercase().contains("tls") {
        format!("TLS: {words}")
    } else {
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error wrapping another, as HTTP stacks nest them.
    #[derive(Debug)]
    struct Wrapped(&'static str, Box<dyn Error + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(self.1.as_ref())
        }
    }

    #[test]
    fn the_innermost_cause_is_named_in_words() {
        let refused = Wrapped(
            "Service Error: client error (Connect)",
            Box::new(Wrapped(
                "client error (Connect)",
                Box::new(std::io::Error::from(ErrorKind::ConnectionRefused)),
            )),
        );
        assert_eq!(describe(&refused), "connection refused");
        let tls = Wrapped(
            "client error (Connect)",
            Box::new(std::io::Error::other(
                "invalid peer certificate: UnknownIssuer",
            )),
        );
        assert_eq!(
            describe(&tls),
            "TLS: invalid peer certificate: UnknownIssuer"
        );
        let plain = std::io::Error::from(ErrorKind::TimedOut);
        assert_eq!(describe(&plain), "timed out");
    }
}
