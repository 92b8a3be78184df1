/// What an operator can ask of the pool (through the control socket or a signal).
public enum PoolCommand: Sendable, Equatable {
    case start([String])
    case stop([String])
    case restart([String])
    case drain([String])
}
