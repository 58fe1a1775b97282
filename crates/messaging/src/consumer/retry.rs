//! Which retry queue a failed attempt goes to.

use std::time::Duration;

/// The retry queue for the `attempt`-th failure: that attempt's own delay, or, given a hint such as
/// `Retry-After`, the first later delay at least that long (the longest if none is). `None` once
/// the delays are used up: the message is parked.
pub(super) fn retry_queue(delays: &[Duration], attempt: i64, hint: Option<Duration>) -> Option<usize> {
    let index = usize::try_from(attempt - 1).ok().filter(|index| *index < delays.len())?;
    Some(match hint {
        None => index,
        Some(hint) => {
            delays[index..].iter().position(|delay| *delay >= hint).map_or(delays.len() - 1, |p| p + index)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn each_attempt_takes_its_own_delay_until_they_run_out() {
        let delays = ms(&[50, 100, 1000]);
        assert_eq!(retry_queue(&delays, 1, None), Some(0));
        assert_eq!(retry_queue(&delays, 3, None), Some(2));
        assert_eq!(retry_queue(&delays, 4, None), None);
    }

    #[test]
    fn a_hint_skips_to_a_delay_at_least_that_long() {
        let delays = ms(&[50, 100, 1000, 2000]);
        assert_eq!(retry_queue(&delays, 1, Some(Duration::from_millis(900))), Some(2));
        assert_eq!(retry_queue(&delays, 1, Some(Duration::from_secs(60))), Some(3));
        assert_eq!(retry_queue(&delays, 5, Some(Duration::from_millis(1))), None);
    }
}
