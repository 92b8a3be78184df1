extension Duration {
    /// The duration in milliseconds, as a floating-point number (for status fields, metrics and logs).
    package var milliseconds: Double {
        let (s, atto) = components
        return Double(s) * 1000 + Double(atto) / 1e15
    }

    /// The duration in seconds, as a floating-point number.
    package var seconds: Double { milliseconds / 1000 }
}
