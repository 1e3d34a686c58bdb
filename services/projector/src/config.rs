//! What `waymark-projector` (the offline tools over a replica's read models) reads.

use std::path::PathBuf;

settings::section! {
    /// Which read models the offline tools work on.
    pub struct ToolsConfig {
        /// The redb file of the replica's read models (stop its dashboard first for `rebuild`).
        #[setting(env = "WAYMARK_DB", flag = "db")]
        pub db: Option<PathBuf> = None,
    }
}

settings::binary! {
    /// Everything `waymark-projector` reads.
    pub struct ProjectorSettings for ["waymark-projector"] {
        pub nats: eventstore::NatsConfig,
        pub projector: ToolsConfig,
        pub log: telemetry::LogConfig,
    }
}
