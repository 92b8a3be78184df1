/// journald `MESSAGE_ID`s of the events an operator filters on
/// (`journalctl MESSAGE_ID=...`); stable across releases.
public enum MessageIDs {
    /// A CPU worker took the place of a Vulkan worker.
    public static let degraded = "5c2b7b8e4f9a4d1e9a0b6c3d2e1f4a58"
    /// The Vulkan path works again; the CPU stand-in is retired.
    public static let recovered = "8e1d4c7a2b5f4e6d9c3a0b1e2f5d7c64"
    /// A worker failed too often in a row and is only retried slowly.
    public static let fatal = "b3f6a9d2c5e84f1a8d7c6b5a4e3f2d19"
}
