//! Standard output, as every command writes it. A reader that went away (`| head`) ends the
//! command quietly and successfully, as `grep` does; any other write error (a full disk) is an
//! error with a message and exit 1. Never a panic: `println!` panics on both.

use std::io::{ErrorKind, Write};

/// The reader of standard output closed it: nothing more to say, and nothing went wrong.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub struct Closed;

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) -> anyhow::Result<()> {
    write_to(&mut std::io::stdout().lock(), text)
}

/// Writes `text` and a newline to standard output.
pub fn println(text: &str) -> anyhow::Result<()> {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    print(&line)
}

fn write_to(out: &mut impl Write, text: &str) -> anyhow::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails as a closed pipe or a full disk does.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_a_quiet_end_and_a_full_disk_an_error() {
        let closed = write_to(&mut Failing(ErrorKind::BrokenPipe), "x").unwrap_err();
        assert!(closed.downcast_ref::<Closed>().is_some());
        let full = write_to(&mut Failing(ErrorKind::StorageFull), "x").unwrap_err();
        assert!(full.downcast_ref::<Closed>().is_none());
        assert!(full
            .to_string()
            .starts_with("cannot write to standard output"));
        let mut buf = Vec::new();
        write_to(&mut buf, "ok").unwrap();
        assert_eq!(buf, b"ok");
    }
}
