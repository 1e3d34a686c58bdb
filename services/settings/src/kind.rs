//! How a setting's type is named in the reference, shown as a default, and read from the text of
//! a variable or flag.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// A type a setting may have.
pub trait SettingType {
    /// Whether the value is kept out of every printed output.
    const SECRET: bool = false;
    /// Whether a flag of this type is a switch that takes no value.
    const SWITCH: bool = false;
    /// Whether the text of a variable or flag is a comma-separated list.
    const LIST: bool = false;
    /// The type as the reference names it.
    fn kind() -> String;
    /// The value as the reference shows it; `None` for no value.
    fn show(&self) -> Option<String>;
}

macro_rules! shown_by_display {
    ($($ty:ty => $kind:literal),* $(,)?) => {
        $(
            impl SettingType for $ty {
                fn kind() -> String {
                    $kind.to_owned()
                }
                fn show(&self) -> Option<String> {
                    Some(self.to_string())
                }
            }
        )*
    };
}

shown_by_display! {
    String => "text",
    u16 => "integer",
    u32 => "integer",
    u64 => "integer",
    usize => "integer",
    i64 => "integer",
    SocketAddr => "address (host:port)",
    IpAddr => "IP address",
}

impl SettingType for bool {
    const SWITCH: bool = true;
    fn kind() -> String {
        "boolean".to_owned()
    }
    fn show(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl SettingType for PathBuf {
    fn kind() -> String {
        "path".to_owned()
    }
    fn show(&self) -> Option<String> {
        Some(self.display().to_string())
    }
}

impl<T: SettingType> SettingType for Option<T> {
    const SECRET: bool = T::SECRET;
    const SWITCH: bool = T::SWITCH;
    const LIST: bool = T::LIST;
    fn kind() -> String {
        T::kind()
    }
    fn show(&self) -> Option<String> {
        self.as_ref().and_then(T::show)
    }
}

impl<T: SettingType> SettingType for Vec<T> {
    const SECRET: bool = T::SECRET;
    const LIST: bool = true;
    fn kind() -> String {
        format!("{} list (comma-separated)", T::kind())
    }
    fn show(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        Some(
            self.iter()
                .filter_map(T::show)
                .collect::<Vec<_>>()
                .join(","),
        )
    }
}
