//! How numbers read in the log, the tables and the charts: thousands grouped as the lecture's
//! tables write them (60,000), and settings echoed as they were given (1.5 s, not 2 s).

/// `n` with its thousands grouped by commas: `60000` → `60,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `v` with `decimals` places, its whole part grouped by thousands: `123456.5` → `123,456.5`.
pub(crate) fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let whole = thousands(whole.parse().unwrap_or(0));
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Seconds as the user gave them: the shortest decimal that reads back as the same number.
pub(crate) fn as_given(seconds: f64) -> String {
    format!("{seconds}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(60_000), "60,000");
        assert_eq!(thousands(600_000), "600,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(grouped(123_456.5, 1), "123,456.5");
        assert_eq!(grouped(-0.04, 1), "0.0");
        assert_eq!(grouped(-1500.0, 0), "-1,500");
    }

    #[test]
    fn seconds_read_as_given() {
        assert_eq!(as_given(1.5), "1.5");
        assert_eq!(as_given(60.0), "60");
        assert_eq!(as_given(0.25), "0.25");
    }
}
