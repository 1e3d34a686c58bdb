//! Dates and times in a read model's bytes as integers, and as chrono writes them (ISO 8601)
//! everywhere else. A date as text takes eleven bytes of MessagePack and a time about thirty,
//! and every history entry and logged commit holds both; as a day number and a pair of seconds
//! and nanoseconds they take five and about eleven, and decode without parsing. Which form is
//! chosen by the format: the read models' encoding ([`crate::db::encode`]) is binary, JSON is
//! human-readable, so the API's documents are unchanged.
//!
//! Fields take these with `#[serde(with = "crate::stamps::date")]` (or `date_opt`, `time`,
//! `time_opt`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date: days from the first day of the common era.
struct Day(NaiveDate);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.0.serialize(s)
        } else {
            s.serialize_i32(self.0.num_days_from_ce())
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            return NaiveDate::deserialize(d).map(Day);
        }
        let days = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .map(Day)
            .ok_or_else(|| D::Error::custom(format!("day {days} is out of range")))
    }
}

/// A time: seconds and nanoseconds since the Unix epoch.
struct Instant(DateTime<Utc>);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.0.serialize(s)
        } else {
            (self.0.timestamp(), self.0.timestamp_subsec_nanos()).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            return DateTime::<Utc>::deserialize(d).map(Instant);
        }
        let (secs, nanos) = <(i64, u32)>::deserialize(d)?;
        DateTime::from_timestamp(secs, nanos)
            .map(Instant)
            .ok_or_else(|| D::Error::custom(format!("time {secs}.{nanos:09} is out of range")))
    }
}

macro_rules! stamp_modules {
    ($($module:ident, $optional:ident: $t:ty as $wire:ident;)*) => {$(
        pub mod $module {
            use super::*;

            pub fn serialize<S: Serializer>(value: &$t, s: S) -> Result<S::Ok, S::Error> {
                $wire(*value).serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                $wire::deserialize(d).map(|w| w.0)
            }
        }

        pub mod $optional {
            use super::*;

            pub fn serialize<S: Serializer>(value: &Option<$t>, s: S) -> Result<S::Ok, S::Error> {
                value.map($wire).serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                Ok(Option::<$wire>::deserialize(d)?.map(|w| w.0))
            }
        }
    )*};
}
stamp_modules! {
    date, date_opt: NaiveDate as Day;
    time, time_opt: DateTime<Utc> as Instant;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(with = "date")]
        on: NaiveDate,
        #[serde(with = "date_opt")]
        maybe_on: Option<NaiveDate>,
        #[serde(with = "time")]
        at: DateTime<Utc>,
        #[serde(with = "time_opt")]
        maybe_at: Option<DateTime<Utc>>,
    }

    fn stamped(maybe: bool) -> Stamped {
        let at = DateTime::from_timestamp(1_780_000_000, 123_456_789).unwrap();
        Stamped {
            on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            maybe_on: maybe.then(|| NaiveDate::from_ymd_opt(-44, 3, 15).unwrap()),
            at,
            maybe_at: maybe.then_some(at),
        }
    }

    #[test]
    fn read_models_keep_integers_and_json_keeps_iso_8601() {
        for maybe in [true, false] {
            let value = stamped(maybe);
            let bytes = crate::db::encode(&value).unwrap();
            assert_eq!(crate::db::decode::<Stamped>(&bytes).unwrap(), value);
            let json = serde_json::to_value(&value).unwrap();
            assert_eq!(json["on"], "2026-05-01");
            assert_eq!(serde_json::from_value::<Stamped>(json).unwrap(), value);
        }
        let text = rmp_serde::to_vec(&("2026-05-01", "2026-05-28T21:46:40.123456789Z")).unwrap();
        assert!(crate::db::encode(&stamped(false)).unwrap().len() < text.len());
    }

    #[test]
    fn a_stamp_out_of_range_is_an_error_not_a_panic() {
        let none = None::<()>;
        let day = crate::db::encode(&(i32::MAX, none, (0i64, 0u32), none)).unwrap();
        let time = crate::db::encode(&(0, none, (i64::MAX, 0u32), none)).unwrap();
        for bytes in [day, time] {
            let e = crate::db::decode::<Stamped>(&bytes).unwrap_err();
            assert!(e.to_string().contains("out of range"), "{e}");
        }
    }
}
