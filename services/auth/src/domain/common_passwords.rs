//! The most commonly used passwords, the first ones any attacker tries.

use std::{collections::HashSet, sync::LazyLock};

/// One password a line, most common first; `#` lines say where the list comes from.
const LIST: &str = include_str!("../../data/common-passwords.txt");

/// Built once, on first use; lower-cased, like what it is compared with.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    LIST.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// Whether `password` is on the list, in any letter case.
pub(super) fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_ten_thousand_passwords_and_no_comment() {
        assert_eq!(COMMON.len(), 10_000);
        assert!(COMMON.iter().all(|p| !p.starts_with('#')));
    }

    #[test]
    fn common_passwords_are_found_in_any_letter_case() {
        assert!(is_common("password123"));
        assert!(is_common("PassWord123"));
        assert!(is_common("qwertyuiop"));
    }

    #[test]
    fn uncommon_passwords_are_not() {
        assert!(!is_common("correct horse battery"));
        assert!(!is_common("password123 "));
    }
}
