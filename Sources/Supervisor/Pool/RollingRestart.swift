/// A restart of one slot's worker without dropping requests (scheduled, operator or reload).
struct RollingRestart: Equatable {
    enum Mode: String {
        /// Start the replacement first, switch when it is ready, then drain the old one.
        case makeBeforeBreak = "make-before-break"
        /// Drain the old one, wait for its exit (its device memory is then free), start anew.
        case drainFirst = "drain-first"
    }

    var slot: String
    var mode: Mode
    var why: String
    /// The incarnation being replaced, once the restart has begun.
    var replacing: UInt64?
}
