//! An issue the bot writes to: one that exists, or one a `--dry-run` only planned to create.

use std::fmt;

use super::IssueNumber;

/// Where a report goes. Under `--dry-run` nothing is created, so the issue has no number yet
/// and must never be confused with a real one (the original used 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueRef {
    /// An issue GitHub has.
    Existing(IssueNumber),
    /// An issue that would have been created.
    Planned,
}

impl IssueRef {
    /// The number, when the issue exists.
    pub fn number(self) -> Option<IssueNumber> {
        match self {
            IssueRef::Existing(n) => Some(n),
            IssueRef::Planned => None,
        }
    }
}

impl fmt::Display for IssueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueRef::Existing(n) => write!(f, "#{n}"),
            IssueRef::Planned => f.write_str("(new issue, not created: dry run)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planned_issue_has_no_number() {
        assert_eq!(IssueRef::Planned.number(), None);
        let real = IssueRef::Existing(IssueNumber::new(7));
        assert_eq!(real.number(), Some(IssueNumber::new(7)));
        assert_eq!(real.to_string(), "#7");
    }
}
