//! The process's limit on open files.
//!
//! Every connection, pool connection and file costs a descriptor. Many systems start processes
//! with a soft limit of 1024 though the hard limit allows far more, and a service would then
//! refuse connections long before its own connection cap ([`crate::config::HttpSettings`]) is
//! reached. So each binary raises its soft limit to the hard limit once, at start.

/// Raises the soft limit on open files to the hard limit, and logs what it is now.
pub fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(open_files = limit, "open-file limit"),
        // Not fatal: the service still runs, within whatever limit it was given.
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}

#[cfg(test)]
mod tests {
    use rlimit::Resource;

    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        let (_, hard) = rlimit::getrlimit(Resource::NOFILE).expect("the limits are readable");
        // Start from a low soft limit, as many systems do, so the raise has something to do.
        rlimit::setrlimit(Resource::NOFILE, hard.min(512), hard).expect("a lower soft limit is allowed");
        raise_open_file_limit();
        let (soft, after) = rlimit::getrlimit(Resource::NOFILE).expect("the limits are readable");
        assert_eq!((soft, after), (hard, hard));
    }
}
